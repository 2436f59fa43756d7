"""A unit's registers as people see them: the directory, its templates and exports, and
the unit's filed documents (实施细则, plans, cross-department documents), versioned.

Imports (preview, apply, undo) are bot.services.registers.imports and bot.services.registers.import_undo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from bot.domain.registers.validation import spec_of
from bot.i18n import N_
from bot.services.errors import ServiceError
from bot.services.people.membership import require_unit_access, unit_for
from bot.services.people.profiles import Profile
from bot.services.registers.import_support import label, register_of
from storage import audit, xlsx_write
from storage import registers_repo as repo
from storage.db import Database, reading
from storage.models import Document, Unit

# The documents a unit files (docs/architecture.md §5; the city's 评分表 item 一(3)).
DOCUMENT_KINDS: Final = ("rules", "annual_plan", "implementation_plan", "cross_department")
DOCUMENT_KIND_NAMES: Final[Mapping[str, str]] = {
    "rules": N_("rules document (实施细则)"),
    "annual_plan": N_("annual plan"),
    "implementation_plan": N_("implementation plan"),
    "cross_department": N_("cross-department document"),
}
# Telegram lets a bot download 20 MB; a file the bot cannot send back is no use filed.
MAX_DOCUMENT_BYTES: Final = 20 * 2**20
# What a filed document may be: the office reads them as PDF, Word or Excel files.
DOCUMENT_SUFFIXES: Final = ("pdf", "docx", "doc", "xlsx", "xls")


@dataclass(frozen=True)
class DirectoryEntry:
    id: int  # unit_entities / inspectors / matters id
    values: Mapping[str, object]  # field keys of bot.domain.registers.columns
    active: bool


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    unit_code: str
    kind: str
    year: int
    version: int
    title: str
    file_name: str | None
    sha256: str | None
    size: int
    uploaded_at: datetime


# --- the directory --------------------------------------------------------------------------


def directory(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    kind: str,
    *,
    include_inactive: bool = False,
) -> list[DirectoryEntry]:
    """The unit's directory, in the order its records were added."""
    register = register_of(kind)
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        records = repo.load_records(session, register, unit.id)
    records.sort(key=lambda r: r.id)
    return [
        DirectoryEntry(r.id, dict(r.values), r.active)
        for r in records
        if r.active or include_inactive
    ]


def template(kind: str) -> bytes:
    """The empty .xlsx to fill in (Chinese headers, a notes row, drop-downs)."""
    return xlsx_write.template(register_of(kind))


def export_directory(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    kind: str,
    public: bool = False,
) -> bytes:
    """The unit's active directory as .xlsx: in full, to edit and upload again, or the
    public list (公示: no risk class, phone, contact person, nor an individual business's
    address, which is its keeper's home)."""
    register = register_of(kind)
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        rows = repo.directory_rows(session, register, unit.id)
        unit_name = unit.name
    spec = spec_of(register)
    title = f"{unit_name}{spec.title}（公示）" if public else None
    return xlsx_write.export_register(rows, register, public, title=title)


# --- documents ------------------------------------------------------------------------------


def _document_kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise ServiceError(
            N_("“{kind}” is not a kind of document: use one of {kinds}."),
            kind=kind,
            kinds=", ".join(DOCUMENT_KINDS),
        )
    return kind


def check_document_file(file_name: str | None, size: int | None) -> None:
    """Refuse a file that cannot be filed before it is downloaded: by its name's suffix and
    by its size, when Telegram gives one (it may not)."""
    name = file_name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in DOCUMENT_SUFFIXES:
        raise ServiceError(
            N_("{file} cannot be filed: send a PDF, Word or Excel file ({suffixes})."),
            file=name or "?",
            suffixes=", ".join(f".{s}" for s in DOCUMENT_SUFFIXES),
        )
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise ServiceError(
            N_("The file is larger than {megabytes} MB."),
            megabytes=MAX_DOCUMENT_BYTES // 2**20,
        )


def file_document(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    kind: str,
    year: int,
    title: str,
    file_name: str | None,
    data: bytes,
    now: datetime,
) -> DocumentInfo:
    """File a document: each filing of the same kind and year is a new version."""
    kind = _document_kind(kind)
    title = title.strip()
    if not title or len(title) > 300:
        raise ServiceError(N_("A document needs a title of at most 300 characters."))
    if not 2000 <= year <= 2100:
        raise ServiceError(N_("{year} is not a plausible year."), year=year)
    if not data:
        raise ServiceError(N_("The file is empty."))
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ServiceError(
            N_("The file is larger than {megabytes} MB."),
            megabytes=MAX_DOCUMENT_BYTES // 2**20,
        )
    with database.unit_of_work() as uow:
        session = uow.session
        unit = unit_for(session, actor, unit_code)
        latest = session.execute(
            select(func.max(Document.version)).where(
                Document.unit_id == unit.id, Document.kind == kind, Document.year == year
            )
        ).scalar_one()
        document = Document(
            unit_id=unit.id,
            kind=kind,
            year=year,
            version=(latest or 0) + 1,
            title=title,
            file_name=(file_name or "")[:300] or None,
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_by=actor.user_id if actor is not None else None,
            uploaded_at=now,
        )
        session.add(document)
        session.flush()
        audit.append(
            session,
            actor=label(actor),
            action="document.file",
            obj=f"document:{document.id}",
            details={
                "unit": unit.code,
                "kind": kind,
                "year": year,
                "version": document.version,
                "sha256": document.sha256,
            },
            at=now,
        )
        info = _info(document, unit.code, len(data))
        uow.commit()
    return info


def _info(document: Document, unit_code: str, size: int) -> DocumentInfo:
    return DocumentInfo(
        document.id,
        unit_code,
        document.kind,
        document.year,
        document.version,
        document.title,
        document.file_name,
        document.sha256,
        size,
        document.uploaded_at,
    )


def list_documents(
    database: Database,
    actor: Profile | None,
    unit_code: str,
    kind: str | None = None,
    year: int | None = None,
) -> list[DocumentInfo]:
    """The unit's filed documents, every version, by kind, year and version."""
    with reading(database) as session:
        unit = unit_for(session, actor, unit_code)
        query = (
            select(Document, func.length(Document.data))
            .options(defer(Document.data))  # sizes, not the files
            .where(Document.unit_id == unit.id)
        )
        if kind is not None:
            query = query.where(Document.kind == _document_kind(kind))
        if year is not None:
            query = query.where(Document.year == year)
        found = [
            _info(document, unit.code, int(size or 0)) for document, size in session.execute(query)
        ]
    order = {k: i for i, k in enumerate(DOCUMENT_KINDS)}
    return sorted(found, key=lambda d: (order.get(d.kind, 99), d.year, d.version))


def document_file(
    database: Database, actor: Profile | None, document_id: int
) -> tuple[DocumentInfo, bytes]:
    """A filed document and its bytes (to send it back)."""
    with reading(database) as session:
        document = session.get(Document, document_id)
        if document is None or document.data is None:
            raise ServiceError(N_("There is no document {id}."), id=document_id)
        unit_code = _unit_code(session, actor, document.unit_id)
        return _info(document, unit_code, len(document.data)), document.data


def _unit_code(session: Session, actor: Profile | None, unit_id: int) -> str:
    if actor is not None:
        require_unit_access(actor, unit_id)
    return str(session.execute(select(Unit.code).where(Unit.id == unit_id)).scalar_one())
