"""Helpers shared by the test modules: hand-made match frames and SBML bytes."""

from __future__ import annotations

import io

import cobra
import pandas as pd
from cobra.io import write_sbml_model

from cobra_metalign.matching.matcher import MATCH_COLUMNS


def matches(model: cobra.Model, **rows: dict) -> pd.DataFrame:
    """A match frame: every metabolite ``none`` except the rows given (by id).

    A row with a ``bigg_id`` defaults to ``decision="accept"`` and ``score=0.99``.
    """
    records = []
    for met in model.metabolites:
        row = dict.fromkeys(MATCH_COLUMNS, "")
        row.update(
            metabolite_id=met.id,
            base_id=met.id.rsplit("_", 1)[0],
            compartment=met.compartment,
            name=met.name,
            formula=met.formula,
            charge=met.charge,
            decision="none",
            conflict=False,
            score=0.0,
        )
        given_row = dict(rows.get(met.id, {}))
        if given_row.get("bigg_id") and "decision" not in given_row:
            given_row["decision"] = "accept"
        if given_row.get("bigg_id") and "score" not in given_row:
            given_row["score"] = 0.99
        row.update(given_row)
        records.append(row)
    return pd.DataFrame(records).set_index("metabolite_id")


def sbml_bytes(model: cobra.Model) -> bytes:
    """The model written as SBML, as bytes."""
    buffer = io.StringIO()
    write_sbml_model(model, buffer)
    return buffer.getvalue().encode()
