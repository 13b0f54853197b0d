"""Turn marketplace pages into `Listing` values: page extraction, Scrapy spiders and
pipelines. May use `matchers`; never imports `monitor`."""
