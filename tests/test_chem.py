"""Tests of cobra_metalign.chem: formulas, charges, InChIKeys and name clashes."""

from __future__ import annotations

import csv
import doctest
import gzip
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobra_metalign import chem
from cobra_metalign.chem import (
    FORMULA_RESULTS,
    compare_formulas,
    distinguishing_clash,
    inchikey_blocks,
    parse_charge,
    parse_formula,
    specificity_difference,
)

# ---------------------------------------------------------------------------
# parse_formula
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "counts"),
    [
        ("C6H12O6", {"C": 6, "H": 12, "O": 6}),
        ("C10H12N5O13P3", {"C": 10, "H": 12, "N": 5, "O": 13, "P": 3}),
        ("H2O", {"H": 2, "O": 1}),
        ("Fe", {"Fe": 1}),
        ("Na", {"Na": 1}),  # sodium, not the placeholder "NA"
        ("C62H88CoN13O14P", {"C": 62, "H": 88, "Co": 1, "N": 13, "O": 14, "P": 1}),
        ("  C6H12O6 ", {"C": 6, "H": 12, "O": 6}),
        ("C5H8NO4R", {"C": 5, "H": 8, "N": 1, "O": 4, "R": 1}),
        ("C20H30O2R", {"C": 20, "H": 30, "O": 2, "R": 1}),
        ("CH3OR2", {"C": 1, "H": 3, "O": 1, "R": 2}),
        ("R", {"R": 1}),
        ("X", {"R": 1}),
        ("C12H21OX", {"C": 12, "H": 21, "O": 1, "R": 1}),
        ("(C6H10O5)n", {"C": 6, "H": 10, "O": 5, "n": 1}),
        ("C6H11O6(C6H10O5)n", {"C": 12, "H": 21, "O": 11, "n": 1}),
        ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
        ("[Fe4S4]", {"Fe": 4, "S": 4}),
        ("CuSO4.5H2O", {"Cu": 1, "S": 1, "O": 9, "H": 10}),
        ("C3436H6572O800P100", {"C": 3436, "H": 6572, "O": 800, "P": 100}),
    ],
)
def test_parse_formula(formula, counts):
    assert parse_formula(formula) == counts


@pytest.mark.parametrize(
    "formula",
    [
        None,
        float("nan"),
        "",
        "   ",
        "NA",
        "nan",
        "NaN",
        "null",
        "None",
        "-",
        "?",
        "c6h12o6",
        "C6H12O6?",
        "C6H11O7-",
        "H+",
        "C6H12O6)",
        "(C6H10O5",
        "()",
        "C0",
        "Xx2",
        "Glucose",
        12,
    ],
)
def test_parse_formula_garbage(formula):
    assert parse_formula(formula) is None


@given(
    st.dictionaries(
        st.sampled_from(["C", "H", "N", "O", "P", "S", "Fe", "Co", "Mg"]),
        st.integers(1, 500),
        min_size=1,
    )
)
def test_parse_formula_round_trip(counts):
    text = "".join(f"{element}{count}" for element, count in counts.items())
    assert parse_formula(text) == counts


# ---------------------------------------------------------------------------
# parse_charge
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charge", "value"),
    [
        (-1, -1),
        (0, 0),
        (-1.0, -1),
        ("-1", -1),
        ("+2", 2),
        ("2-", -2),
        ("3+", 3),
        (" 0 ", 0),
        (None, None),
        (float("nan"), None),
        ("", None),
        ("nan", None),
        ("-1.5", None),
        (0.5, None),
        ("+1-", None),
        (True, None),
    ],
)
def test_parse_charge(charge, value):
    assert parse_charge(charge) == value


# ---------------------------------------------------------------------------
# compare_formulas: each result, on real pairs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f1", "f2", "c1", "c2", "result"),
    [
        # equal: identical counts
        ("C6H12O6", "C6H12O6", 0, 0, "equal"),
        ("C6H12O6", "C6H12O6", None, None, "equal"),
        ("H2O", "OH2", None, 0, "equal"),
        ("C5H8NO4R", "C5H8NO4R", -1, 0, "equal"),
        # ok: only H differs, explained by the charge
        ("C5H8NO4", "C5H9NO4", -1, 0, "ok"),  # BiGG glu__L vs ModelSEED L-glutamate
        ("C6H11O7", "C6H12O7", -1, 0, "ok"),  # gluconate
        ("C10H12N5O13P3", "C10H16N5O13P3", -4, 0, "ok"),  # ATP4- vs neutral ATP
        ("C3H3O3", "C3H4O3", "-1", "0", "ok"),  # pyruvate, charges as text
        ("C3H3O3", "C3H4O3", -1.0, 0.0, "ok"),
        # h_only: only H differs, charge unknown or not explaining it
        ("C6H11O7", "C6H12O7", None, None, "h_only"),
        ("C6H11O7", "C6H12O7", -1, None, "h_only"),
        ("C6H11O7", "C6H12O7", 0, 0, "h_only"),
        ("C3H3O3", "C3H4O3", float("nan"), 0, "h_only"),
        # charge: same counts, different known charges
        ("Fe", "Fe", 2, 3, "charge"),
        ("C26H53NO7P", "C26H53NO7P", 0, 1, "charge"),
        # generic: R groups or (...)n on one side, the rest fits
        ("C5H8NO4R", "C10H17NO4", 0, 0, "generic"),
        ("C5H8NO4R", "C5H8NO4", -1, -1, "generic"),
        ("(C6H10O5)n", "C12H22O11", None, None, "generic"),
        ("C16H31OR", "C20H30O2R", None, None, "generic"),
        # missing
        (None, "C6H12O6", 0, 0, "missing"),
        ("C6H12O6", "", 0, 0, "missing"),
        ("NA", "C6H12O6", 0, 0, "missing"),
        ("c6h12o6", "C6H12O6", 0, 0, "missing"),
        # mismatch: heavy atoms differ
        ("C10H12N5O13P3", "C10H12N5O10P2", -4, -3, "mismatch"),  # ATP vs ADP
        ("C6H12O6", "C6H12O7", 0, 0, "mismatch"),
        ("C5H8NO4R", "C4H8NO4", 0, 0, "mismatch"),  # generic side does not fit
        ("C18H32O2", "C18H36O2", None, None, "mismatch"),  # linoleate vs stearate: dH 4
        ("Fe", "Cu", 2, 2, "mismatch"),
    ],
)
def test_compare_formulas(f1, f2, c1, c2, result):
    assert compare_formulas(f1, f2, c1, c2) == result


def test_compare_formulas_accepts_counts_and_threshold():
    assert compare_formulas({"C": 6, "H": 12, "O": 6}, "C6H12O6") == "equal"
    assert compare_formulas("C18H32O2", "C18H36O2", max_h_diff=4) == "h_only"
    assert compare_formulas("C18H32O2", "C18H36O2", max_h_diff=3) == "mismatch"


@given(
    st.sampled_from(["C6H12O6", "C10H12N5O13P3", "C5H8NO4R", "(C6H10O5)n", "Fe", "", "C3H3O3"]),
    st.sampled_from(["C6H11O6", "C10H13N5O13P3", "C5H9NO4", "C12H22O11", "Fe", "NA", "C3H4O3"]),
    st.one_of(st.none(), st.integers(-4, 4)),
    st.one_of(st.none(), st.integers(-4, 4)),
)
def test_compare_formulas_symmetric(f1, f2, c1, c2):
    result = compare_formulas(f1, f2, c1, c2)
    assert result in FORMULA_RESULTS
    assert compare_formulas(f2, f1, c2, c1) == result


def test_compare_formulas_on_humangem_gold(shared_data):
    """Human-GEM formulas against carveme's BiGG formulas for the gold pairs: the
    guard agrees (equal/ok) with most, and says mismatch for few."""
    with gzip.open(
        shared_data / "reference" / "bigg_universe_carveme_metabolites.tsv.gz", "rt"
    ) as handle:
        bigg = {}
        for row in csv.DictReader(handle, delimiter="\t"):
            bigg.setdefault(row["universal_bigg_id"], row)
    with gzip.open(shared_data / "benchmarks" / "humangem_gold.tsv.gz", "rt") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["gold_bigg"] in bigg]
    results = [
        compare_formulas(
            r["formula"],
            bigg[r["gold_bigg"]]["formula"],
            r["charge"],
            bigg[r["gold_bigg"]]["charge"],
        )
        for r in rows
    ]
    judged = [r for r in results if r != "missing"]
    assert len(judged) > 2000
    agree = sum(r in ("equal", "ok") for r in judged) / len(judged)
    mismatch = sum(r == "mismatch" for r in judged) / len(judged)
    assert agree > 0.85
    assert mismatch < 0.05


# ---------------------------------------------------------------------------
# InChIKeys
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "blocks"),
    [
        ("WQZGKKKJIJFFOK-GASJEMHNSA-N", ("WQZGKKKJIJFFOK", "GASJEMHNSA", "N")),
        ("InChIKey=WQZGKKKJIJFFOK-GASJEMHNSA-N", ("WQZGKKKJIJFFOK", "GASJEMHNSA", "N")),
        (" wqzgkkkjijffok-gasjemhnsa-n ", ("WQZGKKKJIJFFOK", "GASJEMHNSA", "N")),
        ("AUFGTPPARQZWDO-YUZLPWPTSA-L", ("AUFGTPPARQZWDO", "YUZLPWPTSA", "L")),
        ("WQZGKKKJIJFFOK-GASJEMHNSA", None),
        ("WQZGKKKJIJFFOK", None),
        ("C00031", None),
        ("", None),
        (None, None),
    ],
)
def test_inchikey_blocks(key, blocks):
    assert inchikey_blocks(key) == blocks


# ---------------------------------------------------------------------------
# distinguishing_clash
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name1", "name2", "clashes"),
    [
        ("L-Alanine", "D-Alanine", ["stereo L!=D"]),
        ("L-alanyl-D-glutamate", "L-alanyl-L-glutamate", ["stereo D!=L"]),
        ("meso-2,6-Diaminoheptanedioate", "LL-2,6-Diaminoheptanedioate", ["stereo MESO!=LL"]),
        ("(R)-Lactate", "(S)-Lactate", ["R/S R!=S"]),
        ("(2R,3S)-2,3-dimethylmalate", "(2S,3R)-2,3-dimethylmalate", ["R/S 2R,3S!=2S,3R"]),
        ("(S)-3-hydroxybutanoyl-CoA", "(R)-3-Hydroxybutanoyl-CoA", ["R/S S!=R"]),
        ("(2E)-octadecenoyl-CoA", "(2Z)-octadecenoyl-CoA", ["E/Z 2E!=2Z"]),
        ("cis-Aconitate", "trans-Aconitate", ["cis/trans cis!=trans"]),
        (
            "L-erythro-4-Hydroxyglutamate",
            "L-threo-4-Hydroxyglutamate",
            ["erythro/threo erythro!=threo"],
        ),
        ("alpha-D-Glucose", "beta-D-Glucose", ["alpha/beta alpha!=beta"]),
        ("α-D-Glucose", "beta-D-glucose", ["alpha/beta alpha!=beta"]),
        ("(+)-Camphor", "(-)-Camphor", ["optical (+)!=(-)"]),
        ("D-Glucose 6-phosphate", "D-Glucose 1-phosphate", ["number 6!=1"]),
        ("2-Oxoglutarate", "3-oxoglutarate", ["number 2!=3"]),
        ("Menaquinone 7", "Menaquinone 8", ["number 7!=8"]),
        ("Fe2+", "Fe3+", ["number 2!=3"]),
        ("2'-deoxyadenosine", "3'-deoxyadenosine", ["number 2'!=3'"]),
        ("alpha-Linolenate", "gamma-Linolenate", ["greek alpha!=gamma"]),
        ("Hexadecanoate", "Octadecanoate", ["chain 16!=18"]),
        ("Palmitate", "Stearate", ["chain 16!=18"]),
        ("Palmitoyl-CoA (n-C16:0CoA)", "Stearoyl-CoA (n-C18:0CoA)", ["chain 16!=18"]),
        ("Butanoate", "Pentanoate", ["chain 4!=5"]),
        ("Decanoyl-CoA", "Dodecanoyl-CoA", ["chain 10!=12"]),
        ("2-Methylbutanoyl-CoA", "Pentanoyl-CoA", ["chain 4!=5"]),
        ("Palmitate", "Palmitoleate", ["chain 16:0!=16:1"]),
        ("Octadecanoate", "Octadecenoate", ["chain 18:0!=18:1"]),
        ("Eicosapentaenoate", "Eicosatetraenoate", ["chain 20:5!=20:4"]),
        ("Adenosine monophosphate", "Adenosine diphosphate", ["multiplier phosphate 1!=2"]),
        ("Adenosine diphosphate", "Adenosine triphosphate", ["multiplier phosphate 2!=3"]),
        ("D-Fructose 6-phosphate", "D-Fructose 1,6-bisphosphate", ["multiplier phosphate 1!=2"]),
        ("3-Phospho-D-glycerate", "3-Phospho-D-glyceroyl phosphate", ["multiplier phosphate 1!=2"]),
        ("Dihydrofolate", "Tetrahydrofolate", ["multiplier hydro 2!=4"]),
        ("1,2-Diacylglycerol", "Triacylglycerol", ["multiplier acylglycerol 2!=3"]),
        ("Tetracosahexaenoic acid, n-3", "Tetracosahexaenoic acid, n-6", ["omega 3!=6"]),
    ],
)
def test_distinguishing_clash(name1, name2, clashes):
    assert distinguishing_clash(name1, name2) == clashes


@pytest.mark.parametrize(
    ("name1", "name2"),
    [
        ("D-Glucose", "D-glucose"),
        ("D-Glucose", "alpha-D-glucose"),  # generic vs specific: not a clash
        ("glucose", "alpha-D-glucose"),
        ("L-Alanine", "alanine"),
        ("Pyruvate", "2-oxopropanoate"),
        ("2-Oxoglutarate", "alpha-Ketoglutarate"),
        ("Palmitate", "Hexadecanoate"),
        ("Palmitoyl-CoA (n-C16:0CoA)", "Hexadecanoyl-CoA"),
        ("Acetoacetate", "3-Oxobutanoate"),
        ("Butyrate", "Butanoate"),
        ("Ethanolamine", "2-Aminoethanol"),
        ("S-Adenosyl-L-methionine", "S-adenosyl-L-methionine"),
        ("Thiamin diphosphate", "Thiamine pyrophosphate"),
        ("1,3-bisphospho-D-glycerate", "3-Phospho-D-glyceroyl phosphate"),
        ("(2E)-Octadecenoyl-CoA", "trans-Octadec-2-enoyl-CoA"),
        ("(7Z,10Z,13Z,16Z,19Z)-docosapentaenoyl-CoA", "docosa-7,10,13,16,19-pentaenoyl-CoA"),
        ("(24R)-24,25-dihydroxycalciol", "24R,25-Dihydroxyvitamin D3"),
        ("(2R)-2-hydroxy-acid", "(R)-2-hydroxy-acid"),
        ("Mesaconate;(E)-2-Methyl-2-butenedioic acid", "mesaconate"),
        ("Acetyl-CoA", "acetyl coenzyme A"),
        ("L-Glutamate(1-) [c]", "L-Glutamate C5H8NO4"),
        ("", ""),
    ],
)
def test_no_clash(name1, name2):
    assert distinguishing_clash(name1, name2) == []


@given(
    st.sampled_from(
        [
            "L-Alanine",
            "D-alanine",
            "(R)-lactate",
            "2-oxoglutarate",
            "palmitate",
            "alpha-D-glucose",
            "glucose",
            "adenosine diphosphate",
            "cis-aconitate",
        ]
    ),
    st.sampled_from(
        [
            "D-Alanine",
            "(S)-lactate",
            "3-oxoglutarate",
            "stearate",
            "beta-D-glucose",
            "adenosine triphosphate",
            "trans-aconitate",
            "alanine",
            "hexadecanoate",
        ]
    ),
)
def test_clash_is_symmetric(name1, name2):
    assert bool(distinguishing_clash(name1, name2)) == bool(distinguishing_clash(name2, name1))
    assert bool(specificity_difference(name1, name2)) == bool(specificity_difference(name2, name1))


def test_non_strings_do_not_clash():
    assert distinguishing_clash(None, "L-Alanine") == []
    assert distinguishing_clash(float("nan"), "L-Alanine") == []


# ---------------------------------------------------------------------------
# specificity_difference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name1", "name2", "differences"),
    [
        (
            "glucose",
            "alpha-D-glucose",
            ["stereo D only in name2", "alpha/beta alpha only in name2"],
        ),
        ("D-Glucose", "alpha-D-glucose", ["alpha/beta alpha only in name2"]),
        ("L-Alanine", "Alanine", ["stereo L only in name1"]),
        ("Lactate", "(S)-Lactate", ["R/S S only in name2"]),
        ("Aconitate", "cis-Aconitate", ["cis/trans cis only in name2"]),
        ("Camphor", "(+)-camphor", ["optical (+) only in name2"]),
        (
            "1,2-Diacyl-sn-glycerol 3-phosphate",
            "Diacylglycerol 3-phosphate",
            ["number 1,2 only in name1"],
        ),
        ("Acyl-CoA", "Palmitoyl-CoA", ["chain 16 only in name2"]),
        ("(2E)-Octadecenoyl-CoA", "Octadecenoyl-CoA", ["E/Z 2E only in name1"]),
        ("L-Alanine", "D-Alanine", []),  # a clash, not a specificity difference
        ("Pyruvate", "2-oxopropanoate", []),  # numbers on one side only: trivial name
        ("Acetoacetate", "3-Oxobutanoate", []),  # chain on one side, no generic word
        ("D-Glucose", "D-glucose", []),
    ],
)
def test_specificity_difference(name1, name2, differences):
    assert specificity_difference(name1, name2) == differences


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


def _bigg_names(shared_data):
    path = shared_data / "reference" / "bigg_1.6_universal_names_obo.tsv"
    with path.open(encoding="utf-8") as handle:
        return {r["universal_bigg_id"]: r["name"] for r in csv.DictReader(handle, delimiter="\t")}


def test_few_clashes_on_true_pairs(shared_data):
    """Human-GEM names against the BiGG names of their gold ids: true pairs rarely clash."""
    names = _bigg_names(shared_data)
    with gzip.open(shared_data / "benchmarks" / "humangem_gold.tsv.gz", "rt") as handle:
        pairs = {
            (r["name"], names[r["gold_bigg"]])
            for r in csv.DictReader(handle, delimiter="\t")
            if r["gold_bigg"] in names and r["name"]
        }
    assert len(pairs) > 2000
    clashing = sum(bool(distinguishing_clash(a, b)) for a, b in pairs)
    assert clashing / len(pairs) < 0.05


def test_clashes_on_isomers(shared_data):
    """Distinct BiGG metabolites with the same formula (isomers, stereoisomers): the
    formula guard cannot tell them apart, the name guard flags most of them."""
    names = _bigg_names(shared_data)
    by_formula: dict[str, list[str]] = {}
    with gzip.open(
        shared_data / "reference" / "bigg_universe_carveme_metabolites.tsv.gz", "rt"
    ) as handle:
        seen = set()
        for row in csv.DictReader(handle, delimiter="\t"):
            uid, formula = row["universal_bigg_id"], row["formula"]
            if uid in seen or uid not in names or not formula or "R" in formula:
                continue
            seen.add(uid)
            by_formula.setdefault(formula, []).append(uid)
    pairs = [
        (names[a], names[b])
        for ids in by_formula.values()
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
    ]
    assert len(pairs) > 2000
    flagged = sum(
        bool(distinguishing_clash(a, b) or specificity_difference(a, b)) for a, b in pairs
    )
    assert flagged / len(pairs) > 0.6
    stereo = [
        (a, b)
        for a, b in pairs
        if {a[:2], b[:2]} == {"L-", "D-"} and a[2:].lower() == b[2:].lower()
    ]
    assert len(stereo) > 10
    assert [(a, b) for a, b in stereo if not distinguishing_clash(a, b)] == []


def test_docstring_examples():
    result = doctest.testmod(chem)
    assert result.attempted > 8
    assert result.failed == 0


def test_nan_is_not_a_formula():
    assert parse_formula(math.nan) is None
    assert compare_formulas(math.nan, math.nan) == "missing"


@pytest.mark.parametrize(
    ("name1", "name2", "expected"),
    [
        ("Cellotetraose", "Maltotetraose", ["sugar cell!=malt"]),
        ("Celloheptaos", "Maltoheptaose", ["sugar cell!=malt"]),
        ("Lactosylceramide", "Galactosylceramide", ["sugar lact!=galact"]),
        ("Maltose", "Maltotriose", []),
        ("alpha-Cellobiose", "beta-cellobiose", ["alpha/beta alpha!=beta"]),
        ("Pimeloyl-[acyl-carrier protein]", "Pimeloyl-CoA", ["carrier ACP!=CoA"]),
        ("L-3-Amino-isobutanoate", "D-3-Amino-isobutanoate", ["stereo L!=D"]),
    ],
)
def test_sugar_family_carrier_and_leading_stereo_clashes(name1, name2, expected):
    """Real catalogue cases: cellotetraose was a synonym of maltttr; pimACP joined pmcoa."""
    assert distinguishing_clash(name1, name2) == expected


def test_anomer_before_a_sugar_word_is_specific():
    assert specificity_difference("alpha-Cellobiose", "Cellobiose") == [
        "alpha/beta alpha only in name1"
    ]


def test_mixture_formula_against_one_molecule_is_generic():
    """BiGG/VMH 'human liver/uterine homolog' records pool chain lengths (C1080H1768O10)."""
    assert compare_formulas("C100H164O", "C1080H1768O10") == "generic"
    # two mixture records still compare atom by atom (iSB619 pgly_SA vs pgly_SA2)
    assert compare_formulas("C1936H3598N50O450P50", "C1660H3215N50O242P50") == "mismatch"
