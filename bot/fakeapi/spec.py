"""The vendored Bot API description (telegram-bot-api-spec format) and the checks it drives."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.fakeapi.records import JSONDict, UploadedFile

_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_DISCRIMINATORS = frozenset({"type", "status", "source"})


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, UploadedFile):
        return "InputFile"
    return "Object"


@dataclass(frozen=True)
class _Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


class _Spec:
    """The vendored Bot API description (telegram-bot-api-spec format)."""

    def __init__(self, raw: JSONDict) -> None:
        self.version = str(raw.get("version", "?"))
        self.methods: dict[str, dict[str, _Field]] = {
            name: self._fields(entry) for name, entry in raw["methods"].items()
        }
        # Telegram matches method names case-insensitively.
        self.canonical = {name.lower(): name for name in self.methods}
        self.types: dict[str, JSONDict] = raw["types"]
        self._type_fields = {name: self._fields(entry) for name, entry in self.types.items()}

    @staticmethod
    def _fields(entry: JSONDict) -> dict[str, _Field]:
        return {
            f["name"]: _Field(
                f["name"],
                tuple(f.get("types", [])),
                bool(f.get("required")),
                f.get("description", ""),
            )
            for f in entry.get("fields", [])
        }

    def check(self, value: Any, types: Iterable[str], path: str) -> list[str]:
        """Errors of ``value`` against a union of spec types; empty when one alternative fits."""
        best: list[str] | None = None
        names = list(types)
        for name in names:
            errors = self._check_one(value, name, path)
            if not errors:
                return []
            if best is None or len(errors) < len(best):
                best = errors
        if best is None:
            return []
        # A plain kind mismatch reads better as "expected X or Y".
        if all(self._is_scalar_mismatch(value, n) for n in names):
            wanted = " or ".join(names)
            return [f"{path}: expected {wanted}, got {_json_kind(value)}"]
        return best

    def _is_scalar_mismatch(self, value: Any, name: str) -> bool:
        return name in {"Integer", "String", "Boolean", "Float", "InputFile"} or not isinstance(
            value, dict | list
        )

    def _check_one(self, value: Any, name: str, path: str) -> list[str]:
        kind = _json_kind(value)
        if name == "Integer":
            ok = kind == "Integer"
        elif name == "Float":
            ok = kind in ("Integer", "Float")
        elif name in ("String", "Boolean", "InputFile"):
            ok = kind == name
        elif name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {name}, got {kind}"]
            inner = name.removeprefix("Array of ")
            errors: list[str] = []
            for i, item in enumerate(value):
                errors += self.check(item, [inner], f"{path}[{i}]")
            return errors
        elif name in self.types:
            return self._check_object(value, name, path)
        else:
            ok = True  # a type the description does not define: nothing to check against
        return [] if ok else [f"{path}: expected {name}, got {kind}"]

    def _check_object(self, value: Any, name: str, path: str) -> list[str]:
        entry = self.types[name]
        if entry.get("subtypes"):
            return self.check(value, entry["subtypes"], path)
        if not isinstance(value, dict):
            return [f"{path}: expected {name}, got {_json_kind(value)}"]
        fields = self._type_fields[name]
        if not fields:
            return []
        errors = [f"{path}: unknown field {key!r} in {name}" for key in value if key not in fields]
        for f in fields.values():
            if f.name not in value:
                if f.required:
                    errors.append(f"{path}: {name} needs field {f.name!r}")
                continue
            errors += self.check(value[f.name], f.types, f"{path}.{f.name}")
            # Subtypes are told apart by a fixed "type"/"status"/"source" value.
            fixed = _DISCRIMINATOR_RE.search(f.description) if f.name in _DISCRIMINATORS else None
            if fixed and fixed.group(1) != "one" and value[f.name] != fixed.group(1):
                errors.append(f"{path}.{f.name}: {name} needs {fixed.group(1)!r}")
        return errors


@functools.lru_cache(maxsize=4)
def _load_spec(path: str) -> _Spec:
    """Parsed once per process: the description is megabytes and a fake is built per test."""
    return _Spec(json.loads(Path(path).read_text(encoding="utf-8")))
