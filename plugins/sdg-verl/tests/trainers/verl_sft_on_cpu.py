"""verl's real SFT trainer (``verl.trainer.sft_trainer``), run on a machine without an
accelerator: the CPU training test's ``train.entrypoint``.

verl 0.9.1 knows CUDA, NPU and ROCm platforms only. This registers a ``cpu`` platform (gloo
for collectives, no device memory to report) and has verl pick its FSDP engine as on CUDA,
then runs the trainer module unchanged with the arguments ``sdg train`` gave. The command adds
``engine.strategy=fsdp2`` (FSDP1 needs an accelerator) and ``trainer.device=cpu``.
"""

import os
import runpy
from contextlib import contextmanager

import torch
import torch.distributed

os.environ["VERL_PLATFORM"] = "cpu"
os.environ["VERL_ENGINE_DEVICE"] = "cuda"  # the FSDP engine is registered for cuda and npu

from verl.plugin.platform.platform_base import PlatformBase  # noqa: E402
from verl.plugin.platform.platform_manager import PlatformRegistry  # noqa: E402


class _CPUDevice:
    """``torch.cpu``, plus the accelerator calls verl makes (memory statistics, cache
    emptying): they do nothing and report 0."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if hasattr(torch.cpu, name):
            return getattr(torch.cpu, name)
        if name == "get_device_name":
            return lambda *args, **kwargs: "cpu"
        if name == "mem_get_info":
            return lambda *args, **kwargs: (0, 0)
        return lambda *args, **kwargs: 0


@PlatformRegistry.register(platform="cpu")
class PlatformCPU(PlatformBase):
    device_name = "cpu"
    vendor_name = "cpu"
    device_module = _CPUDevice()

    def is_available(self):
        return True

    def current_device(self):
        return "cpu"  # verl moves modules to this

    def device_count(self):
        return 1

    def set_device(self, device_index):
        pass

    def synchronize(self, device_index=None):
        pass

    def manual_seed(self, seed):
        torch.manual_seed(seed)

    def manual_seed_all(self, seed):
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings):
        pass

    def empty_cache(self):
        pass

    def get_device_capability(self, device_index=0):
        return None, None

    def communication_backend_name(self):
        return "gloo"

    def visible_devices_envvar(self):
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg):
        yield

    def profiler_start(self):
        pass

    def profiler_stop(self):
        pass

    def ray_resource_name(self):
        return "CPU"

    def ray_noset_envvars(self):
        return []

    def is_ipc_supported(self):
        return False

    def cudart(self):
        return None


_init_process_group = torch.distributed.init_process_group


def _gloo(*args, backend=None, **kwargs):
    # verl asks for "cpu:gloo,<device>:<backend>", which is "cpu:gloo,cpu:gloo" here
    return _init_process_group(*args, backend="gloo", **kwargs)


torch.distributed.init_process_group = _gloo
runpy.run_module("verl.trainer.sft_trainer", run_name="__main__", alter_sys=True)
