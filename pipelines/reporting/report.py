"""`intercom-sync report`: one self-contained HTML page of charts from the analytics marts.

Reads the marts built by `analytics/` (see `pipelines.reporting.transform`) from a DuckDB file and writes
an HTML file with plotly.js inlined, so it opens anywhere without a network. Charts: conversation
volume per day, open backlog, median first response and close time per team, CSAT distribution.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError
from pipelines.reporting.warehouse import require_duckdb_file

CHART_HEIGHT = 420
MARTS = (
    "daily_conversation_volume",
    "team_metrics",
    "conversation_enhanced",
    "conversation_metrics",
)


@dataclass
class ReportData:
    days: list[dt.date] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    backlog: list[int] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    team_first_response_hours: list[float | None] = field(default_factory=list)
    team_close_hours: list[float | None] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=dict)
    kpis: dict[str, str] = field(default_factory=dict)


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60.0, 2)


def load_report_data(con: Any, schema: str) -> ReportData:
    """Query the marts in `schema` through a DuckDB connection (DB-API style `execute`)."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        ).fetchall()
    }
    missing = [m for m in MARTS if m not in present]
    if missing:
        raise ConfigError(
            f"the analytics marts are not built in schema '{schema}' (missing {', '.join(missing)});"
            " run `intercom-sync run --transform` or `intercom-sync report --build-models`"
        )
    data = ReportData()
    for day, created, closed, backlog in con.execute(
        f"SELECT date_day, conversations_created, conversations_closed, open_backlog "
        f'FROM "{schema}".daily_conversation_volume ORDER BY date_day'
    ).fetchall():
        data.days.append(day)
        data.created.append(created)
        data.closed.append(closed)
        data.backlog.append(backlog)
    for name, first_response, close in con.execute(
        f"SELECT team_name, median_minutes_to_first_response, median_minutes_to_last_close "
        f'FROM "{schema}".team_metrics ORDER BY team_name'
    ).fetchall():
        data.teams.append(name)
        data.team_first_response_hours.append(_hours(first_response))
        data.team_close_hours.append(_hours(close))
    data.ratings = {
        int(rating): count
        for rating, count in con.execute(
            f'SELECT rating, count(*) FROM "{schema}".conversation_enhanced '
            "WHERE rating IS NOT NULL GROUP BY rating ORDER BY rating"
        ).fetchall()
    }
    total, not_closed, median_first, avg_rating, rated = con.execute(
        f"""SELECT count(*),
                   sum(CASE WHEN e.state <> 'closed' THEN 1 ELSE 0 END),
                   median(m.minutes_to_first_response),
                   avg(e.rating),
                   count(e.rating)
            FROM "{schema}".conversation_enhanced e
            JOIN "{schema}".conversation_metrics m USING (conversation_id)"""
    ).fetchone()
    data.kpis = {
        "Conversations": f"{total:,}",
        "Not closed now": f"{not_closed or 0:,}",
        "Median first response": "—" if median_first is None else f"{median_first / 60:.1f} h",
        "Average CSAT": "—" if avg_rating is None else f"{avg_rating:.2f} / 5 ({rated:,} rated)",
    }
    return data


def _figures(data: ReportData) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    days = [d.isoformat() for d in data.days]
    layout = {"height": CHART_HEIGHT, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}
    volume = go.Figure(
        [
            go.Bar(x=days, y=data.created, name="created", marker_color="#3b82f6"),
            go.Scatter(x=days, y=data.closed, name="closings", mode="lines", line_color="#10b981"),
        ],
        layout={**layout, "title": "Conversation volume per day (UTC)", "barmode": "overlay"},
    )
    backlog = go.Figure(
        go.Scatter(
            x=days, y=data.backlog, name="open backlog", fill="tozeroy", line_color="#f59e0b"
        ),
        layout={**layout, "title": "Open backlog at the end of each day"},
    )
    teams = go.Figure(
        [
            go.Bar(
                x=data.teams, y=data.team_first_response_hours, name="median first response (h)"
            ),
            go.Bar(x=data.teams, y=data.team_close_hours, name="median time to close (h)"),
        ],
        layout={**layout, "title": "Median hours to first response and to close, per team"},
    )
    scores = [1, 2, 3, 4, 5]
    csat = go.Figure(
        go.Bar(
            x=[str(s) for s in scores],
            y=[data.ratings.get(s, 0) for s in scores],
            marker_color=["#ef4444", "#f97316", "#eab308", "#84cc16", "#22c55e"],
        ),
        layout={**layout, "title": "CSAT: conversation ratings (1-5)"},
    )
    return [("volume", volume), ("backlog", backlog), ("teams", teams), ("csat", csat)]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #111827; background: #f9fafb; }}
h1 {{ margin: 0 0 4px; }} .sub {{ color: #6b7280; margin-bottom: 16px; }}
.kpis {{ display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }}
.kpi {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 16px; }}
.kpi b {{ display: block; font-size: 22px; }}
.chart {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; margin-bottom: 16px; }}
</style></head><body>
<h1>{title}</h1><div class="sub">{subtitle}</div>
<div class="kpis">{kpis}</div>
{charts}
</body></html>
"""


def render_report(data: ReportData, title: str, subtitle: str) -> str:
    charts = []
    for index, (name, figure) in enumerate(_figures(data)):
        snippet = figure.to_html(
            full_html=False,
            include_plotlyjs=index == 0,  # inline plotly.js once: no network needed to view
            div_id=f"chart-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        charts.append(f'<div class="chart" id="{name}">{snippet}</div>')
    kpis = "".join(
        f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>'
        for k, v in data.kpis.items()
    )
    return PAGE.format(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        kpis=kpis,
        charts="\n".join(charts),
    )


def check_output(output: str) -> Path:
    """Where the report goes; ConfigError unless its folder exists (checked before any work)."""
    path = Path(output).resolve()
    if not path.parent.is_dir():
        raise ConfigError(f"--output {output}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"--output {output} is a folder; name the HTML file to write")
    return path


def write_report(duckdb_file: str, schema: str, output: str) -> Path:
    import duckdb

    path = check_output(output)
    require_duckdb_file(duckdb_file)
    with duckdb.connect(duckdb_file, read_only=True) as con:
        data = load_report_data(con, schema)
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = render_report(
        data,
        title="Intercom support report",
        subtitle=f"{Path(duckdb_file).name} · schema {schema} · generated {generated}",
    )
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {path}: {exc.strerror or exc}") from None
    return path
