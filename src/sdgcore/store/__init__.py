"""The run directory: resolved config, fingerprint, atomic files."""

from sdgcore.store.rundir import RunDir, write_atomic

__all__ = ["RunDir", "write_atomic"]
