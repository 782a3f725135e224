"""Sanity checks of a merged model: growth, and energy-generating cycles.

An energy-generating cycle (EGC) lets a model hydrolyse ATP with nothing taken up:
free energy from nowhere, which inflates growth. The test (after Fritzemeier et al.
2017): close every uptake (boundary reactions may only export), lift every forced
flux (lower bounds above zero set to zero), then maximise an ATP hydrolysis
reaction ``atp + h2o -> adp + pi + h`` in the cytosol (the model's own when it
has one, else one added for the test only). A positive optimum is an EGC; the
reactions carrying it come from a parsimonious solution.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import cobra
import pandas as pd

from cobra_metalign.merging.reaction_join import SOURCES_NOTE

logger = logging.getLogger(__name__)

__all__ = ["SANITY_COLUMNS", "find_metabolite", "energy_cycle", "growth", "sanity_table"]

#: Columns of the sanity table.
SANITY_COLUMNS = (
    "model",
    "growth",
    "atp_reaction",
    "atp_flux_closed",
    "energy_cycle",
    "new_cycle",
    "cycle_reactions",
)

_TOLERANCE = 1e-6
_HYDROLYSIS = {"atp": -1.0, "h2o": -1.0, "adp": 1.0, "pi": 1.0, "h": 1.0}


def find_metabolite(model: cobra.Model, bigg_id: str, compartment: str = "c"):
    """The metabolite of BiGG id ``bigg_id`` in ``compartment``, or None.

    Found by id (``atp_c``) or by a ``bigg.metabolite`` annotation.
    """
    candidate = f"{bigg_id}_{compartment}"
    if candidate in model.metabolites:
        return model.metabolites.get_by_id(candidate)
    for met in model.metabolites:
        if met.compartment != compartment:
            continue
        value = met.annotation.get("bigg.metabolite")
        values = [value] if isinstance(value, str) else list(value or [])
        if bigg_id in values:
            return met
    return None


def growth(model: cobra.Model) -> float:
    """Optimum of the model's own objective (NaN when infeasible)."""
    value = model.slim_optimize(error_value=float("nan"))
    return float(value)


def _hydrolysis(model: cobra.Model, compartment: str):
    """The model's ATP hydrolysis reaction, or one added (in the caller's context)."""
    mets = {key: find_metabolite(model, key, compartment) for key in _HYDROLYSIS}
    if any(met is None for key, met in mets.items() if key != "h"):
        return None, ""
    wanted = {met: coef for key, coef in _HYDROLYSIS.items() if (met := mets[key]) is not None}
    atp = mets["atp"]
    for reaction in sorted(atp.reactions, key=lambda r: (r.id != "ATPM", r.id)):
        terms = reaction.metabolites
        core = {m: c for m, c in terms.items() if m is not mets.get("h")}
        want = {m: c for m, c in wanted.items() if m is not mets.get("h")}
        if core == want and reaction.upper_bound > 0:
            return reaction, reaction.id
    reaction = cobra.Reaction("METALIGN_ATP_HYDROLYSIS", lower_bound=0, upper_bound=1000)
    model.add_reactions([reaction])
    reaction.add_metabolites(wanted)
    return reaction, f"{reaction.id} (added)"


def energy_cycle(model: cobra.Model, compartment: str = "c", top: int = 15) -> dict:
    """Can ``model`` make ATP with every uptake closed? The model is not changed.

    Parameters
    ----------
    model : cobra.Model
    compartment : str, optional
        Where ATP is hydrolysed.
    top : int, optional
        How many reactions carrying the cycle to name (largest flux first).

    Returns
    -------
    dict
        ``atp_reaction`` (id used, ``""`` when ATP, ADP, Pi or water is missing),
        ``atp_flux_closed`` (the optimum; NaN when not run), ``energy_cycle``
        (bool), ``cycle_reactions`` (``id`` list, ``;``-joined).
    """
    result = {
        "atp_reaction": "",
        "atp_flux_closed": float("nan"),
        "energy_cycle": False,
        "cycle_reactions": "",
    }
    with model:
        reaction, label = _hydrolysis(model, compartment)
        if reaction is None:
            return result
        for boundary in model.boundary:
            if boundary is reaction:
                continue
            products = [c for c in boundary.metabolites.values() if c > 0]
            if products and not any(c < 0 for c in boundary.metabolites.values()):
                boundary.upper_bound = min(boundary.upper_bound, 0.0)
                boundary.lower_bound = min(boundary.lower_bound, 0.0)
            else:
                boundary.lower_bound = max(boundary.lower_bound, 0.0)
                boundary.upper_bound = max(boundary.upper_bound, 0.0)
        for other in model.reactions:
            if other.lower_bound > 0:
                other.lower_bound = 0.0
            if other.upper_bound < 0:
                other.upper_bound = 0.0
        model.objective = reaction
        model.objective_direction = "max"
        value = model.slim_optimize(error_value=float("nan"))
        result["atp_reaction"] = label
        result["atp_flux_closed"] = float(value)
        if value == value and value > _TOLERANCE:
            result["energy_cycle"] = True
            try:
                fluxes = cobra.flux_analysis.pfba(model).fluxes
            except Exception as error:  # noqa: BLE001 - a failed pFBA only loses the names
                logger.warning("pFBA failed on %s: %s", model.id, error)
                fluxes = model.optimize().fluxes
            carrying = fluxes[fluxes.abs() > _TOLERANCE].abs().sort_values(ascending=False)
            names = [rid for rid in carrying.index if rid != reaction.id][:top]
            result["cycle_reactions"] = "; ".join(names)
    return result


def _cycle_sources(model: cobra.Model, reaction_ids: str) -> list[set[str]]:
    """The source models of each listed reaction (from its provenance note), where recorded."""
    found = []
    for reaction_id in filter(None, (r.strip() for r in reaction_ids.split(";"))):
        if reaction_id not in model.reactions:
            continue
        note = str(model.reactions.get_by_id(reaction_id).notes.get(SOURCES_NOTE, ""))
        names = {part.split(":", 1)[0].strip() for part in note.split(";") if ":" in part}
        if names:
            found.append(names)
    return found


def sanity_table(
    inputs: Mapping[str, cobra.Model],
    merged: cobra.Model,
    checked: Mapping[str, cobra.Model] | None = None,
    merged_name: str = "merged",
) -> pd.DataFrame:
    """Growth and the energy-cycle test for every input and for the merge.

    Parameters
    ----------
    inputs : mapping
        ``{name: model as given}``: growth is measured on these.
    merged : cobra.Model
    checked : mapping, optional
        ``{name: model}`` to run the cycle test on (default ``inputs``); the aligned
        copies are best, since their ATP is named ``atp_c`` whatever the namespace.
    merged_name : str, optional

    Returns
    -------
    pandas.DataFrame
        Indexed by model (inputs, then the merge), columns :data:`SANITY_COLUMNS`
        but ``model``. ``new_cycle`` is True on the merge's row when it has an
        energy-generating cycle that no single input carries: its reactions
        (by their ``metalign_sources`` notes) do not all come from one input that has
        a cycle of its own.
    """
    checked = checked or inputs
    rows = {}
    for name, model in inputs.items():
        rows[name] = {"growth": growth(model), **energy_cycle(checked.get(name, model))}
    rows[merged_name] = {"growth": growth(merged), **energy_cycle(merged)}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "model"
    frame["new_cycle"] = False
    if frame.loc[merged_name, "energy_cycle"]:
        which = [name for name in inputs if frame.loc[name, "energy_cycle"]]
        sources = _cycle_sources(merged, str(frame.loc[merged_name, "cycle_reactions"]))
        # The merge made the cycle unless one input that has a cycle of its own is a
        # source of every reaction carrying the merged one.
        inherited = [name for name in which if all(name in found for found in sources)]
        frame.loc[merged_name, "new_cycle"] = not inherited
        logger.warning(
            "The merged model can make ATP with every uptake closed (an energy-generating "
            "cycle)%s; reactions carrying it: %s",
            f", as can {', '.join(inherited)} alone"
            if inherited
            else ": the merge made it (its reactions come from more than one model"
            + (f"; {', '.join(which)} have a cycle of their own" if which else "")
            + ")",
            frame.loc[merged_name, "cycle_reactions"],
        )
    return frame[list(SANITY_COLUMNS[1:])]
