"""Documents in the chat. A liaison sends /document (or presses "File a document"),
chooses the kind and sends the file: a persistent conversation that /cancel ends. Only a
document sent in its last state is taken, so a spreadsheet sent at any other time still
goes to the register import (handlers/registers/, registered after this package). The
office and the liaison list a unit's documents with /documents and download any version.
Texts and keyboards are in views.py beside this module."""

from __future__ import annotations

from typing import Final

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people import membership
from bot.services.registers import directories
from bot.services.registers.directories import DOCUMENT_KINDS
from handlers import callbacks
from handlers.common import (
    actor,
    answer,
    call,
    conversation,
    edit,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.context import DsrContext
from handlers.documents import views

ASK_KIND, ASK_FILE = range(2)
DRAFT: Final = "document_draft"
_TOO_BIG: Final = ServiceError(
    N_("The file is larger than {megabytes} MB."),
    megabytes=directories.MAX_DOCUMENT_BYTES // 2**20,
)


def _year(context: DsrContext) -> int:
    return context.now().astimezone(context.settings.tz).year


async def start(update: Update, context: DsrContext) -> int:
    """/document or "File a document": a liaison only (the office reads documents)."""
    await answer(update, context)
    if actor(context).liaison_unit_id is None:
        await refuse(update, context, role_refusal(("liaison",)))
        return ConversationHandler.END
    _draft(context).clear()
    text, markup = views.kind_choice(context.t)
    await reply(update, text, markup=markup)
    return ASK_KIND


async def kind_chosen(update: Update, context: DsrContext) -> int:
    index = callbacks.DOC_KIND.int_arg(context, "kind")
    await answer(update, context)
    if index >= len(DOCUMENT_KINDS):
        return ASK_KIND
    await edit(update, None)
    kind = DOCUMENT_KINDS[index]
    _draft(context)["kind"] = kind
    await reply(update, views.ask_file(context.t, kind, _year(context)))
    return ASK_FILE


async def file_given(update: Update, context: DsrContext) -> int:
    message = update.effective_message
    document = message.document if message is not None else None
    kind = _draft(context).get("kind")
    if document is None or kind is None:
        return ConversationHandler.END
    try:
        directories.check_document_file(document.file_name, document.file_size)
        data = await _download(context, document.file_id)
        who = actor(context)
        info = await call(
            directories.file_document,
            context.db,
            who,
            who.liaison_unit_code or "",
            kind,
            _year(context),
            _title(message.caption if message else None, document.file_name),
            document.file_name,
            data,
            context.now(),
        )
    except ServiceError as error:
        await refuse(update, context, error)
        return ASK_FILE
    _draft(context).clear()
    await reply(update, views.filed(context.t, info))
    return ConversationHandler.END


async def _download(context: DsrContext, file_id: str) -> bytes:
    try:
        file = await context.bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            raise _TOO_BIG from None
        raise
    if file.file_size is not None and file.file_size > directories.MAX_DOCUMENT_BYTES:
        raise _TOO_BIG
    return bytes(await file.download_as_bytearray())


def _title(caption: str | None, file_name: str | None) -> str:
    if caption and caption.strip():
        return caption.strip()[:300]
    name = file_name or ""
    return (name.rsplit(".", 1)[0] if "." in name else name)[:300] or "—"


async def not_a_file(update: Update, context: DsrContext) -> int:
    await reply(update, views.not_a_file(context.t))
    return ASK_FILE


async def cancel(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    _draft(context).clear()
    await reply(update, views.cancelled(context.t))
    return ConversationHandler.END


def _draft(context: DsrContext) -> dict[str, str]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


# --- reading them ------------------------------------------------------------------------------


@requires("office", "liaison")
async def document_list(update: Update, context: DsrContext) -> None:
    """/documents: a liaison's own unit; the office chooses the unit."""
    who = actor(context)
    if who.liaison_unit_id is not None and not who.is_office:
        await _show_list(update, context, who.liaison_unit_code or "", who.liaison_unit_name or "")
        return
    units = await call(membership.list_units, context.db)
    if not units:
        await reply(update, context.t._("There are no member units yet."))
        return
    text, markup = views.unit_choice(context.t, units)
    await reply(update, text, markup=markup)


@requires("office", "liaison")
async def unit_documents(update: Update, context: DsrContext) -> None:
    unit_id = callbacks.DOC_LIST.int_arg(context, "unit")
    who = actor(context)
    membership_units = {u.id: u for u in await call(membership.list_units, context.db)}
    unit = membership_units.get(unit_id)
    if unit is None:
        raise ServiceError(N_("That unit no longer exists."))
    membership.require_unit_access(who, unit.id)
    await answer(update, context)
    await _show_list(update, context, unit.code, unit.name)


async def _show_list(update: Update, context: DsrContext, code: str, name: str) -> None:
    who = actor(context)
    found = await call(directories.list_documents, context.db, who, code)
    own = who.liaison_unit_code == code
    text, markup = views.document_list(context.t, name, found, context.settings.tz, can_file=own)
    await reply(update, text, markup=markup, html_mode=True)


@requires("office", "liaison")
async def download(update: Update, context: DsrContext) -> None:
    document_id = callbacks.DOC_GET.int_arg(context, "document")
    info, data = await call(directories.document_file, context.db, actor(context), document_id)
    await answer(update, context)
    chat = update.effective_chat
    if chat is not None:
        name = info.file_name or f"{info.kind}-{info.year}-v{info.version}"
        await context.bot.send_document(chat.id, InputFile(data, filename=name), caption=info.title)


def document_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "file_document",
        entry_points=[CommandHandler("document", start), callbacks.DOC_NEW.handler(start)],
        states={
            ASK_KIND: [callbacks.DOC_KIND.handler(kind_chosen)],
            ASK_FILE: [
                MessageHandler(filters.Document.ALL, file_given),
                MessageHandler(~filters.COMMAND, not_a_file),
            ],
        },
        cancel=cancel,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(document_conversation())
    app.add_handler(CommandHandler("documents", document_list))
    app.add_handler(callbacks.DOC_LIST.handler(unit_documents))
    app.add_handler(callbacks.DOC_GET.handler(download))
