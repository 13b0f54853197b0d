"""The storage API: open (and migrate) a database, keep brands and their assets, upsert
listings with their change history, and record findings and review cases.

SQLite by default (`markwatch.db` in the working folder); any SQLAlchemy URL through
`--db` or `MARKWATCH_DB_URL`, PostgreSQL for teams. Every write commits on its own, so an
interrupted run keeps everything it had stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, func, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, create_engine, select

from monitor._files import held
from monitor.errors import StorageError
from monitor.models import (
    CASE_STATES,
    Asset,
    Brand,
    Case,
    Digest,
    Finding,
    Listing,
    ListingSnapshot,
    MarkRow,
    Seller,
    Takedown,
    utcnow,
)

__all__ = [
    "DEFAULT_DB",
    "TRACKED_FIELDS",
    "ListingInput",
    "UpsertResult",
    "Database",
    "resolve_db_url",
    "clean_text",
]

DEFAULT_DB = "sqlite:///markwatch.db"

# The fields whose change makes a new snapshot.
TRACKED_FIELDS = (
    "title",
    "description",
    "price",
    "currency",
    "availability",
    "seller_name",
    "image_urls",
)


# Listing text comes from strangers: control characters (PostgreSQL refuses NUL outright)
# are dropped and sizes are capped before anything is stored; so are unpaired surrogates,
# which no encoder takes (the content hash, the database driver).
_CONTROL = dict.fromkeys([*(c for c in range(32) if c not in (9, 10, 13)), *range(0xD800, 0xE000)])
_LIMITS = {"title": 2_000, "description": 100_000, "seller_name": 300, "sku": 200,
           "brand_text": 300, "availability": 20, "currency": 3}


def clean_text(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.translate(_CONTROL)[:limit]
    return value or None


def resolve_db_url(url: str | None = None) -> str:
    """`--db` wins, then MARKWATCH_DB_URL, then markwatch.db here. A bare path is SQLite."""
    url = url or os.environ.get("MARKWATCH_DB_URL") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    return url


@dataclass(frozen=True, slots=True)
class ListingInput:
    """What the crawl knows of one listing, in storage terms."""

    platform: str
    listing_id: str
    url: str
    title: str | None = None
    description: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    availability: str | None = None
    sku: str | None = None
    brand_text: str | None = None
    seller_name: str | None = None
    seller_id: str | None = None
    seller_url: str | None = None
    image_urls: tuple[str, ...] = ()
    image_files: tuple[Mapping[str, Any], ...] = ()
    errors: tuple[str, ...] = ()
    video_urls: tuple[str, ...] = ()
    video_files: tuple[Mapping[str, Any], ...] = ()

    def tracked(self) -> dict[str, Any]:
        return _with_videos({
            "title": self.title,
            "description": self.description,
            "price": None if self.price is None else str(self.price.normalize()),
            "currency": self.currency,
            "availability": self.availability,
            "seller_name": self.seller_name,
            "image_urls": list(self.image_urls),
        }, self.video_urls)

    def cleaned(self) -> ListingInput:
        """The same listing with its text made safe to store."""
        fields = {name: clean_text(getattr(self, name), limit) for name, limit in _LIMITS.items()}
        urls = tuple(u.translate(_CONTROL)[:2_000] for u in self.image_urls[:50])
        videos = tuple(u.translate(_CONTROL)[:2_000] for u in self.video_urls[:20])
        return replace(self, **fields, url=self.url.translate(_CONTROL)[:2_000],
                       listing_id=self.listing_id.translate(_CONTROL)[:200], image_urls=urls,
                       video_urls=videos,
                       errors=tuple(e.translate(_CONTROL)[:1_000] for e in self.errors[:50]))

    def content_hash(self) -> str:
        blob = json.dumps(self.tracked(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class UpsertResult:
    listing_pk: int
    kind: str  # created | changed | unchanged | relisted
    changes: Mapping[str, Any]


def _tracked_of(row: Listing) -> dict[str, Any]:
    return _with_videos({
        "title": row.title,
        "description": row.description,
        "price": None if row.price is None else str(Decimal(row.price).normalize()),
        "currency": row.currency,
        "availability": row.availability,
        "seller_name": row.seller_name,
        "image_urls": list(row.image_urls or []),
    }, row.video_urls or ())


def _with_videos(tracked: dict[str, Any], videos: Sequence[str]) -> dict[str, Any]:
    """Videos are tracked once a listing has any: a listing without keeps the content hash
    it had before videos were read, so an upgrade reassesses nothing."""
    if videos:
        tracked["video_urls"] = list(videos)
    return tracked


_T = TypeVar("_T")
# Engine -> data folder, for the ORM events below (a Session knows its engine, not us).
_DATA_DIRS: weakref.WeakKeyDictionary[Engine, Path | None] = weakref.WeakKeyDictionary()


def _data_dir(parsed: Any) -> Path | None:
    """MARKWATCH_DATA_DIR, else the folder of a SQLite file; None: paths are kept absolute."""
    if configured := os.environ.get("MARKWATCH_DATA_DIR"):
        return Path(configured).expanduser().resolve()
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).expanduser().resolve().parent
    return None


def _stored(base: Path | None, path: str) -> str:
    if not path:
        return path
    full = Path(path).expanduser()
    if not full.is_absolute() and base is not None and (base / full).exists() and not full.exists():
        return path  # already relative to the data folder
    full = full.resolve()
    if base is not None:
        try:
            return full.relative_to(base).as_posix()
        except ValueError:
            pass
    return str(full)


def _found(base: Path | None, stored: str) -> str:
    if not stored or Path(stored).is_absolute() or base is None:
        return stored
    candidate = base / stored
    return str(candidate) if candidate.exists() or not Path(stored).exists() else stored


def _map_files(files: Any, convert: Callable[[str], str]) -> Any:
    if not isinstance(files, list):
        return files
    return [{**f, "path": convert(f["path"])} if isinstance(f, dict) and f.get("path") else f for f in files]


# The path-holding attributes: Listing.image_files entries, and the other tables' `path`.
_PATH_ATTRS = ((Listing, "image_files"), (Listing, "video_files"), (Asset, "path"), (Takedown, "path"),
               (Digest, "path"))


def _convert(target: Any, attr: str, convert: Callable[[str], str]) -> Any:
    value = getattr(target, attr, None)
    if attr in ("image_files", "video_files"):
        return _map_files(value, convert)
    return convert(value) if isinstance(value, str) else value


def _on_load(target: Any, context: Any) -> None:
    session = getattr(context, "session", None)
    base = _DATA_DIRS.get(session.get_bind()) if session is not None else None
    for cls, attr in _PATH_ATTRS:
        if isinstance(target, cls):
            # Readers get a path they can open from any folder; no change is recorded.
            set_committed_value(target, attr, _convert(target, attr, lambda p: _found(base, p)))


def _before_write(_mapper: Any, connection: Any, target: Any) -> None:
    base = _DATA_DIRS.get(connection.engine)
    for cls, attr in _PATH_ATTRS:
        if isinstance(target, cls):
            value = getattr(target, attr, None)
            stored = _convert(target, attr, lambda p: _stored(base, p))
            if stored != value:
                _WRITING.setdefault(id(target), {})[attr] = value
                setattr(target, attr, stored)


def _after_write(_mapper: Any, _connection: Any, target: Any) -> None:
    # The object keeps the paths it had (absolute); only the row holds the relative ones.
    for attr, value in _WRITING.pop(id(target), {}).items():
        set_committed_value(target, attr, value)


# id(object) -> {attribute: value before _before_write}, for the span of one flush.
_WRITING: dict[int, dict[str, Any]] = {}


for _cls, _ in _PATH_ATTRS:
    event.listen(_cls, "load", _on_load)
    event.listen(_cls, "refresh", lambda target, context, _attrs: _on_load(target, context))
    event.listen(_cls, "before_insert", _before_write)
    event.listen(_cls, "before_update", _before_write)
    event.listen(_cls, "after_insert", _after_write)
    event.listen(_cls, "after_update", _after_write)
# Any 64-bit number, the same in every markwatch process: pg_advisory_xact_lock's key.
_MIGRATION_LOCK_KEY = 0x6D61726B7761  # "markwa"
_MIGRATION_WAIT = 300
_CONFLICT_ATTEMPTS = 3


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL's usual pairing (SQLite's docs): no fsync at each commit, only at checkpoints. The
    # database stays consistent through a crash or power cut; a power cut may undo the last
    # commits, which the next run crawls again. A run commits a few times a listing: 300
    # listings stored in 0.9-1.0 s against 1.2-1.3 s syncing each commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """A markwatch database, migrated to the current schema when opened."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, must_exist: bool = False) -> None:
        """`must_exist`: a read-only command's database; a SQLite file that is not there is
        refused ("no database at PATH") instead of created empty."""
        self.url = resolve_db_url(url)
        try:
            parsed = make_url(self.url)
            parsed.get_dialect()
        except (ArgumentError, NoSuchModuleError):
            raise StorageError(
                f"{self.url!r} is not a database URL; use a file path or e.g. "
                "postgresql+psycopg://user@host/dbname"
            ) from None
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database and parsed.database != ":memory:":
                path = Path(parsed.database).expanduser()
                if must_exist and not path.is_file():
                    raise StorageError(f"no database at {path}; give the one `markwatch crawl` or "
                                       "`markwatch run` wrote with --db")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StorageError(f"cannot create the database {path}: {exc.strerror or exc}") from None
        elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            # psycopg 3 is the driver markwatch installs; plain postgresql:// means it.
            self.url = parsed.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False
            )
        try:
            self.engine: Engine = create_engine(self.url, pool_pre_ping=True, **kwargs)
        except ModuleNotFoundError as exc:
            raise StorageError(
                f"the driver for {parsed.drivername} is not installed ({exc.name}); "
                "for PostgreSQL run: pip install 'markwatch[postgres]'"
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.data_dir = _data_dir(parsed)
        _DATA_DIRS[self.engine] = self.data_dir
        if migrate:
            self.migrate()

    def store_path(self, path: str | Path) -> str:
        """A file's path as the database keeps it: relative to `data_dir` when inside it (so
        the folder can be served or moved as a whole), else absolute."""
        return _stored(self.data_dir, str(path))

    def file_path(self, stored: str | Path) -> Path:
        """Where a stored path is on disk: relative ones under `data_dir`; an older row's
        path relative to where its crawl ran is used as it is when not found there."""
        return Path(_found(self.data_dir, str(stored)))

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Create or upgrade the schema with Alembic, one process at a time: several
        `markwatch` commands started at once on a new database would each create the tables
        ("table alembic_version already exists")."""
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self._migration_lock(), self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Held to the end of this transaction, which holds the whole migration.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StorageError(f"cannot open the database {self.display_url}: {reason}") from None

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """A file lock beside a SQLite file (SQLite runs DDL outside any transaction we could
        hold); PostgreSQL's advisory lock is taken in `migrate` itself."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
            yield
            return
        # In a read-only folder held() takes no lock: nothing this process could create there.
        def busy() -> StorageError:
            return StorageError(f"the database {self.display_url} is being migrated by another process "
                                f"for over {_MIGRATION_WAIT} s; try again once it is done")

        with held(f"{Path(parsed.database).expanduser()}.migrate-lock", _MIGRATION_WAIT, on_timeout=busy):
            yield

    def _retrying(self, write: Callable[[], _T]) -> _T:
        """Run a read-then-insert write again when a concurrent writer inserted the same row
        first (IntegrityError): the second attempt finds the row and updates it."""
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                return write()
            except IntegrityError:
                if attempt == _CONFLICT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # -- brands --------------------------------------------------------------------------

    def upsert_brand(
        self,
        name: str,
        *,
        marks: Iterable[Mapping[str, Any]] = (),
        registry_path: str | None = None,
        registry_sha256: str | None = None,
    ) -> Brand:
        marks = [dict(m) for m in marks]
        return self._retrying(lambda: self._upsert_brand(name, marks, registry_path, registry_sha256))

    def _upsert_brand(self, name: str, marks: Sequence[Mapping[str, Any]], registry_path: str | None,
                      registry_sha256: str | None) -> Brand:
        with self.session() as s:
            brand = s.exec(select(Brand).where(Brand.name == name)).first()
            if brand is None:
                brand = Brand(name=name)
            brand.registry_path = registry_path
            brand.registry_sha256 = registry_sha256
            brand.updated_at = utcnow()
            s.add(brand)
            s.flush()
            existing = {m.text: m for m in s.exec(select(MarkRow).where(MarkRow.brand_id == brand.id))}
            wanted = set()
            for mark in marks:
                wanted.add(mark["text"])
                row = existing.get(mark["text"]) or MarkRow(brand_id=brand.id, text=mark["text"])
                row.aliases = list(mark.get("aliases", ()))
                row.distinctive = bool(mark.get("distinctive", True))
                row.registrations = list(mark.get("registrations", ()))
                s.add(row)
            for text, row in existing.items():
                if text not in wanted:
                    s.delete(row)
            s.commit()
            return brand

    def brand(self, name: str) -> Brand | None:
        with self.session() as s:
            return s.exec(select(Brand).where(Brand.name == name)).first()

    def brands(self) -> list[Brand]:
        with self.session() as s:
            return list(s.exec(select(Brand).order_by(Brand.id)))

    def upsert_asset(
        self,
        brand_id: int,
        *,
        key: str,
        kind: str,
        path: str,
        sha256: str,
        phash: str | None = None,
        product_sku: str | None = None,
    ) -> Asset:
        return self._retrying(lambda: self._upsert_asset(brand_id, key, kind, path, sha256, phash, product_sku))

    def _upsert_asset(self, brand_id: int, key: str, kind: str, path: str, sha256: str,
                      phash: str | None, product_sku: str | None) -> Asset:
        with self.session() as s:
            row = s.exec(select(Asset).where(Asset.brand_id == brand_id, Asset.key == key)).first()
            row = row or Asset(brand_id=brand_id, key=key, kind=kind, path=path, sha256=sha256)
            row.kind, row.path, row.sha256 = kind, path, sha256
            row.phash, row.product_sku = phash, product_sku
            s.add(row)
            s.commit()
            return row

    def assets(self, brand_id: int) -> list[Asset]:
        with self.session() as s:
            return list(s.exec(select(Asset).where(Asset.brand_id == brand_id).order_by(Asset.key)))

    # -- listings ------------------------------------------------------------------------

    def _seller(self, s: Session, item: ListingInput, now: dt.datetime) -> Seller | None:
        if not item.seller_name and not item.seller_id:
            return None
        key = (item.seller_id or " ".join((item.seller_name or "").casefold().split()))[:300]
        seller = s.exec(
            select(Seller).where(Seller.platform == item.platform, Seller.seller_key == key)
        ).first()
        if seller is None:
            seller = Seller(platform=item.platform, seller_key=key, name=item.seller_name or key)
        seller.last_seen = now
        if item.seller_url:
            seller.url = item.seller_url
        s.add(seller)
        s.flush()
        return seller

    def upsert_listing(self, item: ListingInput) -> UpsertResult:
        """Insert or update one listing by (platform, listing_id); record what changed."""
        for attempt in range(2):
            try:
                return self._upsert_listing(item)
            except IntegrityError:
                # Another writer inserted the same listing between our read and insert.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _upsert_listing(self, item: ListingInput) -> UpsertResult:
        item = item.cleaned()
        now = utcnow()
        digest = item.content_hash()
        with self.session() as s:
            row = s.exec(
                select(Listing).where(
                    Listing.platform == item.platform, Listing.listing_id == item.listing_id
                )
            ).first()
            seller = self._seller(s, item, now)
            if row is None:
                row = Listing(platform=item.platform, listing_id=item.listing_id, url=item.url,
                              content_hash=digest, first_seen=now)
                kind, changes = "created", item.tracked()
            else:
                before = _tracked_of(row)
                after = item.tracked()
                changes = {k: [before.get(k), after.get(k)] for k in (*TRACKED_FIELDS, "video_urls")
                           if before.get(k) != after.get(k)}
                if row.status == "removed":
                    kind = "relisted"
                elif changes:
                    kind = "changed"
                else:
                    kind = "unchanged"
            row.url = item.url
            row.title, row.description = item.title, item.description
            row.price, row.currency = item.price, item.currency
            row.availability, row.sku, row.brand_text = item.availability, item.sku, item.brand_text
            row.seller_id = seller.id if seller else None
            row.seller_name = item.seller_name
            row.image_urls = list(item.image_urls)
            row.errors = list(item.errors)
            if item.image_files or kind != "unchanged":
                row.image_files = [dict(f) for f in item.image_files]
            row.video_urls = list(item.video_urls)
            if item.video_files or kind != "unchanged":
                row.video_files = [dict(f) for f in item.video_files]
            row.content_hash = digest
            row.status = "active"
            row.last_seen = now
            s.add(row)
            s.flush()
            if kind != "unchanged":
                s.add(ListingSnapshot(listing_pk=row.id, seen_at=now, kind=kind,
                                      changes=changes, content_hash=digest))
            s.commit()
            return UpsertResult(listing_pk=row.id, kind=kind, changes=changes)

    def mark_removed(self, platform: str, listing_id: str) -> bool:
        with self.session() as s:
            row = s.exec(
                select(Listing).where(Listing.platform == platform, Listing.listing_id == listing_id)
            ).first()
            if row is None or row.status == "removed":
                return False
            row.status = "removed"
            s.add(row)
            s.add(ListingSnapshot(listing_pk=row.id, kind="removed", changes={"status": ["active", "removed"]},
                                  content_hash=row.content_hash))
            s.commit()
            return True

    def seller(self, pk: int) -> Seller | None:
        with self.session() as s:
            return s.get(Seller, pk)

    def mark_assessed(self, listing_pk: int, content_hash: str) -> None:
        with self.session() as s:
            row = s.get(Listing, listing_pk)
            if row is not None:
                row.assessed_hash = content_hash
                s.add(row)
                s.commit()

    def unassessed(self, platforms: Sequence[str] | None = None) -> list[Listing]:
        """Listings changed since their last assessment (or never assessed)."""
        with self.session() as s:
            query = select(Listing).where(
                (Listing.assessed_hash == None) | (Listing.assessed_hash != Listing.content_hash)  # noqa: E711
            )
            if platforms:
                query = query.where(Listing.platform.in_(platforms))
            return list(s.exec(query.order_by(Listing.id)))

    def listing(self, pk: int) -> Listing | None:
        with self.session() as s:
            return s.get(Listing, pk)

    def listings(self, platform: str | None = None) -> list[Listing]:
        with self.session() as s:
            query = select(Listing).order_by(Listing.platform, Listing.listing_id)
            if platform:
                query = query.where(Listing.platform == platform)
            return list(s.exec(query))

    def snapshots(self, listing_pk: int) -> list[ListingSnapshot]:
        with self.session() as s:
            return list(
                s.exec(
                    select(ListingSnapshot)
                    .where(ListingSnapshot.listing_pk == listing_pk)
                    .order_by(ListingSnapshot.seen_at, ListingSnapshot.id)
                )
            )

    def count(self, model: type) -> int:
        with self.session() as s:
            return s.exec(select(func.count()).select_from(model)).one()

    # -- findings and cases ------------------------------------------------------------

    def record_assessment(
        self,
        brand_id: int,
        listing_pk: int,
        *,
        findings: Sequence[Mapping[str, Any]],
        risk: int,
        level: str,
        reasons: Sequence[str],
        flagged: bool,
        allowlisted: bool = False,
    ) -> Case | None:
        """Replace the listing's findings for this brand and open or update its case.

        A listing with no findings gets no case. A case a person has already decided
        (confirmed, dismissed, allowlisted) keeps its state; its risk is refreshed.
        """
        now = utcnow()
        with self.session() as s:
            for old in s.exec(
                select(Finding).where(Finding.listing_pk == listing_pk, Finding.brand_id == brand_id)
            ):
                s.delete(old)
            for f in findings:
                s.add(Finding(listing_pk=listing_pk, brand_id=brand_id, created_at=now, **f))
            case = s.exec(
                select(Case)
                .where(Case.brand_id == brand_id, Case.listing_pk == listing_pk)
                .order_by(Case.id.desc())
            ).first()
            if case is None and not findings:
                s.commit()
                return None
            if case is None:
                case = Case(brand_id=brand_id, listing_pk=listing_pk, created_at=now)
                if allowlisted:
                    case.state = "allowlisted"
            case.risk, case.level, case.flagged = risk, level, flagged
            case.reasons = list(reasons)
            case.updated_at = now
            s.add(case)
            s.commit()
            return case

    def set_case_state(self, case_id: int, state: str, *, note: str | None = None) -> Case:
        if state not in CASE_STATES:
            raise ValueError(f"unknown case state {state!r}; use one of {', '.join(CASE_STATES)}")
        with self.session() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise KeyError(case_id)
            case.state = state
            case.updated_at = utcnow()
            if note is not None:
                case.note = note
            s.add(case)
            s.commit()
            return case

    def set_case_states(self, brand_id: int, case_ids: Sequence[int], state: str, *,
                        note: str | None = None) -> list[int]:
        """Set the brand's cases `case_ids` to `state` (a reviewer's decision), with an optional
        note; returns the ids of the cases changed (ids of other brands' cases or of none are
        left out)."""
        if state not in CASE_STATES:
            raise ValueError(f"unknown case state {state!r}; use one of {', '.join(CASE_STATES)}")
        with self.session() as s:
            cases = s.exec(select(Case).where(Case.brand_id == brand_id, Case.id.in_(list(case_ids)))).all()
            now = utcnow()
            for case in cases:
                case.state = state
                case.updated_at = now
                if note:
                    case.note = note[:2_000]
                s.add(case)
            s.commit()
            return sorted(c.id for c in cases if c.id is not None)

    def case_ids(self, brand_id: int, wanted: Sequence[int]) -> list[int]:
        """Which of `wanted` are the brand's cases."""
        with self.session() as s:
            return sorted(s.exec(select(Case.id).where(Case.brand_id == brand_id,
                                                       Case.id.in_(list(wanted)))).all())

    def count_cases(self, brand_id: int, *, states: Sequence[str] | None = None,
                    flagged_only: bool = False) -> int:
        with self.session() as s:
            query = select(func.count()).select_from(Case).where(Case.brand_id == brand_id)
            if states:
                query = query.where(Case.state.in_(states))
            if flagged_only:
                query = query.where(Case.flagged == True)  # noqa: E712 - SQL expression
            return int(s.exec(query).one())

    def platforms(self, brand_id: int | None = None) -> list[str]:
        """The platforms the database has listings of (for the brand's cases, if given)."""
        with self.session() as s:
            query = select(Listing.platform).distinct()
            if brand_id is not None:
                query = query.join(Case, Case.listing_pk == Listing.id).where(Case.brand_id == brand_id)
            return sorted(s.exec(query).all())

    def cases(
        self,
        brand_id: int | None = None,
        *,
        states: Sequence[str] | None = None,
        flagged_only: bool = False,
        since: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[Case]:
        with self.session() as s:
            query = select(Case)
            if brand_id is not None:
                query = query.where(Case.brand_id == brand_id)
            if states:
                query = query.where(Case.state.in_(states))
            if flagged_only:
                query = query.where(Case.flagged == True)  # noqa: E712 - SQL expression
            if since is not None:
                query = query.where(Case.updated_at >= since)
            query = query.order_by(Case.risk.desc(), Case.id)
            if limit:
                query = query.limit(limit)
            return list(s.exec(query))

    def findings(self, listing_pk: int, brand_id: int | None = None) -> list[Finding]:
        with self.session() as s:
            query = select(Finding).where(Finding.listing_pk == listing_pk)
            if brand_id is not None:
                query = query.where(Finding.brand_id == brand_id)
            return list(s.exec(query.order_by(Finding.score.desc())))
