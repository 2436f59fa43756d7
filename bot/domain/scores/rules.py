"""The rule types of the rubric, as functions of plain numbers (docs/architecture.md, "The
evaluation"). Each returns points within 0..max_points, rounded to hundredths (half up),
so that a unit's total is the sum of what its items show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal(0)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _within(value: Decimal, max_points: Decimal) -> Decimal:
    return rounded(min(max(value, ZERO), max_points))


def ratio(
    max_points: Decimal,
    done: int,
    due: int,
    *,
    target: Decimal = Decimal(1),
    when_none: Decimal = ZERO,
) -> Decimal:
    """max × min(1, (done ÷ due) ÷ target); ``when_none`` when nothing was due."""
    if due <= 0:
        return _within(when_none, max_points)
    share = Decimal(max(done, 0)) / Decimal(due)
    return _within(max_points * min(Decimal(1), share / target), max_points)


def all_or_nothing(max_points: Decimal, ok: bool) -> Decimal:
    return _within(max_points if ok else ZERO, max_points)


def capped_count(max_points: Decimal, count: int, per: Decimal) -> Decimal:
    """``per`` points for each one counted, at most ``max_points``."""
    return _within(Decimal(max(count, 0)) * per, max_points)


def tiered(max_points: Decimal, levels: Iterable[str], points_of: Mapping[str, Decimal]) -> Decimal:
    """The points of each level reached (a level not in ``points_of`` counts 0), summed and
    capped at ``max_points``."""
    return _within(sum((points_of.get(level, ZERO) for level in levels), ZERO), max_points)


def checklist(max_points: Decimal, parts: Iterable[tuple[bool, Decimal]]) -> Decimal:
    """The points of every part present, capped at ``max_points``."""
    return _within(sum((points for present, points in parts if present), ZERO), max_points)


def judged(max_points: Decimal, points: Decimal | None) -> Decimal:
    """The office's judgment, within the item's range; nothing judged yet is 0."""
    return _within(points if points is not None else ZERO, max_points)
