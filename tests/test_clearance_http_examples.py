"""examples/clearance/http/: the curl and Python examples of POST /api/clearance run
against a real server and give the verdict `markwatch clear` gives."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DEMO_BRAND, ROOT
from review_seed import running

HTTP = ROOT / "examples" / "clearance" / "http"
EXAMPLES = ROOT / "examples" / "clearance"
REGISTRIES = [DEMO_BRAND, EXAMPLES / "brand-valtoro" / "brand.yaml"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from monitor.api import create_api_app

    with running(create_api_app(REGISTRIES)) as url:
        yield url


def test_python_example_sends_images_as_data_uris(server: str) -> None:
    done = subprocess.run([sys.executable, str(HTTP / "clear.py"), server, str(EXAMPLES / "photo.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "BLOCK"
    assert "fix:" in done.stdout  # each finding with its fix
    passing = subprocess.run([sys.executable, str(HTTP / "clear.py"), server, str(EXAMPLES / "pass.json")],
                             capture_output=True, text=True, timeout=120)
    assert passing.returncode == 0 and passing.stdout.startswith("PASS"), passing.stdout + passing.stderr


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_curl_example_sends_images_as_data_uris(server: str) -> None:
    done = subprocess.run(["sh", str(HTTP / "clear.sh"), server, str(EXAMPLES / "photo.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "block"
    assert any(f["kind"] == "image" and f["image"] == "images[0]" for f in result["findings"])


@pytest.mark.skipif(not shutil.which("curl"), reason="needs curl")
def test_the_readme_s_plain_curl_command(server: str) -> None:
    readme = (HTTP / "README.md").read_text(encoding="utf-8")
    command = next(b for b in re.findall(r"```sh\n(.*?)```", readme, flags=re.S) if b.startswith("curl"))
    args = shlex.split(command.replace("\\\n", " ").replace("http://127.0.0.1:8000", server))
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] in ("review", "block")
