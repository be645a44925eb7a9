"""`intercom-sync`: sync Intercom into a warehouse with dlt.

intercom-sync run     [--destination duckdb] [--dataset …] [--resources a,b] …
intercom-sync demo    (starts the offline emulator, syncs it into DuckDB)
intercom-sync status  [--json]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from pipelines.errors import SyncError
from pipelines.exit_codes import ExitCode
from pipelines.runner import (
    DEFAULT_DATASET,
    DEFAULT_DUCKDB_FILE,
    DEFAULT_PIPELINE,
    SyncOptions,
    format_summary,
    run_sync,
)

log = logging.getLogger("intercom_sync")


def _resource_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one resource name")
    return names


def _add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pipeline-name",
        default=DEFAULT_PIPELINE,
        help="dlt pipeline name; one per workspace (default: %(default)s)",
    )
    parser.add_argument(
        "--pipelines-dir", default=None, help="where dlt keeps pipeline state (default: dlt's)"
    )
    parser.add_argument(
        "--destination",
        default="duckdb",
        help="any dlt destination name; credentials by dlt's own config (default: duckdb)",
    )
    parser.add_argument(
        "--duckdb-file",
        default=DEFAULT_DUCKDB_FILE,
        help="DuckDB database file when --destination duckdb (default: %(default)s)",
    )
    parser.add_argument(
        "--dataset", default=DEFAULT_DATASET, help="dataset/schema name (default: %(default)s)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intercom-sync",
        description="Sync Intercom into DuckDB or any dlt destination, incrementally.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="sync the workspace (incremental after the first run)")
    _add_pipeline_args(run)
    run.add_argument(
        "--resources",
        type=_resource_list,
        default=None,
        help="comma-separated resources to sync (default: all)",
    )
    run.add_argument(
        "--start-date", default=None, help="first run: only records updated since this date"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop this pipeline's tables and state and load everything again",
    )
    run.add_argument("--base-url", default=None, help="explicit API base URL (overrides region)")
    run.add_argument("--region", choices=["us", "eu", "au"], default=None, help="workspace region")
    run.add_argument(
        "--api-version", default=None, help="Intercom-Version to pin (default 2.16; 2.9 supported)"
    )
    run.add_argument("--no-progress", action="store_true", help="no periodic progress lines")

    demo = sub.add_parser("demo", help="sync the offline emulator into DuckDB and show the result")
    demo.add_argument(
        "--duckdb-file", default="intercom-demo.duckdb", help="DuckDB file (default: %(default)s)"
    )
    demo.add_argument("--scale", default="small", help="emulator world size (default: small)")
    demo.add_argument("--seed", type=int, default=1, help="emulator seed (default: 1)")

    status = sub.add_parser("status", help="last successful load and cursor per resource")
    _add_pipeline_args(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO; keep the output about the sync.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _cmd_run(args: argparse.Namespace) -> int:
    options = SyncOptions(
        destination=args.destination,
        duckdb_file=args.duckdb_file,
        dataset=args.dataset,
        pipeline_name=args.pipeline_name,
        pipelines_dir=args.pipelines_dir,
        resources=args.resources,
        start_date=args.start_date,
        full_refresh=args.full_refresh,
        base_url=args.base_url,
        region=args.region,
        api_version=args.api_version,
        progress=not args.no_progress,
    )
    result = run_sync(options)
    print(format_summary(result))
    return ExitCode.OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import run_demo

    return run_demo(duckdb_file=args.duckdb_file, scale=args.scale, seed=args.seed)


def _cmd_status(args: argparse.Namespace) -> int:
    from pipelines.status import print_status

    return print_status(
        pipeline_name=args.pipeline_name,
        pipelines_dir=args.pipelines_dir,
        destination=args.destination,
        duckdb_file=args.duckdb_file,
        as_json=args.json,
    )


COMMANDS = {"run": _cmd_run, "demo": _cmd_demo, "status": _cmd_status}


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(COMMANDS[args.command](args))
    except SyncError as exc:
        print(f"intercom-sync: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("intercom-sync: interrupted; the next run resumes safely", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line by default, the traceback with -v
        log.debug("unexpected failure", exc_info=True)
        print(
            f"intercom-sync: unexpected error: {type(exc).__name__}: {exc} "
            "(run with -v for the traceback)",
            file=sys.stderr,
        )
        return int(ExitCode.UNEXPECTED)


if __name__ == "__main__":
    sys.exit(main())
