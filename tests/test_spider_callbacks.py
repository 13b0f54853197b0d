"""Scrapy's own check that a generator callback returns no value is off in our settings (it
re-parses the callback's source on every response); this test makes that check instead, once,
for every generator method of our spiders."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import scrapy
from scrapy.utils.misc import is_generator_with_return_value

import crawlers.spiders
from crawlers.settings import DEFAULTS


def _spider_generators() -> list[tuple[str, object]]:
    found = []
    for info in pkgutil.iter_modules(crawlers.spiders.__path__):
        module = importlib.import_module(f"crawlers.spiders.{info.name}")
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, scrapy.Spider) and cls.__module__ == module.__name__:
                for attr, fn in vars(cls).items():
                    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
                        found.append((f"{name}.{attr}", fn))
    return found


def test_scrapys_per_response_check_is_off() -> None:
    assert DEFAULTS["WARN_ON_GENERATOR_RETURN_VALUE"] is False


def test_spiders_have_generator_callbacks_to_check() -> None:
    names = [name for name, _fn in _spider_generators()]
    assert any(n.startswith("ListingSpider.") for n in names), names


@pytest.mark.parametrize(("name", "fn"), _spider_generators(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_spider_generator_returns_a_value(name: str, fn: object) -> None:
    assert not is_generator_with_return_value(fn), f"{name} returns a value from a generator: Scrapy drops it"
