"""The 评分表 as a workbook for the office (storage/xlsx_scores.py lays it out): every unit's
twelve items in the city's layout with the figures behind each score, and the ranking."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo
from typing import Final

from bot.domain.scores import rubric as rb
from bot.domain.scores.scoring import UnitScore
from bot.i18n import N_, Translator, translator
from bot.services.people.profiles import Profile
from bot.services.scores.scoring import all_scores
from storage.db import Database
from storage.xlsx_scores import SheetItem, SheetWords, UnitSheet, score_workbook

_NUMERALS: Final[Mapping[int, str]] = {1: N_("section 1"), 2: N_("section 2"), 3: N_("section 3")}


def _words(t: Translator, year: int) -> SheetWords:
    return SheetWords(
        title=t._("Double random, one public: evaluation score sheet ({year})", year=year),
        unit=t._("Unit evaluated: {name}"),  # filled per sheet
        headings=(
            t._("Item (score sheet)"),
            t._("Content evaluated (score sheet)"),
            t._("Standard (score sheet)"),
            t._("Score (score sheet)"),
            t._("Basis (score sheet)"),
        ),
        total=t._("Total score (score sheet)"),
        ranking_sheet=t._("Ranking (score sheet)"),
        ranking_headings=(
            t._("Place (score sheet)"),
            t._("Unit code (score sheet)"),
            t._("Unit (score sheet)"),
            *rb.ITEM_CODES,
            t._("Total (score sheet ranking)"),
        ),
    )


def _sheet(t: Translator, score: UnitScore) -> UnitSheet:
    items = []
    for found in score.items:
        spec = rb.item(found.item)
        title, most = rb.SECTIONS[spec.section]
        lines = [t._(line.msgid, **line.params) for line in (*found.facts, *found.raise_by)]
        items.append(
            SheetItem(
                section=t._(
                    "({number}) {title} ({max} points in all)",
                    number=t._(_NUMERALS[spec.section]),
                    title=t._(title),
                    max=rb.plain(most),
                ),
                content=t._(
                    "{number}. {title} ({max} points)",
                    number=spec.code[1:],
                    title=t._(spec.title),
                    max=rb.plain(spec.max_points),
                ),
                standard=t._(spec.standard),
                points=found.points,
                basis="\n".join(lines),
            )
        )
    return UnitSheet(score.unit, score.name, score.total, items)


def score_sheet(
    database: Database,
    actor: Profile | None,
    year: int,
    today: date,
    tz: tzinfo,
    locale: str | None,
) -> bytes:
    """The office's 评分表 of ``year`` (the ranking and one sheet per unit), worded in
    ``locale``."""
    scores = all_scores(database, actor, year, today, tz)
    t = translator(locale)
    return score_workbook(_words(t, year), [_sheet(t, s) for s in scores])
