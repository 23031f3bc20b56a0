"""Golden text files: generated code compared with a reviewed copy on disk. After an intended change,
``REFSPEC_UPDATE_GOLDEN=1`` rewrites the files; review their diff."""

from __future__ import annotations

import os
import pathlib

UPDATE = os.environ.get("REFSPEC_UPDATE_GOLDEN") == "1"


def check_golden(path: pathlib.Path, text: str, what: str) -> None:
    """``text`` equals the file at ``path`` (or, with REFSPEC_UPDATE_GOLDEN=1, becomes it)."""
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with REFSPEC_UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{what} changed (REFSPEC_UPDATE_GOLDEN=1 rewrites the golden files):\n"
        f"--- expected\n{expected}--- got\n{text}")
