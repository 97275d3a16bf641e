"""Records to JSON and back, written once: for the dataclasses whose JSON form is just their
fields (a scenario job's ``job.json``, the calendar in a manifest, the ledger's moves, orders and
promises that idempotent writes store and replay), so that no record lists its fields a second
time in a hand-written ``as_dict`` / ``from_dict`` pair.

- :func:`plain` turns a value into JSON data: Enum members by value, decimals as strings (exact),
  dates and times in ISO 8601, paths as text, nested records, dicts, lists and tuples likewise.
- :func:`typed` reads JSON data (or the Python value itself) back as a given type annotation:
  a record, decimal, date, datetime, enum, an optional or a tuple/list of these.
- :func:`to_json` / :func:`from_json` do that for every field of a dataclass, in declaration
  order (the order of the keys in the files); :class:`JsonRecord` gives a dataclass
  ``as_dict()`` / ``from_dict()`` built on them, with derived properties and key order where a
  published form needs them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from decimal import Decimal
from enum import Enum
from pathlib import PurePath


def plain(value):
    """``value`` as JSON-ready data; containers are copied, never shared (tuples become
    lists)."""
    if isinstance(value, JsonRecord):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def typed(tp, value):
    """``value`` (JSON data, or already the Python value) as type annotation ``tp``; a type
    this does not know (or ``None``) takes the value as it is."""
    if value is None or tp is None:
        return value
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return typed(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list):
        args = typing.get_args(tp)
        return origin(typed(args[0] if args else None, v) for v in value)
    if not isinstance(tp, type):
        return value
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        return tp.from_dict(value) if issubclass(tp, JsonRecord) else from_json(tp, value)
    if issubclass(tp, Enum):
        return value if isinstance(value, tp) else tp(value)
    if tp is Decimal:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if issubclass(tp, dt.datetime):
        return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if issubclass(tp, dt.date):
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return value


def to_json(record) -> dict:
    """The fields of dataclass instance ``record`` as a JSON-ready dict, in declaration
    order."""
    return {f.name: plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def from_json(cls: type, data: dict):
    """An instance of dataclass ``cls`` from its :func:`to_json` form, each field read back by
    its annotation. Keys that are not fields are an error (TypeError)."""
    hints = type_hints(cls)
    return cls(**{k: typed(hints.get(k), v) for k, v in data.items()})


@functools.cache
def type_hints(cls) -> dict:
    """The resolved annotations of ``cls`` (cached: records are read back often)."""
    return typing.get_type_hints(cls)


class JsonRecord:
    """A dataclass mixin: :meth:`as_dict` and :meth:`from_dict` from the fields, read once.

    :meth:`as_dict` writes every field in order through :func:`plain`. ``_json_derived``
    (field name -> property names) adds read-only properties right after that field;
    ``_json_last`` moves fields to the end (the order of a published schema).
    :meth:`from_dict` reads such a dict (or one of raw Python values) back by the fields'
    types, ignoring the derived keys; a missing field takes its default."""

    _json_derived: typing.ClassVar[dict[str, tuple[str, ...]]] = {}
    _json_last: typing.ClassVar[tuple[str, ...]] = ()

    def as_dict(self) -> dict:
        out: dict = {}
        for f in dataclasses.fields(self):
            if f.name not in self._json_last:
                out[f.name] = plain(getattr(self, f.name))
            for name in self._json_derived.get(f.name, ()):
                out[name] = plain(getattr(self, name))
        for name in self._json_last:
            out[name] = plain(getattr(self, name))
        return out

    @classmethod
    def from_dict(cls, d: dict) -> typing.Self:
        hints = type_hints(cls)
        return cls(**{f.name: typed(hints[f.name], d[f.name])
                      for f in dataclasses.fields(cls) if f.init and f.name in d})
