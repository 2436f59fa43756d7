"""Scheduled callbacks (PTB JobQueue): thin, each calls one service."""
