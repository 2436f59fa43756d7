"""The registers (一单两库) in the chat: templates and spreadsheet uploads."""

from handlers.registers.chat import register

__all__ = ["register"]
