"""One pagination loop per Intercom pagination family (API-NOTES §2).

A. cursor list (GET, `?starting_after=`)      `iter_cursor_pages`
B. search (POST, cursor in the body)          `iter_search`
C. page number (GET, `?page=`)                `iter_numbered_pages`
D. company scroll (GET, `?scroll_param=`)     `iter_scroll`

A and B differ only in where the cursor goes, so they share one cursor loop (`_follow_cursors`).

Each yields one list of items per page, read under the endpoint's real array key (the spec
and the real API disagree on some, §7.9: callers name the real one; items under another key
raise rather than being guessed, issue 17). Strict about cursors too: a cursor that does not
advance raises instead of silently stopping, because stopping early would lose rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .errors import ApiUnavailableError, IntercomApiError, NotFoundError, PaginationError
from .settings import MAX_PAGE_SIZE

logger = logging.getLogger("intercom_sync")

# Keys that hold metadata, never the page's items.
_ENVELOPE_KEYS = frozenset({"type", "pages", "total_count", "scroll_param", "url", "has_more"})


class Requester(Protocol):
    """What the loops need from the client (kept narrow so they are easy to read)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        max_transient_retries: int | None = None,
    ) -> dict: ...


def extract_items(body: Mapping[str, Any], items_key: str) -> list[dict]:
    """The page's items, under the real key of that endpoint (`conversations`, `data` …);
    a page without any list has none. Items under another key raise: guessing which list
    is meant, or reading none, would decide silently which rows land (issue 17)."""
    value = body.get(items_key)
    if isinstance(value, list):
        return value
    lists = sorted(k for k, v in body.items() if k not in _ENVELOPE_KEYS and isinstance(v, list))
    if value is not None or lists:
        raise PaginationError(
            f"expected the page's items under {items_key!r}, found keys {sorted(body)}"
        )
    return []


def _next_link(body: Mapping[str, Any]) -> Any:
    pages = body.get("pages")
    return pages.get("next") if isinstance(pages, Mapping) else None


def _cursor_from_next(next_link: Any) -> str | None:
    """`starting_after` from `pages.next` (an object, or — leniently — a URL string)."""
    if isinstance(next_link, Mapping):
        cursor = next_link.get("starting_after")
        return str(cursor) if cursor else None
    if isinstance(next_link, str) and next_link:
        return dict(parse_qsl(urlsplit(next_link).query)).get("starting_after")
    return None


def _clamp(per_page: int) -> int:
    return max(1, min(int(per_page), MAX_PAGE_SIZE))


def _follow_cursors(
    fetch: Callable[[str | None], Mapping[str, Any]], request: str, items_key: str
) -> Iterator[list[dict]]:
    """The loop of families A and B: `fetch(cursor)` pages (`None` first, then the previous
    page's `pages.next.starting_after`) until `pages.next` is absent. A missing or repeated
    cursor raises: stopping there would lose the rest."""
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        body = fetch(cursor)
        items = extract_items(body, items_key)
        if items:
            yield items
        next_link = _next_link(body)
        if not next_link:
            return
        cursor = _cursor_from_next(next_link)
        if cursor is None:
            raise PaginationError(f"{request}: pages.next has no starting_after: {next_link!r}")
        if cursor in seen:
            raise PaginationError(f"{request}: cursor did not advance ({cursor!r})")
        seen.add(cursor)


def iter_cursor_pages(
    client: Requester,
    path: str,
    *,
    items_key: str,
    per_page: int = MAX_PAGE_SIZE,
    params: Mapping[str, Any] | None = None,
) -> Iterator[list[dict]]:
    """Family A: `GET path?per_page=&starting_after=` until `pages.next` is absent."""
    query = {**(params or {}), "per_page": _clamp(per_page)}

    def fetch(cursor: str | None) -> Mapping[str, Any]:
        if cursor is not None:
            query["starting_after"] = cursor
        return client.request("GET", path, params=query)

    yield from _follow_cursors(fetch, f"GET {path}", items_key)


def iter_search(
    client: Requester,
    path: str,
    query: Mapping[str, Any],
    *,
    items_key: str,
    sort: Mapping[str, Any] | None = None,
    per_page: int = MAX_PAGE_SIZE,
    params: Mapping[str, Any] | None = None,
) -> Iterator[list[dict]]:
    """Family B: `POST path` with the cursor in the body (a query-string cursor is ignored
    by Intercom and page 1 comes back again)."""
    pagination: dict[str, Any] = {"per_page": _clamp(per_page)}
    body: dict[str, Any] = {"query": dict(query), "pagination": pagination}
    if sort:
        body["sort"] = dict(sort)

    def fetch(cursor: str | None) -> Mapping[str, Any]:
        if cursor is not None:
            pagination["starting_after"] = cursor
        return client.request("POST", path, params=params, json=body)

    yield from _follow_cursors(fetch, f"POST {path}", items_key)


def iter_numbered_pages(
    client: Requester,
    path: str,
    *,
    items_key: str,
    per_page: int = 50,
    params: Mapping[str, Any] | None = None,
) -> Iterator[list[dict]]:
    """Family C: `GET path?page=N&per_page=` until `pages.next` is null, the last page
    (`total_pages`, in `pages` or at the top level) is reached, or a page comes back empty."""
    page_no = 1
    while True:
        query = {**(params or {}), "page": page_no, "per_page": _clamp(per_page)}
        body = client.request("GET", path, params=query)
        items = extract_items(body, items_key)
        if not items:
            return
        yield items
        pages = body.get("pages")
        if not isinstance(pages, Mapping):
            if "total_pages" not in body:
                return
            pages = body  # 2.16 `content_snippet_list`: the page fields at the top level
        current = int(pages.get("page") or page_no)
        total_pages = pages.get("total_pages")
        if "next" in pages:
            if not pages["next"]:
                return
        elif total_pages is None or current >= int(total_pages):
            return
        page_no = current + 1


# A failed scroll page cannot be re-asked, so every 5xx/expiry restarts the whole scroll. On a
# large workspace even a 1 % page failure rate fails most attempts of a long scroll: be patient.
SCROLL_MAX_RESTARTS = 10


def iter_scroll(
    client: Requester,
    path: str = "/companies/scroll",
    *,
    items_key: str = "data",
    max_restarts: int = SCROLL_MAX_RESTARTS,
    scroll_wait_s: float = 5.0,
    max_scroll_waits: int = 18,
) -> Iterator[list[dict]]:
    """Family D: the company scroll. The server keeps the position and returns the same
    `scroll_param` on every page, so an answer lost to a 5xx/timeout cannot be re-asked —
    a page would be skipped. Any such failure, or a 404 (scroll expired), restarts the
    scroll from scratch (bounded); the caller must tolerate records seen twice.
    `400 scroll_exists` (one scroll per workspace) is waited out, bounded: an abandoned
    scroll expires after a minute idle."""
    restarts = 0
    waits = 0
    while True:
        scroll_param: str | None = None
        try:
            while True:
                params = {"scroll_param": scroll_param} if scroll_param else None
                body = client.request("GET", path, params=params, max_transient_retries=0)
                waits = 0  # the scroll is ours: a later restart may wait its full budget again
                items = extract_items(body, items_key)
                if not items:
                    return
                yield items
                scroll_param = body.get("scroll_param") or scroll_param
                if not scroll_param:
                    raise PaginationError(f"GET {path}: a page without scroll_param")
        except IntercomApiError as exc:
            if exc.code == "scroll_exists":
                waits += 1
                if waits > max_scroll_waits:
                    raise IntercomApiError(
                        f"{exc} — another company scroll is open in this workspace (Intercom "
                        "allows one); stop the other sync or wait a minute and retry",
                        status=exc.status,
                        code=exc.code,
                        api_message=exc.api_message,
                        method=exc.method,
                        path=exc.path,
                        request_id=exc.request_id,
                    ) from exc
                logger.info(
                    "GET %s: a scroll is already open (scroll_exists); waiting %.1fs (%d/%d)",
                    path,
                    scroll_wait_s,
                    waits,
                    max_scroll_waits,
                )
                time.sleep(scroll_wait_s)
                continue
            if not (isinstance(exc, NotFoundError) and scroll_param):
                raise
            cause: Exception = exc  # the scroll expired between pages
        except ApiUnavailableError as exc:
            cause = exc
        restarts += 1
        if restarts > max_restarts:
            raise cause
        logger.warning(
            "GET %s: scroll interrupted (%s); restarting from the first page in %.1fs (%d/%d)",
            path,
            cause,
            scroll_wait_s,
            restarts,
            max_restarts,
        )
        time.sleep(scroll_wait_s)
