"""The office's working-day calendar in the chat: /calendar (this year and next: official
or provisional; a year's schedule loaded from a spreadsheet)."""

from handlers.calendar.chat import register

__all__ = ["register"]
