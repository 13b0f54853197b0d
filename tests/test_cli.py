"""Every command has help and is documented; user mistakes are one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from conftest import ROOT, run_cli
from monitor.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_and_is_in_the_readme(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.returncode == 0 and "Usage" in done.stdout
    assert f"markwatch {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_version_is_the_installed_distribution_s() -> None:
    from importlib.metadata import version

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"markwatch {version('markwatch')}"


def test_top_level_help_lists_every_command() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["crawl", "--brand", "absent.yaml"], ["absent.yaml", "no such file"]),
        (["cases", "--brand", "{brand}", "--db", "nonsense://"], ["not a database URL"]),
        (["crawl", "--brand", "{brand}", "--platform", "nowhere", "--db", "{tmp}/x.db"], ["nowhere", "bazaar"]),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(tmp_path: Path, demo_brand: Path, args: list[str],
                                               words: list[str]) -> None:
    args = [a.format(brand=demo_brand, tmp=tmp_path) for a in args]
    done = run_cli(*args, cwd=tmp_path, env={"MARKWATCH_CHROMIUM": "/bin/true"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip() and "Chromium:" not in line]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]
