"""Property tests (hypothesis) of the invariants of ``align`` on random small models.

A random model is a feasible linear pathway through a few real BiGG metabolites
(uptake -> m0 -> m1 -> ... -> demand, the demand being the objective). Some of
its metabolites get an injected duplicate: a copy under the ModelSEED id of the
same compound (``cpd00020_c`` for ``pyr_c``), which either takes over the
consuming side of its twin's reactions (this splits the pathway: the objective
drops to 0) or appears in a copy of the producing reaction (a duplicate
reaction once merged). The figures in docs/reliability.md come from the
``max_examples`` below.
"""

from __future__ import annotations

import cobra
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobra_metalign import align
from cobra_metalign.normalize import normalize_name

#: (BiGG id, name, formula, charge, ModelSEED id) of real compounds.
POOL = [
    ("glc__D", "D-Glucose", "C6H12O6", 0, "cpd00027"),
    ("pyr", "Pyruvate", "C3H3O3", -1, "cpd00020"),
    ("akg", "2-Oxoglutarate", "C5H4O5", -2, "cpd00024"),
    ("succ", "Succinate", "C4H4O4", -2, "cpd00036"),
    ("fum", "Fumarate", "C4H2O4", -2, "cpd00106"),
    ("mal__L", "L-Malate", "C4H4O5", -2, "cpd00130"),
    ("ac", "Acetate", "C2H3O2", -1, "cpd00029"),
    ("etoh", "Ethanol", "C2H6O", 0, "cpd00363"),
    ("cit", "Citrate", "C6H5O7", -3, "cpd00137"),
    ("g6p", "D-Glucose 6-phosphate", "C6H11O9P", -2, "cpd00079"),
    ("lac__L", "L-Lactate", "C3H5O3", -1, "cpd00159"),
    ("glu__L", "L-Glutamate", "C5H8NO4", -1, "cpd00023"),
]
UPTAKE = 10.0
NAME_EXAMPLES = 500
MODEL_EXAMPLES = 60

SETTINGS = settings(
    max_examples=MODEL_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _chain(entries: list[tuple]) -> cobra.Model:
    """uptake -> m0 -> ... -> m_last -> demand (objective); optimum UPTAKE."""
    model = cobra.Model("random")
    model.compartments = {"c": "cytosol"}
    mets = [
        cobra.Metabolite(f"{b}_c", formula=f, name=n, charge=q, compartment="c")
        for b, n, f, q, _ in entries
    ]
    model.add_metabolites(mets)
    reactions = [cobra.Reaction("EX_in", lower_bound=-UPTAKE, upper_bound=0)]
    reactions[0].add_metabolites({mets[0]: -1})
    for i in range(1, len(mets)):
        rxn = cobra.Reaction(f"R{i}", lower_bound=0, upper_bound=1000)
        rxn.add_metabolites({mets[i - 1]: -1, mets[i]: 1})
        reactions.append(rxn)
    demand = cobra.Reaction("DM_out", lower_bound=0, upper_bound=1000)
    demand.add_metabolites({mets[-1]: -1})
    reactions.append(demand)
    model.add_reactions(reactions)
    model.objective = "DM_out"
    return model


@st.composite
def models(draw, copies: bool = True) -> tuple[cobra.Model, cobra.Model, dict[str, str]]:
    """(original, defective, {duplicate id: twin id}).

    ``copies=False``: duplicates only take over consuming sides, never add a
    reaction (a copied reaction stays in the model, flagged, and adds capacity).
    """
    size = draw(st.integers(min_value=2, max_value=5))
    entries = draw(st.permutations(POOL))[:size]
    original = _chain(entries)
    model = original.copy()
    chosen = draw(st.lists(st.integers(0, size - 1), unique=True, max_size=size))
    duplicates: dict[str, str] = {}
    for index in chosen:
        bigg, name, formula, charge, seed = entries[index]
        twin = model.metabolites.get_by_id(f"{bigg}_c")
        dup = cobra.Metabolite(
            f"{seed}_c", formula=formula, name=name, charge=charge, compartment="c"
        )
        model.add_metabolites([dup])
        duplicates[dup.id] = twin.id
        consumer = model.reactions.get_by_id(f"R{index + 1}" if index + 1 < size else "DM_out")
        if not copies or draw(st.booleans()):  # the duplicate takes over the consuming side
            coefficient = consumer.metabolites[twin]
            consumer.add_metabolites({twin: -coefficient, dup: coefficient})
        else:  # a copy of the producing reaction makes the duplicate
            producer = model.reactions.get_by_id(f"R{index}" if index else "EX_in")
            copy = producer.copy()
            copy.id = producer.id + "_seed"
            model.add_reactions([copy])
            coefficient = copy.metabolites[copy.model.metabolites.get_by_id(twin.id)]
            copy.add_metabolites({twin.id: -coefficient, dup.id: coefficient}, combine=True)
    return original, model, duplicates


def _stoichiometry(reaction: cobra.Reaction) -> dict[str, float]:
    return {met.id: coef for met, coef in reaction.metabolites.items()}


# ------------------------------------------------------------------ normalization
NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from([e[1] for e in POOL] + ["alpha-D-Glucose", "H+", "Fe2+", "ATP C10H12N5O13P3"]),
    st.builds(
        lambda a, b: f"{a} {b}",
        st.sampled_from(["L-", "D-", "(S)-", "beta-", "β-", "2-"]),
        st.sampled_from([e[1] for e in POOL]),
    ),
)


@settings(max_examples=NAME_EXAMPLES, deadline=None)
@given(NAMES)
def test_normalize_name_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once


# ------------------------------------------------------------------ align
@SETTINGS
@given(models())
def test_align_invariants(case) -> None:
    original, model, duplicates = case
    before = {r.id: (_stoichiometry(r), r.bounds) for r in model.reactions}
    met_ids = [m.id for m in model.metabolites]
    result = align(model)
    # the input is untouched
    assert {r.id: (_stoichiometry(r), r.bounds) for r in model.reactions} == before
    # reactions are never dropped or added; flagged ones are listed and still present
    assert len(result.model.reactions) == len(model.reactions)
    assert set(result.reactions.index) <= {r.id for r in result.model.reactions}
    # every input metabolite exactly once in the audit
    audit = result.audit
    assert sorted(audit.index) == sorted(met_ids)
    assert audit.index.is_unique
    # injected duplicates are merged into their twin, nothing else
    for dup, twin in duplicates.items():
        assert audit.loc[dup, "status"] == "MERGED", audit.loc[dup].to_dict()
        assert audit.loc[dup, "new_id"] == twin
    assert set(audit.index[audit["status"] == "MERGED"]) == set(duplicates)
    # reactions touching no changed metabolite are unchanged
    changed = {m for m in met_ids if audit.loc[m, "new_id"] != m}
    for reaction in model.reactions:
        if not changed & set(before[reaction.id][0]):
            out = result.model.reactions.get_by_id(reaction.id)
            assert (_stoichiometry(out), out.bounds) == before[reaction.id]
    # copies of a producing reaction become flagged duplicates
    for reaction in model.reactions:
        if reaction.id.endswith("_seed"):
            assert reaction.id in result.reactions.index or reaction.id[:-5] in (
                result.reactions.index
            )


@SETTINGS
@given(models(copies=False))
def test_objective_restored(case) -> None:
    original, model, duplicates = case
    expected = original.slim_optimize()
    assert expected == pytest.approx(UPTAKE)
    if duplicates:  # the duplicates split the pathway
        assert model.slim_optimize() == pytest.approx(0.0)
    result = align(model)
    assert result.model.slim_optimize() == pytest.approx(expected)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_align_deterministic(case) -> None:
    _, model, _ = case
    first, second = align(model), align(model.copy())
    pd.testing.assert_frame_equal(first.audit, second.audit)
    pd.testing.assert_frame_equal(first.reactions, second.reactions)
    assert sorted(m.id for m in first.model.metabolites) == sorted(
        m.id for m in second.model.metabolites
    )
