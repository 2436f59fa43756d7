"""Callback data: what a button carries back when it is pressed (docs/architecture.md,
"Chat patterns").

Every button is made from a ``Button`` kind declared here, so the data is short, ASCII,
at most 64 bytes (Telegram's limit) and versioned: ``1:inv.re:42`` is version 1 of the
"resend invitation" button for invitation 42. A handler is registered once per kind with
``Button.handler``, which routes by PTB's ``pattern=``; the handler reads its arguments
from ``context.matches`` through ``Button.args``, never by splitting ``query.data``.

The data says *what was pressed*, never *who may press it*: every press is authorised
again by the gate and the service it calls. A press that no kind matches (a malformed,
forged or outdated button, e.g. from before a change of this format) is answered by
``unknown_press``, registered last, so the phone's spinner never keeps turning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from handlers.common import answer
from handlers.context import DsrContext

VERSION: Final = "1"
# Telegram refuses callback data over 64 bytes.
MAX_BYTES: Final = 64

FieldKind = Literal["int", "word"]
_FIELD_PATTERNS: Final[dict[FieldKind, str]] = {"int": r"\d{1,18}", "word": r"[A-Za-z_]{1,16}"}

RT = TypeVar("RT")


@dataclass(frozen=True)
class Button:
    """One kind of button: a short action name and the named fields it carries."""

    action: str
    fields: tuple[tuple[str, FieldKind], ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]{1,8}(\.[a-z]{1,8})?", self.action):
            raise ValueError(f"button action {self.action!r}: lowercase ASCII, 'word.word'")

    @property
    def prefix(self) -> str:
        return f"{VERSION}:{self.action}"

    def data(self, *values: int | str) -> str:
        """The callback data for one button of this kind."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.action} takes {len(self.fields)} values")
        parts = [self.prefix]
        for value, (name, kind) in zip(values, self.fields, strict=True):
            text = str(value)
            if not re.fullmatch(_FIELD_PATTERNS[kind], text):
                raise ValueError(f"{self.action}.{name}: {text!r} is not a {kind}")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode("ascii")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @property
    def pattern(self) -> re.Pattern[str]:
        fields = "".join(f":(?P<{name}>{_FIELD_PATTERNS[kind]})" for name, kind in self.fields)
        return re.compile(f"^{re.escape(self.prefix)}{fields}$")

    def handler(
        self, callback: Callable[[Update, DsrContext], Coroutine[Any, Any, RT]]
    ) -> CallbackQueryHandler[DsrContext, RT]:
        return CallbackQueryHandler(callback, pattern=self.pattern)

    def matches(self, data: str | None) -> bool:
        return data is not None and self.pattern.match(data) is not None

    def int_arg(self, context: DsrContext, name: str) -> int:
        """An integer field of the press being handled (the pattern guarantees its form)."""
        return int(self._match(context).group(name))

    def word_arg(self, context: DsrContext, name: str) -> str:
        return self._match(context).group(name)

    def _match(self, context: DsrContext) -> re.Match[str]:
        matches = context.matches or []
        if not matches:
            raise RuntimeError(f"{self.action}: handler reached without a pattern match")
        return matches[0]


# --- every kind of button the bot shows -----------------------------------------------------
# One place, so a reader sees them all and two features never pick the same name.

LANGUAGE = Button("lang", (("locale", "word"),))
UNIT_INVITE = Button("unit.inv", (("unit", "int"),))
UNIT_ADD_CONFIRM = Button("unit.add")
UNIT_ADD_CANCEL = Button("unit.no")
INSPECTOR_INVITE = Button("insp.inv", (("inspector", "int"),))
INSPECTORS_INVITE_ALL = Button("insp.all", (("unit", "int"),))
INVITE_RESEND = Button("inv.re", (("invite", "int"),))
INVITE_REVOKE = Button("inv.rv", (("invite", "int"),))
PERSON_REMOVE = Button("ppl.rm", (("user", "int"),))
PERSON_REMOVE_CONFIRM = Button("ppl.ok", (("user", "int"),))
PERSON_KEEP = Button("ppl.no")

# Registers: templates and spreadsheet uploads (handlers/registers/).
TEMPLATE = Button("tpl", (("kind", "word"),))
UPLOAD_UNIT = Button("up.unit", (("unit", "int"),))
UPLOAD_KIND = Button("up.kind", (("kind", "word"),))
UPLOAD_MODE = Button("up.mode", (("mode", "word"),))
IMPORT_APPLY = Button("imp.ok", (("import", "int"),))
IMPORT_APPLY_VALID = Button("imp.valid", (("import", "int"),))
IMPORT_CONFIRM_MASS = Button("imp.mass", (("import", "int"), ("valid", "int")))
IMPORT_DISCARD = Button("imp.no", (("import", "int"),))

# Availability and declared conflicts (handlers/availability/): /away, /myaway, /conflict,
# /conflicts. Picking an inspector (a liaison) and a page of them, per conversation.
AWAY_WHO = Button("away.who", (("inspector", "int"),))
AWAY_PAGE = Button("away.pg", (("page", "int"),))
AWAY_KIND = Button("away.kind", (("kind", "word"),))
AWAY_DAYS = Button("away.days", (("pick", "word"),))
AWAY_SKIP = Button("away.skip")
AWAY_OK = Button("away.ok")
AWAY_NO = Button("away.no")
AWAY_CANCEL = Button("away.del", (("absence", "int"),))
CONFLICT_WHO = Button("conf.who", (("inspector", "int"),))
CONFLICT_PAGE = Button("conf.pg", (("page", "int"),))
CONFLICT_ENTITY = Button("conf.ent", (("entity", "int"),))
CONFLICT_OK = Button("conf.ok")
CONFLICT_NO = Button("conf.no")
CONFLICT_WITHDRAW = Button("conf.del", (("conflict", "int"),))

# The office's view of a unit, invitations for every missing liaison (handlers/units/);
# filed documents (handlers/documents/); half-year filings (handlers/filings/).
UNIT_PAGE = Button("unit.page", (("unit", "int"),))
UNITS_INVITE_ALL = Button("unit.all")
DOC_NEW = Button("doc.new")
DOC_KIND = Button("doc.kind", (("kind", "int"),))  # index into DOCUMENT_KINDS
DOC_LIST = Button("doc.list", (("unit", "int"),))
DOC_GET = Button("doc.get", (("document", "int"),))
FILING_OK = Button("fil.ok", (("unit", "int"),))
FILING_PUBLIC = Button("fil.pub", (("unit", "int"),))
FILING_PUBLIC_ALL = Button("fil.all", (("kind", "word"),))

# Register records edited by hand (handlers/records/): a record's page and its buttons
# (any time: the service authorises each press), and the /find and /records conversation.
RECORD_OPEN = Button("rd.open", (("kind", "word"), ("record", "int")))
RECORD_LOG = Button("rd.log", (("kind", "word"), ("record", "int")))
RECORD_ACTIVE = Button("rd.act", (("kind", "word"), ("record", "int"), ("on", "int")))
RECORD_ACTIVE_OK = Button("rd.actok", (("kind", "word"), ("record", "int"), ("on", "int")))
RECORD_EDIT = Button("rd.edit", (("kind", "word"), ("record", "int")))
RECORD_KIND = Button("rd.kind", (("kind", "word"),))
RECORD_HITS = Button("rd.hits", (("page", "int"),))
RECORD_ADD = Button("rd.add")
RECORD_FIELD = Button("rd.field", (("field", "word"),))
RECORD_CHOICE = Button("rd.pick", (("choice", "int"),))
RECORD_CLEAR = Button("rd.clear")
RECORD_SKIP = Button("rd.skip")
RECORD_OK = Button("rd.ok")
RECORD_NO = Button("rd.no")
# The office's reminders (handlers/reminders/): pause or resume a kind, change its time of
# day or its interval (a short conversation).
REMINDER_PAUSE = Button("rem.stop", (("kind", "word"),))
REMINDER_RESUME = Button("rem.go", (("kind", "word"),))
REMINDER_TIME = Button("rem.time", (("kind", "word"),))
REMINDER_EVERY = Button("rem.every", (("kind", "word"),))
# A year's holiday schedule read from a file, confirmed or dropped (handlers/calendar/).
CALENDAR_LOAD = Button("cal.load")
CALENDAR_OK = Button("cal.ok")
CALENDAR_NO = Button("cal.no")

# Assignments and recusal (handlers/assignments/). The services put these on the notices
# they write (bot/services/outbox.py builds the same data, since services cannot import
# this module; tests/unit/test_notice_buttons.py checks that the two agree).
ASSIGNMENT_ACK = Button("as.ack", (("member", "int"),))
RECUSAL_ASK = Button("as.rec", (("member", "int"),))
RECUSAL_APPROVE = Button("rec.ok", (("member", "int"),))
RECUSAL_REFUSE = Button("rec.no", (("member", "int"),))

# Tasks and drawing in the chat (handlers/tasks/): the /newtask conversation's choices,
# a task's page, its pools before the seed, the draw (a generated seed, or the office's
# typed one) and the public certificate.
TASK_MATTER = Button("tk.mat", (("matter", "int"),))
TASK_MATTERS_OK = Button("tk.matok")
TASK_PARTNER = Button("tk.ptn", (("unit", "int"),))
TASK_PARTNERS_OK = Button("tk.ptnok")
TASK_NO_FILTER = Button("tk.nofil")
TASK_SAMPLING = Button("tk.smp", (("pick", "int"),))  # index into tasks/views SAMPLINGS
TASK_TEAM = Button("tk.team", (("size", "int"),))
TASK_NAME = Button("tk.name")
TASK_OK = Button("tk.ok")
TASK_NO = Button("tk.no")
TASK_PAGE = Button("task", (("task", "int"),))
DRAW_POOLS = Button("draw.pool", (("task", "int"),))
DRAW_GO = Button("draw.go", (("task", "int"), ("pool", "int")))
DRAW_SEED = Button("draw.seed", (("task", "int"), ("pool", "int")))
DRAW_SEED_OK = Button("draw.seedok")  # the typed seed input, shown back, confirmed
DRAW_CERT = Button("draw.cert", (("draw", "int"),))
PLAN_IMPORT = Button("plan.ok")  # the /planfile conversation's checked file
PLAN_DISCARD = Button("plan.no")
# The evaluation (handlers/scores/): a unit's items from the office's ranking, and back;
# the 评分表 workbook.
SCORE_UNIT = Button("score.unit", (("unit", "int"), ("year", "int")))
SCORE_RANKING = Button("score.rank", (("year", "int"),))
SCORE_SHEET = Button("score.xlsx", (("year", "int"),))
SCORE_FREEZE = Button("score.frz", (("year", "int"),))
SCORE_FREEZE_OK = Button("score.frzok", (("year", "int"),))
# Office broadcasts (handlers/broadcasts/): the audience, units toggled on and off, confirm
# or cancel (inside /broadcast), and the report's workbook (on the report notice).
BROADCAST_AUDIENCE = Button("bc.aud", (("kind", "word"),))
BROADCAST_UNIT = Button("bc.unit", (("unit", "int"),))
BROADCAST_UNITS_DONE = Button("bc.done")
BROADCAST_OK = Button("bc.ok")
BROADCAST_NO = Button("bc.no")
BROADCAST_REPORT = Button("bc.xlsx", (("broadcast", "int"),))

# What someone who has not joined may press: choosing their language.
GUEST_BUTTONS: Final = (LANGUAGE,)


async def unknown_press(update: Update, context: DsrContext) -> None:
    """A press no handler took: say so, never leave the spinner turning."""
    await answer(
        update,
        context,
        context.t._("This button no longer works. Send /help to see what you can do."),
        alert=True,
    )


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Register last: PTB gives a press to the first handler of group 0 that matches."""
    app.add_handler(CallbackQueryHandler(unknown_press))
