"""A stand-in for CuPy on the host, so the GPU runner's Python (plan execution, lowerings, device
mirrors, commits, errors) runs in tests on machines without a GPU.

Device arrays are ``FakeArray`` objects wrapping numpy arrays. Like CuPy's, they refuse implicit
conversion to numpy (``np.asarray(device_array)`` raises TypeError: the runner must download with
``.get()``/``asnumpy``), take part in numpy functions and ufuncs (``__array_function__``,
``__array_ufunc__``), and make every result a device array (reductions give 0-d arrays, not
scalars). ``ElementwiseKernel`` and ``RawModule`` compile the generated CUDA text with the host's
C++ compiler (``tests/gpu/hostcc.py``) and run it; like CuPy, a kernel takes device arrays and
numpy scalars but not numpy arrays.

What this cannot tell: how CuPy itself behaves where it differs from numpy (NaN in argmax, the
summation order of reductions, cuBLAS), and CUDA's libm: tests/gpu/test_on_gpu.py runs the same
checks on a real GPU.
"""

from __future__ import annotations

import ctypes
import operator
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from refspec.fast.gpu.cuda_source import KernelSpec

from . import hostcc


class FakeArray:
    """A 'device' array: a numpy array that will not convert implicitly."""

    __slots__ = ("a",)
    __array_priority__ = 100.0

    def __init__(self, a: Any):
        self.a = np.asarray(a)

    def __array__(self, *args: object, **kwargs: object) -> np.ndarray[Any, Any]:
        raise TypeError("Implicit conversion to a NumPy array is not allowed (fake CuPy): use .get()")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return wrap(func(*unwrap(args), **unwrap(kwargs)))

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return wrap(getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs)))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.a.dtype

    @property
    def ndim(self) -> int:
        return int(self.a.ndim)

    @property
    def size(self) -> int:
        return int(self.a.size)

    @property
    def T(self) -> FakeArray:
        return FakeArray(self.a.T)

    def get(self) -> np.ndarray[Any, Any]:
        return self.a.copy()

    def fill(self, value: object) -> None:
        self.a.fill(value)

    def view(self, dtype: Any) -> FakeArray:
        return FakeArray(self.a.view(dtype))

    def scatter_add(self, where: Any, value: Any) -> None:
        np.add.at(self.a, unwrap(where), unwrap(value))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.a, name)
        if callable(attr):
            return lambda *args, **kwargs: wrap(attr(*unwrap(args), **unwrap(kwargs)))
        return wrap(attr)

    def __getitem__(self, key: Any) -> FakeArray:
        return FakeArray(self.a[unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self.a[unwrap(key)] = unwrap(value)

    def __len__(self) -> int:
        return len(self.a)

    def __iter__(self) -> Any:
        return (FakeArray(row) for row in self.a)

    def __bool__(self) -> bool:
        return bool(self.a)

    def __int__(self) -> int:
        return int(self.a)

    def __float__(self) -> float:
        return float(self.a)

    def __repr__(self) -> str:
        return f"FakeArray({self.a!r})"


def _binary(fn: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[[FakeArray, Any], Any]:
    if reflected:
        return lambda self, other: wrap(fn(unwrap(other), self.a))
    return lambda self, other: wrap(fn(self.a, unwrap(other)))


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor"):
    _fn = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(FakeArray, f"__{_name}__", _binary(_fn))
    setattr(FakeArray, f"__r{_name}__", _binary(_fn, reflected=True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_name}__", _binary(getattr(operator, _name)))
FakeArray.__neg__ = lambda self: FakeArray(-self.a)  # type: ignore[attr-defined]
FakeArray.__invert__ = lambda self: FakeArray(~self.a)  # type: ignore[attr-defined]
FakeArray.__iadd__ = lambda self, other: _iadd(self, other)  # type: ignore[attr-defined]


def _iadd(self: FakeArray, other: Any) -> FakeArray:
    self.a += unwrap(other)
    return self


def wrap(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)):
        return FakeArray(x)
    if isinstance(x, tuple):
        return tuple(wrap(v) for v in x)
    if isinstance(x, list):
        return [wrap(v) for v in x]
    return x


def unwrap(x: Any) -> Any:
    if isinstance(x, FakeArray):
        return x.a
    if isinstance(x, tuple):
        return tuple(unwrap(v) for v in x)
    if isinstance(x, list):
        return [unwrap(v) for v in x]
    if isinstance(x, dict):
        return {k: unwrap(v) for k, v in x.items()}
    return x


class ElementwiseKernel:
    """CuPy's ElementwiseKernel, compiled for the host. Kernels made before a first call are compiled
    together, in one compiler run (a program binds all its kernels before it runs)."""

    _pending: list[ElementwiseKernel] = []

    def __init__(self, in_params: str, out_params: str, operation: str, name: str,
                 preamble: str = "", options: Sequence[str] = ()):
        self.spec = KernelSpec(name, in_params, out_params, operation, preamble, "raw int32" in in_params)
        self.host: hostcc.HostKernels | None = None
        self.index = 0
        ElementwiseKernel._pending.append(self)

    def _compile(self) -> hostcc.HostKernels:
        batch = [k for k in ElementwiseKernel._pending if k.host is None]
        ElementwiseKernel._pending = []
        lib = hostcc.HostKernels([k.spec for k in batch])
        for i, k in enumerate(batch):
            k.host, k.index = lib, i
        assert self.host is not None
        return self.host

    def __call__(self, *args: Any) -> FakeArray:
        for a in args:
            if isinstance(a, np.ndarray):
                raise TypeError(f"Unsupported type {type(a)} (fake CuPy: numpy arrays are not kernel arguments)")
        expected = len(self.spec.in_params.split(","))
        if len(args) != expected:
            raise TypeError(f"Wrong number of arguments for {self.spec.name!r}: {len(args)} given, {expected} expected")
        host = self.host if self.host is not None else self._compile()
        values = list(args)
        err = None
        if self.spec.uses_error_flag:
            err = values.pop()
            assert isinstance(err, FakeArray) and err.dtype == np.int32
        if not any(isinstance(v, FakeArray) for v in values):  # raw arrays do not size the loop
            raise ValueError("Loop size is undecided.")  # CuPy's error: no output given, only scalars
        out, _ = host.run(self.index, [unwrap(v) for v in values], err=None if err is None else err.a)
        return FakeArray(out)


class _RawFunction:
    def __init__(self, fn: Any):
        self.fn = fn

    def __call__(self, grid: tuple[int, ...], block: tuple[int, ...], args: Sequence[Any]) -> None:
        converted: list[Any] = []
        for a in args:
            if isinstance(a, FakeArray):
                assert a.a.flags.c_contiguous
                converted.append(ctypes.c_void_p(a.a.ctypes.data))
            elif isinstance(a, np.uint64):
                converted.append(ctypes.c_ulonglong(int(a)))
            else:
                raise TypeError(f"fake RawKernel: unsupported argument {type(a)}")
        self.fn(*converted)


class RawModule:
    def __init__(self, code: str, options: Sequence[str] = ()):
        self.lib = hostcc.build(code)

    def get_function(self, name: str) -> _RawFunction:
        return _RawFunction(getattr(self.lib, name))


_REDUCTIONS = frozenset({"sum", "prod", "max", "min", "all", "any", "argmax", "argmin"})


def _wrapped(name: str) -> Callable[..., Any]:
    fn = getattr(np, name)

    def call(*args: Any, **kwargs: Any) -> Any:
        if name in _REDUCTIONS and kwargs.get("axis") not in (None, ()) and np.ndim(unwrap(args[0])) == 0:
            # numpy reduces a 0-d array over axis 0 or -1; CuPy raises (seen on an H200, CuPy 14.2)
            raise np.exceptions.AxisError(f"axis {kwargs['axis']} is out of bounds for array of dimension 0")
        if name == "tensordot" and any(np.ndim(unwrap(a)) == 0 for a in args[:2]):
            raise ValueError("An input is zero-dim while axes has dimensions")  # CuPy's, even with no axes
        return wrap(fn(*unwrap(args), **unwrap(kwargs)))

    return call


def asarray(x: Any, dtype: Any = None) -> FakeArray:
    if isinstance(x, FakeArray):
        return x if dtype is None else FakeArray(x.a.astype(dtype, copy=False))
    return FakeArray(np.array(x, dtype=dtype, copy=True))  # an upload is a copy


def asnumpy(x: Any) -> np.ndarray[Any, Any]:
    return x.a.copy() if isinstance(x, FakeArray) else np.asarray(x)


def make_module() -> SimpleNamespace:
    """The fake ``cupy`` module (only what refspec.fast.gpu uses)."""
    mod = SimpleNamespace(
        ndarray=FakeArray, asarray=asarray, asnumpy=asnumpy, ElementwiseKernel=ElementwiseKernel,
        RawModule=RawModule,
        cuda=SimpleNamespace(Device=lambda *a: SimpleNamespace(id=0, use=lambda: None, synchronize=lambda: None),
                             runtime=SimpleNamespace(getDeviceCount=lambda: 1,
                                                     getDeviceProperties=lambda i: {"name": b"fake CuPy (host)"})),
        __version__="fake",
    )
    for name in ("zeros", "empty", "arange", "sum", "prod", "max", "min", "all", "any", "argmax", "argmin",
                 "dot", "tensordot", "matmul", "concatenate", "broadcast_to", "ascontiguousarray", "nonzero",
                 "unique", "exp", "log", "sqrt", "cos", "sin", "stack"):
        setattr(mod, name, _wrapped(name))
    return mod
