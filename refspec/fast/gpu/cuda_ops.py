"""One C expression per elementwise op, per dtype: the GPU's elementwise semantics, table-driven.

``RULES[op](call)`` gives the expression computing the op on its operands (C expressions of their
stored values) as a work-type value of the output dtype, with the helpers it calls and the error
checks it needs, or None where that op on those dtypes stays on the host (``HOST_ONLY`` says which,
and why; a coverage test holds the two together). Operands are first converted to the dtypes of the
numpy loop the reference runs (``ufunc.resolve_dtypes``, or the float upgrade of float functions),
so the C arithmetic sees the values numpy's loop sees.

Exact where CUDA can be: integer arithmetic wraps (done in unsigned types), integer division and
modulo follow Python's rounding, floats use IEEE operations one at a time (kernels are compiled
without fma contraction), maximum/minimum follow numpy's NaN and tie rules. The kernel cannot raise:
a zero integer divisor or a negative integer exponent sets an error flag (``checks``); the runner
then re-runs the call on the reference, which raises its own error. Transcendental functions use
CUDA's libm, within a few ulps of numpy's (spec/gpu.md states the tolerance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import COMPARISON, FLOAT_FUNCTIONS, Op
from refspec.dtypes import float_upgrade, result_type
from refspec.fast.gpu.cuda_types import (
    CTYPE,
    PART,
    convert,
    is_complex,
    is_float,
    is_integer,
    is_signed,
    is_unsigned,
    suffix,
    unsigned_work,
)
from refspec.ops import DTYPE_UFUNC
from refspec.params import CastParams, Params

ERR_ZERO_DIVISOR = 1  # integer // or % by zero (the reference raises ZeroDivisionError)
ERR_NEGATIVE_POWER = 2  # integer ** negative integer (the reference raises ValueError)
ERROR_FLAG = "rs_err"  # the kernel parameter (raw int32[1]) the checks write to


@dataclass(frozen=True)
class Call:
    """One node as the table sees it: op, params, operands (C expressions of stored values, and their
    dtypes) and the output dtype."""

    op: Op
    params: Params
    args: tuple[str, ...]
    dtypes: tuple[str, ...]
    out: str


@dataclass(frozen=True)
class Emitted:
    value: str  # a C expression: the result as a work-type value of the output dtype
    helpers: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # C statements before the value (error flags)


Rule = Callable[[Call], Emitted | None]


def loop_dtypes(call: Call) -> tuple[list[str], str]:
    """The dtypes numpy's loop computes in for this call: (inputs, output)."""
    if call.op in FLOAT_FUNCTIONS:
        c = float_upgrade(result_type(*call.dtypes))
        return [c] * len(call.dtypes), c
    fn = DTYPE_UFUNC[call.op]
    resolved = getattr(fn, "resolve_dtypes")(tuple(np.dtype(d) for d in call.dtypes) + (None,))
    return [str(d.name) for d in resolved[:-1]], str(resolved[-1].name)


def _operands(call: Call, loop: Sequence[str]) -> list[str]:
    return [convert(a, d, c) for a, d, c in zip(call.args, call.dtypes, loop)]


def _wrap(op: str, a: str, b: str, dtype: str) -> str:
    """Integer ``a op b`` wrapping modulo 2**bits (unsigned arithmetic, then back to the type)."""
    u = unsigned_work(dtype)
    return f"(({CTYPE[dtype]})(({u}){a} {op} ({u}){b}))"


def _fn(name: str, dtype: str) -> str:
    """The libm function of a float dtype's work type (``expf`` for float32 and float16)."""
    return name + suffix(dtype)


def _real(dtype: str) -> str:
    return PART.get(dtype, dtype)


# -- float functions -----------------------------------------------------------------------------

def _libm(name: str, scipy_double: bool = False, helper: bool = False) -> Rule:
    """A real float function of one or two operands; complex stays on the host. ``scipy_double``:
    the reference is a scipy function whose float loops compute in double and round, so do that.
    ``helper``: ``name`` is a (double) helper of ``cuda_helpers``, not a libm function."""

    def rule(call: Call) -> Emitted | None:
        ins, c = loop_dtypes(call)
        if is_complex(c):
            return None
        xs = _operands(call, ins)
        helpers = (name,) if helper else ()
        if c != "float64" and scipy_double:
            return Emitted(f"((float){name}({', '.join(f'(double){x}' for x in xs)}))", helpers)
        return Emitted(f"{_fn(name, c)}({', '.join(xs)})", helpers)

    return rule


def _sigmoid(call: Call) -> Emitted | None:
    ins, c = loop_dtypes(call)
    (x,) = _operands(call, ins)
    if c == "float64":
        return Emitted(f"(1.0 / (1.0 + exp(-{x})))")
    return Emitted(f"(1.0f / (1.0f + expf(-{x})))")  # scipy's expit has a native float loop


def _softplus(call: Call) -> Emitted | None:
    ins, c = loop_dtypes(call)
    (x,) = _operands(call, ins)
    h = "rs_softplus_d" if c == "float64" else "rs_softplus_f"
    return Emitted(f"{h}({x})", (h,))


# -- unary ---------------------------------------------------------------------------------------

def _neg(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if is_integer(c):
        u = unsigned_work(c)
        zero = "0ull" if u == "unsigned long long" else "0u"
        return Emitted(f"(({CTYPE[c]})({zero} - ({u}){x}))")
    return Emitted(f"(-{x})")


def _abs(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if c == "bool" or is_unsigned(c):
        return Emitted(x)
    if is_signed(c):
        u = unsigned_work(c)
        return Emitted(f"(({CTYPE[c]})({x} < 0 ? ({u})0 - ({u}){x} : ({u}){x}))")
    if is_complex(c):
        return Emitted(f"{_fn('hypot', PART[c])}({x}.real(), {x}.imag())")
    return Emitted(f"{_fn('fabs', c)}({x})")


def _sqr(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if is_integer(c):
        return Emitted(_wrap("*", x, x, c))
    if is_complex(c):
        return Emitted(f"rs_cmul({x}, {x})", ("rs_cmul",))
    return Emitted(f"({x} * {x})")


def _rounding(name: str) -> Rule:
    """floor, ceil, trunc, rint: integers and bool are already whole (the reference returns them)."""

    def rule(call: Call) -> Emitted | None:
        (c,), o = loop_dtypes(call)
        (x,) = _operands(call, [c])
        if not is_float(c):
            return Emitted(x)
        return Emitted(f"{_fn(name, c)}({x})")

    return rule


def _round_away(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if not is_float(c):
        return Emitted(x)
    h = "rs_round_away_d" if c == "float64" else "rs_round_away_f"
    return Emitted(f"{h}({x})", (h,))


def _sign(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if is_complex(c):
        return None  # numpy 2's z / |z|, with its special cases: host
    if is_signed(c):
        return Emitted(f"(({CTYPE[c]})(({x} > 0) - ({x} < 0)))")
    if is_unsigned(c) or c == "bool":
        return Emitted(f"(({CTYPE[c]})({x} > 0))")
    h = "rs_sign_d" if c == "float64" else "rs_sign_f"
    return Emitted(f"{h}({x})", (h,))


def _invert(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if c == "bool":
        return Emitted(f"(!{x})")
    return Emitted(f"(({CTYPE[c]})(~{x}))")


def _isnan(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if is_complex(c):
        return Emitted(f"({x}.real() != {x}.real() || {x}.imag() != {x}.imag())")
    if is_float(c):
        return Emitted(f"({x} != {x})")
    return Emitted("false")


def _isinf(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    if is_complex(c):
        return Emitted(f"(isinf({x}.real()) || isinf({x}.imag()))")
    if is_float(c):
        return Emitted(f"isinf({x})")
    return Emitted("false")


def _real_part(call: Call) -> Emitted | None:
    (d,) = call.dtypes
    (x,) = _operands(call, [d])
    return Emitted(f"{x}.real()" if is_complex(d) else x)


def _imag_part(call: Call) -> Emitted | None:
    (d,) = call.dtypes
    (x,) = _operands(call, [d])
    return Emitted(f"{x}.imag()" if is_complex(d) else "0")


def _conj(call: Call) -> Emitted | None:
    (c,), o = loop_dtypes(call)
    (x,) = _operands(call, [c])
    return Emitted(f"conj({x})" if is_complex(c) else x)


def _cast(call: Call) -> Emitted | None:
    assert isinstance(call.params, CastParams)
    return Emitted(convert(call.args[0], call.dtypes[0], call.params.dtype))


# -- binary --------------------------------------------------------------------------------------

def _arith(symbol: str) -> Rule:
    """+ and -: bool + is logical or; integers wrap; complex parts separately."""

    def rule(call: Call) -> Emitted | None:
        ins, c = loop_dtypes(call)
        a, b = _operands(call, ins)
        if c == "bool":
            return Emitted(f"({a} || {b})")  # only add has a bool loop
        if is_integer(c):
            return Emitted(_wrap(symbol, a, b, c))
        if is_complex(c):
            return Emitted(f"{CTYPE[c]}({a}.real() {symbol} {b}.real(), {a}.imag() {symbol} {b}.imag())")
        return Emitted(f"({a} {symbol} {b})")

    return rule


def _mul(call: Call) -> Emitted | None:
    ins, c = loop_dtypes(call)
    a, b = _operands(call, ins)
    if c == "bool":
        return Emitted(f"({a} && {b})")
    if is_integer(c):
        return Emitted(_wrap("*", a, b, c))
    if is_complex(c):
        return Emitted(f"rs_cmul({a}, {b})", ("rs_cmul",))
    return Emitted(f"({a} * {b})")


def _true_div(call: Call) -> Emitted | None:
    ins, c = loop_dtypes(call)
    a, b = _operands(call, ins)
    if is_complex(c):
        h = "rs_cdiv_d" if c == "complex128" else "rs_cdiv_f"
        return Emitted(f"{h}({a}, {b})", (h,))
    return Emitted(f"({a} / {b})")


def _flag(cond: str, code: int) -> str:
    # CuPy declares an elementwise kernel's raw *input* arrays const: the flag is written through a
    # cast (NVRTC rejects the plain assignment; seen on an H200 with CuPy 14.2)
    return f"if ({cond}) *(int*)&{ERROR_FLAG}[0] = {code};"


def _int_div_or_mod(signed_h: str, unsigned_h: str, float_h: str) -> Rule:
    def rule(call: Call) -> Emitted | None:
        ins, c = loop_dtypes(call)
        a, b = _operands(call, ins)
        if is_integer(c):
            h = signed_h if is_signed(c) else unsigned_h
            return Emitted(f"{h}<{CTYPE[c]}>({a}, {b})", (h,), (_flag(f"{b} == 0", ERR_ZERO_DIVISOR),))
        h = float_h + ("_d" if c == "float64" else "_f")
        return Emitted(f"{h}({a}, {b})", (h,))

    return rule


def _pow(call: Call) -> Emitted | None:
    ins, c = loop_dtypes(call)
    a, b = _operands(call, ins)
    if is_complex(c):
        return None  # numpy's complex power special-cases small integer exponents: host
    if is_integer(c):
        checks = (_flag(f"{b} < 0", ERR_NEGATIVE_POWER),) if is_signed(c) else ()
        return Emitted(f"rs_pow_i<{CTYPE[c]}>({a}, {b})", ("rs_pow_i",), checks)
    return Emitted(f"{_fn('pow', c)}({a}, {b})")


def _extremum(kind: str) -> Rule:
    """maximum / minimum with numpy's rules (NaN wins; its tie rule per float dtype)."""

    def rule(call: Call) -> Emitted | None:
        ins, c = loop_dtypes(call)
        a, b = _operands(call, ins)
        return _extremum_of(kind, a, b, c)

    return rule


def _extremum_of(kind: str, a: str, b: str, c: str) -> Emitted:
    if not is_float(c):
        symbol = ">" if kind == "maximum" else "<"
        return Emitted(f"({a} {symbol} {b} ? {a} : {b})")
    h = f"rs_{kind}_" + {"float64": "d", "float32": "f", "float16": "h"}[c]
    return Emitted(f"{h}({a}, {b})", (h,))


_C_COMPARE = {Op.LT: "<", Op.GT: ">", Op.LE: "<=", Op.GE: ">=", Op.EQ: "==", Op.NEQ: "!="}


def _compare(call: Call) -> Emitted | None:
    ins, _ = loop_dtypes(call)
    a, b = _operands(call, ins)
    symbol = _C_COMPARE[call.op]
    if ins[0] != ins[1]:  # numpy's exact int64 / uint64 loops
        if is_signed(ins[0]):
            return Emitted(f"(rs_cmp_su({a}, {b}) {symbol} 0)", ("rs_cmp_su",))
        return Emitted(f"(0 {symbol} rs_cmp_su({b}, {a}))", ("rs_cmp_su",))
    if is_complex(ins[0]):
        same = f"({a}.real() == {b}.real() && {a}.imag() == {b}.imag())"
        return Emitted(same if call.op is Op.EQ else f"(!{same})")  # only eq and neq take complex
    return Emitted(f"({a} {symbol} {b})")


def _bitwise(symbol: str) -> Rule:
    def rule(call: Call) -> Emitted | None:
        ins, c = loop_dtypes(call)
        a, b = _operands(call, ins)
        if c == "bool":
            return Emitted(f"(bool)({a} {symbol} {b})")
        return Emitted(f"(({CTYPE[c]})({a} {symbol} {b}))")

    return rule


def _second(call: Call) -> Emitted | None:
    return Emitted(convert(call.args[1], call.dtypes[1], call.out))


# -- ternary -------------------------------------------------------------------------------------

def _switch(call: Call) -> Emitted | None:
    cond = convert(call.args[0], call.dtypes[0], "bool")  # cond.astype(bool): NaN is true
    a = convert(call.args[1], call.dtypes[1], call.out)
    b = convert(call.args[2], call.dtypes[2], call.out)
    return Emitted(f"({cond} ? {a} : {b})")


def _clip(call: Call) -> Emitted | None:
    """minimum(maximum(x, lo), hi) in the dtype of all three (as the reference)."""
    c = call.out
    x, lo, hi = (convert(a, d, c) for a, d in zip(call.args, call.dtypes))
    inner = _extremum_of("maximum", x, lo, c)
    outer = _extremum_of("minimum", inner.value, hi, c)
    return Emitted(outer.value, inner.helpers + outer.helpers)


def _host_only(call: Call) -> Emitted | None:
    return None


RULES: dict[Op, Rule] = {
    Op.NEG: _neg, Op.ABS: _abs, Op.SQR: _sqr, Op.SIGN: _sign, Op.INVERT: _invert,
    Op.EXP: _libm("exp"), Op.EXP2: _libm("exp2"), Op.EXPM1: _libm("expm1"), Op.LOG: _libm("log"),
    Op.LOG2: _libm("log2"), Op.LOG10: _libm("log10"), Op.LOG1P: _libm("log1p"), Op.SQRT: _libm("sqrt"),
    Op.SIN: _libm("sin"), Op.COS: _libm("cos"), Op.TAN: _libm("tan"), Op.ARCSIN: _libm("asin"),
    Op.ARCCOS: _libm("acos"), Op.ARCTAN: _libm("atan"), Op.SINH: _libm("sinh"), Op.COSH: _libm("cosh"),
    Op.TANH: _libm("tanh"), Op.ARCTAN2: _libm("atan2"),
    Op.ERF: _libm("erf", scipy_double=True), Op.ERFC: _libm("erfc", scipy_double=True),
    Op.ERFINV: _libm("erfinv", scipy_double=True), Op.GAMMA: _libm("tgamma", scipy_double=True),
    Op.GAMMALN: _libm("rs_gammaln", scipy_double=True, helper=True), Op.PSI: _host_only,
    Op.SIGMOID: _sigmoid, Op.SOFTPLUS: _softplus,
    Op.FLOOR: _rounding("floor"), Op.CEIL: _rounding("ceil"), Op.TRUNC: _rounding("trunc"),
    Op.ROUND_HALF_EVEN: _rounding("rint"), Op.ROUND_HALF_AWAY: _round_away,
    Op.ISNAN: _isnan, Op.ISINF: _isinf, Op.REAL: _real_part, Op.IMAG: _imag_part, Op.CONJ: _conj,
    Op.CAST: _cast,
    Op.ADD: _arith("+"), Op.SUB: _arith("-"), Op.MUL: _mul, Op.TRUE_DIV: _true_div,
    Op.INT_DIV: _int_div_or_mod("rs_floordiv_s", "rs_floordiv_u", "rs_floordiv"),
    Op.MOD: _int_div_or_mod("rs_mod_s", "rs_mod_u", "rs_remainder"),
    Op.POW: _pow, Op.MAXIMUM: _extremum("maximum"), Op.MINIMUM: _extremum("minimum"),
    **{op: _compare for op in COMPARISON},
    Op.AND: _bitwise("&"), Op.OR: _bitwise("|"), Op.XOR: _bitwise("^"), Op.SECOND: _second,
    Op.SWITCH: _switch, Op.CLIP: _clip,
}

# what stays on the host (the reference kernel, copied in and out, listed by ``report()``), and why
HOST_ONLY: dict[Op, str] = {
    Op.PSI: "all dtypes: CUDA's libm has no digamma",
    Op.SIGN: "complex: numpy 2's z/|z| with its special cases",
    Op.POW: "complex: numpy special-cases small integer exponents",
    **{op: "complex: numpy's complex functions and thrust's differ in their special values"
       for op in FLOAT_FUNCTIONS - {Op.PSI}},
}


def emit(call: Call) -> Emitted | None:
    """The op's C expression on these operands, or None where it runs on the host."""
    return RULES[call.op](call)
