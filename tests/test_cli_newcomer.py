"""What a newcomer meets first: mistakes are one line and exit 2 (never a traceback, never
an empty table or a new empty database), and the CLI can do what the review app does."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli


def _one_line(done, *words: str) -> str:  # type: ignore[no-untyped-def]
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_demo_market_on_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("demo-market", "--port", str(port), cwd=tmp_path, timeout=60)
    _one_line(done, f"127.0.0.1:{port}")


def test_demo_market_serves_the_catalogue_its_options_ask_for(tmp_path: Path) -> None:
    import json
    import re
    import sys
    import urllib.request

    from conftest import kill_group, popen

    def serve(*options: str) -> tuple[int, int]:
        """(listings the market says it serves, fewest photos a searched Shoply listing shows)"""
        proc = popen([sys.executable, "-m", "monitor.cli", "demo-market", *options], cwd=tmp_path,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            url = re.search(r"http://[\d.:]+", line)
            assert url, line + (proc.stderr.read() if proc.stderr else "")
            listings = int(re.search(r"\(([\d,]+) listings\)", line).group(1).replace(",", ""))  # type: ignore[union-attr]
            with urllib.request.urlopen(f"{url.group(0)}/shoply/api/search?q=norvik", timeout=30) as r:
                found = json.load(r)["results"][:5]
            fewest = 99
            for hit in found:
                with urllib.request.urlopen(f"{url.group(0)}/shoply/api/item/{hit['id']}", timeout=30) as r:
                    fewest = min(fewest, len(json.load(r)["images"]))
            return listings, fewest
        finally:
            kill_group(proc)

    small, small_photos = serve("--small")
    full, full_photos = serve("--scale", "1")
    many, many_photos = serve("--small", "--photos", "6")
    assert small < full and many == small
    assert many_photos >= 6 > min(small_photos, full_photos)
    _one_line(run_cli("demo-market", "--small", "--scale", "2", cwd=tmp_path, timeout=60), "--small", "--scale")
    out_of_range = run_cli("demo-market", "--photos", "40", cwd=tmp_path, timeout=60)  # Click's usage error
    assert out_of_range.returncode == 2 and "Traceback" not in out_of_range.stderr
    assert "Invalid value for '--photos'" in out_of_range.stderr


def test_demo_out_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_cli("demo", "--out", str(blocker / "out"), cwd=tmp_path,
                   env={"MARKWATCH_CHROMIUM": "/bin/true"}, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write to {blocker / 'out'}" in done.stderr


# -- against a seeded database --------------------------------------------------------------

def _seeded(tmp_path: Path, extra: int = 0):  # type: ignore[no-untyped-def]
    from review_seed import seed

    return seed(tmp_path, extra=extra)


def _state(seeded, case_id: int) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    from monitor.models import Case

    with seeded.db.session() as s:
        case = s.get(Case, case_id)
        return case.state, case.note


def test_cases_says_how_many_it_left_out(tmp_path: Path, demo_brand: Path) -> None:
    seeded = _seeded(tmp_path, extra=12)
    flagged = seeded.db.count_cases(seeded.brand_id, flagged_only=True)
    done = run_cli("cases", "--brand", str(demo_brand), "--db", str(tmp_path / "review.db"), "--limit", "3",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"3 of {flagged} cases" in done.stdout and flagged > 3


def test_cases_confirm_dismiss_allowlist_by_id_and_by_filter(tmp_path: Path, demo_brand: Path) -> None:
    seeded = _seeded(tmp_path)
    db = str(tmp_path / "review.db")
    ids = seeded.case_ids
    done = run_cli("cases", "confirm", str(ids["BZ-1"]), str(ids["BZ-2"]), "--note", "seen the photos",
                   "--brand", str(demo_brand), "--db", db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 cases confirmed" in done.stdout
    assert _state(seeded, ids["BZ-1"]) == ("confirmed", "seen the photos")
    assert _state(seeded, ids["BZ-3"])[0] == "new"
    done = run_cli("cases", "allowlist", str(ids["BZ-3"]), "--brand", str(demo_brand), "--db", db, cwd=tmp_path)
    assert done.returncode == 0 and _state(seeded, ids["BZ-3"])[0] == "allowlisted", done.stderr
    # by filter: every flagged shoply case; the unflagged ones (risk < 50) stay as they are
    done = run_cli("cases", "dismiss", "--platform", "shoply", "--brand", str(demo_brand), "--db", db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [_state(seeded, ids[k])[0] for k in ("SH-1", "SH-2", "SH-3", "SH-4")] == \
        ["dismissed", "dismissed", "new", "new"]
    assert _state(seeded, ids["BZ-4"])[0] == "new"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["cases", "--state", "bogus"], ["'bogus'", "confirmed"]),
        (["cases", "confirm", "99999"], ["99999", "nothing changed"]),
        (["cases", "confirm"], ["case ids", "--state"]),
        (["takedown", "--case", "99999", "--no-screenshots"], ["99999"]),
        (["takedown", "--platform", "nosuch", "--no-screenshots"], ["'nosuch'", "bazaar", "shoply"]),
    ],
)
def test_case_and_takedown_mistakes_are_one_line(tmp_path: Path, demo_brand: Path, args: list[str],
                                                  words: list[str]) -> None:
    _seeded(tmp_path)
    done = run_cli(*args, "--brand", str(demo_brand), "--db", str(tmp_path / "review.db"), cwd=tmp_path)
    _one_line(done, *words)


@pytest.mark.parametrize(
    "args",
    [["cases", "--brand", "{brand}"], ["digest", "--brand", "{brand}"], ["takedown", "status"],
     ["serve", "--brand", "{brand}", "--port", "0"], ["cases", "confirm", "1", "--brand", "{brand}"]],
)
def test_a_mistyped_db_is_refused_not_created(tmp_path: Path, demo_brand: Path, args: list[str]) -> None:
    typo = tmp_path / "no-such-folder" / "markwatch.db"
    done = run_cli(*(a.format(brand=demo_brand) for a in args), "--db", str(typo), cwd=tmp_path, timeout=60)
    _one_line(done, f"no database at {typo}")
    assert not typo.parent.exists()


def test_clear_without_registry_names_its_default(tmp_path: Path) -> None:
    listing = tmp_path / "listing.json"
    listing.write_text('{"title": "Plain mug"}')
    done = run_cli("clear", str(listing), cwd=tmp_path)
    _one_line(done, "brand.yaml", "--registry")


def test_serve_takes_the_brand_from_the_database(tmp_path: Path, demo_brand: Path, spawn) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    import httpx

    seeded = _seeded(tmp_path)
    seeded.db.upsert_brand(seeded.registry.brand, marks=[m.model_dump(mode="json") for m in seeded.registry.marks],
                           registry_path=str(demo_brand))
    proc = spawn([sys.executable, "-m", "monitor.cli", "serve", "--port", "0", "--db", str(tmp_path / "review.db")],
                 cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
    line = proc.stdout.readline()
    assert "review queue at http://127.0.0.1:" in line, proc.stderr.read() if proc.poll() is not None else line
    url = line.split(" at ")[1].split()[0]
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "Norvik" in page.text


def test_takedown_output_reads_at_80_columns_with_paths_whole(tmp_path: Path, demo_brand: Path) -> None:
    seeded = _seeded(tmp_path)
    seeded.db.set_case_states(seeded.brand_id, [seeded.case_ids["BZ-1"], seeded.case_ids["SH-1"]], "confirmed")
    db = str(tmp_path / "review.db")
    drafts = tmp_path / "a-rather-long-folder-name-for-the-drafts" / "of-this-brand-protection-team"
    done = run_cli("takedown", "--brand", str(demo_brand), "--db", db, "--out", str(drafts), "--no-screenshots",
                   cwd=tmp_path, columns=80)
    assert done.returncode == 0, done.stderr
    paths = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith(str(drafts))]
    assert len(paths) == 2 and all(Path(p).is_file() for p in paths), done.stdout
    # in a pipe, the evidence stage says how far it got (here: once, at the end)
    assert "markwatch: ... gathering evidence: 2 of 2 cases" in done.stderr, done.stderr
    status = run_cli("takedown", "status", "--db", db, cwd=tmp_path, columns=80)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines if not line.strip().startswith(str(drafts))), status.stdout
    assert sorted(line.strip() for line in lines if line.strip().startswith(str(drafts))) == sorted(paths)
    assert "…" not in status.stdout  # no cell cut short
    assert "markwatch takedown mark 1 submitted" in status.stdout


def test_refusals_for_one_reason_are_one_line_naming_every_case() -> None:
    from monitor.cli import _grouped_refusals

    same = [f"case #{i}: no registration of 'Norvik' covers AU; a notice needs one" for i in range(1, 13)]
    other = ["case #40: the listing https://x.example/1 is already gone; nothing to take down",
             "case #41: the listing https://x.example/2 is already gone; nothing to take down"]
    lines = _grouped_refusals([*same, *other, "no cases to draft"])
    assert lines[0] == "cases #1, #2, #3, #4, #5 and 7 more: no registration of 'Norvik' covers AU; a notice needs one"
    assert lines[1].startswith("cases #40, #41: the listing") and lines[2] == "no cases to draft"
    assert len(lines) == 3


def test_a_vero_code_that_is_not_kind_equals_id_is_one_line(tmp_path: Path, demo_brand: Path) -> None:
    seeded = _seeded(tmp_path)
    seeded.db.set_case_states(seeded.brand_id, [seeded.case_ids["BZ-1"]], "confirmed")
    db = str(tmp_path / "review.db")
    for bad in ("patent", "nosuch=12", "patent=abc"):
        done = run_cli("takedown", "--brand", str(demo_brand), "--db", db, "--vero-code", bad, "--no-screenshots",
                       "--out", str(tmp_path / "t"), cwd=tmp_path)
        assert done.returncode == 2 and "--vero-code" in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = run_cli("takedown", "--brand", str(demo_brand), "--db", db, "--vero-code", "patent=9061",
                   "--no-screenshots", "--out", str(tmp_path / "t"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
