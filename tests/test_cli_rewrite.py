"""metalign fix / apply / merge, run through a local click group."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cobra_metalign.cli.app import main
from cobra_metalign.cli.rewrite import output_paths
from cobra_metalign.io.model import read_model, validate
from cobra_metalign.rewrite.audit import read_audit, read_reactions

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "textbook_mixed.xml"


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


@pytest.fixture()
def example(tmp_path) -> Path:
    path = tmp_path / "textbook_mixed.xml"
    shutil.copy(EXAMPLE, path)
    return path


def test_output_paths(tmp_path):
    paths = output_paths(tmp_path / "model.xml.gz")
    assert paths == {
        "model": tmp_path / "model.aligned.xml",
        "audit": tmp_path / "model.audit.tsv",
        "reactions": tmp_path / "model.reactions.tsv",
    }
    assert output_paths(tmp_path / "m.json", "curated")["audit"] == tmp_path / "m.curated.audit.tsv"


def test_fix_writes_model_audit_and_reactions(example, tmp_path):
    original = example.read_bytes()
    result = run("fix", example)
    assert result.exit_code == 0, result.output
    assert "MERGED" in result.output and "merged 3 duplicates" in result.output
    assert "flagged reactions: 0" in result.output
    outputs = output_paths(example)
    for path in outputs.values():
        assert path.is_file()
    assert example.read_bytes() == original
    audit = read_audit(outputs["audit"])
    assert len(audit) == len(read_model(example).metabolites)
    assert (audit["status"] == "MERGED").sum() == 3
    assert len(read_reactions(outputs["reactions"])) == 0
    fixed = read_model(outputs["model"])
    assert "cpd00009_c" not in fixed.metabolites and "pi_c" in fixed.metabolites


def test_fixed_sbml_adds_no_libsbml_error(example):
    assert run("fix", example).exit_code == 0
    _, before = validate(example)
    _, after = validate(output_paths(example)["model"])
    errors = ("fatal", "error")
    new = set(after[after["severity"].isin(errors)]["message"]) - set(
        before[before["severity"].isin(errors)]["message"]
    )
    assert not new


def test_fix_refuses_to_overwrite_and_is_deterministic(example):
    assert run("fix", example).exit_code == 0
    outputs = output_paths(example)
    first = {k: p.read_bytes() for k, p in outputs.items()}
    again = run("fix", example)
    assert again.exit_code == 1
    assert "already exists; pass --overwrite" in again.output
    assert run("fix", example, "--overwrite").exit_code == 0
    assert {k: p.read_bytes() for k, p in outputs.items()} == first


def test_fix_dry_run_writes_nothing(example, tmp_path):
    result = run("fix", example, "--dry-run")
    assert result.exit_code == 0
    assert "dry run: nothing written" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["textbook_mixed.xml"]


def test_fix_in_place_keeps_a_backup(example):
    original = example.read_bytes()
    result = run("fix", example, "--in-place")
    assert result.exit_code == 0, result.output
    backup = example.with_name("textbook_mixed.xml.bak")
    assert backup.read_bytes() == original
    assert example.read_bytes() != original
    assert "pi_c" in read_model(example).metabolites
    assert run("fix", example, "--in-place").exit_code == 1  # the backup exists
    usage = run("fix", example, "--in-place", "-o", example.with_name("x.xml"))
    assert usage.exit_code == 2


def test_fix_json_output_and_options(example, tmp_path):
    out = tmp_path / "fixed.json"
    result = run(
        "fix",
        example,
        "-o",
        out,
        "--audit",
        tmp_path / "a.tsv",
        "--reactions",
        tmp_path / "r.tsv",
        "--no-rename",
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("{")
    audit = read_audit(tmp_path / "a.tsv")
    assert audit.attrs["rename"] is False
    assert (audit["status"] == "ANNOTATED").sum() == 20
    assert (tmp_path / "r.tsv").is_file()


def test_fix_reads_gzip(example, tmp_path):
    packed = tmp_path / "packed.xml.gz"
    packed.write_bytes(gzip.compress(example.read_bytes()))
    assert run("fix", packed).exit_code == 0
    assert (tmp_path / "packed.aligned.xml").is_file()


def test_fix_refuses_output_onto_input(example):
    result = run("fix", example, "-o", example)
    assert result.exit_code == 1
    assert "refusing to write the model over the input" in result.output


def test_fix_bad_options(example, tmp_path):
    assert run("fix", tmp_path / "missing.xml").exit_code == 2
    bad = run("fix", example, "--encoder", "no-such-model")
    assert bad.exit_code == 2
    assert "neither 'minilm' nor a model folder" in bad.output
    broken = tmp_path / "broken.xml"
    broken.write_text("<sbml>not really")
    failed = run("fix", broken)
    assert failed.exit_code == 1
    assert "Error:" in failed.output and "broken.xml" in failed.output
    assert "Usage" in run("fix", "-h").output


# --------------------------------------------------------------------- apply
def _set_decision(path: Path, met_id: str, decision: str) -> None:
    lines = path.read_text().splitlines()
    header_at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    column = lines[header_at].split("\t").index("decision")
    for i in range(header_at + 1, len(lines)):
        cells = lines[i].split("\t")
        if cells[0] == met_id:
            cells[column] = decision
            lines[i] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")


def test_apply_curated_audit(example, tmp_path):
    assert run("fix", example).exit_code == 0
    audit_path = output_paths(example)["audit"]
    audit = read_audit(audit_path)
    # NH3 named, NH4+ formula, a SEED id shared by both: left for the curator (REVIEW;
    # a shared cross-reference alone no longer makes a CONFLICT)
    conflicts = list(audit.index[audit["status"].isin(["CONFLICT", "REVIEW"])])
    assert conflicts
    for met_id in conflicts:
        _set_decision(audit_path, met_id, "accept")
    _set_decision(audit_path, "SUCC_c", "reject")
    result = run("apply", example, audit_path)
    assert result.exit_code == 0, result.output
    assert "curator decisions:" in result.output
    curated = output_paths(example, "curated")
    new_audit = read_audit(curated["audit"])
    assert set(new_audit.loc[conflicts, "status"]) == {"RENAMED"}
    assert new_audit.loc["SUCC_c", "status"] == "UNMATCHED"
    assert new_audit.loc["SUCC_c", "decision"] == "reject"
    model = read_model(curated["model"])
    assert "SUCC_c" in model.metabolites
    assert curated["reactions"].is_file()


def test_apply_refuses_an_audit_of_another_model(example, tmp_path):
    assert run("fix", example).exit_code == 0
    outputs = output_paths(example)
    # The aligned output is not the model the audit was written for.
    result = run("apply", outputs["model"], outputs["audit"], "--dry-run")
    assert result.exit_code == 1
    assert "does not fit model" in result.output


def test_apply_refuses_invalid_decisions(example):
    assert run("fix", example).exit_code == 0
    audit_path = output_paths(example)["audit"]
    _set_decision(audit_path, "SUCC_c", "dunno")
    result = run("apply", example, audit_path)
    assert result.exit_code == 1
    assert "textbook_mixed.audit.tsv" in result.output and "dunno" in result.output


# --------------------------------------------------------------------- merge
def test_merge_two_models(example, tmp_path, textbook):
    from cobra_metalign.io.model import write_model

    other = write_model(textbook, tmp_path / "textbook.xml")
    out = tmp_path / "merged.xml"
    result = run("merge", other, example, "-o", out, "--prefix-existing", "mixed_")
    assert result.exit_code == 0, result.output
    assert "with a plain cobra merge, 0 after pre-merge" in result.output
    audit = read_audit(tmp_path / "merged.audit.tsv")
    assert audit.index.names == ["model", "metabolite_id"]
    assert set(audit.index.get_level_values("model")) == {"textbook", "textbook_mixed"}
    assert (tmp_path / "merged.reactions.tsv").is_file()
    merged = read_model(out)
    assert merged.id == "merged"
    # The tables are printed and written beside the output.
    for heading in (
        "compartments:",
        "cross-model joins:",
        "reactions: kept",
        "duplicate groups left: 0",
    ):
        assert heading in result.output
    assert "sanity (growth; ATP made with every uptake closed):" in result.output
    for name in (
        "report",
        "statuses",
        "compartments",
        "joins",
        "reaction_joins",
        "duplicates",
        "sanity",
    ):
        assert (tmp_path / f"merged.{name}.tsv").is_file(), name
    reactions = pd.read_csv(tmp_path / "merged.reaction_joins.tsv", sep="\t")
    assert len(reactions) == 2 * len(textbook.reactions)
    assert set(reactions["kind"]) <= {"kept", "joined", "added", "renamed"}
    # Provenance survives the SBML round trip.
    assert merged.reactions.PGI.notes["metalign_sources"].startswith(
        "textbook:PGI; textbook_mixed:"
    )


def test_merge_keep_compartments_and_refuse_existing_tables(example, tmp_path, textbook):
    from cobra_metalign.io.model import write_model

    other = write_model(textbook, tmp_path / "textbook.xml")
    out = tmp_path / "merged.xml"
    (tmp_path / "merged.sanity.tsv").write_text("mine\n")
    refused = run("merge", other, example, "-o", out)
    assert refused.exit_code == 1 and "merged.sanity.tsv already exists" in refused.output
    assert not out.exists() and (tmp_path / "merged.sanity.tsv").read_text() == "mine\n"
    result = run(
        "merge",
        other,
        example,
        "-o",
        out,
        "--keep-compartments",
        "--no-energy-check",
        "--overwrite",
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "merged.compartments.tsv", sep="\t")
    assert set(table["status"]) == {"off"}
    assert "sanity (" not in result.output


def test_merge_needs_two_models_and_an_output(example, tmp_path):
    assert run("merge", example, "-o", tmp_path / "m.xml").exit_code == 2
    assert run("merge", example, example).exit_code == 2
