"""Logging for `intercom-sync`: readable text, or one JSON object per line for log shippers.

Both formats go to stderr (stdout carries the command's result). dlt's own `dlt` logger is
routed through the same handler, so a JSON log stream never mixes in dlt's text lines.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else was passed as `extra=` and is worth shipping.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", ...extras, "exc_info"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _PinnedFormatHandler(logging.StreamHandler):
    """A stream handler whose formatter cannot be replaced: dlt re-initialises its logger on
    every pipeline and calls `setFormatter` on the handler it finds there."""

    def __init__(self, stream: TextIO, formatter: logging.Formatter) -> None:
        super().__init__(stream)
        self.formatter = formatter

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        pass


def configure_logging(verbose: bool = False, log_format: str = "text") -> None:
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler = _PinnedFormatHandler(sys.stderr, formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _PinnedFormatHandler):  # ours from an earlier call (in-process use)
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # httpx logs every request URL at INFO; keep the output about the sync.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # dlt does not propagate to the root logger; give it the same handler, replacing the text
    # handler dlt may have installed already (it reuses the first handler it finds).
    dlt_logger = logging.getLogger("dlt")
    for old in list(dlt_logger.handlers):
        dlt_logger.removeHandler(old)
    dlt_logger.addHandler(handler)
