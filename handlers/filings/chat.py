"""Half-year revisions in the chat. A liaison sends /filing: the bot shows what changed
since the unit's last filing and asks for confirmation (a button, authorised again when
pressed). The office sends /filings for the half-year's overview and the public lists,
and /window to see or move the filing windows. Texts and keyboards are in views.py."""

from __future__ import annotations

from datetime import date

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people import membership
from bot.services.people.notices import NoticeContext
from bot.services.registers import directories, filings
from handlers import callbacks
from handlers.common import actor, answer, call, edit, reply, requires
from handlers.context import DsrContext
from handlers.filings import views


def _today(context: DsrContext) -> date:
    return context.now().astimezone(context.settings.tz).date()


def _notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


@requires("liaison")
async def revision(update: Update, context: DsrContext) -> None:
    """/filing: the unit's changes since its last filing, and the confirmation."""
    code = actor(context).liaison_unit_code or ""
    found = await call(filings.revision_preview, context.db, actor(context), code, _today(context))
    text, markup = views.preview(context.t, found, context.settings.tz)
    await reply(update, text, markup=markup, html_mode=True)


@requires("office", "liaison")
async def confirm(update: Update, context: DsrContext) -> None:
    unit_id = callbacks.FILING_OK.int_arg(context, "unit")
    code = await _unit_code(context, unit_id)
    done = await call(
        filings.file_revision, context.db, actor(context), code, _today(context), _notices(context)
    )
    await answer(update, context)
    await edit(update, None)
    await reply(update, views.filed(context.t, done, context.settings.tz))


async def _unit_code(context: DsrContext, unit_id: int) -> str:
    """The unit's code for the services, which authorise the actor for it again."""
    who = actor(context)
    if who.liaison_unit_id == unit_id and who.liaison_unit_code:
        return who.liaison_unit_code
    membership.require_office(who)
    for info in await call(membership.list_units, context.db):
        if info.id == unit_id:
            return info.code
    raise ServiceError(N_("That unit no longer exists."))


@requires("office")
async def overview(update: Update, context: DsrContext) -> None:
    """/filings [YEAR H1|H2]: which units filed that half (today's half by default)."""
    args = context.args or []
    if len(args) >= 2 and args[0].isdigit():
        year, half = int(args[0]), args[1]
    else:
        year, half = await call(filings.current_period, context.db, _today(context))
    found = await call(filings.filing_overview, context.db, actor(context), year, half)
    text, markup = views.overview(context.t, found, context.settings.tz)
    await reply(update, text, markup=markup, html_mode=True)


@requires("office", "liaison")
async def public_lists(update: Update, context: DsrContext) -> None:
    """One unit's public lists (公示) of both directories (its liaison, or the office)."""
    unit_id = callbacks.FILING_PUBLIC.int_arg(context, "unit")
    code = await _unit_code(context, unit_id)
    files = [
        (
            directory,
            await call(
                directories.export_directory, context.db, actor(context), code, directory, True
            ),
        )
        for directory in filings.DIRECTORIES
    ]
    await answer(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    for directory, data in files:
        name = views.public_list_name(context.t, code, directory)
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


@requires("office")
async def all_public_lists(update: Update, context: DsrContext) -> None:
    directory = callbacks.FILING_PUBLIC_ALL.word_arg(context, "kind")
    data = await call(filings.all_public_lists, context.db, actor(context), directory)
    await answer(update, context)
    chat = update.effective_chat
    if chat is not None:
        name = views.all_public_lists_name(context.t, directory)
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


@requires("office")
async def window(update: Update, context: DsrContext) -> None:
    """/window: this year's filing windows; /window YEAR H1|H2 FIRST LAST moves one."""
    args = context.args or []
    t = context.t
    if len(args) == 4:
        year, half, opens, closes = _window_args(args)
        found = await call(
            filings.set_window, context.db, actor(context), year, half, opens, closes, context.now()
        )
        await reply(update, views.window_set(t, found))
        return
    year = _today(context).year
    shown = await call(filings.windows, context.db, year)
    await reply(update, views.windows_text(t, shown))


def _window_args(args: list[str]) -> tuple[int, str, date, date]:
    try:
        return int(args[0]), args[1], date.fromisoformat(args[2]), date.fromisoformat(args[3])
    except ValueError:
        raise ServiceError(
            N_(
                "Write the window as /window 2026 H2 2026-12-01 2027-01-10 (year, half, first and last day)."
            )
        ) from None


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("filing", revision))
    app.add_handler(callbacks.FILING_OK.handler(confirm))
    app.add_handler(CommandHandler("filings", overview))
    app.add_handler(callbacks.FILING_PUBLIC.handler(public_lists))
    app.add_handler(callbacks.FILING_PUBLIC_ALL.handler(all_public_lists))
    app.add_handler(CommandHandler("window", window))
