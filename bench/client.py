"""Client benchmark: N chat requests at concurrency C against a loopback server with latency L.

Compares, in one run, a bare aiohttp loop (the floor) with sdg's model layer over the
``openai_compat`` and ``litellm`` backends, each with the full layer on (limits, retries,
the SQLite request cache). The server runs in its own process, so the CPU time measured here
is the client's alone. Prints wall time / ideal (N*L/C) and client CPU ms per request.

    python bench/client.py --n 2000 --concurrency 256 --latency 0.5 [--quick] [--json PATH]

Targets for openai_compat: ratio <= 1.05, <= 0.5 ms CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from common import FakeServer, add_output_args, print_table, write_results

from sdgcore.config.values import Secret
from sdgcore.models import ChatRequest, Endpoint
from sdgcore.models.cache import RequestCache
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig, RemoteConfig


def requests(n: int, tag: str) -> list[ChatRequest]:
    return [ChatRequest(messages=[{"role": "user", "content": f"{tag} question {i}"}])
            for i in range(n)]


async def bare(url: str, n: int, concurrency: int) -> int:
    import aiohttp

    sem = asyncio.Semaphore(concurrency)
    ok = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(i: int) -> None:
            nonlocal ok
            body = {"model": "fake-model",
                    "messages": [{"role": "user", "content": f"bare question {i}"}]}
            async with sem, session.post(f"{url}/chat/completions", json=body) as resp:
                data = await resp.json()
                ok += bool(data["choices"][0]["message"]["content"])

        await asyncio.gather(*(one(i) for i in range(n)))
    return ok


async def layered(backend_name: str, url: str, n: int, concurrency: int,
                  cache_dir: Path | None) -> int:
    limits = Limits(concurrency=concurrency, timeout=60, retries=3)
    if backend_name == "openai_compat":
        from sdgcore.models.backends.openai_compat import OpenAICompatBackend

        backend = OpenAICompatBackend(OpenAICompatConfig(api_base=url),
                                      EndpointCommon(model="fake-model", limits=limits))
    else:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        from sdgcore.models.backends.litellm import LiteLLMBackend

        backend = LiteLLMBackend(RemoteConfig(api_base=url, api_key=Secret("sk-bench")),
                                 EndpointCommon(model="openai/fake-model", limits=limits))
    cache = RequestCache(cache_dir / "cache.sqlite") if cache_dir is not None else None
    endpoint = Endpoint(backend_name, backend, cache)
    try:
        results = await asyncio.gather(*(endpoint.chat(r) for r in requests(n, backend_name)))
    finally:
        await endpoint.aclose()
        if cache is not None:
            cache.close()
    return sum(r.ok for r in results)


def measure(label: str, coro_factory) -> dict[str, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    ok = asyncio.run(coro_factory())
    return {"path": label, "ok": ok, "wall_s": time.perf_counter() - wall0,
            "cpu_s": time.process_time() - cpu0}


COLUMNS = ("path", "ok", "wall s", "wall / ideal", "CPU ms/req", "wall vs bare", "CPU vs bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--paths", default="bare,openai_compat,openai_compat-nocache,litellm",
                        help="comma-separated; a '-nocache' suffix turns the cache off")
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.n, args.concurrency = min(args.n, 400), min(args.concurrency, 64)
        args.latency = min(args.latency, 0.2)
    ideal = args.n * args.latency / args.concurrency
    rows = []
    with FakeServer(args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(args.paths.split(",")):
            backend, _, nocache = path.partition("-")
            cache_dir = None if nocache else Path(tmp) / str(i)
            if cache_dir is not None:
                cache_dir.mkdir()
            if path == "bare":
                rows.append(measure(path, lambda: bare(server.url, args.n, args.concurrency)))
            else:
                rows.append(measure(path, lambda b=backend, d=cache_dir: layered(
                    b, server.url, args.n, args.concurrency, d)))
    base = next((r for r in rows if r["path"] == "bare"), None)
    title = (f"client: N={args.n} C={args.concurrency} L={args.latency}s "
             f"ideal={ideal:.2f}s ({os.cpu_count()} cores)")
    table = []
    for r in rows:
        r["ratio"] = r["wall_s"] / ideal
        r["cpu_ms_per_request"] = 1000 * r["cpu_s"] / args.n
        table.append([r["path"], str(r["ok"]), f"{r['wall_s']:.2f}", f"{r['ratio']:.3f}",
                      f"{r['cpu_ms_per_request']:.3f}",
                      f"{r['wall_s'] / base['wall_s']:.3f}" if base else "-",
                      f"{r['cpu_s'] / base['cpu_s']:.2f}" if base else "-"])
    print_table(title, COLUMNS, table)
    out = write_results("client", args.json, args=args, rows=rows, title=title,
                        columns=COLUMNS, table=table, ideal_s=ideal,
                        dists=("sdgcore", "aiohttp", "litellm"))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
