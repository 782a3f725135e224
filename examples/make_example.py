"""Make ``examples/textbook_mixed.xml``: cobra's textbook model in two namespaces, with duplicates.

The E. coli core ("textbook") model shipped with cobra is rewritten the way a
model assembled from a BiGG template and a ModelSEED template looks:

* some metabolites get ModelSEED ids, names and annotations
  (``glc__D_e`` -> ``cpd00027_e`` "D-Glucose_e0", annotated ``seed.compound``
  only), keeping the model's compartments ``c`` and ``e``;
* a few metabolites get a ModelSEED twin in the same compartment
  (``cpd00009_c`` "Phosphate_c0" beside ``pi_c``) that takes over the
  metabolite's place in some of its reactions, splitting one pool in two;
* one metabolite keeps only its name (``succ_c`` -> ``SUCC_c`` "Succinate").

``metalign fix examples/textbook_mixed.xml`` should map the ModelSEED ids back,
merge the twins and give back the textbook model's growth rate.

Run from the repository root::

    python examples/make_example.py

The output is deterministic (the same bytes on every run).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cobra
from cobra.io import load_model

from cobra_metalign.io.model import write_model

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "textbook_mixed.xml"

#: textbook BiGG id -> (ModelSEED id, ModelSEED name); well-known ModelSEED compounds.
SEED_IDS: dict[str, tuple[str, str]] = {
    "glc__D": ("cpd00027", "D-Glucose"),
    "pyr": ("cpd00020", "Pyruvate"),
    "accoa": ("cpd00022", "Acetyl-CoA"),
    "atp": ("cpd00002", "ATP"),
    "adp": ("cpd00008", "ADP"),
    "nad": ("cpd00003", "NAD"),
    "nadh": ("cpd00004", "NADH"),
    "ac": ("cpd00029", "Acetate"),
    "fum": ("cpd00106", "Fumarate"),
    "mal__L": ("cpd00130", "L-Malate"),
    "akg": ("cpd00024", "2-Oxoglutarate"),
    "g6p": ("cpd00079", "D-glucose-6-phosphate"),
    "etoh": ("cpd00363", "Ethanol"),
    "nh4": ("cpd00013", "NH3"),
}

#: Twins: textbook metabolite -> (ModelSEED id, name, reactions moved onto the twin).
TWINS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pi_c": ("cpd00009_c", "Phosphate_c0", ("GAPD", "PTAr", "ATPS4r")),
    "co2_c": ("cpd00011_c", "CO2_c0", ("PDH", "AKGDH")),
    "h_c": ("cpd00067_c", "H+_c0", ("GAPD", "PPC", "NADH16")),
}

#: Metabolites that keep only their name: textbook id -> new id.
NAME_ONLY: dict[str, str] = {"succ_c": "SUCC_c"}


def make_mixed_model() -> cobra.Model:
    """Build the mixed-namespace textbook model.

    Returns
    -------
    cobra.Model
    """
    model = load_model("textbook")
    model.id = "textbook_mixed"
    model.name = "E. coli core, half ModelSEED, with duplicates (cobra_metalign example)"
    renames: dict[cobra.Metabolite, str] = {}
    for met in model.metabolites:
        base, _, compartment = met.id.rpartition("_")
        if base in SEED_IDS:
            seed_id, seed_name = SEED_IDS[base]
            renames[met] = f"{seed_id}_{compartment}"
            met.name = f"{seed_name}_{compartment}0"
            met.annotation = {"seed.compound": seed_id}
    for met_id, new_id in NAME_ONLY.items():
        met = model.metabolites.get_by_id(met_id)
        renames[met] = new_id
        met.annotation = {}
    for met, new_id in renames.items():
        met.id = new_id
    model.repair()

    for met_id, (twin_id, twin_name, reaction_ids) in TWINS.items():
        original = model.metabolites.get_by_id(met_id)
        twin = cobra.Metabolite(
            twin_id,
            formula=original.formula,
            name=twin_name,
            compartment=original.compartment,
            charge=original.charge,
        )
        twin.annotation = {"seed.compound": twin_id.rsplit("_", 1)[0]}
        model.add_metabolites([twin])
        for reaction_id in reaction_ids:
            reaction = model.reactions.get_by_id(reaction_id)
            coefficient = reaction.metabolites[original]
            reaction.add_metabolites({original: -coefficient, twin: coefficient})
    return model


def main() -> None:
    """Write ``examples/textbook_mixed.xml``."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = make_mixed_model()
    write_model(model, OUTPUT, overwrite=True)
    logger.info(
        "Wrote %s: %d metabolites, %d reactions",
        OUTPUT,
        len(model.metabolites),
        len(model.reactions),
    )


if __name__ == "__main__":
    main()
