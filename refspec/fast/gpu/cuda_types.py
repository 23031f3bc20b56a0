"""refspec dtypes as CUDA C types, and exact conversions between them written as C expressions.

A value is *stored* in its dtype's C type (CuPy's names: ``float16`` is CuPy's half class,
``complex<float>`` is thrust's complex) and *computed* in its work type: float16 computes in float
and every result is rounded back to half once, which is what numpy's half loops do (convert to
float, call the float function, round), so half arithmetic agrees with numpy bit for bit.
No CuPy import here: this is text generation, tested without a GPU.
"""

from __future__ import annotations

from refspec.ast import COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, UINT_DTYPES

CTYPE: dict[str, str] = {
    "bool": "bool",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long long",
    "uint8": "unsigned char",
    "uint16": "unsigned short",
    "uint32": "unsigned int",
    "uint64": "unsigned long long",
    "float16": "float16",
    "float32": "float",
    "float64": "double",
    "complex64": "complex<float>",
    "complex128": "complex<double>",
}

# the C type arithmetic on a dtype happens in (float16: float, rounded back once per op)
WORK: dict[str, str] = {**CTYPE, "float16": "float"}

# the real dtype of a complex dtype's parts
PART: dict[str, str] = {"complex64": "float32", "complex128": "float64"}


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


def is_complex(dtype: str) -> bool:
    return dtype in COMPLEX_DTYPES


def is_signed(dtype: str) -> bool:
    return dtype in INT_DTYPES


def is_unsigned(dtype: str) -> bool:
    return dtype in UINT_DTYPES


def is_integer(dtype: str) -> bool:
    return dtype in INT_DTYPES or dtype in UINT_DTYPES


def unsigned_work(dtype: str) -> str:
    """The unsigned C type wrapping integer arithmetic of ``dtype`` happens in (no signed overflow,
    which is undefined in C; small types would otherwise promote to int and overflow there)."""
    return "unsigned long long" if dtype in ("int64", "uint64") else "unsigned int"


def suffix(dtype: str) -> str:
    """The libm name suffix of a float dtype's work type: ``f`` for float32 and float16."""
    return "" if dtype == "float64" else "f"


def read(expr: str, dtype: str) -> str:
    """A stored value as its work type."""
    return f"((float){expr})" if dtype == "float16" else expr


def store(expr: str, dtype: str) -> str:
    """A work-type value of ``dtype`` as its stored type (float16: rounded to nearest even once)."""
    return f"rs_f2h({expr})" if dtype == "float16" else expr


def convert(expr: str, src: str, dst: str) -> str:
    """``expr`` (stored type of ``src``) converted as numpy's ``astype(dst)`` converts, as a work-type
    value of ``dst``. Float to integer truncates (out of range is unspecified, spec/ops.md ``cast``);
    double to half rounds once (``rs_d2h``), as numpy does, not twice through float."""
    if src == dst:
        return read(expr, src)
    if dst == "bool":
        if is_complex(src):
            return f"({expr}.real() != 0 || {expr}.imag() != 0)"
        return f"({read(expr, src)} != 0)"
    if is_complex(dst):
        part = PART[dst]
        if is_complex(src):
            return f"{CTYPE[dst]}(({WORK[part]}){expr}.real(), ({WORK[part]}){expr}.imag())"
        return f"{CTYPE[dst]}({convert(expr, src, part)}, 0)"
    if is_complex(src):  # only reachable through real parts: complex -> real casts are type errors
        return convert(f"{expr}.real()", PART[src], dst)
    if dst == "float16":
        if src == "float64":
            return f"((float)rs_d2h({expr}))"
        # float32 rounds once; an integer is exact in float below 2**24, and from there both roads
        # give inf (half's largest finite value is 65504)
        return f"((float)rs_f2h((float){read(expr, src)}))"
    return f"(({WORK[dst]}){read(expr, src)})"
