"""`intercom-emulator serve …`: run the Intercom emulator as a standalone server.

Prints the base URL and the token to use (a random one unless `--token` is given; a token you
pass yourself is never echoed). Bad arguments exit with status 2 and a one-line reason.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from emulator.http.control import Control, Settings
from emulator.http.faults import FaultSettings
from emulator.testing import server_config
from emulator.versions import KNOWN_VERSIONS
from emulator.world import WorldConfig
from emulator.world.generate import generate_world
from emulator.world.scales import SCALES

COUNT_OPTIONS = ("contacts", "companies", "conversations", "tickets")

# What each `--faults` setting does (emulator/http/faults.py `FaultSettings`; a test checks that
# every field is described here, and in docs/emulator-faults.md).
FAULT_SETTING_HELP: dict[str, str] = {
    "latency_ms": "added delay per request, in ms",
    "jitter_ms": "extra random delay per request, uniform in [0, jitter_ms) ms",
    "error_rate": "share of requests answered 5xx (one of error_statuses)",
    "error_statuses": "the statuses error_rate draws from (subset of 500, 502, 503, 504)",
    "html_error_share": "of 502/503/504 errors, the share served as an HTML gateway page",
    "drop_rate": "share of requests whose connection is closed mid-response",
    "timeout_rate": "share of requests that wait timeout_seconds, then answer 504",
    "timeout_seconds": "how long a timeout_rate request waits",
    "malformed_rate": "share of requests answered 200 with a JSON body cut short",
    "burst_429_rate": "share of requests that start a burst of burst_length 429 answers",
    "burst_length": "429 answers in a row per burst (>= 1)",
    "scroll_error_rate": "scroll endpoints: share answered 500 'restart the scroll'",
    "scroll_expire_rate": "scroll endpoints: share that expire the open scroll (404)",
}


def faults_help() -> str:
    """The `--faults` settings, their defaults and what they do (the parser's epilog)."""
    defaults = FaultSettings()
    lines = [
        "--faults settings (JSON object; rates are per request in [0, 1], and the rates of "
        "drop, timeout, error, malformed, burst_429 and the scroll ones add up to at most 1):",
    ]
    for name, text in FAULT_SETTING_HELP.items():
        default = getattr(defaults, name)
        if isinstance(default, tuple):
            default = list(default)
        lines.append(f"  {name:<20} {text} (default {default})")
    lines += [
        'Per endpoint: keys such as "GET /conversations/{id}", "POST /contacts/search", '
        '"/path" or "*" at the top level or under "endpoints", each an object of the '
        "settings above (the most specific key wins). Example:",
        '  --faults \'{"error_rate": 0.02, "GET /conversations/{id}": {"error_rate": 1}}\'',
        "Same seed, same config and same requests: the same faults (docs/emulator-faults.md).",
    ]
    return "\n".join(lines)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _faults(text: str) -> dict[str, Any]:
    """Fault config as inline JSON or a path to a JSON file."""
    source = text
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise argparse.ArgumentTypeError(f"not JSON and not a file: {text}")
        source = path.read_text()
    try:
        value = json.loads(source)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("faults must be a JSON object")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intercom-emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the Intercom API over HTTP",
        epilog=faults_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_non_negative_int, default=8765, help="0 = any free port")
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    for name in COUNT_OPTIONS:
        serve.add_argument(f"--{name}", type=_non_negative_int, help=f"override the {name} count")
    serve.add_argument("--timezone", default="Pacific/Kiritimati", help="workspace timezone")
    serve.add_argument("--start-time", type=int, default=None, help="data clock at start (Unix s)")
    serve.add_argument(
        "--api-version",
        choices=KNOWN_VERSIONS,
        default="2.16",
        help="version for requests without an Intercom-Version header",
    )
    serve.add_argument("--token", default=None, help="bearer token to accept (default: random)")
    serve.add_argument("--latency-ms", type=_non_negative_float, default=0.0)
    serve.add_argument("--latency-jitter-ms", type=_non_negative_float, default=0.0)
    serve.add_argument(
        "--rate-limit",
        type=_non_negative_int,
        default=None,
        help="requests per 10-second window (default: unlimited)",
    )
    serve.add_argument(
        "--faults",
        type=_faults,
        default=None,
        help="fault injection: a JSON object or a JSON file (settings listed below)",
    )
    serve.add_argument(
        "--index-lag",
        type=_non_negative_int,
        default=0,
        help="search ignores records created less than N seconds ago",
    )
    serve.add_argument(
        "--mutate-during-pagination",
        type=_non_negative_int,
        default=0,
        help="touch N random records after every served page",
    )
    serve.add_argument(
        "--date-skew",
        type=int,
        default=0,
        help="Date header N seconds ahead of (+) or behind (-) the data clock",
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def _world_config(args: argparse.Namespace) -> WorldConfig:
    counts = {n: getattr(args, n) for n in COUNT_OPTIONS if getattr(args, n) is not None}
    kwargs: dict[str, Any] = {}
    if args.start_time is not None:
        kwargs["start_time"] = args.start_time
    return WorldConfig(
        seed=args.seed, scale=args.scale, counts=counts or None, timezone=args.timezone, **kwargs
    )


def serve(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"intercom-emulator: error: unknown timezone {args.timezone!r}", file=sys.stderr)
        return 2
    settings = Settings(
        default_version=args.api_version,
        rate_limit=args.rate_limit,
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        faults=args.faults,
        index_lag_seconds=args.index_lag,
        mutate_during_pagination=args.mutate_during_pagination,
        date_skew_seconds=args.date_skew,
    )
    try:
        settings.validate()
        world = generate_world(_world_config(args))
    except ValueError as exc:
        print(f"intercom-emulator: error: {exc}", file=sys.stderr)
        return 2
    token = args.token or secrets.token_urlsafe(18)
    control = Control(world, token=token, seed=args.seed, settings=settings)
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # TCP; with proto 0 every small response stalls ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(
            f"intercom-emulator: error: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 2
    port = sock.getsockname()[1]
    # Listen before announcing the URL: a client connecting at once waits in the backlog
    # instead of being refused while uvicorn starts.
    sock.listen(2048)
    print(f"base_url: http://{args.host}:{port}", flush=True)
    print(f"token: {token if args.token is None else '(the one given with --token)'}", flush=True)
    server = uvicorn.Server(
        server_config(control, host=args.host, port=port, log_level=args.log_level)
    )
    server.run(sockets=[sock])
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())
