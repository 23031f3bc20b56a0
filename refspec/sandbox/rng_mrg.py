"""Theano's ``theano.sandbox.rng_mrg``: ``MRG_RandomStreams`` (spec/random.md).

A class distinct from ``RandomStreams`` (Theano code tests ``isinstance`` on it) with the same
generator: refspec has one generator, Philox4x32-10, so the two classes draw the same bits from the same
seed. It keeps MRG's signatures (``binomial(size, p, n)``, ``nstreams`` accepted and ignored) and adds
``truncated_normal`` and ``normal(..., truncate=True)``; its default seed is MRG's 12345.
"""

from __future__ import annotations

from refspec.tensor.raw_random import RandomStreamsBase, truncated_normal
from refspec.tensor.var import TensorVariable


class MRG_RandomStreams(RandomStreamsBase):
    """Theano's GPU-friendly stream class; here the same Philox streams as ``RandomStreams``.

    Unlike Theano's MRG (whose ``seed`` only affects variables made afterwards), ``seed(s)`` reseeds
    every variable, as ``RandomStreams.seed`` does. Each variable also has ``.rstate`` (its state,
    the same object as ``.rng``) and ``.update``.
    """

    def __init__(self, seed: int = 12345):
        super().__init__(seed)

    def gen(self, op: object, *args: object, **kwargs: object) -> TensorVariable:
        kwargs.pop("nstreams", None)
        out = super().gen(op, *args, **kwargs)  # type: ignore[arg-type]
        setattr(out, "rstate", getattr(out, "rng"))
        return out

    def binomial(self, size: object = None, p: object = 0.5, n: object = 1,  # type: ignore[override]
                 ndim: int | None = None, dtype: str = "int64", nstreams: object = None) -> TensorVariable:
        """MRG's argument order: (size, p, n)."""
        return super().binomial(size, n, p, ndim=ndim, dtype=dtype)

    def uniform(self, size: object = None, low: object = 0.0, high: object = 1.0, ndim: int | None = None,
                dtype: str | None = None, nstreams: object = None) -> TensorVariable:
        return super().uniform(size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size: object = None, avg: object = 0.0, std: object = 1.0, ndim: int | None = None,
               dtype: str | None = None, nstreams: object = None, truncate: bool = False) -> TensorVariable:
        if truncate:
            return self.truncated_normal(size, avg, std, ndim=ndim, dtype=dtype)
        return super().normal(size, avg, std, ndim=ndim, dtype=dtype)

    def truncated_normal(self, size: object = None, avg: object = 0.0, std: object = 1.0,
                         ndim: int | None = None, dtype: str | None = None,
                         nstreams: object = None) -> TensorVariable:
        """Normal(avg, std) truncated to [avg - 2 std, avg + 2 std] (spec/random.md)."""
        return self.gen(truncated_normal, size, avg, std, ndim=ndim, dtype=dtype)

    def multinomial(self, size: object = None, n: object = 1, pvals: object = (0.5, 0.5),
                    ndim: int | None = None, dtype: str = "int64", nstreams: object = None) -> TensorVariable:
        """With ``size=None`` and a matrix ``pvals`` (MRG's use) there is one row of counts per row."""
        return super().multinomial(size, n, pvals, ndim=ndim, dtype=dtype)

    def choice(self, size: object = None, a: object = 2, replace: bool = True, p: object = None,
               ndim: int | None = None, dtype: str | None = None, nstreams: object = None) -> TensorVariable:
        return super().choice(size, a, replace, p, ndim=ndim, dtype=dtype)


__all__ = ["MRG_RandomStreams"]
