"""The multiple-comparison note under the lift table: how many comparisons were made, how
many look significant, how many a run of pure chance would make look so, and which ones
stay significant after Holm's correction for the number of comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALPHA = 0.05


@dataclass(frozen=True)
class ComparisonSummary:
    tested: int  # comparisons with a p-value (both groups non-empty)
    significant: int  # their 95% interval excludes 0 (is_significant)
    expected_by_chance: float  # tested x ALPHA: false positives if nothing had any effect
    holm_significant: frozenset[str]  # result_keys significant after Holm's correction


def holm_significant(p_values: dict[str, float], alpha: float = ALPHA) -> frozenset[str]:
    """Holm's step-down procedure: the k-th smallest of m p-values is compared with
    alpha / (m - k + 1); every one before the first that fails is significant. It keeps the
    chance of any false positive among the m comparisons at most alpha."""
    ordered = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    kept = []
    for rank, (key, p) in enumerate(ordered):
        if p >= alpha / (len(ordered) - rank):
            break
        kept.append(key)
    return frozenset(kept)


def summarize(lifts: Sequence[dict[str, Any]]) -> ComparisonSummary:
    tested = {str(r["result_key"]): float(r["p_value"]) for r in lifts if r["p_value"] is not None}
    return ComparisonSummary(
        tested=len(tested),
        significant=sum(1 for r in lifts if r["is_significant"]),
        expected_by_chance=len(tested) * ALPHA,
        holm_significant=holm_significant(tested),
    )


def note(summary: ComparisonSummary) -> str:
    """The note as plain text (the page escapes it)."""
    if summary.tested == 0:
        return "No comparison has two non-empty groups yet."
    plural = "s" if summary.tested != 1 else ""
    return (
        f"{summary.tested} comparison{plural} tested at the 5% level each; "
        f"{summary.significant} look significant. If nothing worked at all, about "
        f"{summary.expected_by_chance:.1f} of {summary.tested} would still look significant "
        f"by chance alone, so one significant result among many is weak evidence. "
        f"{len(summary.holm_significant)} stay significant after Holm's correction for "
        f"{summary.tested} comparisons (marked ✓✓), which keeps the chance of any false "
        "positive among them under 5%."
    )
