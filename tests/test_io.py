"""Tests of the model adapter (cobra_metalign.io.model).

Real models come from ../shared/data/models (skipped when absent); each is read
once per module. The expected values of the spot checks were looked up in the
files themselves (zcat | grep) and are facts of those inputs.
"""

from __future__ import annotations

import bz2
import gzip
import json
import logging
import math
import os
import re
import time
from pathlib import Path

import cobra
import pandas as pd
import pytest
from cobra import Metabolite, Model, Reaction

from cobra_metalign.errors import MetalignError, ModelReadError, ModelWriteError
from cobra_metalign.io import model as model_io
from cobra_metalign.io.model import (
    METABOLITE_COLUMNS,
    VALIDATION_COLUMNS,
    metabolite_table,
    read_model,
    validate,
    write_model,
)

# (file under models/, metabolite id, base_id, compartment, name, clean_name
#  (None: same as name), formula, charge (None: NaN), annotation pairs (empty:
#  the metabolite has none))
SPOTS = [
    (
        "modelseed_namespace/bacteroides_bacc_sp_cf_L2v4_seed.xml.gz",
        "cpd00030_e",
        "cpd00030",
        "e",
        "Mn2+[e]",
        "Mn2+",
        "",
        0.0,
        [],
    ),
    (
        "multi_tool/Adlercreutzia_equolifaciens_DSM_19450_AGORA2_L3.xml.gz",
        "2s5epchc[c]",
        "2s5epchc",
        "c",
        "2-Succinyl-5-enolpyruvyl-6-hydroxy-3-cyclohexene-1-carboxylate",
        None,
        "C14H13O9",
        -3.0,
        [("kegg.compound", "C16519")],
    ),
    (
        "multi_tool/BU_agora.xml.gz",
        "mi1p_D[c]",
        "mi1p_D",
        "c",
        "1D-myo-inositol 1-phosphate(2-)",
        None,
        "C6H11O9P",
        -2.0,
        [("hmdb", "HMDB0002985"), ("kegg.compound", "C01177"), ("chebi", "CHEBI:18297")],
    ),
    (
        "multi_tool/BU_carveme_hom.xml.gz",
        "aicar_c",
        "aicar",
        "C_c",
        "5-Amino-1-(5-Phospho-D-ribosyl)imidazole-4-carboxamide",
        None,
        "C9H13N4O8P",
        -2.0,
        [
            ("kegg.compound", "C04677"),
            ("inchikey", "NOTGFIUVDGNKRI-UUOKFMHZSA-L"),
            ("hmdb", "HMDB0001517"),
            ("biocyc", "META:AICAR"),
        ],
    ),
    (
        "multi_tool/BU_gapseq.xml.gz",
        "cpd00011_c0",
        "cpd00011",
        "c0",
        "CO2-c0",
        "CO2",
        "CO2",
        0.0,
        [
            ("metanetx.chemical", "MNXM13"),
            ("inchikey", "CURLTUGMZLYLDI-UHFFFAOYSA-N"),
            ("chebi", "CHEBI:16526"),
            ("bigg.metabolite", "co2"),
            ("biocyc", "META:CARBON-DIOXIDE"),
            ("hmdb", "HMDB0001967"),
            ("kegg.compound", "C00011"),
        ],
    ),
    (
        "multi_tool/BU_modelSEED.sbml.gz",
        "cpd00005_c0",
        "cpd00005",
        "c0",
        "NADPH_c0",
        "NADPH",
        "",
        -4.0,
        [],
    ),
    (
        # compartment "" in the file: inferred from the suffix
        "saureus/Poudel2020_TCH1516.json.gz",
        "12methedec_e",
        "12methedec",
        "e",
        "12methedecACP_c",
        None,
        "C26H49N2O8PRS",
        0.0,
        [],
    ),
    (
        "saureus/iSB619_L2v1_cobranotes.xml.gz",
        "tagdp_DASH_D_c",
        "tagdp_DASH_D",
        "C_c",
        "D-Tagatose 1,6-biphosphate",
        None,
        "C6H10O12P2",
        -4.0,
        [],
    ),
    (
        "saureus/iYS854_bigg_input.json.gz",
        "tag6p__D_c",
        "tag6p__D",
        "c",
        "D-Tagatose 6-phosphate",
        None,
        "C6H11O9P",
        -1.0,
        [],
    ),
    (
        # no charge anywhere in the file
        "sbml_variety/ecoli_core_model_L2v1_cobranotes.xml.gz",
        "g3p_c",
        "g3p",
        "C_c",
        "Glyceraldehyde-3-phosphate",
        None,
        "C3H5O6P",
        None,
        [],
    ),
    (
        "sbml_variety/iAF1260b_L3_fbcv2_noannot.xml.gz",
        "val_DASH_L_p",
        "val_DASH_L",
        "p",
        "L-Valine",
        None,
        "C5H11NO2",
        0.0,
        [],
    ),
    (
        # FBC v1 without fbc:charge (cobra alone says 0); KEGGID note
        "sbml_variety/iAF692_L3_fbcv1.xml.gz",
        "amp_c",
        "amp",
        "c",
        "AMP",
        None,
        "",
        None,
        [("kegg.compound", "C00020")],
    ),
    (
        "sbml_variety/iAF987_L3_fbcv1_annot.xml.gz",
        "_4hphac_c",
        "4hphac",
        "c",
        "4-Hydroxyphenylacetate",
        None,
        "C8H7O3",
        -1.0,
        [("kegg.compound", "C00642")],
    ),
    (
        "sbml_variety/iJO1366_L2v1_cobranotes.xml.gz",
        "feenter_e",
        "feenter",
        "e",
        "Fe-enterobactin",
        None,
        "C30H27FeN3O15",
        3.0,
        [],
    ),
    (
        "sbml_variety/iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz",
        "pppn_p",
        "pppn",
        "p",
        "Phenylpropanoate",
        None,
        "C9H9O2",
        -1.0,
        [
            ("bigg.metabolite", "pppn"),
            ("biocyc", "META:3-PHENYLPROPIONATE"),
            ("chebi", "CHEBI:20186"),
            ("hmdb", "HMDB0000764"),
            ("kegg.compound", "C05629"),
            ("metanetx.chemical", "MNXM1403"),
            ("seed.compound", "cpd03343"),
        ],
    ),
    (
        "sbml_variety/iML1515_bigg_input.json.gz",
        "sulfac_p",
        "sulfac",
        "p",
        "sulfoacetate",
        None,
        "C2H2O5S",
        -2.0,
        [],
    ),
    (
        # spelled-out compartment ids, mangled names, formula only in the name
        "sbml_variety/iMM904_L2v1_cobranotes.xml.gz",
        "trp_L_c",
        "trp_L",
        "Cytosol",
        "M_L_Tryptophan_C11H12N2O2",
        "L_Tryptophan",
        "",
        0.0,
        [],
    ),
    (
        # cobra alone fails on this file (empty <or/> gene associations)
        "sbml_variety/iND750_L3_fbcv1.xml.gz",
        "akg_m",
        "akg",
        "m",
        "_2-Oxoglutarate",
        "2-Oxoglutarate",
        "",
        None,
        [],
    ),
    (
        "sbml_variety/iNL402_L2v4_cobranotes.xml.gz",
        "fe2_cN",
        "fe2",
        "cN",
        "Fe2+",
        None,
        "Fe",
        None,
        [],
    ),
    (
        "sbml_variety/salmonella_L3_fbcv2_biggexport_cobrapkg.xml.gz",
        "lac__D_c",
        "lac__D",
        "c",
        "D-Lactate",
        None,
        "C3H5O3",
        -1.0,
        [
            ("bigg.metabolite", "lac__D"),
            ("inchikey", "JVTAAEKCZFNVCJ-UWTATZPHSA-M"),
            ("sabiork", "1997"),
            ("hmdb", "HMDB0000171"),
            ("chebi", "CHEBI:341"),
        ],
    ),
    (
        "sbml_variety/textbook_ecolicore_L3_fbcv2_cobrapkg.xml.gz",
        "g3p_c",
        "g3p",
        "c",
        "Glyceraldehyde 3-phosphate",
        None,
        "C3H5O6P",
        -2.0,
        [
            ("bigg.metabolite", "g3p"),
            ("kegg.compound", "C00118"),
            ("seed.compound", "cpd00102"),
            ("chebi", "CHEBI:58027"),
        ],
    ),
]

SBML_L3 = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">'
)


@pytest.fixture(autouse=True)
def _quiet_cobra():
    """cobra logs a warning per odd species; keep the test log readable."""
    logger = logging.getLogger("cobra")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def real_model(shared_data):
    """Read a model of ../shared/data/models once per module: load(relative) -> (model, table)."""
    cache: dict[str, tuple[cobra.Model, pd.DataFrame]] = {}

    def load(relative: str) -> tuple[cobra.Model, pd.DataFrame]:
        if relative not in cache:
            model = read_model(shared_data / "models" / relative)
            cache[relative] = (model, metabolite_table(model))
        return cache[relative]

    return load


def tiny_model() -> Model:
    """Three metabolites in two compartments, with annotations, notes and an ``M_`` id."""
    model = Model("tiny")
    glc_c = Metabolite(
        "glc__D_c", name="D-Glucose [cytosol]", compartment="c", formula="C6H12O6", charge=0
    )
    glc_c.annotation = {
        "sbo": "SBO:0000247",
        "chebi": ["CHEBI:4167", "17634"],
        "kegg.compound": "C00031",
        "inchi_key": "WQZGKKKJIJFFOK-GASJEMHNSA-N",
    }
    glc_c.notes = {"KEGG ID": "C00031", "PubChem CID": "5793"}
    glc_e = Metabolite(
        "glc__D_e", name="D-Glucose-e0", compartment="e", formula="C6H12O6", charge=0
    )
    glc_e.annotation = {"hmdb": "HMDB00122"}
    atp = Metabolite("M_atp_c", name="ATP_c", compartment="c", formula=None, charge=-4)
    model.add_metabolites([glc_c, glc_e, atp])
    transport = Reaction("GLCt", lower_bound=-10, upper_bound=10)
    transport.add_metabolites({glc_e: -1, glc_c: 1})
    kinase = Reaction("HEX", lower_bound=0, upper_bound=1000)
    kinase.add_metabolites({glc_c: -1, atp: -1})
    model.add_reactions([transport, kinase])
    model.objective = "HEX"
    return model


# --------------------------------------------------------------- real data


def test_spots_cover_every_model(shared_data):
    files = sorted(
        str(path.relative_to(shared_data / "models"))
        for path in (shared_data / "models").rglob("*")
        if path.is_file()
    )
    assert files == sorted(spot[0] for spot in SPOTS)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # cobra on iNL402's gene rules
@pytest.mark.parametrize("spot", SPOTS, ids=[Path(spot[0]).name for spot in SPOTS])
def test_real_model_loads(real_model, spot):
    relative, met_id, base_id, compartment, name, cleaned, formula, charge, pairs = spot
    model, table = real_model(relative)

    assert list(table.index) == [met.id for met in model.metabolites]
    assert table.index.name == "metabolite_id"
    assert tuple(table.columns) == METABOLITE_COLUMNS
    assert table["charge"].dtype == float
    assert table["n_reactions"].dtype == "int64"
    assert set(table["compartment"]) <= set(model.compartments) | {""}
    assert all(base for base in table["base_id"])
    assert all(list(pairs_) == sorted(set(pairs_)) for pairs_ in table["annotations"])

    row = table.loc[met_id]
    assert row["base_id"] == base_id
    assert row["compartment"] == compartment
    assert row["name"] == name
    assert row["clean_name"] == (cleaned if cleaned is not None else name)
    assert row["formula"] == formula
    if charge is None:
        assert math.isnan(row["charge"])
    else:
        assert row["charge"] == charge
    if pairs:
        assert set(pairs) <= set(row["annotations"])
    else:
        assert row["annotations"] == ()
    assert row["n_reactions"] == len(model.metabolites.get_by_id(met_id).reactions) > 0


def test_repaired_model_keeps_valid_gene_rules(real_model):
    model, _ = real_model("sbml_variety/iND750_L3_fbcv1.xml.gz")
    assert model.reactions.get_by_id("ATPS").gene_reaction_rule == ""
    assert model.reactions.get_by_id("FA120ACPH").gene_reaction_rule != ""


def test_metabolite_table_is_fast(real_model):
    model, _ = real_model("sbml_variety/iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz")
    assert len(model.metabolites) == 1805
    start = time.perf_counter()
    metabolite_table(model)
    # about 0.15 s here; the bound leaves room for a loaded machine
    assert time.perf_counter() - start < 2.0


# ---------------------------------------------------------- metabolite_table


def test_metabolite_table_of_tiny_model():
    model = tiny_model()
    model.metabolites.get_by_id("M_atp_c").charge = "not a number"
    table = metabolite_table(model)
    assert list(table.index) == ["glc__D_c", "glc__D_e", "M_atp_c"]
    glc = table.loc["glc__D_c"]
    assert glc["base_id"] == "glc__D"
    assert glc["clean_name"] == "D-Glucose"
    assert glc["annotations"] == (
        ("chebi", "CHEBI:17634"),
        ("chebi", "CHEBI:4167"),
        ("inchikey", "WQZGKKKJIJFFOK-GASJEMHNSA-N"),
        ("kegg.compound", "C00031"),
        ("pubchem.compound", "5793"),
    )
    assert glc["n_reactions"] == 2
    assert table.loc["glc__D_e", "clean_name"] == "D-Glucose"
    assert table.loc["glc__D_e", "annotations"] == (("hmdb", "HMDB0000122"),)
    atp = table.loc["M_atp_c"]
    assert (atp["base_id"], atp["compartment"], atp["clean_name"]) == ("atp", "c", "ATP")
    assert atp["formula"] == ""
    assert math.isnan(atp["charge"])


def test_metabolite_table_reads_note_keys():
    model = Model("m")
    met = Metabolite("x_c", compartment="c")
    met.notes = {"KEGG_COMPOUND": "C00022", "CHEBI": "15361; 32816", "FORMULA": "C3H3O3"}
    model.add_metabolites([met])
    assert metabolite_table(model).loc["x_c", "annotations"] == (
        ("chebi", "CHEBI:15361"),
        ("chebi", "CHEBI:32816"),
        ("kegg.compound", "C00022"),
    )


@pytest.mark.parametrize(
    ("charge", "expected"),
    [(None, math.nan), ("-2", -2.0), (1, 1.0), ("abc", math.nan), (math.inf, math.nan)],
)
def test_metabolite_table_charge(charge, expected):
    model = Model("m")
    met = Metabolite("x_c", compartment="c")
    met.charge = charge
    model.add_metabolites([met])
    value = metabolite_table(model).loc["x_c", "charge"]
    assert value == expected or (math.isnan(value) and math.isnan(expected))


def test_metabolite_table_of_empty_model():
    table = metabolite_table(Model("empty"))
    assert table.empty
    assert tuple(table.columns) == METABOLITE_COLUMNS
    assert table.index.name == "metabolite_id"


def test_metabolite_table_infers_missing_compartment():
    model = Model("m")
    model.add_metabolites([Metabolite("a_c", compartment="c"), Metabolite("b_c", compartment="")])
    table = metabolite_table(model)
    assert tuple(table.loc["b_c", ["base_id", "compartment"]]) == ("b", "c")


# --------------------------------------------------------------- reading


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(gzip.compress(text) if path.name.endswith(".gz") else text)
    return path


def _read_error(path) -> ModelReadError:
    with pytest.raises(ModelReadError) as info:
        read_model(path)
    message = str(info.value)
    assert str(path) in message
    assert "metalign validate" in message
    assert isinstance(info.value, MetalignError)
    return info.value


def test_missing_file(tmp_path):
    error = _read_error(tmp_path / "missing.xml")
    assert "no such file" in str(error)
    assert isinstance(error.__cause__, FileNotFoundError)


def test_directory(tmp_path):
    assert "directory" in str(_read_error(tmp_path))


def test_empty_file(tmp_path):
    assert "empty" in str(_read_error(_write(tmp_path / "model.xml", "")))


def test_empty_after_decompression(tmp_path):
    assert "empty" in str(_read_error(_write(tmp_path / "model.xml.gz", "")))


def test_not_xml(tmp_path):
    error = _read_error(_write(tmp_path / "model.xml", "hello, world\n"))
    assert "Badly formed XML" in str(error)
    assert "cobra.io.validate_sbml_model" in str(error)
    assert error.__cause__ is not None


def test_xml_but_not_sbml(tmp_path):
    error = _read_error(_write(tmp_path / "model.xml", "<html><body>hi</body></html>\n"))
    assert "No SBML model" in str(error)


def test_sbml_without_model(tmp_path):
    error = _read_error(_write(tmp_path / "model.xml", SBML_L3 + "</sbml>\n"))
    assert "No model definition" in str(error)


def test_sbml_without_species_loads_with_warning(tmp_path, caplog):
    path = _write(tmp_path / "model.xml", SBML_L3 + '<model id="m"/></sbml>\n')
    with caplog.at_level(logging.WARNING, logger="cobra_metalign.io.model"):
        model = read_model(path)
    assert len(model.metabolites) == 0
    assert "no metabolites" in caplog.text
    assert metabolite_table(model).empty


def test_truncated_gzip(tmp_path):
    data = gzip.compress((SBML_L3 + '<model id="m"/></sbml>\n' * 50).encode())
    path = tmp_path / "model.xml.gz"
    path.write_bytes(data[: len(data) // 2])
    error = _read_error(path)
    assert "truncated or corrupt" in str(error)
    assert isinstance(error.__cause__, EOFError)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "model.xml.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(64))
    assert "gzip" in str(_read_error(path))


@pytest.mark.parametrize("content", ["[1, 2]", '{"a": 1}', '{"metabolites": 3}', "{not json"])
def test_json_of_wrong_shape(tmp_path, content):
    error = _read_error(_write(tmp_path / "model.json", content))
    assert "JSON model" in str(error)
    assert error.__cause__ is not None


def test_yaml_garbage(tmp_path):
    assert "YAML model" in str(_read_error(_write(tmp_path / "model.yml", "- [1, 2\n")))


def test_mat_garbage(tmp_path):
    assert "MAT model" in str(_read_error(_write(tmp_path / "model.mat", "not a mat file")))


def test_unknown_suffix_and_content(tmp_path):
    assert "unknown suffix" in str(_read_error(_write(tmp_path / "model.txt", "\x00\x01binary")))


def test_decompression_bound(tmp_path, monkeypatch):
    path = _write(tmp_path / "model.xml.gz", SBML_L3 + " " * 5000 + '<model id="m"/></sbml>')
    monkeypatch.setattr(model_io, "MAX_DECOMPRESSED_BYTES", 1000)
    assert "exceeds the limit" in str(_read_error(path))


# Security: nothing of an entity may be expanded or fetched.

BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sbml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="m" name="&lol9;"/>
</sbml>
"""

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sbml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="m" name="&xxe;">
    <listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>
    <listOfSpecies>
      <species id="M_x_c" name="&xxe;" compartment="c" hasOnlySubstanceUnits="false"
        boundaryCondition="false" constant="false"/>
    </listOfSpecies>
  </model>
</sbml>
"""


@pytest.mark.parametrize("name", ["bomb.xml", "bomb.xml.gz", "bomb.sbml", "bomb.bin"])
def test_billion_laughs_is_refused(tmp_path, name):
    error = _read_error(_write(tmp_path / name, BILLION_LAUGHS))
    assert "DOCTYPE with entity declarations is not allowed" in str(error)


def test_billion_laughs_in_utf16_is_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_bytes(BILLION_LAUGHS.replace("UTF-8", "UTF-16").encode("utf-16"))
    assert "entity declarations" in str(_read_error(path))


def test_xxe_is_refused_and_leaks_nothing(tmp_path):
    error = _read_error(_write(tmp_path / "xxe.xml", XXE))
    assert "entity declarations" in str(error)
    assert "root:" not in str(error)
    model, errors = validate(tmp_path / "xxe.xml")
    assert model is None
    assert "root:" not in errors.to_string()


def test_external_dtd_is_refused(tmp_path):
    text = (
        SBML_L3.replace("<sbml", '<!DOCTYPE sbml SYSTEM "file:///etc/passwd">\n<sbml', 1)
        + '<model id="m"/></sbml>\n'
    )
    assert "external DTD" in str(_read_error(_write(tmp_path / "model.xml", text)))


def test_entity_hidden_behind_a_comment_is_refused(tmp_path):
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- <sbml> -->\n'
        '<!DOCTYPE sbml [<!ENTITY a "b">]>\n'
        + SBML_L3.split("\n", 1)[1]
        + '<model id="m"/></sbml>\n'
    )
    assert "entity declarations" in str(_read_error(_write(tmp_path / "model.xml", text)))


def test_long_prolog_is_allowed_when_safe(tmp_path):
    """A long comment before the root is harmless: the whole file is tokenized."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!--'
        + "x" * (2 << 20)
        + "-->\n"
        + SBML_L3.split("\n", 1)[1]
        + '<model id="m"/></sbml>\n'
    )
    assert read_model(_write(tmp_path / "model.xml", text)).id == "m"


@pytest.mark.parametrize(
    "trick",
    [
        "<!-- ]> -->",  # a "]>" inside a comment of the internal subset
        "<!ELEMENT sbml ANY><!-- ]> -->",
        "<?pi ]> ?>",  # inside a processing instruction
    ],
)
def test_entity_after_padding_and_fake_subset_end_is_refused(tmp_path, trick):
    """Issue 14 item 3: "]>" in a comment or literal, then > 1 MiB of padding, then entities."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE sbml [\n'
        + trick
        + "<!--"
        + " " * ((1 << 20) + 100)
        + "-->"
        + '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        + SBML_L3.split("\n", 1)[1]
        + '<model id="m" name="&b;"/></sbml>\n'
    )
    assert "entity declarations" in str(_read_error(_write(tmp_path / "model.xml", text)))


def test_attlist_declaration_is_refused(tmp_path):
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE sbml [<!ATTLIST model name CDATA "injected">]>\n'
        + SBML_L3.split("\n", 1)[1]
        + '<model id="m"/></sbml>\n'
    )
    assert "attribute-list" in str(_read_error(_write(tmp_path / "model.xml", text)))


def test_unsupported_encoding_is_refused_not_skipped(tmp_path):
    """Text expat cannot check is refused rather than handed to libsbml unchecked."""
    text = (
        '<?xml version="1.0" encoding="EBCDIC-US"?>\n<!DOCTYPE sbml [<!ENTITY a "b">]>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">'
        '<model id="m" name="&a;"/></sbml>\n'
    )
    assert "Badly formed XML" in str(_read_error(_write(tmp_path / "model.xml", text)))


def test_deep_nesting_is_refused_before_libsbml(tmp_path):
    """Issue 14 item 4: 20,000 nested <p> in notes crashed libsbml (signal 11)."""
    depth = 20_000
    notes = '<notes><body xmlns="http://www.w3.org/1999/xhtml">' + "<p>" * depth
    notes += "x" + "</p>" * depth + "</body></notes>"
    text = SBML_L3 + f'<model id="m">{notes}</model></sbml>\n'
    path = tmp_path / "deep.xml.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert "nested deeper than" in str(_read_error(path))
    model, errors = validate(path)
    assert model is None and errors["message"].str.contains("nested deeper").any()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.xml.gz"]


def test_oversized_plain_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(model_io, "MAX_DECOMPRESSED_BYTES", 100)
    path = _write(tmp_path / "model.xml", SBML_L3 + '<model id="m"/></sbml>\n' + " " * 200)
    assert "larger than the limit" in str(_read_error(path))


def test_plain_doctype_is_allowed(tmp_path):
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment -->\n<!DOCTYPE sbml>\n'
        + SBML_L3.split("\n", 1)[1]
        + '<model id="m"/></sbml>\n'
    )
    assert read_model(_write(tmp_path / "model.xml", text)).id == "m"


def test_yaml_aliases_are_refused(tmp_path):
    text = "!!omap\n- id: m\n- metabolites: &a []\n- reactions: *a\n- genes: []\n"
    assert "YAML aliases" in str(_read_error(_write(tmp_path / "model.yml", text)))


# FBC v1 with empty gene associations: cobra 0.32 fails, read_model repairs.
FBC_V1 = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core"
  xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version1"
  level="3" version="1" fbc:required="false">
  <model id="tiny">
    <annotation>
      <listOfGeneAssociations xmlns="http://www.sbml.org/sbml/level3/version1/fbc/version1">
        <geneAssociation id="ga_1" reaction="R_A"><or/></geneAssociation>
        <geneAssociation id="ga_2" reaction="R_B">
          <or><gene reference="g1"/><gene reference="g2"/></or>
        </geneAssociation>
      </listOfGeneAssociations>
    </annotation>
    <listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>
    <listOfSpecies>
      <species id="M_a_c" name="A" compartment="c" hasOnlySubstanceUnits="false"
        boundaryCondition="false" constant="false" fbc:charge="-1" fbc:chemicalFormula="C2H3O2"/>
      <species id="M_b_c" name="B (1->4) [c]" compartment="c" hasOnlySubstanceUnits="false"
        boundaryCondition="false" constant="false">
        <notes><html xmlns="http://www.w3.org/1999/xhtml"><p>CHARGE: 2</p></html></notes>
      </species>
      <species id="M_d_c" name="D" compartment="c" hasOnlySubstanceUnits="false"
        boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfReactions>
      <reaction id="R_A" reversible="false" fast="false">
        <listOfReactants><speciesReference species="M_a_c" stoichiometry="1" constant="true"/></listOfReactants>
        <listOfProducts><speciesReference species="M_b_c" stoichiometry="1" constant="true"/></listOfProducts>
      </reaction>
      <reaction id="R_B" reversible="false" fast="false">
        <listOfReactants><speciesReference species="M_b_c" stoichiometry="1" constant="true"/></listOfReactants>
        <listOfProducts><speciesReference species="M_d_c" stoichiometry="1" constant="true"/></listOfProducts>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""


def test_fbc_v1_with_empty_gene_association_is_repaired(tmp_path, caplog):
    path = _write(tmp_path / "fbc1.xml", FBC_V1)
    with pytest.raises(Exception):  # noqa: B017 - documents the cobra bug the repair covers
        cobra.io.read_sbml_model(str(path))
    with caplog.at_level(logging.WARNING, logger="cobra_metalign.io.model"):
        model = read_model(path)
    assert "pruned empty gene associations of 1 reactions: ['R_A']" in caplog.text
    assert model.reactions.get_by_id("A").gene_reaction_rule == ""
    assert len(model.reactions.get_by_id("B").genes) == 2
    # fbc:charge absent: the CHARGE note, else unset (cobra alone says 0)
    table = metabolite_table(model)
    assert table.loc["a_c", "charge"] == -1
    assert table.loc["b_c", "charge"] == 2
    assert math.isnan(table.loc["d_c", "charge"])
    assert table.loc["b_c", "clean_name"] == "B (1->4)"

    model, errors = validate(path)
    assert model is not None
    assert tuple(errors.columns) == VALIDATION_COLUMNS
    assert ("fatal", "cobra") in set(zip(errors["severity"], errors["category"], strict=True))
    assert errors["message"].str.contains("read after a repair").any()


def test_content_sniffing_for_unknown_suffix(tmp_path, textbook):
    sbml = write_model(textbook, tmp_path / "model.xml.gz")
    renamed = sbml.rename(tmp_path / "model.download")
    assert len(read_model(renamed).metabolites) == len(textbook.metabolites)
    json_path = write_model(textbook, tmp_path / "model.json")
    renamed = json_path.rename(tmp_path / "model.data")
    assert len(read_model(renamed).reactions) == len(textbook.reactions)


def test_gzip_recognised_without_gz_suffix(tmp_path, textbook):
    path = write_model(textbook, tmp_path / "model.json.gz")
    renamed = path.rename(tmp_path / "model.json")
    assert len(read_model(renamed).metabolites) == len(textbook.metabolites)


def test_bzip2(tmp_path, textbook):
    plain = write_model(textbook, tmp_path / "model.json")
    target = tmp_path / "model.json.bz2"
    target.write_bytes(bz2.compress(plain.read_bytes()))
    assert len(read_model(target).metabolites) == len(textbook.metabolites)


# --------------------------------------------------------------- validate


def test_validate_good_sbml(tmp_path, textbook):
    model, errors = validate(write_model(textbook, tmp_path / "model.xml"))
    assert model is not None and len(model.reactions) == len(textbook.reactions)
    assert tuple(errors.columns) == VALIDATION_COLUMNS
    assert not errors["severity"].isin(["fatal", "error"]).any()


@pytest.mark.parametrize(
    ("name", "content", "category"),
    [
        ("missing.xml", None, "file"),
        ("empty.xml", "", "file"),
        ("bomb.xml", BILLION_LAUGHS, "file"),
        ("list.json", "[1, 2]", "json"),
        ("garbage.yml", "- [1, 2\n", "yaml"),
    ],
)
def test_validate_never_raises(tmp_path, name, content, category):
    path = tmp_path / name
    if content is not None:
        _write(path, content)
    model, errors = validate(path)
    assert model is None
    assert len(errors) == 1
    assert tuple(errors.iloc[0][["severity", "category"]]) == ("fatal", category)
    assert str(path) in errors.iloc[0]["message"]


def test_validate_bad_sbml(tmp_path):
    model, errors = validate(_write(tmp_path / "model.xml", "hello\n"))
    assert model is None
    assert set(errors["severity"]) <= {"fatal", "error", "warning"}
    assert errors["message"].str.contains("Badly formed XML").any()


def test_validate_json_runs_cobra_checks(tmp_path):
    model = tiny_model()
    model.metabolites.get_by_id("glc__D_e").formula = "C6H12O6!"
    checked, errors = validate(write_model(model, tmp_path / "model.json"))
    assert checked is not None
    assert list(errors["category"]) == ["cobra_check"]


# ----------------------------------------------------------------- writing

FORMATS = [".xml", ".sbml", ".xml.gz", ".json", ".json.gz", ".yml", ".yaml.gz", ".mat", ".mat.gz"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip(tmp_path, suffix):
    model = tiny_model()
    path = write_model(model, tmp_path / f"model{suffix}")
    assert path == tmp_path / f"model{suffix}"
    back = read_model(path)
    before, after = metabolite_table(model), metabolite_table(back)
    columns = ["base_id", "compartment", "name", "clean_name", "formula", "charge", "n_reactions"]
    pd.testing.assert_frame_equal(before[columns], after[columns])
    if not suffix.startswith(".mat"):  # the MAT format keeps no notes
        assert list(before["annotations"]) == list(after["annotations"])
    assert {r.id: r.bounds for r in back.reactions} == {r.id: r.bounds for r in model.reactions}
    assert [f.name for f in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("suffix", FORMATS)
def test_deterministic_bytes(tmp_path, suffix):
    model = tiny_model()
    first = write_model(model, tmp_path / f"a{suffix}").read_bytes()
    second = write_model(model, tmp_path / f"b{suffix}").read_bytes()
    assert first == second
    plain = gzip.decompress(first) if suffix.endswith(".gz") else first
    if suffix.endswith(".gz"):
        assert first[4:8] == b"\x00\x00\x00\x00"  # no gzip time stamp
    if ".mat" in suffix:
        assert plain.startswith(b"MATLAB 5.0 MAT-file, written by cobra_metalign")
        assert b"Created on" not in plain[:128]
    else:
        year = str(time.gmtime().tm_year).encode()
        assert not re.search(rb"\d{4}-\d\d-\d\dT\d\d:\d\d", plain)
        assert year + b"-" not in plain


def test_sbml_is_level3_fbc_v2(tmp_path):
    text = write_model(tiny_model(), tmp_path / "model.xml").read_text()
    assert 'level="3"' in text
    assert "http://www.sbml.org/sbml/level3/version1/fbc/version2" in text


def test_write_refuses_existing_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("keep me")
    with pytest.raises(ModelWriteError, match="already exists"):
        write_model(tiny_model(), path)
    assert path.read_text() == "keep me"
    write_model(tiny_model(), path, overwrite=True)
    assert json.loads(path.read_text())["id"] == "tiny"


def test_write_refuses_the_input(tmp_path, monkeypatch):
    source = write_model(tiny_model(), tmp_path / "model.xml")
    original = source.read_bytes()
    link = tmp_path / "link.xml"
    link.symlink_to(source)
    monkeypatch.chdir(tmp_path)
    for target in (source, Path("model.xml"), link, tmp_path / "sub" / ".." / "model.xml"):
        with pytest.raises(ModelWriteError, match="input model"):
            write_model(tiny_model(), target, input_path=Path("model.xml"))
    assert source.read_bytes() == original
    write_model(tiny_model(), tmp_path / "out.xml", input_path=source)
    write_model(tiny_model(), source, overwrite=True, input_path=source)


def test_write_unknown_suffix_and_directory(tmp_path):
    with pytest.raises(ModelWriteError, match="unknown format suffix"):
        write_model(tiny_model(), tmp_path / "model.txt")
    (tmp_path / "dir.xml").mkdir()
    with pytest.raises(ModelWriteError, match="directory"):
        write_model(tiny_model(), tmp_path / "dir.xml", overwrite=True)


def test_failed_write_leaves_nothing(tmp_path):
    model = tiny_model()
    model.metabolites.get_by_id("glc__D_e").name = None  # cobra's SBML writer fails on it
    path = tmp_path / "model.xml"
    with pytest.raises(ModelWriteError, match="Cannot write SBML model") as info:
        write_model(model, path)
    assert info.value.__cause__ is not None
    assert list(tmp_path.iterdir()) == []

    path.write_bytes(b"old content")
    with pytest.raises(ModelWriteError):
        write_model(model, path, overwrite=True)
    assert path.read_bytes() == b"old content"
    assert [f.name for f in tmp_path.iterdir()] == ["model.xml"]


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(model, handle, **kwargs):
        handle.write("<partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(cobra.io, "write_sbml_model", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_model(tiny_model(), tmp_path / "model.xml")
    assert list(tmp_path.iterdir()) == []


def test_write_creates_parent_folders(tmp_path):
    path = write_model(tiny_model(), tmp_path / "a" / "b" / "model.json")
    assert read_model(path).id == "tiny"


# -------------------------------------------------- read-side safety (issue 14)
def _json_model(tmp_path: Path, edit) -> Path:
    data = json.loads(_json_text(tiny_model()))
    edit(data)
    return _write(tmp_path / "model.json", json.dumps(data))


def _json_text(model: Model) -> str:
    import io as text_io

    buffer = text_io.StringIO()
    cobra.io.save_json_model(model, buffer)
    return buffer.getvalue()


def test_formula_that_is_not_text_fails_at_read_naming_the_input(tmp_path):
    """Issue 14 item 18: it failed only at write time, naming the output."""

    def edit(data):
        data["metabolites"][0]["formula"] = {"C": 6}

    path = _json_model(tmp_path, edit)
    error = _read_error(path)
    assert str(path) in str(error) and "formula that is not text" in str(error)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_coefficients_are_refused(tmp_path, value):
    def edit(data):
        reaction = data["reactions"][0]
        first = next(iter(reaction["metabolites"]))
        reaction["metabolites"][first] = value

    assert "coefficients must be finite" in str(_read_error(_json_model(tmp_path, edit)))


def test_check_model_for_the_api():
    model = tiny_model()
    reaction = model.reactions[0]
    met = next(iter(reaction.metabolites))
    reaction.add_metabolites({met: math.nan}, combine=False)
    with pytest.raises(ModelReadError, match="finite"):
        model_io.check_model(model)
    from cobra_metalign import align

    with pytest.raises(ModelReadError, match="finite"):
        align(model)


def test_long_names_are_cut_for_matching_only():
    model = tiny_model()
    long_name = "D-Glucose " * 1000
    model.metabolites[0].name = long_name
    table = metabolite_table(model)
    first = model.metabolites[0].id
    assert len(table.loc[first, "name"]) == model_io.MAX_NAME_LENGTH
    assert table.loc[first, "clean_name"] == ""
    assert model.metabolites[0].name == long_name


def test_check_written_model(tmp_path):
    good = tmp_path / "good.xml"
    write_model(tiny_model(), good)
    model_io.check_written_model(good)
    gz = tmp_path / "good.xml.gz"
    write_model(tiny_model(), gz)
    model_io.check_written_model(gz)
    bad = _write(tmp_path / "bad.xml", good.read_text().replace('name="', 'name="\x01', 1))
    with pytest.raises(ModelWriteError, match="cannot be read back"):
        model_io.check_written_model(bad)
    model_io.check_written_model(_write(tmp_path / "x.json", "not checked"))


def test_check_xml_file_for_other_libsbml_readers(tmp_path):
    good = tmp_path / "good.xml"
    write_model(tiny_model(), good)
    model_io.check_xml_file(good)
    bad = _write(tmp_path / "bad.xml.gz", XXE)
    with pytest.raises(ModelReadError, match="entity declarations"):
        model_io.check_xml_file(bad)


def test_written_copy_of_the_input_needs_no_second_parse(tmp_path, monkeypatch):
    import libsbml

    source = tmp_path / "in.xml"
    write_model(tiny_model(), source)
    _, document = model_io.read_model_document(source)
    baseline = model_io.sbml_baseline(document)
    assert baseline.sha256 is not None and not baseline.errors
    same = _write(tmp_path / "same.xml", source.read_bytes())
    same_gz = _write(tmp_path / "same.xml.gz", source.read_bytes())
    other = _write(tmp_path / "other.xml", source.read_text().replace('name="', 'name="\x01', 1))
    calls = []
    real = libsbml.readSBMLFromFile

    def counted(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(libsbml, "readSBMLFromFile", counted)
    model_io.check_written_model(same, baseline)
    model_io.check_written_model(same_gz, baseline)
    assert calls == []  # the very bytes libsbml read at input: known readable
    with pytest.raises(ModelWriteError, match="cannot be read back"):
        model_io.check_written_model(other, baseline)
    assert calls == [str(other)]
    assert model_io.source_bytes(document) == source.read_bytes()
    source.write_text(source.read_text().replace("tiny", "tinz"))
    assert model_io.source_bytes(document) is None  # changed since it was read


def test_sbml_reader_shares_metabolites_only_in_its_own_thread(tmp_path, monkeypatch):
    import threading

    import cobra.io.sbml as cobra_sbml

    source = write_model(tiny_model(), tmp_path / "in.xml")
    probe = Metabolite("probe_c", compartment="c")
    Model("other").add_metabolites([probe])
    seen = {}
    real = cobra_sbml._sbml_to_model

    def building(document, *args, **kwargs):
        seen["here"] = probe.copy() is probe
        elsewhere = threading.Thread(target=lambda: seen.update(there=probe.copy() is probe))
        elsewhere.start()
        elsewhere.join()
        return real(document, *args, **kwargs)

    monkeypatch.setattr(cobra_sbml, "_sbml_to_model", building)
    model = read_model(source)
    assert seen == {"here": True, "there": False}
    assert "copy" not in Metabolite.__dict__ and probe.copy() is not probe
    expected = cobra.io.read_sbml_model(str(source))
    for reaction in model.reactions:
        assert {m.id: c for m, c in reaction.metabolites.items()} == {
            m.id: c for m, c in expected.reactions.get_by_id(reaction.id).metabolites.items()
        }
        assert all(m is model.metabolites.get_by_id(m.id) for m in reaction.metabolites)
    for met in model.metabolites:
        assert {r.id for r in met.reactions} == {
            r.id for r in expected.metabolites.get_by_id(met.id).reactions
        }


def test_float_charges_from_json_survive_sbml(tmp_path):
    """A JSON model's charges (-2.0) were all written to SBML as fbc:charge="0" (libsbml
    stores a float given to an FBC v2 species as 0): Poudel2020 and iYS854 lost every charge.
    A charge FBC cannot hold (0.5) goes to a CHARGE note and is read back from it."""
    model = Model("charges")
    mets = [
        Metabolite("thf_c", formula="C19H21N7O6", charge=-2.0, compartment="c"),
        Metabolite("nh4_c", formula="H4N", charge=1, compartment="c"),
        Metabolite("mix_c", formula="C10H20", charge=0.5, compartment="c"),
    ]
    reaction = Reaction("R")
    reaction.add_metabolites({mets[0]: -1, mets[1]: 1, mets[2]: 1})
    model.add_reactions([reaction])
    source = tmp_path / "m.json"
    cobra.io.save_json_model(model, str(source))
    read = read_model(source)
    written = write_model(read, tmp_path / "m.xml")
    back = read_model(written)
    charges = {met.id: met.charge for met in back.metabolites}
    assert charges == {"thf_c": -2, "nh4_c": 1, "mix_c": 0.5}
    assert 'fbc:charge="-2"' in written.read_text()
    restored = {met.id: (met.charge, dict(met.notes)) for met in read.metabolites}
    assert restored["thf_c"] == (-2.0, {}) and restored["mix_c"] == (0.5, {})  # as read


def test_metabolite_copy_is_restored_after_a_failed_read(tmp_path):
    """read_model patches cobra.Metabolite.copy while it builds a model (no deep copy per
    reaction); a read that fails inside cobra's builder must leave cobra as it was."""
    before = cobra.Metabolite.copy
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<?xml version="1.0"?><sbml xmlns="http://www.sbml.org/sbml/level3/version1/core"'
        ' level="3" version="1"><model id="m"><listOfCompartments><compartment id="c"'
        ' constant="true"/></listOfCompartments><listOfSpecies><species id="a" compartment="c"'
        ' hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
        '</listOfSpecies><listOfReactions><reaction id="R" reversible="false"><listOfReactants>'
        '<speciesReference species="nothere" stoichiometry="1" constant="true"/>'
        "</listOfReactants></reaction></listOfReactions></model></sbml>"
    )
    with pytest.raises(ModelReadError, match="nothere"):
        read_model(bad)
    assert cobra.Metabolite.copy is before and "copy" not in vars(cobra.Metabolite)
    model = Model("m")
    met = Metabolite("a_c", compartment="c")
    model.add_metabolites([met])
    assert met.copy() is not met  # a real copy again
