"""A year's scores as plain JSON and back, so the office can freeze them as reported
(the figures, the sentences behind them, what would have raised them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from bot.domain.scores.scoring import ItemScore, Line, Status, UnitScore


def _lines(lines: tuple[Line, ...]) -> list[list[Any]]:
    return [[line.msgid, dict(line.params)] for line in lines]


def to_json(score: UnitScore) -> dict[str, Any]:
    return {
        "unit": score.unit,
        "name": score.name,
        "items": [
            {
                "item": i.item,
                "points": str(i.points),
                "max": str(i.max_points),
                "status": i.status,
                "inputs": dict(i.inputs),
                "facts": _lines(i.facts),
                "raise_by": _lines(i.raise_by),
            }
            for i in score.items
        ],
    }


def _item(data: Mapping[str, Any]) -> ItemScore:
    return ItemScore(
        item=data["item"],
        points=Decimal(data["points"]),
        max_points=Decimal(data["max"]),
        status=cast(Status, data["status"]),
        inputs=data["inputs"],
        facts=tuple(Line(m, p) for m, p in data["facts"]),
        raise_by=tuple(Line(m, p) for m, p in data["raise_by"]),
    )


def from_json(year: int, data: Mapping[str, Any], frozen_at: datetime) -> UnitScore:
    return UnitScore(
        year, data["unit"], data["name"], tuple(_item(i) for i in data["items"]), frozen_at
    )
