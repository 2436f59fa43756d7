"""Half-year revisions (备案) in the chat: /filing, /filings, /window and the public lists."""

from handlers.filings.chat import register

__all__ = ["register"]
