"""`intercom-sync report`: sync an emulator, build the marts, write the HTML, look at it in
headless Chromium (Debian's package; `.ci/run` installs it)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from emulator.testing import running_emulator
from emulator.world import WorldConfig
from pipelines.cli import main
from pipelines.exit_codes import ExitCode
from pipelines.reporting.report import NO_TEAM, ReportData, load_report_data, render_report
from pipelines.run.options import SyncOptions
from pipelines.run.sync import run_sync

CHROMIUM = "/usr/bin/chromium"
CHARTS = ("volume", "backlog", "teams", "admins", "tickets", "csat")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1400,2400",
            "--virtual-time-budget=5000",  # let plotly draw before the DOM dump / screenshot
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def png_pixels(path: Path) -> tuple[int, int, list[tuple[int, ...]]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    channels = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * channels : x * channels + 3]) for row in rows for x in range(width)]
    return width, height, pixels


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("report")
    saved = dict(os.environ)
    os.environ["DLT_DATA_DIR"] = str(root / "dlt_data")
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    db, html = root / "report_test.duckdb", root / "report.html"
    try:
        with running_emulator(WorldConfig(seed=2, scale="tiny")) as emu:
            run_sync(
                SyncOptions(
                    duckdb_file=str(db),
                    pipelines_dir=str(root / "pipelines"),
                    base_url=emu.base_url,
                    access_token=emu.token,
                    progress=False,
                )
            )
            world = emu.world
        code = main(["report", "--duckdb-file", str(db), "--output", str(html), "--build-models"])
        assert code == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return html, world


def test_report_is_self_contained_and_shows_the_marts(report: tuple[Path, object]) -> None:
    html_path, world = report
    page = html_path.read_text(encoding="utf-8")
    # plotly.js is inlined: no script or stylesheet fetched from anywhere
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"https?:", page)
    assert len(page) > 1_000_000  # the inlined library
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in page
    # the headline figure comes from the marts and equals the world's truth
    assert f"Conversations<b>{len(world.conversations):,}</b>" in page
    # a definition under every chart, and the date range the figures cover
    for chart in CHARTS:
        assert f'id="def-{chart}"' in page
    assert re.search(r"Conversations from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC days\)", page)


def test_the_report_reconciles_and_leaves_nothing_out(report: tuple[Path, object]) -> None:
    """Reopens are plotted, so created + reopened - closings adds up to the backlog; the
    conversations of no team have their bar; a team without a close-time bar says why; the
    agent and ticket marts have panels with their rows."""
    html_path, world = report
    db = html_path.parent / "report_test.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        data = load_report_data(con, "intercom_analytics")
    running = 0
    for created, reopened, closed, backlog in zip(
        data.created, data.reopened, data.closed, data.backlog, strict=True
    ):
        running += created + reopened - closed
        assert running == backlog
    assert sum(data.reopened) > 0
    page = html_path.read_text(encoding="utf-8")
    assert '"name":"reopened"' in page
    assert NO_TEAM in data.teams
    assert sum(data.team_conversations) == len(world.conversations)  # as the KPI
    for label_start, hours in zip(data.teams, data.team_close_hours, strict=True):
        if hours is None:
            # (plotly's JSON escapes `<`)
            assert re.search(r"no closed(<br>|\\u003cbr\\u003e)conversations", page), label_start
    assert data.admins and sum(data.admin_closed) > 0
    assert data.ticket_types and sum(map(sum, data.tickets_by_state.values())) > 0


def test_a_team_without_a_close_time_says_why() -> None:
    data = ReportData(
        days=[dt.date(2025, 1, 1)],
        created=[1],
        closed=[0],
        reopened=[0],
        backlog=[1],
        teams=["Quiet team"],
        team_conversations=[1],
        team_closed=[0],
        team_first_response_hours=[1.0],
        team_close_hours=[None],
    )
    page = render_report(data, "t", "s")
    assert re.search(r"no closed(<br>|\\u003cbr\\u003e)conversations", page)
    assert data.teams_without_close_time == ["Quiet team"]


def test_report_renders_its_charts_in_chromium(report: tuple[Path, object], tmp_path: Path) -> None:
    html_path, _ = report
    url = html_path.as_uri()
    dom = chromium("--dump-dom", url, profile=tmp_path / "profile-dom").stdout
    for chart in CHARTS:
        # plotly replaced each empty div by a drawn graph (its SVG layers)
        block = dom.split(f'id="chart-{chart}"', 1)[1].split('class="chart"', 1)[0]
        assert "main-svg" in block, f"chart {chart} was not drawn"
    assert dom.count('class="main-svg"') >= len(CHARTS)
    assert len(re.findall(r'class="point"', dom)) >= 10  # bars of the bar charts

    screenshot = tmp_path / "report.png"
    chromium(f"--screenshot={screenshot}", url, profile=tmp_path / "profile-png")
    width, height, pixels = png_pixels(screenshot)
    assert (width, height) == (1400, 2400)
    colours = Counter(pixels)
    white_share = colours[(255, 255, 255)] / len(pixels)
    assert len(colours) > 200, "a blank or one-colour page"
    assert white_share < 0.9
    # the chart colours are on screen (created bars blue, CSAT green)
    assert any(abs(r - 0x3B) < 8 and abs(g - 0x82) < 8 and abs(b - 0xF6) < 8 for r, g, b in colours)
    kept = Path(os.environ.get("INTERCOM_SYNC_REPORT_SCREENSHOT", tmp_path / "kept.png"))
    shutil.copy(screenshot, kept)


def test_an_output_in_a_missing_folder_is_refused_before_building(
    report: tuple[Path, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html, _ = report
    db = html.parent / "report_test.duckdb"
    missing = tmp_path / "no-such-folder" / "r.html"
    code = main(["report", "--duckdb-file", str(db), "--output", str(missing), "--build-models"])
    assert code == ExitCode.CONFIG
    out, err = capsys.readouterr()
    assert f"the folder {missing.parent} does not exist" in err
    assert "dbt:" not in out and not missing.parent.exists()  # no model was built


def test_a_missing_duckdb_file_is_refused_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothere.duckdb"
    args = ["--duckdb-file", str(missing), "--output", str(tmp_path / "r.html"), "--build-models"]
    assert main(["report", *args]) == ExitCode.CONFIG
    out, err = capsys.readouterr()
    assert f"no DuckDB file at {missing}" in err
    assert "dbt:" not in out and not missing.exists()
