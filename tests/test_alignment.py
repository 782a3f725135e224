"""align, premerge and merge_models: with hand-made match frames, then end to end with the matcher."""

from __future__ import annotations

import copy
from pathlib import Path

import cobra
import pandas as pd
import pytest
from frames import matches, sbml_bytes

from cobra_metalign.alignment import (
    AlignmentResult,
    align,
    harmonize_compartments,
    merge_models,
    premerge,
    standard_compartment,
)
from cobra_metalign.rewrite.audit import STATUSES

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "textbook_mixed.xml"


def bigg_model() -> cobra.Model:
    model = cobra.Model("bigg_style")
    model.compartments = {"c": "cytosol", "e": "extracellular"}
    for met_id in ("glc__D_e", "glc__D_c", "g6p_c", "atp_c", "adp_c"):
        model.add_metabolites([cobra.Metabolite(met_id, compartment=met_id[-1])])
    stoich = {
        "EX_glc__D_e": {"glc__D_e": -1},
        "GLCt": {"glc__D_e": -1, "glc__D_c": 1},
        "HEX1": {"glc__D_c": -1, "atp_c": -1, "g6p_c": 1, "adp_c": 1},
        "EX_g6p": {"g6p_c": -1},
        "ATPS": {"adp_c": -1, "atp_c": 1},
    }
    for rxn_id, terms in stoich.items():
        rxn = cobra.Reaction(rxn_id, lower_bound=-10 if rxn_id.startswith("EX_glc") else 0)
        model.add_reactions([rxn])
        rxn.add_metabolites({model.metabolites.get_by_id(k): v for k, v in terms.items()})
    model.objective = "EX_g6p"
    return model


def seed_model() -> cobra.Model:
    model = cobra.Model("seed_style")
    model.compartments = {"c0": "Cytosol", "e0": "Extracellular"}
    for met_id in ("cpd00027_e0", "cpd00027_c0", "cpd00079_c0", "cpd00002_c0", "cpd00008_c0"):
        model.add_metabolites([cobra.Metabolite(met_id, compartment=met_id[-2:])])
    stoich = {
        "rxn05226_c0": {"cpd00027_e0": -1, "cpd00027_c0": 1},
        "rxn00216_c0": {"cpd00027_c0": -1, "cpd00002_c0": -1, "cpd00079_c0": 1, "cpd00008_c0": 1},
        "EX_cpd00027_e0": {"cpd00027_e0": -1},
    }
    for rxn_id, terms in stoich.items():
        rxn = cobra.Reaction(rxn_id, lower_bound=-10 if rxn_id.startswith("EX") else 0)
        model.add_reactions([rxn])
        rxn.add_metabolites({model.metabolites.get_by_id(k): v for k, v in terms.items()})
    return model


SEED_TO_BIGG = {"cpd00027": "glc__D", "cpd00079": "g6p", "cpd00002": "atp", "cpd00008": "adp"}


def bigg_matches(model: cobra.Model) -> pd.DataFrame:
    return matches(model, **{m.id: {"bigg_id": m.id.rsplit("_", 1)[0]} for m in model.metabolites})


def seed_matches(model: cobra.Model) -> pd.DataFrame:
    return matches(
        model, **{m.id: {"bigg_id": SEED_TO_BIGG[m.id.split("_")[0]]} for m in model.metabolites}
    )


# --------------------------------------------------------------------- align
def test_align_with_ready_matches():
    model = seed_model()
    before = sbml_bytes(model)
    result = align(model, matches=seed_matches(model))
    assert isinstance(result, AlignmentResult)
    assert sbml_bytes(model) == before
    assert result.model is not model
    assert sorted(m.id for m in result.model.metabolites) == [
        "adp_c0",
        "atp_c0",
        "g6p_c0",
        "glc__D_c0",
        "glc__D_e0",
    ]
    summary = result.summary()
    assert list(summary.index) == list(STATUSES)
    assert summary["RENAMED"] == 5
    assert summary.sum() == 5
    assert result.n_renamed == 5 and result.n_merged == 0
    assert result.to_frame() is result.audit
    assert "RENAMED 5" in repr(result)
    html = result._repr_html_()
    assert "<table" in html and "seed_style" in html
    assert result.matches is not None


def test_align_inplace_is_reverted_in_context():
    model = seed_model()
    before = sbml_bytes(model)
    with model:
        result = align(model, matches=seed_matches(model), inplace=True)
        assert result.model is model
        assert "glc__D_c0" in model.metabolites
    assert sbml_bytes(model) == before


def test_align_refuses_matcher_options_with_matches():
    model = seed_model()
    with pytest.raises(TypeError, match="matcher options"):
        align(model, matches=seed_matches(model), guards=False)


# ---------------------------------------------------------------- compartments
@pytest.mark.parametrize(
    ("compartment", "name", "expected"),
    [
        ("c0", None, "c"),
        ("e0", "Extracellular", "e"),
        ("c", None, "c"),
        ("C_c", None, "c"),
        ("c1", None, "c1"),
        ("Cytosol", None, "c"),
        ("Extra_organism", None, "e"),
        ("comp1", "cytoplasm", "c"),
        ("weird", None, "weird"),
    ],
)
def test_standard_compartment(compartment, name, expected):
    assert standard_compartment(compartment, name) == expected


def test_harmonize_compartments():
    model = seed_model()
    applied = harmonize_compartments(model)
    assert applied == {"c0": "c", "e0": "e"}
    assert model.compartments == {"c": "Cytosol", "e": "Extracellular"}
    assert {m.compartment for m in model.metabolites} == {"c", "e"}
    assert harmonize_compartments(model) == {}


def test_harmonize_never_joins_two_compartments():
    model = cobra.Model("both")
    model.add_metabolites(
        [cobra.Metabolite("a_c", compartment="c"), cobra.Metabolite("a_c0", compartment="c0")]
    )
    assert harmonize_compartments(model) == {}
    assert sorted(model.compartments) == ["c", "c0"]


# ------------------------------------------------------------ premerge, merge
def test_premerge_brings_models_into_one_namespace():
    bigg, seed = bigg_model(), seed_model()
    seed_before = sbml_bytes(seed)
    frames = {"bigg_style": bigg_matches(bigg)}
    harmonized = seed.copy()
    harmonize_compartments(harmonized)
    frames["seed_style"] = seed_matches(harmonized)
    result = premerge([bigg, seed], harmonize_compartments=True, matches=frames)
    assert sbml_bytes(seed) == seed_before
    assert list(result.models) == ["bigg_style", "seed_style"]
    assert result.compartments == {"bigg_style": {}, "seed_style": {"c0": "c", "e0": "e"}}
    ids = [{m.id for m in model.metabolites} for model in result.models.values()]
    assert ids[1] <= ids[0]
    assert result.audit.index.names == ["model", "metabolite_id"]
    assert len(result.audit) == len(bigg.metabolites) + len(seed.metabolites)
    assert set(result.audit.attrs["model_fingerprints"]) == {"bigg_style", "seed_style"}
    assert result.summary().loc["RENAMED", "seed_style"] == 5
    assert result.summary().loc["KEPT", "bigg_style"] == 5
    assert "<table" in result._repr_html_()
    assert result.to_frame() is result.audit


def test_merge_models_reports_duplicates():
    bigg, seed = bigg_model(), seed_model()
    harmonized = seed.copy()
    harmonize_compartments(harmonized)
    frames = {"bigg_style": bigg_matches(bigg), "seed_style": seed_matches(harmonized)}
    pre = premerge([bigg, seed], harmonize_compartments=True, matches=frames)
    merged = merge_models([bigg, seed], premerged=pre)
    report = merged.report
    assert report.loc["plain", "duplicated_metabolites"] == 5
    assert report.loc["premerged", "duplicated_metabolites"] == 0
    assert report.loc["plain", "metabolites"] == 10
    assert report.loc["plain", "reactions_skipped"] == 0
    assert report.loc["premerged", "metabolites"] == 5
    # The seed model's three reactions have the BiGG model's stoichiometry: joined, none dropped.
    assert len(merged.model.reactions) == len(bigg.reactions)
    assert report.loc["premerged", "reactions_joined"] == 3
    assert report.loc["premerged", "reactions_skipped"] == 0
    assert set(merged.reaction_table["kind"]) == {"kept", "joined"}
    assert merged.model.id == "bigg_style_seed_style"
    assert "after premerge" in repr(merged)
    assert merged.summary() is report
    assert merged.to_frame() is pre.audit
    # One glucose exchange (widest bounds), one pathway: the BiGG model's growth.
    assert bigg.slim_optimize() == pytest.approx(10.0)
    assert merged.model.slim_optimize() == pytest.approx(10.0)
    sanity = merged.sanity
    assert list(sanity.index) == ["bigg_style", "seed_style", "merged"]
    assert not sanity["energy_cycle"].any()
    gpr_sources = merged.model.reactions.HEX1.notes["metalign_sources"]
    assert gpr_sources == "bigg_style:HEX1; seed_style:rxn00216_c0"


def test_premerge_without_harmonizing_keeps_compartments():
    bigg, seed = bigg_model(), seed_model()
    frames = {"bigg_style": bigg_matches(bigg), "seed_style": seed_matches(seed)}
    pre = premerge([bigg, seed], matches=frames, harmonize_compartments=False)
    assert set(pre.compartment_table["status"]) == {"off"}
    merged = merge_models([bigg, seed], premerged=pre)
    # glc__D_c0 and glc__D_c are the same compound in the same (BiGG-style) compartment.
    assert merged.report.loc["premerged", "duplicated_metabolites"] == 5


def test_merge_needs_two_models():
    with pytest.raises(ValueError, match="at least two"):
        merge_models([bigg_model()])


# ------------------------------------------------------- with the real matcher
def test_textbook_is_kept_unchanged(textbook):
    before = sbml_bytes(textbook)
    result = align(textbook)
    counts = result.summary()
    assert counts["KEPT"] == len(textbook.metabolites)
    assert counts.drop("KEPT").sum() == 0
    assert sbml_bytes(result.model) == before


def test_example_model_is_repaired(textbook):
    from cobra_metalign.io.model import read_model

    model = read_model(EXAMPLE)
    result = align(model)
    audit = result.audit
    assert {"cpd00009_c", "cpd00011_c", "cpd00067_c"} <= set(audit.index[audit.status == "MERGED"])
    assert audit.loc["cpd00009_c", "new_id"] == "pi_c"
    assert audit.loc["cpd00027_e", "new_id"] == "glc__D_e"
    assert audit.loc["SUCC_c", "new_id"] == "succ_c"
    assert set(audit["status"]) <= {"KEPT", "RENAMED", "MERGED", "REVIEW", "CONFLICT"}
    assert result.model.slim_optimize() == pytest.approx(textbook.slim_optimize())
    # Every renamed or merged id is a textbook id.
    changed = audit[audit.status.isin(["RENAMED", "MERGED"])]
    assert set(changed["new_id"]) <= {m.id for m in textbook.metabolites}


def test_add_xrefs_from_the_catalogue():
    from cobra_metalign.io.model import read_model

    result = align(read_model(EXAMPLE), add_xrefs=True)
    annotation = result.model.metabolites.glc__D_e.annotation
    assert annotation["bigg.metabolite"] == "glc__D"
    # The model's own value first, then the catalogue's.
    assert annotation["seed.compound"][0] == "cpd00027"
    assert "C00031" in annotation["kegg.compound"]


def test_premerge_textbook_and_example(textbook):
    from cobra_metalign.io.model import read_model

    example = read_model(EXAMPLE)
    merged = merge_models(
        {"textbook": textbook, "mixed": example}, prefix_existing="mixed_", recheck=True
    )
    report = merged.report
    # 20 renamed metabolites (ModelSEED ids and SUCC_c) and 3 twins duplicate textbook ones
    # (the NH3 rows left for review have no applied BiGG id and are not counted).
    assert report.loc["plain", "duplicated_metabolites"] == 23
    assert report.loc["premerged", "duplicated_metabolites"] == 0
    # The matcher, run again on the merged models, agrees.
    assert report.loc["plain", "matcher_duplicates"] >= 23
    assert report.loc["premerged", "matcher_duplicates"] == 0
    # The example's reactions have the textbook's stoichiometry once aligned: each is joined
    # into its textbook twin (no prefixed copies), so growth is the textbook's.
    assert report.loc["premerged", "reactions"] == len(textbook.reactions)
    assert merged.model.slim_optimize() == pytest.approx(textbook.slim_optimize())


# ------------------------------------------------------------ real data (slow)
SBML = "models/sbml_variety"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz",
        "salmonella_L3_fbcv2_biggexport_cobrapkg.xml.gz",
        "textbook_ecolicore_L3_fbcv2_cobrapkg.xml.gz",
    ],
)
def test_clean_bigg_models_all_kept(shared_data, name):
    from cobra_metalign.io.model import read_model

    model = read_model(shared_data / SBML / name)
    result = align(model)
    assert (result.audit["status"] == "KEPT").all()
    assert len(result.reactions) == 0


def _add_sbrg_duplicates(model: cobra.Model, path: Path) -> list[tuple[str, str]]:
    """Add BiGG's merged-away ids as copies of their kept twins, with copies of two reactions."""
    by_base: dict[str, list[cobra.Metabolite]] = {}
    for met in model.metabolites:
        by_base.setdefault(met.id.rsplit("_", 1)[0], []).append(met)
    pairs = []
    for line in path.read_text().splitlines():
        parts = line.split()
        for away in parts[1:]:
            for twin in by_base.get(parts[0], []):
                pairs.append((twin.id, f"{away}_{twin.compartment}"))
    for twin_id, copy_id in pairs:
        twin = model.metabolites.get_by_id(twin_id)
        duplicate = cobra.Metabolite(
            copy_id,
            formula=twin.formula,
            name=twin.name,
            compartment=twin.compartment,
            charge=twin.charge,
        )
        duplicate.annotation = copy.deepcopy(twin.annotation)
        duplicate.annotation["bigg.metabolite"] = copy_id.rsplit("_", 1)[0]
        model.add_metabolites([duplicate])
        for reaction in sorted(twin.reactions, key=lambda r: r.id)[:2]:
            twin_reaction = reaction.copy()
            twin_reaction.id = f"{reaction.id}__{copy_id}"
            model.add_reactions([twin_reaction])
            coefficient = twin_reaction.metabolites[model.metabolites.get_by_id(twin_id)]
            twin_reaction.add_metabolites({twin_id: -coefficient, copy_id: coefficient})
    return pairs


@pytest.mark.slow
def test_sbrg_duplicates_in_ijo1366(shared_data):
    from cobra_metalign.io.model import read_model

    model = read_model(shared_data / SBML / "iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz")
    reference = model.slim_optimize()
    pairs = _add_sbrg_duplicates(
        model, shared_data / "reference" / "bigg_metabolite_duplicates_SBRG.txt"
    )
    result = align(model)
    audit = result.audit
    merged = [(t, c) for t, c in pairs if audit.loc[c, "status"] == "MERGED"]
    # No false merge: a copy is merged into its own twin or not at all.
    for twin_id, copy_id in merged:
        assert audit.loc[copy_id, "new_id"] == twin_id
    # Nothing else in the model is touched.
    others = audit.drop(index=[c for _, c in pairs])
    assert (others["status"] == "KEPT").all()
    # Copies whose id is a distinct exact BiGG id the catalogue does not link to the twin
    # stay apart (see the report); the others (16 of 25 with the packaged catalogue) merge.
    assert len(merged) >= 16
    assert result.model.slim_optimize() == pytest.approx(reference)


@pytest.mark.slow
def test_premerge_b_uniformis(shared_data):
    from cobra_metalign.io.model import read_model

    folder = shared_data / "models" / "multi_tool"
    models = {
        name: read_model(folder / file)
        for name, file in [
            ("agora", "BU_agora.xml.gz"),
            ("carveme", "BU_carveme_hom.xml.gz"),
            ("gapseq", "BU_gapseq.xml.gz"),
            ("modelseed", "BU_modelSEED.sbml.gz"),
        ]
    }
    result = merge_models(models)
    report = result.report
    assert report.loc["premerged", "reactions_skipped"] == 0
    assert len(result.reaction_table) == sum(len(m.reactions) for m in models.values())
    # 26 groups left on 2026-11-30 (docs/premerge.md: 23 of them two metabolites one input keeps
    # apart); none across compartments.
    assert len(result.duplicates) == report.loc["premerged", "detected_groups"] <= 30
    merged_ids = {m.id for m in result.model.metabolites}
    assert "melib_c" in merged_ids and "6dg_c" not in merged_ids  # BiGG twins joined
    assert "cpd00724_c0" in merged_ids  # gapseq's alpha-D-Galactose not merged into its Galactose
    assert set(result.premerge.compartment_table["status"]) <= {"same", "mapped"}
    # gapseq's Maltodextrin (C24H42O21) is not merged into Amylose (C30H52O26, 14glun): vetoed
    # when the matcher proposes it, and its merged metabolite has no other gapseq source.
    maltodextrin = [
        m for m in result.model.metabolites if "gapseq:cpd11976_c0" in m.notes["metalign_sources"]
    ]
    assert len(maltodextrin) == 1
    gapseq_sources = [
        s for s in maltodextrin[0].notes["metalign_sources"].split("; ") if s.startswith("gapseq:")
    ]
    assert gapseq_sources == ["gapseq:cpd11976_c0"]
    assert len(result.sanity) == 5 and result.sanity.loc["merged", "energy_cycle"]
    assert (
        report.loc["premerged", "duplicated_metabolites"]
        < report.loc["plain", "duplicated_metabolites"]
    )
    assert report.loc["premerged", "metabolites"] < report.loc["plain", "metabolites"]


# ------------------------------------------------ four templates, defaults on
KEY = "AAAAAAAAAAAAAA-BBBBBBBBBB-N"  # a compound outside BiGG, shared by two templates


def _template(model_id, compartments, mets, reactions):
    model = cobra.Model(model_id)
    for met_id, (compartment, name, formula, annotation) in mets.items():
        met = cobra.Metabolite(met_id, name=name, formula=formula, compartment=compartment)
        met.annotation = annotation
        model.add_metabolites([met])
    model.compartments = compartments
    for rxn_id, (terms, lower, rule) in reactions.items():
        reaction = cobra.Reaction(rxn_id, lower_bound=lower, upper_bound=1000)
        model.add_reactions([reaction])
        reaction.add_metabolites({model.metabolites.get_by_id(k): v for k, v in terms.items()})
        reaction.gene_reaction_rule = rule
    return model


def four_templates() -> dict[str, cobra.Model]:
    bigg = _template(
        "bigg",
        {"c": "cytosol", "e": "extracellular"},
        {
            "glc__D_e": ("e", "D-Glucose", "C6H12O6", {}),
            "glc__D_c": ("c", "D-Glucose", "C6H12O6", {}),
            "xyz_c": ("c", "Xyzzose", "C7H14O7", {"inchikey": KEY}),
        },
        {
            "EX_glc__D_e": ({"glc__D_e": -1}, -10, ""),
            "GLCt": ({"glc__D_e": -1, "glc__D_c": 1}, 0, "b1"),
            "XYZS": ({"glc__D_c": -1, "xyz_c": 1}, 0, "b2"),
            "DM_xyz": ({"xyz_c": -1}, 0, ""),
        },
    )
    carveme = _template(
        "carveme",
        {"C_c": "cytosol", "C_e": "extracellular space"},
        {
            "glc__D_e": ("C_e", "D-Glucose", "C6H12O6", {}),
            "glc__D_c": ("C_c", "D-Glucose", "C6H12O6", {}),
        },
        {"GLCt": ({"glc__D_e": -1, "glc__D_c": 1}, -1000, "WP_1")},
    )
    seed = _template(
        "seed",
        {"c0": "Cytosol_0", "e0": "Extracellular_0", "zz9": "a strange place"},
        {
            "cpd00027_e0": ("e0", "D-Glucose_e0", "C6H12O6", {}),
            "cpd00027_c0": ("c0", "D-Glucose_c0", "C6H12O6", {}),
            "cpd90000_c0": ("c0", "Xyzzose_c0", "C7H14O7", {"inchikey": KEY}),
            "cpd90001_zz9": ("zz9", "Odd", "C2H4O2", {}),
        },
        {
            "rxn05226_c0": ({"cpd00027_e0": -1, "cpd00027_c0": 1}, 0, "g1 and g2"),
            # Same id as the BiGG model's XYZS, other stoichiometry: kept apart.
            "XYZS": ({"cpd90000_c0": -1, "cpd90001_zz9": 1}, 0, "g3"),
        },
    )
    old = _template(
        "old",
        {"[c]": "", "[e]": ""},
        {
            "glc_D[c]": ("[c]", "glucose", "C6H12O6", {}),
            "glc_D[e]": ("[e]", "glucose", "C6H12O6", {}),
        },
        {"GLCt2": ({"glc_D[e]": -1, "glc_D[c]": 1}, 0, "o1")},
    )
    return {"bigg": bigg, "carveme": carveme, "seed": seed, "old": old}


def four_frames(models) -> dict[str, pd.DataFrame]:
    glc = {"glc__D_e", "glc__D_c", "cpd00027_e0", "cpd00027_c0", "glc_D[c]", "glc_D[e]"}
    return {
        name: matches(
            model, **{m.id: {"bigg_id": "glc__D"} for m in model.metabolites if m.id in glc}
        )
        for name, model in models.items()
    }


def test_four_templates_join_with_default_options():
    models = four_templates()
    before = {name: sbml_bytes(model) for name, model in models.items()}
    pre = premerge(models, matches=four_frames(models))
    table = pre.compartment_table.set_index(["model", "compartment"])
    assert table.loc[("carveme", "C_c"), "new_compartment"] == "c"
    assert table.loc[("seed", "e0"), "new_compartment"] == "e"
    assert table.loc[("old", "[c]"), "new_compartment"] == "c"
    assert table.loc[("seed", "zz9"), "status"] == "unmapped"
    joined = pre.joins[pre.joins["verdict"] == "joined"]
    assert ("bigg", "xyz_c", "seed", "cpd90000_c0") in set(
        joined[["model", "metabolite_id", "other_model", "other_id"]].itertuples(
            index=False, name=None
        )
    )
    assert pre.original_ids["seed"]["xyz_c"] == "cpd90000_c0"
    assert pre.summary().loc["JOINED_ACROSS", "seed"] == 1

    merged = merge_models(models, premerged=pre)
    model = merged.model
    assert {m.id for m in model.metabolites} == {"glc__D_e", "glc__D_c", "xyz_c", "cpd90001_zz9"}
    # Provenance: sources and original ids of metabolites and reactions.
    assert model.metabolites.xyz_c.notes["metalign_sources"] == "bigg:xyz_c; seed:cpd90000_c0"
    assert model.metabolites.glc__D_c.notes["metalign_sources"] == (
        "bigg:glc__D_c; carveme:glc__D_c; seed:cpd00027_c0; old:glc_D[c]"
    )
    glct = model.reactions.GLCt
    assert glct.notes["metalign_sources"] == "bigg:GLCt; carveme:GLCt; seed:rxn05226_c0; old:GLCt2"
    assert glct.bounds == (-1000, 1000)
    assert glct.gene_reaction_rule == "((b1 or WP_1) or (g1 and g2)) or o1"
    # Same id, other stoichiometry: both kept.
    assert "XYZS__seed" in model.reactions and "XYZS" in model.reactions
    report = merged.report.loc["premerged"]
    assert report["reactions_skipped"] == 0
    assert report["reactions_joined"] == 3 and report["reactions_renamed"] == 1
    kinds = merged.reaction_table["kind"].value_counts()
    assert kinds.sum() == sum(len(m.reactions) for m in models.values())
    assert len(merged.duplicates) == report["detected_groups"] == 0
    assert list(merged.sanity.index) == ["bigg", "carveme", "seed", "old", "merged"]
    assert set(merged.tables()) == {
        "report",
        "statuses",
        "compartments",
        "joins",
        "reaction_joins",
        "duplicates",
        "sanity",
    }
    assert {name: sbml_bytes(model) for name, model in models.items()} == before


def test_four_templates_without_join_leave_a_duplicate_counted():
    models = four_templates()
    pre = premerge(models, matches=four_frames(models), join=False)
    merged = merge_models(models, premerged=pre, check_energy=False)
    assert len(merged.duplicates) == 1
    assert merged.duplicates.loc[0, "members"] == "cpd90000_c0; xyz_c"
    assert merged.sanity.empty
