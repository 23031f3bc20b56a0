"""Coverage of the op vocabulary: every op has a type rule, a reference implementation and a section in
spec/ops.md; the spec pages README lists exist, and links between pages resolve."""

from __future__ import annotations

import re
from pathlib import Path

from refspec.ast import Op
from refspec.interp.reference import REFERENCE
from refspec.ops import OPS

SPEC = Path(__file__).resolve().parents[2] / "spec"
OP_NAMES = {op.value for op in Op}
HEADING = re.compile(r"^### `([^`]+)`[ \t]*$", re.MULTILINE)
LINK = re.compile(r"\]\(([\w.-]+\.md)(?:#([\w-]+))?\)")
VERSION = re.compile(r"^spec version (\d+\.\d+)\b", re.MULTILINE)


def _read(name: str) -> str:
    return (SPEC / name).read_text(encoding="utf-8")


def _op_sections() -> dict[str, str]:
    """The text of each ``### `name``` section of spec/ops.md, keyed by name."""
    text = _read("ops.md")
    matches = list(HEADING.finditer(text))
    sections: dict[str, str] = {}
    for k, match in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        body = text[match.end():end]
        sections[match.group(1)] = body.split("\n## ", 1)[0]  # a section ends at the next "## " too
    return sections


def _slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_op_has_an_inference_rule() -> None:
    missing = set(Op) - set(OPS)
    extra = set(OPS) - set(Op)
    assert not missing, f"ops without a row in refspec.ops.OPS: {sorted(o.value for o in missing)}"
    assert not extra, f"OPS rows for unknown ops: {extra}"


def test_every_op_has_a_reference_implementation() -> None:
    missing = set(Op) - set(REFERENCE)
    extra = set(REFERENCE) - set(Op)
    assert not missing, f"ops without a REFERENCE implementation: {sorted(o.value for o in missing)}"
    assert not extra, f"REFERENCE entries for unknown ops: {extra}"


def test_every_op_has_a_spec_section() -> None:
    headings = HEADING.findall(_read("ops.md"))
    missing = sorted(OP_NAMES - set(headings))
    unknown = sorted(set(headings) - OP_NAMES)
    repeated = sorted({h for h in headings if headings.count(h) > 1})
    assert not missing, f"ops without a '### `name`' section in spec/ops.md: {missing}"
    assert not unknown, f"spec/ops.md sections that name no op: {unknown}"
    assert not repeated, f"ops with more than one section in spec/ops.md: {repeated}"


def test_every_op_section_has_an_example() -> None:
    sections = _op_sections()
    without = sorted(name for name, body in sections.items() if ">>> " not in body)
    assert not without, f"spec/ops.md sections without a runnable example: {without}"


def test_pages_listed_in_readme_exist() -> None:
    listed = {page for page, _ in LINK.findall(_read("README.md"))}
    assert {"types.md", "function.md", "ops.md", "CHANGELOG.md"} <= listed
    missing = sorted(page for page in listed if not (SPEC / page).is_file())
    assert not missing, f"spec/README.md lists pages that do not exist: {missing}"
    unlisted = sorted(p.name for p in SPEC.glob("*.md") if p.name != "README.md" and p.name not in listed)
    assert not unlisted, f"spec pages missing from spec/README.md: {unlisted}"


def test_links_between_pages_resolve() -> None:
    broken: list[str] = []
    for page in sorted(SPEC.glob("*.md")):
        for target, anchor in LINK.findall(page.read_text(encoding="utf-8")):
            path = SPEC / target
            if not path.is_file():
                broken.append(f"{page.name}: {target}")
                continue
            if anchor:
                slugs = {_slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)}
                if anchor not in slugs:
                    broken.append(f"{page.name}: {target}#{anchor}")
    assert not broken, f"links to missing pages or headings: {broken}"


def test_pages_state_one_spec_version() -> None:
    versions = VERSION.findall(_read("README.md"))
    assert len(versions) == 1, "spec/README.md must state its version once, as 'spec version X.Y'"
    version = versions[0]
    stale = sorted(
        p.name for p in SPEC.glob("*.md") if p.name != "CHANGELOG.md" and VERSION.findall(p.read_text()) != [version]
    )
    assert not stale, f"pages that do not state 'spec version {version}': {stale}"
    assert re.search(rf"^## {re.escape(version)}\b", _read("CHANGELOG.md"), re.M), "CHANGELOG lacks this version"
