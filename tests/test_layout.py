"""The shape of the house: `matchers` imports nothing else of markwatch, `crawlers` only
`matchers`; each package names its public surface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

ALLOWED = {"matchers": {"matchers"}, "crawlers": {"crawlers", "matchers"}}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_design_allows(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in {"matchers", "crawlers", "monitor"}:
                    assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", ["matchers", "crawlers"])
def test_public_surface_is_declared_and_importable(package: str) -> None:
    module = __import__(package)
    assert module.__all__, package
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"


def test_every_package_is_typed() -> None:
    for package in ("matchers", "crawlers", "monitor"):
        assert (ROOT / package / "py.typed").exists()


def test_every_data_file_is_declared_as_package_data() -> None:
    """A template or script that pyproject's package-data misses works in an editable
    install and is absent from a wheel: every non-Python file of a package is declared."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]
    missing = []
    for package in config["packages"]:
        folder = ROOT / package.replace(".", "/")
        declared = patterns.get(package, []) + patterns.get("*", [])
        for path in folder.rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            # data in a sub-package belongs to that sub-package's own patterns
            owner = next((p for p in config["packages"]
                          if p != package and p.startswith(package + ".")
                          and (ROOT / p.replace(".", "/")) in path.parents), None)
            if owner:
                continue
            relative = path.relative_to(folder)
            if not any(relative.match(pattern) for pattern in declared):
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


@pytest.mark.slow  # builds a wheel from a copy of the tree
@pytest.mark.timeout(900)  # pip wheel's own limit (600 s) is inside it
def test_a_wheel_carries_everything_the_demo_and_the_app_read(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`pip install markwatch` (no source tree) must still run `markwatch demo`: the wheel holds
    the demo brand, its assets, the templates and the migrations, and the demo finds its brand
    inside the installed package."""
    import subprocess
    import sys
    import zipfile

    import shutil

    out = tmp_path_factory.mktemp("wheel")
    # Built from a clean copy: a work tree's build/ folder would lend the wheel stale files.
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache", "markwatch-*"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = out.glob("markwatch-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(site)
    brand_dir = ROOT / "examples" / "demo-brand"
    for path in brand_dir.rglob("*"):
        if path.is_file():
            assert f"monitor/demo_market/brand/{path.relative_to(brand_dir).as_posix()}" in names
    for folder, pattern in (("monitor/templates", "*.j2"), ("takedown_templates", "*.j2"),
                            ("monitor/migrations/versions", "*.py"), ("monitor/static", "*")):
        for path in (ROOT / folder).glob(pattern):
            if path.is_file():
                assert f"{folder}/{path.name}" in names, f"{folder}/{path.name} is not in the wheel"
    code = ("from monitor.demo_market.catalog import default_brand_dir; from monitor.registry import load_registry;"
            "d = default_brand_dir(); r = load_registry(d / 'brand.yaml'); print(d); print(len(list(r.image_files())))")
    ran = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stderr[-2000:]
    where, images = ran.stdout.split()
    assert Path(where).resolve() == (site / "monitor" / "demo_market" / "brand").resolve() and int(images) >= 5
