"""Shared variables on the device: one mirror per container (``refspec.ast.Container.mirror``).

The container's host value and its device copy are kept coherent lazily:
- a GPU call reads the device copy, uploading the host value first when it is not the array the
  device copy was made from (``set_value``, an update by a CPU-mode function);
- a GPU update stores the new device array and drops the host value, which the next host read
  (``get_value``, another mode, ``Function.copy``) downloads;
- while the device copy mirrors a host array, that array is read-only, so nothing writes into it
  unseen: the fast CPU path's in-place updates then allocate a new array (which the next GPU call
  uploads), and ``get_value(borrow=True)``, which lends the array to a caller who may write into
  it, makes it writeable again and the mirror forgets it (the next GPU call uploads it again);
- ``get_value(borrow=True, return_internal_type=True)`` returns the device array itself.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from refspec.ast import Array, Container

DeviceArray = Any  # a cupy.ndarray (CuPy has no type stubs)


class Mirror:
    """The device copy of one container's value."""

    def __init__(self, cp: ModuleType):
        self._cp = cp
        self.device: DeviceArray = None
        self.synced: Array | None = None  # the host array the device copy equals, if any
        self._locked = False  # whether this mirror made ``synced`` read-only

    def _sync(self, host: Array) -> None:
        self.forget()
        self.synced = host
        if host.flags.writeable:
            host.flags.writeable = False
            self._locked = True

    def download(self) -> Array:
        host: Array = self._cp.asnumpy(self.device)
        self._sync(host)
        return host

    def forget(self) -> None:
        """The host array is lent out (and may be written to): upload it before the next GPU use."""
        if self.synced is not None and self._locked:
            self.synced.flags.writeable = True
        self.synced = None
        self._locked = False

    def on_device(self, container: Container) -> DeviceArray:
        """The current value as a device array (uploading the host value if it is the newer)."""
        host = container.__dict__.get("value")
        if host is not None and (host is not self.synced or self.device is None):
            self.device = self._cp.asarray(host)
            self._sync(host)
        return self.device


def device_value(container: Container, cp: ModuleType) -> DeviceArray:
    """The container's value on the device, creating its mirror on first use."""
    return _mirror(container, cp).on_device(container)


def store(container: Container, value: DeviceArray, cp: ModuleType) -> None:
    """Commit a device value: the device copy becomes the newer one (the host value is dropped and
    downloaded when next read)."""
    mirror = _mirror(container, cp)
    mirror.forget()
    mirror.device = value
    container.__dict__.pop("value", None)


def _mirror(container: Container, cp: ModuleType) -> Mirror:
    mirror = container.mirror
    if not isinstance(mirror, Mirror):
        mirror = Mirror(cp)
        container.mirror = mirror
    return mirror
