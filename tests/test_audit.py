"""The audit table: file format, validation, and the review round-trip."""

from __future__ import annotations

import cobra
import pandas as pd
import pytest
from frames import matches, sbml_bytes

from cobra_metalign.errors import AuditError
from cobra_metalign.rewrite.audit import (
    AUDIT_COLUMNS,
    AUDIT_FORMAT,
    apply_audit,
    default_reactions_path,
    model_fingerprint,
    read_audit,
    read_reactions,
    write_audit,
)
from cobra_metalign.rewrite.cobra_model import apply_matches


@pytest.fixture()
def model() -> cobra.Model:
    model = cobra.Model("tiny")
    mets = {
        "glc__D_c": ("D-Glucose", "C6H12O6", 0),
        "cpd00027_c": ("D-Glucose_c0", "C6H12O6", 0),
        "cpd00020_c": ("Pyruvate_c0", "C3H3O3", -1),
        "ala_c": ("Alanine", "C3H7NO2", 0),
        "x_c": ("Mystery\tthing", "", None),
    }
    for met_id, (name, formula, charge) in mets.items():
        model.add_metabolites(
            [cobra.Metabolite(met_id, name=name, formula=formula, charge=charge, compartment="c")]
        )
    for rxn_id, stoich in {
        "R1": {"glc__D_c": -1, "cpd00020_c": 2},
        "R2": {"cpd00027_c": -1, "cpd00020_c": 2},
        "R3": {"cpd00020_c": -1, "ala_c": 1},
        "R4": {"x_c": -1, "ala_c": 1},
    }.items():
        rxn = cobra.Reaction(rxn_id)
        model.add_reactions([rxn])
        rxn.add_metabolites({model.metabolites.get_by_id(k): v for k, v in stoich.items()})
    return model


@pytest.fixture()
def frame(model) -> pd.DataFrame:
    return matches(
        model,
        glc__D_c={
            "bigg_id": "glc__D",
            "bigg_name": "D-Glucose",
            "score": 1.0,
            "evidence": "id=exact",
        },
        cpd00027_c={
            "bigg_id": "glc__D",
            "duplicate_of": "glc__D_c",
            "score": 0.98,
            "evidence": "xref:seed.compound=cpd00027; name=exact",
            "candidates": "glc__D:0.98; glc__bD:0.71",
        },
        cpd00020_c={"bigg_id": "pyr", "score": 0.99},
        ala_c={"bigg_id": "ala__L", "decision": "review", "score": 0.7},
    )


@pytest.fixture()
def result(model, frame):
    return apply_matches(model, frame)


# ------------------------------------------------------------- file format
def test_write_read_round_trip(result, tmp_path):
    _, audit, reactions = result
    path = write_audit(audit, tmp_path / "m.audit.tsv", reactions=reactions)
    text = path.read_text()
    assert text.startswith(
        f"# format: {AUDIT_FORMAT}\n# model_id: tiny\n# model_fingerprint: sha256:"
    )
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    assert header.split("\t") == list(AUDIT_COLUMNS)
    back = read_audit(path)
    assert list(back.index) == list(audit.index)
    for column in ("status", "new_id", "bigg_id", "decision", "duplicate_of", "comment"):
        assert back[column].tolist() == audit[column].tolist()
    assert back["score"].tolist() == pytest.approx(audit["score"].tolist())
    assert back["conflict"].tolist() == audit["conflict"].tolist()
    assert back.attrs["model_fingerprint"] == audit.attrs["model_fingerprint"]
    assert back.attrs["rename"] is True
    # Tabs inside names never break the table.
    assert back.loc["x_c", "name"] == "Mystery thing"
    flagged = read_reactions(tmp_path / "m.reactions.tsv")
    assert flagged.index.tolist() == reactions.index.tolist()
    assert flagged.loc["R2", "status"] == "REACTION_DUPLICATE"


def test_write_is_deterministic_and_atomic(result, tmp_path):
    _, audit, reactions = result
    first = write_audit(audit, tmp_path / "a.audit.tsv").read_bytes()
    second = write_audit(audit, tmp_path / "a.audit.tsv").read_bytes()
    assert first == second
    assert [p.name for p in tmp_path.iterdir()] == ["a.audit.tsv"]


def test_default_reactions_path(tmp_path):
    assert default_reactions_path(tmp_path / "m.audit.tsv") == tmp_path / "m.reactions.tsv"
    assert default_reactions_path(tmp_path / "curation.tsv") == tmp_path / "curation.reactions.tsv"


def test_spreadsheet_padded_header_is_read(result, tmp_path):
    _, audit, _ = result
    path = write_audit(audit, tmp_path / "m.audit.tsv")
    lines = path.read_text().splitlines()
    padded = [line + "\t\t\t" if line.startswith("#") else line for line in lines]
    path.write_text("\n".join(padded) + "\n")
    assert read_audit(path).attrs["model_fingerprint"] == audit.attrs["model_fingerprint"]


# ---------------------------------------------------------------- validation
def _edit(path, column, met_id, value):
    text = path.read_text().splitlines()
    header_at = next(i for i, line in enumerate(text) if not line.startswith("#"))
    columns = text[header_at].split("\t")
    for i in range(header_at + 1, len(text)):
        cells = text[i].split("\t")
        if cells[0] == met_id:
            cells[columns.index(column)] = value
            text[i] = "\t".join(cells)
    path.write_text("\n".join(text) + "\n")


def test_invalid_decision_is_refused(result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "ala_c", "yes please")
    with pytest.raises(AuditError, match=r"m\.audit\.tsv.*invalid decisions.*ala_c.*yes please"):
        read_audit(path)


def test_decisions_are_normalized(result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "ala_c", " Accept ")
    _edit(path, "decision", "glc__D_c", "REVIEW")
    audit = read_audit(path)
    assert audit.loc["ala_c", "decision"] == "accept"
    assert audit.loc["glc__D_c", "decision"] == ""


def test_missing_columns_are_refused(result, tmp_path):
    path = tmp_path / "m.audit.tsv"
    result[1].reset_index().drop(columns=["bigg_id", "status"]).to_csv(path, sep="\t", index=False)
    with pytest.raises(AuditError, match=r"missing audit columns \['status', 'bigg_id'\]"):
        read_audit(path)


def test_duplicate_ids_are_refused(result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[-1]]) + "\n")
    with pytest.raises(AuditError, match="duplicate metabolite ids: x_c"):
        read_audit(path)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("status", "DONE", "invalid statuses"),
        ("score", "high", "invalid scores"),
        ("conflict", "perhaps", "invalid conflict"),
        ("metabolite_id", "", "empty metabolite_id"),
    ],
)
def test_invalid_cells_are_refused(result, tmp_path, column, value, message):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, column, "ala_c", value)
    with pytest.raises(AuditError, match=message):
        read_audit(path)


def test_unreadable_or_foreign_files(tmp_path):
    with pytest.raises(AuditError, match="cannot read"):
        read_audit(tmp_path / "nope.tsv")
    other = tmp_path / "other.tsv"
    other.write_text("# format: something/2\nmetabolite_id\n")
    with pytest.raises(AuditError, match="not a cobra_metalign audit"):
        read_audit(other)
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(AuditError, match="no header row"):
        read_audit(empty)
    binary = tmp_path / "bin.tsv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(AuditError):
        read_audit(binary)


# ---------------------------------------------------------------- round-trip
def test_unedited_audit_reproduces_the_rewrite(model, result, tmp_path):
    new, audit, reactions = result
    path = write_audit(audit, tmp_path / "m.audit.tsv")
    again, audit2, reactions2 = apply_audit(model, path)
    assert sbml_bytes(again) == sbml_bytes(new)
    assert audit2["status"].tolist() == audit["status"].tolist()
    assert audit2["new_id"].tolist() == audit["new_id"].tolist()
    assert reactions2.index.tolist() == reactions.index.tolist()


def test_accept_a_review_row(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    assert read_audit(path).loc["ala_c", "status"] == "REVIEW"
    _edit(path, "decision", "ala_c", "accept")
    new, audit, _ = apply_audit(model, path)
    assert audit.loc["ala_c", "status"] == "RENAMED"
    assert "ala__L_c" in new.metabolites


def test_accept_with_an_edited_bigg_id(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "ala_c", "accept")
    _edit(path, "bigg_id", "ala_c", "ala__D")
    new, audit, _ = apply_audit(model, path)
    assert audit.loc["ala_c", "new_id"] == "ala__D_c"
    assert new.metabolites.ala__D_c.annotation["bigg.metabolite"] == "ala__D"


def test_reject_an_accepted_row_and_a_merge(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "cpd00020_c", "reject")
    _edit(path, "decision", "cpd00027_c", "reject")
    new, audit, _ = apply_audit(model, path)
    assert audit.loc["cpd00020_c", "status"] == "UNMATCHED"
    assert audit.loc["cpd00020_c", "decision"] == "reject"
    assert audit.loc["cpd00020_c", "comment"].startswith(
        "rejected by curator: RENAMED -> UNMATCHED"
    )
    assert audit.loc["cpd00027_c", "status"] == "UNMATCHED"
    assert {"cpd00020_c", "cpd00027_c", "glc__D_c"} <= {m.id for m in new.metabolites}
    # the survivor keeps its status, but no longer claims the merge that was rejected
    assert result[1].loc["glc__D_c", "comment"] == "survivor of cpd00027_c"
    assert audit.loc["glc__D_c", "status"] == "KEPT"
    assert "survivor of" not in audit.loc["glc__D_c", "comment"]


def test_blanking_a_merge_leaves_it_for_review(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "cpd00027_c", "")
    new, audit, _ = apply_audit(model, path)
    assert audit.loc["cpd00027_c", "status"] == "REVIEW"
    assert "cpd00027_c" in new.metabolites


def test_accept_without_bigg_id_is_refused(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "x_c", "accept")
    with pytest.raises(AuditError, match="x_c: accepted without a bigg_id"):
        apply_audit(model, path)


def test_audit_of_another_model_is_refused(model, result, tmp_path):
    new, audit, _ = result
    path = write_audit(audit, tmp_path / "m.audit.tsv")
    # The aligned output instead of the input: ids differ.
    with pytest.raises(AuditError, match=r"does not fit model 'tiny'.*not in the model.*input"):
        apply_audit(new, path)
    # A metabolite added since: missing from the audit.
    model.add_metabolites([cobra.Metabolite("new_c", compartment="c")])
    with pytest.raises(AuditError, match="1 model metabolites missing from the audit \\(new_c\\)"):
        apply_audit(model, path)


def test_changed_model_is_refused_by_fingerprint(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    model.metabolites.ala_c.compartment = "e"
    with pytest.raises(AuditError, match="the model changed since the audit was written"):
        apply_audit(model, path)


def test_audit_file_without_header_or_fingerprint_is_refused(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    text = path.read_text()
    no_fingerprint = [line for line in text.splitlines() if "fingerprint" not in line]
    path.write_text("\n".join(no_fingerprint) + "\n")
    with pytest.raises(AuditError, match="lost its model_fingerprint line"):
        apply_audit(model, path)
    no_header = [line for line in text.splitlines() if not line.startswith("#")]
    path.write_text("\n".join(no_header) + "\n")
    with pytest.raises(AuditError, match=r"lost its header lines.*Copy the '#' lines"):
        apply_audit(model, path)


def test_audit_frame_without_fingerprint_is_checked_by_ids(model, result, caplog):
    audit = result[1].copy()
    audit.attrs = {}
    apply_audit(model, audit)
    assert "no model fingerprint" in caplog.text


def test_fingerprint_covers_names_formulas_and_charges(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    for attribute, value in (("name", "Alanine!"), ("formula", "C3H6NO2"), ("charge", -1)):
        changed = model.copy()
        setattr(changed.metabolites.ala_c, attribute, value)
        assert model_fingerprint(changed) != model_fingerprint(model)
        with pytest.raises(AuditError, match="names, formulas or charges differ"):
            apply_audit(changed, path)


def test_audit_of_format_1_is_read_with_its_own_fingerprint(model, result, tmp_path, caplog):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    text = path.read_text().replace(AUDIT_FORMAT, "cobra_metalign.audit/1")
    text = text.replace(model_fingerprint(model), model_fingerprint(model, version=1))
    path.write_text(text)
    new, audit, _ = apply_audit(model, path)
    assert audit["status"].tolist() == result[1]["status"].tolist()
    assert "written by an older version" in caplog.text
    path.write_text(text.replace("cobra_metalign.audit/1", "cobra_metalign.audit/9"))
    with pytest.raises(AuditError, match="not one this version reads"):
        read_audit(path)


def test_comma_separated_audit_gets_a_hint(result, tmp_path):
    path = tmp_path / "m.audit.csv"
    result[1].to_csv(path)
    with pytest.raises(AuditError, match="looks comma-separated: an audit is tab-separated"):
        read_audit(path)
    result[1].to_csv(path, sep=";")
    with pytest.raises(AuditError, match="looks semicolon-separated"):
        read_audit(path)


# ------------------------------------------------------------ curator edits
def test_unknown_bigg_id_is_refused_unless_allowed(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "x_c", "accept")
    _edit(path, "bigg_id", "x_c", "not_a_bigg_id")
    with pytest.raises(AuditError, match=r"x_c: bigg_id 'not_a_bigg_id' is not in the BiGG"):
        apply_audit(model, path)
    new, audit, _ = apply_audit(model, path, allow_unknown_ids=True)
    assert audit.loc["x_c", "new_id"] == "not_a_bigg_id_c"
    assert "not in the catalogue" in audit.loc["x_c", "comment"]


@pytest.mark.parametrize(
    "bigg_id, shown",
    [
        ("glc/D", "'/'"),
        ("..", "'.' and a '..'"),
        ('glc"D', "'\"'"),
        ("<glc>", "'<', '>'"),
        ("glc\u200fD", "U\\+200F"),
        ("atp\u202e", "U\\+202E"),
    ],
)
def test_bigg_id_that_is_no_sbml_id_is_refused(model, result, tmp_path, bigg_id, shown):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "x_c", "accept")
    _edit(path, "bigg_id", "x_c", bigg_id)
    with pytest.raises(AuditError, match=f"x_c: bigg_id .*{shown}"):
        apply_audit(model, path, allow_unknown_ids=True)


def test_overlong_bigg_id_is_refused_when_read(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "x_c", "accept")
    _edit(path, "bigg_id", "x_c", "a" * 300)
    with pytest.raises(AuditError, match="bigg_id longer than 200 characters"):
        apply_audit(model, path, allow_unknown_ids=True)


def test_compartmented_bigg_id_is_read_as_universal(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "decision", "ala_c", "accept")
    _edit(path, "bigg_id", "ala_c", "ala__L_c")
    new, audit, _ = apply_audit(model, path)
    assert audit.loc["ala_c", "new_id"] == "ala__L_c"
    assert audit.loc["ala_c", "bigg_id"] == "ala__L"
    assert "read as ala__L" in audit.loc["ala_c", "comment"]
    assert "ala__L_c_c" not in new.metabolites
    _edit(path, "bigg_id", "ala_c", "ala__L_e")
    with pytest.raises(AuditError, match="looks like 'ala__L' in compartment 'e'.*universal id"):
        apply_audit(model, path)


def _ammonia_model() -> cobra.Model:
    model = cobra.Model("ammonia")
    atp = cobra.Metabolite("atp_c", name="ATP", formula="C10H12N5O13P3", charge=-4, compartment="c")
    nh3 = cobra.Metabolite("nh3_c", name="Ammonia", formula="H3N", charge=0, compartment="c")
    adp = cobra.Metabolite("adp_c", name="ADP", formula="C10H12N5O10P2", charge=-3, compartment="c")
    rxn = cobra.Reaction("R1")
    rxn.add_metabolites({atp: -1, nh3: -1, adp: 1})
    model.add_reactions([rxn])
    return model


def test_edited_merge_of_different_formulas_is_refused_unless_forced(tmp_path):
    model = _ammonia_model()
    frame = matches(
        model,
        atp_c={"bigg_id": "atp", "score": 1.0},
        nh3_c={"bigg_id": "nh3", "score": 1.0},
        adp_c={"bigg_id": "adp", "score": 1.0},
    )
    _, audit, _ = apply_matches(model, frame)
    path = write_audit(audit, tmp_path / "m.audit.tsv")
    _edit(path, "bigg_id", "nh3_c", "atp")
    with pytest.raises(AuditError, match=r"nh3_c \(H3N\) merged into atp_c.*--force"):
        apply_audit(model, path)
    with model:  # in place: a refused audit leaves the model as it was
        with pytest.raises(AuditError, match="would join different compounds"):
            apply_audit(model, path, inplace=True)
        assert {m.id for m in model.metabolites} == {"atp_c", "nh3_c", "adp_c"}
    new, forced, _ = apply_audit(model, path, force=True)
    assert forced.loc["nh3_c", "status"] == "MERGED"
    assert "forced: nh3_c (H3N) merged into atp_c" in forced.loc["nh3_c", "comment"]
    # A mapping of different formulas (no merge) is refused too.
    _edit(path, "bigg_id", "nh3_c", "glc__D")
    with pytest.raises(AuditError, match=r"nh3_c \(H3N\) mapped to glc__D"):
        apply_audit(model, path)


def test_apply_audit_frame_and_inplace(model, result):
    _, audit, _ = result
    edited = audit.copy()
    edited.loc["ala_c", "decision"] = "ACCEPT"
    with model:
        new, audit2, _ = apply_audit(model, edited, inplace=True)
        assert new is model
        assert "ala__L_c" in model.metabolites
    assert "ala_c" in model.metabolites
    edited.loc["ala_c", "decision"] = "sure"
    with pytest.raises(AuditError, match="invalid decisions"):
        apply_audit(model, edited)


def test_duplicate_of_unknown_id_is_refused(model, result, tmp_path):
    path = write_audit(result[1], tmp_path / "m.audit.tsv")
    _edit(path, "duplicate_of", "ala_c", "ghost_c")
    with pytest.raises(AuditError, match="duplicate_of 'ghost_c'"):
        apply_audit(model, path)


def test_premerge_audit_rows_are_selected(model, result, tmp_path):
    _, audit, _ = result
    flat = audit.reset_index()
    flat.insert(0, "model", "tiny")
    other = flat.copy()
    other["model"] = "other"
    joint = pd.concat([flat, other]).set_index(["model", "metabolite_id"])
    joint.attrs = {"model_fingerprints": {"tiny": model_fingerprint(model), "other": "sha256:x"}}
    path = write_audit(joint, tmp_path / "joint.audit.tsv")
    text = path.read_text()
    assert "# model_fingerprint[tiny]: sha256:" in text
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    assert header.startswith("model\tmetabolite_id\t")
    back = read_audit(path)
    assert back.index.names == ["model", "metabolite_id"]
    new, audit2, _ = apply_audit(model, path)
    assert audit2["status"].tolist() == audit["status"].tolist()
    model.id = "unknown"
    with pytest.raises(AuditError, match="pre-merge audit of models"):
        apply_audit(model, path)


def test_apply_command_refuses_and_forces(tmp_path):
    from click.testing import CliRunner

    from cobra_metalign.cli.app import main

    model = _ammonia_model()
    source = tmp_path / "ammonia.json"
    cobra.io.save_json_model(model, str(source))
    runner = CliRunner()
    fixed = runner.invoke(main, ["-q", "fix", str(source)], catch_exceptions=False)
    assert fixed.exit_code == 0, fixed.output
    path = tmp_path / "ammonia.audit.tsv"
    _edit(path, "decision", "nh3_c", "accept")
    _edit(path, "bigg_id", "nh3_c", "not_a_bigg_id")
    refused = runner.invoke(main, ["apply", str(source), str(path)], catch_exceptions=False)
    assert refused.exit_code == 1
    assert "Error: invalid bigg_id edits in" in refused.stderr
    assert "Traceback" not in refused.output and not (tmp_path / "ammonia.curated.xml").exists()
    allowed = runner.invoke(
        main, ["apply", str(source), str(path), "--allow-unknown-ids"], catch_exceptions=False
    )
    assert allowed.exit_code == 0, allowed.output
    _edit(path, "bigg_id", "nh3_c", "atp")
    refused = runner.invoke(main, ["apply", str(source), str(path), "--overwrite"])
    assert refused.exit_code == 1 and "would join different compounds" in refused.stderr
    forced = runner.invoke(main, ["apply", str(source), str(path), "--overwrite", "--force"])
    assert forced.exit_code == 0, forced.output
    assert read_audit(tmp_path / "ammonia.curated.audit.tsv").loc["nh3_c", "status"] == "MERGED"


def test_hydrogens_alone_are_no_formula_conflict(tmp_path):
    model = cobra.Model("h")
    model.add_metabolites([cobra.Metabolite("x_c", name="X", formula="C6H8O6", compartment="c")])
    _, audit, _ = apply_matches(model, matches(model, x_c={"bigg_id": "glc__D", "score": 1.0}))
    path = write_audit(audit, tmp_path / "h.audit.tsv")
    new, applied, _ = apply_audit(model, path)  # C6H8O6 vs C6H12O6: same heavy atoms
    assert applied.loc["x_c", "status"] == "RENAMED"
    model.metabolites.x_c.formula = "C5H12O6"
    _, audit, _ = apply_matches(model, matches(model, x_c={"bigg_id": "glc__D", "score": 1.0}))
    path = write_audit(audit, tmp_path / "h2.audit.tsv")
    with pytest.raises(AuditError, match=r"x_c \(C5H12O6\) mapped to glc__D"):
        apply_audit(model, path)


# ------------------------------------------------ comments kept, boundary copies
def test_apply_keeps_the_comments_of_rows_the_curator_did_not_touch(model, result, tmp_path):
    """The REVIEW comment of an untouched row survives apply; a decided row says what changed."""
    _, audit, _ = result
    assert audit.loc["ala_c", "comment"] == "proposed ala__L_c, not applied"
    path = write_audit(audit, tmp_path / "m.audit.tsv")
    _edit(path, "comment", "x_c", "asked the lab; see ticket 12")  # a curator's own note
    _, untouched, _ = apply_audit(model, path)
    assert untouched.loc["ala_c", "status"] == "REVIEW"
    assert untouched.loc["ala_c", "comment"] == "proposed ala__L_c, not applied"
    assert untouched.loc["x_c", "comment"] == "asked the lab; see ticket 12"
    assert untouched.loc["cpd00027_c", "comment"] == audit.loc["cpd00027_c", "comment"]
    _edit(path, "decision", "ala_c", "accept")
    _edit(path, "decision", "cpd00020_c", "reject")
    _, curated, _ = apply_audit(model, path)
    assert curated.loc["ala_c", "comment"] == (
        "accepted by curator: REVIEW -> RENAMED; before: proposed ala__L_c, not applied"
    )
    assert curated.loc["cpd00020_c", "comment"] == "rejected by curator: RENAMED -> UNMATCHED"
    # the curated audit applied again adds nothing
    again_path = write_audit(curated, tmp_path / "again.audit.tsv")
    _, again, _ = apply_audit(model, again_path)
    assert again["comment"].tolist() == curated["comment"].tolist()


def _boundary_model() -> cobra.Model:
    model = cobra.Model("isb619_like")
    for met_id, compartment in (("acgam_e", "e"), ("acgam_b", "e"), ("acgam_c", "c")):
        model.add_metabolites(
            [
                cobra.Metabolite(
                    met_id,
                    name="N-Acetyl-D-glucosamine",
                    formula="C8H15NO6",
                    charge=0,
                    compartment=compartment,
                )
            ]
        )
    for rxn_id, stoich in {
        "EX_acgam": {"acgam_e": -1, "acgam_b": 1},
        "ACGAMt": {"acgam_e": -1, "acgam_c": 1},
    }.items():
        rxn = cobra.Reaction(rxn_id, lower_bound=-1000, upper_bound=1000)
        model.add_reactions([rxn])
        rxn.add_metabolites({model.metabolites.get_by_id(k): v for k, v in stoich.items()})
    return model


def test_apply_refuses_an_accepted_boundary_copy_that_would_empty_its_exchange(tmp_path):
    model = _boundary_model()
    frame = matches(
        model,
        acgam_e={"bigg_id": "acgam", "score": 1.0, "evidence": "id=exact"},
        acgam_c={"bigg_id": "acgam", "score": 1.0, "evidence": "id=exact"},
        acgam_b={"bigg_id": "acgam", "decision": "review", "evidence": "name=exact"},
    )
    _, audit, _ = apply_matches(model, frame)
    assert audit.loc["acgam_b", "status"] == "BOUNDARY"
    path = write_audit(audit, tmp_path / "b.audit.tsv")
    back = read_audit(path)  # BOUNDARY is a status the audit reader knows
    assert back.loc["acgam_b", "status"] == "BOUNDARY"
    _edit(path, "decision", "acgam_b", "accept")
    with pytest.raises(
        AuditError,
        match=r"acgam_b is a boundary copy: accepting it would merge it with acgam_e and "
        r"empty reaction EX_acgam; reject it or leave its decision empty",
    ):
        apply_audit(model, path)
    # rejecting it, or leaving it, applies the rest and keeps the exchange
    _edit(path, "decision", "acgam_b", "reject")
    new, curated, flagged = apply_audit(model, path)
    assert len(new.reactions.EX_acgam.metabolites) == 2 and flagged.empty
    assert curated.loc["acgam_b", "decision"] == "reject"


def test_apply_refuses_an_accepted_boundary_copy_whose_id_is_taken(tmp_path):
    """The real metabolite keeps its id (left unmapped): the copy's rename would collide."""
    model = _boundary_model()
    frame = matches(
        model,
        acgam_b={"bigg_id": "acgam", "decision": "review", "evidence": "name=exact"},
    )
    _, audit, _ = apply_matches(model, frame)
    path = write_audit(audit, tmp_path / "b.audit.tsv")
    _edit(path, "decision", "acgam_b", "accept")
    with pytest.raises(AuditError, match=r"acgam_b is a boundary copy: accepting it was not"):
        apply_audit(model, path)


def test_apply_renames_an_accepted_boundary_copy_without_a_twin(tmp_path):
    model = cobra.Model("lone")
    model.add_metabolites(
        [cobra.Metabolite("orn_b", name="Ornithine", formula="C5H13N2O2", compartment="e")]
    )
    frame = matches(model, orn_b={"bigg_id": "orn", "decision": "review", "evidence": "x"})
    _, audit, _ = apply_matches(model, frame)
    path = write_audit(audit, tmp_path / "b.audit.tsv")
    _edit(path, "decision", "orn_b", "accept")
    _, curated, _ = apply_audit(model, path)
    assert curated.loc["orn_b", "status"] == "RENAMED"
    assert curated.loc["orn_b", "new_id"] == "orn_e"


def test_apply_keeps_the_guard_comments_only_the_matcher_run_writes(tmp_path):
    """REVIEW reasons that only the matcher's run writes (the name guard, similarity-only
    evidence) used to be dropped by apply, which does not run those checks again."""
    model = cobra.Model("m")
    for met_id, name in (("x_c", "Neu5Ac"), ("y_c", "N-Acetyl-beta-neuraminate"), ("z_c", "Zz")):
        model.add_metabolites(
            [cobra.Metabolite(met_id, name=name, formula="C11H18NO9", compartment="c")]
        )
    rows = {
        "x_c": {"bigg_id": "acnam", "evidence": "name=exact"},
        "y_c": {"bigg_id": "acnam", "evidence": "name=exact"},
        "z_c": {"bigg_id": "glc__D", "evidence": "tfidf=0.91"},
    }
    _, audit, _ = apply_matches(model, matches(model, **rows))
    assert "names differ" in audit.loc["y_c", "comment"]
    assert "evidence is only similarity" in audit.loc["z_c", "comment"]
    path = write_audit(audit, tmp_path / "p.audit.tsv")
    _, curated, _ = apply_audit(model, path)
    for met_id in ("y_c", "z_c"):
        assert curated.loc[met_id, "status"] == audit.loc[met_id, "status"] == "REVIEW"
        assert curated.loc[met_id, "comment"].startswith(audit.loc[met_id, "comment"])
