"""What every GPU program of a process shares: the CuPy module, compiled kernels (cached by their
source text), the Philox module, an error-flag buffer, and counters of host/device traffic that
``report()`` shows (syncs, runtime fallbacks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from refspec.ast import Array
from refspec.fast.gpu.cuda_source import COMPILE_OPTIONS, KernelSpec
from refspec.fast.gpu.philox_source import PHILOX_SOURCE

DeviceArray = Any  # a cupy.ndarray (CuPy has no type stubs)

_KERNELS: dict[str, Any] = {}  # kernel text -> cupy.ElementwiseKernel, for the whole process
_PHILOX: dict[int, Any] = {}  # device id -> cupy.RawModule


@dataclass
class Counters:
    syncs: int = 0  # device values read on the host (a condition, a shape, an index, an output)
    uploads: int = 0  # host values copied to the device
    runtime_fallbacks: dict[str, int] = field(default_factory=dict)  # why -> how often

    def fallback(self, why: str) -> None:
        self.runtime_fallbacks[why] = self.runtime_fallbacks.get(why, 0) + 1


class GpuContext:
    def __init__(self, cp: ModuleType):
        self.cp = cp
        self.counters = Counters()
        self._err: DeviceArray = None

    @property
    def err(self) -> DeviceArray:
        """The error flag the generated kernels set (0: no error; see ``cuda_ops.ERR_*``)."""
        if self._err is None:
            self._err = self.cp.zeros(1, dtype=np.int32)
        return self._err

    def kernel(self, spec: KernelSpec) -> Any:
        text = spec.text()
        found = _KERNELS.get(text)
        if found is None:
            found = self.cp.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation, spec.name,
                                              preamble=spec.preamble, options=COMPILE_OPTIONS)
            _KERNELS[text] = found
        return found

    def philox(self, name: str) -> Any:
        device = int(self.cp.cuda.Device().id)
        module = _PHILOX.get(device)
        if module is None:
            module = self.cp.RawModule(code=PHILOX_SOURCE)
            _PHILOX[device] = module
        return module.get_function(name)

    # -- moving values ---------------------------------------------------------------------------
    def is_device(self, v: object) -> bool:
        return isinstance(v, self.cp.ndarray)

    def to_device(self, v: object) -> DeviceArray:
        if isinstance(v, self.cp.ndarray):
            return v
        self.counters.uploads += 1
        return self.cp.asarray(v)

    def to_host(self, v: object) -> Array:
        if isinstance(v, self.cp.ndarray):
            self.counters.syncs += 1
            host: Array = v.get()
            return host
        return np.asarray(v)
