"""align_many and metalign fix-many on a real dask LocalCluster (worker processes)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import distributed
import pandas as pd
import pytest
from click.testing import CliRunner

from cobra_metalign import many
from cobra_metalign.cli.app import main
from cobra_metalign.errors import MetalignError
from cobra_metalign.many import SUMMARY_COLUMNS, align_many
from cobra_metalign.rewrite.audit import STATUSES, read_audit

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "textbook_mixed.xml"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, _textbook) -> dict[str, Path]:
    """The textbook model as SBML and as JSON, a broken SBML file, and a model with duplicates."""
    from cobra.io import save_json_model, write_sbml_model

    folder = tmp_path_factory.mktemp("many_inputs")
    paths = {
        "sbml": folder / "textbook.xml",
        "json": folder / "textbook_json.json",
        "broken": folder / "broken.xml",
        "mixed": folder / "textbook_mixed.xml",
    }
    write_sbml_model(_textbook, str(paths["sbml"]))
    save_json_model(_textbook, str(paths["json"]))
    paths["broken"].write_text("<?xml version='1.0'?>\n<sbml><model id='x'>truncated", "utf-8")
    shutil.copy(EXAMPLE, paths["mixed"])
    return paths


@pytest.fixture(scope="module")
def client():
    """A client on a local cluster of two worker processes, shared by the tests here."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def test_align_many_local_cluster(inputs, tmp_path):
    outdir = tmp_path / "out"
    order = [inputs["sbml"], inputs["broken"], inputs["json"]]
    summary = align_many(order, outdir, workers=1)

    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary.index) == ["textbook", "broken", "textbook_json"]
    assert list(summary["input"]) == [str(path) for path in order]
    assert list(summary["status"]) == ["ok", "failed", "ok"]
    broken = summary.loc["broken"]
    assert "ModelReadError" in broken["error"] and "broken.xml" in broken["error"]
    assert broken["model"] == "" and pd.isna(broken["KEPT"])
    assert summary.attrs["workers"] == 1 and summary.attrs["models_per_minute"] > 0
    for name in ("textbook", "textbook_json"):
        row = summary.loc[name]
        assert row["error"] == "" and row["metabolites"] == 72
        assert sum(int(row[status]) for status in STATUSES[:7]) == 72
        assert row["seconds"] > 0
        for column, suffix in (
            ("model", "aligned.xml"),
            ("audit", "audit.tsv"),
            ("reactions", "reactions.tsv"),
        ):
            assert Path(row[column]) == outdir / f"{name}.{suffix}"
            assert Path(row[column]).is_file()
        assert len(read_audit(outdir / f"{name}.audit.tsv")) == 72
    assert not list(outdir.glob("broken*")) and not list(outdir.glob(".*.tmp"))

    written = pd.read_csv(outdir / "summary.tsv", sep="\t", index_col="name", keep_default_na=False)
    assert list(written.index) == list(summary.index)
    assert list(written["status"]) == ["ok", "failed", "ok"]
    assert written.loc["broken", "error"] == broken["error"]

    # An earlier summary.tsv stops a new run before it starts (issue 14 item 11)...
    with pytest.raises(MetalignError, match="summary.tsv already exists"):
        align_many([inputs["sbml"]], outdir, workers=1)
    # ...and without it, existing outputs are not replaced: that model fails, alone.
    (outdir / "summary.tsv").unlink()
    again = align_many([inputs["sbml"]], outdir, workers=1)
    assert again.loc["textbook", "status"] == "failed"
    assert "already exists" in again.loc["textbook", "error"]


def test_catalog_loaded_once_per_worker_and_outputs_equal_fix(inputs, client, tmp_path):
    before = client.run(many._load_counts)
    models = [inputs["mixed"], inputs["sbml"], inputs["json"], inputs["mixed"], inputs["sbml"]]
    summary = align_many(models, tmp_path / "out", scheduler=client)

    assert list(summary.index) == [
        "textbook_mixed",
        "textbook",
        "textbook_json",
        "textbook_mixed.2",
        "textbook.2",
    ]
    assert (summary["status"] == "ok").all(), summary["error"].tolist()
    assert summary.loc["textbook_mixed", "MERGED"] == 3
    after = client.run(many._load_counts)
    loads = {worker: after[worker]["catalog"] - before[worker]["catalog"] for worker in after}
    # 5 models on 2 workers: each worker loaded the catalogue at most once (not per model).
    assert len(loads) == 2 and all(count <= 1 for count in loads.values())
    assert 1 <= sum(loads.values()) <= 2
    assert client.status == "running"  # a client we passed in is not closed

    # The same files as `metalign fix` writes for the same input.
    single = tmp_path / "single" / "textbook_mixed.xml"
    single.parent.mkdir()
    shutil.copy(inputs["mixed"], single)
    assert run("fix", single).exit_code == 0
    for suffix in ("aligned.xml", "audit.tsv", "reactions.tsv"):
        expected = (single.parent / f"textbook_mixed.{suffix}").read_bytes()
        assert (tmp_path / "out" / f"textbook_mixed.{suffix}").read_bytes() == expected
        assert (tmp_path / "out" / f"textbook_mixed.2.{suffix}").read_bytes() == expected


def test_fix_many_cli_exit_codes(inputs, client, tmp_path):
    address = client.scheduler.address
    result = run(
        "fix-many", inputs["sbml"], inputs["broken"], "-o", tmp_path / "a", "--scheduler", address
    )
    assert result.exit_code == 1, result.output
    assert "1 of 2 models aligned" in result.output
    assert "FAILED broken" in result.output and "models per minute" in result.output
    assert (tmp_path / "a" / "summary.tsv").is_file()

    result = run(
        "fix-many", inputs["json"], "-o", tmp_path / "b", "--scheduler", address, "--no-rename"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "textbook_json.aligned.xml").is_file()

    result = run(
        "fix-many", inputs["json"], "-o", tmp_path / "c", "--workers", "1", "--scheduler", address
    )
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_align_many_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="output_format"):
        align_many([], tmp_path, output_format="csv")
    with pytest.raises(ValueError, match="not both"):
        align_many([], tmp_path, workers=1, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="at least 1"):
        align_many([], tmp_path, workers=0)
    with pytest.raises(TypeError, match="inplace"):
        align_many([], tmp_path, inplace=True)


def test_align_many_without_inputs_writes_empty_summary(tmp_path):
    summary = align_many([], tmp_path / "none")
    assert summary.empty and list(summary.columns) == list(SUMMARY_COLUMNS)
    assert (tmp_path / "none" / "summary.tsv").read_text().startswith("name\tinput\tstatus")


def test_output_names_are_unique_per_stem(tmp_path):
    jobs = many._plan(
        [tmp_path / "a" / "m.xml", tmp_path / "b" / "m.json.gz", tmp_path / "M.xml"],
        tmp_path / "out",
        "json.gz",
    )
    assert [job.name for job in jobs] == ["m", "m.2", "M.3"]
    assert jobs[1].model == str(tmp_path / "out" / "m.2.aligned.json.gz")
    assert jobs[2].audit == str(tmp_path / "out" / "M.3.audit.tsv")


@pytest.mark.slow
def test_align_many_all_shared_models(shared_data, tmp_path):
    """Every model in ../shared/data/models on two workers (minutes).

    A model may fail only with a clean read/write error of its own (e.g. a JSON
    model whose charges are empty strings), never by losing its worker.
    """
    paths = sorted(p for p in (shared_data / "models").rglob("*") if p.is_file())
    summary = align_many(paths, tmp_path / "out", workers=2)
    assert len(summary) == len(paths)
    assert (summary["status"] == "ok").sum() > len(paths) // 2
    failed = summary[summary["status"] == "failed"]
    assert failed["error"].str.match(r"Model(Read|Write)Error: ").all(), failed["error"].to_dict()
    for row in summary[summary["status"] == "ok"].itertuples():
        assert Path(row.model).is_file() and Path(row.audit).is_file()
        assert len(read_audit(row.audit)) == row.metabolites


def test_progress_per_model_and_clean_shutdown(inputs, tmp_path, caplog, monkeypatch):
    closed = []
    original = many._close_local_workers

    def spy(cluster):
        original(cluster)
        closed.extend(str(nanny.status) for nanny in cluster.workers.values())

    monkeypatch.setattr(many, "_close_local_workers", spy)
    caplog.set_level(logging.WARNING, logger="distributed")
    caplog.set_level(logging.INFO, logger="cobra_metalign")  # last: sets the handler's level
    align_many([inputs["sbml"], inputs["broken"]], tmp_path / "out", workers=1)
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert any(level == "INFO" and ": ok in " in text for level, text in messages)
    assert any(
        level == "WARNING" and "broken failed: ModelReadError" in text for level, text in messages
    )
    # The workers were stopped patiently, before the cluster closed: none killed.
    assert closed == ["Status.closed"]
    assert not any("killing" in text for _, text in messages)
