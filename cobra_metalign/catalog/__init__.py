"""The BiGG catalogue: loading the packaged or cached file (:mod:`~cobra_metalign.catalog.store`),
and building a fresh one from BiGG's bulk download (:mod:`~cobra_metalign.catalog.update`)."""

from cobra_metalign.catalog.store import Catalog, CatalogEntry, load_catalog

__all__ = ["Catalog", "CatalogEntry", "load_catalog"]
