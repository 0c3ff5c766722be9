"""Item pipelines, in order: clean text → resolve dates → deduplicate → validate.

Each is a thin Scrapy wrapper (with `from_crawler`) over pure functions; each counts what it
did in the crawl stats under `vpcrawl/<stage>/<what>`.
"""
