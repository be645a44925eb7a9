"""Intercom's search query DSL (`POST /contacts|conversations|tickets/search`), as pure Python.

`compile_search(body, entity=…, timezone=…)` validates a request body the way Intercom does
(raising `SearchError` with Intercom's status/code) and returns a `CompiledSearch` whose
`matches(record)` tests canonical 2.16 records (COMMON.md contract 1).

Semantics (API-NOTES §4, §5 and the 2.16 spec descriptions; our choices marked *):
- Body: `query` required (400 `parameter_not_found`); `pagination.per_page` 1..150, default 50
  (contacts) / 20 (conversations, tickets), above 150 -> 400 `parameter_invalid`*
  (Intercom's behaviour is undocumented; refusing is the strict side); `pagination.
  starting_after` is the only cursor read (a query-string one is the HTTP layer's to ignore);
  `pagination.page` is ignored. `sort: {field, order}`; order `ascending|descending`, default
  `descending`, anything else -> 400 `invalid_sort_order`. No `sort` -> `sort_key is None`
  and the HTTP layer picks its default order.
- Query: single `{field, operator, value}` or compound `{operator: AND|OR, value: [...]}`.
  At most 2 levels of compounds, at most 15 items per group, no empty group, else 400
  `parameter_invalid`.
- Unknown field -> 400 `parameter_invalid`*. Custom attributes (`custom_attributes.x`,
  tickets `ticket_attribute.{id}`) are accepted under any name unless `custom_attribute_types`
  is given (then unknown names -> 400 and date attributes get date semantics); otherwise their
  kind follows the query value.
- Operators by field kind: contacts — strings `= != IN NIN ~ !~ ^ $`, integers `= != IN NIN
  < > <= >=`, booleans `= != IN NIN`, dates `= < >` only, `tag_id` only `= !=`.
  Conversations/tickets (their spec tables) — `= != IN NIN` on everything, `> <` on integers
  and dates, `~ !~ ^ $` on strings, `>= <=` only on tickets `created_at`. Anything else ->
  400 `parameter_invalid`.
- Values must fit the field (400 `type_mismatch`): dates and integers take ints or strings of
  digits ("1306054154"); ids take strings or ints; booleans take booleans; `IN`/`NIN` take a
  non-empty array. `null` with `=`/`!=` tests for absence.
- Strings compare case-insensitively; ids exactly. Multi-valued fields (tags, contact_ids…)
  match `=`/`IN`/`~`… when any element does and `!=`/`NIN`/`!~` when none does; so the
  negative operators also match records lacking the field*, and range operators never do.
  A `sort.field` must be a known single-valued field, else 400 `parameter_invalid`*.
  `source.body`: `=`/`!=`/`IN`/`NIN` compare whole words of the HTML-stripped text.
- Contacts' date filters work by calendar day in the workspace `timezone`: `=` matches the
  local day containing the value, `>` from the start of the next local day, `<` before the
  start of that day (DST-aware via zoneinfo). `api_version="Preview"` instead compares exact
  seconds and allows `>= <=` on dates.
- Versions before 2.16 see conversation `priority` as `priority|not_priority` and unassigned
  `admin_assignee_id`/`team_assignee_id` as null, matching what those versions serve.
- Conversations/tickets compare dates and integers to the second, `>`/`<` strict by default;
  `inclusive_range=True` (or module-level `INCLUSIVE_RANGE_DEFAULT`) makes them "or equal",
  the other reading of the spec's "Greater (or equal) than".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from emulator.cursors import decode_cursor
from emulator.search.fields import Entity, FieldSpec, Kind, lookup_field

# Conversations/tickets: do `>`/`<` include the bound? Tests may flip this or pass the argument.
INCLUSIVE_RANGE_DEFAULT = False

DEFAULT_PER_PAGE: dict[str, int] = {"contacts": 50, "conversations": 20, "tickets": 20}
MAX_PER_PAGE = 150
MAX_NESTING = 2
MAX_GROUP_SIZE = 15

FILTER_OPERATORS = frozenset({"=", "!=", "IN", "NIN", "<", "<=", ">", ">=", "~", "!~", "^", "$"})
GROUP_OPERATORS = frozenset({"AND", "OR"})
SORT_ORDERS = ("ascending", "descending")

_EQUALITY = frozenset({"=", "!=", "IN", "NIN"})
_TEXT = frozenset({"~", "!~", "^", "$"})
_RANGE = frozenset({">", "<"})
_RANGE_OR_EQUAL = frozenset({">=", "<="})

# Allowed operators per kind: contacts (from the contact-search table) and the other two.
_CONTACT_OPS: dict[str, frozenset[str]] = {
    "string": _EQUALITY | _TEXT,
    "id": _EQUALITY | _TEXT,
    "integer": _EQUALITY | _RANGE | _RANGE_OR_EQUAL,
    "boolean": _EQUALITY,
    "date": frozenset({"=", "<", ">"}),
}
_OTHER_OPS: dict[str, frozenset[str]] = {
    "string": _EQUALITY | _TEXT,
    "id": _EQUALITY | _TEXT,
    "words": _EQUALITY | _TEXT,
    "integer": _EQUALITY | _RANGE,
    "boolean": _EQUALITY,
    "date": _EQUALITY | _RANGE,
}
# A declared custom-attribute data type -> the kind it is searched as.
_DATA_TYPE_KINDS: dict[str, Kind] = {
    "string": "string",
    "integer": "integer",
    "float": "integer",
    "decimal": "integer",
    "boolean": "boolean",
    "date": "date",
    "datetime": "date",
}

Predicate = Callable[[Mapping[str, Any]], bool]
Bounds = tuple[int | None, int | None]


class _Node(NamedTuple):
    """A compiled query node: its predicate and the inclusive `updated_at` bounds every match
    satisfies; `exact` when matching *is* lying within those bounds (for integer `updated_at`
    values, which the store's index holds), so a match needs no record read."""

    pred: Predicate
    bounds: Bounds
    exact: bool = False


_UNBOUNDED: Bounds = (None, None)


class SearchError(Exception):
    """A request Intercom would refuse; the HTTP layer renders it as an `error.list`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(message: str) -> SearchError:
    return SearchError(400, "parameter_invalid", message)


def _mismatch(field: str, value: Any, expected: str) -> SearchError:
    return SearchError(400, "type_mismatch", f"{value!r} is not a valid {expected} for {field}")


@dataclass(frozen=True)
class CompiledSearch:
    """A validated search body.

    - `matches(record)`: does the canonical record satisfy `query`?
    - `sort_field`, `descending`: from `sort` (None / True when absent).
    - `sort_key(record)`: ascending key `(rank, value, id)` (None values first) — sort with
      `reverse=descending`; None when the body has no `sort`.
    - `sort_value(record)`: the raw value to put in a cursor; None without `sort`.
    - `per_page`, `starting_after` (raw body string or None), `cursor` (decoded
      `(sort_value, last_id, page)` or None; garbage -> `SearchError` at compile time).
    - `updated_at_bounds`: inclusive `(lo, hi)` seconds that every match's `updated_at`
      satisfies (either side None = unbounded); derived through AND (intersection) and OR
      (hull) — a necessary condition for a bisect pre-filter, still run `matches` after it.
    - `bounds_exact`: `matches(record)` is exactly "the record's (integer) `updated_at` lies
      within `updated_at_bounds`" (e.g. `updated_at > t`, or an AND of such filters), so the
      number of matches is a bisect on the store's `updated_at` index, no predicate run.
    """

    matches: Predicate
    sort_field: str | None
    descending: bool
    sort_key: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None
    sort_value: Callable[[Mapping[str, Any]], Any] | None
    per_page: int
    starting_after: str | None
    cursor: tuple[Any, str, int] | None
    updated_at_bounds: Bounds
    bounds_exact: bool = False


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day_bounds(ts: int, timezone: str) -> tuple[float, float]:
    """`[start, end)` Unix seconds of the local calendar day containing `ts` in `timezone`.

    Days are 23/24/25 h around DST changes; a day whose midnight does not exist starts at the
    transition. Out-of-range values (e.g. milliseconds) give an infinite day.
    """
    tz = _zone(timezone)
    try:
        day = datetime.fromtimestamp(ts, tz).date()
        start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        nxt = day + timedelta(days=1)
        end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).timestamp()
    except (OverflowError, OSError, ValueError):
        edge = math.inf if ts > 0 else -math.inf
        return edge, edge
    return start, end


# ---------------------------------------------------------------- value coercion


def _as_int(field: str, value: Any, expected: str) -> int | float:
    if isinstance(value, bool):
        raise _mismatch(field, value, expected)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if expected == "date" and value.is_integer() else value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    if expected == "integer" and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise _mismatch(field, value, expected)


def _coerce(field: str, kind: Kind, value: Any) -> Any:
    """One query value, normalised to what record values are compared against."""
    if kind in ("string", "words"):
        if not isinstance(value, str):
            raise _mismatch(field, value, "string")
        return value.casefold()
    if kind == "id":
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _mismatch(field, value, "string")
        return str(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _mismatch(field, value, "boolean")
        return value
    if kind == "date":
        result = _as_int(field, value, "date")
        if not isinstance(result, int):
            raise _mismatch(field, value, "date")
        return result
    return _as_int(field, value, "integer")


def _norm_record_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "string":
        return value.casefold() if isinstance(value, str) else str(value).casefold()
    if kind == "id":
        return str(value)
    if kind in ("integer", "date"):
        return None if isinstance(value, bool) or not isinstance(value, int | float) else value
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return value


_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")


def _plain_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(_TAG.sub(" ", value).split()).casefold()


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class _Context:
    entity: Entity
    timezone: str
    by_day: bool  # contacts on stable versions
    preview: bool
    legacy: bool  # before 2.16: conversation priority/assignee values read as those versions serve
    inclusive_range: bool
    custom_attribute_types: Mapping[str, str] | None


def _resolve_kind(spec: FieldSpec, value: Any, ctx: _Context) -> Kind:
    if spec.kind != "dynamic":
        return spec.kind
    if ctx.custom_attribute_types is not None and spec.name.startswith("custom_attributes."):
        attribute = spec.name.removeprefix("custom_attributes.")
        data_type = ctx.custom_attribute_types.get(attribute)
        if data_type is None:
            raise _invalid(f"{spec.name} is not a searchable field")
        return _DATA_TYPE_KINDS.get(data_type, "string")
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int | float):
        return "integer"
    return "string"


def _allowed_ops(spec: FieldSpec, kind: Kind, ctx: _Context) -> frozenset[str]:
    if spec.only_ops is not None:
        return spec.only_ops
    if ctx.entity == "contacts":
        ops = _CONTACT_OPS.get(kind, frozenset())
        if kind == "date" and ctx.preview:
            ops = ops | _RANGE_OR_EQUAL
    else:
        ops = _OTHER_OPS.get(kind, frozenset())
    return ops | spec.extra_ops


def _compile_filter(node: Mapping[str, Any], ctx: _Context) -> _Node:
    field, operator = node.get("field"), node.get("operator")
    if not isinstance(field, str) or not field:
        raise _invalid("field must be a non-empty string")
    if operator not in FILTER_OPERATORS:
        raise _invalid(f"operator {operator!r} is not supported")
    if "value" not in node:
        raise _invalid(f"value is required for {field}")
    value = node["value"]
    spec = lookup_field(ctx.entity, field, legacy=ctx.legacy)
    if spec is None:
        raise _invalid(f"{field} is not a searchable field")
    kind = _resolve_kind(spec, value, ctx)
    if operator not in _allowed_ops(spec, kind, ctx):
        raise _invalid(f"operator {operator} is not supported for field {field}")

    get = spec.get
    if operator in ("IN", "NIN"):
        if not isinstance(value, list) or not value:
            raise _mismatch(field, value, "non-empty array")
        targets = frozenset(_coerce(field, kind, v) for v in value)
        negate = operator == "NIN"
        bounds = _UNBOUNDED if negate else _in_bounds(field, kind, targets, ctx)
        return _Node(_membership(spec, kind, get, targets, negate), bounds)
    if isinstance(value, list):
        raise _mismatch(field, value, kind)
    if value is None:
        if operator not in ("=", "!="):
            raise _mismatch(field, value, kind)
        return _Node(_null_test(spec, get, negate=operator == "!="), _UNBOUNDED)
    target = _coerce(field, kind, value)
    if kind == "date" and ctx.by_day:
        return _day_filter(get, operator, target, field, ctx.timezone)
    if operator in ("=", "!="):
        if kind == "words":
            return _Node(_word_equals(get, target, negate=operator == "!="), _UNBOUNDED)
        targets = frozenset([target])
        negate = operator == "!="
        bounds = _UNBOUNDED if negate else _in_bounds(field, kind, targets, ctx)
        # one integer second: `updated_at = t` is the interval [t, t]
        exact = bounds != _UNBOUNDED and isinstance(target, int)
        return _Node(_membership(spec, kind, get, targets, negate), bounds, exact)
    if operator in _TEXT:
        return _Node(_text_filter(spec, kind, get, operator, target), _UNBOUNDED)
    return _range_filter(spec, kind, get, operator, target, field, ctx)


def _values(spec: FieldSpec, kind: Kind, get: Callable[[Any], Any], record: Any) -> list[Any]:
    raw = get(record)
    if spec.multi:
        return [_norm_record_value(kind, v) for v in (raw or [])]
    if kind == "words":
        return _WORD.findall(_plain_text(raw))
    return [_norm_record_value(kind, raw)]


def _membership(
    spec: FieldSpec, kind: Kind, get: Callable[[Any], Any], targets: frozenset[Any], negate: bool
) -> Predicate:
    def pred(record: Mapping[str, Any]) -> bool:
        hit = any(v is not None and v in targets for v in _values(spec, kind, get, record))
        return hit != negate

    return pred


def _word_equals(get: Callable[[Any], Any], target: str, negate: bool) -> Predicate:
    def pred(record: Mapping[str, Any]) -> bool:
        return (target in _WORD.findall(_plain_text(get(record)))) != negate

    return pred


def _null_test(spec: FieldSpec, get: Callable[[Any], Any], negate: bool) -> Predicate:
    def pred(record: Mapping[str, Any]) -> bool:
        raw = get(record)
        absent = not raw if spec.multi else raw is None or raw == ""
        return absent != negate

    return pred


def _text_filter(
    spec: FieldSpec, kind: Kind, get: Callable[[Any], Any], operator: str, target: str
) -> Predicate:
    target = target.casefold()
    test: Callable[[str], bool] = {
        "~": lambda v: target in v,
        "!~": lambda v: target in v,
        "^": lambda v: v.startswith(target),
        "$": lambda v: v.endswith(target),
    }[operator]
    negate = operator == "!~"

    def pred(record: Mapping[str, Any]) -> bool:
        if kind == "words":
            texts = [_plain_text(get(record)).strip()]
        else:
            texts = [v.casefold() for v in _values(spec, kind, get, record) if v is not None]
        return any(test(v) for v in texts) != negate

    return pred


def _range_filter(
    spec: FieldSpec,
    kind: Kind,
    get: Callable[[Any], Any],
    operator: str,
    target: int | float,
    field: str,
    ctx: _Context,
) -> _Node:
    inclusive = ctx.inclusive_range and ctx.entity != "contacts"
    if operator == ">=" or (operator == ">" and inclusive):
        test: Callable[[Any], bool] = lambda v: v >= target  # noqa: E731
        lo, hi = math.ceil(target), None
    elif operator == ">":
        test = lambda v: v > target  # noqa: E731
        lo, hi = math.floor(target) + 1, None
    elif operator == "<=" or (operator == "<" and inclusive):
        test = lambda v: v <= target  # noqa: E731
        lo, hi = None, math.floor(target)
    else:
        test = lambda v: v < target  # noqa: E731
        lo, hi = None, math.ceil(target) - 1

    def pred(record: Mapping[str, Any]) -> bool:
        return any(v is not None and test(v) for v in _values(spec, kind, get, record))

    if field != "updated_at":
        return _Node(pred, _UNBOUNDED)
    # integer seconds against an integer target: the test is exactly lo <= v <= hi
    return _Node(pred, (lo, hi), exact=kind == "date" and isinstance(target, int))


def _day_filter(
    get: Callable[[Any], Any], operator: str, target: int, field: str, timezone: str
) -> _Node:
    start, end = local_day_bounds(target, timezone)
    if operator == "=":
        test: Callable[[Any], bool] = lambda v: start <= v < end  # noqa: E731
        bounds = (_ceil(start), _ceil(end) - 1 if math.isfinite(end) else None)
        finite = math.isfinite(start) and math.isfinite(end)
    elif operator == ">":
        test = lambda v: v >= end  # noqa: E731
        bounds = (_ceil(end), None)
        finite = math.isfinite(end)
    else:
        test = lambda v: v < start  # noqa: E731
        bounds = (None, _ceil(start) - 1 if math.isfinite(start) else None)
        finite = math.isfinite(start)

    def pred(record: Mapping[str, Any]) -> bool:
        value = _norm_record_value("date", get(record))
        return value is not None and test(value)

    if field != "updated_at":
        return _Node(pred, _UNBOUNDED)
    # For integer v: start <= v  <=>  v >= ceil(start), and v < end  <=>  v <= ceil(end) - 1;
    # an infinite day edge (out-of-range value) matches nothing, which bounds cannot say.
    return _Node(pred, _finite_bounds(bounds), exact=finite)


def _ceil(x: float) -> int | None:
    return math.ceil(x) if math.isfinite(x) else None


def _finite_bounds(bounds: tuple[Any, Any]) -> Bounds:
    lo, hi = bounds
    return (lo if isinstance(lo, int) else None, hi if isinstance(hi, int) else None)


def _in_bounds(field: str, kind: Kind, targets: frozenset[Any], ctx: _Context) -> Bounds:
    if field != "updated_at" or kind != "date" or ctx.by_day:
        return _UNBOUNDED
    return (min(targets), max(targets))


# ---------------------------------------------------------------- groups and bounds


def _intersect(parts: list[Bounds]) -> Bounds:
    los = [lo for lo, _ in parts if lo is not None]
    his = [hi for _, hi in parts if hi is not None]
    return (max(los) if los else None, min(his) if his else None)


def _hull(parts: list[Bounds]) -> Bounds:
    los = [lo for lo, _ in parts]
    his = [hi for _, hi in parts]
    lo = None if any(x is None for x in los) else min(x for x in los if x is not None)
    hi = None if any(x is None for x in his) else max(x for x in his if x is not None)
    return (lo, hi)


def _compile_node(node: Any, ctx: _Context, depth: int) -> _Node:
    if not isinstance(node, Mapping):
        raise _invalid("each query item must be an object")
    if "field" in node or node.get("operator") not in GROUP_OPERATORS:
        return _compile_filter(node, ctx)
    if depth >= MAX_NESTING:
        raise _invalid(f"a maximum of {MAX_NESTING} nested filters is allowed")
    items = node.get("value")
    if not isinstance(items, list) or not items:
        raise _invalid(f"{node['operator']} needs a non-empty array of filters")
    if len(items) > MAX_GROUP_SIZE:
        raise _invalid(f"a maximum of {MAX_GROUP_SIZE} filters is allowed per AND or OR group")
    compiled = [_compile_node(item, ctx, depth + 1) for item in items]
    preds = tuple(item.pred for item in compiled)
    bounds = [item.bounds for item in compiled]
    all_exact = all(item.exact for item in compiled)
    if node["operator"] == "AND":  # intervals intersect exactly
        return _Node(lambda r: all(p(r) for p in preds), _intersect(bounds), all_exact)
    # a hull of several intervals may hold gaps: exact only for a single item
    return _Node(lambda r: any(p(r) for p in preds), _hull(bounds), all_exact and len(items) == 1)


# ---------------------------------------------------------------- body


def _pagination(body: Mapping[str, Any], entity: Entity) -> tuple[int, str | None]:
    pagination = body.get("pagination")
    if pagination is None:
        return DEFAULT_PER_PAGE[entity], None
    if not isinstance(pagination, Mapping):
        raise _invalid("pagination must be an object")
    per_page = pagination.get("per_page", DEFAULT_PER_PAGE[entity])
    if per_page is None:
        per_page = DEFAULT_PER_PAGE[entity]
    if isinstance(per_page, bool) or not isinstance(per_page, int):
        raise _mismatch("per_page", per_page, "integer")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise _invalid(f"per_page must be between 1 and {MAX_PER_PAGE}")
    starting_after = pagination.get("starting_after")
    if starting_after is not None and not isinstance(starting_after, str):
        raise _invalid("starting_after must be a string")
    return per_page, starting_after or None


def _sort(
    body: Mapping[str, Any], ctx: _Context
) -> tuple[str | None, bool, Callable[[Mapping[str, Any]], Any] | None]:
    sort = body.get("sort")
    if sort is None:
        return None, True, None
    if not isinstance(sort, Mapping):
        raise _invalid("sort must be an object")
    order = sort.get("order", "descending")
    if order not in SORT_ORDERS:
        raise SearchError(
            400,
            "invalid_sort_order",
            f"Invalid sort order '{order}'. Must be one of: {', '.join(SORT_ORDERS)}",
        )
    field = sort.get("field")
    if not isinstance(field, str) or not field:
        raise _invalid("sort field must be a non-empty string")
    spec = lookup_field(ctx.entity, field, legacy=ctx.legacy)
    if spec is None or spec.multi:
        raise _invalid(f"{field} is not a sortable field")
    return field, order == "descending", spec.get


def _sort_key(get: Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], tuple]:
    def key(record: Mapping[str, Any]) -> tuple:
        value = get(record)
        if value is None:
            rank, value = 0, 0
        elif isinstance(value, int | float):  # bools sort with numbers
            rank = 1
        else:
            rank, value = 2, str(value)
        return (rank, value, str(record.get("id", "")))

    return key


def _version_number(api_version: str) -> tuple[int, int]:
    """`"2.9"` -> (2, 9); `"Preview"` or anything unparsable counts as newest."""
    major, _, minor = api_version.partition(".")
    if major.isdigit() and minor.isdigit():
        return int(major), int(minor)
    return (99, 0)


def custom_attribute_types(data_attributes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """`{name: data_type}` of the custom attributes in a `/data_attributes` list, for
    `compile_search(custom_attribute_types=…)` (archived ones stay searchable)."""
    types: dict[str, str] = {}
    for attribute in data_attributes:
        if not attribute.get("custom"):
            continue
        name = str(attribute.get("full_name") or attribute.get("name") or "")
        name = name.removeprefix("custom_attributes.")
        if name:
            types[name] = str(attribute.get("data_type") or "string")
    return types


def compile_search(
    body: Any,
    *,
    entity: Entity,
    timezone: str,
    api_version: str = "2.16",
    inclusive_range: bool | None = None,
    custom_attribute_types: Mapping[str, str] | None = None,
) -> CompiledSearch:
    """Validate a search request body and compile it (see the module docstring for rules).

    `timezone` is the workspace's IANA zone (contacts' day boundaries); `custom_attribute_types`
    maps attribute name -> data_type (`string|integer|float|boolean|date`) when known.
    """
    if entity not in DEFAULT_PER_PAGE:
        raise ValueError(f"unknown search entity {entity!r}")
    _zone(timezone)  # fail early on a bad workspace timezone (a configuration error)
    if not isinstance(body, Mapping):
        raise SearchError(400, "bad_request", "request body must be a JSON object")
    if body.get("query") is None:
        raise SearchError(400, "parameter_not_found", "query parameter is required")
    preview = api_version == "Preview"
    legacy = _version_number(api_version) < (2, 16)
    ctx = _Context(
        entity=entity,
        timezone=timezone,
        by_day=entity == "contacts" and not preview,
        preview=preview,
        legacy=legacy,
        inclusive_range=INCLUSIVE_RANGE_DEFAULT if inclusive_range is None else inclusive_range,
        custom_attribute_types=custom_attribute_types,
    )
    root = _compile_node(body["query"], ctx, depth=0)
    per_page, starting_after = _pagination(body, entity)
    cursor = None
    if starting_after is not None:
        try:
            cursor = decode_cursor(starting_after)
        except ValueError as exc:
            raise _invalid(f"starting_after is invalid: {exc}") from None
    sort_field, descending, sort_get = _sort(body, ctx)
    return CompiledSearch(
        matches=root.pred,
        sort_field=sort_field,
        descending=descending,
        sort_key=_sort_key(sort_get) if sort_get else None,
        sort_value=sort_get,
        per_page=per_page,
        starting_after=starting_after,
        cursor=cursor,
        updated_at_bounds=root.bounds,
        bounds_exact=root.exact,
    )
