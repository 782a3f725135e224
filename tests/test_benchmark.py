"""The benchmark: gold tables, scoring rules, the pipeline against baselines, the command."""

from __future__ import annotations

import gzip
import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner
from cobra.io import write_sbml_model

from cobra_metalign.benchmark import (
    Adjudication,
    disagreements,
    format_results,
    load_gold,
    read_old_ids,
    run_benchmark,
    score_predictions,
)
from cobra_metalign.catalog.store import Catalog, CatalogEntry, load_catalog
from cobra_metalign.cli.app import main
from cobra_metalign.errors import MetalignError

GOLD_COLUMNS = ["source_id", "source_id_nocomp", "compartment", "name", "formula", "charge"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _gold_file(path, rows, columns=None):
    frame = pd.DataFrame(rows, columns=columns)
    text = frame.to_csv(sep="\t", index=False)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _frame(**rows) -> pd.DataFrame:
    """A prediction frame: ``id=(bigg_id, decision[, candidates])``."""
    records = []
    for met_id, values in rows.items():
        record = {"metabolite_id": met_id, "bigg_id": values[0], "decision": values[1]}
        if len(values) > 2:
            record["candidates"] = values[2]
        records.append(record)
    return pd.DataFrame(records).set_index("metabolite_id")


def _gold(**rows) -> pd.DataFrame:
    """A gold frame: ``id=(unit, gold_bigg)``."""
    return pd.DataFrame(
        [{"metabolite_id": k, "unit": u, "gold_bigg": g} for k, (u, g) in rows.items()]
    ).set_index("metabolite_id")


# ------------------------------------------------------------------ scoring rules


def test_precision_recall_and_review(catalog):
    gold = _gold(a=("a", "glc__D"), b=("b", "pyr"), c=("c", "atp"), d=("d", "adp"))
    predictions = _frame(
        a=("glc__D", "accept"), b=("lac__L", "accept"), c=("atp", "review"), d=("", "none")
    )
    scores = score_predictions(predictions, gold, catalog)
    assert scores["n"] == 4 and scores["gold_in_catalog"] == 4
    assert scores["accepted"] == 2 and scores["correct"] == 1
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.25)
    assert scores["f1"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    assert scores["review_rate"] == pytest.approx(0.25)
    assert "top1" not in scores


def test_units_are_scored_once(catalog):
    """Two compartments of one compound are one unit; the first row decides."""
    gold = _gold(g_c=("g", "glc__D"), g_e=("g", "glc__D"), p_c=("p", "pyr"))
    predictions = _frame(g_c=("glc__D", "accept"), g_e=("pyr", "accept"), p_c=("pyr", "accept"))
    scores = score_predictions(predictions, gold, catalog)
    assert scores["n"] == 2 and scores["correct"] == 2 and scores["precision"] == 1.0


def test_several_gold_ids_count_but_catalogue_equivalents_do_not(catalog):
    """The scorer never trusts the package's own equivalence groups: they are under test."""
    gold = _gold(a=("a", "nothere_x; pyr"), b=("b", "glc__D"))
    predictions = _frame(a=("pyr", "accept"), b=("glc__bD", "accept"))
    scores = score_predictions(predictions, gold, catalog)
    assert scores["correct"] == 1 and scores["recall"] == 0.5


def test_old_bigg_ids_in_the_gold_count():
    small = Catalog(
        [CatalogEntry(id="glc__D", name="D-Glucose", old_ids=("glc_DASH_D",))],
        version="t",
        source="test",
    )
    scores = score_predictions(_frame(a=("glc__D", "accept")), _gold(a=("a", "glc_DASH_D")), small)
    assert scores["correct"] == 1 and scores["gold_in_catalog"] == 1


def test_bigg_old_id_table_pairs_count(catalog, tmp_path):
    """BiGG's own old/new pairs (VMH's retired ``guln`` for ``guln__L``) are the gold id."""
    path = _gold_file(
        tmp_path / "old.tsv",
        [["guln", "guln__L_c", "guln__L"], ["guln_c", "guln__L_c", "guln__L"]],
        ["old_bigg_id", "bigg_id", "universal_bigg_id"],
    )
    old_ids = read_old_ids(path)
    assert old_ids["guln"] == "guln__L"
    gold = _gold(a=("a", "guln"), b=("b", "pyr"))
    predictions = _frame(a=("guln__L", "accept"), b=("pyr", "accept"))
    assert score_predictions(predictions, gold, catalog)["correct"] == 1
    assert score_predictions(predictions, gold, catalog, old_ids=old_ids)["correct"] == 2


def _adjudication(tmp_path, rows):
    columns = ["set", "source_id", "name", "accepted", "accepted_name", "gold", "gold_name"]
    columns += ["verdict", "reason"]
    folder = tmp_path / "adjudicated"
    folder.mkdir()
    _gold_file(folder / "one.tsv", rows, columns)
    return Adjudication.read(folder)


def test_adjudicated_scores_credit_same_pairs_and_gold_wrong_rows_only(catalog, tmp_path):
    adjudication = _adjudication(
        tmp_path,
        [
            ["s", "other", "", "hco3", "", "h2co3", "", "SAME", "one protonation family"],
            ["s", "b_c", "", "lac__L", "", "lac__D", "", "GOLD_WRONG", "model says L"],
            ["s", "c_c", "", "amp", "", "3amp", "", "MATCHER_WRONG", "3'-AMP is not AMP"],
            ["s", "d_c", "", "pyr", "", "lac__L", "", "GOLD_WRONG", "another row"],
        ],
    )
    gold = _gold(
        a_c=("a", "h2co3"),
        b_c=("b", "lac__D"),
        c_c=("c", "3amp"),
        d_c=("d", "glc__D"),
        e_c=("e", "glc__D"),
        f_c=("f", "atp"),
    )
    predictions = _frame(
        a_c=("hco3", "accept"),  # SAME pair, whatever the row
        b_c=("lac__L", "accept"),  # GOLD_WRONG on this very row
        c_c=("amp", "accept"),  # judged wrong
        d_c=("pyr", "accept"),  # a GOLD_WRONG row for another gold: not this one
        e_c=("glc__bD", "accept"),  # catalogue-equivalent, never judged: wrong
        f_c=("atp", "accept"),
    )
    scores = score_predictions(predictions, gold, catalog, adjudication)
    assert scores["correct"] == 1 and scores["precision"] == pytest.approx(1 / 6)
    assert scores["adj_correct"] == 3 and scores["adj_precision"] == pytest.approx(0.5)
    assert scores["adj_recall"] == pytest.approx(0.5) and scores["unadjudicated"] == 2
    listed = disagreements(predictions, gold, catalog, adjudication).set_index("unit")
    assert sorted(listed.index) == ["a", "b", "c", "d", "e"]
    assert listed.loc["a", "verdict"] == "SAME" and listed.loc["b", "verdict"] == "GOLD_WRONG"
    assert listed.loc["c", "verdict"] == "MATCHER_WRONG"
    assert listed.loc["d", "verdict"] == "" and listed.loc["e", "verdict"] == ""


def test_adjudication_without_its_columns_is_refused(tmp_path):
    path = _gold_file(tmp_path / "adj.tsv", [["x", "y"]], ["source_id", "accepted"])
    with pytest.raises(MetalignError, match=r"adj\.tsv.*lacks columns"):
        Adjudication.read(path)


def test_gold_outside_catalogue_and_empty_gold_are_not_counted(catalog):
    gold = _gold(a=("a", "nothere_x"), b=("b", ""), c=("c", "pyr"))
    predictions = _frame(a=("pyr", "accept"), b=("pyr", "accept"), c=("", "none"))
    scores = score_predictions(predictions, gold, catalog)
    assert scores["n"] == 2  # the row without a gold id is unknown, not wrong
    assert scores["gold_in_catalog"] == 1
    assert scores["precision"] == 0.0 and scores["recall"] == 0.0 and scores["f1"] == 0.0


def test_nothing_accepted_has_undefined_precision(catalog):
    scores = score_predictions(_frame(a=("", "none")), _gold(a=("a", "pyr")), catalog)
    assert math.isnan(scores["precision"]) and scores["recall"] == 0.0 and scores["f1"] == 0.0


def test_top_k_from_candidates(catalog):
    gold = _gold(a=("a", "pyr"), b=("b", "atp"), c=("c", "adp"))
    predictions = _frame(
        a=("", "review", "pyr:0.9; lac__L:0.5"),
        b=("", "review", "adp:0.9; amp:0.8; atp:0.7"),
        c=("", "none", ""),
    )
    scores = score_predictions(predictions, gold, catalog)
    assert scores["top1"] == pytest.approx(1 / 3)
    assert scores["top5"] == pytest.approx(2 / 3)


# ------------------------------------------------------------------ gold tables


def test_load_gold_builds_a_model_with_xrefs(tmp_path):
    path = _gold_file(
        tmp_path / "gold.tsv.gz",
        [
            [
                "M_X1c",
                "X1",
                "c",
                "D-Glucose",
                "C6H12O6",
                "0",
                "glc__D",
                "C00031",
                "CHEBI:4167",
                "glc",
            ],
            ["X1e", "X1", "e", "D-Glucose", "C6H12O6", "x", "glc__D", "", "", ""],
            ["X1c", "X1", "c", "repeated row", "", "", "glc__D", "", "", ""],
            ["X2-c", "X2", "", "Pyruvate", "", "-1", "", "", "", ""],
        ],
        GOLD_COLUMNS + ["gold_bigg", "kegg", "chebi", "recon3d"],
    )
    model, gold = load_gold(path)
    assert [m.id for m in model.metabolites] == ["X1c", "X1e", "X2_c"]
    glucose = model.metabolites.get_by_id("X1c")
    assert glucose.name == "D-Glucose" and glucose.formula == "C6H12O6" and glucose.charge == 0
    assert glucose.annotation == {"kegg.compound": ["C00031"], "chebi": ["CHEBI:4167"]}
    assert model.metabolites.get_by_id("X1e").charge is None  # "x" is not a charge
    assert model.metabolites.get_by_id("X2_c").compartment == "c"
    assert list(gold["unit"]) == ["X1", "X1", "X2"]
    assert list(gold["gold_bigg"]) == ["glc__D", "glc__D", ""]
    model_without, gold_without = load_gold(path, use_xrefs=False)
    assert model_without.metabolites.get_by_id("X1c").annotation == {}
    assert gold_without.equals(gold)


def test_load_gold_against_a_model(tmp_path, textbook):
    model_path = tmp_path / "textbook.xml"
    write_sbml_model(textbook, str(model_path))
    path = _gold_file(
        tmp_path / "gold.tsv",
        [["M_glc__D_e", "glc__D"], ["pyr[c]", "pyr"], ["atp_c", "atp"], ["nothere_c", "x"]],
        ["source_id", "gold_bigg"],
    )
    model, gold = load_gold(path, model_path)
    assert len(model.metabolites) == len(textbook.metabolites)
    assert list(gold.index) == ["glc__D_e", "pyr_c", "atp_c"]
    assert list(gold["gold_bigg"]) == ["glc__D", "pyr", "atp"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("source_id\tname\nX\tglucose\n", "lacks columns ['gold_bigg']"),
        (b"\x1f\x8b\x08\x00broken", "not a readable gold TSV"),
    ],
)
def test_bad_gold_names_the_file(tmp_path, content, message):
    path = tmp_path / "bad_gold.tsv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(MetalignError) as error:
        load_gold(path)
    assert message in str(error.value) and str(path) in str(error.value)


# ------------------------------------------------------------------ end to end


@pytest.fixture()
def textbook_gold(tmp_path, textbook):
    """Gold for textbook: every metabolite's BiGG id is its own base id."""
    rows = []
    for met in textbook.metabolites:
        base = met.id.rsplit("_", 1)[0]
        rows.append([met.id, base, met.compartment, met.name, met.formula, met.charge, base])
    return _gold_file(tmp_path / "textbook_gold.tsv", rows, GOLD_COLUMNS + ["gold_bigg"])


def test_run_benchmark_pipeline_beats_baselines(textbook_gold, catalog):
    frame = run_benchmark(textbook_gold, catalog=catalog, ablations=False)
    assert list(frame.index) == ["pipeline", "exact_id", "name_equality", "tfidf_top1"]
    pipeline = frame.loc["pipeline"]
    assert pipeline["n"] == 54  # textbook's 72 metabolites are 54 compounds
    assert pipeline["precision"] == 1.0 and pipeline["recall"] == 1.0
    assert frame.loc["exact_id", "recall"] == 1.0  # ids are BiGG ids already
    assert (frame["f1"] <= pipeline["f1"]).all()
    assert "seconds" in frame and "pipeline" in format_results(frame)


def test_run_benchmark_ablations(textbook_gold, catalog):
    frame = run_benchmark(textbook_gold, catalog=catalog, baselines=False)
    assert list(frame.index) == [
        "pipeline",
        "pipeline-no-id",
        "pipeline-no-xref",
        "pipeline-no-inchikey",
        "pipeline-no-name",
        "pipeline-no-tfidf",
        "pipeline-no-guards",
    ]
    assert frame["precision"].dropna().between(0, 1).all()
    # textbook's ids are BiGG ids: without them, names (and chemistry) still find most
    assert frame.loc["pipeline-no-id", "recall"] < frame.loc["pipeline", "recall"]
    assert frame.loc["pipeline-no-id", "recall"] > 0.5


def test_benchmark_command_writes_json(textbook_gold, tmp_path):
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        main, ["benchmark", str(textbook_gold), "--no-ablations", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "pipeline" in result.output
    payload = json.loads(out.read_text())
    rows = payload["results"]
    assert rows[0]["method"] == "pipeline" and rows[0]["recall"] == 1.0
    assert payload["disagreements"] == []


def test_benchmark_command_adjudicated(textbook_gold, tmp_path):
    """A wrong gold label judged GOLD_WRONG is credited in the adjudicated figures only."""
    table = pd.read_csv(textbook_gold, sep="\t", dtype=str)
    table.loc[table["source_id"] == "pyr_c", "gold_bigg"] = "lac__L"
    table.to_csv(textbook_gold, sep="\t", index=False)
    columns = ["source_id", "accepted", "gold", "verdict"]
    adjudicated = _gold_file(
        tmp_path / "adj.tsv", [["pyr_c", "pyr", "lac__L", "GOLD_WRONG"]], columns
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        main,
        [
            "benchmark",
            str(textbook_gold),
            "--no-ablations",
            "--adjudicated",
            str(adjudicated),
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    pipeline = payload["results"][0]
    assert pipeline["precision"] < 1.0 and pipeline["adj_precision"] == 1.0
    assert payload["disagreements"][0]["accepted"] == "pyr"
    assert payload["disagreements"][0]["verdict"] == "GOLD_WRONG"


def test_benchmark_command_refuses_bad_gold(tmp_path):
    path = tmp_path / "gold.tsv"
    path.write_text("source_id\nX\n")
    result = CliRunner().invoke(main, ["benchmark", str(path), "--json", str(tmp_path / "o.json")])
    assert result.exit_code == 1
    assert str(path) in result.output and "gold_bigg" in result.output
    assert not (tmp_path / "o.json").exists()


def test_encoder_baseline_is_labelled_by_adapter(textbook_gold, tmp_path):
    """The nearest-name baseline of an encoder, with and without a LoRA adapter."""
    from tiny_models import character_vocab, tiny_megatron

    from cobra_metalign.catalog.store import Catalog, CatalogEntry
    from cobra_metalign.matching.encoder import NameEncoder

    small = Catalog(
        [
            CatalogEntry(id="glc__D", name="D-Glucose", formulas=("C6H12O6",)),
            CatalogEntry(id="pyr", name="Pyruvate", formulas=("C3H3O3",), charges=(-1,)),
            CatalogEntry(id="atp", name="ATP C10H12N5O13P3", formulas=("C10H12N5O13P3",)),
        ],
        version="test-1",
        source="unit test",
    )
    folder = tiny_megatron(
        tmp_path / "tiny", character_vocab("abcdefghijklmnopqrstuvwxyz0123456789-,()")
    )
    base = NameEncoder.from_pretrained(folder, autocast=False)
    frame = run_benchmark(textbook_gold, catalog=small, encoder=base, ablations=False)
    assert "encoder_base" in frame.index and "encoder_adapter" not in frame.index
    adapted = NameEncoder.from_pretrained(folder, autocast=False)
    adapted.add_lora(r=2, alpha=4, dropout=0.0)
    frame = run_benchmark(textbook_gold, catalog=small, encoder=adapted, ablations=False)
    assert "encoder_adapter" in frame.index and "encoder_base" not in frame.index
    assert frame.loc["pipeline", "gold_in_catalog"] == 3
