"""Drawing a task in the chat (issue #12, part 2): the pools before the seed, the draw with
a generated seed or (the office) a typed ceremony input, its progress, the summary and
the public certificate as a file. The pools and the draw run in the background (a
city's directory can hold a million entities), each reporting in a status message.

The rules are bot/services/draws/chat_draw.py; every press is authorised there again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ConversationHandler, MessageHandler, filters

from bot.domain.draws.algorithm import PURPOSE_TARGETS
from bot.i18n import Translator
from bot.services.draws import chat_draw, task_chat
from bot.services.draws.steps import DrawResult
from bot.services.draws.store import DrawRefused
from bot.services.errors import ServiceError
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
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
from handlers.tasks import views

ASK_SEED: Final = 0
CONFIRM_SEED: Final = 1
SEED: Final = "draw_seed"
END: Final = ConversationHandler.END

office_or_liaison = requires("office", "liaison")


@dataclass(frozen=True)
class Job:
    chat_id: int
    who: Profile
    t: Translator
    task_id: int
    commitment_id: int | None = None
    seed_input: str | None = None


def _notices(context: DsrContext) -> NoticeContext:
    settings = context.settings
    return NoticeContext(context.now(), settings, settings.default_locale)


def _job(
    update: Update,
    context: DsrContext,
    task_id: int,
    commitment_id: int | None = None,
    seed_input: str | None = None,
) -> Job | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return Job(chat.id, actor(context), context.t, task_id, commitment_id, seed_input)


async def _say(status: Message, text: str, **kwargs: object) -> None:
    try:
        await status.edit_text(text, parse_mode=ParseMode.HTML, **kwargs)  # type: ignore[arg-type]
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def _refusal(t: Translator, error: ServiceError) -> str:
    lines = error.lines if isinstance(error, DrawRefused) else ()
    return views.refused(t, error.message, error.params, lines)


# --- the pools ----------------------------------------------------------------------------------


@office_or_liaison
async def show_pools(update: Update, context: DsrContext) -> None:
    task_id = callbacks.DRAW_POOLS.int_arg(context, "task")
    await call(task_chat.require_draw_access, context.db, actor(context), task_id)
    await answer(update, context)
    job = _job(update, context, task_id)
    if job is not None:
        in_background(context, _pools(context, job))


async def _pools(context: DsrContext, job: Job) -> None:
    status = await context.bot.send_message(job.chat_id, job.t._("Computing the pools…"))
    try:
        preview = await call(
            chat_draw.preview_draw,
            context.db,
            job.who,
            job.task_id,
            context.now(),
            tz=context.settings.tz,
        )
    except ServiceError as error:
        await _say(status, _refusal(job.t, error))
        return
    text, markup = views.pools(job.t, preview, office=job.who.is_office)
    await _say(status, text, reply_markup=markup)


# --- the draw -----------------------------------------------------------------------------------


@office_or_liaison
async def confirm_draw(update: Update, context: DsrContext) -> None:
    task_id = callbacks.DRAW_GO.int_arg(context, "task")
    pool = callbacks.DRAW_GO.int_arg(context, "pool")
    await call(task_chat.require_draw_access, context.db, actor(context), task_id)
    await answer(update, context)
    await edit(update, None)
    job = _job(update, context, task_id, commitment_id=pool)
    if job is not None:
        in_background(context, _draw(context, job))


async def _draw(context: DsrContext, job: Job) -> None:
    """Draw the pool shown; after a targets draw with a generated seed, fix the
    inspectors' pool and draw them too (each seed made after its pool is stored)."""
    assert job.commitment_id is not None
    t = job.t
    status = await context.bot.send_message(job.chat_id, t._("Drawing…"))
    try:
        result = await _draw_one(context, job, job.commitment_id, job.seed_input)
        if result.purpose == PURPOSE_TARGETS:
            drawn = views.targets_drawn(t, result.task_code, result.id, len(result.teams))
            await _say(status, drawn)
            if job.seed_input is not None:  # the office types the inspectors' seed too
                await _pools(context, job)
                return
            preview = await call(
                chat_draw.preview_draw,
                context.db,
                job.who,
                job.task_id,
                context.now(),
                tz=context.settings.tz,
            )
            if preview.commitment_id is None:
                text, markup = views.pools(t, preview, office=job.who.is_office)
                await _say(status, text, reply_markup=markup)
                return
            await _say(
                status,
                views.inspectors_pool_fixed(t, result.task_code, preview.size, preview.digest),
            )
            result = await _draw_one(context, job, preview.commitment_id, None)
    except ServiceError as error:
        await _say(status, _refusal(t, error))
        return
    await _summary(context, job, status, result)


async def _draw_one(
    context: DsrContext, job: Job, commitment_id: int, seed_input: str | None
) -> DrawResult:
    return await call(
        chat_draw.draw_now,
        context.db,
        job.who,
        job.task_id,
        commitment_id,
        now=context.now(),
        tz=context.settings.tz,
        notices=_notices(context),
        seed_input=seed_input,
    )


async def _summary(context: DsrContext, job: Job, status: Message, result: DrawResult) -> None:
    cert = await call(task_chat.certificate_file, context.db, job.who, result.id)
    await _say(status, views.summary(job.t, cert.data))
    await context.bot.send_message(job.chat_id, views.told(job.t))
    await context.bot.send_document(
        job.chat_id,
        InputFile(cert.workbook, filename=views.certificate_name(job.t, cert.task_code, result.id)),
    )


@office_or_liaison
async def send_certificate(update: Update, context: DsrContext) -> None:
    draw_id = callbacks.DRAW_CERT.int_arg(context, "draw")
    cert = await call(task_chat.certificate_file, context.db, actor(context), draw_id)
    await answer(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    name = views.certificate_name(context.t, cert.task_code, draw_id)
    await context.bot.send_document(chat.id, InputFile(cert.workbook, filename=name))


# --- the office's typed seed ------------------------------------------------------------------------


async def ask_seed(update: Update, context: DsrContext) -> int:
    task_id = callbacks.DRAW_SEED.int_arg(context, "task")
    pool = callbacks.DRAW_SEED.int_arg(context, "pool")
    who = actor(context)
    try:
        if not who.is_office:
            raise role_refusal(("office",))
        await call(task_chat.require_draw_access, context.db, who, task_id)
    except ServiceError as error:
        await refuse(update, context, error)
        return END
    await answer(update, context)
    await edit(update, None)
    data = context.user_data if context.user_data is not None else {}
    data[SEED] = {"task": task_id, "pool": pool}
    await reply(update, views.ask_seed(context.t))
    return ASK_SEED


async def seed_typed(update: Update, context: DsrContext) -> int:
    """The typed input is shown back before anything is drawn: a ceremony's digits are
    typed once, and a typo would make a draw nobody can take back."""
    data = context.user_data if context.user_data is not None else {}
    chosen = data.get(SEED)
    message = update.effective_message
    typed = (message.text or "").strip() if message is not None else ""
    if not isinstance(chosen, dict):
        return END
    if not typed:
        await reply(update, views.ask_seed(context.t))
        return ASK_SEED
    chosen["input"] = typed
    text, markup = views.confirm_seed(context.t, typed)
    await reply(update, text, markup=markup, html_mode=True)
    return CONFIRM_SEED


async def seed_confirmed(update: Update, context: DsrContext) -> int:
    await answer(update, context)
    await edit(update, None)
    data = context.user_data if context.user_data is not None else {}
    chosen = data.pop(SEED, None)
    if not isinstance(chosen, dict) or not chosen.get("input"):
        return END
    job = _job(
        update,
        context,
        int(chosen["task"]),
        commitment_id=int(chosen["pool"]),
        seed_input=str(chosen["input"]),
    )
    if job is not None:
        in_background(context, _draw(context, job))
    return END


async def cancel_seed(update: Update, context: DsrContext) -> int:
    data = context.user_data if context.user_data is not None else {}
    data.pop(SEED, None)
    await reply(update, views.seed_cancelled(context.t))
    return END


def seed_conversation() -> ConversationHandler[DsrContext]:
    return conversation(
        "drawseed",
        entry_points=[callbacks.DRAW_SEED.handler(ask_seed)],
        states={
            ASK_SEED: [MessageHandler(filters.TEXT & ~filters.COMMAND, seed_typed)],
            CONFIRM_SEED: [
                callbacks.DRAW_SEED_OK.handler(seed_confirmed),
                MessageHandler(filters.TEXT & ~filters.COMMAND, seed_typed),  # typed again
            ],
        },
        cancel=cancel_seed,
    )
