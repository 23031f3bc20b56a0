"""Random draws as graphs (spec/random.md): the state value, the shared state variable, the functional
builders (``uniform(state, size, low, high) -> (new_state, value)``, Theano's ``raw_random``) and the
stream class that ``RandomStreams`` and ``MRG_RandomStreams`` share.

A draw never changes its state: a ``random`` node returns the next state, and a stream's variable
``rv`` reads the shared state ``rv.rng`` whose ``default_update`` is that next state, so every
function call advances it once (spec/function.md, default updates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from refspec.ast import Array, Op, TensorType, Variable
from refspec.config import config
from refspec.dtypes import is_complex, is_float, is_integer, result_type
from refspec.ops import make_node
from refspec.params import RandomParams
from refspec.tensor.basic import Operand, as_tensor_variable, cast, constant, second, sub
from refspec.tensor.shape_ops import shape, shape_padleft, shape_vector
from refspec.tensor.var import TensorSharedVariable, TensorVariable

STATE_TYPE = TensorType("uint32", shape=(4,))
RawDraw = tuple[TensorVariable, TensorVariable]


def _seed_state(seed: int, index: int) -> Array:
    # the generator is defined in the interpreter's module (numpy only); seeding computes a value
    from refspec.interp.random import seed_state

    return seed_state(seed, index)


class PhiloxState(np.ndarray[tuple[int], np.dtype[np.uint32]]):
    """The value of a random state: the uint32 vector ``[k0, k1, c_lo, c_hi]`` (a Philox key and a
    64-bit draw counter), with numpy ``RandomState``'s ``seed``, ``get_state`` and ``set_state``.

    It is an ndarray, so it compares, prints and converts as one; ``seed`` and ``set_state`` change it
    in place (so a state obtained with ``get_value(borrow=True)`` changes the shared variable too).
    """

    def __new__(cls, seed: int | None = 0) -> PhiloxState:
        words = _seed_state(0 if seed is None else seed, 0)
        return np.asarray(words, dtype=np.uint32).view(cls)

    @classmethod
    def wrap(cls, words: Array) -> PhiloxState:
        """A view of a uint32 vector of length 4 as a state (no copy)."""
        if words.dtype != np.uint32 or words.shape != (4,):
            raise ValueError(f"a random state is a uint32 vector of length 4, "
                             f"got {words.dtype}{list(words.shape)}")
        return words.view(cls)

    def seed(self, seed: int = 0) -> None:
        """Reseed in place: the state of variable 0 of a stream seeded with ``seed`` (counter 0)."""
        self[...] = _seed_state(seed, 0)

    def get_state(self) -> Array:
        """A copy of the four words (a plain ndarray): give it to ``set_state`` to come back here."""
        return np.array(self, dtype=np.uint32, subok=False)

    def set_state(self, state: npt.ArrayLike) -> None:
        """Set the four words in place from ``get_state()``'s result (or any state value)."""
        words = np.asarray(state)
        in_range = words.dtype.kind in "iu" and not (np.any(words < 0) or np.any(words > 0xFFFFFFFF))
        if words.shape != (4,) or not in_range:
            raise ValueError(f"set_state takes four uint32 words, got {state!r}")
        self[...] = words.astype(np.uint32)

    @property
    def key(self) -> tuple[int, int]:
        return int(self[0]), int(self[1])

    @property
    def counter(self) -> int:
        return int(self[2]) | (int(self[3]) << 32)

    def __repr__(self) -> str:
        if self.shape != (4,) or self.dtype != np.uint32:
            return repr(np.asarray(self))
        return f"PhiloxState(key=(0x{self.key[0]:08x}, 0x{self.key[1]:08x}), counter={self.counter})"


class RandomStateSharedVariable(TensorSharedVariable):
    """A shared random state (``rv.rng``): a ``uint32`` vector of length 4 whose ``get_value`` is a
    ``PhiloxState`` and whose ``set_value`` takes one back (or any four uint32 words)."""

    def __init__(self, value: npt.ArrayLike, name: str | None = None, index: int = 0):
        words = np.array(value, dtype=np.uint32)
        if words.shape != (4,):
            raise ValueError(f"a random state is a uint32 vector of length 4, got shape {words.shape}")
        super().__init__(STATE_TYPE, words, name)
        self.stream_index = index  # the variable's position in its stream: seed(s) uses it

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> PhiloxState:
        return PhiloxState.wrap(super().get_value(borrow=borrow))

    def set_value(self, value: object, borrow: bool = False) -> None:
        if isinstance(value, (np.random.RandomState, np.random.Generator)):
            raise TypeError("refspec random states are PhiloxState values (four uint32 words), not numpy "
                            "generators; reseed with state.seed(n) or stream.seed(n)")
        super().set_value(value, borrow=borrow)


def random_state(seed: int = 0, name: str | None = None) -> RandomStateSharedVariable:
    """A fresh shared random state, seeded as variable 0 of a stream with this seed."""
    return RandomStateSharedVariable(_seed_state(seed, 0), name)


# -- building draws ----------------------------------------------------------------------------

def _is_weak(x: object) -> bool:
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def _state(random_state: Operand) -> TensorVariable:
    s = as_tensor_variable(random_state)
    if s.dtype != "uint32" or s.ndim != 1:
        raise TypeError(f"a random state is a uint32 vector of length 4, got {s.type}")
    return s


def _float_dtype(dtype: str | None, *params: object) -> str:
    """Theano's rule: the given dtype, else floatX upcast with the strongly typed parameters."""
    if dtype is not None:
        if not is_float(str(np.dtype(dtype))):
            raise TypeError(f"this distribution draws floats; dtype {dtype!r} is not a float dtype")
        return str(np.dtype(dtype))
    strong = [as_tensor_variable(p).dtype for p in params if not _is_weak(p)]  # type: ignore[arg-type]
    out = result_type(config.floatX, *strong)
    if is_complex(out) or not is_float(out):
        raise TypeError(f"parameters of dtypes {strong} do not give a float draw")
    return out


def _param(x: object, dtype: str) -> TensorVariable:
    """A parameter: variables as they are, Python numbers as constants of ``dtype`` (a Python float
    where an integer is expected is an error, never truncated)."""
    if not _is_weak(x):
        return as_tensor_variable(x)  # type: ignore[arg-type]
    if isinstance(x, float) and is_integer(dtype):
        raise TypeError(f"expected an integer parameter, got {x!r}")
    return constant(x, dtype=dtype)


def _leading(p: TensorVariable, core: int) -> TensorVariable:
    """``p`` without its last ``core`` axes (their first entry), for broadcasting shapes."""
    if core == 0:
        return p
    index: tuple[Any, ...] = (slice(None),) * (p.ndim - core) + (0,) * core
    return p[index]


def _size(size: object, ndim: int | None, params: Sequence[TensorVariable], cores: Sequence[int]
          ) -> tuple[TensorVariable, list[TensorVariable]]:
    """The size vector and the parameters (left-padded when the size comes from them).

    ``size=None``: the draw's shape is the parameters' broadcast shape (padded to ``ndim``); else
    ``size`` (a tuple of ints or integer scalars, or an integer vector) is the shape, and ``ndim``,
    if given, must be its length."""
    if size is not None:
        vec = shape_vector(size, "random size")  # type: ignore[arg-type]
        length = vec.type.shape[0]
        if length is None:
            raise ValueError("the size of a random draw must have a known length")
        if ndim is not None and ndim != length:
            raise ValueError(f"ndim={ndim} disagrees with size={size!r}")
        return vec, list(params)
    nd = max((p.ndim - c for p, c in zip(params, cores)), default=0)
    if ndim is not None:
        if ndim < nd:
            raise ValueError(f"ndim={ndim} is less than the parameters' ndim {nd}")
        nd = ndim
    padded = [shape_padleft(p, nd - (p.ndim - c)) if p.ndim - c < nd else p for p, c in zip(params, cores)]
    if nd == 0:
        return constant(np.zeros(0, dtype=np.int64)), padded
    model = _leading(padded[0], cores[0])
    for p, c in zip(padded[1:], cores[1:]):
        model = second(model, _leading(p, c))
    return shape(model), padded


def _draw(distribution: str, random_state: Operand, size: TensorVariable, params: Sequence[Variable],
          dtype: str, ndim: int, replace: bool = True) -> RawDraw:
    node = make_node(Op.RANDOM, [_state(random_state), size, *params],
                     RandomParams(distribution, dtype, ndim, replace))
    new_state, value = node.outputs
    assert isinstance(new_state, TensorVariable) and isinstance(value, TensorVariable)
    return new_state, value


def _elementwise(distribution: str, random_state: Operand, size: object, ndim: int | None,
                 params: Sequence[TensorVariable], dtype: str) -> RawDraw:
    vec, padded = _size(size, ndim, params, [0] * len(params))
    return _draw(distribution, random_state, vec, padded, dtype, vec.type.shape[0] or 0)


def _int_dtype(dtype: object, what: str, floats_ok: bool = True) -> str:
    name = str(np.dtype(dtype))  # type: ignore[call-overload]
    if not (is_integer(name) or (floats_ok and is_float(name))):
        raise TypeError(f"{what} draws have an integer{' or float' if floats_ok else ''} dtype, not {name}")
    return name


def uniform(random_state: Operand, size: object = None, low: object = 0.0, high: object = 1.0,
            ndim: int | None = None, dtype: str | None = None) -> RawDraw:
    """Uniform on [low, high): low + (high - low) * u (spec/random.md)."""
    d = _float_dtype(dtype, low, high)
    return _elementwise("uniform", random_state, size, ndim, [_param(low, d), _param(high, d)], d)


def normal(random_state: Operand, size: object = None, avg: object = 0.0, std: object = 1.0,
           ndim: int | None = None, dtype: str | None = None) -> RawDraw:
    """Normal: avg + std * z, z from Box-Muller (spec/random.md)."""
    d = _float_dtype(dtype, avg, std)
    return _elementwise("normal", random_state, size, ndim, [_param(avg, d), _param(std, d)], d)


def truncated_normal(random_state: Operand, size: object = None, avg: object = 0.0, std: object = 1.0,
                     ndim: int | None = None, dtype: str | None = None) -> RawDraw:
    """Normal truncated to avg +- 2 std: avg + std * z, z by the inverse CDF (spec/random.md)."""
    d = _float_dtype(dtype, avg, std)
    return _elementwise("truncated_normal", random_state, size, ndim, [_param(avg, d), _param(std, d)], d)


def binomial(random_state: Operand, size: object = None, n: object = 1, p: object = 0.5,
             ndim: int | None = None, dtype: str = "int64") -> RawDraw:
    """Binomial(n, p): the number of n uniforms below p (spec/random.md)."""
    params = [_param(n, "int64"), _param(p, "float64")]
    return _elementwise("binomial", random_state, size, ndim, params, _int_dtype(dtype, "binomial"))


def random_integers(random_state: Operand, size: object = None, low: object = 0, high: object = 1,
                    ndim: int | None = None, dtype: str = "int64") -> RawDraw:
    """Integers in [low, high], both ends included (Theano's random_integers)."""
    params = [_param(low, "int64"), _param(high, "int64")]
    return _elementwise("random_integers", random_state, size, ndim, params,
                        _int_dtype(dtype, "random_integers", floats_ok=False))


def integers(random_state: Operand, size: object = None, low: object = 0, high: object = None,
             ndim: int | None = None, dtype: str = "int64") -> RawDraw:
    """Integers in [low, high), high excluded (numpy's Generator.integers); ``high=None`` draws from
    [0, low). It is ``random_integers(low, high - 1)``."""
    if high is None:
        low, high = 0, low
    top = high - 1 if _is_weak(high) else sub(_param(high, "int64"), 1)  # type: ignore[operator]
    return random_integers(random_state, size, low, top, ndim, dtype)


def poisson(random_state: Operand, size: object = None, lam: object = 1.0, ndim: int | None = None,
            dtype: str = "int64") -> RawDraw:
    """Poisson(lam), 0 <= lam <= 700, by the sequential inverse CDF (spec/random.md)."""
    return _elementwise("poisson", random_state, size, ndim, [_param(lam, "float64")],
                        _int_dtype(dtype, "poisson"))


def choice(random_state: Operand, size: object = None, a: object = 2, replace: bool = True,
           p: object = None, ndim: int | None = None, dtype: str | None = None) -> RawDraw:
    """Values of ``a`` (a vector) or of range(a) (an integer scalar), with or without replacement,
    uniformly or with probabilities ``p`` (spec/random.md). The dtype is a's (vector) or int64."""
    av = _param(a, "int64")
    if av.ndim not in (0, 1):
        raise TypeError(f"choice takes a scalar or a vector a, got ndim {av.ndim}")
    vec, _ = _size(size if size is not None else (), ndim, [], [])
    out_dtype = av.dtype if av.ndim == 1 else _int_dtype(dtype or "int64", "choice")
    params = [av] if p is None else [av, _param(p, "float64")]
    new_state, value = _draw("choice", random_state, vec, params, out_dtype, vec.type.shape[0] or 0, replace)
    if dtype is not None and av.ndim == 1 and str(np.dtype(dtype)) != av.dtype:
        value = cast(value, str(np.dtype(dtype)))
    return new_state, value


def permutation(random_state: Operand, size: object = None, n: object = 1, ndim: int | None = None,
                dtype: str = "int64") -> RawDraw:
    """Permutations of range(n), one per element of ``size``: shape size + (n,)."""
    vec, _ = _size(size if size is not None else (), ndim, [], [])
    nv = _param(n, "int64")
    return _draw("permutation", random_state, vec, [nv], _int_dtype(dtype, "permutation", floats_ok=False),
                 (vec.type.shape[0] or 0) + 1)


def multinomial(random_state: Operand, size: object = None, n: object = 1, pvals: object = (0.5, 0.5),
                ndim: int | None = None, dtype: str = "int64") -> RawDraw:
    """Counts of n trials over the outcomes of ``pvals`` (its last axis): shape size + (k,)."""
    nv = _param(n, "int64")
    pv = as_tensor_variable(list(pvals) if isinstance(pvals, tuple) else pvals)  # type: ignore[arg-type]
    vec, (nv, pv) = _size(size, ndim, [nv, pv], [0, 1])
    return _draw("multinomial", random_state, vec, [nv, pv], _int_dtype(dtype, "multinomial"),
                 (vec.type.shape[0] or 0) + 1)


# -- streams -----------------------------------------------------------------------------------

Builder = Callable[..., RawDraw]


def _entropy_seed() -> int:
    return int(np.random.SeedSequence().entropy) % 2**64  # type: ignore[arg-type]


class RandomStreamsBase:
    """A factory of random variables, each with its own shared state (``rv.rng``).

    Variable ``i`` (in creation order) of a stream seeded with ``s`` starts at ``seed_state(s, i)``
    (spec/random.md), so ``seed(s)`` reproduces a fresh ``RandomStreams(s)``.
    """

    def __init__(self, seed: int | None = None):
        self.state_updates: list[tuple[RandomStateSharedVariable, TensorVariable]] = []
        # seed=None: an unpredictable seed (as Theano), fixed from then on so seed() can restore it
        self.default_instance_seed = _entropy_seed() if seed is None else int(seed)
        self._next_index = 0

    def updates(self) -> list[tuple[RandomStateSharedVariable, TensorVariable]]:
        return list(self.state_updates)

    @property
    def rstate(self) -> tuple[int, int]:
        """(seed, index of the next variable): copy it to another stream to make the variables it
        creates next the same as this stream's (Theano's ``MRG_RandomStreams.rstate``)."""
        return self.default_instance_seed, self._next_index

    @rstate.setter
    def rstate(self, value: tuple[int, int]) -> None:
        self.default_instance_seed, self._next_index = int(value[0]), int(value[1])

    def seed(self, seed: int | None = None) -> None:
        """Reseed every variable of the stream: variable i gets ``seed_state(seed, i)``; later variables
        continue from ``seed`` too. ``seed=None`` uses the stream's own seed."""
        s = self.default_instance_seed if seed is None else int(seed)
        self.default_instance_seed = s
        for rng, _ in self.state_updates:
            rng.set_value(_seed_state(s, rng.stream_index), borrow=True)

    def __getitem__(self, item: Variable) -> PhiloxState:
        rng = getattr(item, "rng", None)
        if not isinstance(rng, RandomStateSharedVariable):
            raise KeyError(item)
        return rng.get_value(borrow=True)

    def __setitem__(self, item: Variable, value: object) -> None:
        rng = getattr(item, "rng", None)
        if not isinstance(rng, RandomStateSharedVariable):
            raise KeyError(item)
        rng.set_value(value, borrow=True)

    def gen(self, op: Builder, *args: object, **kwargs: object) -> TensorVariable:
        """Theano's ``gen``: ``op(random_state, *args, **kwargs)`` returns (new state, value); the value
        gets a fresh shared state ``.rng`` whose default update is the new state."""
        index = self._next_index
        self._next_index += 1
        rng = RandomStateSharedVariable(_seed_state(self.default_instance_seed, index), index=index)
        new_state, out = op(rng, *args, **kwargs)
        rng.default_update = new_state
        setattr(out, "rng", rng)
        setattr(out, "update", (rng, new_state))
        self.state_updates.append((rng, new_state))
        return out

    def uniform(self, size: object = None, low: object = 0.0, high: object = 1.0, ndim: int | None = None,
                dtype: str | None = None) -> TensorVariable:
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size: object = None, avg: object = 0.0, std: object = 1.0, ndim: int | None = None,
               dtype: str | None = None) -> TensorVariable:
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size: object = None, n: object = 1, p: object = 0.5, ndim: int | None = None,
                 dtype: str = "int64") -> TensorVariable:
        return self.gen(binomial, size, n, p, ndim=ndim, dtype=dtype)

    def random_integers(self, size: object = None, low: object = 0, high: object = 1,
                        ndim: int | None = None, dtype: str = "int64") -> TensorVariable:
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def integers(self, size: object = None, low: object = 0, high: object = None, ndim: int | None = None,
                 dtype: str = "int64") -> TensorVariable:
        return self.gen(integers, size, low, high, ndim=ndim, dtype=dtype)

    def poisson(self, size: object = None, lam: object = 1.0, ndim: int | None = None,
                dtype: str = "int64") -> TensorVariable:
        return self.gen(poisson, size, lam, ndim=ndim, dtype=dtype)

    def choice(self, size: object = None, a: object = 2, replace: bool = True, p: object = None,
               ndim: int | None = None, dtype: str | None = None) -> TensorVariable:
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def permutation(self, size: object = None, n: object = 1, ndim: int | None = None,
                    dtype: str = "int64") -> TensorVariable:
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size: object = None, n: object = 1, pvals: object = (0.5, 0.5),
                    ndim: int | None = None, dtype: str = "int64") -> TensorVariable:
        return self.gen(multinomial, size, n, pvals, ndim=ndim, dtype=dtype)
