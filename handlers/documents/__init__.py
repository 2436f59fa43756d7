"""Filed documents in the chat: /document (a liaison files one), /documents (the list)."""

from handlers.documents.chat import register

__all__ = ["register"]
