"""A fingerprint of a model's metabolites: an audit knows the model it was written for."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import cobra

__all__ = ["model_fingerprint", "one_line"]


def one_line(value: Any) -> str:
    """A cell as one line of text (tabs and line breaks would break the TSV)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    text = str(value)
    if "\t" in text or "\n" in text or "\r" in text:
        text = " ".join(text.replace("\t", " ").splitlines())
    return text


def _charge_key(charge: Any) -> str:
    if charge is None or isinstance(charge, bool):
        return ""
    try:
        value = float(charge)
    except (TypeError, ValueError):
        return str(charge)
    if value != value:  # NaN
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def model_fingerprint(model: cobra.Model, version: int = 2) -> str:
    """Fingerprint of a model's metabolites, stored in audits to detect a changed model.

    Parameters
    ----------
    model : cobra.Model
    version : int, optional
        2 (default): over ids, compartments, names, formulas and charges. 1: ids
        and compartments only (audits written before names were covered).

    Returns
    -------
    str
        ``sha256:<hex>`` over the sorted ``id<TAB>compartment<TAB>name<TAB>formula<TAB>charge``
        lines (``id<TAB>compartment`` for version 1).
    """
    if version == 1:
        lines = sorted(f"{met.id}\t{met.compartment or ''}" for met in model.metabolites)
    else:
        lines = sorted(
            "\t".join(
                (
                    met.id,
                    met.compartment or "",
                    one_line(met.name),
                    one_line(met.formula),
                    _charge_key(met.charge),
                )
            )
            for met in model.metabolites
        )
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"sha256:{digest}"
