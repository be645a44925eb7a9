"""`intercom-sync`: sync Intercom into a warehouse with dlt.

intercom-sync run     [--destination duckdb] [--dataset …] [--resources a,b] …
intercom-sync backfill --from DATE --to DATE [--chunk 30d]   history in independent windows
intercom-sync demo    (starts the offline emulator, syncs it into DuckDB)
intercom-sync status  [--json]   cursor, lag, rows, last success/failure per resource
intercom-sync schema  [--format text|markdown]   the loaded tables and columns
Global: -v/--verbose, --log-format text|json (logs go to stderr).
intercom-sync report  [--duckdb-file …] [--dataset …] [--output f.html] [--build-models]
  run --transform / report --build-models: [--fivetran-schema [NAME]] (Fivetran-shaped views)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from emulator.world.scales import SCALES
from pipelines.cli.logs import LOG_FORMATS, configure_logging
from pipelines.defaults import DEFAULT_DATASET, DEFAULT_PIPELINE, TABLE_FORMATS
from pipelines.destinations.duckdb_file import DEFAULT_DUCKDB_FILE, resolve_duckdb_file
from pipelines.errors import ConfigError, SyncError, Terminated
from pipelines.exit_codes import ExitCode
from pipelines.run.api_versions import SUPPORTED_STATEMENT
from pipelines.run.interrupted_load import interrupted_load_detail
from pipelines.run.names import check_dataset_name, check_pipeline_name
from pipelines.run.options import ResourcesFailed, SyncOptions
from pipelines.run.summary import format_summary
from pipelines.run.sync import run_sync
from sources.intercom.settings import OPTIONAL_RESOURCES, RESOURCE_NAMES, selected_resources

if TYPE_CHECKING:
    from pipelines.reporting.transform import TransformResult

log = logging.getLogger("intercom_sync")


def _resource_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one resource name")
    return selected_resources(names)  # `contact_notes` is read by `contacts`


def _add_pipeline_name_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pipeline-name",
        default=DEFAULT_PIPELINE,
        help="dlt pipeline name; one per workspace (default: %(default)s)",
    )
    parser.add_argument(
        "--pipelines-dir", default=None, help="where dlt keeps pipeline state (default: dlt's)"
    )


def _add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    _add_pipeline_name_args(parser)
    parser.add_argument(
        "--destination",
        default="duckdb",
        help="any dlt destination name; credentials by dlt's own config (default: duckdb)",
    )
    parser.add_argument(
        "--duckdb-file",
        default=None,
        help="DuckDB database file when --destination duckdb (default: dlt's "
        f"[destination.duckdb] credentials if set, else {DEFAULT_DUCKDB_FILE}; docs/cli.md)",
    )
    parser.add_argument(
        "--dataset", default=DEFAULT_DATASET, help="dataset/schema name (default: %(default)s)"
    )


def _add_source_args(parser: argparse.ArgumentParser) -> None:
    """What to read and from where: the options `run` and `backfill` share."""
    parser.add_argument(
        "--resources",
        type=_resource_list,
        default=None,
        help="comma-separated resources to sync (default: all the API version has): "
        + ", ".join(RESOURCE_NAMES)
        + "; opt-in: "
        + ", ".join(OPTIONAL_RESOURCES)
        + " (each runs its parent too)",
    )
    parser.add_argument(
        "--include",
        type=_resource_list,
        default=None,
        help="opt-in resources to read too, off by default as each costs a request per "
        "parent record (docs/configuration.md): " + ", ".join(OPTIONAL_RESOURCES),
    )
    parser.add_argument("--base-url", default=None, help="explicit API base URL (overrides region)")
    parser.add_argument(
        "--region", choices=["us", "eu", "au"], default=None, help="workspace region"
    )
    parser.add_argument(
        "--api-version", default=None, help=f"Intercom-Version to pin: {SUPPORTED_STATEMENT}"
    )
    parser.add_argument("--no-progress", action="store_true", help="no periodic progress lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intercom-sync",
        description="Sync Intercom into DuckDB or any dlt destination, incrementally.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="stderr logs as text, or one JSON object per line for log shippers",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="sync the workspace (incremental after the first run)")
    _add_pipeline_args(run)
    _add_source_args(run)
    run.add_argument(
        "--start-date", default=None, help="first run: only records updated since this date"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop this pipeline's tables and state and load everything again "
        "(with --resources: only those resources' tables and state)",
    )
    run.add_argument(
        "--reconcile",
        action="store_true",
        help="also scan every contact/company/ticket id and tombstone the deleted ones "
        "(<entity>_deleted tables; costs ~1 request per 150 records, see README Guarantees)",
    )
    run.add_argument(
        "--deletes",
        choices=("soft", "hard"),
        default=None,
        help="deleted and merged-away records: 'soft' flags them (_deleted_at, the default), "
        "'hard' removes them; default: [sources.intercom] deletes (docs/deletions.md)",
    )
    run.add_argument(
        "--history",
        action="store_true",
        default=None,
        help="also keep every version of contacts, companies, conversations, tickets and "
        "their parts in <table>_history tables; default: [sources.intercom] history "
        "(docs/history.md)",
    )
    run.add_argument(
        "--transform",
        action="store_true",
        help="after a successful sync, build and test the dbt models in analytics/",
    )
    run.add_argument(
        "--fivetran-schema",
        nargs="?",
        const=True,
        default=None,
        metavar="NAME",
        help=f"with --transform: {FIVETRAN_SCHEMA_HELP}",
    )
    run.add_argument(
        "--table-format",
        choices=TABLE_FORMATS,
        default=None,
        help="filesystem destination: write delta tables, so merges upsert "
        "(plain parquet files are appended to)",
    )

    backfill = sub.add_parser(
        "backfill",
        help="load history in independent updated_at windows (resumable), then continue "
        "incrementally (pipelines/run/backfill.py)",
    )
    _add_pipeline_args(backfill)
    backfill.add_argument("--from", dest="from_date", required=True, help="ISO date (UTC)")
    backfill.add_argument("--to", dest="to_date", required=True, help="ISO date (UTC), exclusive")
    backfill.add_argument("--chunk", default="30d", help="window length, e.g. 30d or 12h")
    _add_source_args(backfill)

    demo = sub.add_parser("demo", help="sync the offline emulator into DuckDB and show the result")
    demo.add_argument(
        "--duckdb-file",
        default="intercom-demo.duckdb",
        help="DuckDB file the demo creates, or replaces if it made it (default: %(default)s)",
    )
    demo.add_argument(
        "--scale",
        default="small",
        choices=sorted(SCALES),
        help="emulator world size (default: small)",
    )
    demo.add_argument("--seed", type=int, default=1, help="emulator seed (default: 1)")
    demo.add_argument(
        "--pipelines-dir",
        default=None,
        help="keep the demo pipeline (intercom_demo) here for status/schema "
        "(default: .intercom-demo next to the DuckDB file)",
    )

    status = sub.add_parser(
        "status", help="per resource: cursor, lag, rows, last success and last failure"
    )
    _add_pipeline_args(status)
    # No defaults: the pipeline state knows its destination (dlt config gives credentials),
    # the run history the DuckDB file.
    status.set_defaults(destination=None, duckdb_file=None)
    status.add_argument("--json", action="store_true", help="machine-readable output")

    schema = sub.add_parser("schema", help="the tables and columns the pipeline loaded")
    _add_pipeline_name_args(schema)
    schema.add_argument(
        "--format", choices=["text", "markdown"], default="text", help="(default: %(default)s)"
    )
    report = sub.add_parser("report", help="write an HTML report of charts from the dbt marts")
    report.add_argument(
        "--duckdb-file",
        default=None,
        help=f"DuckDB file (default: as for run: dlt's setting, else {DEFAULT_DUCKDB_FILE})",
    )
    report.add_argument(
        "--dataset", default=DEFAULT_DATASET, help="the synced dataset (default: %(default)s)"
    )
    report.add_argument(
        "--output", default="intercom-report.html", help="HTML file to write (default: %(default)s)"
    )
    report.add_argument(
        "--build-models", action="store_true", help="run `dbt build` on the file first"
    )
    report.add_argument(
        "--fivetran-schema",
        nargs="?",
        const=True,
        default=None,
        metavar="NAME",
        help=f"with --build-models: {FIVETRAN_SCHEMA_HELP}",
    )
    return parser


FIVETRAN_SCHEMA_HELP = (
    "also build views shaped like Fivetran's Intercom tables, for its dbt_intercom package, "
    "in schema NAME (default <dataset>_fivetran); config: [transform] fivetran_schema "
    "(docs/moving-from-fivetran.md)"
)


def _sync_options(args: argparse.Namespace, **run_only: Any) -> SyncOptions:
    """SyncOptions from the pipeline and source options `run` and `backfill` share."""
    duckdb_file = args.duckdb_file or DEFAULT_DUCKDB_FILE
    if args.destination == "duckdb":
        duckdb_file = resolve_duckdb_file(args.duckdb_file)
    return SyncOptions(
        destination=args.destination,
        duckdb_file=duckdb_file,
        dataset=args.dataset,
        pipeline_name=args.pipeline_name,
        pipelines_dir=args.pipelines_dir,
        resources=args.resources,
        include=args.include,
        base_url=args.base_url,
        region=args.region,
        api_version=args.api_version,
        progress=not args.no_progress,
        **run_only,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    options = _sync_options(
        args,
        start_date=args.start_date,
        full_refresh=args.full_refresh,
        table_format=args.table_format,
        reconcile=args.reconcile,
        deletes=args.deletes,
        history=args.history,
    )
    fivetran_schema = None
    if args.fivetran_schema is not None and not args.transform:
        raise ConfigError("--fivetran-schema builds views with the dbt models: add --transform")
    if args.transform:
        from pipelines.reporting.fivetran_schema import resolve_fivetran_schema
        from pipelines.reporting.transform import check_transform_supported
        from pipelines.run.construct import make_pipeline

        fivetran_schema = resolve_fivetran_schema(args.fivetran_schema, options.dataset)
        check_transform_supported(make_pipeline(options))
    try:
        result = run_sync(options)
    except ResourcesFailed as partial:  # the others loaded: show what did
        print(format_summary(partial.result))
        raise
    log.info(
        "sync finished",
        extra={
            "event": "sync_finished",
            "pipeline": options.pipeline_name,
            "rows": sum(result.rows_by_table.values()),
            "requests": result.requests,
            "retries": result.retries,
            "seconds": round(result.seconds, 2),
        },
    )
    print(format_summary(result))
    if args.transform:
        from pipelines.reporting.transform import run_transform
        from pipelines.run.construct import make_pipeline

        built = run_transform(make_pipeline(options), fivetran_schema=fivetran_schema)
        _print_transform(built)
    return ExitCode.OK


def _print_transform(built: TransformResult) -> None:
    print(f"dbt: {built.models} models built, {built.tests} tests passed (schema {built.schema})")
    if built.fivetran_schema:
        print(f"Fivetran-shaped views: schema {built.fivetran_schema}")


def _cmd_backfill(args: argparse.Namespace) -> int:
    from pipelines.run.backfill import format_backfill, parse_chunk, parse_instant, run_backfill

    options = _sync_options(args)
    result = run_backfill(
        options,
        parse_instant(args.from_date, "--from"),
        parse_instant(args.to_date, "--to"),
        parse_chunk(args.chunk),
    )
    print(format_backfill(result))
    return ExitCode.OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.run.demo import run_demo

    return run_demo(
        duckdb_file=args.duckdb_file,
        scale=args.scale,
        seed=args.seed,
        pipelines_dir=args.pipelines_dir,
    )


def _cmd_status(args: argparse.Namespace) -> int:
    from pipelines.reporting.status import print_status

    return print_status(
        pipeline_name=args.pipeline_name,
        pipelines_dir=args.pipelines_dir,
        destination=args.destination,
        duckdb_file=args.duckdb_file,
        as_json=args.json,
    )


def _cmd_schema(args: argparse.Namespace) -> int:
    from pipelines.reporting.schema_doc import print_schema

    return print_schema(args.pipeline_name, args.pipelines_dir, args.format)


def _cmd_report(args: argparse.Namespace) -> int:
    import tempfile

    from pipelines.reporting.fivetran_schema import resolve_fivetran_schema
    from pipelines.reporting.report import check_output, write_report
    from pipelines.reporting.transform import (
        analytics_dataset_name,
        build_duckdb_standalone,
        check_dbt_installed,
    )
    from pipelines.reporting.warehouse import require_duckdb_file

    if args.fivetran_schema is not None and not args.build_models:
        raise ConfigError("--fivetran-schema builds views with the dbt models: add --build-models")
    # Before building the models, which takes a while (and would create a missing file).
    check_output(args.output)
    args.duckdb_file = resolve_duckdb_file(args.duckdb_file)
    require_duckdb_file(args.duckdb_file)
    if args.build_models:
        check_dbt_installed("duckdb", "--build-models")
        fivetran_schema = resolve_fivetran_schema(args.fivetran_schema, args.dataset)
        with tempfile.TemporaryDirectory(prefix="intercom-dbt-") as work:
            built = build_duckdb_standalone(args.duckdb_file, args.dataset, work, fivetran_schema)
        _print_transform(built)
    path = write_report(args.duckdb_file, analytics_dataset_name(args.dataset), args.output)
    print(f"Report written: {path}")
    return ExitCode.OK


COMMANDS = {
    "run": _cmd_run,
    "backfill": _cmd_backfill,
    "demo": _cmd_demo,
    "status": _cmd_status,
    "schema": _cmd_schema,
    "report": _cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, args.log_format)
    with terminate_like_ctrl_c():
        return _run_command(args)


def _check_names(args: argparse.Namespace) -> None:
    if getattr(args, "pipeline_name", None) is not None:
        check_pipeline_name(args.pipeline_name)
    if getattr(args, "dataset", None) is not None:
        check_dataset_name(args.dataset)


def _run_command(args: argparse.Namespace) -> int:
    try:
        _check_names(args)
        code = int(COMMANDS[args.command](args))
        sys.stdout.flush()  # here, where a closed pipe is handled, not at the interpreter's exit
        return code
    except BrokenPipeError:
        return _output_closed()
    except SyncError as exc:
        return _fail(args, f"error: {exc}", exc.exit_code)
    except Terminated as exc:
        said = f"terminated (SIGTERM){interrupted_load_detail(exc)}"
        return _fail(args, f"{said}; the next run resumes safely", ExitCode.TERMINATED)
    except KeyboardInterrupt as exc:
        said = f"interrupted{interrupted_load_detail(exc)}"
        return _fail(args, f"{said}; the next run resumes safely", ExitCode.INTERRUPTED)
    except Exception as exc:  # a bug: one line by default, the traceback with -v
        log.debug("unexpected failure", exc_info=True)
        message = f"unexpected error: {type(exc).__name__}: {exc} (run with -v for the traceback)"
        return _fail(args, message, ExitCode.UNEXPECTED)


@contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM (a scheduler's timeout, a container stopping) raises
    `Terminated`, handled like Ctrl-C: the failed run is recorded and the lock released,
    instead of the process dying on the spot. Only the main thread can handle signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _output_closed() -> int:
    """stdout's reader stopped reading (`status --json | head`): end quietly, like other
    Unix tools, with the shell's code for it. The command itself had finished: a run's sync is
    loaded and recorded before its summary is printed."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush would fail again
    return int(ExitCode.OUTPUT_CLOSED)


def _fail(args: argparse.Namespace, message: str, code: ExitCode) -> int:
    """One line on stderr: plain for people, a JSON log record with --log-format json."""
    if args.log_format == "json":
        log.error(message, extra={"event": "failed", "exit_code": int(code)})
    else:
        print(f"intercom-sync: {message}", file=sys.stderr)
    return int(code)
