"""The GPU path (mode ``"GPU"``): the fast CPU path's rewritten graph lowered to CuPy.

``device`` finds CuPy and a CUDA device (``require_gpu`` raises ``GpuUnavailableError`` saying what
is missing); ``cuda_types``, ``cuda_ops``, ``cuda_source`` and ``philox_source`` generate CUDA text
without importing CuPy (so it is tested on machines without a GPU); ``plan`` decides where each node
runs; ``runner`` executes a plan with CuPy; ``mirror`` keeps shared variables on the device.
CuPy is imported lazily, only when a GPU function is built.
"""

from refspec.fast.gpu.device import GpuUnavailableError as GpuUnavailableError
from refspec.fast.gpu.device import require_gpu as require_gpu

__all__ = ["GpuUnavailableError", "require_gpu"]
