"""The registers in the chat: templates, and a spreadsheet sent to the bot — which unit
(the office chooses), which directory, which mode — checked in the background with a
progress message, answered with a preview (counts, the first problems, the error report)
and buttons to apply, apply the valid rows, or discard. Texts and keyboards are in
views.py beside this module.

A preview is kept in the database (24 hours), so its buttons work after a restart; every
press is authorised again by the import services (a liaison only their own unit's)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from telegram import Document, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Translator
from bot.services.errors import ServiceError
from bot.services.people import membership
from bot.services.people.profiles import Profile
from bot.services.registers import directories, imports, uploads, wording
from handlers import callbacks
from handlers.common import (
    actor,
    answer,
    call,
    conversation,
    edit,
    in_background,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.context import DsrContext
from handlers.registers import views

log = logging.getLogger("dsr.uploads")

ASK_UNIT, ASK_KIND, ASK_MODE = range(3)
DRAFT: Final = "upload_draft"
# Telegram lets a bot download files of at most 20 MB.
DOWNLOAD_LIMIT: Final = 20 * 2**20
SPREADSHEETS: Final = (
    filters.Document.FileExtension("xlsx")
    | filters.Document.FileExtension("xlsm")
    | filters.Document.FileExtension("xls")
)


# --- templates ---------------------------------------------------------------------------------


@requires("office", "liaison")
async def template_menu(update: Update, context: DsrContext) -> None:
    text, markup = views.template_choice(context.t)
    await reply(update, text, markup=markup)


@requires("office", "liaison")
async def send_template(update: Update, context: DsrContext) -> None:
    kind = callbacks.TEMPLATE.word_arg(context, "kind")
    data = await call(directories.template, kind)  # refuses a kind that is no directory
    await answer(update, context)
    chat = update.effective_chat
    if chat is not None:
        name = views.template_file_name(context.t, kind)
        await context.bot.send_document(chat.id, InputFile(data, filename=name))


# --- the upload conversation ------------------------------------------------------------------


async def file_received(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    document = message.document if message is not None else None
    who = actor(context)
    if document is None:
        return ConversationHandler.END
    if not (who.is_office or who.liaison_unit_id is not None):
        await refuse(update, context, role_refusal(("office", "liaison")))
        return ConversationHandler.END
    if document.file_size is not None and document.file_size > DOWNLOAD_LIMIT:
        await reply(update, _too_big(context.t, document.file_size))
        return ConversationHandler.END
    draft = _draft(context)
    draft.clear()
    draft.update(
        file_id=document.file_id,
        file_name=document.file_name or "upload.xlsx",
    )
    if who.is_office:
        units = await call(membership.list_units, context.db)
        if not units:
            await reply(update, context.t._("There are no member units yet."))
            return ConversationHandler.END
        text, markup = views.unit_choice(context.t, units)
        await reply(update, text, markup=markup)
        return ASK_UNIT
    draft["unit"] = who.liaison_unit_code or ""
    return await _ask_kind(update, context)


async def unit_chosen(update: Update, context: DsrContext) -> int:
    unit_id = callbacks.UPLOAD_UNIT.int_arg(context, "unit")
    units = {u.id: u.code for u in await call(membership.list_units, context.db)}
    if unit_id not in units:
        await answer(update, context)
        return ASK_UNIT
    await answer(update, context)
    await edit(update, None)
    _draft(context)["unit"] = units[unit_id]
    return await _ask_kind(update, context)


async def _ask_kind(update: Update, context: DsrContext) -> int:
    text, markup = views.kind_choice(context.t, _draft(context).get("file_name", ""))
    await reply(update, text, markup=markup, html_mode=True)
    return ASK_KIND


async def kind_chosen(update: Update, context: DsrContext) -> int:
    kind = callbacks.UPLOAD_KIND.word_arg(context, "kind")
    await answer(update, context)
    if kind not in views.KINDS:
        return ASK_KIND
    await edit(update, None)
    _draft(context)["kind"] = kind
    text, markup = views.mode_choice(context.t)
    await reply(update, text, markup=markup)
    return ASK_MODE


async def mode_chosen(update: Update, context: DsrContext) -> int:
    mode = callbacks.UPLOAD_MODE.word_arg(context, "mode")
    await answer(update, context)
    if mode not in ("update", "replace"):
        return ASK_MODE
    await edit(update, None)
    draft = dict(_draft(context))
    _draft(context).clear()
    chat = update.effective_chat
    if chat is None or not {"file_id", "unit", "kind"} <= draft.keys():
        return ConversationHandler.END
    upload = Upload(
        chat_id=chat.id,
        file_id=draft["file_id"],
        file_name=draft["file_name"],
        unit=draft["unit"],
        kind=draft["kind"],
        mode=mode,
        who=actor(context),
        t=context.t,
    )
    in_background(context, check_upload(context, upload))
    return ConversationHandler.END


async def cancel(update: Update, context: DsrContext) -> int:
    _draft(context).clear()
    await reply(update, context.t._("Cancelled: the file was not imported."))
    return ConversationHandler.END


def _draft(context: DsrContext) -> dict[str, str]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


# --- checking the file, in the background ------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    chat_id: int
    file_id: str
    file_name: str
    unit: str
    kind: str
    mode: str
    who: Profile
    t: Translator


class Progress:
    """Rows checked so far: reported by the thread that waits for the child process, shown
    by the event loop, which each report wakes."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.rows = 0
        self.total: int | None = None
        self.finished = False
        self._loop = loop
        self._reported = asyncio.Event()

    def __call__(self, rows: int, total: int | None) -> None:
        """In the worker thread."""
        self.rows, self.total = rows, total
        with contextlib.suppress(RuntimeError):  # the loop is closed: the bot is stopping
            self._loop.call_soon_threadsafe(self._reported.set)

    def finish(self) -> None:
        """On the loop: the check is over, the message is the preview's now."""
        self.finished = True
        self._reported.set()

    async def next(self, timeout: float | None = None) -> None:
        """Until the next report, or ``timeout`` seconds (None: no limit)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reported.wait(), timeout)
        self._reported.clear()


async def check_upload(context: DsrContext, upload: Upload) -> None:
    t = upload.t
    status = await context.bot.send_message(
        upload.chat_id, views.progress(t, upload.file_name, 0, None)
    )
    data = await _download(context, upload, status)
    if data is None:
        return
    progress = Progress(asyncio.get_running_loop())
    pacing = Pacing(context.settings.progress_seconds, context.bot_data.monotonic)
    shown = asyncio.create_task(_show_progress(status, upload, progress, pacing))
    try:
        found = await call(_preview, context, upload, data, progress)
    except imports.UnusableUpload as exc:
        await _say(status, wording.reason_text(t, exc.reason, exc.params))
        return
    except ServiceError as exc:
        await _say(status, t._(exc.message, **exc.params))
        return
    finally:
        # An edit on its way is let finish (not cancelled: it could reach Telegram after
        # the last word and hide it); none comes after.
        progress.finish()
        await shown
    text, markup = views.preview(t, found, context.settings.tz)
    await _say(status, text, markup=markup, html_mode=True)
    if found.report is not None:
        await context.bot.send_document(
            upload.chat_id,
            InputFile(found.report, filename=views.error_report_name(t, upload.file_name)),
            caption=views.error_report_caption(t, len(found.problems)),
        )


def _preview(
    context: DsrContext, upload: Upload, data: bytes, progress: Progress
) -> imports.ImportPreview:
    """The preview, checked in a child process (a hostile file cannot take the bot down)."""
    settings = context.settings
    now = context.now()
    request = uploads.Upload(
        database_url=context.db.url,
        actor=upload.who,
        unit_code=upload.unit,
        kind=upload.kind,
        file_name=upload.file_name,
        mode=upload.mode,
        now=now,
        today=now.astimezone(settings.tz).date(),
        locale=upload.t.locale,
    )
    limits = uploads.ReaderLimits.from_settings(settings)
    return uploads.preview_isolated(context.db, request, data, limits, progress)


async def _download(context: DsrContext, upload: Upload, status: Message) -> bytes | None:
    t = upload.t
    try:
        file = await context.bot.get_file(upload.file_id)
        if file.file_size is not None and file.file_size > DOWNLOAD_LIMIT:
            await _say(status, _too_big(t, file.file_size))
            return None
        return bytes(await file.download_as_bytearray())
    except BadRequest as error:
        if "too big" in error.message.lower():
            await _say(status, _too_big(t, None))
            return None
        raise


@dataclass(frozen=True)
class Pacing:
    """How often the progress message may change, by which clock (BotData.monotonic)."""

    seconds: float
    clock: Callable[[], float]


async def _show_progress(
    status: Message, upload: Upload, progress: Progress, pacing: Pacing
) -> None:
    """Edit the status message as the child reports rows read: at most every
    ``pacing.seconds`` by its clock, to the latest count, and never to the text it
    already shows (Telegram refuses an edit that changes nothing). A report that comes
    too soon is shown when the pause is over, unless a later one has come by then."""
    shown, last = status.text or "", pacing.clock()
    while not progress.finished:
        text = views.progress(upload.t, upload.file_name, progress.rows, progress.total)
        if text == shown:
            await progress.next()
            continue
        pause = pacing.seconds - (pacing.clock() - last)
        if pause > 0:
            await progress.next(pause)
            continue
        try:
            await _say(status, text)
        except TelegramError as error:  # the message is gone, say: the preview will tell
            log.warning("progress not shown: %s", type(error).__name__)
            return
        shown, last = text, pacing.clock()


async def _say(status: Message, text: str, *, markup: Any = None, html_mode: bool = False) -> None:
    try:
        await status.edit_text(
            text, reply_markup=markup, parse_mode=ParseMode.HTML if html_mode else None
        )
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def _too_big(t: Translator, size: int | None) -> str:
    if size is None:
        return t._(
            "This file is larger than the 20 MB a bot may download from Telegram. Delete "
            "unused sheets and columns, or split the directory into several files."
        )
    megabytes = f"{size / 2**20:.1f}"
    return t._(
        "This file is {size} MB; a bot may download at most 20 MB from Telegram. Delete "
        "unused sheets and columns, or split the directory into several files.",
        size=megabytes,
    )


# --- the preview's buttons ---------------------------------------------------------------------


@requires("office", "liaison")
async def apply_all(update: Update, context: DsrContext) -> None:
    import_id = callbacks.IMPORT_APPLY.int_arg(context, "import")
    await _apply(update, context, import_id, valid_only=False, confirmed=False)


@requires("office", "liaison")
async def apply_valid(update: Update, context: DsrContext) -> None:
    import_id = callbacks.IMPORT_APPLY_VALID.int_arg(context, "import")
    await _apply(update, context, import_id, valid_only=True, confirmed=False)


@requires("office", "liaison")
async def confirm_mass(update: Update, context: DsrContext) -> None:
    import_id = callbacks.IMPORT_CONFIRM_MASS.int_arg(context, "import")
    valid_only = callbacks.IMPORT_CONFIRM_MASS.int_arg(context, "valid") == 1
    await _apply(update, context, import_id, valid_only=valid_only, confirmed=True)


async def _apply(
    update: Update, context: DsrContext, import_id: int, *, valid_only: bool, confirmed: bool
) -> None:
    t = context.t
    try:
        result = await call(
            imports.apply_import,
            context.db,
            actor(context),
            import_id,
            context.now(),
            apply_valid=valid_only,
            confirm_mass_deactivation=confirmed,
        )
    except imports.ImportRefused as refusal:
        if refusal.code != "mass_deactivation":
            raise
        await answer(update, context)
        question = t._(refusal.message, **refusal.params)
        text, markup = views.mass_deactivation(t, import_id, question, valid_only)
        await edit(update, None)
        await reply(update, text, markup=markup)
        return
    await answer(update, context)
    await edit(update, None)
    await reply(update, views.applied(t, result))


@requires("office", "liaison")
async def discard(update: Update, context: DsrContext) -> None:
    import_id = callbacks.IMPORT_DISCARD.int_arg(context, "import")
    await call(imports.discard_import, context.db, actor(context), import_id, context.now())
    await answer(update, context)
    await edit(update, None)
    await reply(update, views.discarded(context.t))


# --- files that are not a directory ------------------------------------------------------------


async def not_a_spreadsheet(update: Update, context: DsrContext) -> None:
    """A photo of a table, a .csv, a Word file…: say precisely why nothing happens."""
    message = update.effective_message
    if message is None:
        return
    t = context.t
    if message.photo:
        text = t._(
            "A photo of a table cannot be read. Send the Excel file itself (.xlsx or .xls) "
            "as a file; /template gives you an empty one."
        )
    else:
        text = _wrong_file_text(t, message.document)
    await reply(update, text)


def _wrong_file_text(t: Translator, document: Document | None) -> str:
    name = (document.file_name or "") if document else ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "csv":
        return t._(
            "A .csv file loses leading zeros and long codes. Open it in Excel or WPS, format "
            "the code and phone columns as text, and save it as .xlsx."
        )
    if suffix in ("doc", "docx", "pdf", "wps"):
        return t._(
            "{file} is a document, not a spreadsheet. Directories are imported from Excel "
            "files (.xlsx or .xls); documents such as the rules document are filed with "
            "/document.",
            file=name,
        )
    return t._(
        "{file} is not a spreadsheet the bot can read. Send an Excel file (.xlsx or .xls).",
        file=name or t._("This file"),
    )


def upload_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "register_upload",
        entry_points=[MessageHandler(SPREADSHEETS, file_received)],
        states={
            ASK_UNIT: [callbacks.UPLOAD_UNIT.handler(unit_chosen)],
            ASK_KIND: [callbacks.UPLOAD_KIND.handler(kind_chosen)],
            ASK_MODE: [callbacks.UPLOAD_MODE.handler(mode_chosen)],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("template", template_menu))
    app.add_handler(callbacks.TEMPLATE.handler(send_template))
    app.add_handler(upload_conversation())
    app.add_handler(callbacks.IMPORT_APPLY.handler(apply_all))
    app.add_handler(callbacks.IMPORT_APPLY_VALID.handler(apply_valid))
    app.add_handler(callbacks.IMPORT_CONFIRM_MASS.handler(confirm_mass))
    app.add_handler(callbacks.IMPORT_DISCARD.handler(discard))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, not_a_spreadsheet))
