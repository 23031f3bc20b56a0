"""C helper functions that generated kernels call, each written to give what the reference's numpy
(or scipy) loop gives: numpy's floor division and remainder (``npy_divmod``), Python-rounding integer
division, numpy's NaN and tie rules of maximum and minimum, ``logaddexp``, numpy's complex product and
quotient, the exact integer/unsigned comparisons, and double to half rounded once.

A kernel's preamble holds the helpers it uses (``preamble``), in this file's order, so the text is
deterministic. Helpers with a float and a double variant are written once with ``{T}`` (the C type)
and ``{s}`` (the libm suffix) and instantiated per type: explicit ``floorf`` / ``floor`` names, never
C++ overloads, so the same text means the same thing to nvcc and to a host compiler.
"""

from __future__ import annotations

from collections.abc import Iterable

_HEADER = "__device__ __forceinline__"

# name -> (text, helpers it calls)
_RAW: dict[str, tuple[str, tuple[str, ...]]] = {}


def _add(name: str, text: str, deps: tuple[str, ...] = ()) -> None:
    _RAW[name] = (text.strip("\n").replace("DEVICE", _HEADER), deps)


def _add_real(base: str, text: str, deps: tuple[str, ...] = ()) -> None:
    """Register ``base + '_f'`` (float) and ``base + '_d'`` (double) from one template."""
    for tag, ctype, sfx in (("_f", "float", "f"), ("_d", "double", "")):
        body = text.replace("{T}", ctype).replace("{s}", sfx).replace("{t}", tag)
        _add(base + tag, body, tuple(d + tag for d in deps))


_add("rs_f2h", """
// float -> half, rounded to nearest even (numpy's half loops end with this rounding)
DEVICE float16 rs_f2h(float x) { return float16(x); }
""")

_add("rs_d2h", """
// double -> half rounded once, as numpy's astype: truncate to float, set the last bit when inexact
// (round to odd), then round to nearest even; float keeps 13 more bits than half, so the result is
// the correctly rounded one (never a double rounding)
DEVICE float16 rs_d2h(double x) {
  float f = __double2float_rz(x);
  if ((double)f != x && x == x) f = __uint_as_float(__float_as_uint(f) | 1u);
  return float16(f);
}
""", ("rs_f2h",))

_add_real("rs_sign", """
// numpy's sign: -1, 0 or 1; sign(-0.0) is +0.0; NaN stays NaN
DEVICE {T} rs_sign{t}({T} x) {
  return x > 0 ? ({T})1 : (x < 0 ? ({T})-1 : (x == 0 ? ({T})0 : x));
}
""")

_add_real("rs_round_away", """
// the reference's round_half_away_from_zero: trunc(x) + (|x - trunc(x)| >= 0.5 ? sign(x) : 0); the
// added 0 turns -0.0 into +0.0 exactly as the reference does (C's round() would keep -0.0)
DEVICE {T} rs_round_away{t}({T} x) {
  const {T} w = trunc{s}(x);
  return w + (fabs{s}(x - w) >= ({T})0.5 ? rs_sign{t}(x) : ({T})0);
}
""", ("rs_sign",))

_add_real("rs_maximum", """
// numpy's float32/float64 maximum: NaN wins; on a tie (-0.0 and 0.0) the second operand
DEVICE {T} rs_maximum{t}({T} a, {T} b) { return (a != a || a > b) ? a : b; }
""")

_add_real("rs_minimum", """
// numpy's float32/float64 minimum: NaN wins; on a tie (-0.0 and 0.0) the second operand
DEVICE {T} rs_minimum{t}({T} a, {T} b) { return (a != a || a < b) ? a : b; }
""")

_add("rs_maximum_h", """
// numpy's float16 maximum (computed on floats): NaN wins; on a tie the first operand
DEVICE float rs_maximum_h(float a, float b) { return (a != a || a >= b) ? a : b; }
""")

_add("rs_minimum_h", """
// numpy's float16 minimum (computed on floats): NaN wins; on a tie the first operand
DEVICE float rs_minimum_h(float a, float b) { return (a != a || a <= b) ? a : b; }
""")

_add_real("rs_divmod", """
// numpy's npy_divmod: the floor quotient and the remainder with the divisor's sign, from fmod
DEVICE {T} rs_divmod{t}({T} a, {T} b, {T}* modulus) {
  {T} mod = fmod{s}(a, b);
  if (b == 0) { *modulus = mod; return a / b; }
  {T} div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) { mod += b; div -= ({T})1; }
  } else {
    mod = copysign{s}(({T})0, b);
  }
  {T} floordiv;
  if (div != 0) {
    floordiv = floor{s}(div);
    if (div - floordiv > ({T})0.5) floordiv += ({T})1;
  } else {
    floordiv = copysign{s}(({T})0, a / b);
  }
  *modulus = mod;
  return floordiv;
}
""")

_add_real("rs_floordiv", """
// numpy's npy_floor_divide
DEVICE {T} rs_floordiv{t}({T} a, {T} b) {
  if (b == 0) return a / b;
  {T} mod;
  return rs_divmod{t}(a, b, &mod);
}
""", ("rs_divmod",))

_add_real("rs_remainder", """
// numpy's npy_remainder
DEVICE {T} rs_remainder{t}({T} a, {T} b) {
  if (b == 0) return fmod{s}(a, b);
  {T} mod;
  rs_divmod{t}(a, b, &mod);
  return mod;
}
""", ("rs_divmod",))

_add_real("rs_softplus", """
// the reference's softplus, numpy's logaddexp(0, y) (npy_logaddexp with x = 0)
DEVICE {T} rs_softplus{t}({T} y) {
  const {T} x = 0;
  if (x == y) return x + ({T})0.693147180559945309417232121458176568;
  const {T} tmp = x - y;
  if (tmp > 0) return x + log1p{s}(exp{s}(-tmp));
  if (tmp <= 0) return y + log1p{s}(exp{s}(tmp));
  return tmp;
}
""")

_add("rs_gammaln", """
// scipy's gammaln (cephes lgam) where it differs from lgamma: -inf at -inf, and +inf wherever 1/x
// overflows (|x| < 1/DBL_MAX: cephes divides 1 by x first)
DEVICE double rs_gammaln(double x) {
  if (x < 0 && isinf(x)) return x;
  const double r = 1.0 / x;
  if (isinf(r)) return fabs(r);
  return lgamma(x);
}
""")

_add("rs_floordiv_s", """
// Python's floor division of signed integers (numpy's floor_divide); MIN // -1 wraps to MIN; the
// caller flags a zero divisor (the reference raises ZeroDivisionError)
template <typename T> DEVICE T rs_floordiv_s(T a, T b) {
  if (b == 0) return 0;
  if (b == (T)-1) return (T)(0ull - (unsigned long long)a);
  T q = (T)(a / b);
  if ((a % b != 0) && ((a < 0) != (b < 0))) q = (T)(q - 1);
  return q;
}
""")

_add("rs_floordiv_u", """
template <typename T> DEVICE T rs_floordiv_u(T a, T b) { return b == 0 ? (T)0 : (T)(a / b); }
""")

_add("rs_mod_s", """
// Python's modulo of signed integers (numpy's remainder): the divisor's sign; MIN % -1 is 0
template <typename T> DEVICE T rs_mod_s(T a, T b) {
  if (b == 0 || b == (T)-1) return 0;
  T r = (T)(a % b);
  if (r != 0 && ((r < 0) != (b < 0))) r = (T)(r + b);
  return r;
}
""")

_add("rs_mod_u", """
template <typename T> DEVICE T rs_mod_u(T a, T b) { return b == 0 ? (T)0 : (T)(a % b); }
""")

_add("rs_pow_i", """
// integer power by squaring in wrapping (mod 2**64) arithmetic: any order of the products gives the
// same bits; the caller flags a negative exponent (the reference raises ValueError)
template <typename T> DEVICE T rs_pow_i(T a, T b) {
  if (b < (T)0) return 0;
  unsigned long long out = 1ull, base = (unsigned long long)a, e = (unsigned long long)b;
  while (e) {
    if (e & 1ull) out *= base;
    base *= base;
    e >>= 1;
  }
  return (T)out;
}
""")

_add("rs_cmp_su", """
// int64 against uint64, exactly (numpy's qQ comparison loops): -1, 0 or 1
DEVICE int rs_cmp_su(long long a, unsigned long long b) {
  return a < 0 ? -1 : ((unsigned long long)a < b ? -1 : ((unsigned long long)a > b ? 1 : 0));
}
""")

_add("rs_cmul", """
// numpy's complex product: (ar br - ai bi, ar bi + ai br), each product rounded (no fma)
template <typename T> DEVICE complex<T> rs_cmul(complex<T> a, complex<T> b) {
  return complex<T>(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}
""")

_add_real("rs_cdiv", """
// numpy's complex quotient (Smith's method, numpy's branches and zero-divisor rule)
DEVICE complex<{T}> rs_cdiv{t}(complex<{T}> a, complex<{T}> b) {
  const {T} ar = a.real(), ai = a.imag(), br = b.real(), bi = b.imag();
  const {T} abs_br = fabs{s}(br), abs_bi = fabs{s}(bi);
  if (abs_br >= abs_bi) {
    if (abs_br == 0 && abs_bi == 0) return complex<{T}>(ar / abs_br, ai / abs_br);
    const {T} rat = bi / br;
    const {T} scl = ({T})1 / (br + bi * rat);
    return complex<{T}>((ar + ai * rat) * scl, (ai - ar * rat) * scl);
  }
  const {T} rat = br / bi;
  const {T} scl = ({T})1 / (bi + br * rat);
  return complex<{T}>((ar * rat + ai) * scl, (ai * rat - ar) * scl);
}
""")


ORDER: tuple[str, ...] = tuple(_RAW)


def helper_text(name: str) -> str:
    return _RAW[name][0]


def closure(names: Iterable[str]) -> list[str]:
    """The helpers ``names`` need (with what they call), in the file's fixed order."""
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n in wanted:
            continue
        if n not in _RAW:
            raise KeyError(f"no CUDA helper {n!r}")
        wanted.add(n)
        stack.extend(_RAW[n][1])
    return [n for n in ORDER if n in wanted]


def preamble(names: Iterable[str]) -> str:
    """The C text of the helpers ``names`` need, dependencies first (the file's order has them so)."""
    return "\n".join(helper_text(n) for n in closure(names))
