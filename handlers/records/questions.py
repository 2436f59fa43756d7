"""The questions of a change or an addition in the chat: which field, its new value
(typed, or picked from the register's choices), the confirmation and the summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.registers.specs import FieldKind, FieldSpec, Register
from bot.domain.registers.validation import spec_of
from bot.i18n import Translator
from bot.services.registers.edits import Checked, Done
from bot.services.registers.lookup import RecordPage
from bot.services.registers.wording import reason_text
from handlers import callbacks
from handlers.common import esc
from handlers.records.views import (
    Keyboard,
    colon,
    english,
    field_label,
    field_of,
    record_text,
    register_title,
    shown,
)

# --- changing a field -------------------------------------------------------------------------


def pick_field(t: Translator, page: RecordPage) -> tuple[str, Keyboard]:
    spec = spec_of(Register(page.kind))
    buttons = [
        InlineKeyboardButton(
            field_label(t, spec.field(key)), callback_data=callbacks.RECORD_FIELD.data(key)
        )
        for key in page.values
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    text = t._("Which field of “{name}”? (/cancel to stop)", name=esc(page.name))
    return text, InlineKeyboardMarkup(rows)


def choices_of(spec: FieldSpec) -> list[str]:
    """What a person may pick instead of typing: the choices (as their Chinese labels,
    which the import reads), 是/否, 长期 for a validity date."""
    if spec.kind is FieldKind.BOOL:
        return ["是", "否"]
    if spec.kind is FieldKind.DATE:
        return ["长期"]
    if spec.kind in (FieldKind.ENUM, FieldKind.TAGS):
        return [c.zh for c in spec.choices]
    return []


def _choice_buttons(t: Translator, spec: FieldSpec) -> list[list[InlineKeyboardButton]]:
    lang = "en" if english(t) else "zh"
    buttons = []
    for index, raw in enumerate(choices_of(spec)):
        label = raw
        if spec.kind is FieldKind.DATE:
            label = t._("no expiry (长期)")
        elif spec.kind is FieldKind.BOOL:
            label = t._("yes") if raw == "是" else t._("no")
        elif spec.choices:
            label = spec.label(spec.choices[index].code, lang)
        buttons.append(
            InlineKeyboardButton(label[:40], callback_data=callbacks.RECORD_CHOICE.data(index))
        )
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _markup(rows: list[list[InlineKeyboardButton]]) -> Keyboard | None:
    """Buttons, or none at all (Telegram refuses an empty keyboard)."""
    return InlineKeyboardMarkup(rows) if rows else None


def _hint(t: Translator, spec: FieldSpec) -> str:
    if spec.kind is FieldKind.DATE:
        return t._("Type a date as you would write it: 2028-12-31, 2028年12月31日, 12.31; or pick.")
    if spec.kind is FieldKind.TAGS:
        return t._("Several values are separated by “、”.")
    return spec.note if not english(t) and spec.note else ""


def ask_value(
    t: Translator, kind: str, key: str, current: object, clearable: bool
) -> tuple[str, Keyboard | None]:
    spec = field_of(kind, key)
    lines = [
        t._(
            "Type the new “{field}” (now: {value}).",
            field=field_label(t, spec),
            value=esc(shown(t, spec, current)),
        )
    ]
    hint = _hint(t, spec)
    if hint:
        lines.append(esc(hint))
    lines.append(t._("(/cancel to stop)"))
    rows = _choice_buttons(t, spec)
    if clearable:
        rows.append(
            [InlineKeyboardButton(t._("Clear it"), callback_data=callbacks.RECORD_CLEAR.data())]
        )
    return "\n".join(lines), _markup(rows)


def _warning_lines(t: Translator, warnings: Sequence[tuple[str, Mapping[str, str]]]) -> list[str]:
    return [f"! {esc(reason_text(t, reason, params))}" for reason, params in warnings]


def _yes_no(t: Translator) -> Keyboard:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Confirm"), callback_data=callbacks.RECORD_OK.data()),
                InlineKeyboardButton(t._("Cancel"), callback_data=callbacks.RECORD_NO.data()),
            ]
        ]
    )


def confirm_change(t: Translator, kind: str, name: str, checked: Checked) -> tuple[str, Keyboard]:
    spec = field_of(kind, checked.key)
    lines = [
        t._(
            "Change “{field}” of {name}:\n{before} → <b>{after}</b>",
            field=field_label(t, spec),
            name=esc(name),
            before=esc(shown(t, spec, checked.before)),
            after=esc(shown(t, spec, checked.after)),
        ),
        *_warning_lines(t, checked.warnings),
    ]
    if checked.shared:
        lines.append(
            t._("Other units' directories hold this entity too: they will see the change.")
        )
    return "\n".join(lines), _yes_no(t)


def changed(t: Translator, done: Done) -> str:
    spec = spec_of(Register(done.page.kind))
    parts = [
        t._(
            "“{field}”: {before} → {after}",
            field=field_label(t, spec.field(key)),
            before=esc(shown(t, spec.field(key), done.before.get(key))),
            after=esc(shown(t, spec.field(key), value)),
        )
        for key, value in done.after.items()
    ]
    head = t._("Changed: {changes}.", changes="; ".join(parts))
    return "\n".join([head, *_warning_lines(t, done.warnings), "", record_text(t, done.page)])


# --- adding a record --------------------------------------------------------------------------


def ask_unit(t: Translator) -> str:
    return t._("Which unit's directory? Type the unit's code, like SCJG. (/cancel to stop)")


def ask_new(t: Translator, kind: str, key: str, required: bool) -> tuple[str, Keyboard | None]:
    spec = field_of(kind, key)
    if required:
        text = t._(
            "New record in the {register}: type the “{field}” (required).",
            register=register_title(t, kind),
            field=field_label(t, spec),
        )
    else:
        text = t._("Type the “{field}”, or skip it.", field=field_label(t, spec))
    hint = _hint(t, spec)
    lines = [text, esc(hint)] if hint else [text]
    lines.append(t._("(/cancel to stop)"))
    rows = _choice_buttons(t, spec)
    if not required:
        rows.append([InlineKeyboardButton(t._("Skip"), callback_data=callbacks.RECORD_SKIP.data())])
    return "\n".join(lines), _markup(rows)


def confirm_add(
    t: Translator, kind: str, unit_code: str, typed: Mapping[str, str | None]
) -> tuple[str, Keyboard]:
    lines = [
        t._("Add to {unit}'s {register}:", unit=esc(unit_code), register=register_title(t, kind))
    ]
    for key, value in typed.items():
        if value:
            lines.append(f"{esc(field_label(t, field_of(kind, key)))}{colon(t)}{esc(value)}")
    return "\n".join(lines), _yes_no(t)


def added(t: Translator, done: Done) -> str:
    head = t._("Added. The other fields can be changed on its page.")
    return head + "\n\n" + record_text(t, done.page)
