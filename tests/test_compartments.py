"""Tests of id splitting and name cleaning (cobra_metalign.compartments)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cobra_metalign.compartments import (
    COMPARTMENT_CODES,
    COMPARTMENT_WORDS,
    clean_name,
    compartment_aliases,
    compartment_code,
    decode_sbml_id,
    split_id,
)

# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Cytosol", "c"),
        ("cytoplasm", "c"),
        ("Extra_organism", "e"),
        ("extracellular space", "e"),
        ("Extra-organism", "e"),
        ("in cytosol", "c"),
        ("in the cytosol", "c"),
        ("Endoplasmic_Reticulum", "r"),
        ("Golgi_Apparatus", "g"),
        ("Mitochondria", "m"),
        ("Peroxisome", "x"),
        ("Cytosol_0", "c0"),
        ("acyl-carrier protein", None),
        ("protein", None),
        ("", None),
        (None, None),
    ],
)
def test_compartment_code(text, code):
    assert compartment_code(text) == code


def test_every_word_maps_to_a_known_code():
    for word, code in COMPARTMENT_WORDS.items():
        assert code in COMPARTMENT_CODES, word
        assert compartment_code(word) == code


@pytest.mark.parametrize(
    ("compartment", "aliases"),
    [
        ("c", {"c", "c0"}),
        ("c0", {"c0", "c"}),
        ("C_c", {"C_c", "c", "c0"}),
        ("Cytosol", {"Cytosol", "c", "c0"}),
        ("Extra_organism", {"Extra_organism", "e", "e0"}),
        ("cA", {"cA", "cA0"}),
        ("c1", {"c1"}),
        ("", set()),
        (None, set()),
    ],
)
def test_compartment_aliases(compartment, aliases):
    assert compartment_aliases(compartment) == aliases


@pytest.mark.parametrize(
    ("met_id", "decoded"),
    [
        ("M_glc__D_c", "glc__D_c"),
        ("glc__D_c", "glc__D_c"),
        ("M_", "M_"),
        ("M_10fthf__91__c__93__", "10fthf[c]"),
        ("glc__45__D__40__e__41__", "glc-D(e)"),
        ("M__4hphac_c", "4hphac_c"),
        ("_4hphac_c", "4hphac_c"),
        ("_abc", "_abc"),
        ("glc_DASH_D_c", "glc_DASH_D_c"),
        ("glc_DASH_D_LPAREN_e_RPAREN_", "glc_DASH_D(e)"),
        ("glc_DASH_D_LSQBKT_c_RSQBKT_", "glc_DASH_D[c]"),
        ("x__1000__y", "x__1000__y"),
        ("  glc__D_c ", "glc__D_c"),
    ],
)
def test_decode_sbml_id(met_id, decoded):
    assert decode_sbml_id(met_id) == decoded


# --------------------------------------------------------------- split_id


@pytest.mark.parametrize(
    ("met_id", "compartment", "expected"),
    [
        # Rule 5: own compartment suffix, separated forms.
        ("glc__D_c", "c", ("glc__D", "c")),
        ("cpd00027_c0", "c0", ("cpd00027", "c0")),
        ("glc-D[c]", "c", ("glc-D", "c")),
        ("glc-D(c)", "c", ("glc-D", "c")),
        ("10fthf__91__c__93__", "c", ("10fthf", "c")),
        ("glc-D-c", "c", ("glc-D", "c")),
        ("3mop_cN", "cN", ("3mop", "cN")),
        # Rule 2: M_ prefix (JSON models may keep it).
        ("M_glc__D_c", "c", ("glc__D", "c")),
        # Rule 4: leading underscore before a digit.
        ("_4hphac_c", "c", ("4hphac", "c")),
        # Aliases: C_ prefix, spelled-out compartments, ModelSEED index 0.
        ("aicar_c", "C_c", ("aicar", "C_c")),
        ("trp_L_c", "Cytosol", ("trp_L", "Cytosol")),
        ("13BDglcn_e", "Extra_organism", ("13BDglcn", "Extra_organism")),
        ("cpd00034_c", "c0", ("cpd00034", "c0")),
        ("cpd00027_c0", "c", ("cpd00027", "c")),
        # Never cut at arbitrary underscores.
        ("s_0001", "c", ("s_0001", "c")),
        ("glc__D", "c", ("glc__D", "c")),
        ("12dgr_SC_c", "c", ("12dgr_SC", "c")),
        # Another compartment's suffix stays (boundary copies are not merged away).
        ("ac_b", "C_e", ("ac_b", "C_e")),
        ("so4_e_boundary", "e", ("so4_e_boundary", "e")),
        ("glc__D_e", "c", ("glc__D_e", "c")),
        # Only one suffix, never the whole id.
        ("x_c_c", "c", ("x_c", "c")),
        ("_c", "c", ("_c", "c")),
        ("c", "c", ("c", "c")),
        ("[c]", "c", ("[c]", "c")),
        # Rule 6: glued suffix only after an opaque accession.
        ("MAM00001c", "c", ("MAM00001", "c")),
        ("MAM01234e", "e", ("MAM01234", "e")),
        ("cpd00027c0", "c0", ("cpd00027", "c0")),
        ("glyc3p", "p", ("glyc3p", "p")),
        ("g3p", "p", ("g3p", "p")),
        ("MAM00001c", "e", ("MAM00001c", "e")),
        ("cpd00001", "1", ("cpd00001", "1")),
    ],
)
def test_split_id_with_compartment(met_id, compartment, expected):
    assert split_id(met_id, compartment) == expected


@pytest.mark.parametrize(
    ("met_id", "compartments", "expected"),
    [
        # Rule 7: infer from the suffix when the attribute is missing.
        ("12methedec_e", ["", "c", "e", "w"], ("12methedec", "e")),
        ("glc__D_c", ["c", "e"], ("glc__D", "c")),
        ("glc-D[e]", ["c", "e"], ("glc-D", "e")),
        ("aicar_c", ["C_c", "C_e"], ("aicar", "C_c")),
        ("cpd00027_c0", ["c0", "e0"], ("cpd00027", "c0")),
        # No match: whole id, empty compartment.
        ("glc__D_x", ["c", "e"], ("glc__D_x", "")),
        ("glc__D_c", [], ("glc__D_c", "")),
        # Neither the dash nor the glued form is used for inference.
        ("glc-D-c", ["c"], ("glc-D-c", "")),
        ("MAM00001c", ["c"], ("MAM00001c", "")),
    ],
)
def test_split_id_infers_compartment(met_id, compartments, expected):
    assert split_id(met_id, None, compartments) == expected
    assert split_id(met_id, "", compartments) == expected


def test_split_id_prefers_the_attribute():
    assert split_id("glc__D_c", "e", ["c", "e"]) == ("glc__D_c", "e")


_BASE_IDS = st.from_regex(r"[a-z][a-z0-9]{0,5}(__?[A-Za-z0-9]{1,4}){0,3}", fullmatch=True)
_COMPARTMENTS = st.sampled_from(["c", "e", "p", "m", "c0", "e0", "C_c", "cA", "Cytosol"])


@given(base=_BASE_IDS, compartment=_COMPARTMENTS, form=st.sampled_from(["_{}", "[{}]", "({})"]))
def test_split_id_round_trip(base, compartment, form):
    assume(not re.search(r"__\d+__", base + "_"))
    suffix = compartment.removeprefix("C_") if compartment.startswith("C_") else compartment
    met_id = base + form.format(suffix)
    assert split_id(met_id, compartment) == (base, compartment)
    assert split_id(met_id, None, [compartment, "zz"]) == (base, compartment)


@given(
    met_id=st.text(min_size=1, max_size=30), compartment=st.one_of(st.none(), st.text(max_size=4))
)
def test_split_id_never_empties_an_id(met_id, compartment):
    base, found = split_id(met_id, compartment, ["c", "e"])
    if decode_sbml_id(met_id):
        assert base
    assert base in decode_sbml_id(met_id)
    if compartment and compartment.strip():
        assert found == compartment.strip()


# ------------------------------------------------------------- clean_name


@pytest.mark.parametrize(
    ("name", "compartment", "cleaned"),
    [
        # N1: legacy mangled names.
        ("M_L_Tryptophan_C11H12N2O2", "Cytosol", "L_Tryptophan"),
        ("M_Hexadecanoate__n_C160__C16H31O2", "Cytosol", "Hexadecanoate__n_C160"),
        ("M_Reduced_thioredoxin_XH2", "Peroxisome", "Reduced_thioredoxin"),
        ("M_Coenzyme_A", None, "Coenzyme_A"),
        ("M_", None, "M_"),
        # N2: leading underscore before a digit.
        ("_10-Formyltetrahydrofolate", "c", "10-Formyltetrahydrofolate"),
        ("_2,3-Disphospho-D-glycerate", None, "2,3-Disphospho-D-glycerate"),
        ("_abc", None, "_abc"),
    ],
)
def test_clean_name_legacy(name, compartment, cleaned):
    assert clean_name(name, compartment) == cleaned


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        # N3: spelled-out compartment in brackets or parentheses.
        ("glucose [cytosol]", "glucose"),
        ("glucose (in cytosol)", "glucose"),
        ("glucose (in the cytosol)", "glucose"),
        ("Reduced glutathione (extracellular)", "Reduced glutathione"),
        ("L-Ala-gamma-D-Glu-L-lys-D-Ala (Extracellular)", "L-Ala-gamma-D-Glu-L-lys-D-Ala"),
        ("Undecaprenyl-diphosphate (cell wall)", "Undecaprenyl-diphosphate"),
        ("glucose [extracellular space]", "glucose"),
        ("glucose_[Golgi_apparatus]", "glucose"),
        ("(in cytosol)", "(in cytosol)"),
    ],
)
def test_clean_name_compartment_words(name, cleaned):
    assert clean_name(name) == cleaned


@pytest.mark.parametrize(
    ("name", "compartment", "cleaned"),
    [
        # N4: code in square brackets, any known code with optional 0.
        ("H2O [c]", None, "H2O"),
        ("glucose[e]", None, "glucose"),
        ("Mn2+[e]", "e", "Mn2+"),
        ("Ubiquinone-8[i]", "i", "Ubiquinone-8"),
        ("glucose [c0]", None, "glucose"),
        ("glucose [cA]", "cA", "glucose"),
        ("glucose [cA]", None, "glucose [cA]"),
        ("glucose [c2]", None, "glucose [c2]"),
        ("[c]", None, "[c]"),
        # N5: code in parentheses, only indexed or the metabolite's own.
        ("glucose (c0)", None, "glucose"),
        ("glucose (c)", "c", "glucose"),
        ("glucose (c)", None, "glucose (c)"),
        ("Polyphosphate (n)", "c", "Polyphosphate (n)"),
        ("KDO(2)-lipid IV(A)", "c", "KDO(2)-lipid IV(A)"),
    ],
)
def test_clean_name_bracketed_codes(name, compartment, cleaned):
    assert clean_name(name, compartment) == cleaned


@pytest.mark.parametrize(
    ("name", "compartment", "cleaned"),
    [
        # N6: indexed code after _ or -.
        ("ATP_c0", None, "ATP"),
        ("CO2-c0", "c0", "CO2"),
        ("D-Glucose-e0", None, "D-Glucose"),
        ("L-Lactate-p0", None, "L-Lactate"),
        ("H_plus__c0", "c0", "H_plus"),
        ("Menaquinol_8_c0", "c0", "Menaquinol_8"),
        ("Zn2_c0", "c", "Zn2"),
        ("2-Demethylmenaquinol_8_i1", "i1", "2-Demethylmenaquinol_8"),
        ("2-Demethylmenaquinol_8_i1", None, "2-Demethylmenaquinol_8_i1"),
        ("Prostaglandin-c2", None, "Prostaglandin-c2"),
        ("Biomass_c0_b", "c0", "Biomass"),
        ("Adenosine_e0_b", "e0", "Adenosine"),
        # N7: bare code after _ or -, only the metabolite's own compartment.
        ("ATP_c", "c", "ATP"),
        ("glucose-e", "e", "glucose"),
        ("12methedecACP_c", "c", "12methedecACP"),
        ("12methedecACP_c", "e", "12methedecACP_c"),
        ("ATP_c", None, "ATP_c"),
        ("10-Formyltetrahydrofolate_cA", "cA", "10-Formyltetrahydrofolate"),
        ("Cytochrome-c", "c", "Cytochrome-c"),
        ("ferricytochrome_c", "c", "ferricytochrome_c"),
        ("Vitamin-e", "e", "Vitamin-e"),
        ("ala-L", "l", "ala-L"),
    ],
)
def test_clean_name_separated_codes(name, compartment, cleaned):
    assert clean_name(name, compartment) == cleaned


@pytest.mark.parametrize(
    "name",
    [
        "Vitamin B12",
        "2-Oxoglutarate",
        "L-Glutamate-5-semialdehyde",
        "acyl-[acyl-carrier protein]",
        "(3R)-3-Hydroxyacyl-[acyl-carrier protein]",
        "[protein]-L-lysine",
        "4-Hydroxy-2-oxoglutarate",
        "Fe2+",
        "PE-c18:1",
        "1-acyl-sn-glycerol 3-phosphate(2-)",
        "tetradecanoate (n-C14:0)",
        "10-Formyltetrahydrofolate-[Glu](5)",
        "CDP diacylglycerol (homo sapiens)",
        "Ebastine c",
        "ala-L-asp-L",
        "N-Acetyl-D-glucosamine",
        "Coenzyme A",
        "Periplasmic O antigen (15 repeat units)",
    ],
)
@pytest.mark.parametrize("compartment", [None, "c", "e", "p"])
def test_clean_name_keeps_chemistry(name, compartment):
    assert clean_name(name, compartment) == name


def test_clean_name_strips_one_tag_only():
    assert clean_name("glucose [c] [e]") == "glucose [c]"
    assert clean_name("ATP_c0_c0") == "ATP_c0"


@pytest.mark.parametrize(("name", "cleaned"), [(None, ""), ("", ""), ("  ATP  ", "ATP")])
def test_clean_name_missing_and_whitespace(name, cleaned):
    assert clean_name(name) == cleaned


@given(name=st.text(max_size=40), compartment=st.one_of(st.none(), _COMPARTMENTS))
def test_clean_name_is_a_non_empty_substring(name, compartment):
    cleaned = clean_name(name, compartment)
    assert cleaned in name
    if name.strip():
        assert cleaned
