"""brand.yaml: the example loads; every kind of bad file gives one line naming the file,
the line, the field and the fix, exit code 2, and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DEMO_BRAND, run_cli
from monitor.errors import RegistryError
from monitor.registry import load_registry


@pytest.fixture()
def brand_copy(tmp_path: Path) -> Path:
    """The demo brand folder copied, so a test can break its brand.yaml."""
    folder = tmp_path / "brand"
    shutil.copytree(DEMO_BRAND.parent, folder)
    return folder / "brand.yaml"


def test_example_registry_loads() -> None:
    registry = load_registry(DEMO_BRAND)
    assert registry.brand == "Norvik"
    norvik = registry.marks[0]
    assert "诺维克" in norvik.aliases
    euipo = norvik.registrations[0]
    assert euipo.office == "EUIPO" and euipo.covers("SE") and euipo.covers("DE") and not euipo.covers("US")
    assert all(path.is_file() for _, _, path in registry.image_files())
    assert registry.is_authorised("bazaar", "  norvik OFFICIAL store ")
    assert not registry.is_authorised("bazaar", "Cheap Gear Co")
    assert registry.products[0].msrp.currency == "EUR"


def test_wipo_registration_covers_its_designations() -> None:
    trailforge = load_registry(DEMO_BRAND).marks[1]
    wipo = next(r for r in trailforge.registrations if r.office == "WIPO")
    assert wipo.covers("US") and wipo.covers("CN") and not wipo.covers("BR")


BAD_EDITS = [
    # (what, old text, new text, expected words in the message)
    ("unknown office", "office: USPTO", "office: USPTOO", ["registrations[1].office", "USPTOO", "EUIPO"]),
    ("bad date", "expires: 2031-09-20", "expires: 2031-13-45", ["registrations[1].expires", "YYYY-MM-DD"]),
    ("bad currency", "currency: EUR}", "currency: EURO}", ["msrp.currency", "ISO 4217"]),
    ("missing image", "images: [assets/boot.jpg]", "images: [assets/boots-missing.jpg]",
     ["products[1].images[0]", "boots-missing.jpg", "not found"]),
    ("malformed yaml", "  legal_name: Norvik Outdoor AB", "  legal_name: [Norvik Outdoor AB",
     ["malformed YAML"]),
    ("misspelt field", "    distinctive: false", "    distinctve: false", ["distinctve", "spelling"]),
    ("bad Nice class", "classes: [18, 22, 25]", "classes: [18, 22, 99]", ["classes", "1 to 45"]),
]


@pytest.mark.parametrize(("what", "old", "new", "words"), BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_bad_registry_is_one_clear_line(brand_copy: Path, what: str, old: str, new: str,
                                         words: list[str]) -> None:
    text = brand_copy.read_text(encoding="utf-8")
    assert old in text, f"the example no longer contains {old!r}"
    brand_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(brand_copy)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{brand_copy}:")
    line_of_edit = text[: text.index(old)].count("\n") + 1
    # pydantic locates the problem on the edited line; a YAML parser notices an unclosed
    # bracket where the next line begins.
    lines = {line_of_edit, line_of_edit + 1} if what == "malformed yaml" else {line_of_edit}
    assert any(f":{n}:" in message for n in lines), message
    for word in words:
        assert word in message, message


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="no such file"):
        load_registry(tmp_path / "absent.yaml")
    (tmp_path / "list.yaml").write_text("- just\n- a list\n")
    with pytest.raises(RegistryError, match="must be a mapping"):
        load_registry(tmp_path / "list.yaml")


def test_cli_reports_bad_registry_with_exit_2_and_writes_nothing(brand_copy: Path, tmp_path: Path) -> None:
    text = brand_copy.read_text(encoding="utf-8")
    brand_copy.write_text(text.replace("office: USPTO", "office: NOPE", 1), encoding="utf-8")
    db = tmp_path / "should-not-exist.db"
    done = run_cli("crawl", "--brand", str(brand_copy), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "office" in lines[0] and "NOPE" in lines[0]
    assert not db.exists()
    assert not (tmp_path / "markwatch-data").exists()


def test_cli_check_brand_accepts_the_example() -> None:
    done = run_cli("check-brand", str(DEMO_BRAND))
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout and "Norvik" in done.stdout
