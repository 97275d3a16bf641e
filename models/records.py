"""Records to JSON and back, written once: for the dataclasses whose JSON form is just their
fields (a scenario job's ``job.json``, the calendar in a manifest), so that no record lists its
fields a second time in a hand-written ``as_dict`` / ``from_dict`` pair.

:func:`to_json` gives the fields in declaration order (the order of the keys in the files);
:func:`from_json` reads that form back, turning the text of Enum and date fields into members
and dates again by the field's type annotation.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import PurePath


def to_json(record) -> dict:
    """The fields of dataclass instance ``record`` as a JSON-ready dict, in declaration order:
    Enum members by value, dates as ISO text, paths as text; nested dataclasses, dicts, lists
    and tuples likewise (tuples become lists). Containers are copied, never shared."""
    return {f.name: _plain(getattr(record, f.name)) for f in fields(record)}


def from_json(cls: type, data: dict):
    """An instance of dataclass ``cls`` from its :func:`to_json` form. Fields annotated as an
    Enum, a date or a datetime (or one of those or None) are converted from their text; the
    others are taken as they are. Keys that are not fields are an error (TypeError)."""
    hints = typing.get_type_hints(cls)
    return cls(**{k: _typed(hints.get(k), v) for k, v in data.items()})


def _plain(v):
    if is_dataclass(v) and not isinstance(v, type):
        return to_json(v)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, PurePath):
        return str(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _typed(hint, v):
    if v is None or hint is None:
        return v
    if isinstance(hint, (types.UnionType,)) or typing.get_origin(hint) is typing.Union:
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        hint = options[0] if len(options) == 1 else None
    if isinstance(hint, type):
        if issubclass(hint, Enum) and not isinstance(v, hint):
            return hint(v)
        if issubclass(hint, dt.datetime) and isinstance(v, str):
            return dt.datetime.fromisoformat(v)
        if issubclass(hint, dt.date) and isinstance(v, str):
            return dt.date.fromisoformat(v)
    return v
