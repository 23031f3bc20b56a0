"""Type constructors with Theano's names: ``dscalar``, ``fmatrix``, ``tensor3``, plural forms ...

``T.dmatrix`` is a ``TensorType`` singleton; calling it makes a variable (``T.dmatrix('x')``), so
``x.type is T.dmatrix``. The letterless forms (``T.matrix``) are functions taking ``dtype=``
(default ``config.floatX``).
"""

from __future__ import annotations

from collections.abc import Callable

from refspec.ast import TensorType, Variable
from refspec.config import config
from refspec.tensor.var import TensorVariable

LETTERS = {
    "b": "int8", "w": "int16", "i": "int32", "l": "int64",
    "f": "float32", "d": "float64", "c": "complex64", "z": "complex128",
}
KINDS: dict[str, tuple[bool, ...]] = {
    "scalar": (), "vector": (False,), "row": (True, False), "col": (False, True),
    "matrix": (False, False),
    **{f"tensor{n}": (False,) * n for n in range(3, 8)},
}
PLURALS = {
    "scalar": "scalars", "vector": "vectors", "row": "rows", "col": "cols", "matrix": "matrices",
    **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)},
}

TYPES: dict[str, TensorType] = {
    letter + kind: TensorType(dtype, pattern) for letter, dtype in LETTERS.items() for kind, pattern in KINDS.items()
}


def _variable(type: TensorType, name: str | None) -> TensorVariable:
    v = type(name)
    assert isinstance(v, TensorVariable)
    return v


def _letterless(kind: str) -> Callable[..., TensorVariable]:
    pattern = KINDS[kind]

    def make(name: str | None = None, dtype: str | None = None, shape: tuple[int | None, ...] | None = None) -> TensorVariable:
        target = config.floatX if dtype in (None, "floatX") else dtype
        if shape is not None:
            return _variable(TensorType(target, shape=shape), name)
        return _variable(TensorType(target, pattern), name)

    make.__name__ = kind
    make.__doc__ = f"A symbolic {kind} (ndim {len(pattern)}); dtype defaults to config.floatX."
    return make


def plural(make: Callable[[str | None], Variable]) -> Callable[..., Variable | list[Variable]]:
    """Theano's plural constructors: ``dscalars(3)``, ``dscalars('a', 'b')``, ``scalars('abc')``
    (a single string makes one variable per character; a single one-character name, one variable)."""

    def many(*names: str | int) -> Variable | list[Variable]:
        if len(names) == 1 and isinstance(names[0], int):
            return [make(None) for _ in range(names[0])]
        flat = list(str(names[0])) if len(names) == 1 else [str(n) for n in names]
        if len(flat) == 1:
            return make(flat[0])
        return [make(n) for n in flat]

    return many


scalar = _letterless("scalar")
vector = _letterless("vector")
row = _letterless("row")
col = _letterless("col")
matrix = _letterless("matrix")
tensor3 = _letterless("tensor3")
tensor4 = _letterless("tensor4")
tensor5 = _letterless("tensor5")
tensor6 = _letterless("tensor6")
tensor7 = _letterless("tensor7")


def tensor(dtype: str | None = None, broadcastable: tuple[bool, ...] | None = None, name: str | None = None, shape: tuple[int | None, ...] | None = None) -> TensorVariable:
    """A symbolic tensor of any type (``T.tensor('float32', (False, True))``)."""
    target = config.floatX if dtype in (None, "floatX") else dtype
    if shape is not None:
        return _variable(TensorType(target, shape=shape), name)
    return _variable(TensorType(target, broadcastable or ()), name)


# predefined singleton types: T.dmatrix is a TensorType; T.dmatrix('x') makes a variable
bscalar = TYPES["bscalar"]
bvector = TYPES["bvector"]
brow = TYPES["brow"]
bcol = TYPES["bcol"]
bmatrix = TYPES["bmatrix"]
btensor3 = TYPES["btensor3"]
btensor4 = TYPES["btensor4"]
btensor5 = TYPES["btensor5"]
btensor6 = TYPES["btensor6"]
btensor7 = TYPES["btensor7"]
wscalar = TYPES["wscalar"]
wvector = TYPES["wvector"]
wrow = TYPES["wrow"]
wcol = TYPES["wcol"]
wmatrix = TYPES["wmatrix"]
wtensor3 = TYPES["wtensor3"]
wtensor4 = TYPES["wtensor4"]
wtensor5 = TYPES["wtensor5"]
wtensor6 = TYPES["wtensor6"]
wtensor7 = TYPES["wtensor7"]
iscalar = TYPES["iscalar"]
ivector = TYPES["ivector"]
irow = TYPES["irow"]
icol = TYPES["icol"]
imatrix = TYPES["imatrix"]
itensor3 = TYPES["itensor3"]
itensor4 = TYPES["itensor4"]
itensor5 = TYPES["itensor5"]
itensor6 = TYPES["itensor6"]
itensor7 = TYPES["itensor7"]
lscalar = TYPES["lscalar"]
lvector = TYPES["lvector"]
lrow = TYPES["lrow"]
lcol = TYPES["lcol"]
lmatrix = TYPES["lmatrix"]
ltensor3 = TYPES["ltensor3"]
ltensor4 = TYPES["ltensor4"]
ltensor5 = TYPES["ltensor5"]
ltensor6 = TYPES["ltensor6"]
ltensor7 = TYPES["ltensor7"]
fscalar = TYPES["fscalar"]
fvector = TYPES["fvector"]
frow = TYPES["frow"]
fcol = TYPES["fcol"]
fmatrix = TYPES["fmatrix"]
ftensor3 = TYPES["ftensor3"]
ftensor4 = TYPES["ftensor4"]
ftensor5 = TYPES["ftensor5"]
ftensor6 = TYPES["ftensor6"]
ftensor7 = TYPES["ftensor7"]
dscalar = TYPES["dscalar"]
dvector = TYPES["dvector"]
drow = TYPES["drow"]
dcol = TYPES["dcol"]
dmatrix = TYPES["dmatrix"]
dtensor3 = TYPES["dtensor3"]
dtensor4 = TYPES["dtensor4"]
dtensor5 = TYPES["dtensor5"]
dtensor6 = TYPES["dtensor6"]
dtensor7 = TYPES["dtensor7"]
cscalar = TYPES["cscalar"]
cvector = TYPES["cvector"]
crow = TYPES["crow"]
ccol = TYPES["ccol"]
cmatrix = TYPES["cmatrix"]
ctensor3 = TYPES["ctensor3"]
ctensor4 = TYPES["ctensor4"]
ctensor5 = TYPES["ctensor5"]
ctensor6 = TYPES["ctensor6"]
ctensor7 = TYPES["ctensor7"]
zscalar = TYPES["zscalar"]
zvector = TYPES["zvector"]
zrow = TYPES["zrow"]
zcol = TYPES["zcol"]
zmatrix = TYPES["zmatrix"]
ztensor3 = TYPES["ztensor3"]
ztensor4 = TYPES["ztensor4"]
ztensor5 = TYPES["ztensor5"]
ztensor6 = TYPES["ztensor6"]
ztensor7 = TYPES["ztensor7"]

# plural constructors
scalars = plural(scalar)
bscalars = plural(bscalar)
wscalars = plural(wscalar)
iscalars = plural(iscalar)
lscalars = plural(lscalar)
fscalars = plural(fscalar)
dscalars = plural(dscalar)
cscalars = plural(cscalar)
zscalars = plural(zscalar)
vectors = plural(vector)
bvectors = plural(bvector)
wvectors = plural(wvector)
ivectors = plural(ivector)
lvectors = plural(lvector)
fvectors = plural(fvector)
dvectors = plural(dvector)
cvectors = plural(cvector)
zvectors = plural(zvector)
rows = plural(row)
brows = plural(brow)
wrows = plural(wrow)
irows = plural(irow)
lrows = plural(lrow)
frows = plural(frow)
drows = plural(drow)
crows = plural(crow)
zrows = plural(zrow)
cols = plural(col)
bcols = plural(bcol)
wcols = plural(wcol)
icols = plural(icol)
lcols = plural(lcol)
fcols = plural(fcol)
dcols = plural(dcol)
ccols = plural(ccol)
zcols = plural(zcol)
matrices = plural(matrix)
bmatrices = plural(bmatrix)
wmatrices = plural(wmatrix)
imatrices = plural(imatrix)
lmatrices = plural(lmatrix)
fmatrices = plural(fmatrix)
dmatrices = plural(dmatrix)
cmatrices = plural(cmatrix)
zmatrices = plural(zmatrix)
tensor3s = plural(tensor3)
btensor3s = plural(btensor3)
wtensor3s = plural(wtensor3)
itensor3s = plural(itensor3)
ltensor3s = plural(ltensor3)
ftensor3s = plural(ftensor3)
dtensor3s = plural(dtensor3)
ctensor3s = plural(ctensor3)
ztensor3s = plural(ztensor3)
tensor4s = plural(tensor4)
btensor4s = plural(btensor4)
wtensor4s = plural(wtensor4)
itensor4s = plural(itensor4)
ltensor4s = plural(ltensor4)
ftensor4s = plural(ftensor4)
dtensor4s = plural(dtensor4)
ctensor4s = plural(ctensor4)
ztensor4s = plural(ztensor4)
tensor5s = plural(tensor5)
btensor5s = plural(btensor5)
wtensor5s = plural(wtensor5)
itensor5s = plural(itensor5)
ltensor5s = plural(ltensor5)
ftensor5s = plural(ftensor5)
dtensor5s = plural(dtensor5)
ctensor5s = plural(ctensor5)
ztensor5s = plural(ztensor5)
tensor6s = plural(tensor6)
btensor6s = plural(btensor6)
wtensor6s = plural(wtensor6)
itensor6s = plural(itensor6)
ltensor6s = plural(ltensor6)
ftensor6s = plural(ftensor6)
dtensor6s = plural(dtensor6)
ctensor6s = plural(ctensor6)
ztensor6s = plural(ztensor6)
tensor7s = plural(tensor7)
btensor7s = plural(btensor7)
wtensor7s = plural(wtensor7)
itensor7s = plural(itensor7)
ltensor7s = plural(ltensor7)
ftensor7s = plural(ftensor7)
dtensor7s = plural(dtensor7)
ctensor7s = plural(ctensor7)
ztensor7s = plural(ztensor7)
