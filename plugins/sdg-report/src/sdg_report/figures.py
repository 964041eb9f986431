"""The report's plots, drawn by matplotlib as SVG text to inline in the page.

matplotlib is imported here, on first use (``sdg --help`` never pays for it); figures are made
with :class:`matplotlib.figure.Figure` directly, not through pyplot's global state, so a report
can be drawn from any thread.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence

from sdg_report.facts import Facts
from sdg_report.rundir import KEYS

COLORS = {"learnable": "#2e7d32", "too_easy": "#1565c0", "too_hard": "#e65100",
          "dropped": "#757575", "uncategorized": "#bdbdbd"}
"""One colour per place a sample can end up, the same in every plot."""
_ID = re.compile(r'(id="|url\(#|href="#)([^")]+)')


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.subplots()
    ax.margins(y=0.18)  # room for the bar labels and the legend above the bars
    return fig, ax


def _svg(fig, name: str) -> str:
    """``fig`` as an ``<svg>`` element: text kept as text, ids made unique to ``name`` so
    that several figures can share one page."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return _ID.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", text)


def categories(facts: Facts) -> str:
    """Samples per category (every version of a chain counted)."""
    keys = [k for k in KEYS if facts.counts[k] or k != "uncategorized"]
    fig, ax = _figure(6, 2.8)
    bars = ax.bar(keys, [facts.counts[k] for k in keys], color=[COLORS[k] for k in keys])
    ax.bar_label(bars)
    ax.set_ylabel("samples")
    ax.set_title("Samples per category")
    return _svg(fig, "categories")


def pass_rates(facts: Facts) -> str:
    """The pass-rate histogram, the learnable band shaded."""
    fig, ax = _figure(6, 2.8)
    low, high = facts.band
    ax.axvspan(low, high, color=COLORS["learnable"], alpha=0.12, label="learnable band")
    rates = sorted(facts.pass_rates)
    if len(rates) <= 21:
        width = min((b - a for a, b in zip(rates, rates[1:], strict=False)), default=0.1)
        bars = ax.bar(rates, [facts.pass_rates[r] for r in rates], width=0.8 * min(width, 0.1),
                      color=[_rate_color(r, low, high) for r in rates])
        ax.bar_label(bars)
    else:
        values = [r for r, n in facts.pass_rates.items() for _ in range(n)]
        ax.hist(values, bins=20, range=(0, 1), color=COLORS["learnable"])
    ax.set_xlim(-0.06, 1.06)
    ax.set_xlabel("pass rate (correct student attempts / attempts)")
    ax.set_ylabel("samples")
    ax.set_title("Pass rates of the scored samples")
    ax.set_ylim(top=1.35 * max(facts.pass_rates.values(), default=1))
    ax.legend(loc="upper center", fontsize="small")
    return _svg(fig, "pass-rates")


def _rate_color(rate: float, low: float, high: float) -> str:
    if rate <= low:
        return COLORS["too_hard"]
    return COLORS["too_easy"] if rate >= high else COLORS["learnable"]


def rounds(facts: Facts) -> str:
    """Where the samples of each rewrite round landed (0: generated)."""
    numbers = sorted(facts.by_round)
    fig, ax = _figure(6, 2.8)
    bottom = [0] * len(numbers)
    labels = [str(n) for n in numbers]
    for key in KEYS:
        heights = [facts.by_round[n][key] for n in numbers]
        if any(heights):
            ax.bar(labels, heights, bottom=bottom, color=COLORS[key], label=key)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xlabel("rewrite round (0: generated)")
    ax.set_ylabel("samples")
    ax.set_title("Where each rewrite round's samples landed")
    ax.set_ylim(top=1.4 * max(bottom))
    ax.legend(fontsize="small", ncols=3)
    return _svg(fig, "rounds")


def bars(name: str, title: str, values: Counter | dict[str, float], xlabel: str,
         top: int = 15, stacked: dict[str, Counter] | None = None) -> str:
    """A horizontal bar chart of the ``top`` largest ``values`` (stacked by category when
    ``stacked`` gives each label's counts per category)."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    labels = [_short(str(k)) for k, _ in items][::-1]
    fig, ax = _figure(7, 0.9 + 0.32 * max(len(items), 1))
    if stacked is None:
        drawn = ax.barh(labels, [v for _, v in items][::-1], color="#5c6bc0")
        ax.bar_label(drawn, fmt="%g")
    else:
        left = [0] * len(items)
        for key in KEYS:
            widths = [stacked[k][key] for k, _ in items][::-1]
            if any(widths):
                ax.barh(labels, widths, left=left, color=COLORS[key], label=key)
                left = [a + w for a, w in zip(left, widths, strict=True)]
        ax.legend(fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _svg(fig, name)


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1):]


def all_figures(facts: Facts) -> dict[str, str]:
    """Every plot the facts allow, by name."""
    figures = {"categories": categories(facts)}
    if facts.by_round:
        figures["rounds"] = rounds(facts)
    if facts.pass_rates:
        figures["pass_rates"] = pass_rates(facts)
    if facts.drops:
        figures["drops"] = bars("drops", "Drop reasons", facts.drops, "samples dropped")
    seconds = (facts.summary or {}).get("seconds") or {}
    stages = {k: float(v) for k, v in seconds.items() if isinstance(v, int | float)}
    if stages:
        figures["time"] = bars("time", "Seconds per stage", stages, "seconds", top=20)
    models = (facts.summary or {}).get("models") or {}
    tokens = {name: float((m.get("prompt_tokens") or 0) + (m.get("completion_tokens") or 0))
              for name, m in models.items() if isinstance(m, dict)}
    if tokens:
        figures["endpoint_tokens"] = bars("endpoint-tokens", "Tokens per endpoint", tokens,
                                          "tokens (prompt + completion)")
    if facts.sources:
        totals = Counter({k: sum(c.values()) for k, c in facts.sources.items()})
        figures["sources"] = bars("sources", "Samples per source", totals, "samples",
                                  stacked=facts.sources)
    if facts.keywords:
        hits = Counter({k: facts.keyword_hits[k] for k in facts.keywords})
        figures["keywords"] = bars("keywords", "Samples mentioning each keyword", hits,
                                   "samples", top=30)
    return figures


__all__: Sequence[str] = ["COLORS", "all_figures", "bars", "categories", "pass_rates", "rounds"]
