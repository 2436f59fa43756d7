"""Register records edited in the chat: /find, /records, a record's page, change, add,
deactivate or reactivate, history."""

from handlers.records.chat import register

__all__ = ["register"]
