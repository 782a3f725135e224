"""The SBML patch writer: the plan written into the input's own document, nothing else changed."""

from __future__ import annotations

import gzip
from pathlib import Path

import cobra
import libsbml
import pytest
from click.testing import CliRunner
from frames import matches
from sbml_fidelity import unexplained_differences

from cobra_metalign.errors import ModelWriteError
from cobra_metalign.io.model import read_model, read_model_document, write_model
from cobra_metalign.rewrite.cobra_model import plan_matches
from cobra_metalign.rewrite.sbml import patch_document, sbml_species_id

NS = (
    'xmlns="http://www.sbml.org/sbml/level3/version1/core" '
    'xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version2" '
    'xmlns:groups="http://www.sbml.org/sbml/level3/version1/groups/version1" '
    'xmlns:layout="http://www.sbml.org/sbml/level3/version1/layout/version1"'
)


def species(sid: str, compartment: str = "c", extra: str = "", body: str = "") -> str:
    meta = "" if "nometa" in sid else f'metaid="meta_{sid}" '
    return (
        f'<species {meta}id="{sid}" name="{sid}" compartment="{compartment}" '
        f'initialAmount="2.5" hasOnlySubstanceUnits="false" boundaryCondition="false" '
        f'constant="false" sboTerm="SBO:0000247" {extra}>{body}</species>'
    )


def ref(sid: str, stoichiometry: float = 1) -> str:
    return f'<speciesReference species="{sid}" stoichiometry="{stoichiometry}" constant="true"/>'


def reaction(rid: str, reactants: str, products: str, extra: str = "") -> str:
    return (
        f'<reaction id="{rid}" reversible="false" fast="false" '
        f'fbc:lowerFluxBound="zero" fbc:upperFluxBound="ub">'
        f"<listOfReactants>{reactants}</listOfReactants>"
        f"<listOfProducts>{products}</listOfProducts>{extra}</reaction>"
    )


KEGG = (
    '<annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:bqbiol="http://biomodels.net/biology-qualifiers/">'
    '<rdf:Description rdf:about="#meta_M_cpd00027_c"><bqbiol:is><rdf:Bag>'
    '<rdf:li rdf:resource="http://identifiers.org/kegg.compound/C00031"/>'
    "</rdf:Bag></bqbiol:is></rdf:Description></rdf:RDF></annotation>"
)
NOTES = '<notes><body xmlns="http://www.w3.org/1999/xhtml"><p>source: seed</p></body></notes>'
KINETIC = (
    '<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/>'
    "<ci> k </ci><ci> M_cpd00027_c </ci><ci> M_cpd00002_c </ci></apply></math>"
    '<listOfLocalParameters><localParameter id="k" value="0.1"/></listOfLocalParameters>'
    "</kineticLaw>"
)

DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml {NS} level="3" version="1" fbc:required="false" groups:required="false"
 layout:required="false">
<model metaid="meta_model" id="tiny" name="tiny" fbc:strict="true">
<annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dcterms="http://purl.org/dc/terms/" xmlns:vCard4="http://www.w3.org/2006/vcard/ns#">
<rdf:Description rdf:about="#meta_model"><dcterms:creator><rdf:Bag><rdf:li
 rdf:parseType="Resource"><vCard4:hasName rdf:parseType="Resource"><vCard4:family-name>Curator
</vCard4:family-name><vCard4:given-name>Ann</vCard4:given-name></vCard4:hasName>
</rdf:li></rdf:Bag></dcterms:creator><dcterms:created rdf:parseType="Resource">
<dcterms:W3CDTF>2020-01-01T00:00:00Z</dcterms:W3CDTF></dcterms:created>
<dcterms:modified rdf:parseType="Resource"><dcterms:W3CDTF>2021-01-01T00:00:00Z
</dcterms:W3CDTF></dcterms:modified></rdf:Description></rdf:RDF></annotation>
<listOfUnitDefinitions><unitDefinition id="mmol_per_gDW_per_hr"><listOfUnits>
<unit kind="mole" exponent="1" scale="-3" multiplier="1"/>
<unit kind="gram" exponent="-1" scale="0" multiplier="1"/>
<unit kind="second" exponent="-1" scale="0" multiplier="3600"/></listOfUnits></unitDefinition>
</listOfUnitDefinitions>
<listOfCompartments>
<compartment id="c" name="cytosol" constant="true"/>
<compartment id="e" name="extracellular" constant="true"/>
</listOfCompartments>
<listOfSpecies>
{species("M_glc__D_c", extra='fbc:chemicalFormula="C6H12O6" fbc:charge="0"')}
{species("M_cpd00027_c", extra='fbc:chemicalFormula="C6H12O6" fbc:charge="0"', body=NOTES + KEGG)}
{species("M_cpd00002_c", extra='fbc:chemicalFormula="C10H12N5O13P3" fbc:charge="-4"')}
{species("M_g6p_c", extra='fbc:chemicalFormula="C6H11O9P" fbc:charge="-2"')}
{species("M_adp_c", extra='fbc:chemicalFormula="C10H12N5O10P2" fbc:charge="-3"')}
{species("M_nometa1_c", extra='fbc:chemicalFormula="H2O" fbc:charge="0"')}
{species("M_glc__D_e", "e", extra='fbc:chemicalFormula="C6H12O6" fbc:charge="0"')}
</listOfSpecies>
<listOfParameters>
<parameter id="zero" value="0" constant="true"/>
<parameter id="ub" value="1000" constant="true"/>
<parameter id="pool" value="1" constant="false"/>
</listOfParameters>
<listOfInitialAssignments>
<initialAssignment symbol="M_cpd00002_c"><math xmlns="http://www.w3.org/1998/Math/MathML">
<apply><times/><cn> 2 </cn><ci> M_cpd00027_c </ci></apply></math></initialAssignment>
</listOfInitialAssignments>
<listOfRules>
<assignmentRule variable="pool"><math xmlns="http://www.w3.org/1998/Math/MathML">
<apply><plus/><ci> M_glc__D_c </ci><ci> M_cpd00027_c </ci></apply></math></assignmentRule>
</listOfRules>
<listOfReactions>
{reaction("R_GLCt", ref("M_glc__D_e"), ref("M_glc__D_c"))}
{reaction("R_HEX1", ref("M_glc__D_c") + ref("M_cpd00002_c"), ref("M_g6p_c") + ref("M_adp_c"))}
{reaction("R_HEX1_seed", ref("M_cpd00027_c") + ref("M_cpd00002_c"), ref("M_g6p_c") + ref("M_adp_c"), extra=KINETIC)}
{reaction("R_CYCLE", ref("M_glc__D_c"), ref("M_cpd00027_c"))}
{reaction("R_SUM", ref("M_glc__D_c") + ref("M_cpd00027_c", 2), ref("M_g6p_c", 3))}
{reaction("R_NET", ref("M_glc__D_c", 3), ref("M_cpd00027_c") + ref("M_nometa1_c"))}
</listOfReactions>
<fbc:listOfObjectives fbc:activeObjective="obj"><fbc:objective fbc:id="obj" fbc:type="maximize">
<fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_HEX1" fbc:coefficient="1"/>
</fbc:listOfFluxObjectives></fbc:objective></fbc:listOfObjectives>
<fbc:listOfGeneProducts>
<fbc:geneProduct fbc:id="G_b1" fbc:label="locus_b1" fbc:associatedSpecies="M_cpd00027_c"/>
</fbc:listOfGeneProducts>
<groups:listOfGroups><groups:group groups:id="g1" groups:kind="collection">
<groups:listOfMembers><groups:member groups:idRef="M_cpd00027_c"/>
<groups:member groups:idRef="M_glc__D_c"/><groups:member groups:idRef="R_HEX1"/>
</groups:listOfMembers></groups:group></groups:listOfGroups>
<layout:listOfLayouts xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><layout:layout layout:id="l1">
<layout:dimensions layout:width="100" layout:height="100"/><layout:listOfSpeciesGlyphs>
<layout:speciesGlyph layout:id="sg1" layout:species="M_cpd00027_c"><layout:boundingBox>
<layout:position layout:x="0" layout:y="0"/><layout:dimensions layout:width="10" layout:height="10"/>
</layout:boundingBox></layout:speciesGlyph></layout:listOfSpeciesGlyphs></layout:layout>
</layout:listOfLayouts>
</model></sbml>
"""

ROWS = {
    "glc__D_c": {"bigg_id": "glc__D"},
    "cpd00027_c": {"bigg_id": "glc__D"},
    "cpd00002_c": {"bigg_id": "atp"},
    "nometa1_c": {"bigg_id": "h2o"},
}


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.xml"
    path.write_text(DOCUMENT)
    return path


def patched(path: Path, **rows):
    model, document = read_model_document(path)
    plan, audit, flagged = plan_matches(model, matches(model, **(rows or ROWS)))
    result = patch_document(document, plan)
    return (
        model,
        plan,
        audit,
        flagged,
        result,
        libsbml.readSBMLFromString(result.to_bytes().decode()),
    )


def test_the_document_is_valid_input(tiny: Path) -> None:
    document = libsbml.readSBMLFromFile(str(tiny))
    assert document.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0, document.getError(0).getMessage()


def test_patch_renames_merges_and_keeps_everything_else(tiny: Path) -> None:
    model, plan, audit, flagged, result, out = patched(tiny)
    before = libsbml.readSBMLFromFile(str(tiny))
    assert out.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    assert unexplained_differences(before, out, audit) == []
    m = out.getModel()
    assert [s.getId() for s in m.getListOfSpecies()] == [
        "M_glc__D_c",
        "M_atp_c",
        "M_g6p_c",
        "M_adp_c",
        "M_h2o_c",
        "M_glc__D_e",
    ]
    # merged stoichiometry: summed, zero removed, opposite sides netted
    r_sum = m.getReaction("R_SUM")
    assert [(r.getSpecies(), r.getStoichiometry()) for r in r_sum.getListOfReactants()] == [
        ("M_glc__D_c", 3.0)
    ]
    cycle = m.getReaction("R_CYCLE")
    assert cycle.getNumReactants() == 0 and cycle.getNumProducts() == 0
    net = m.getReaction("R_NET")
    assert [(r.getSpecies(), r.getStoichiometry()) for r in net.getListOfReactants()] == [
        ("M_glc__D_c", 2.0)
    ]
    assert [r.getSpecies() for r in net.getListOfProducts()] == ["M_h2o_c"]
    # references everywhere follow: kinetic law, initial assignment, rule, groups, fbc, layout
    law = libsbml.formulaToL3String(m.getReaction("R_HEX1_seed").getKineticLaw().getMath())
    assert law == "k * M_glc__D_c * M_atp_c"
    assignment = m.getInitialAssignment(0)
    assert assignment.getSymbol() == "M_atp_c"
    assert libsbml.formulaToL3String(assignment.getMath()) == "2 * M_glc__D_c"
    assert libsbml.formulaToL3String(m.getRule(0).getMath()) == "M_glc__D_c + M_glc__D_c"
    members = m.getPlugin("groups").getGroup(0).getListOfMembers()
    assert [members.get(i).getIdRef() for i in range(members.size())] == ["M_glc__D_c", "R_HEX1"]
    product = m.getPlugin("fbc").getGeneProduct(0)
    assert (product.getLabel(), product.getAssociatedSpecies()) == ("locus_b1", "M_glc__D_c")
    glyph = m.getPlugin("layout").getLayout(0).getSpeciesGlyph(0)
    assert glyph.getSpeciesId() == "M_glc__D_c"
    # what cobra does not model is still there
    assert m.isSetModelHistory() and m.getModelHistory().getNumCreators() == 1
    assert m.getNumUnitDefinitions() == 1
    assert m.getSpecies("M_atp_c").getInitialAmount() == 2.5
    assert m.getSpecies("M_atp_c").getSBOTermID() == "SBO:0000247"
    # annotations: bigg.metabolite added in the document's URI form, merged ones kept
    survivor = m.getSpecies("M_glc__D_c")
    resources = {
        t.getResourceURI(i) for t in survivor.getCVTerms() for i in range(t.getNumResources())
    }
    assert resources == {
        "http://identifiers.org/bigg.metabolite/glc__D",
        "http://identifiers.org/kegg.compound/C00031",
    }
    assert "metalign_original_ids: glc__D_c; cpd00027_c" in survivor.getNotesString()
    water = m.getSpecies("M_h2o_c")
    assert water.isSetMetaId() and water.getNumCVTerms() == 1
    assert result.removed == ["M_cpd00027_c"]
    assert flagged["status"].to_dict() == {
        "CYCLE": "REACTION_EMPTIED",
        "HEX1_seed": "REACTION_DUPLICATE",
    }


def test_patched_document_reads_back_with_cobra(tiny: Path, tmp_path: Path) -> None:
    model, _, _, _, result, _ = patched(tiny)
    target = write_model(result, tmp_path / "out.xml.gz")
    again = cobra.io.read_sbml_model(gzip.open(target).read().decode())
    assert [r.id for r in again.reactions] == [r.id for r in model.reactions]
    assert "glc__D_c" in again.metabolites and "cpd00027_c" not in again.metabolites
    assert again.reactions.SUM.metabolites == {
        again.metabolites.glc__D_c: -3.0,
        again.metabolites.g6p_c: 3.0,
    }
    with pytest.raises(ModelWriteError, match="only be written as SBML"):
        write_model(result, tmp_path / "out.json")


def test_untouched_document_is_unchanged(tiny: Path) -> None:
    model, document = read_model_document(tiny)
    plan, audit, _ = plan_matches(model, matches(model))
    before = libsbml.writeSBMLToString(libsbml.readSBMLFromFile(str(tiny)))
    assert patch_document(document, plan).to_bytes().decode() == before


def test_merged_species_set_by_a_rule_is_refused(tiny: Path) -> None:
    text = DOCUMENT.replace(
        '<assignmentRule variable="pool">', '<assignmentRule variable="M_cpd00027_c">'
    )
    text = text.replace('<parameter id="pool" value="1" constant="false"/>', "")
    tiny.write_text(text)
    model, document = read_model_document(tiny)
    plan, _, _ = plan_matches(model, matches(model, **ROWS))
    with pytest.raises(ModelWriteError, match="rule or assignment sets"):
        patch_document(document, plan)


def test_species_id_convention() -> None:
    assert sbml_species_id("10fthf_c", True) == "M_10fthf_c"
    assert sbml_species_id("10fthf_c", False) == "_10fthf_c"
    assert sbml_species_id("glc-D_c", False) == "glc__45__D_c"


def test_unprefixed_document_keeps_its_ids(tiny: Path) -> None:
    tiny.write_text(DOCUMENT.replace("M_", "S"))
    model, document = read_model_document(tiny)
    rows = {"Scpd00002_c": {"bigg_id": "atp"}, "Sglc__D_c": {"bigg_id": "glc__D"}}
    plan, _, _ = plan_matches(model, matches(model, **rows))
    out = patch_document(document, plan).document.getModel()
    assert out.getSpecies("atp_c") is not None and out.getSpecies("Sglc__D_c") is None


def test_fix_writes_the_patched_document(tiny: Path, tmp_path: Path) -> None:
    from cobra_metalign.cli.app import main

    output = tmp_path / "out" / "fixed.xml"
    output.parent.mkdir()
    result = CliRunner().invoke(main, ["fix", str(tiny), "-o", str(output)])
    assert result.exit_code == 0, result.output
    out = libsbml.readSBMLFromFile(str(output))
    assert (out.getLevel(), out.getVersion()) == (3, 1)
    m = out.getModel()
    assert m.isSetModelHistory() and m.getNumUnitDefinitions() == 1
    assert m.getReaction("R_HEX1_seed").isSetKineticLaw()
    assert m.getPlugin("fbc").getGeneProduct(0).getLabel() == "locus_b1"
    assert m.getPlugin("layout").getNumLayouts() == 1


# ------------------------------------------------------------ real models (slow)
def _sbml_models(root: Path) -> list[Path]:
    return sorted(
        p for p in (root / "models").rglob("*") if p.name.endswith((".xml.gz", ".sbml.gz", ".xml"))
    )


@pytest.mark.slow
def test_fidelity_on_every_sbml_model(shared_data: Path, tmp_path: Path) -> None:
    from cobra_metalign.alignment import align
    from cobra_metalign.catalog.store import load_catalog

    catalog = load_catalog()
    failures = {}
    for path in _sbml_models(shared_data):
        model, document = read_model_document(path)
        before = document.clone()
        reactions = [r.id for r in model.reactions]
        growth = model.slim_optimize(error_value=float("nan"))
        result = align(model, catalog, inplace=True, plan_only=True)
        patch = patch_document(document, result.plan)
        text = patch.to_bytes().decode()
        problems = unexplained_differences(before, libsbml.readSBMLFromString(text), result.audit)
        written = write_model(patch, tmp_path / f"{path.name}.out.xml", overwrite=True)
        again = read_model(written)  # with the repairs metalign applies to its input
        if [r.id for r in again.reactions] != reactions:
            problems.append("reactions changed")
        regrowth = again.slim_optimize(error_value=float("nan"))
        if not (abs(regrowth - growth) < 1e-6 or (growth != growth and regrowth != regrowth)):
            problems.append(f"growth {growth} -> {regrowth}")
        if problems:
            failures[path.name] = problems[:5]
    assert failures == {}


def test_apply_writes_the_patched_document_and_json_goes_through_cobra(
    tiny: Path, tmp_path: Path
) -> None:
    from cobra_metalign.cli.app import main
    from cobra_metalign.rewrite.audit import read_audit, write_audit

    runner = CliRunner()
    first = tmp_path / "first.xml"
    assert runner.invoke(main, ["fix", str(tiny), "-o", str(first)]).exit_code == 0
    audit = read_audit(tmp_path / "first.audit.tsv")
    audit["decision"] = ""
    audit.loc["cpd00002_c", ["decision", "bigg_id"]] = ["accept", "atp"]
    edited = tmp_path / "edited.audit.tsv"
    write_audit(audit, edited)
    curated = tmp_path / "curated.xml"
    result = runner.invoke(main, ["apply", str(tiny), str(edited), "-o", str(curated)])
    assert result.exit_code == 0, result.output
    m = libsbml.readSBMLFromFile(str(curated)).getModel()
    assert m.getSpecies("M_atp_c") is not None and m.getSpecies("M_cpd00027_c") is not None
    assert m.isSetModelHistory() and m.getReaction("R_HEX1_seed").isSetKineticLaw()
    as_json = tmp_path / "fixed.json"
    assert runner.invoke(main, ["fix", str(tiny), "-o", str(as_json)]).exit_code == 0
    assert "atp_c" in cobra.io.load_json_model(str(as_json)).metabolites


# ------------------------------------------------------- unchanged: the input's bytes
def test_unchanged_document_keeps_the_input_bytes(tiny: Path, tmp_path: Path) -> None:
    from cobra_metalign.io.model import check_written_model, sbml_baseline
    from cobra_metalign.rewrite.sbml import keep_input_bytes

    gz = tmp_path / "tiny.xml.gz"
    gz.write_bytes(gzip.compress(tiny.read_bytes()))
    model, document = read_model_document(gz)
    baseline = sbml_baseline(document)
    plan, _, _ = plan_matches(model, matches(model))
    result = patch_document(document, plan)
    assert not result.changed
    assert keep_input_bytes(result)
    assert result.to_bytes() == tiny.read_bytes()  # byte for byte, not re-serialised
    written = write_model(result, tmp_path / "out.xml")
    assert written.read_bytes() == tiny.read_bytes()
    check_written_model(written, baseline)


def test_changed_plan_or_changed_file_is_serialised(tiny: Path) -> None:
    from cobra_metalign.rewrite.sbml import keep_input_bytes

    result = patched(tiny)[-2]
    assert result.changed and result.noted
    assert not keep_input_bytes(result) and result.original is None
    model, document = read_model_document(tiny)
    plan, _, _ = plan_matches(model, matches(model))
    result = patch_document(document, plan)
    tiny.write_text(DOCUMENT.replace('name="cytosol"', 'name="cytoplasm"'))
    assert not keep_input_bytes(result)  # the file changed since it was read
    assert result.to_bytes() == libsbml.writeSBMLToString(document).encode()


def test_fix_of_a_model_that_needs_no_change_writes_it_unchanged(tmp_path: Path) -> None:
    from cobra_metalign.cli.app import main

    model = cobra.Model("plain")
    model.add_metabolites(
        [cobra.Metabolite(f"zzq{i}_c", name=f"Qzzx compound {i}", compartment="c") for i in (1, 2)]
    )
    reaction = cobra.Reaction("R1")
    reaction.add_metabolites({model.metabolites[0]: -1, model.metabolites[1]: 1})
    model.add_reactions([reaction])
    source = tmp_path / "plain.xml"
    cobra.io.write_sbml_model(model, str(source))
    text = source.read_text().replace("<listOfSpecies>", "<listOfSpecies>\n  <!-- kept -->")
    source.write_text(text)
    out = tmp_path / "out" / "plain.xml.gz"
    result = CliRunner().invoke(main, ["fix", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "UNMATCHED" in result.output
    assert gzip.decompress(out.read_bytes()) == source.read_bytes()
