"""Text XML 1.0 cannot hold: cleaned as models are read, so that every SBML written is readable."""

from __future__ import annotations

import json
from pathlib import Path

import cobra
import pytest
from click.testing import CliRunner

from cobra_metalign.cli.app import main
from cobra_metalign.io.model import read_model
from cobra_metalign.rewrite.audit import read_audit
from cobra_metalign.xmltext import (
    CLEANED_ATTRIBUTE,
    clean_model_text,
    clean_xml_text,
    cleaning_notes,
    invalid_xml_characters,
)

#: One of each kind XML 1.0 refuses: NUL, BEL, ESC, U+FFFF, U+FFFE, a lone surrogate.
BAD = ["\x00", "\x07", "\x1b", "\uffff", "\ufffe", "\ud800"]


def test_invalid_characters_found_and_removed():
    text = "ATP" + "".join(BAD) + "\t\n\r ok é \U0001f600"
    assert invalid_xml_characters(text) == [
        "U+0000",
        "U+0007",
        "U+001B",
        "U+D800",
        "U+FFFE",
        "U+FFFF",
    ]
    cleaned, found = clean_xml_text(text)
    assert cleaned == "ATP\t\n\r ok é \U0001f600"
    assert len(found) == 6
    clean = "D-glucose"
    assert clean_xml_text(clean) == (clean, [])
    assert clean_xml_text("a\x00b", lambda c: f"<{ord(c)}>")[0] == "a<0>b"


def dirty_model(name: str = "dirty") -> cobra.Model:
    """A tiny model whose texts hold characters XML cannot hold (as JSON/YAML/MAT may)."""
    model = cobra.Model(name, name="Dirty\x00 model")
    model.notes["about"] = "made\x07 here"
    glc = cobra.Metabolite(
        "glc__D_c", name="D-Glucose\x00\x07", formula="C6H12O6", charge=0, compartment="c"
    )
    atp = cobra.Metabolite(
        "atp_c", name="\x1b[31mATP\ufffe", formula="C10H12N5O13P3", charge=-4, compartment="c"
    )
    odd = cobra.Metabolite("odd_c", name="Odd\ud800", formula="C2H4O2", compartment="c")
    glc_e = cobra.Metabolite("glc__D_e", name="D-Glucose", formula="C6H12O6", compartment="e")
    odd.annotation["note"] = ["x\uffff"]
    ex = cobra.Reaction("EX_glc__D_e", name="exchange\x00", lower_bound=-10)
    ex.add_metabolites({glc_e: -1})
    tr = cobra.Reaction("GLCt", name="transport", subsystem="Transport\x1b")
    tr.add_metabolites({glc_e: -1, glc: 1})
    use = cobra.Reaction("USE", name="use")
    use.add_metabolites({glc: -1, atp: 1, odd: 1})
    sink = cobra.Reaction("SINK_atp", name="sink")
    sink.add_metabolites({atp: -1})
    sink2 = cobra.Reaction("SINK_odd", name="sink")
    sink2.add_metabolites({odd: -1})
    model.add_reactions([ex, tr, use, sink, sink2])
    use.gene_reaction_rule = "g1 or g2"
    model.genes.get_by_id("g1").name = "gene\x00one"
    model.objective = "SINK_atp"
    return model


def dirty_ids(data: dict) -> dict:
    """Put control characters into ids of a model dict (cobra cannot build such a model:
    GLPK aborts the process on them), as a hand-edited JSON file may hold them."""
    for met in data["metabolites"]:
        if met["id"] == "odd_c":
            met["id"] = "odd\x01_c"
    for rxn in data["reactions"]:
        if "odd_c" in rxn["metabolites"]:
            rxn["metabolites"]["odd\x01_c"] = rxn["metabolites"].pop("odd_c")
        if rxn["id"] == "USE":
            rxn["gene_reaction_rule"] = "g1 or g\x072"
        if rxn["id"] == "SINK_odd":
            rxn["id"] = "SINK\x7fodd"
    for gene in data["genes"]:
        if gene["id"] == "g2":
            gene["id"] = "g\x072"
    return data


def write_json(model: cobra.Model, path: Path) -> Path:
    """As a JSON file can hold it: every character escaped (lone surrogates too)."""
    data = dirty_ids(cobra.io.model_to_dict(model))
    path.write_text(json.dumps(data, ensure_ascii=True))
    return path


def test_clean_model_text_cleans_everything(tmp_path):
    model = read_model(write_json(dirty_model(), tmp_path / "dirty.json"))
    met = model.metabolites.get_by_id("glc__D_c")
    assert met.name == "D-Glucose"
    assert getattr(met, CLEANED_ATTRIBUTE) == ["name: removed U+0000, U+0007"]
    assert model.metabolites.atp_c.name == "[31mATP"
    odd = model.metabolites.get_by_id("odd_U0001__c")
    assert odd.name == "Odd" and odd.annotation["note"] == ["x"]
    assert model.name == "Dirty model" and model.notes["about"] == "made here"
    assert model.reactions.EX_glc__D_e.name == "exchange"
    assert model.reactions.GLCt.subsystem == "Transport"
    assert "SINK_U007F_odd" in model.reactions
    assert {g.id for g in model.genes} == {"g1", "g_U0007_2"}
    assert model.reactions.USE.gene_reaction_rule == "g1 or g_U0007_2"
    assert model.genes.g1.name == "geneone"
    notes = cleaning_notes(model)
    assert notes["odd_U0001__c"].startswith("text cleaned for XML: id: U+0001 replaced")
    assert "glc__D_e" not in notes
    # Nothing left to clean the second time.
    assert clean_model_text(model) == {}


def test_cleaned_names_of_a_model_built_in_code(tmp_path):
    model = dirty_model()
    found = clean_model_text(model)
    assert found["metabolite 'glc__D_c'"] == ["name: removed U+0000, U+0007"]
    assert cleaning_notes(model)["odd_c"] == (
        "text cleaned for XML: name: removed U+D800; annotation: removed U+FFFF"
    )


def _run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _readable(path: Path) -> cobra.Model:
    model, errors = cobra.io.validate_sbml_model(str(path))
    assert model is not None, errors
    return model


def test_fix_writes_readable_sbml_and_says_what_was_cleaned(tmp_path):
    source = write_json(dirty_model(), tmp_path / "dirty.json")
    result = _run("fix", source)
    assert result.exit_code == 0, result.output
    out = _readable(tmp_path / "dirty.aligned.xml")
    assert "D-Glucose" in {m.name for m in out.metabolites}
    assert all(not invalid_xml_characters(m.name) for m in out.metabolites)
    audit = read_audit(tmp_path / "dirty.audit.tsv")
    assert "text cleaned for XML: name: removed U+0000, U+0007" in audit.loc["glc__D_c", "comment"]
    assert "U+D800" in audit.loc["odd_U0001__c", "comment"]
    # apply reads the same cleaned model: the audit fits it.
    applied = _run("apply", source, tmp_path / "dirty.audit.tsv")
    assert applied.exit_code == 0, applied.output
    _readable(tmp_path / "dirty.curated.xml")
    curated = read_audit(tmp_path / "dirty.curated.audit.tsv")
    assert "text cleaned for XML" in curated.loc["glc__D_c", "comment"]


def test_yaml_and_mat_are_cleaned(tmp_path):
    model = dirty_model()
    yaml_path = tmp_path / "dirty.yml"
    from cobra.io.yaml import yaml as cobra_yaml

    with open(yaml_path, "w") as handle:
        cobra_yaml.dump(dirty_ids(cobra.io.model_to_dict(model)), handle)
    back = read_model(yaml_path)
    assert back.metabolites.glc__D_c.name == "D-Glucose"
    result = _run("fix", yaml_path)
    assert result.exit_code == 0, result.output
    _readable(tmp_path / "dirty.aligned.xml")
    mat_model = dirty_model("matmodel")
    # MAT holds what JSON does, except lone surrogates (its text is UTF-16 on disk).
    mat_model.metabolites.odd_c.name = "Odd\x02"
    mat_path = tmp_path / "matmodel.mat"
    cobra.io.save_matlab_model(mat_model, str(mat_path))
    back = read_model(mat_path)
    assert all(not invalid_xml_characters(m.name or "") for m in back.metabolites)
    result = _run("fix", mat_path)
    assert result.exit_code == 0, result.output
    _readable(tmp_path / "matmodel.aligned.xml")


def test_merge_writes_readable_sbml(tmp_path):
    first = write_json(dirty_model("first"), tmp_path / "first.json")
    second = write_json(dirty_model("second"), tmp_path / "second.json")
    result = _run("merge", first, second, "-o", tmp_path / "merged.xml")
    assert result.exit_code == 0, result.output
    merged = _readable(tmp_path / "merged.xml")
    assert all(not invalid_xml_characters(m.name or "") for m in merged.metabolites)
    audit = read_audit(tmp_path / "merged.audit.tsv")
    comments = audit.loc[("first", "glc__D_c"), "comment"]
    assert "text cleaned for XML" in comments


@pytest.mark.slow
def test_fix_many_writes_readable_sbml(tmp_path):
    source = write_json(dirty_model(), tmp_path / "dirty.json")
    result = _run("fix-many", source, "-o", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 0, result.output
    _readable(tmp_path / "out" / "dirty.aligned.xml")
    audit = read_audit(tmp_path / "out" / "dirty.audit.tsv")
    assert "text cleaned for XML" in audit.loc["glc__D_c", "comment"]
