"""A wall snapshot as JSON text and back: data only, so a shared cache can never run code.

Web workers share each interval's snapshot through Redis (``ioc.services.shared_cache``).
What comes back from there is read as data against the model's own type hints, never
unpickled: a compromised cache can at worst show wrong numbers, or fail to read and
be built locally. The reading follows the dataclasses of ``ioc.model.wall`` (and the
metric views they hold), so a field added there travels without a change here; a type
this reader does not know fails the round-trip test (tests/test_shared_snapshot.py).
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import (
    Any,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from ioc.model.wall import WallSnapshot

ZERO = timedelta(0)
T = TypeVar("T")


class SnapshotFormatError(ValueError):
    """The text is not a wall snapshot this code can read."""


def to_json(snap: WallSnapshot) -> str:
    """The snapshot as compact JSON: times as ISO 8601 with their offset, tuples as lists."""
    return json.dumps(snap, default=_plain, separators=(",", ":"), ensure_ascii=False)


def from_json(text: str | bytes) -> WallSnapshot:
    """Read a snapshot written by ``to_json``; raise SnapshotFormatError on anything else."""
    try:
        value = _reader(WallSnapshot)(json.loads(text))
    except (ValueError, TypeError, KeyError) as err:  # json's, ours and a model's own checks
        raise SnapshotFormatError(f"not a wall snapshot: {str(err)[:200]}") from None
    if not isinstance(value, WallSnapshot):  # the reader builds what it is asked for
        raise SnapshotFormatError("not a wall snapshot")
    return value


def _plain(value: Any) -> Any:
    """What json does not write itself: a dataclass as its fields, a time as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot write a {type(value).__name__} in a wall snapshot")


Reader = Callable[[Any], Any]


@cache
def _reader(kind: Any) -> Reader:
    """A function reading a JSON value as ``kind`` (a type hint of the model), checking it.

    Made once per type hint: a snapshot holds thousands of numbers in its trends.
    """
    origin, args = get_origin(kind), get_args(kind)
    if kind is Any:
        return _same
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot read the union {kind}")
        inner = _reader(options[0])
        if len(options) == len(args):
            return inner
        return lambda value: None if value is None else inner(value)
    if origin is Literal:
        return partial(_one_of, frozenset(args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _reader(args[0])
        return lambda value: tuple([item(v) for v in _of(list, value)])
    if origin is tuple:
        return partial(_fixed, tuple(_reader(a) for a in args))
    if origin is list:
        item = _reader(args[0])
        return lambda value: [item(v) for v in _of(list, value)]
    if origin is dict:
        item = _reader(args[1])
        return lambda value: {_of(str, k): item(v) for k, v in _of(dict, value).items()}
    if kind is datetime:
        return _time
    if kind is float:
        return _number
    if kind in (int, str, bool):
        return partial(_exactly, kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        fields = tuple((f.name, _reader(hints[f.name])) for f in dataclasses.fields(kind) if f.init)
        return partial(_dataclass, kind, fields)
    if isinstance(kind, type) and is_typeddict(kind):
        keys = tuple((name, _reader(hint)) for name, hint in get_type_hints(kind).items())
        return lambda value: {name: read(_of(dict, value)[name]) for name, read in keys}
    raise TypeError(f"cannot read a {kind} in a wall snapshot")


def _same(value: Any) -> Any:
    return value


def _one_of(allowed: frozenset[Any], value: Any) -> Any:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {sorted(map(str, allowed))}")
    return value


def _fixed(readers: tuple[Reader, ...], value: Any) -> tuple[Any, ...]:
    items = _of(list, value)
    if len(items) != len(readers):
        raise ValueError(f"expected {len(readers)} items, found {len(items)}")
    return tuple([read(v) for read, v in zip(readers, items, strict=True)])


def _number(value: Any) -> Any:
    # An int stays an int (a count shown as one): JSON keeps the difference.
    if type(value) is float or type(value) is int:
        return value
    raise TypeError(f"{value!r} is not a number")


def _exactly(kind: type, value: Any) -> Any:
    if type(value) is not kind:
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _dataclass(kind: type, fields: tuple[tuple[str, Reader], ...], value: Any) -> Any:
    given = _of(dict, value)
    # A field that is missing keeps its default, or the constructor raises TypeError.
    return kind(**{name: read(given[name]) for name, read in fields if name in given})


def _time(value: Any) -> datetime:
    read = datetime.fromisoformat(_of(str, value))
    # UTC comes back as the same tzinfo the store and the clock use.
    return read.replace(tzinfo=UTC) if read.utcoffset() == ZERO else read


def _of(kind: type[T], value: Any) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value
