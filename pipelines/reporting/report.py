"""`intercom-sync report`: one self-contained HTML page of charts from the analytics marts.

Reads the marts built by `analytics/` (see `pipelines.reporting.transform`) from a DuckDB file and writes
an HTML file with plotly.js inlined, so it opens anywhere without a network. Charts: conversation
volume per day (created, reopened, closings: they add up to the backlog's change), open backlog,
median first response and close time per team (with "(no team)"), per admin, tickets per type,
CSAT distribution; the date range and a definition under every chart (docs/report.md).
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
    "admin_metrics",
    "ticket_metrics",
    "conversation_enhanced",
    "conversation_metrics",
)
NO_TEAM = "(no team)"


@dataclass
class ReportData:
    days: list[dt.date] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    backlog: list[int] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    team_conversations: list[int] = field(default_factory=list)
    team_closed: list[int] = field(default_factory=list)
    team_first_response_hours: list[float | None] = field(default_factory=list)
    team_close_hours: list[float | None] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    admin_closed: list[int] = field(default_factory=list)
    admin_close_hours: list[float | None] = field(default_factory=list)
    ticket_types: list[str] = field(default_factory=list)
    tickets_by_state: dict[str, list[int]] = field(default_factory=dict)
    ticket_hover: dict[str, list[str]] = field(default_factory=dict)
    ratings: dict[int, int] = field(default_factory=dict)
    kpis: dict[str, str] = field(default_factory=dict)

    @property
    def date_range(self) -> str:
        if not self.days:
            return "no conversations"
        return f"{self.days[0].isoformat()} to {self.days[-1].isoformat()} (UTC days)"

    @property
    def teams_without_close_time(self) -> list[str]:
        return [t for t, h in zip(self.teams, self.team_close_hours, strict=True) if h is None]


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
    for day, created, closed, reopened, backlog in con.execute(
        f"SELECT date_day, conversations_created, conversations_closed, conversations_reopened, "
        f'open_backlog FROM "{schema}".daily_conversation_volume ORDER BY date_day'
    ).fetchall():
        data.days.append(day)
        data.created.append(created)
        data.closed.append(closed)
        data.reopened.append(reopened)
        data.backlog.append(backlog)
    _load_teams(con, schema, data)
    _load_admins(con, schema, data)
    _load_tickets(con, schema, data)
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


def _load_teams(con: Any, schema: str, data: ReportData) -> None:
    """team_metrics, plus "(no team)": the conversations no team is assigned to, by the same
    definitions (team_metrics credits a team with the conversations assigned to it now)."""
    rows = con.execute(
        f"""SELECT team_name, count_conversations, count_closed_conversations,
                   median_minutes_to_first_response, median_minutes_to_last_close
            FROM "{schema}".team_metrics
            UNION ALL
            SELECT '{NO_TEAM}', count(*),
                   coalesce(sum(CASE WHEN e.state = 'closed' THEN 1 ELSE 0 END), 0),
                   median(m.minutes_to_first_response),
                   median(CASE WHEN e.state = 'closed' THEN m.minutes_to_last_close END)
            FROM "{schema}".conversation_enhanced e
            JOIN "{schema}".conversation_metrics m USING (conversation_id)
            WHERE e.team_assignee_id IS NULL
            ORDER BY 2 DESC, 1"""
    ).fetchall()
    for name, count, closed, first_response, close in rows:
        data.teams.append(name)
        data.team_conversations.append(count)
        data.team_closed.append(closed)
        data.team_first_response_hours.append(_hours(first_response))
        data.team_close_hours.append(_hours(close))


def _load_admins(con: Any, schema: str, data: ReportData) -> None:
    for name, closed, close in con.execute(
        f"""SELECT admin_name, count_closed_conversations, median_minutes_to_last_close
            FROM "{schema}".admin_metrics
            WHERE count_closed_conversations > 0
            ORDER BY count_closed_conversations DESC, admin_name"""
    ).fetchall():
        data.admins.append(name)
        data.admin_closed.append(closed)
        data.admin_close_hours.append(_hours(close))


TICKET_STATES = ("submitted", "in_progress", "waiting_on_customer", "resolved")


def _load_tickets(con: Any, schema: str, data: ReportData) -> None:
    """Tickets per type, split by their current state category; the hover text of each bar
    says its median hours from creation to first resolution."""
    rows = con.execute(
        f"""SELECT coalesce(ticket_type_name, ticket_type_id), ticket_state_category,
                   count_tickets, median_minutes_to_first_resolution
            FROM "{schema}".ticket_metrics"""
    ).fetchall()
    data.ticket_types = sorted({str(row[0]) for row in rows})
    states = [s for s in TICKET_STATES if any(row[1] == s for row in rows)]
    states += sorted({str(row[1]) for row in rows} - set(states))
    for state in states:
        data.tickets_by_state[state] = [0] * len(data.ticket_types)
        data.ticket_hover[state] = [""] * len(data.ticket_types)
    for type_name, state, count, minutes in rows:
        index = data.ticket_types.index(str(type_name))
        data.tickets_by_state[str(state)][index] = count
        resolved = "never resolved" if minutes is None else f"{minutes / 60:.1f} h"
        data.ticket_hover[str(state)][index] = f"median to first resolution: {resolved}"


# What each chart shows, printed under it (the full definitions: analytics/models/marts/
# _metric_definitions.md; docs/report.md explains how to read the report).
DEFINITIONS = {
    "volume": (
        "Per UTC day: conversations created, conversations reopened (a part that moves a closed "
        "conversation out of closed: a customer reply, an admin reopening) and closings (a part "
        "that moves one into closed). A conversation can be closed and reopened many times, so "
        "closings can exceed creations while the backlog grows: the backlog changes each day "
        "by created + reopened − closings."
    ),
    "backlog": (
        "Conversations not closed (open or snoozed) at the end of each UTC day: the running "
        "sum of created + reopened − closings."
    ),
    "teams": (
        "Median wall-clock hours from creation to the first admin response, and to the last "
        "close (closed conversations only), over the conversations assigned to each team now. "
        f"{NO_TEAM}: conversations no team is assigned to. The number after a name is its "
        "conversations (closed ones in brackets)."
    ),
    "admins": (
        "Conversations each admin closed last (and that are closed now), and their median "
        "hours from creation to that last close. Admins who closed none are not shown."
    ),
    "tickets": (
        "Tickets per ticket type, by their current state. Hover a bar for its median hours "
        "from creation to the first resolution."
    ),
    "csat": "Conversation ratings (1-5) given by contacts; unrated conversations are left out.",
}


def _figures(data: ReportData) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    days = [d.isoformat() for d in data.days]
    layout = {"height": CHART_HEIGHT, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}
    volume = go.Figure(
        [
            go.Bar(x=days, y=data.created, name="created", marker_color="#3b82f6"),
            go.Bar(x=days, y=data.reopened, name="reopened", marker_color="#a855f7"),
            go.Scatter(x=days, y=data.closed, name="closings", mode="lines", line_color="#10b981"),
        ],
        layout={
            **layout,
            "title": "Conversations per day (UTC): created + reopened in, closings out",
            "barmode": "stack",
        },
    )
    backlog = go.Figure(
        go.Scatter(
            x=days, y=data.backlog, name="open backlog", fill="tozeroy", line_color="#f59e0b"
        ),
        layout={**layout, "title": "Open backlog at the end of each day"},
    )
    team_labels = [
        f"{name} · {count} ({closed})"
        for name, count, closed in zip(
            data.teams, data.team_conversations, data.team_closed, strict=True
        )
    ]
    teams = go.Figure(
        [
            go.Bar(
                x=team_labels, y=data.team_first_response_hours, name="median first response (h)"
            ),
            go.Bar(x=team_labels, y=data.team_close_hours, name="median time to close (h)"),
        ],
        layout={**layout, "title": "Median hours to first response and to close, per team"},
    )
    for label, hours in zip(team_labels, data.team_close_hours, strict=True):
        if hours is None:  # say why the bar is missing, on the chart itself
            teams.add_annotation(
                x=label, y=0, text="no closed<br>conversations", showarrow=False, yshift=24
            )
    admins = go.Figure(
        [
            go.Bar(x=data.admins, y=data.admin_closed, name="conversations closed last"),
            go.Scatter(
                x=data.admins,
                y=data.admin_close_hours,
                name="median hours to that close",
                mode="markers",
                yaxis="y2",
                marker={"size": 10, "color": "#ef4444"},
            ),
        ],
        layout={
            **layout,
            "title": "Agents: conversations closed, and median hours to close",
            "yaxis2": {"overlaying": "y", "side": "right", "title": "hours", "rangemode": "tozero"},
        },
    )
    tickets = go.Figure(
        [
            go.Bar(x=data.ticket_types, y=counts, name=state, hovertext=data.ticket_hover[state])
            for state, counts in data.tickets_by_state.items()
        ],
        layout={**layout, "title": "Tickets per type, by current state", "barmode": "stack"},
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
    return [
        ("volume", volume),
        ("backlog", backlog),
        ("teams", teams),
        ("admins", admins),
        ("tickets", tickets),
        ("csat", csat),
    ]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #111827; background: #f9fafb; }}
h1 {{ margin: 0 0 4px; }} .sub {{ color: #6b7280; margin-bottom: 16px; }}
.kpis {{ display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }}
.kpi {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 16px; }}
.kpi b {{ display: block; font-size: 22px; }}
.chart {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; margin-bottom: 16px; }}
.def {{ color: #374151; font-size: 13px; margin: 0 16px 12px; }}
</style></head><body>
<h1>{title}</h1><div class="sub">{subtitle}</div>
<div class="sub" id="date-range">Conversations from {date_range}. Times are wall-clock (no
business hours). Definitions under each chart; all of them in the analytics docs.</div>
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
        note = f'<p class="def" id="def-{name}">{html.escape(DEFINITIONS[name])}</p>'
        charts.append(f'<div class="chart" id="{name}">{snippet}{note}</div>')
    kpis = "".join(
        f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>'
        for k, v in data.kpis.items()
    )
    return PAGE.format(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        date_range=html.escape(data.date_range),
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
