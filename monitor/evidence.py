"""Evidence packs for takedown notices: a screenshot of the listing page (Playwright), each
matched listing photo beside the registered asset (Pillow), and the listing's text with the
matched words highlighted (an escaped HTML page)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from monitor.models import Finding, Listing
from monitor._format import price_text
from monitor.registry import Registry

__all__ = ["EvidencePack", "EvidenceCollector", "draw_box_at", "highlight_segments", "side_by_side"]

_PANEL_HEIGHT = 420
_MAX_PIXELS = 40_000_000
_GONE_STATUSES = (404, 410)
_MAX_SHOT_HEIGHT = 8_000


@dataclass(frozen=True, slots=True)
class EvidencePack:
    """The files gathered for one listing; `gone` names why the page is gone, if it is."""

    folder: Path
    files: tuple[Path, ...]
    screenshot: Path | None = None
    gone: str | None = None
    notes: tuple[str, ...] = ()  # what could not be gathered (no screenshot, no side-by-side)


def highlight_segments(text: str, spans: Sequence[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """`text` cut into pieces, each `{"text", "mark", "why"}`; overlapping spans merge and
    spans outside the text are ignored, so the pieces always join back to `text`."""
    clamped = ((max(0, a), min(len(text), b), why) for a, b, why in spans
               if isinstance(a, int) and isinstance(b, int))
    clean = sorted((a, b, why) for a, b, why in clamped if a < b)
    merged: list[list[Any]] = []
    for a, b, why in clean:
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            if why not in merged[-1][2]:
                merged[-1][2].append(why)
        else:
            merged.append([a, b, [why]])
    pieces: list[dict[str, Any]] = []
    pos = 0
    for a, b, whys in merged:
        if a > pos:
            pieces.append({"text": text[pos:a], "mark": False, "why": ""})
        pieces.append({"text": text[a:b], "mark": True, "why": "; ".join(whys)})
        pos = b
    if pos < len(text):
        pieces.append({"text": text[pos:], "mark": False, "why": ""})
    return pieces


def _open(path: Path) -> Image.Image:
    with Image.open(path) as img:
        if img.width * img.height > _MAX_PIXELS:
            raise ValueError(f"{path.name} is too large ({img.width}x{img.height})")
        img = ImageOps.exif_transpose(img)
        return img.convert("RGB")


@functools.lru_cache(maxsize=32)
def _panel(path: Path, _stamp: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]]:
    """The image at `path` shrunk to a panel, and its own size. Cached (by path, size and
    time of change): a brand's few registered images recur on sheet after sheet, and a
    listing photo with several findings on each of its sheets."""
    img = _open(path)
    return ImageOps.contain(img, (_PANEL_HEIGHT * 2, _PANEL_HEIGHT)), img.size


def _panel_of(path: Path) -> tuple[Image.Image, tuple[int, int]]:
    st = path.stat()
    return _panel(path, (st.st_size, st.st_mtime_ns))


def side_by_side(listing_image: Path, asset: Path, out: Path, *, labels: tuple[str, str],
                 region: Sequence[int] | None = None) -> Path:
    """The listing's photo (left) beside the registered asset (right), same height, labelled;
    `region` (x0, y0, x1, y1 in the listing photo's pixels) is boxed where the logo or copy
    was found."""
    (left, left_size), (right, _) = _panel_of(Path(listing_image)), _panel_of(Path(asset))
    panels = [left, right]
    gap, caption = 16, 28
    width = sum(p.width for p in panels) + gap * 3
    sheet = Image.new("RGB", (width, _PANEL_HEIGHT + caption + gap * 2), "white")
    draw = ImageDraw.Draw(sheet)
    x = gap
    for panel, label in zip(panels, labels, strict=True):
        sheet.paste(panel, (x, gap + caption))
        draw.text((x, gap), label[:90], fill="black")
        x += panel.width + gap
    box = draw_box_at(region, left_size, left.size)
    if box is not None:
        x0, y0, x1, y1 = box
        draw.rectangle((gap + x0, gap + caption + y0, gap + x1, gap + caption + y1),
                       outline=(230, 30, 30), width=3)
    out.parent.mkdir(parents=True, exist_ok=True)
    # JPEG without chroma subsampling (the red box and the labels stay sharp): a sheet of
    # photos writes in 2 ms and weighs about 77 KiB, where PNG took 35 ms and 330 KiB (a
    # demo run writes 65 while the user waits; platforms' complaint forms cap attachments)
    sheet.save(out, format="JPEG", quality=90, subsampling=0)
    return out


def draw_box_at(region: Sequence[int] | None, original: tuple[int, int],
                shown: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """A region of a photo of size `original`, in the pixels of the same photo shown at
    size `shown`, kept inside it; None when there is no usable region."""
    if not region or len(region) != 4 or not original[0] or not original[1]:
        return None
    sx, sy = shown[0] / original[0], shown[1] / original[1]
    x0, y0, x1, y1 = (max(0, int(v)) for v in region)
    box = (round(x0 * sx), round(y0 * sy), min(shown[0] - 1, round(x1 * sx)), min(shown[1] - 1, round(y1 * sy)))
    return box if box[0] < box[2] and box[1] < box[3] else None


class EvidenceCollector:
    """Gathers evidence packs, one folder per listing; the browser starts on first use and
    is closed on exit. Failures are recorded in each pack's `notes`, never raised: a notice
    without a screenshot is still worth drafting."""

    def __init__(self, registry: Registry, out_dir: str | Path, *, browser_path: str | None = None,
                 enabled: bool = True, timeout_ms: int = 20_000) -> None:
        self.registry = registry
        self.out_dir = Path(out_dir)
        self.browser_path = browser_path
        self.enabled = enabled
        self.timeout_ms = timeout_ms
        self._no_browser: str | None = None  # why screenshots stopped, once Chromium failed to start
        self._assets = {key: path for _kind, key, path in registry.image_files()}
        self._assets.update((key, path) for key, _design, path in registry.design_figures())
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> EvidenceCollector:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None

    # -- pieces --------------------------------------------------------------------------

    def _page(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            from crawlers.settings import chromium_args

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=self.browser_path, headless=True, args=chromium_args())
        return self._browser.new_page(viewport={"width": 1280, "height": 1600})

    def screenshot(self, url: str, out: Path) -> tuple[Path | None, str | None, str | None]:
        """(the screenshot, why the page is gone, why there is no screenshot) for `url`."""
        if self._no_browser:
            return None, None, f"{url}: no screenshot ({self._no_browser})"
        try:
            page = self._page()
        except Exception as exc:  # noqa: BLE001 - no browser: the notice goes without a screenshot
            self._no_browser = f"Chromium did not start ({str(exc).splitlines()[0]})"
            return None, None, f"{url}: no screenshot ({self._no_browser})"
        try:
            response = page.goto(url, timeout=self.timeout_ms, wait_until="load")
            status = response.status if response is not None else None
            out.parent.mkdir(parents=True, exist_ok=True)
            height = page.evaluate("document.documentElement.scrollHeight") or 0
            # A hostile page can be kilometres long: past a few screens, the top is the evidence.
            page.screenshot(path=str(out), full_page=int(height) <= _MAX_SHOT_HEIGHT,
                            timeout=self.timeout_ms)
            if status in _GONE_STATUSES:
                return out, f"the page answered HTTP {status}", None
            return out, None, None
        except Exception as exc:  # noqa: BLE001 - a page that will not load is recorded, not fatal
            return None, None, f"{url}: no screenshot ({str(exc).splitlines()[0][:200]})"
        finally:
            page.close()

    def _listing_image(self, listing: Listing, finding: Finding | None = None) -> Path | None:
        """The listing photo a finding names (a design finding's `start` is its photo's
        place among the listing's photos), else the first one stored."""
        stored = [Path(e["path"]) for e in listing.image_files or [] if e.get("path")]
        place = None
        if finding is not None:
            place = finding.photo if finding.photo is not None else (
                finding.start if finding.kind == "design" else None)
        if place is not None and 0 <= place < len(stored) and stored[place].is_file():
            return stored[place]
        return next((p for p in stored if p.is_file()), None)

    def _highlight(self, listing: Listing, findings: Sequence[Finding], out: Path) -> Path:
        from monitor.takedown import render_notice

        fields = []
        for name in ("title", "description"):
            text = getattr(listing, name) or ""
            spans = [(f.start, f.end, f.reason) for f in findings
                     if f.field == name and f.start is not None and f.end is not None]
            fields.append({"name": name, "pieces": highlight_segments(text, spans)})
        html = render_notice("evidence", {
            "listing": {"url": listing.url, "platform": listing.platform,
                        "listing_id": listing.listing_id, "seller": listing.seller_name or "unknown",
                        "price": price_text(listing.price),
                        "currency": listing.currency or ""},
            "fields": fields,
            "findings": [{"kind": f.kind, "score": f.score, "reason": f.reason} for f in findings],
            "brand": self.registry.brand,
        })
        out.write_text(html, encoding="utf-8")
        return out

    # -- one listing -----------------------------------------------------------------------

    def collect(self, listing: Listing, findings: Sequence[Finding]) -> EvidencePack:
        safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in listing.listing_id)[:80]
        folder = self.out_dir / f"{listing.platform}-{safe_id}"
        if not self.enabled:
            return EvidencePack(folder, ())
        folder.mkdir(parents=True, exist_ok=True)
        files: list[Path] = []
        shot, gone, notes = None, None, []
        if self.browser_path:
            shot, gone, problem = self.screenshot(listing.url, folder / "screenshot.png")
            files += [shot] if shot is not None else []
            notes += [problem] if problem else []
        for f in findings:
            asset = self._assets.get(f.evidence or "") if f.kind in ("image", "design") else None
            photo = self._listing_image(listing, f)
            if asset is None or photo is None:
                continue
            name = "".join(c if c.isalnum() else "-" for c in (f.evidence or ""))[:60]
            try:
                files.append(side_by_side(photo, asset, folder / f"{f.kind}-{name}.jpg",
                                          labels=(f"listing {listing.platform}/{listing.listing_id}",
                                                  f"registered: {self.registry.image_label(f.evidence or '')}"),
                                          region=f.region))
            except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
                notes.append(f"{listing.url}: no side-by-side image ({exc})")
        files.append(self._highlight(listing, findings, folder / "text.html"))
        record = {"url": listing.url, "platform": listing.platform, "listing_id": listing.listing_id,
                  "seller": listing.seller_name, "title": listing.title,
                  "price": str(listing.price) if listing.price is not None else None,
                  "currency": listing.currency, "first_seen": listing.first_seen.isoformat(),
                  "last_seen": listing.last_seen.isoformat(),
                  "findings": [{"kind": f.kind, "score": f.score, "reason": f.reason,
                                "evidence": f.evidence, "field": f.field, "start": f.start,
                                "end": f.end, "photo": f.photo, "region": f.region} for f in findings],
                  "gone": gone}
        (folder / "evidence.json").write_text(json.dumps(record, indent=2, ensure_ascii=False),
                                              encoding="utf-8")
        files.append(folder / "evidence.json")
        return EvidencePack(folder, tuple(files), shot, gone, tuple(notes))
