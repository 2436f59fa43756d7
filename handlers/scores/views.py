"""What /score shows: a unit's score item by item (the figures behind each and what would
raise it) and the office's ranking with a button per unit. Built from a Translator and
plain values; the chart of the ranking is chart.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.scores import rubric as rb
from bot.domain.scores.scoring import ItemScore, Line, UnitScore
from bot.i18n import Translator
from bot.services.scores.rubric import Judged, ParamValue
from handlers import callbacks
from handlers.common import esc

# Ranking buttons per row: unit codes are short.
_PER_ROW = 3
_MARKS = {"scored": "", "judged": "", "not_judged": "⏳ ", "no_data": "… "}


def line(t: Translator, found: Line) -> str:
    return t._(found.msgid, **found.params)


def item_title(t: Translator, code: str) -> str:
    return t._(rb.item(code).title)


def section_title(t: Translator, section: int) -> str:
    return t._(rb.SECTIONS[section][0])


def _item(t: Translator, found: ItemScore) -> list[str]:
    head = t._(
        "{mark}<b>{item} {title}</b>: {points} / {max}",
        mark=_MARKS[found.status],
        item=found.item,
        title=esc(item_title(t, found.item)),
        points=rb.plain(found.points),
        max=rb.plain(found.max_points),
    )
    lines = [head]
    lines += ["  · " + esc(line(t, fact)) for fact in found.facts]
    lines += ["  ↑ " + esc(line(t, hint)) for hint in found.raise_by]
    return lines


def _frozen(t: Translator, score: UnitScore, tz: tzinfo) -> list[str]:
    if score.frozen_at is None:
        return []
    return [
        t._(
            "🔒 Frozen on {day}: the figures as reported.",
            day=t.date(score.frozen_at.astimezone(tz).date(), "long"),
        )
    ]


def unit_score(t: Translator, score: UnitScore, tz: tzinfo) -> str:
    """Every item with its figures and what would raise it, section by section."""
    lines = [
        t._(
            "<b>{unit}</b>: evaluation {year}, {total} of 100 points",
            unit=esc(score.name),
            year=score.year,
            total=rb.plain(score.total),
        ),
        *_frozen(t, score, tz),
    ]
    for section, (_, most) in rb.SECTIONS.items():
        items = [i for i in score.items if rb.item(i.item).section == section]
        got = sum((i.points for i in items), Decimal(0))
        lines += [
            "",
            t._(
                "<u>{section}</u>: {points} / {max}",
                section=esc(section_title(t, section)),
                points=rb.plain(got),
                max=rb.plain(most),
            ),
        ]
        for found in items:
            lines += _item(t, found)
    lines += ["", t._("⏳ not judged yet; … no data in the bot yet; ↑ what would raise it.")]
    return "\n".join(lines)


def unit_keyboard(t: Translator, score_year: int, office: bool) -> InlineKeyboardMarkup | None:
    if not office:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("« Ranking"), callback_data=callbacks.SCORE_RANKING.data(score_year)
                )
            ]
        ]
    )


def ranking(
    t: Translator, year: int, scores: Sequence[UnitScore], unit_ids: dict[str, int], tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The office's ranking, highest first, a button per unit for its items."""
    if not scores:
        return t._("There are no member units to score yet."), None
    lines = [t._("<b>Evaluation {year}: ranking of the units</b>", year=year)]
    lines += _frozen(t, scores[0], tz)
    for place, score in enumerate(scores, start=1):
        lines.append(
            t._(
                "{place}. {name} ({unit}): {total}",
                place=place,
                name=esc(score.name),
                unit=score.unit,
                total=rb.plain(score.total),
            )
        )
    lines += ["", t._("Press a unit to see its items.")]
    buttons = [
        InlineKeyboardButton(
            score.unit, callback_data=callbacks.SCORE_UNIT.data(unit_ids[score.unit], year)
        )
        for score in scores
        if score.unit in unit_ids
    ]
    rows = [buttons[i : i + _PER_ROW] for i in range(0, len(buttons), _PER_ROW)]
    last = [
        InlineKeyboardButton(
            t._("Score sheet (.xlsx)"), callback_data=callbacks.SCORE_SHEET.data(year)
        )
    ]
    if scores[0].frozen_at is None:
        last.append(
            InlineKeyboardButton(
                t._("Freeze {year}", year=year), callback_data=callbacks.SCORE_FREEZE.data(year)
            )
        )
    return "\n".join(lines), InlineKeyboardMarkup([*rows, last])


def freeze_question(t: Translator, year: int) -> tuple[str, InlineKeyboardMarkup]:
    text = t._(
        "Freeze the scores of {year} as they are now? They are what the office reports:"
        " afterwards the year's scores, parameters and judgments no longer change.",
        year=year,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Freeze"), callback_data=callbacks.SCORE_FREEZE_OK.data(year)
                ),
                InlineKeyboardButton(
                    t._("« Ranking"), callback_data=callbacks.SCORE_RANKING.data(year)
                ),
            ]
        ]
    )
    return text, markup


def sheet_name(t: Translator, year: int) -> str:
    return t._("score-sheet-{year}.xlsx", year=year)


def chart_caption(t: Translator, year: int) -> str:
    return t._("Evaluation {year}: the units by score", year=year)


def judged(t: Translator, done: Judged) -> str:
    return t._(
        "Judged: {unit} {item} {title}, {points} points for {year}.",
        unit=done.unit_code,
        item=done.item,
        title=item_title(t, done.item),
        points=rb.plain(done.points),
        year=done.year,
    )


def judge_usage(t: Translator) -> str:
    return t._(
        "Write /judge UNIT ITEM POINTS NOTE, for example: /judge SCJG 一1 4.5 领导小组已成立."
        " The office judges {items}.",
        items=", ".join(rb.JUDGED),
    )


def rubric_text(t: Translator, year: int, values: Sequence[ParamValue]) -> str:
    """The year's rubric: each item, its points and rule, and the parameters it has."""
    lines = [t._("<b>Evaluation rubric {year}</b>", year=year)]
    for spec in rb.ITEMS:
        lines.append(
            t._(
                "{item} {title} ({max} points): {rule}",
                item=spec.code,
                title=esc(t._(spec.title)),
                max=rb.plain(spec.max_points),
                rule=t._(rb.RULE_NAMES[spec.rule]),
            )
        )
        for v in (v for v in values if v.item == spec.code):
            lines.append(
                t._(
                    "  · {name} = {value} ({description}; default {default})",
                    name=v.name,
                    value=rb.plain(v.value),
                    description=esc(t._(v.description)),
                    default=rb.plain(v.default),
                )
            )
    lines += ["", t._("Change one for this year: /rubric 二2 target_ratio 0.8")]
    return "\n".join(lines)


def param_set(t: Translator, year: int, value: ParamValue) -> str:
    return t._(
        "Set for {year}: {item} {name} = {value}.",
        year=year,
        item=value.item,
        name=value.name,
        value=rb.plain(value.value),
    )
