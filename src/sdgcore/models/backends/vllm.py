"""Backend ``vllm``: an in-process vLLM engine on a local GPU, fed in micro-batches.

An in-process engine is fast only when it sees many prompts at once, so concurrent
:meth:`VllmBackend.complete` calls are gathered for up to ``batch_window`` seconds (or until
:attr:`VllmBackend.max_batch` wait) and run as one ``LLM.chat`` call in a worker thread, one
batch at a time. Each caller awaits its own future: a caller that gives up (a timeout) simply
drops out, and a failed batch fails every caller in it with a :class:`BackendError`.

vllm and torch are imported only when the engine loads, never at module import.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import sys
import threading
from typing import Any, ClassVar

from sdgcore.base import Backend
from sdgcore.errors import MissingExtraError, import_optional
from sdgcore.models.config import EndpointCommon, VllmConfig
from sdgcore.models.types import BackendError, BackendReply, ChatRequest, Choice, Usage

DEFAULT_MAX_TOKENS = 512


class _Pending:
    """One waiting call: its request, its future and when it arrived."""

    __slots__ = ("request", "future", "arrived", "params")

    def __init__(self, request: ChatRequest, future: asyncio.Future, arrived: float) -> None:
        self.request, self.future, self.arrived, self.params = request, future, arrived, None


class _LoopState:
    """What is bound to one event loop: the queue, its collector task and the load lock."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[_Pending] = []
        self.full = asyncio.Event()
        self.lock = asyncio.Lock()
        self.collector: asyncio.Task | None = None


class VllmBackend(Backend):
    """In-process vLLM engine for local GPU models, with micro-batching.

    :param engine: an already built engine (anything with vLLM's ``LLM.chat``); tests inject one.
    :param vllm: the vllm module (or a stand-in with ``LLM``, ``SamplingParams`` and
        ``sampling_params``); imported lazily when not given.
    """

    name = "vllm"
    Config = VllmConfig
    native_schema = True
    costs_nothing = True  # runs here
    max_batch: ClassVar[int] = 256

    def __init__(self, config: VllmConfig, endpoint: EndpointCommon, *, engine: Any = None,
                 vllm: Any = None) -> None:
        super().__init__(config, endpoint)
        self._engine = engine
        self._vllm = vllm
        self._loading: asyncio.Future | None = None
        self._st: _LoopState | None = None
        self._engine_lock = threading.Lock()  # one engine call (or teardown) at a time

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "dtype": self.config.dtype}

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._st is None or self._st.loop is not loop:
            self._st = _LoopState(loop)
        return self._st

    def _module(self) -> Any:
        if self._vllm is None:
            self._vllm = import_optional("vllm", extra="sdgcore[vllm]", feature="backend 'vllm'")
        return self._vllm

    def _build(self) -> Any:
        if not self.model:
            raise BackendError("client", "backend 'vllm' needs `model:` (a Hugging Face id or "
                                         "a local path)")
        c = self.config
        return self._module().LLM(
            model=self.model, tensor_parallel_size=c.tensor_parallel_size,
            gpu_memory_utilization=c.gpu_memory_utilization, max_model_len=c.max_model_len,
            dtype=c.dtype, seed=0)

    async def load(self) -> Any:
        """Load the engine now (else the first request loads it) in a worker thread."""
        if self._engine is not None:
            return self._engine
        async with self._state().lock:
            if self._engine is None:
                if self._loading is None:
                    self._loading = asyncio.ensure_future(asyncio.to_thread(self._build))
                try:  # shielded: a caller's timeout must not abandon a half-loaded model
                    self._engine = await asyncio.shield(self._loading)
                except (BackendError, MissingExtraError):
                    raise
                except Exception as exc:
                    if "main thread" not in str(exc):  # vllm 0.7-0.10 V1 refused threads
                        raise _load_error(exc) from exc
                    try:
                        self._engine = self._build()
                    except Exception as again:
                        raise _load_error(again) from again
                finally:
                    if self._loading is not None and self._loading.done():
                        self._loading = None
        return self._engine

    def sampling_params(self, request: ChatRequest) -> Any:
        """vLLM ``SamplingParams`` for ``request``, with structured output where asked."""
        vllm = self._module()
        kw: dict[str, Any] = {"n": request.n, "max_tokens": request.max_tokens or
                              DEFAULT_MAX_TOKENS, "seed": request.seed}
        for name in ("temperature", "top_p"):
            if getattr(request, name) is not None:
                kw[name] = getattr(request, name)
        if request.stop:
            kw["stop"] = list(request.stop)
        if request.logprobs:
            kw["logprobs"] = 1
        if request.json_schema is not None:
            schema = json.loads(json.dumps(request.json_schema))
            sp = getattr(vllm, "sampling_params", None) or \
                importlib.import_module("vllm.sampling_params")
            if hasattr(sp, "StructuredOutputsParams"):  # vllm >= 0.11
                kw["structured_outputs"] = sp.StructuredOutputsParams(json=schema)
            elif hasattr(sp, "GuidedDecodingParams"):  # vllm 0.6.3 - 0.11 (removed in 0.12)
                kw["guided_decoding"] = sp.GuidedDecodingParams(json=schema)
            else:
                raise BackendError("client", "this vllm offers no JSON-schema output")
        return vllm.SamplingParams(**kw)

    async def complete(self, request: ChatRequest) -> BackendReply:
        st = self._state()
        item = _Pending(request, st.loop.create_future(), st.loop.time())
        st.pending.append(item)
        if len(st.pending) >= self.max_batch:
            st.full.set()
        if st.collector is None:
            st.collector = st.loop.create_task(self._collect(st))
        return await item.future

    async def _collect(self, st: _LoopState) -> None:
        """Load the engine, then run the queue batch after batch until it is empty."""
        try:
            while st.pending:
                try:
                    engine = await self.load()
                except Exception as exc:
                    _fail(st.pending, exc)
                    st.pending.clear()
                    break
                deadline = st.pending[0].arrived + self.config.batch_window
                while len(st.pending) < self.max_batch and deadline > st.loop.time():
                    st.full.clear()
                    try:
                        await asyncio.wait_for(st.full.wait(), deadline - st.loop.time())
                    except TimeoutError:
                        break
                batch, st.pending[:] = st.pending[:self.max_batch], st.pending[self.max_batch:]
                live = []
                for item in batch:
                    if item.future.done():  # its caller gave up while it waited
                        continue
                    try:
                        item.params = self.sampling_params(item.request)
                        live.append(item)
                    except Exception as exc:
                        item.future.set_exception(exc)
                if live:
                    await self._run(engine, live)
        except asyncio.CancelledError:
            _fail(st.pending, BackendError("server", "the vllm batcher was stopped"))
            raise
        finally:
            if st.collector is asyncio.current_task():
                st.collector = None

    def _chat(self, engine: Any, batch: list[_Pending]) -> list[Any]:
        with self._engine_lock:
            return engine.chat([list(i.request.messages) for i in batch],
                               [i.params for i in batch], use_tqdm=False)

    async def _run(self, engine: Any, batch: list[_Pending]) -> None:
        """One engine call for ``batch``; each caller's future gets its own result."""
        batch = [i for i in batch if not i.future.done()]
        if not batch:
            return
        try:
            outputs = await asyncio.to_thread(self._chat, engine, batch)
        except asyncio.CancelledError:
            _fail(batch, BackendError("server", "the vllm batcher was stopped"))
            raise
        except ValueError as exc:  # a bad prompt (longer than max_model_len) fails its batch
            if len(batch) > 1:  # so run them one by one, and only the bad one fails
                for item in batch:
                    await self._run(engine, [item])
                return
            _fail(batch, BackendError("client", f"vllm rejected the request: {exc}"))
            return
        except Exception as exc:  # CUDA out of memory, a dead engine...
            _fail(batch, BackendError("server", f"vllm failed: {type(exc).__name__}: {exc}"))
            return
        if len(outputs) != len(batch):
            _fail(batch, BackendError("malformed", f"vllm returned {len(outputs)} outputs "
                                                   f"for {len(batch)} prompts"))
            return
        for item, out in zip(batch, outputs, strict=True):
            if not item.future.done():
                item.future.set_result(_reply(out))

    async def aclose(self) -> None:
        """Stop the batcher and free the GPU, so another engine can load after this one."""
        st = self._st
        if st is not None and st.collector is not None and st.loop is asyncio.get_running_loop():
            st.collector.cancel()
            with contextlib.suppress(BaseException):
                await st.collector
        if self._loading is not None:
            with contextlib.suppress(BaseException):
                self._engine = await self._loading
            self._loading = None
        await asyncio.to_thread(self._release)

    def _release(self) -> None:
        with self._engine_lock:  # waits for a batch still running in its thread
            engine, self._engine = self._engine, None
            shutdown = getattr(engine, "shutdown", None) or getattr(getattr(getattr(
                engine, "llm_engine", None), "engine_core", None), "shutdown", None)
            if callable(shutdown):
                with contextlib.suppress(Exception):
                    shutdown()
            del engine
            if "vllm" in sys.modules:
                with contextlib.suppress(Exception):
                    state = importlib.import_module("vllm.distributed.parallel_state")
                    for name in ("destroy_model_parallel", "destroy_distributed_environment"):
                        if hasattr(state, name):
                            getattr(state, name)()
            gc.collect()
            torch = sys.modules.get("torch")
            if torch is not None:
                with contextlib.suppress(Exception):
                    if torch.cuda.is_available():
                        torch.cuda.empty_cache()


def _fail(items: list[_Pending], exc: BaseException) -> None:
    for item in items:
        if not item.future.done():
            item.future.set_exception(exc)


def _load_error(exc: Exception) -> BackendError:
    kind = "client" if isinstance(exc, (ValueError, OSError)) else "server"  # bad id; OOM
    return BackendError(kind, f"vllm could not load the model: {type(exc).__name__}: {exc}")


def _reply(out: Any) -> BackendReply:
    """A vLLM ``RequestOutput`` as a :class:`BackendReply`."""
    choices = tuple(Choice(text=o.text, finish_reason=o.finish_reason,
                           logprob=o.cumulative_logprob) for o in out.outputs)
    usage = Usage(len(out.prompt_token_ids or ()),
                  sum(len(o.token_ids or ()) for o in out.outputs))
    return BackendReply(choices, usage)
