"""`markwatch serve`: the review queue in the browser. FastAPI with server-rendered Jinja2
pages: filter and sort cases, confirm, dismiss or allowlist them one by one or in bulk,
open the evidence and a listing's history, see seller clusters and draft takedowns.

Listing text is written by strangers: every template autoescapes, links from listings
must be http(s), and every form carries a per-session CSRF token (a SameSite=Strict
cookie compared with the form field). Off loopback, every request needs the token."""

from __future__ import annotations

import hmac
import json
import ipaddress
import math
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from monitor._http import MAX_BODY_BYTES, BodyLimit, quiet_validation_errors
from monitor.db import Database
from monitor.digest import plain_number, safe_url
from monitor.errors import InputError, MarkwatchError
from monitor.models import (
    CASE_STATES,
    Alert,
    Asset,
    Case,
    Finding,
    Listing,
    ListingSnapshot,
    Seller,
    Takedown,
    TakedownItem,
)
from monitor.portfolio import portfolio
from monitor.registry import Registry
from monitor.sellers import seller_clusters

__all__ = ["PAGE_SIZE", "SORTS", "ACTIONS", "LOOPBACK_HOSTS", "QueueFilter", "create_app", "serve",
           "is_loopback", "served_hosts"]

HERE = Path(__file__).parent
PAGE_SIZE = 50
CSRF_COOKIE = "markwatch_csrf"
TOKEN_COOKIE = "markwatch_token"
# Actions a reviewer takes, and the case state each one sets.
ACTIONS = {"confirm": "confirmed", "dismiss": "dismissed", "allowlist": "allowlisted", "reopen": "new"}
SORTS = {
    "risk": (Case.risk.desc(), Case.id),
    "risk-asc": (Case.risk.asc(), Case.id),
    "newest": (Case.updated_at.desc(), Case.id.desc()),
    "oldest": (Case.updated_at.asc(), Case.id),
    "price": (Listing.price.asc(), Case.id),
    "platform": (Listing.platform, Case.risk.desc(), Case.id),
    "seller": (Listing.seller_name, Case.risk.desc(), Case.id),
}
LEVELS = ("high", "medium", "low")
# A row id in a URL: what a database integer holds, so a huge number is a 422, not a crash.
RowId = Annotated[int, PathParam(ge=1, lt=2**63)]


# Host headers always accepted: names that only ever mean this machine. Any other name must be
# one the app is served as, or a page on a rebound DNS name could read the queue.
LOOPBACK_HOSTS = ("localhost", "*.localhost", "127.0.0.1", "[::1]")


def served_hosts(bind: str | None = None, extra: Iterable[str] = ()) -> list[str]:
    """The Host header names to accept: loopback, the address bound (unless a wildcard) and
    `extra` (names or addresses the app is reached by; `*.example.org` for subdomains)."""
    hosts = list(LOOPBACK_HOSTS)
    for name in [bind or "", *extra]:
        name = name.strip().lower()
        if not name or name in ("0.0.0.0", "::", "[::]"):
            continue
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"  # an IPv6 address, as it appears in a Host header
        if name not in hosts:
            hosts.append(name)
    return hosts


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """The queue's filters, read from a query string; anything unknown is ignored."""

    state: str = "new"          # a case state, or "all"
    level: str = ""             # high | medium | low | "" for any
    platform: str = ""
    seller: str = ""            # substring of the seller name
    q: str = ""                 # substring of the title
    min_risk: int = 0
    flagged: bool = True
    sort: str = "risk"
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> QueueFilter:
        def text(name: str, limit: int = 200) -> str:
            return str(params.get(name) or "").strip()[:limit]

        def number(name: str, default: int, low: int, high: int) -> int:
            try:
                return min(max(int(params.get(name) or default), low), high)
            except ValueError:
                return default

        state = text("state") or "new"
        level = text("level")
        sort = text("sort") or "risk"
        return cls(
            state=state if state in (*CASE_STATES, "all") else "new",
            level=level if level in LEVELS else "",
            platform=text("platform", 50), seller=text("seller"), q=text("q"),
            min_risk=number("min_risk", 0, 0, 100),
            flagged=text("flagged") != "all",
            sort=sort if sort in SORTS else "risk",
            page=number("page", 1, 1, 1_000_000),
        )

    def query_string(self, **changes: Any) -> str:
        values = {"state": self.state, "level": self.level, "platform": self.platform,
                  "seller": self.seller, "q": self.q, "min_risk": self.min_risk or "",
                  "flagged": "" if self.flagged else "all", "sort": self.sort, "page": self.page}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or k == "state"})


def _shown_path(path: Path, base: Path) -> str:
    """`path` relative to the drafts folder where it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _App:
    """The state behind the routes: database, registry, brand, templates."""

    def __init__(self, db: Database, registry: Registry, *, takedown_dir: Path,
                 token: str | None, page_size: int, screenshots: bool = True) -> None:
        self.db = db
        self.registry = registry
        brand = db.brand(registry.brand)
        if brand is None:
            raise MarkwatchError(f"no runs yet for {registry.brand} in {db.display_url}; "
                                 "run `markwatch run` or `markwatch crawl` first")
        self.brand_id: int = brand.id
        self.takedown_dir = takedown_dir
        self.screenshots = screenshots
        self.token = token
        self.page_size = page_size
        self.env = Environment(loader=FileSystemLoader(HERE / "templates" / "web"),
                               autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters["safe_url"] = safe_url
        self.env.filters["plain_number"] = plain_number
        self.env.globals["brand"] = registry.brand

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            request=request, csrf=request.state.csrf, path=request.url.path, **context)
        return HTMLResponse(html, status_code=status_code)

    # -- queries -----------------------------------------------------------------------

    def queue(self, f: QueueFilter) -> tuple[list[tuple[Case, Listing]], int]:
        conditions: list[Any] = [Case.brand_id == self.brand_id]
        if f.state != "all":
            conditions.append(Case.state == f.state)
        if f.flagged:
            conditions.append(Case.flagged == True)  # noqa: E712 - SQL expression
        if f.level:
            conditions.append(Case.level == f.level)
        if f.min_risk:
            conditions.append(Case.risk >= f.min_risk)
        if f.platform:
            conditions.append(Listing.platform == f.platform)
        if f.seller:
            conditions.append(Listing.seller_name.ilike(_like(f.seller), escape="\\"))
        if f.q:
            conditions.append(Listing.title.ilike(_like(f.q), escape="\\"))
        with self.db.session() as s:
            base = select(Case, Listing).join(Listing, Listing.id == Case.listing_pk).where(*conditions)
            total = s.exec(select(func.count()).select_from(Case)
                           .join(Listing, Listing.id == Case.listing_pk).where(*conditions)).one()
            rows = s.exec(base.order_by(*SORTS[f.sort])
                          .offset((f.page - 1) * self.page_size).limit(self.page_size)).all()
        return list(rows), total

    def platforms(self) -> list[str]:
        with self.db.session() as s:
            return sorted(s.exec(select(Listing.platform).distinct()).all())

    def state_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            rows = s.exec(select(Case.state, func.count()).where(
                Case.brand_id == self.brand_id, Case.flagged == True)  # noqa: E712
                .group_by(Case.state)).all()
        return {state: n for state, n in rows}

    def set_states(self, case_ids: list[int], action: str, note: str | None = None) -> int:
        if action not in ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        return len(self.db.set_case_states(self.brand_id, case_ids, ACTIONS[action], note=note))


def _asset_label(registry: Registry, asset: Asset) -> str:
    """A registered image as a reviewer knows it: the product's name, or the logo's or
    photo's file name."""
    if asset.kind == "product" and asset.product_sku:
        name = next((p.name for p in registry.products if p.sku == asset.product_sku), None)
        if name:
            return f"{name} ({asset.product_sku})"
    label = registry.image_label(asset.key)
    return label if label != asset.key else f"{asset.kind} {Path(asset.path).name}"


def _boxed(db: Database, listing: Listing, index: int, path: str, finding_id: int) -> Response:
    """The listing photo with a finding's region boxed in red: where the logo or copy is."""
    import io

    from PIL import Image, ImageDraw, UnidentifiedImageError

    from monitor.evidence import draw_box_at

    with db.session() as s:
        finding = s.get(Finding, finding_id)
    if finding is None or finding.listing_pk != listing.id or finding.photo != index or not finding.region:
        raise HTTPException(404, "no such region")
    try:
        with Image.open(path) as im:
            size = im.size
            im.thumbnail((1600, 1600))
            shown = im.convert("RGB")
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        raise HTTPException(404, "the photo cannot be read") from None
    region = draw_box_at(finding.region, size, shown.size)
    if region is not None:
        ImageDraw.Draw(shown).rectangle(region, outline=(230, 30, 30), width=max(2, shown.width // 160))
    out = io.BytesIO()
    shown.save(out, format="PNG")
    return Response(out.getvalue(), media_type="image/png")


def _case_ids(values: list[Any]) -> list[int]:
    ids = []
    for value in values[:10_000]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise HTTPException(400, "case ids are whole numbers") from None
        if 0 < number < 2**63:  # what a database integer holds; anything else is no case
            ids.append(number)
    return ids


async def _checked_form(request: Request) -> Any:
    """The POSTed form, once its CSRF field matches this browser's cookie."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "this form came from another site")
    form = await request.form()
    sent = str(form.get("csrf") or "")
    if request.state.csrf_fresh or not hmac.compare_digest(sent.encode(), request.state.csrf.encode()):
        raise HTTPException(403, "this form has expired or came from another site; "
                                 "reload the page and try again")
    return form


def _local_next(value: Any, default: str = "/") -> str:
    """Only redirect within this site: `next` comes from a form anyone could forge."""
    text = str(value or "")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or parts.scheme or parts.netloc or "\\" in text:
        return default
    return text


def create_app(db: Database, registry: Registry, *, token: str | None = None,
               takedown_dir: str | Path = "markwatch-out/takedowns",
               page_size: int = PAGE_SIZE, screenshots: bool = True,
               allowed_hosts: Iterable[str] | None = None,
               max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The review app for one brand. With `token`, every request must carry it (once as
    `?token=`, which sets a cookie, or as `Authorization: Bearer`). `screenshots`: drafted
    takedowns carry a Chromium screenshot of each listing page, as from the command line.
    Only Host headers in `allowed_hosts` (default: loopback names) are answered, and no
    request body, on any route, may exceed `max_body_bytes` (413)."""
    state = _App(db, registry, takedown_dir=Path(takedown_dir), token=token, page_size=page_size,
                 screenshots=screenshots)
    app = FastAPI(title="markwatch review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.markwatch = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if state.token is not None:
            offered = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                       or request.headers.get("authorization", "").removeprefix("Bearer ").strip())
            if not offered or not hmac.compare_digest(offered.encode(), state.token.encode()):
                return PlainTextResponse("a token is needed: open the address `markwatch serve` "
                                         "printed, with ?token=...", status_code=401)
        csrf = request.cookies.get(CSRF_COOKIE)
        fresh = not csrf or len(csrf) != 43
        request.state.csrf = secrets.token_urlsafe(32) if fresh else csrf
        request.state.csrf_fresh = fresh
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data: http: https:; "
                                    "style-src 'self'; script-src 'self'; form-action 'self'; "
                                    "frame-ancestors 'none'")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if fresh:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        if state.token is not None and request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, state.token, httponly=True, samesite="strict")
        return response

    @app.get("/", response_class=HTMLResponse)
    def queue(request: Request) -> HTMLResponse:
        f = QueueFilter.from_query(request.query_params)
        rows, total = state.queue(f)
        pages = max(1, math.ceil(total / state.page_size))
        attention = portfolio(state.registry, state.db, state.brand_id).attention
        return state.render(request, "queue.html.j2", f=f, rows=rows, total=total, pages=pages,
                            attention=attention, platforms=state.platforms(), counts=state.state_counts(),
                            sorts=list(SORTS), levels=LEVELS, states=CASE_STATES,
                            here=f"/?{f.query_string()}")

    @app.post("/cases/bulk")
    async def bulk(request: Request) -> Response:
        form = await _checked_form(request)
        ids = _case_ids(form.getlist("case_id"))
        action = str(form.get("action") or "")
        if not ids:
            return RedirectResponse(_local_next(form.get("next")), status_code=303)
        state.set_states(ids, action)
        return RedirectResponse(_local_next(form.get("next")), status_code=303)

    @app.post("/cases/{case_id}/state")
    async def one(request: Request, case_id: RowId) -> Response:
        form = await _checked_form(request)
        if state.set_states([case_id], str(form.get("action") or ""),
                            note=str(form.get("note") or "") or None) == 0:
            raise HTTPException(404, "no such case")
        return RedirectResponse(_local_next(form.get("next"), f"/cases/{case_id}"), status_code=303)

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_view(request: Request, case_id: RowId) -> HTMLResponse:
        with db.session() as s:
            case = s.get(Case, case_id)
            if case is None or case.brand_id != state.brand_id:
                raise HTTPException(404, "no such case")
            listing = s.get(Listing, case.listing_pk)
            findings = s.exec(select(Finding).where(Finding.listing_pk == listing.id,
                                                    Finding.brand_id == state.brand_id)
                              .order_by(Finding.score.desc())).all()
            snapshots = s.exec(select(ListingSnapshot).where(ListingSnapshot.listing_pk == listing.id)
                               .order_by(ListingSnapshot.seen_at, ListingSnapshot.id)).all()
            # Registered photos, logos and design figures, shown beside the listing's photos.
            keys = [f.evidence for f in findings if f.kind in ("image", "design", "video_frame") and f.evidence]
            assets = s.exec(select(Asset).where(Asset.brand_id == state.brand_id,
                                                Asset.key.in_(keys))).all() if keys else []
            seller = s.get(Seller, listing.seller_id) if listing.seller_id else None
            takedowns = s.exec(select(Takedown).join(TakedownItem, TakedownItem.takedown_id == Takedown.id)
                               .where(TakedownItem.case_id == case.id)).all()
            alerts = s.exec(select(Alert).where(Alert.case_id == case.id).order_by(Alert.id)).all()
        spans = sorted((f.start, f.end) for f in findings if f.kind == "mark" and f.field == "title"
                       and f.start is not None and f.end is not None)
        labels = {a.key: _asset_label(state.registry, a) for a in assets}

        def relabel(text: str | None) -> str:
            """Reasons name registered images by their internal key: show the product's name."""
            text = text or ""
            for key, label in labels.items():
                text = text.replace(key, label)
            return text

        # An action that would leave the case as it is (Reopen on a new case) is not offered.
        actions = [a for a, to in ACTIONS.items() if to != case.state]
        return state.render(request, "case.html.j2", case=case, listing=listing, findings=findings,
                            snapshots=snapshots, assets=assets, seller=seller, takedowns=takedowns, alerts=alerts,
                            title_parts=_cut(listing.title or "(no title)", spans),
                            actions=actions, labels=labels, relabel=relabel)

    @app.get("/listings/{listing_pk}/history", response_class=HTMLResponse)
    def history(request: Request, listing_pk: RowId) -> HTMLResponse:
        listing = db.listing(listing_pk)
        if listing is None:
            raise HTTPException(404, "no such listing")
        return state.render(request, "history.html.j2", listing=listing,
                            snapshots=db.snapshots(listing_pk))

    @app.get("/media/listing/{listing_pk}/{index}")
    def listing_image(listing_pk: RowId, index: Annotated[int, PathParam(ge=0, lt=1_000)],
                      box: Annotated[int | None, Query(ge=1)] = None) -> Response:
        listing = db.listing(listing_pk)
        files = [f for f in (listing.image_files if listing else []) if f.get("path")]
        if not 0 <= index < len(files) or not Path(files[index]["path"]).is_file():
            raise HTTPException(404, "no such image")
        if box is not None:
            return _boxed(db, listing, index, files[index]["path"], box)
        # Served as an image whatever its name says, never as a page.
        return FileResponse(files[index]["path"], media_type=_image_type(files[index]["path"]))

    @app.get("/media/asset/{asset_id}")
    def asset_image(asset_id: RowId) -> FileResponse:
        with db.session() as s:
            asset = s.get(Asset, asset_id)
        if asset is None or asset.brand_id != state.brand_id or not Path(asset.path).is_file():
            raise HTTPException(404, "no such image")
        return FileResponse(asset.path, media_type=_image_type(asset.path))

    @app.post("/takedowns", response_class=HTMLResponse)
    async def draft(request: Request) -> HTMLResponse:
        from monitor.takedown import draft_takedowns

        form = await _checked_form(request)
        ids = _case_ids(form.getlist("case_id")) or None
        browser_path, why_not = None, None
        if state.screenshots:
            from monitor.browser import screenshot_browser

            browser_path, why_not = screenshot_browser()
        try:
            # Off the event loop: screenshots drive a browser (Playwright's sync API needs a
            # thread with no running loop) and drafting writes files; the queue stays usable.
            drafted, refusals = await run_in_threadpool(
                draft_takedowns, db, registry, state.brand_id, state.takedown_dir,
                case_ids=ids, browser_path=browser_path)
        except MarkwatchError as exc:
            drafted, refusals = [], [str(exc)]
        notices = []
        for d in drafted:
            path = Path(d.path)
            notices.append({"id": d.takedown_id, "platform": d.platform, "case_ids": d.case_ids,
                            "path": str(path), "notes": [why_not, *d.notes] if why_not else list(d.notes),
                            "evidence": [_shown_path(e, state.takedown_dir) for e in d.evidence],
                            "text": path.read_text(encoding="utf-8") if path.is_file() else ""})
        return state.render(request, "drafted.html.j2", notices=notices, refusals=list(refusals))

    @app.get("/takedowns", response_class=HTMLResponse)
    def takedowns(request: Request) -> HTMLResponse:
        with db.session() as s:
            rows = s.exec(select(Takedown).where(Takedown.brand_id == state.brand_id)
                          .order_by(Takedown.id.desc()).limit(500)).all()
            items = s.exec(select(TakedownItem.takedown_id, func.count()).group_by(
                TakedownItem.takedown_id)).all()
        return state.render(request, "takedowns.html.j2", rows=rows, items=dict(items))

    @app.get("/takedowns/{takedown_id}", response_class=HTMLResponse)
    def takedown_view(request: Request, takedown_id: RowId) -> HTMLResponse:
        with db.session() as s:
            row = s.get(Takedown, takedown_id)
            if row is None or row.brand_id != state.brand_id:
                raise HTTPException(404, "no such takedown")
            case_ids = s.exec(select(TakedownItem.case_id).where(
                TakedownItem.takedown_id == takedown_id)).all()
        path = Path(row.path) if row.path else None
        text = path.read_text(encoding="utf-8") if path and path.is_file() else "(the draft file is gone)"
        from monitor.takedown import TRANSITIONS

        return state.render(request, "takedown.html.j2", row=row, text=text, case_ids=case_ids,
                            next_statuses=TRANSITIONS.get(row.status, ()))

    @app.post("/takedowns/{takedown_id}/status")
    async def takedown_status(request: Request, takedown_id: RowId) -> RedirectResponse:
        """What `markwatch takedown mark` records: the notice's next status, timestamped."""
        from monitor.takedown import set_notice_status

        form = await _checked_form(request)
        with db.session() as s:
            row = s.get(Takedown, takedown_id)
            if row is None or row.brand_id != state.brand_id:
                raise HTTPException(404, "no such takedown")
        try:
            set_notice_status(db, takedown_id, str(form.get("status") or ""),
                              note=str(form.get("note") or "")[:2_000] or None)
        except MarkwatchError as exc:
            raise HTTPException(409, str(exc)) from None
        return RedirectResponse(f"/takedowns/{takedown_id}", status_code=303)

    # -- answers to complaints (what `markwatch respond` does) ---------------------------

    answers_dir = state.takedown_dir.parent / "responses"

    @app.get("/answers", response_class=HTMLResponse)
    def answers(request: Request) -> HTMLResponse:
        from monitor.respond import responses_due

        return state.render(request, "answers.html.j2", due=responses_due(answers_dir), folder=str(answers_dir),
                            error=None, form={})

    @app.post("/answers", response_class=HTMLResponse)
    async def answer(request: Request) -> HTMLResponse:
        """A complaint received (JSON, or the e-mail's words with the listing's JSON): which
        answer fits, its grounds and deadline, and the draft, saved beside the others."""
        from monitor.clearance import ClearanceListing, decode_images
        from monitor.respond import answer_complaint, parse_complaint, responses_due, write_response

        form = await _checked_form(request)
        raw = str(form.get("complaint") or "")
        listing_raw = str(form.get("listing") or "").strip()
        check = form.get("check") == "on"
        fields = {"complaint": raw, "listing": listing_raw, "check": check}
        try:
            if not raw.strip():
                raise InputError("paste the complaint: its JSON, or the words of the e-mail")
            listing = None
            if listing_raw:
                try:
                    data = json.loads(listing_raw)
                except (ValueError, RecursionError) as exc:
                    raise InputError(f"the listing: not valid JSON ({str(exc)[:80]})") from None
                if not isinstance(data, dict):
                    raise InputError("the listing is one JSON object (title, description, images, ...)")
                listing = ClearanceListing.from_mapping(data)
            complaint = parse_complaint(raw, listing=listing)
            # Photos only as data: URIs here: a form must not make the server read its files
            # or fetch addresses; the others are named as not checked.
            inline = [ref for ref in complaint.listing.images if ref.startswith("data:")]
            images = decode_images(inline, allow_paths=False) if check else []
            unchecked = len(complaint.listing.images) - len(inline) if check else 0
            result = await run_in_threadpool(answer_complaint, complaint, registry if check else None,
                                             images=images)
            folder = write_response(complaint, result, answers_dir)
        except MarkwatchError as exc:
            return state.render(request, "answers.html.j2", status_code=400, due=responses_due(answers_dir),
                                folder=str(answers_dir), error=str(exc), form=fields)
        return state.render(request, "answer.html.j2", answer=result, complaint=complaint,
                            text=(folder / "answer.txt").read_text(encoding="utf-8"),
                            folder=str(folder), unchecked=unchecked, checked=check)

    @app.get("/sellers", response_class=HTMLResponse)
    def sellers(request: Request) -> HTMLResponse:
        # The brand's authorised and allowlisted sellers share its photos by right: clustering
        # them with unauthorised ones would accuse them.
        clusters = seller_clusters(db, brand_id=state.brand_id, limit=200, exclude=lambda seller: (
            registry.is_authorised(seller.platform, seller.name, seller.seller_key)
            or registry.is_allowlisted(seller.name)))
        return state.render(request, "sellers.html.j2", clusters=clusters)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "csrf"):
            return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
        return state.render(request, "error.html.j2", status_code=exc.status_code,
                            status=exc.status_code, message=str(exc.detail))

    _include_clearance(app, registry)
    quiet_validation_errors(app)
    # Outermost last: a foreign Host is refused before anything else, then the body is capped.
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or served_hosts()),
                       www_redirect=False)
    return app


class _LazyClearance:
    """Builds the clearance matcher (marks compiled, images indexed) on the first check,
    so the review pages start at once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._built: Any = None
        self._lock = threading.Lock()

    def check(self, listing: Any, images: Any = ()) -> Any:
        with self._lock:
            if self._built is None:
                from monitor.clearance import Clearance

                self._built = Clearance([self.registry])
        return self._built.check(listing, images)


def _include_clearance(app: FastAPI, registry: Registry) -> None:
    """`POST /api/clearance` from monitor.api, when that module is installed."""
    try:
        from monitor import api
    except ImportError:
        return
    app.include_router(api.router)
    if hasattr(api, "set_clearance"):
        api.set_clearance(app, _LazyClearance(registry))  # type: ignore[arg-type]


def _image_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return {".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}.get(suffix, "image/jpeg")


def _cut(title: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        start, end = max(start, pos), min(end, len(title))
        if start >= end:
            continue
        if start > pos:
            parts.append((title[pos:start], False))
        parts.append((title[start:end], True))
        pos = end
    if pos < len(title):
        parts.append((title[pos:], False))
    return parts


def serve(db: Database, registry: Registry, *, host: str = "127.0.0.1", port: int = 8000,
          token: str | None = None, takedown_dir: str | Path = "markwatch-out/takedowns",
          screenshots: bool = True, on_ready: Callable[[str], None] | None = None,
          allowed_hosts: Iterable[str] = ()) -> None:
    """Run the review app with uvicorn until interrupted. Any address but loopback needs
    a token, since the queue holds evidence and can draft legal notices. Requests must name
    loopback, `host` or one of `allowed_hosts` in their Host header (DNS rebinding)."""
    import uvicorn

    if not is_loopback(host) and not token:
        raise MarkwatchError(f"serving on {host} makes the queue reachable from other machines; "
                             "pass --token (or set MARKWATCH_TOKEN) to require one")
    app = create_app(db, registry, token=token, takedown_dir=takedown_dir, screenshots=screenshots,
                     allowed_hosts=served_hosts(host, allowed_hosts))
    # Bind here, so a busy port or a bad address is one clear error rather than uvicorn's.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MarkwatchError(f"cannot listen on {host}:{port}: {reason}; pick another --port or --host") from None
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else ""))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
