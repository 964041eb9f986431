"""Adaptive concurrency reacts to latency: a self-hosted server that queues what it cannot
serve (and never answers 429) slows down, and the endpoint sends fewer requests at once."""

import asyncio
import heapq
import threading

import pytest

from sdgcore.config.values import Secret
from sdgcore.models import ChatRequest, Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig
from sdgcore.models.limits import AdaptiveLimiter
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script


class QueueingServer:
    """A server with ``slots`` workers that each take ``service`` seconds per request:
    a request that finds them all busy waits its turn (an M/D/c queue, computed at arrival)."""

    def __init__(self, slots: int, service: float) -> None:
        self.slots, self.service = slots, service
        self.free_at = [0.0] * slots
        self.in_system: list[float] = []
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, request):
        import time

        with self.lock:
            now = time.monotonic()
            start = max(now, heapq.heappop(self.free_at))
            done = start + self.service
            heapq.heappush(self.free_at, done)
            self.in_system = [t for t in self.in_system if t > now] + [done]
            self.peak = max(self.peak, len(self.in_system))
        return Reply("ok", delay=done - now, completion_tokens=1)


def drive(latency_factor, requests=240, concurrency=48):
    queue = QueueingServer(slots=4, service=0.1)
    with FakeOpenAIServer(Script.respond(queue)) as server:
        backend = OpenAICompatBackend(
            OpenAICompatConfig(api_base=server.url, api_key=Secret("k")),
            EndpointCommon(model="m", limits=Limits(concurrency=concurrency, timeout=30,
                                                    latency_factor=latency_factor)))
        endpoint = Endpoint("student", backend)

        def ask(i):
            return endpoint.chat(ChatRequest(messages=[{"role": "user", "content": f"q{i}"}],
                                             seed=i))

        async def main():
            try:
                # a few requests one at a time first, as a run's first samples trickle in:
                # the baseline is learned from an idle server
                done = [await ask(-i) for i in range(1, AdaptiveLimiter.WARMUP + 1)]
                done += await asyncio.gather(*(ask(i) for i in range(requests)))
            finally:
                await endpoint.aclose()
            return done

        replies = asyncio.run(main())
    assert all(r.ok for r in replies)
    return endpoint._limiter, queue


def test_a_queueing_server_brings_concurrency_down():
    limiter, queue = drive(latency_factor=3.0)
    # at most one cut a second (the cooldown) while the run lasts about six seconds
    assert limiter.decreases["latency"] >= 2 and limiter.decreases["rate_limit"] == 0
    assert limiter.limit < 48 * 0.75 + 1


def test_without_the_latency_signal_the_queue_grows_to_the_full_concurrency():
    limiter, queue = drive(latency_factor=None)
    assert limiter.decreases == {"rate_limit": 0, "latency": 0} and limiter.limit == 48
    assert queue.peak > 40  # everything sent at once waits in the server's queue


def test_the_signal_needs_a_warmup_and_a_real_delay():
    limiter = AdaptiveLimiter(16, latency_factor=3.0)
    for _ in range(AdaptiveLimiter.WARMUP + 5):
        limiter.on_success(0.001, 0)
    limiter.on_success(0.01, 0)  # ten times the baseline, but 9 ms late: noise
    assert limiter.decreases["latency"] == 0
    for _ in range(5):
        limiter.on_success(0.5, 0)
    assert limiter.decreases["latency"] == 1  # once per cooldown
    assert limiter.limit == pytest.approx(12.0)
    # longer completions are expected to take longer: per token it is the same speed
    steady = AdaptiveLimiter(16, latency_factor=3.0)
    for tokens in [10, 1000, 50, 800, 20, 600, 5, 900, 100, 700, 30, 500]:
        steady.on_success(0.002 * (1 + tokens), tokens)
    assert steady.decreases["latency"] == 0
