"""The brand registry: what a brand-protection team writes once in `brand.yaml`.

`load_registry(path)` parses and validates the file into typed, immutable models; any
problem becomes one `RegistryError` naming the file, the line, the field and the fix.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pycountry
import yaml
from PIL import Image, UnidentifiedImageError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor._files import read_capped
from monitor.errors import RegistryError

__all__ = [
    "video_of_frame",
    "OFFICES",
    "EU_MEMBERS",
    "Contact",
    "Agent",
    "Signatory",
    "Registration",
    "Mark",
    "Logo",
    "Money",
    "Product",
    "CopyrightedImage",
    "PATENT_OFFICES",
    "ClaimElement",
    "PatentClaim",
    "Patent",
    "CopyText",
    "DESIGN_OFFICES",
    "Design",
    "Allowlist",
    "WatchEntry",
    "MailSettings",
    "Webhook",
    "AlertSettings",
    "Settings",
    "Registry",
    "load_registry",
    "normalise_seller",
    "MAX_REGISTRY_BYTES",
    "MAX_IMAGE_BYTES",
]

# A brand.yaml is a few kilobytes; a 100 MB one would take minutes and gigabytes to parse.
MAX_REGISTRY_BYTES = 5_000_000
MAX_IMAGE_BYTES = 50_000_000
MAX_COPY_BYTES = 1_000_000  # one product text; a description is a few kilobytes
_MAX_PIXELS = 80_000_000
# Nesting deeper than this is no registry (PyYAML's composer recurses once per level).
_MAX_DEPTH = 64
# Python refuses to convert longer digit strings to int (and a rate needs no more).
_MAX_NUMBER_DIGITS = 1_000
_NUMBER = re.compile(r"^[-+]?[0-9_.,eExXoObB]+$")

EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)

# Trademark offices and the territories a registration there covers. WIPO (Madrid)
# registrations cover the countries listed in their `designations`.
OFFICES: dict[str, frozenset[str]] = {
    "USPTO": frozenset({"US"}),
    "EUIPO": EU_MEMBERS | {"EU"},
    "UKIPO": frozenset({"GB"}),
    "CNIPA": frozenset({"CN"}),
    "JPO": frozenset({"JP"}),
    "KIPO": frozenset({"KR"}),
    "CIPO": frozenset({"CA"}),
    "IPAU": frozenset({"AU"}),
    "DPMA": frozenset({"DE"}),
    "INPI": frozenset({"FR"}),
    "UIBM": frozenset({"IT"}),
    "OEPM": frozenset({"ES"}),
    "BOIP": frozenset({"BE", "NL", "LU"}),
    "PRV": frozenset({"SE"}),
    "INPI-BR": frozenset({"BR"}),
    "IMPI": frozenset({"MX"}),
    "IPINDIA": frozenset({"IN"}),
    "IPOS": frozenset({"SG"}),
    "WIPO": frozenset(),
}

DEFAULT_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "SEK": 11.4, "CNY": 7.8, "JPY": 162.0}


def video_of_frame(key: str) -> str | None:
    """The brand video an image key is a key frame of ("video:SKU:N@SECONDS" ->
    "video:SKU:N"), or None for any other key."""
    if key.startswith("video:") and "@" in key:
        return key.partition("@")[0]
    return None


def _is_currency(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code) is not None


def normalise_seller(name: str) -> str:
    """Seller names compare case- and space-insensitively."""
    return " ".join(name.casefold().split())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Contact(_Model):
    legal_name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field(min_length=3)
    website: str | None = None


class Agent(Contact):
    authorisation_letter: Path | None = None


class Signatory(_Model):
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)


class Registration(_Model):
    office: str
    number: str = Field(min_length=1)
    classes: tuple[int, ...] = Field(min_length=1)
    status: Literal["registered", "pending", "expired", "opposed", "cancelled"] = "registered"
    expires: dt.date | None = None
    # The registration date: the USPTO's declaration of use falls due from it.
    registered: dt.date | None = None
    designations: tuple[str, ...] = ()

    @field_validator("number", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("office", mode="before")
    @classmethod
    def _known_office(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in OFFICES:
            return value.strip().upper()
        raise ValueError(f"unknown office {value!r}; use one of {', '.join(OFFICES)}")

    @field_validator("classes")
    @classmethod
    def _nice_classes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [c for c in value if not 1 <= c <= 45]
        if bad:
            raise ValueError(f"Nice classes run from 1 to 45, not {bad[0]}")
        return value

    @field_validator("designations")
    @classmethod
    def _country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(v.upper() for v in value)
        for code in codes:
            if code != "EU" and pycountry.countries.get(alpha_2=code) is None:
                raise ValueError(f"{code!r} is not an ISO 3166 two-letter country code")
        return codes

    @property
    def territories(self) -> frozenset[str]:
        covered = set(OFFICES[self.office]) | set(self.designations)
        if "EU" in covered:
            covered |= EU_MEMBERS
        return frozenset(covered)

    def covers(self, country: str) -> bool:
        return country.upper() in self.territories

    def in_force(self, on: dt.date | None = None) -> bool:
        on = on or dt.date.today()
        if self.status != "registered":
            return False
        return self.expires is None or self.expires >= on


class Mark(_Model):
    text: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    distinctive: bool = True
    registrations: tuple[Registration, ...] = ()


class Logo(_Model):
    file: Path
    mark: str | None = None


class Money(_Model):
    amount: Decimal = Field(gt=0)
    currency: str

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        code = value.upper()
        if not _is_currency(code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)")
        return code


class Product(_Model):
    name: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    msrp: Money
    images: tuple[Path, ...] = ()
    keywords: tuple[str, ...] = ()
    # The brand's own product videos: listings that show their frames are found.
    videos: tuple[Path, ...] = Field(default=(), max_length=20)
    # The brand's own description of the product: listings that copy it are found.
    description: str | None = Field(default=None, min_length=1, max_length=200_000)

    @field_validator("sku", mode="before")
    @classmethod
    def _sku_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class CopyrightedImage(_Model):
    file: Path
    title: str | None = None


# Patent offices and the territories a patent granted there covers. A European patent
# takes effect in the states where it was validated, so it lists them in `jurisdictions`.
PATENT_OFFICES: dict[str, frozenset[str]] = {
    "USPTO": frozenset({"US"}),
    "EPO": frozenset(),
    "UKIPO": frozenset({"GB"}),
    "DPMA": frozenset({"DE"}),
    "INPI": frozenset({"FR"}),
    "CNIPA": frozenset({"CN"}),
    "JPO": frozenset({"JP"}),
    "KIPO": frozenset({"KR"}),
    "CIPO": frozenset({"CA"}),
    "IPAU": frozenset({"AU"}),
    "PRV": frozenset({"SE"}),
    "IPINDIA": frozenset({"IN"}),
}


class ClaimElement(_Model):
    """One element of a claim: a short phrase and the words a listing would use for it."""

    phrase: str = Field(min_length=1, max_length=200)
    synonyms: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _plain_phrase(cls, value: Any) -> Any:
        return {"phrase": value} if isinstance(value, str) else value

    @field_validator("phrase", "synonyms", mode="after")
    @classmethod
    def _has_words(cls, value: Any) -> Any:
        for text in (value,) if isinstance(value, str) else value:
            if not re.search(r"\w", text):
                raise ValueError(f"{text!r} has no words for a listing to use")
        return value


class PatentClaim(_Model):
    """An independent claim, as the elements a product must show to fall within it."""

    number: int = Field(ge=1, le=1_000)
    elements: tuple[ClaimElement, ...] = Field(min_length=1, max_length=40)


class Patent(_Model):
    """A utility patent: the claims a listing's text is read against."""

    number: str = Field(min_length=1, max_length=40)
    office: str
    jurisdictions: tuple[str, ...] = ()
    status: Literal["granted", "pending", "expired", "lapsed", "revoked"] = "granted"
    expires: dt.date
    # When it was filed and granted: the fees that keep it in force fall due from them
    # (the USPTO's maintenance fees from the grant, yearly annuities from the filing date).
    filed: dt.date | None = None
    granted: dt.date | None = None
    title: str = Field(min_length=1, max_length=300)
    claims: tuple[PatentClaim, ...] = Field(min_length=1, max_length=50)

    @field_validator("number", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("number")
    @classmethod
    def _has_digits(cls, value: str) -> str:
        if sum(c.isdigit() for c in value) < 4:
            raise ValueError(f"{value!r} is no patent number (write it as granted, e.g. US 10,123,456)")
        return value

    @field_validator("office", mode="before")
    @classmethod
    def _known_office(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in PATENT_OFFICES:
            return value.strip().upper()
        if isinstance(value, str) and value.strip().upper() == "WIPO":
            raise ValueError("a PCT application (WIPO) is no granted patent; give the office that granted it")
        raise ValueError(f"unknown patent office {value!r}; use one of {', '.join(PATENT_OFFICES)}")

    @field_validator("claims", mode="before")
    @classmethod
    def _claims_as_lists(cls, value: Any) -> Any:
        # A claim written as a bare list of elements is numbered by its place.
        if isinstance(value, list):
            return [{"number": i + 1, "elements": c} if isinstance(c, list) else c for i, c in enumerate(value)]
        return value

    @field_validator("claims")
    @classmethod
    def _distinct_numbers(cls, value: tuple[PatentClaim, ...]) -> tuple[PatentClaim, ...]:
        numbers = [c.number for c in value]
        twice = next((n for n in numbers if numbers.count(n) > 1), None)
        if twice is not None:
            raise ValueError(f"claim {twice} is given twice; keep one")
        return value

    @field_validator("jurisdictions")
    @classmethod
    def _country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(v.upper() for v in value)
        for code in codes:
            if code != "EU" and pycountry.countries.get(alpha_2=code) is None:
                raise ValueError(f"{code!r} is not an ISO 3166 two-letter country code")
        return codes

    @model_validator(mode="after")
    def _somewhere(self) -> Patent:
        if not self.territories:
            raise ValueError(f"an {self.office} patent covers the states where it was validated; "
                             "list them in jurisdictions (e.g. [DE, FR, SE])")
        return self

    @property
    def territories(self) -> frozenset[str]:
        covered = set(PATENT_OFFICES[self.office]) | set(self.jurisdictions)
        if "EU" in covered:
            covered |= EU_MEMBERS
        return frozenset(covered)

    def covers(self, country: str) -> bool:
        return country.upper() in self.territories

    def in_force(self, on: dt.date | None = None) -> bool:
        on = on or dt.date.today()
        return self.status == "granted" and self.expires >= on

    def why_not_in_force(self, on: dt.date | None = None) -> str | None:
        """None when in force; else in words why not ("expired on 2024-01-31")."""
        on = on or dt.date.today()
        if self.expires < on:
            return f"expired on {self.expires.isoformat()}"
        if self.status != "granted":
            return f"is {self.status}, not granted"
        return None


class CopyText(_Model):
    """One of the brand's own product texts: a description, bullet points, a size guide."""

    title: str = Field(min_length=1, max_length=300)
    text: str | None = Field(default=None, min_length=1, max_length=200_000)
    file: Path | None = None

    @model_validator(mode="after")
    def _text_or_file(self) -> CopyText:
        if (self.text is None) == (self.file is None):
            raise ValueError("give the text itself (`text:`) or a UTF-8 file holding it (`file:`), one of the two")
        return self


# Design offices and the territories a registered design or design patent there covers.
# Hague (WIPO) registrations cover the parties designated, listed in `jurisdictions`.
DESIGN_OFFICES: dict[str, frozenset[str]] = {
    "EUIPO": EU_MEMBERS | {"EU"},
    "USPTO": frozenset({"US"}),
    "CNIPA": frozenset({"CN"}),
    "UKIPO": frozenset({"GB"}),
    "JPO": frozenset({"JP"}),
    "KIPO": frozenset({"KR"}),
    "DPMA": frozenset({"DE"}),
    "INPI": frozenset({"FR"}),
    "BOIP": frozenset({"BE", "NL", "LU"}),
    "CIPO": frozenset({"CA"}),
    "IPAU": frozenset({"AU"}),
    "IPINDIA": frozenset({"IN"}),
    "WIPO": frozenset(),
}
# What each office calls the right, as platforms' forms and counsel write it.
_DESIGN_RIGHT = {"EUIPO": "registered Community design", "USPTO": "design patent",
                 "CNIPA": "design patent", "JPO": "design registration", "KIPO": "design registration",
                 "WIPO": "international design registration (Hague)"}


class Design(_Model):
    """A registered design or design patent: the product's shape, shown in its figures."""

    number: str = Field(min_length=1, max_length=40)
    office: str
    jurisdictions: tuple[str, ...] = ()
    status: Literal["registered", "pending", "expired", "lapsed", "invalidated"] = "registered"
    expires: dt.date
    registered: dt.date | None = None
    # The product the registration covers, in its own words ("drinking bottle"), and the
    # brand's product of that design, when there is one.
    product: str = Field(min_length=1, max_length=300)
    sku: str | None = None
    figures: tuple[Path, ...] = Field(min_length=1, max_length=50)

    @field_validator("number", "sku", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("office", mode="before")
    @classmethod
    def _known_office(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in DESIGN_OFFICES:
            return value.strip().upper()
        raise ValueError(f"unknown design office {value!r}; use one of {', '.join(DESIGN_OFFICES)}")

    @field_validator("jurisdictions")
    @classmethod
    def _country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(v.upper() for v in value)
        for code in codes:
            if code != "EU" and pycountry.countries.get(alpha_2=code) is None:
                raise ValueError(f"{code!r} is not an ISO 3166 two-letter country code")
        return codes

    @model_validator(mode="after")
    def _somewhere(self) -> Design:
        if not self.territories:
            raise ValueError("a Hague (WIPO) design covers the parties designated; list them in "
                             "jurisdictions (e.g. [EU, US, JP])")
        return self

    @property
    def right(self) -> str:
        """What the right is called: "registered Community design", "design patent", ..."""
        return _DESIGN_RIGHT.get(self.office, "registered design")

    @property
    def label(self) -> str:
        """The design as a platform or counsel names it: "USPTO design patent D912,345"."""
        return f"{self.office} {self.right} {self.number}"

    @property
    def territories(self) -> frozenset[str]:
        covered = set(DESIGN_OFFICES[self.office]) | set(self.jurisdictions)
        if "EU" in covered:
            covered |= EU_MEMBERS
        return frozenset(covered)

    def covers(self, country: str) -> bool:
        return country.upper() in self.territories

    def in_force(self, on: dt.date | None = None) -> bool:
        return self.why_not_in_force(on) is None

    def why_not_in_force(self, on: dt.date | None = None) -> str | None:
        """None when in force; else in words why not ("expired on 2024-01-31")."""
        on = on or dt.date.today()
        if self.expires < on:
            return f"expired on {self.expires.isoformat()}"
        if self.status != "registered":
            return f"is {self.status}, not registered"
        return None


class Allowlist(_Model):
    sellers: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()


class WatchEntry(_Model):
    platform: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Literal["search", "shopify", "urls", "sitemap"] = "search"
    search_terms: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    base_url: str | None = None
    max_pages: int = Field(default=20, ge=1, le=100_000)
    max_listings: int = Field(default=200, ge=1, le=1_000_000)
    javascript: bool = False
    # The country its listings are sold in, when the address does not say it (a store on a
    # .com domain; a marketplace's country site): registrations must cover it.
    country: str | None = None

    @field_validator("country")
    @classmethod
    def _iso_3166(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code != "EU" and pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{value!r} is not an ISO 3166 country code (e.g. DE, US, JP)")
        return code

    @model_validator(mode="after")
    def _has_something_to_crawl(self) -> WatchEntry:
        if not self.search_terms and not self.start_urls:
            raise ValueError("a watch entry needs search_terms or start_urls")
        return self


class MailSettings(_Model):
    """Where `markwatch digest --email` sends the digest. The password is never in the
    file: `password_env` names the environment variable that holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              populate_by_name=True)

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    from_address: str = Field(alias="from", pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[str, ...] = Field(min_length=1)

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address or any(c.isspace() for c in address.strip()):
                raise ValueError(f"{address!r} is not a mail address")
        return tuple(a.strip() for a in value)

    @model_validator(mode="after")
    def _login_needs_password(self) -> MailSettings:
        if self.username and not self.password_env:
            raise ValueError("a username needs password_env, the environment variable holding the password")
        return self


class Webhook(_Model):
    """An endpoint told of each high-risk find: plain JSON, or a Slack or Microsoft Teams
    incoming webhook's own message format."""

    url: str = Field(pattern=r"^https?://[^\s/]+")
    format: Literal["json", "slack", "teams"] = "json"


class AlertSettings(_Model):
    """Alerts within minutes: a listing whose risk reaches `threshold` is announced as soon
    as it is assessed, once per case, by mail (the `mail` settings) and to each webhook."""

    threshold: int = Field(default=80, ge=1, le=100)
    email: bool = False
    webhooks: tuple[Webhook, ...] = ()
    retries: int = Field(default=3, ge=0, le=10)  # after the first try, with doubling waits
    backoff_seconds: float = Field(default=2.0, ge=0, le=600)


class Settings(_Model):
    price_threshold: float = Field(default=0.4, gt=0, lt=1)
    # Read words printed in listing photos and look for the marks in them: on the main
    # photos of listings that neither their text nor a photo match already ties to the
    # brand (about 0.2-0.5 s of CPU a photo where it runs). `false` turns it off.
    ocr: bool = True
    # allow_inf_nan=False: a NaN rate compares false with everything, so `<= 0` lets it through.
    currency_rates: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: dict(DEFAULT_RATES))
    mail: MailSettings | None = None
    alerts: AlertSettings | None = None

    @model_validator(mode="after")
    def _mail_alerts_need_mail(self) -> Settings:
        if self.alerts and self.alerts.email and self.mail is None:
            raise ValueError("alerts.email needs a settings.mail section (host, from, to)")
        return self

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        rates = {}
        for code, rate in value.items():
            if not _is_currency(code.upper()):
                raise ValueError(f"{code!r} is not an ISO 4217 currency code")
            if not math.isfinite(rate) or rate <= 0:
                raise ValueError(f"the rate for {code} must be a positive finite number, not {rate}")
            rates[code.upper()] = float(rate)
        return rates


class Registry(_Model):
    brand: str = Field(min_length=1, max_length=200)
    owner: Contact
    agent: Agent | None = None
    signatory: Signatory
    marks: tuple[Mark, ...] = Field(min_length=1)
    logos: tuple[Logo, ...] = ()
    products: tuple[Product, ...] = ()
    copyrighted_images: tuple[CopyrightedImage, ...] = ()
    patents: tuple[Patent, ...] = ()
    copy_texts: tuple[CopyText, ...] = Field(default=(), alias="copy")
    designs: tuple[Design, ...] = ()
    authorised_sellers: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    allowlist: Allowlist = Allowlist()
    watch: tuple[WatchEntry, ...] = ()
    settings: Settings = Settings()
    # Where the file was read from; relative asset paths are resolved against its folder.
    source: Path | None = Field(default=None, exclude=True)

    def resolve(self, path: Path) -> Path:
        base = self.source.parent if self.source else Path.cwd()
        return path if path.is_absolute() else (base / path)

    def is_authorised(self, platform: str, *sellers: str | None) -> bool:
        """Whether any of the seller's names or ids is authorised on this platform."""
        allowed = {normalise_seller(s) for s in self.authorised_sellers.get(platform, ())}
        return any(s and normalise_seller(s) in allowed for s in sellers)

    def is_allowlisted(self, seller: str | None, url: str | None = None) -> bool:
        if seller and normalise_seller(seller) in {normalise_seller(s) for s in self.allowlist.sellers}:
            return True
        if url:
            from urllib.parse import urlsplit

            host = (urlsplit(url).hostname or "").lower()
            return any(host == d or host.endswith("." + d) for d in self.allowlist.domains)
        return False

    def watch_country(self, platform: str) -> str | None:
        """The country the watch list says a platform's listings are sold in, if it says."""
        return next((e.country for e in self.watch if e.platform == platform and e.country), None)

    def product(self, sku: str | None) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def patent(self, number: str | None) -> Patent | None:
        return next((p for p in self.patents if p.number == number), None)

    def copy_sources(self) -> Iterable[tuple[str, str, str]]:
        """(key, title, text) for each of the brand's own texts: the `copy` entries, then
        each product's description. A file is read when asked for (checked at load)."""
        for i, entry in enumerate(self.copy_texts):
            text = entry.text
            if text is None and entry.file is not None:
                text = read_capped(self.resolve(entry.file), MAX_COPY_BYTES, what="text",
                                   error=RegistryError).decode("utf-8", errors="replace")
            yield f"copy:{i}", entry.title, text or ""
        for product in self.products:
            if product.description:
                yield f"description:{product.sku}", f"the description of the {product.name}", product.description

    def design_figures(self) -> Iterable[tuple[str, Design, Path]]:
        """(key, design, path) for each figure of each registered design."""
        for i, design in enumerate(self.designs):
            for j, figure in enumerate(design.figures):
                yield f"design:{i}:{j}", design, self.resolve(figure)

    def design_of(self, key: str) -> tuple[Design, int] | None:
        """The design and the figure number (from 1) a key from design_figures() names."""
        kind, _, rest = key.partition(":")
        d, _, f = rest.partition(":")
        if kind != "design" or not d.isdigit() or not f.isdigit() or int(d) >= len(self.designs):
            return None
        return self.designs[int(d)], int(f) + 1

    def video_files(self) -> Iterable[tuple[str, Path]]:
        """(key, path) for each of the brand's own product videos."""
        for product in self.products:
            for i, video in enumerate(product.videos):
                yield f"video:{product.sku}:{i}", self.resolve(video)

    def image_files(self) -> Iterable[tuple[str, str, Path]]:
        """(kind, key, path) for every registered image: logos, product photos, others."""
        for i, logo in enumerate(self.logos):
            yield "logo", f"logo:{logo.mark or self.brand}:{i}", self.resolve(logo.file)
        for product in self.products:
            for i, image in enumerate(product.images):
                yield "product", f"product:{product.sku}:{i}", self.resolve(image)
        for i, other in enumerate(self.copyrighted_images):
            yield "copyright", f"copyright:{i}:{other.file.name}", self.resolve(other.file)

    def image_label(self, key: str) -> str:
        """A registered image as a reviewer or a platform knows it, from its key
        ("product:NV-1:0" -> "photo 1 of the Fjell Parka (NV-1)"); unknown keys as given."""
        if (design := self.design_of(key)) is not None:
            return f"figure {design[1]} of {design[0].label}"
        if (video := video_of_frame(key)) is not None:  # a frame of a product video
            seconds = key.partition("@")[2]
            sku, _, n = video.removeprefix("video:").rpartition(":")
            product = self.product(sku)
            if product is not None and n.isdigit():
                t = float(seconds) if seconds.replace(".", "", 1).isdigit() else 0.0
                return f"frame at {int(t // 60)}:{t % 60:04.1f} of video {int(n) + 1} of the {product.name} ({sku})"
        kind, _, rest = key.partition(":")
        name, _, index = rest.rpartition(":")
        number = f" {int(index) + 1}" if index.isdigit() else ""
        if kind == "product" and (product := self.product(name)) is not None:
            return f"photo{number} of the {product.name} ({product.sku})"
        if kind == "logo" and name:
            return f"logo{number} of the mark '{name}'"
        if kind == "copyright":  # "copyright:INDEX:FILE"
            position, _, _ = rest.partition(":")
            if position.isdigit() and int(position) < len(self.copyrighted_images):
                image = self.copyrighted_images[int(position)]
                return f"photograph '{image.title or image.file.name}'"
        return key


# -- loading -------------------------------------------------------------------------------

_FIXES = {
    "missing": "add it",
    "extra_forbidden": "remove it or check its spelling",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "decimal_parsing": "write a number such as 149.00",
    "float_parsing": "write a number",
    "bool_parsing": "write true or false",
    "literal_error": "use one of the allowed values",
    "string_pattern_mismatch": "check its format",
    "too_short": "it must not be empty",
    "string_too_short": "it must not be empty",
    "greater_than": "use a larger value",
    "less_than": "use a smaller value",
    "model_type": "write a mapping of fields here",
    "tuple_type": "write a list here",
    "dict_type": "write a mapping here",
    "string_type": "write text here",
    "finite_number": "write a positive number",
}


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node for a pydantic error location, as deep as the document goes."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(part)), None)
            if nxt is None:
                # an unknown key: point at the key itself
                key = next((k for k, _ in node.value if k.value == str(part)), None)
                return key or node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node


def _field_name(loc: tuple[Any, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif not str(part).startswith("function-"):
            name += ("." if name else "") + str(part)
    return name or "(top level)"


def _first_error(path: Path, root: yaml.Node | None, error: ValidationError) -> RegistryError:
    err = error.errors(include_url=False)[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    node = _node_at(root, loc)
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    msg = err["msg"].removeprefix("Value error, ")
    fix = _FIXES.get(err["type"])
    if err["type"] == "literal_error":
        fix = None  # pydantic's message already lists the allowed values
    text = f"{path}{line}: {_field_name(loc)}: {msg}"
    if fix and fix not in msg:
        text += f" ({fix})"
    return RegistryError(text)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic reports a bad one with its field,
    and refuses a key given twice in one mapping (PyYAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key_node.value!r} (first at line "
                    f"{seen[key_node.value] + 1}); keep one of them", key_node.start_mark)
            seen[key_node.value] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_registry(path: str | Path) -> Registry:
    """Read and validate a brand registry file; raise `RegistryError` with one clear line."""
    path = Path(path)
    try:
        text = read_capped(path, MAX_REGISTRY_BYTES, what="brand registry",
                           error=RegistryError).decode("utf-8")
    except FileNotFoundError:
        raise RegistryError(
            f"{path}: no such file; write one (see examples/demo-brand/brand.yaml)"
        ) from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: cannot be read ({exc}); save it as UTF-8 text") from None
    try:
        _check_shape(path, text)
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "malformed YAML"
        if problem.startswith("duplicate key"):
            raise RegistryError(f"{path}{line}: {problem}") from None
        raise RegistryError(
            f"{path}{line}: malformed YAML: {problem}; check the indentation and quoting there"
        ) from None
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: malformed YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RegistryError(
            f"{path}: the file must be a mapping with at least brand, owner, signatory and marks"
        )
    try:
        registry = Registry.model_validate({**data, "source": path.resolve()})
    except ValidationError as exc:
        raise _first_error(path, root, exc) from None
    _check_files(path, root, registry)
    _check_designs_and_videos(path, root, registry)
    return registry


def _check_shape(path: Path, text: str) -> None:
    """Refuse, with the line, nesting deeper than any registry needs and numbers too long
    to read, before the (recursive) composer and int() meet them."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > _MAX_DEPTH:
                raise RegistryError(f"{path}:{event.start_mark.line + 1}: nested more than "
                                    f"{_MAX_DEPTH} levels deep; a brand registry needs a few")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif (isinstance(event, yaml.ScalarEvent) and event.style is None
              and len(event.value) > _MAX_NUMBER_DIGITS and _NUMBER.match(event.value)):
            raise RegistryError(f"{path}:{event.start_mark.line + 1}: a number of "
                                f"{len(event.value)} digits; write a sensible value (or quote it as text)")


def _image_problem(file: Path) -> str | None:
    """Why a registered image cannot be used, or None: it is decoded in full, as matching will."""
    try:
        data = read_capped(file, MAX_IMAGE_BYTES, what="image", error=RegistryError)
    except RegistryError as exc:
        return str(exc).removeprefix(f"{file}: ")
    except FileNotFoundError:
        return "not found"
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > _MAX_PIXELS:
                return f"an image of {img.width}x{img.height} pixels is too large"
            img.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return "not a readable image (corrupt, truncated or not an image format)"
    return None


def _text_problem(file: Path) -> str | None:
    """Why a registered product text cannot be used, or None."""
    try:
        read_capped(file, MAX_COPY_BYTES, what="text", error=RegistryError).decode("utf-8")
    except RegistryError as exc:
        return str(exc).removeprefix(f"{file}: ")
    except UnicodeDecodeError:
        return "not UTF-8 text; save it as UTF-8"
    return None


def _video_problem(file: Path) -> str | None:
    """Why a registered video cannot be used, or None: its first frame is decoded."""
    from matchers.errors import VideoError
    from matchers.video import key_frames

    try:
        key_frames(file, max_frames=1, until=0.0)
    except VideoError as exc:
        return f"not a playable video: {exc}"
    return None


def _figure_problem(file: Path) -> str | None:
    """Why a design figure cannot be used, or None: decoded, and a shape found in it."""
    if problem := _image_problem(file):
        return problem
    from matchers.design import silhouette
    from matchers.errors import ImageError, ShapeNotFoundError

    try:
        silhouette(file)
    except ShapeNotFoundError:
        return ("no object stands out of its background; give the registration's drawing "
                "or photo of the product on a plain ground")
    except ImageError as exc:
        return str(exc)
    return None


def _check_designs_and_videos(path: Path, root: yaml.Node | None, registry: Registry) -> None:
    """Every design figure shows a shape and every product video plays; one line per bad file."""
    wanted: list[tuple[tuple[Any, ...], Path, Any]] = []
    for i, design in enumerate(registry.designs):
        wanted += [(("designs", i, "figures", j), f, _figure_problem) for j, f in enumerate(design.figures)]
    for i, product in enumerate(registry.products):
        wanted += [(("products", i, "videos", j), v, _video_problem) for j, v in enumerate(product.videos)]
    bad: list[str] = []
    for loc, file, problem_of in wanted:
        resolved = registry.resolve(file)
        node = _node_at(root, loc)
        where = f"{path}{f':{node.start_mark.line + 1}' if node is not None else ''}: {_field_name(loc)}"
        if not resolved.is_file():
            bad.append(f"{where}: file {file} not found (looked for {resolved}); fix the path, "
                       f"relative to {path.parent or '.'}" if not resolved.exists()
                       else f"{where}: {file} is not a regular file")
        elif problem := problem_of(resolved):
            bad.append(f"{where}: {file}: {problem}")
    if bad:
        raise RegistryError("\n".join(bad))


def _check_files(path: Path, root: yaml.Node | None, registry: Registry) -> None:
    wanted: list[tuple[tuple[Any, ...], Path]] = []
    for i, logo in enumerate(registry.logos):
        wanted.append((("logos", i, "file"), logo.file))
    for i, product in enumerate(registry.products):
        for j, image in enumerate(product.images):
            wanted.append((("products", i, "images", j), image))
    for i, other in enumerate(registry.copyrighted_images):
        wanted.append((("copyrighted_images", i, "file"), other.file))
    images = len(wanted)
    texts_from = len(wanted)
    for i, entry in enumerate(registry.copy_texts):
        if entry.file is not None:
            wanted.append((("copy", i, "file"), entry.file))
    texts_to = len(wanted)
    if registry.agent and registry.agent.authorisation_letter:
        wanted.append((("agent", "authorisation_letter"), registry.agent.authorisation_letter))
    bad: list[str] = []
    for n, (loc, file) in enumerate(wanted):
        resolved = registry.resolve(file)
        node = _node_at(root, loc)
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        if not resolved.is_file() and resolved.exists():
            bad.append(f"{path}{line}: {_field_name(loc)}: {file} is not a regular file; give an image file")
        elif not resolved.is_file():
            raise RegistryError(
                f"{path}{line}: {_field_name(loc)}: file {file} not found "
                f"(looked for {resolved}); fix the path, relative to {path.parent or '.'}"
            )
        elif n < images and (problem := _image_problem(resolved)):
            bad.append(f"{path}{line}: {_field_name(loc)}: {file}: {problem}")
        elif texts_from <= n < texts_to and (problem := _text_problem(resolved)):
            bad.append(f"{path}{line}: {_field_name(loc)}: {file}: {problem}")
    if bad:
        # One line per unusable file, so every one of them is fixed in one go.
        raise RegistryError("\n".join(bad))
