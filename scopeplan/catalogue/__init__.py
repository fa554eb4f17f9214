"""Zoho `__apis` catalogues: load and validate a file, or the bundled derived default."""

from scopeplan.catalogue.load import BUNDLED, CatalogueError, load, parse

__all__ = ["BUNDLED", "CatalogueError", "load", "parse"]
