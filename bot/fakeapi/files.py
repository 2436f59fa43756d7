"""Files the fake hosts: uploads by the bot, files sent by test users, getFile, downloads."""

from __future__ import annotations

import base64
import mimetypes
import struct
from pathlib import Path
from typing import Literal

from bot.fakeapi.records import JSONDict, StoredFile, UploadedFile, _ApiError, _Ctx
from bot.fakeapi.state import _FakeState

UPLOAD_LIMIT = 50 * 1024 * 1024  # what bots may upload
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what bots may download through getFile


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG; a camera-like default for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return 1280, 960


class _FileHosting(_FakeState):
    """Storing, resolving and serving files (mixin of FakeBotApi)."""

    def file_bytes(self, file_path: str) -> bytes | None:
        """The content behind a ``getFile`` path (what ``/file/bot<token>/<path>`` serves)."""
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return None
        self.downloads.append(file_path)
        return stored.data

    def knows_file_path(self, file_path: str) -> bool:
        return file_path in self._files_by_path

    def _store_file(
        self,
        data: bytes,
        kind: Literal["document", "photo"],
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        n = self._file_counter
        prefix = "BQACAgUAAxkBAAI" if kind == "document" else "AgACAgUAAxkBAAI"
        token = base64.urlsafe_b64encode(f"{kind}:{n}".encode()).decode().rstrip("=")
        suffix = Path(file_name).suffix if file_name else ".jpg"
        folder = "documents" if kind == "document" else "photos"
        width, height = _image_size(data) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id=f"{prefix}{n:05d}{token}",
            file_unique_id=f"AgAD{n:05d}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            declared_size=declared_size,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _file_input(self, ctx: _Ctx, key: str, kind: Literal["document", "photo"]) -> StoredFile:
        """Resolve an InputFile-or-String parameter to a stored file, as Telegram does."""
        value = ctx.params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = ctx.uploads[value.removeprefix("attach://")]
        if isinstance(value, UploadedFile):
            if len(value.data) > UPLOAD_LIMIT:
                raise _ApiError(413, "Request Entity Too Large")
            mime = value.mime_type
            if kind == "document" and mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.file_name)[0] or mime
            return self._store_file(
                value.data,
                kind,
                file_name=value.file_name,
                mime_type=mime,
                declared_size=len(value.data),
            )
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _ApiError(
                400,
                "Bad Request: not implemented: sending files by URL",
                violation="not implemented: sending files by URL",
            )
        stored = self.files.get(value) if isinstance(value, str) else None
        if stored is None:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise _ApiError(
                400, f"Bad Request: can't use file of type {stored.kind.title()} as {kind.title()}"
            )
        return stored

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
        doc: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_name is not None:
            doc["file_name"] = stored.file_name
        if stored.mime_type is not None:
            doc["mime_type"] = stored.mime_type
        if stored.declared_size is not None:
            doc["file_size"] = stored.declared_size
        return doc

    @staticmethod
    def _photo_json(stored: StoredFile) -> list[JSONDict]:
        size: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
        }
        if stored.declared_size is not None:
            size["file_size"] = stored.declared_size
        return [size]

    def _get_file(self, ctx: _Ctx) -> JSONDict:
        stored = self.files.get(ctx.params.get("file_id", ""))
        if stored is None:
            raise _ApiError(
                400, "Bad Request: wrong file_id or the file is temporarily unavailable"
            )
        if len(stored.data) > DOWNLOAD_LIMIT or (stored.declared_size or 0) > DOWNLOAD_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        result: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.declared_size is not None:
            result["file_size"] = stored.declared_size
        return result
