"""Bespoke Labs Curator: ``curator.LLM`` over its ``openai`` online backend, rate limits set
high so only ``max_concurrent_requests`` bounds it. The environment (set by bench/peers.py)
turns telemetry off, points CURATOR_CACHE_DIR at a fresh folder and TIKTOKEN_CACHE_DIR at
the tokenizer files litellm ships."""

from __future__ import annotations

from bespokelabs import curator
from driver import measure, parse_args, prompts


def run(url: str, n: int, c: int) -> int:
    llm = curator.LLM(model_name="fake-model", backend="openai", backend_params={
        "base_url": url, "api_key": "sk-bench", "max_retries": 3, "request_timeout": 60,
        "max_concurrent_requests": c, "max_requests_per_minute": 10_000_000,
        "max_tokens_per_minute": 10_000_000_000})
    response = llm(prompts(n, "curator"))
    dataset = response.dataset if hasattr(response, "dataset") else response
    return sum(bool(row["response"]) for row in dataset)


if __name__ == "__main__":
    args = parse_args(__doc__)
    measure(lambda: run(args.base_url, args.n, args.c))
