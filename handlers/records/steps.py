"""What the records conversation's steps share: its states, its draft in user_data
(persisted with the state), today's date, the typed text."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from telegram import Update
from telegram.ext import ConversationHandler

from handlers.context import DsrContext

PICK_KIND, ASK_QUERY, RESULTS, PICK_FIELD, ASK_VALUE, CONFIRM, ASK_UNIT, ASK_NEW = range(8)
DRAFT: Final = "records_draft"
END: Final = ConversationHandler.END


def today(context: DsrContext) -> date:
    """Today in the office's time zone (DSR_TIMEZONE)."""
    return context.now().astimezone(context.settings.tz).date()


def draft_of(context: DsrContext) -> dict[str, Any]:
    data = context.user_data if context.user_data is not None else {}
    draft = data.setdefault(DRAFT, {})
    assert isinstance(draft, dict)
    return draft


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""
