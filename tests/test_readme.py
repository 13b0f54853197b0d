"""The README is tested: its registry example is a valid brand.yaml, CI runs exactly its
test command, and every command it lists exists with help."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DEMO_BRAND, ROOT, run_cli
from monitor.registry import load_registry

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_registry_example_is_valid(tmp_path: Path) -> None:
    yaml_block = next(b for b in _blocks("yaml") if b.startswith("brand:"))
    (tmp_path / "assets").symlink_to(DEMO_BRAND.parent / "assets")
    path = tmp_path / "brand.yaml"
    path.write_text(yaml_block, encoding="utf-8")
    registry = load_registry(path)
    assert registry.brand == "Norvik" and registry.marks[1].distinctive is False


def test_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = [b.strip() for b in _blocks("sh")]
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("markwatch demo") and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci


@pytest.mark.parametrize("command", sorted(set(re.findall(r"`markwatch ([a-z-]+)", README))))
def test_every_documented_command_has_help(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout and len(done.stdout) > 200
