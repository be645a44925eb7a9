"""What a failed sync means for its user: one line naming the fix, and a documented exit code.

`translate_error` maps whatever a sync raised (Intercom's errors, dlt's wrapped step failures,
configuration dlt could not resolve) to a `SyncError`; anything it cannot classify is
`UNEXPECTED`, a bug whose traceback `-v` shows.
"""

from __future__ import annotations

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
    LookupTraces,
    flatten_traces,
)
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import MissingDependencyException
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.errors import SyncError, exception_chain
from pipelines.exit_codes import ExitCode
from sources.intercom.conversations import UnsupportedApiVersionError
from sources.intercom.errors import (
    ApiUnavailableError,
    AuthError,
    IntercomApiError,
    IntercomError,
)


def _root_cause(exc: BaseException) -> BaseException:
    """dlt wraps extraction errors in PipelineStepFailed and resource errors; unwrap them."""
    current = exc
    for current in exception_chain(exc):
        if isinstance(current, IntercomError):
            return current
    return current


def translate_error(exc: BaseException, destination: str | None = None) -> SyncError:
    """Map any failure to a one-line message and a documented exit code (`destination`: the
    destination's name, for the install hint)."""
    if isinstance(exc, SyncError):
        return exc
    cause = _root_cause(exc)
    if isinstance(cause, AuthError):
        return SyncError(str(cause), ExitCode.AUTH)
    if isinstance(cause, ApiUnavailableError):
        return SyncError(str(cause), ExitCode.API_UNAVAILABLE)
    if isinstance(cause, IntercomApiError | UnsupportedApiVersionError):  # (ApiVersionError too)
        return SyncError(str(cause), ExitCode.CONFIG)
    if isinstance(cause, IntercomError):
        return SyncError(str(cause), ExitCode.UNEXPECTED)
    config_error = _config_error(exc, destination)
    if config_error is not None:
        return config_error
    if isinstance(exc, PipelineStepFailed) and exc.step == "sync":
        # dlt reads the destination's state before extracting: nothing was read or loaded
        message = f"the destination could not be reached or read: {' '.join(str(cause).split())}"
        if _DUCKDB_LOCKED in message:
            message += (
                " (another process has the DuckDB file open: a sync of another pipeline, or a "
                "SQL client writing to it; run again once it is closed)"
            )
        return SyncError(message, ExitCode.DESTINATION_UNAVAILABLE)
    if isinstance(exc, PipelineStepFailed) and exc.step == "load":
        return SyncError(f"loading into the destination failed: {cause}", ExitCode.PARTIAL)
    return SyncError(f"{type(cause).__name__}: {cause}", ExitCode.UNEXPECTED)


_DUCKDB_LOCKED = "Could not set lock on file"


def _config_error(exc: BaseException, destination: str | None) -> SyncError | None:
    """A configuration problem dlt reported anywhere in `exc`'s chain (it wraps them)."""
    for link in exception_chain(exc):
        if isinstance(link, UnknownDestinationModule):
            return SyncError(
                f"unknown destination {link.ref!r}: give a dlt destination name (duckdb, "
                "postgres, bigquery, snowflake, redshift, motherduck, filesystem …), or name "
                f"one in the configuration with DESTINATION__{link.ref.upper()}__DESTINATION_TYPE",
                ExitCode.CONFIG,
            )
        if isinstance(link, ImportError) and not _is_own_module(link.name):
            # A destination's client library (dlt imports it when it first connects).
            missing = (
                " ".join(link.dependencies)
                if isinstance(link, MissingDependencyException)
                else link.name or str(link)
            )
            extra = destination if destination and destination.isidentifier() else "<name>"
            return SyncError(
                f"the destination needs a package that is not installed ({missing}): "
                f'pip install "dlt[{extra}]"',
                ExitCode.CONFIG,
            )
        if isinstance(link, ConfigValueCannotBeCoercedException):
            kind = getattr(link.hint, "__name__", str(link.hint))  # the value is not shown
            return SyncError(
                f"the configured {link.field_name} is not a valid {kind}", ExitCode.CONFIG
            )
        if isinstance(link, ConfigFieldMissingException):
            # e.g. a destination's credentials (dlt checks them before extracting anything)
            return SyncError(f"missing configuration: {missing_settings(link)}", ExitCode.CONFIG)
    return None


def missing_settings(exc: ConfigFieldMissingException) -> str:
    """One line naming what dlt could not find and where to set it, instead of dlt's message
    (every provider and key it tried: ~60 lines for a destination's credentials)."""
    parts = []
    for field, traces in exc.traces.items():
        nested = [t for t in traces if isinstance(t, LookupTraces)]
        keys = [t.key for t in flatten_traces(traces) if t.provider == _ENV_PROVIDER]
        env = _most_specific(keys)
        if nested:  # e.g. `credentials`: a configuration of its own with missing fields
            inner = ", ".join(nested[0].traces)
            env = env.rsplit("__", 1)[0] if env else env
            what = f"{field} ({inner})"
        else:
            what = field
        if env:
            section = ".".join(env.lower().split("__")[:-1])
            where = f"{env}, or {env.lower().split('__')[-1]} under [{section}]"
            where += " in .dlt/secrets.toml"
            parts.append(f"{what}: set {where}")
        else:
            parts.append(what)
    return "; ".join(parts) or str(exc.spec_name)


_ENV_PROVIDER = "Environment Variables"


def _most_specific(keys: list[str]) -> str | None:
    """The longest key dlt tried that is not another one with the pipeline name in front
    (`INTERCOM__DESTINATION__…` is `DESTINATION__…` for the pipeline `intercom` only)."""
    tried = set(keys)

    def pipeline_prefix(first: str) -> bool:  # every key under it is another key, prefixed
        under = [k.split("__", 1) for k in tried if k.startswith(f"{first}__")]
        return all(len(p) == 2 and p[1] in tried for p in under)

    plain = [k for k in keys if not pipeline_prefix(k.split("__", 1)[0])]
    return max(plain, key=len, default=None)


def interruption(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (`KeyboardInterrupt`) or SIGTERM (`Terminated`) that `exc` wraps, if any."""
    for link in exception_chain(exc):
        if isinstance(link, KeyboardInterrupt):
            return link
    return None


def _is_own_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in ("pipelines", "sources", "emulator", "bench")
