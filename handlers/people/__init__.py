"""People with access: who I am, who has access, removing someone."""

from handlers.people.chat import register

__all__ = ["register"]
