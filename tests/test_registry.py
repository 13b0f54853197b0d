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


# -- issue 11: hostile or broken registry files (items 8, 9, 10, 15) ----------------------

HOSTILE_EDITS = [
    # (what, old text, new text, words expected in the message, the line it names: "old" or "end")
    ("NaN rate", "USD: 1.08", "USD: .nan", ["currency_rates.USD", "finite"], "old"),
    ("infinite rate", "USD: 1.08", "USD: .inf", ["currency_rates.USD", "finite"], "old"),
    ("5,000-digit number", "price_threshold: 0.4", "price_threshold: " + "7" * 5_000, ["5000 digits"], "old"),
]


@pytest.mark.parametrize(("what", "old", "new", "words", "where"), HOSTILE_EDITS,
                         ids=[h[0] for h in HOSTILE_EDITS])
def test_hostile_values_are_one_line_with_the_line(brand_copy: Path, what: str, old: str, new: str,
                                                   words: list[str], where: str) -> None:
    text = brand_copy.read_text(encoding="utf-8")
    assert old in text, f"the example no longer contains {old!r}"
    brand_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(brand_copy)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400, message
    assert f":{text[: text.index(old)].count(chr(10)) + 1}:" in message, message
    for word in words:
        assert word in message, message


def test_duplicate_keys_are_refused_with_both_lines(brand_copy: Path) -> None:
    text = brand_copy.read_text(encoding="utf-8")
    brand_copy.write_text(text + "\nbrand: Someone Else\n", encoding="utf-8")
    last = (text + "\nbrand: Someone Else\n").count("\n")
    first = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("brand:"))
    with pytest.raises(RegistryError) as caught:
        load_registry(brand_copy)
    message = str(caught.value)
    assert f":{last}: duplicate key 'brand'" in message and f"line {first}" in message, message


@pytest.mark.parametrize("depth", [500, 5_000])
def test_deep_nesting_is_one_line(brand_copy: Path, depth: int) -> None:
    text = brand_copy.read_text(encoding="utf-8")
    brand_copy.write_text(text + "\nextra: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    done = run_cli("check-brand", str(brand_copy))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nested more than" in lines[0], done.stderr


def test_a_huge_or_special_registry_file_is_refused_before_parsing(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("w", encoding="utf-8") as f:
        f.write("brand: X\nnotes: |\n")
        line = "  " + "x" * 98 + "\n"
        for _ in range(60_000):  # 6 MB
            f.write(line)
    with pytest.raises(RegistryError, match="over the 5 MB limit"):
        load_registry(huge)
    with pytest.raises(RegistryError, match="not a regular file"):
        load_registry("/dev/zero")
    with pytest.raises(RegistryError, match="not a regular file"):
        load_registry(tmp_path)


def test_check_brand_decodes_every_registered_image(brand_copy: Path) -> None:
    """A text file named .png, a truncated JPEG and a device each get their own line."""
    folder = brand_copy.parent
    (folder / "assets" / "fake.png").write_text("this is not a picture", encoding="utf-8")
    boot = (folder / "assets" / "boot.jpg").read_bytes()
    (folder / "assets" / "cut.jpg").write_bytes(boot[: len(boot) // 3])
    text = brand_copy.read_text(encoding="utf-8")
    edits = [("assets/logo.png", "assets/fake.png"), ("images: [assets/boot.jpg]", "images: [assets/cut.jpg]"),
             ("assets/lookbook.jpg", "/dev/zero")]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    brand_copy.write_text(text, encoding="utf-8")
    done = run_cli("check-brand", str(brand_copy))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 3, done.stderr
    assert "fake.png" in lines[0] and "not a readable image" in lines[0]
    assert "cut.jpg" in lines[1] and "not a readable image" in lines[1]
    assert "/dev/zero" in lines[2] and "not a regular file" in lines[2]
    for line in lines:
        assert line.split(": ", 2)[-1].startswith(str(brand_copy)) or str(brand_copy) in line
