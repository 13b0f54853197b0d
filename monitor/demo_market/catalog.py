"""The demo marketplace's catalog: a deterministic mix of genuine, resale, counterfeit, accessory
and unrelated listings for the demo brand across three storefronts. Every listing carries the
truth (infringing or not, and why), so a demo run can score itself."""

from __future__ import annotations

import math
import random
import re
import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from monitor.demo_market.images import DRAWN_KINDS, ImageRecipe, brand_hue as _brand_hue
from monitor.errors import RegistryError

__all__ = [
    "CATEGORIES",
    "Catalog",
    "DemoListing",
    "ListingExtras",
    "PLATFORMS",
    "SMALL_SCALE",
    "STORES",
    "build_catalog",
    "default_brand_dir",
    "slug",
]

PLATFORMS = ("bazaar", "shoply", "shopstores")
CATEGORIES = ("genuine", "resale", "counterfeit", "compatible-accessory", "unrelated")

# Shopify-style stores: slug -> (display name, currency of every price in the store)
STORES: dict[str, tuple[str, str]] = {
    "alpine-deals": ("Alpine Deals", "USD"),
    "norvik-official": ("Norvik Official", "EUR"),
    "urban-trek": ("Urban Trek", "GBP"),
}

# How many listings of each category each storefront carries: 330 in all.
_PLAN: dict[tuple[str, str | None], dict[str, int]] = {
    ("bazaar", None): {"genuine": 20, "resale": 12, "counterfeit": 62, "compatible-accessory": 12, "unrelated": 44},
    ("shoply", None): {"genuine": 12, "resale": 8, "counterfeit": 36, "compatible-accessory": 7, "unrelated": 27},
    ("shopstores", "alpine-deals"): {"resale": 3, "counterfeit": 17, "compatible-accessory": 4, "unrelated": 12},
    ("shopstores", "urban-trek"): {"resale": 3, "counterfeit": 16, "compatible-accessory": 4, "unrelated": 13},
    ("shopstores", "norvik-official"): {"genuine": 18},
}

# What each marketplace's search term finds: the hidden backend keywords given to listings.
_WATCH_TERMS = {
    "bazaar": ("norvik", "trailforge", "parka", "hiking boots", "backpack"),
    "shoply": ("norvik", "trailforge", "outdoor"),
}


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class DemoListing:
    """One listing as the marketplace shows it, plus the truth about it."""

    platform: str            # "bazaar" | "shoply" | "shopstores"
    listing_id: str          # "BZ-100123", "SP-200045", or a Shopify numeric product id
    store: str | None        # shopstores: the store slug; else None
    seller: str              # seller display name (shopstores: the store slug)
    title: str
    description: str
    price: Decimal
    currency: str            # ISO 4217
    images: tuple[str, ...]  # paths on the market, main first: "/img/BZ-100123/0.jpg"
    sku: str | None
    availability: str        # "InStock" | "OutOfStock"
    infringing: bool         # the truth
    why: tuple[str, ...]     # the truth's reasons: ("homoglyph-mark", "low-price"), ("genuine",), ...
    product_sku: str | None  # which brand product it imitates or sells, if any


@dataclass(frozen=True, slots=True)
class ListingExtras:
    """What the market knows about a listing but does not show as listing fields."""

    category: str                          # one of CATEGORIES
    keywords: frozenset[str]               # the hidden backend search index
    image_recipes: tuple[ImageRecipe, ...]  # how /img/<id>/<n>.jpg is drawn, by n
    quirks: frozenset[str] = frozenset()   # "script-title", "huge-description", "odd-unicode",
                                           # "http-500-once", "corrupt-image"
    handle: str | None = None              # shopstores: the product handle
    product_type: str = ""
    created_at: str = ""                   # ISO 8601, UTC
    variants: tuple[str, ...] = ("Default Title",)
    # /video/<id>/0.mp4: "asset:bottle.jpg" re-films the brand's photo (a copy of its video),
    # a drawn kind the seller's own product; None: the listing has no video.
    video: str | None = None


@dataclass(frozen=True)
class Catalog:
    """Every listing of the demo market, in a stable order, with what each storefront needs."""

    listings: tuple[DemoListing, ...]
    extras: Mapping[tuple[str, str], ListingExtras] = field(default_factory=dict, hash=False)
    brand_dir: Path | None = field(default=None, compare=False)

    def by_key(self) -> dict[tuple[str, str], DemoListing]:
        return dict(self._index)

    def truth(self) -> dict[tuple[str, str], bool]:
        return {key: listing.infringing for key, listing in self._index.items()}

    def extra(self, listing: DemoListing) -> ListingExtras:
        return self.extras[(listing.platform, listing.listing_id)]

    def on(self, platform: str, store: str | None = None) -> tuple[DemoListing, ...]:
        """The listings of one storefront, in catalog order."""
        return tuple(x for x in self.listings if x.platform == platform and (store is None or x.store == store))

    def find(self, listing_id: str) -> DemoListing | None:
        """A listing by its id alone (ids are unique across platforms)."""
        return self._by_id.get(listing_id)

    @cached_property
    def _index(self) -> dict[tuple[str, str], DemoListing]:
        return {(x.platform, x.listing_id): x for x in self.listings}

    @cached_property
    def _by_id(self) -> dict[str, DemoListing]:
        return {x.listing_id: x for x in self.listings}


# --------------------------------------------------------------------------------------------
# The brand, as far as the catalog needs it


@dataclass(frozen=True, slots=True)
class _Product:
    name: str
    sku: str
    msrp_eur: Decimal
    kind: str      # the drawing kind, from the asset file name: "parka", "boot", ...
    asset: str     # the asset file name: "parka.jpg"


@dataclass(frozen=True, slots=True)
class _Brand:
    mark: str
    aliases: tuple[str, ...]
    products: tuple[_Product, ...]
    authorised: dict[str, tuple[str, ...]]
    allowlisted_sellers: tuple[str, ...]
    rates: dict[str, Decimal]
    lookbook: str | None   # a copyrighted brand photo (file name in assets/) that fakes also steal


def default_brand_dir() -> Path:
    """examples/demo-brand in a source checkout; the copy a wheel carries in the package."""
    source = Path(__file__).resolve().parents[2] / "examples" / "demo-brand"
    return source if (source / "brand.yaml").is_file() else Path(__file__).resolve().parent / "brand"


def _load_brand(brand_dir: Path) -> _Brand:
    path = brand_dir / "brand.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot be read ({exc.strerror}); pass the folder that holds brand.yaml") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: is not valid YAML ({exc}); fix the syntax") from exc
    try:
        rates = {k: Decimal(str(v)) for k, v in (data.get("settings", {}).get("currency_rates") or {"EUR": 1}).items()}
        products = []
        for entry in data["products"]:
            msrp = entry["msrp"]
            eur = Decimal(str(msrp["amount"])) / rates[msrp.get("currency", "EUR")]
            asset = Path(entry["images"][0]).name
            if not (brand_dir / "assets" / asset).is_file():
                raise RegistryError(f"{path}: products[{len(products)}].images[0] names {entry['images'][0]}, "
                                    f"which is not in {brand_dir / 'assets'}; draw the demo assets with "
                                    "monitor.demo_market.make_brand_assets or fix the path")
            products.append(_Product(entry["name"], entry["sku"], eur, Path(asset).stem, asset))
        mark = data["marks"][0]
        photos = [Path(c["file"]).name for c in data.get("copyrighted_images") or ()]
        lookbook = next((p for p in photos if (brand_dir / "assets" / p).is_file()), None)
        return _Brand(
            mark=mark["text"],
            aliases=tuple(mark.get("aliases") or ()),
            products=tuple(products),
            authorised={k: tuple(v) for k, v in (data.get("authorised_sellers") or {}).items()},
            allowlisted_sellers=tuple((data.get("allowlist") or {}).get("sellers") or ()),
            rates=rates,
            lookbook=lookbook,
        )
    except (KeyError, IndexError, TypeError, AttributeError, ArithmeticError) as exc:
        raise RegistryError(
            f"{path}: the demo market needs marks[0].text, products[].name/sku/msrp/images and "
            f"settings.currency_rates for every msrp currency; missing or malformed: {exc!r}"
        ) from exc


# --------------------------------------------------------------------------------------------
# Words

_KIND_TEXT: dict[str, dict[str, Any]] = {
    "parka": {
        "noun": "Parka", "cn": "户外冲锋衣", "bz": {"parka"}, "ptype": "Jackets",
        "generic": ["Men's Waterproof Winter Parka Hooded Jacket", "Women's Hooded Winter Parka Faux Fur Trim",
                    "Arctic Expedition Parka Windproof Warm Coat", "Waterproof Insulated Parka Jacket with Hood"],
        "features": ["20,000 mm waterproof membrane", "fully taped seams", "removable faux-fur hood trim",
                     "two-way front zip", "recycled synthetic insulation", "fleece-lined hand pockets"],
        "variants": ("S", "M", "L", "XL"),
    },
    "boot": {
        "noun": "Hiking Boot", "cn": "登山靴", "bz": {"hiking boots"}, "ptype": "Footwear",
        "generic": ["Men's Leather Hiking Boots Waterproof Trekking Shoes", "Mid Cut Waterproof Hiking Boots Vibram Style Sole",
                    "Women's Trekking Boots Nubuck Leather", "Outdoor Mountain Boots Anti-Slip"],
        "features": ["full-grain nubuck upper", "waterproof breathable lining", "lugged rubber outsole",
                     "shock-absorbing EVA midsole", "speed-lace hooks"],
        "variants": ("EU 40", "EU 41", "EU 42", "EU 43", "EU 44", "EU 45"),
    },
    "backpack": {
        "noun": "Backpack", "cn": "登山背包", "bz": {"backpack"}, "ptype": "Backpacks",
        "generic": ["40L Hiking Backpack Rucksack with Hip Belt", "Trekking Rucksack 40 Litre Waterproof",
                    "Outdoor Daypack Travel Backpack Large", "Mountaineering Backpack with Rain Cover"],
        "features": ["40 litre main compartment", "padded hip belt with pockets", "adjustable back system",
                     "hydration sleeve", "lid pocket with key clip"],
        "variants": ("Default Title",),
    },
    "down-jacket": {
        "noun": "Down Jacket", "cn": "羽绒服", "bz": {"parka"}, "ptype": "Jackets",
        "generic": ["Ultralight Puffer Down Jacket Men Winter", "Packable Down Jacket Women Quilted",
                    "800 Fill Goose Down Puffer Coat", "Lightweight Quilted Down Jacket Stand Collar"],
        "features": ["800-fill responsibly sourced down", "packs into its own pocket", "water-repellent shell",
                     "stand-up collar", "elasticated cuffs"],
        "variants": ("S", "M", "L", "XL"),
    },
    "bottle": {
        "noun": "Insulated Bottle", "cn": "保温杯", "bz": {"backpack"}, "ptype": "Drinkware",
        "generic": ["Vacuum Insulated Water Bottle 750ml Stainless Steel", "Double Wall Thermos Flask Leakproof",
                    "Insulated Sports Bottle Keeps Cold 24h"],
        "features": ["double-wall vacuum insulation", "18/8 stainless steel", "leakproof cap with loop",
                     "keeps drinks hot 12 h, cold 24 h"],
        "variants": ("Default Title",),
    },
    "tent": {
        "noun": "Tent", "cn": "帐篷", "bz": {"backpack"}, "ptype": "Tents",
        "generic": ["2 Person Backpacking Tent Waterproof Dome", "Lightweight 3 Season Camping Tent 2 Man",
                    "Ultralight Trekking Tent with Vestibule"],
        "features": ["2-person inner with two doors", "aluminium poles", "3000 mm flysheet",
                     "weighs 1.9 kg", "pitches fly-first in the rain"],
        "variants": ("Default Title",),
    },
}

_COLOURS = ["Black", "Forest Green", "Navy", "Graphite", "Red", "Sand", "Olive", "Charcoal", "Ocean Blue", "Rust"]
_CONDITIONS = ["pre-owned, worn twice", "used, good condition", "unworn with tags", "gift, never used",
               "lightly used", "second hand, like new"]
_REPLICA = ["1:1 replica", "AAA quality", "mirror quality", "高仿", "réplica", "top replica", "1:1 mirror copy"]

_HOMOGLYPHS = {"o": "о", "a": "а", "e": "е", "i": "і", "N": "Ν", "k": "к", "r": "г", "T": "Т", "p": "р",
               "c": "с", "v": "ν", "l": "ӏ", "O": "О", "K": "К", "I": "І"}
_LEET = {"o": "0", "O": "0", "i": "1", "I": "1", "e": "3", "E": "3", "a": "4", "A": "4", "t": "7", "s": "5"}
_MISSPELL = {
    "Norvik": ["Norvick", "Norivk", "Norvikk", "Nrvik", "Norwik", "Norvic", "Nordvik"],
    "Trailforge": ["Trailforg", "Trialforge", "Trailfroge", "Trailforje", "Traiforge"],
}
_GLUE = ["{m}Style", "{m}Outdoor", "{m}wear", "Super{m}", "{m}X", "{m}Pro"]
_DISGUISES = ("homoglyph", "styled", "leetspeak", "spaced", "misspelled", "transliterated", "glued")


def _styled(text: str, rng: random.Random) -> str:
    style = rng.choice(["bold", "fullwidth", "sans-bold", "script"])
    out = []
    for ch in text.upper() if style != "script" else text:
        if not ch.isascii() or not ch.isalpha():
            out.append(ch)
        elif style == "fullwidth":
            out.append(chr(ord(ch) - 0x21 + 0xFF01))
        else:
            base = {"bold": 0x1D400, "sans-bold": 0x1D5D4, "script": 0x1D4D0}[style]  # script = bold script
            offset = ord(ch) - ord("A") if ch.isupper() else 26 + ord(ch) - ord("a")
            out.append(chr(base + offset))
    return "".join(out)


def _disguise(mark: str, how: str, brand: _Brand, rng: random.Random) -> str:
    if how == "homoglyph":
        positions = [i for i, ch in enumerate(mark) if ch in _HOMOGLYPHS]
        chosen = set(rng.sample(positions, k=min(len(positions), rng.choice([1, 1, 2]))))
        return "".join(_HOMOGLYPHS[ch] if i in chosen else ch for i, ch in enumerate(mark))
    if how == "styled":
        return _styled(mark, rng)
    if how == "leetspeak":
        text = mark.upper() if rng.random() < 0.5 else mark
        out = "".join(_LEET.get(ch, ch) for ch in text)
        return out if out != text else text.replace(text[-1], "1")
    if how == "spaced":
        sep = rng.choice([" ", ".", "-", " . "])
        return sep.join(mark.upper() if rng.random() < 0.6 else mark)
    if how == "misspelled":
        return rng.choice(_MISSPELL.get(mark, [mark[:-1] + mark[-1] * 2]))
    if how == "transliterated":
        return rng.choice(brand.aliases) if brand.aliases else mark
    if how == "glued":
        return rng.choice(_GLUE).format(m=mark if rng.random() < 0.6 else mark.lower())
    raise ValueError(how)


# --------------------------------------------------------------------------------------------
# Prices


def _money(eur: Decimal, currency: str, brand: _Brand, rng: random.Random) -> Decimal:
    """EUR amount in `currency`, rounded the way shops price things (x.99, x.95, whole 9s)."""
    value = float(eur * brand.rates[currency])
    if currency in ("SEK", "CNY", "JPY"):
        whole = max(9, int(round(value / 10.0)) * 10 - 1 if value > 50 else int(round(value)))
        return Decimal(whole).quantize(Decimal("0.01"))
    cents = rng.choice([Decimal("0.99"), Decimal("0.95"), Decimal("0.00"), Decimal("0.49")])
    whole = math.floor(value)
    if whole < 1:
        return Decimal("0.99")
    return (Decimal(whole) + cents).quantize(Decimal("0.01"))


def _shown_price(draft: _Draft, currency: str, brand: _Brand, rng: random.Random) -> Decimal:
    """The shop-rounded price, unless rounding a cheap item would leave its category's band."""
    price = _money(draft.price_eur, currency, brand, rng)
    if draft.product is None or draft.price_band is None:
        return price
    low, high = (Decimal(b) for b in draft.price_band)
    ratio = price / brand.rates[currency] / draft.product.msrp_eur
    if low <= ratio <= high:
        return price
    return (draft.price_eur * brand.rates[currency]).quantize(Decimal("0.01"))


def _currency(platform: str, store: str | None, category: str, rng: random.Random) -> str:
    if store is not None:
        return STORES[store][1]
    if platform == "bazaar":
        table = [("EUR", 70), ("USD", 10), ("GBP", 8), ("SEK", 7), ("CNY", 5 if category == "counterfeit" else 0)]
    else:
        table = [("EUR", 60), ("USD", 20), ("GBP", 10), ("SEK", 10)]
    codes, weights = zip(*table)
    return rng.choices(codes, weights=weights)[0]


# --------------------------------------------------------------------------------------------
# Sellers

_RESELLERS = ["anna_s_closet", "Second Summit Resale", "fjallmarknad", "GearSwap Nordic", "mountain_mike_sells",
              "Vintage Outdoor Finds", "klädbytet", "TrailReuse"]
_COUNTERFEITERS = ["Guangzhou Outdoor Factory", "BestDeal2026", "TopBrand Outlet Store", "SuperSale_Official",
                   "norvik-outlet-cheap", "Global Gear Wholesale", "HappyShopping88", "Brand Discount Center",
                   "YiwuSportsTrade", "Outdoor Mega Store"]
_ACCESSORY_SELLERS = ["GearFix Parts", "LaceWorks", "PackMod Supplies", "Hydro Caps Co.", "TentPeg Direct"]
_OTHER_SELLERS = ["Fjordline Outfitters", "Kestrel Outdoor", "Alpenglow Gear", "Ridgeway Sports", "Tundra Co.",
                  "Bokhandeln Narvik", "PhotoPro Accessories", "Campfire Supply", "Nordic Wool House"]


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (store handles, seller URLs); may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# --------------------------------------------------------------------------------------------
# The generator


@dataclass(slots=True)
class _Draft:
    """A listing being built; frozen into DemoListing + ListingExtras at the end."""

    category: str
    title: str = ""
    description: str = ""
    seller: str = ""
    price_eur: Decimal = Decimal(0)
    why: tuple[str, ...] = ()
    infringing: bool = False
    product: _Product | None = None
    sku: str | None = None
    recipes: list[ImageRecipe] = field(default_factory=list)
    keywords: set[str] = field(default_factory=set)
    quirks: set[str] = field(default_factory=set)
    kind: str = ""
    product_type: str = ""
    price_band: tuple[str, str] | None = None  # the share of MSRP the shown price must stay within


class _Generator:
    def __init__(self, brand: _Brand, seed: int) -> None:
        self.brand = brand
        self.seed = seed
        self.rng = random.Random(seed)
        self.by_kind = {p.kind: p for p in brand.products}
        self.image_seed = seed * 100_000

    def _next_image_seed(self) -> int:
        self.image_seed += 1
        return self.image_seed

    def _own_photos(self, kind: str, style: str, n: int, hue: float | None = None) -> list[ImageRecipe]:
        return [ImageRecipe("drawn", kind, self._next_image_seed(), style=style, hue=hue) for _ in range(n)]

    def _pick_product(self) -> _Product:
        # counterfeiters copy what sells: parkas and boots far more than bottles
        weights = {"parka": 30, "boot": 25, "backpack": 15, "down-jacket": 15, "bottle": 7, "tent": 8}
        products = list(self.brand.products)
        return self.rng.choices(products, weights=[weights.get(p.kind, 10) for p in products])[0]

    def _brand_keywords(self, product: _Product | None, kind: str) -> set[str]:
        words = {self.brand.mark.lower(), "outdoor"}
        if kind == "boot":
            words.add("trailforge")
        words |= set(_KIND_TEXT.get(kind, {}).get("bz", set()))
        return words

    # -- categories -------------------------------------------------------------------------

    def genuine(self, platform: str, store: str | None) -> _Draft:
        rng = self.rng
        product = self.rng.choice(self.brand.products)
        text = _KIND_TEXT[product.kind]
        sellers = self.brand.authorised.get(platform) or ("Norvik Official Store",)
        seller = store if store else rng.choice(sellers)
        extra = rng.choice([f" – {rng.choice(text['generic'])}", f", {rng.choice(_COLOURS)}", "",
                            f" – Official {text['noun']}"])
        title = f"{product.name}{extra}"
        features = rng.sample(text["features"], k=3)
        description = (f"The {product.name}: {', '.join(features)}. Sold by {seller}, an authorised "
                       f"{self.brand.mark} retailer. Two-year {self.brand.mark} warranty; free returns within 30 days.")
        recipes = [ImageRecipe("asset", product.asset, self._next_image_seed(), ("recompress",))]
        if product.kind == "parka" and rng.random() < 0.5 and self.brand.lookbook:
            recipes.append(ImageRecipe("asset", self.brand.lookbook, self._next_image_seed(), ("recompress",)))
        return _Draft("genuine", title, description, seller, product.msrp_eur * Decimal(str(rng.uniform(0.9, 1.1))),
                      ("genuine",), False, product, product.sku, recipes,
                      self._brand_keywords(product, product.kind), kind=product.kind, product_type=text["ptype"],
                      price_band=("0.85", "1.15"))

    def resale(self, platform: str, store: str | None) -> _Draft:
        rng = self.rng
        product = rng.choice(self.brand.products)
        text = _KIND_TEXT[product.kind]
        seller = store if store else rng.choice(_RESELLERS + list(self.brand.allowlisted_sellers))
        title = rng.choice([f"{product.name} – {rng.choice(_CONDITIONS)}",
                            f"Used {product.name}, {rng.choice(text['variants'])}" if text["variants"][0] != "Default Title"
                            else f"Used {product.name}",
                            f"{product.name} ({rng.choice(_CONDITIONS)})"])
        description = (f"Selling my {product.name}, {rng.choice(_CONDITIONS)}. Bought from the "
                       f"{self.brand.mark} store in {rng.choice(['Stockholm', 'Oslo', 'Göteborg', 'Bergen'])}, "
                       f"receipt available. Smoke-free home, pick-up or shipping.")
        hue = _brand_hue(product.kind)
        # the seller's own photos of the same kind of product, not the brand's photo
        recipes = self._own_photos(product.kind, "home", rng.choice([1, 2, 3]), hue=hue)
        return _Draft("resale", title, description, seller,
                      product.msrp_eur * Decimal(str(rng.uniform(0.72, 0.98))), ("resale",), False, product, None,
                      recipes, self._brand_keywords(product, product.kind), kind=product.kind,
                      product_type=text["ptype"], price_band=("0.70", "1.00"))

    def counterfeit(self, platform: str, store: str | None, profile: str) -> _Draft:
        rng = self.rng
        product = self._pick_product()
        kind = product.kind
        text = _KIND_TEXT[kind]
        seller = store if store else rng.choice(_COUNTERFEITERS)
        why: list[str] = []
        mark_text: str | None = None
        model = product.name.replace(self.brand.mark, "").strip()

        if profile == "photo-only":
            stolen, replica, low = True, False, False
        elif profile == "mark-only":
            stolen, replica, low = False, False, False
        else:
            extras = rng.choice([("stolen",), ("replica",), ("low",), ("stolen", "low"), ("replica", "low"),
                                 ("stolen", "replica"), ("stolen",), ("low",)])
            stolen, replica, low = "stolen" in extras, "replica" in extras, "low" in extras

        if profile != "photo-only":
            target = self.brand.mark
            if kind == "boot" and "Trailforge" in model and rng.random() < 0.4:
                target = "Trailforge"
            if profile == "combo" and rng.random() < 0.3:
                how = "plain"
            else:
                how = rng.choice(_DISGUISES)
            if how == "transliterated" and target != self.brand.mark:
                target = self.brand.mark
            if how == "plain":
                mark_text = target
                why.append("plain-mark")
            else:
                mark_text = _disguise(target, how, self.brand, rng)
                why.append(f"{how}-mark")
            # the model name without any plain mark, so a disguised title does not also carry the real one
            bare_model = model.replace("Trailforge", "").replace("Summit Series", "").strip() or text["noun"]
            if how == "plain" and target == self.brand.mark:
                bare_model = model
            if how == "transliterated":
                title = f"{mark_text} {text['cn']} {rng.choice(text['generic'])}"
            else:
                title = f"{mark_text} {bare_model} {rng.choice(text['generic'])}"
        else:
            title = rng.choice(text["generic"]) + rng.choice(["", " 2026 New", " Free Shipping", f" {rng.choice(_COLOURS)}"])

        if replica:
            wording = rng.choice(_REPLICA)
            title = rng.choice([f"{title} {wording}", f"[{wording}] {title}"])
            why.append("replica-wording")
        if low:
            price = product.msrp_eur * Decimal(str(rng.uniform(0.12, 0.33)))
            why.append("low-price")
        else:
            price = product.msrp_eur * Decimal(str(rng.uniform(0.48, 0.92)))

        recipes: list[ImageRecipe] = []
        if stolen:
            source = product.asset
            if kind in ("parka", "down-jacket") and rng.random() < 0.2 and self.brand.lookbook:
                source = self.brand.lookbook
            transforms = [rng.choice(("resized", "cropped", "padded", "mirrored", "watermarked", "collaged", "rotated"))]
            if rng.random() < 0.3:
                second = rng.choice(("cropped", "mirrored", "watermarked", "padded"))
                if second not in transforms:
                    transforms.append(second)
            recipes.append(ImageRecipe("asset", source, self._next_image_seed(), tuple(transforms)))
            why.extend(f"stolen-photo:{t}" for t in transforms)
            recipes.extend(self._own_photos(kind, "cheap", rng.choice([0, 1, 1, 2])))
            if len(recipes) > 1 and rng.random() < 0.2:
                recipes[0], recipes[1] = recipes[1], recipes[0]  # the stolen photo is not always the main one
        else:
            recipes.extend(self._own_photos(kind, "cheap", rng.choice([1, 2, 3]), hue=_brand_hue(kind)))

        claims = rng.sample(text["features"], k=2)
        lines = [f"{'Top quality' if profile != 'mark-only' else 'Quality'} {text['noun'].lower()}: {', '.join(claims)}."]
        if mark_text:
            lines.append(f"{mark_text} design, {rng.choice(['same as original', 'best seller', 'new season'])}.")
        if replica:
            lines.append(f"{rng.choice(_REPLICA)}, you cannot tell the difference!")
        lines.append(rng.choice(["Fast worldwide shipping.", "Ships from Guangzhou in 48 h.",
                                 "Wholesale welcome, contact us.", "Dropshipping supported."]))
        return _Draft("counterfeit", title, " ".join(lines), seller, price, tuple(why), True, product,
                      rng.choice([None, None, f"{rng.choice('WQXZ')}{rng.choice('JKPT')}-{rng.randrange(1000, 9999)}"]),
                      recipes, self._brand_keywords(product, kind), kind=kind, product_type=text["ptype"],
                      price_band=("0.10", "0.35") if low else ("0.45", "0.95"))

    def accessory(self, platform: str, store: str | None) -> _Draft:
        rng = self.rng
        m = self.brand.mark
        options = [
            (f"Replacement hip belt compatible with {m} Vidde backpacks", "strap", "backpack", 19),
            (f"Shoulder strap pads for {m} Vidde 40 backpack", "strap", "backpack", 14),
            ("Boot laces for Trailforge boots – 150 cm, 2 pairs", "strap", "boot", 7),
            (f"Memory foam insoles for {m} Trailforge hiking boots", "insole", "boot", 16),
            ("Waterproofing wax suitable for Trailforge leather boots", "mug", "boot", 9),
            (f"Silicone sleeve compatible with {m} Kvist bottle", "bottle", "bottle", 8),
            (f"Replacement cap for {m} Kvist Insulated Bottle", "mug", "bottle", 6),
            (f"Footprint groundsheet for {m} Summit Series Tent", "strap", "tent", 29),
            (f"Replacement tent pegs (12) fit {m} tents", "poles", "tent", 11),
            (f"Faux-fur hood trim replacement for {m} Fjell Parka", "beanie", "parka", 15),
            (f"Stuff sack compatible with {m} Isbre down jacket", "beanie", "down-jacket", 12),
        ]
        title, draw_kind, for_kind, eur = rng.choice(options)
        title = title + rng.choice(["", f" – {rng.choice(_COLOURS)}", " (third-party)", ", universal fit"])
        seller = store if store else rng.choice(_ACCESSORY_SELLERS)
        description = (f"{title}. Not an original {m} product; {m} is a trademark of its owner and is used here "
                       f"only to describe compatibility. Made by {rng.choice(_ACCESSORY_SELLERS)}.")
        keywords = self._brand_keywords(None, for_kind)
        return _Draft("compatible-accessory", title, description, seller,
                      Decimal(eur) * Decimal(str(rng.uniform(0.8, 1.3))), ("compatible-accessory",), False, None,
                      f"ACC-{rng.randrange(10000, 99999)}", self._own_photos(draw_kind, "studio", rng.choice([1, 2])),
                      keywords, kind=draw_kind, product_type="Accessories")

    _UNRELATED = [
        # (title, drawing kind, bazaar terms, base price EUR, product type)
        ("Narvik city travel guide – Lofoten & Ofoten", "book", {"norvik"}, 24, "Books"),
        ("Narvik 1940: the battle for the ore port (paperback)", "book", {"norvik"}, 18, "Books"),
        ("Nordic Trail Parka – hooded winter jacket", "parka", {"parka"}, 129, "Jackets"),
        ("Fjordline Expedition Parka", "parka", {"parka"}, 189, "Jackets"),
        ("Summit ridge trekking poles, carbon, pair", "poles", {"backpack", "hiking boots"}, 59, "Poles"),
        ("Nikon camera strap, padded neoprene", "strap", {"norvik", "backpack"}, 22, "Camera accessories"),
        ("Ridgeline waterproof hiking boots", "boot", {"hiking boots"}, 119, "Footwear"),
        ("Kestrel Mid GTX trekking boots", "boot", {"hiking boots"}, 149, "Footwear"),
        ("Trail running shoes, lightweight", "boot", {"hiking boots"}, 89, "Footwear"),
        ("Alpenglow 30L daypack", "backpack", {"backpack"}, 69, "Backpacks"),
        ("Urban laptop backpack 20L", "backpack", {"backpack"}, 49, "Backpacks"),
        ("Summit 35 hiking backpack", "backpack", {"backpack"}, 79, "Backpacks"),
        ("Tundra Co. puffer vest", "down-jacket", {"parka"}, 69, "Jackets"),
        ("Packable down jacket, women's", "down-jacket", {"parka"}, 99, "Jackets"),
        ("Stainless steel water bottle 750 ml", "bottle", {"backpack"}, 19, "Drinkware"),
        ("Enamel camping mug 350 ml", "mug", {"backpack"}, 12, "Drinkware"),
        ("Rechargeable headlamp 400 lumen", "lamp", {"backpack"}, 34, "Lighting"),
        ("Merino wool beanie", "beanie", {"parka"}, 25, "Hats"),
        ("Nordkapp wool beanie with pompom", "beanie", {"parka"}, 29, "Hats"),
        ("2 person dome tent, 3 season", "tent", {"backpack"}, 139, "Tents"),
        ("Trekking socks, 3 pairs", "insole", {"hiking boots"}, 19, "Socks"),
        ("Gel insoles for hiking boots", "insole", {"hiking boots"}, 15, "Footwear accessories"),
        ("Forge & Anvil leather boot polish", "mug", {"hiking boots"}, 11, "Footwear accessories"),
        ("Norse mythology illustrated atlas", "book", {"norvik"}, 32, "Books"),
    ]

    def unrelated(self, platform: str, store: str | None) -> _Draft:
        rng = self.rng
        title, kind, terms, eur, ptype = rng.choice(self._UNRELATED)
        title = title + rng.choice(["", f" – {rng.choice(_COLOURS)}", f", {rng.choice(['S', 'M', 'L', 'one size'])}",
                                    " (2026 model)", " – free shipping"])
        seller = store if store else rng.choice(_OTHER_SELLERS)
        description = (f"{title}. {rng.choice(['Great for weekend trips.', 'Built to last.', 'Our best seller.', 'New in box.'])} "
                       f"Ships in {rng.randrange(1, 6)} working days.")
        keywords = set(terms) | {"outdoor"}
        return _Draft("unrelated", title, description, seller, Decimal(eur) * Decimal(str(rng.uniform(0.8, 1.2))),
                      ("unrelated",), False, None, rng.choice([None, f"{slug(seller)[:4].upper()}-{rng.randrange(100, 999)}"]),
                      self._own_photos(kind, rng.choice(["studio", "cheap"]), rng.choice([1, 2, 3])), keywords,
                      kind=kind, product_type=ptype)


def _gallery(drafts: dict[tuple[str, str | None], list[_Draft]], photos: int, seed: int) -> None:
    """Grow each listing's gallery to `photos`: the seller's further shots of the same goods
    (another angle, distance and background; no logo, no copied photo), as real listings
    show five or more where the demo's show one to four. The last added one is the seller's
    stock shot of that kind of goods, the same photo on each of its listings of that kind
    (sellers reuse their photos). Drawn from their own seeds, so the listings, their first
    photos and the market's truth are the same as without them."""
    next_seed = 1_000_000_000 + seed * 1_000_000
    for items in drafts.values():
        for d in items:
            if d.kind not in DRAWN_KINDS or any(r.kind == "corrupt" for r in d.recipes):
                continue
            own = next((r for r in d.recipes if r.kind == "drawn"), None)
            style = own.style if own is not None else "studio"
            hue = own.hue if own is not None else _brand_hue(d.kind)
            added = photos - len(d.recipes)
            for n in range(added):
                if n == added - 1 and added >= 2:
                    shot = f"{seed}/{d.seller}/{d.kind}/{style}/{hue}".encode()
                    stock = 2_000_000_000 + zlib.crc32(shot) % 100_000_000
                    d.recipes.append(ImageRecipe("drawn", d.kind, stock, style=style, hue=hue))
                else:
                    next_seed += 1
                    d.recipes.append(ImageRecipe("drawn", d.kind, next_seed, style=style, hue=hue))


def _counterfeit_profiles(n: int, rng: random.Random) -> list[str]:
    photo_only = max(1, round(n * 0.15))
    mark_only = max(1, round(n * 0.08))
    profiles = ["photo-only"] * photo_only + ["mark-only"] * mark_only + ["combo"] * (n - photo_only - mark_only)
    rng.shuffle(profiles)
    return profiles


def _pick(drafts: list[_Draft], *preds: Any) -> _Draft:
    """The first draft meeting the first predicate that any draft meets."""
    for pred in preds:
        for d in drafts:
            if pred(d) and not d.quirks:
                return d
    raise AssertionError("the catalog plan leaves no listing for a hostile case")


def _add_hostile(drafts: dict[tuple[str, str | None], list[_Draft]]) -> None:
    """The few listings that test a crawler's manners: markup, size, Unicode, flaky pages, bad bytes."""
    bazaar = drafts[("bazaar", None)]
    shoply = drafts[("shoply", None)]

    fake = _pick(bazaar, lambda d: d.category == "counterfeit" and "plain-mark" in d.why,
                 lambda d: d.category == "counterfeit")
    fake.title = f"<script>alert(1)</script> {fake.title}"
    fake.description = f'{fake.description} <img src=x onerror="alert(2)"> <b>bold claims</b>'
    fake.quirks.add("script-title")

    big = _pick(bazaar, lambda d: d.category == "unrelated")
    paragraph = (f"{big.title}. Specifications, care instructions, our story and twelve years of customer reviews "
                 "follow. Every product is inspected by hand before it ships. ")
    big.description = (paragraph * (300_000 // len(paragraph) + 1))[:300_000]
    big.quirks.add("huge-description")

    odd = _pick(shoply, lambda d: d.category == "counterfeit" and "low-price" in d.why,
                lambda d: d.category == "counterfeit")
    # zero-width characters inside the mark, an RTL override and emoji around it
    odd.title = f"\u200f🔥🔥 N\u200bor\u200dvik\u2060 {odd.title} \u202eakraP\u202c ✨\ufe0f"
    odd.why = tuple(dict.fromkeys(("zero-width-mark",) + odd.why))
    odd.quirks.add("odd-unicode")

    rtl = _pick(shoply, lambda d: d.category == "unrelated")
    rtl.title = "حقيبة ظهر للمشي 40 لتر 🎒 \u200f(Hiking backpack 40 L)"
    rtl.quirks.add("odd-unicode")

    flaky = _pick(bazaar, lambda d: d.category == "genuine")
    flaky.quirks.add("http-500-once")

    broken = _pick(shoply, lambda d: d.category == "unrelated")
    first = broken.recipes[0]
    broken.recipes[0] = ImageRecipe("corrupt", first.source, first.seed, style=first.style, hue=first.hue)
    broken.quirks.add("corrupt-image")


# The small catalogue keeps every category, storefront and hostile listing, at a third of the
# size: a quick look, and the end-to-end test on a loaded machine.
SMALL_SCALE = 1 / 3


def build_catalog(brand_dir: Path | None = None, *, seed: int = 7, scale: float = 1.0,
                  photos: int = 0) -> Catalog:
    """Build the demo catalog for the brand in `brand_dir`; the same seed always gives the same
    catalog. `scale` shrinks every storefront's plan (each category keeps at least one listing),
    or grows it for the scale benchmark (bench/daily_scale.py). `photos`: each listing of a
    storefront shows at least that many photos (see _gallery); 0 keeps the demo's 1 to 4."""
    if not 0 < scale <= 100:
        raise ValueError(f"scale must be in (0, 100], not {scale}")
    if not 0 <= photos <= 12:
        raise ValueError(f"photos must be in [0, 12], not {photos}")
    brand_dir = Path(brand_dir) if brand_dir is not None else default_brand_dir()
    brand = _load_brand(brand_dir)
    gen = _Generator(brand, seed)
    rng = gen.rng

    drafts: dict[tuple[str, str | None], list[_Draft]] = {}
    for (platform, store), full_plan in _PLAN.items():
        plan = {cat: max(1, round(n * scale)) if n else 0 for cat, n in full_plan.items()}
        slots: list[str] = [cat for cat, n in plan.items() for _ in range(n)]
        rng.shuffle(slots)
        profiles = _counterfeit_profiles(plan.get("counterfeit", 0), rng)
        out: list[_Draft] = []
        for cat in slots:
            if cat == "genuine":
                out.append(gen.genuine(platform, store))
            elif cat == "resale":
                out.append(gen.resale(platform, store))
            elif cat == "counterfeit":
                out.append(gen.counterfeit(platform, store, profiles.pop()))
            elif cat == "compatible-accessory":
                out.append(gen.accessory(platform, store))
            else:
                out.append(gen.unrelated(platform, store))
        drafts[(platform, store)] = out
    _add_hostile(drafts)
    if photos:
        _gallery(drafts, photos, seed)

    listings: list[DemoListing] = []
    extras: dict[tuple[str, str], ListingExtras] = {}
    next_id = {"bazaar": 100_000 + rng.randrange(100, 900), "shoply": 200_000 + rng.randrange(10, 90),
               "shopstores": 8_012_345_000_000 + rng.randrange(1000, 9000)}
    for (platform, store), items in drafts.items():
        handles: set[str] = set()
        for d in items:
            next_id[platform] += rng.randrange(1, 60) if platform != "shopstores" else rng.randrange(1000, 90_000)
            number = next_id[platform]
            listing_id = {"bazaar": f"BZ-{number}", "shoply": f"SP-{number}"}.get(platform, str(number))
            currency = _currency(platform, store, d.category, rng)
            keywords = _searchable(platform, d.keywords)
            handle = None
            if platform == "shopstores":
                handle = slug(d.title)[:60].strip("-") or f"product-{listing_id}"
                while handle in handles:
                    handle = f"{handle}-{rng.randrange(2, 99)}"
                handles.add(handle)
            text = _KIND_TEXT.get(d.kind)
            listings.append(DemoListing(
                platform=platform,
                listing_id=listing_id,
                store=store,
                seller=d.seller,
                title=d.title,
                description=d.description,
                price=_shown_price(d, currency, brand, rng),
                currency=currency,
                images=tuple(f"/img/{listing_id}/{n}.jpg" for n in range(len(d.recipes))),
                sku=d.sku,
                availability="OutOfStock" if rng.random() < 0.08 else "InStock",
                infringing=d.infringing,
                why=d.why,
                product_sku=d.product.sku if d.product is not None and d.category != "compatible-accessory" else None,
            ))
            extras[(platform, listing_id)] = ListingExtras(
                category=d.category,
                keywords=frozenset(keywords),
                image_recipes=tuple(d.recipes),
                quirks=frozenset(d.quirks),
                handle=handle,
                product_type=d.product_type,
                created_at=f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}T{rng.randrange(6, 22):02d}:"
                           f"{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
                variants=tuple(text["variants"]) if text and d.category in ("genuine", "counterfeit", "resale")
                and d.kind in _KIND_TEXT else ("Default Title",),
            )
    _add_other_rights(brand, gen, seed, next_id, listings, extras)
    _add_design_listings(seed, next_id, listings, extras)
    _add_video_listings(seed, next_id, listings, extras)
    return Catalog(listings=tuple(listings), extras=extras, brand_dir=brand_dir)


# --------------------------------------------------------------------------------------------
# Rights beside the mark (issue 15): listings meeting the brand's patent claim or copying its
# product copy, with no mark at all, and close ones that do neither. Appended after the rest,
# from their own random stream, so the listings above are the same as without them.

_KVIST_COPY = ("Kvist keeps your coffee steaming through a dawn start at the trailhead and your water "
               "ice cold on the long climb home. The bottle is turned from a single sheet of surgical "
               "grade steel, wrapped in a matte powder finish that grips in wet gloves, and closed with "
               "a cap that opens with one hand and never drips in the pack.")
# (platform, seller, title, description, EUR price, infringing, why)
_OTHER_RIGHTS = (
    ("bazaar", "Kestrel Outdoor", "Smart tea bottle 500 ml with temperature display",
     "Vacuum insulated steel bottle with a removable tea infuser basket and a magnetic lid that snaps "
     "shut. Keeps tea hot for 12 hours.", "24.90", True, ("patent-claim",)),
    ("shoply", "Tundra Co.", "Tea flask with LED temperature lid and infuser",
     "Double walled flask. The infuser basket lifts out for loose leaf tea; the magnetic cap closes "
     "with a click.", "27.50", True, ("patent-claim",)),
    ("bazaar", "Alpenglow Gear", "Vacuum insulated tea bottle with tea strainer",
     "Double walled steel bottle with a tea strainer and a screw cap. Keeps drinks hot for 12 hours.",
     "21.00", False, ("unrelated",)),
    ("bazaar", "Ridgeway Sports", "Insulated steel bottle 750 ml",
     "Our bottle keeps your coffee steaming through a dawn start at the trailhead and your water ice "
     "cold on the long climb home. " + _KVIST_COPY.split(". ", 1)[1], "22.00", True, ("copied-text",)),
    ("shoply", "Fjordline Outfitters", "Trail bottle, keeps drinks cold",
     "Great for hiking! " + _KVIST_COPY + " Free shipping.", "19.90", True, ("copied-text",)),
    ("shoply", "Kestrel Outdoor", "Steel trail bottle, one-hand cap",
     "Keeps coffee hot on an early start and water cold on the way home. Matte coated steel that "
     "grips well with gloves; the cap opens with one hand and does not leak.", "18.50", False, ("unrelated",)),
)


def _add_other_rights(brand: _Brand, gen: _Generator, seed: int, next_id: dict[str, int],
                      listings: list[DemoListing], extras: dict[tuple[str, str], ListingExtras]) -> None:
    rng = random.Random(seed * 1_000_003 + 15)
    bottle = next((p for p in brand.products if p.kind == "bottle"), None)
    for platform, seller, title, description, eur, infringing, why in _OTHER_RIGHTS:
        next_id[platform] += rng.randrange(1, 60)
        listing_id = {"bazaar": "BZ-", "shoply": "SP-"}[platform] + str(next_id[platform])
        listings.append(DemoListing(
            platform=platform, listing_id=listing_id, store=None, seller=seller, title=title,
            description=description, price=Decimal(eur), currency="EUR",
            images=tuple(f"/img/{listing_id}/{n}.jpg" for n in range(2)), sku=None, availability="InStock",
            infringing=infringing, why=why, product_sku=bottle.sku if infringing and bottle else None))
        extras[(platform, listing_id)] = ListingExtras(
            category="counterfeit" if infringing else "unrelated",
            keywords=frozenset(_searchable(platform, {"bottle", "flask", "tea", "outdoor"})),
            image_recipes=tuple(gen._own_photos("bottle", "cheap", 2)), product_type="Drinkware",
            created_at=f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}T10:00:00Z")


# --------------------------------------------------------------------------------------------
# A registered design (issue 15): hatchets of the brand's registered Hogg shape sold without
# any mark, and other makers' hatchets of other proportions that are not that design. Appended
# last, from their own random stream, so every listing above stays as it was.

# (platform, seller, title, description, EUR price, shape, infringing)
_DESIGN_LISTINGS = (
    ("bazaar", "Guangzhou Outdoor Factory", "Camp hatchet 38 cm, forged steel head",
     "Bearded head with a long toe and a hooked handle knob. Great for splitting kindling.", "14.90",
     "hatchet", True),
    ("shoply", "BestDeal2026", "Bushcraft axe with curved wooden handle",
     "Forged head, hickory handle with hooked end. Ships in 2 days.", "12.50", "hatchet", True),
    ("bazaar", "Kestrel Outdoor", "Splitting hatchet with broad bearded head",
     "Our own broad-bit hatchet: a deep beard for clean splits.", "29.00", "hatchet-broad", False),
    ("shoply", "Ridgeway Sports", "Long camp axe 55 cm",
     "A slim head on a long straight handle for two-handed work.", "34.00", "hatchet-long", False),
)


def _add_design_listings(seed: int, next_id: dict[str, int], listings: list[DemoListing],
                         extras: dict[tuple[str, str], ListingExtras]) -> None:
    rng = random.Random(seed * 1_000_003 + 1515)
    for platform, seller, title, description, eur, shape, infringing in _DESIGN_LISTINGS:
        next_id[platform] += rng.randrange(1, 60)
        listing_id = {"bazaar": "BZ-", "shoply": "SP-"}[platform] + str(next_id[platform])
        listings.append(DemoListing(
            platform=platform, listing_id=listing_id, store=None, seller=seller, title=title,
            description=description, price=Decimal(eur), currency="EUR",
            images=(f"/img/{listing_id}/0.jpg",), sku=None, availability="InStock",
            infringing=infringing, why=("registered-design",) if infringing else ("unrelated",), product_sku=None))
        extras[(platform, listing_id)] = ListingExtras(
            category="counterfeit" if infringing else "unrelated",
            keywords=frozenset(_searchable(platform, {"hatchet", "axe", "outdoor"})),
            image_recipes=(ImageRecipe("design", shape, rng.randrange(10**6)),), product_type="Tools",
            created_at=f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}T10:00:00Z")


# Product videos (issue 15): a seller's unbranded bottle listing whose video copies the
# brand's own product video, and one whose video shows the seller's own bottle. Appended last,
# from their own random stream, so every listing above stays as it was.

# (platform, seller, title, description, EUR price, video source, infringing)
_VIDEO_LISTINGS = (
    ("bazaar", "HappyShopping88", "Insulated steel flask 500 ml, keeps drinks hot 12 h",
     "Double wall flask with a leak-proof lid. Watch the video!", "11.90", "asset:bottle.jpg", True),
    ("bazaar", "Fjordkit Supplies", "Vacuum flask 750 ml, brushed steel",
     "Our own flask, filmed in our studio. Leak-proof lid.", "19.00", "bottle", False),
)


def _add_video_listings(seed: int, next_id: dict[str, int], listings: list[DemoListing],
                        extras: dict[tuple[str, str], ListingExtras]) -> None:
    rng = random.Random(seed * 1_000_003 + 2727)
    for platform, seller, title, description, eur, video, infringing in _VIDEO_LISTINGS:
        next_id[platform] += rng.randrange(1, 60)
        listing_id = "BZ-" + str(next_id[platform])
        listings.append(DemoListing(
            platform=platform, listing_id=listing_id, store=None, seller=seller, title=title,
            description=description, price=Decimal(eur), currency="EUR",
            images=(f"/img/{listing_id}/0.jpg",), sku=None, availability="InStock",
            infringing=infringing, why=("copied-video",) if infringing else ("unrelated",), product_sku=None))
        extras[(platform, listing_id)] = ListingExtras(
            category="counterfeit" if infringing else "unrelated",
            keywords=frozenset(_searchable(platform, {"bottle", "flask", "outdoor"})),
            image_recipes=(ImageRecipe("drawn", "bottle", rng.randrange(10**6), style="cheap"),),
            product_type="Drinkware", video=video,
            created_at=f"2026-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}T10:00:00Z")


def _searchable(platform: str, keywords: set[str]) -> set[str]:
    """The hidden keyword set, made sure to contain at least one of the platform's watch terms."""
    terms = _WATCH_TERMS.get(platform)
    words = set(keywords)
    if terms and not words & set(terms):
        words.add("outdoor" if "outdoor" in terms else terms[0])
    return words
