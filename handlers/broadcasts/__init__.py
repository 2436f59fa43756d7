"""Office broadcasts in the chat: /broadcast (handlers/broadcasts/chat.py)."""

from handlers.broadcasts.chat import register

__all__ = ["register"]
