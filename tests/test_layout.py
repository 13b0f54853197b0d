"""The shape of the house: `matchers` imports nothing else of markwatch, `crawlers` only
`matchers`; each package names its public surface."""

from __future__ import annotations

import ast

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
