"""scripts/build_catalog.py: equivalences only from proven identity, synonyms that name their own compound."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_catalog.py"


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location("build_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _builder(build, records):
    """records: id -> (own names, formulas, charges, own InChIKeys, other synonyms)."""
    builder = build.Builder()
    for bigg_id, (names, formulas, charges, keys, others) in records.items():
        for name in names:
            builder.add_name(bigg_id, name)
        for name in others:
            builder.add_name(bigg_id, name, own=False)
        for formula in formulas:
            builder.add_formula(bigg_id, formula)
        for charge in charges:
            builder.add_charge(bigg_id, charge)
        for key in keys:
            builder.add_xref(bigg_id, ("inchikey", key), own=True)
    return builder


KEY = "CURLTUGMZLYLDI-UHFFFAOYSA-N"


def test_equivalence_needs_the_same_own_inchikey_and_equal_chemistry(build):
    builder = _builder(
        build,
        {
            "hco3": (["Bicarbonate"], ["CHO3"], [-1], [KEY], []),
            "h2co3": (["Carbonic acid bicarbonate"], ["CHO3"], [-1], [KEY], []),
            # same key, another charge species: not one compound
            "nh3": (["Ammonia"], ["H3N"], [0], ["QGZKDVFQNNGYKY-UHFFFAOYSA-N"], []),
            "nh4": (["Ammonium"], ["H4N"], [1], ["QGZKDVFQNNGYKY-UHFFFAOYSA-N"], []),
            # same name and formula but no InChIKey: never joined on the name
            "maltttr": (["Maltotetraose"], ["C24H42O21"], [0], [], []),
            "M02451": (["Maltotetraose"], ["C24H42O21"], [0], [], []),
            # same key copied onto an unrelated record
            "peng": (["Penicillin G"], ["C16H18N2O4S"], [0], ["JGSARLDLIJGVTE-MBNYWOFBSA-N"], []),
            "acgbgbside_hs": (
                ["Beta GalNAc globoside (homo sapiens)"],
                ["C16H18N2O4S"],
                [0],
                ["JGSARLDLIJGVTE-MBNYWOFBSA-N"],
                [],
            ),
            # same key, stereo clash in the names
            "3aib": (
                ["L-3-Amino-isobutanoate"],
                ["C4H9NO2"],
                [0],
                ["QCHPKSFMDHPSNR-UHFFFAOYSA-N"],
                [],
            ),
            "3aib__D": (
                ["D-3-Amino-isobutanoate"],
                ["C4H9NO2"],
                [0],
                ["QCHPKSFMDHPSNR-UHFFFAOYSA-N"],
                [],
            ),
        },
    )
    ids = set(builder.name)
    assert build.equivalences(builder, ids) == 1
    assert builder.equivalents["hco3"] == {"h2co3"}
    for bigg_id in ("nh3", "nh4", "maltttr", "M02451", "peng", "acgbgbside_hs", "3aib", "3aib__D"):
        assert not builder.equivalents.get(bigg_id)


def test_synonyms_of_another_compound_are_dropped_and_reported(build):
    builder = _builder(
        build,
        {
            "maltttr": (
                ["Maltotetraose"],
                ["C24H42O21"],
                [0],
                [],
                ["Cellotetraose", "Amylotetraose"],
            ),
            "pe_SC": (
                ["Phosphatidylethanolamine yeast specific"],
                [],
                [],
                [],
                ["Phosphatidylethanolamine (ecoli)"],
            ),
            "pe_EC": (["Phosphatidylethanolamine (ecoli)"], [], [], [], []),
            "cellb": (
                ["Cellobiose"],
                ["C12H22O11"],
                [0],
                [],
                ["alpha-Cellobiose", "beta-Cellobiose"],
            ),
            "dtdpglu": (["dTDP-glucose"], [], [], [], ["dTDP-alpha-D-glucose"]),
        },
    )
    kept = build.clean_synonyms(builder, set(builder.name))
    assert kept["maltttr"] == ["Maltotetraose", "Amylotetraose"]
    assert "Phosphatidylethanolamine (ecoli)" not in kept["pe_SC"]
    assert kept["cellb"] == ["Cellobiose"]  # both anomers listed: the entry is the generic one
    assert "dTDP-alpha-D-glucose" in kept["dtdpglu"]  # one anomer only: a real synonym
    reasons = {(b, s): r for b, s, r in builder.dropped}
    assert reasons["maltttr", "Cellotetraose"].startswith("clash sugar")
    assert reasons["pe_SC", "Phosphatidylethanolamine (ecoli)"] == "own name of pe_EC"
    assert reasons["cellb", "alpha-Cellobiose"].startswith("anomer")


def test_gemsembler_formulas_are_added_and_disagreements_kept(build, tmp_path):
    class Source:
        def read(self, package, member):
            assert (package, member) == ("gemsembler", "gemsembler/data/masses_and_charges.json")
            return json.dumps(
                {
                    "dolp": {"formula": ["C95H155O4P"], "charges": [-2]},
                    "q10": {"formula": ["C59H90O4"], "charges": [0]},
                    "absent": {"formula": ["H2O"], "charges": [0]},
                }
            ).encode()

    builder = _builder(build, {"dolp": (["Dolichol phosphate"], ["C20H37O4P(C5H8)n"], [], [], [])})
    builder.name["q10"] = "Ubiquinone-10"
    verdicts = build.read_gemsembler(Source(), builder, {"dolp", "q10"})
    assert builder.formulas["dolp"] == ["C20H37O4P(C5H8)n", "C95H155O4P"]
    assert builder.charges["dolp"] == [-2]
    assert builder.formulas["q10"] == ["C59H90O4"] and "absent" not in builder.formulas
    assert verdicts["new"] == 1 and sum(verdicts.values()) == 2


def test_sources_that_disagree_about_an_id_leave_identity_unproven(build):
    """carveme gives Fe-aerobactin (arbtn_fe3) the Fe-free formula of arbtn and the same key."""
    key = "KDHHWXGBNUCREU-HOTGVXAUSA-K"
    builder = _builder(
        build,
        {
            "arbtn": (["Aerobactin minus Fe3"], ["C22H33N4O13"], [-3], [key], []),
            "arbtn_fe3": (["Aerobactin"], ["C22H33N4O13", "C22H33FeN4O13"], [-3], [key], []),
        },
    )
    assert build.equivalences(builder, set(builder.name)) == 0
    assert build.compatible(builder, "arbtn", "arbtn_fe3").startswith("formula sources disagree")


def test_a_defined_formula_against_only_an_r_group_leaves_identity_unproven(build):
    """lipidA_HP (H. pylori's lipid A, "R" in GEMsembler) borrowed E. coli's lipid A
    disaccharide formula and key through a mergem cluster: not one compound."""
    key = "HLDJGHAAKRKPAV-QDORLFPLSA-L"
    builder = _builder(
        build,
        {
            "lipidAds": (["Lipid A Disaccharide"], ["C68H127N2O20P"], [-2], [key], []),
            "lipidA_HP": (["LipidA"], ["C68H127N2O20P", "R"], [-2], [key], []),
            # two notations of one polymer class are no disagreement
            "glycogen": (["Glycogen"], ["C6H10O5(C6H10O5)n", "(C6H10O5)n"], [0], [], []),
        },
    )
    assert build.equivalences(builder, set(builder.name)) == 0
    assert build.compatible(builder, "lipidAds", "lipidA_HP") == (
        "formula sources disagree for lipidA_HP (generic)"
    )
    assert build.sources_disagree(builder, "glycogen") == ""


def test_pooled_synonym_naming_a_numbered_cluster_partner_is_dropped(build):
    """mergem pools ficytC, ficytc and ficytcc553: cytochrome c-553 names are not ficytC's."""
    builder = _builder(
        build,
        {
            "ficytC": (
                ["Ferricytochrome c"],
                ["C42H52FeN8O6S2"],
                [1],
                [],
                ["Ferricytochrome c-553", "Oxidized-cytochromes-c553", "Cytochrome c3+"],
            ),
            "ficytcc553": (["Ferricytochrome c-553"], ["C42H54FeN8O6S2"], [], [], []),
            # BiGG duplicates whose names differ in locants keep each other's names
            "4mtob": (["4-Methyl-Thio-Oxo-Butyrate"], ["C5H7O3S"], [], [], ["2-oxo-4-x"]),
            "2kmb": (["2-keto-4-methylthiobutyrate"], ["C5H7O3S"], [], [], []),
        },
    )
    builder.cluster_partners["ficytC"] = {"ficytcc553"}
    builder.cluster_partners["ficytcc553"] = {"ficytC"}
    builder.cluster_partners["4mtob"] = {"2kmb"}
    kept = build.clean_synonyms(builder, set(builder.name))
    assert kept["ficytC"] == ["Ferricytochrome c", "Cytochrome c3+"]
    assert kept["ficytcc553"] == ["Ferricytochrome c-553"]
    assert "2-oxo-4-x" in kept["4mtob"]
    reasons = {(b, s): r for b, s, r in builder.dropped}
    assert reasons["ficytC", "Oxidized-cytochromes-c553"] == "names cluster partner ficytcc553"


def test_names_keep_words_that_look_like_element_symbols(build):
    assert build.clean_name("L Ornithine C5H13N2O2") == "L Ornithine"
    assert build.clean_name("Uroporphyrinogen III") == "Uroporphyrinogen III"
    assert build.clean_name("Acrylyl CoA") == "Acrylyl CoA"
    assert build.clean_name("Biomass: DNA") == "Biomass: DNA"
    assert build.display_name(["Vitamin", "Vitamin B12"]) == "Vitamin B12"
    assert build.display_name([]) == ""


def test_trans_isomer_is_not_its_unspecified_sibling(build):
    """thexddcoa "Trans7,10-Hexadecadienoyl-CoA" and hexddcoa "7,10-Hexadecadienoyl-CoA"
    share a mergem cluster and its InChIKey: not proven one compound, and the trans name
    is not a synonym of hexddcoa."""
    key = "XXXXXXXXXXXXXX-UHFFFAOYSA-N"
    builder = _builder(
        build,
        {
            "hexddcoa": (
                ["7,10-Hexadecadienoyl Coenzyme A"],
                ["C37H56N7O17P3S"],
                [-4],
                [key],
                ["Trans7,10-Hexadecadienoyl Coenzyme A"],
            ),
            "thexddcoa": (
                ["Trans7,10-Hexadecadienoyl Coenzyme A"],
                ["C37H56N7O17P3S"],
                [-4],
                [key],
                ["7,10-Hexadecadienoyl Coenzyme A"],
            ),
        },
    )
    ids = set(builder.name)
    assert build.equivalences(builder, ids) == 0
    assert build.compatible(builder, "hexddcoa", "thexddcoa").startswith("specificity cis/trans")
    kept = build.clean_synonyms(builder, ids)
    assert kept["hexddcoa"] == ["7,10-Hexadecadienoyl Coenzyme A"]
    # the less specific name stays on the trans entry (same chemistry, likely a duplicate)
    assert "7,10-Hexadecadienoyl Coenzyme A" in kept["thexddcoa"]
