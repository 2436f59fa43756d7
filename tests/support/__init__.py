"""Shared test support: the fake Bot API served over HTTP (``http_fake``)."""
