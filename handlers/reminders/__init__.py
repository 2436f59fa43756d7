"""The office's reminders in the chat: /reminders (each kind, its rule, its next firing;
pause, resume, change the time of day or the interval)."""

from handlers.reminders.chat import register

__all__ = ["register"]
