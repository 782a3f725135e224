"""Tests of the near-miss recipe: cobra_metalign.training.pairs.near_miss_pairs, anchor
batches in cobra_metalign.training.train, and `metalign train --recipe near-miss`."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from tiny_models import character_vocab, tiny_megatron

from cobra_metalign.catalog.store import Catalog, CatalogEntry
from cobra_metalign.cli.train import evaluate_adapters, train
from cobra_metalign.training import decision as decision_module
from cobra_metalign.training.decision import GoldSet, build_dataset
from cobra_metalign.training.evaluate import TFIDF, EvalSets, anchor_wins, evaluate, format_markdown
from cobra_metalign.training.pairs import (
    NEAR_MISS_KINDS,
    NamePair,
    compound_families,
    family_split,
    near_miss_frame,
    near_miss_kind,
    near_miss_pairs,
)
from cobra_metalign.training.train import METADATA_FILE, TrainConfig, epoch_batches

# (id, name, synonyms, formula, inchikey, equivalents)
COMPOUNDS = [
    ("glc__D", "D-Glucose", ["Dextrose"], "C6H12O6", "WQZGKKKJIJFFOK-GASJEMHNSA-N", []),
    ("glc_dup", "D-Glucopyranose", ["Grape sugar"], "C6H12O6", "", ["glc__D"]),
    ("glc_alt", "D-Glucose anhydrous", ["Anhydrous D-glucose"], "C6H12O6", "", []),
    ("gal", "D-Galactose", ["Galactose"], "C6H12O6", "WQZGKKKJIJFFOK-SVZMEOIVSA-N", []),
    ("glc_a", "alpha-D-Glucose", ["alpha-D-Glucopyranose"], "C6H12O6", "", []),
    ("glc_b", "beta-D-Glucose", ["beta-D-Glucopyranose"], "C6H12O6", "", []),
    ("ala__L", "L-Alanine", ["L-Ala"], "C3H7NO2", "QNAYBMKLOCPYGJ-REOHCLBHSA-N", []),
    ("ala__D", "D-Alanine", ["D-Ala"], "C3H7NO2", "QNAYBMKLOCPYGJ-UWTATZPHSA-N", []),
    ("g6p", "D-Glucose 6-phosphate", ["Robison ester"], "C6H11O9P", "", []),
    ("g1p", "D-Glucose 1-phosphate", ["Cori ester"], "C6H11O9P", "", []),
    ("hdca", "Hexadecanoate", ["Palmitate"], "C16H31O2", "IPCSVZSSVZVIGE-UHFFFAOYSA-M", []),
    ("ocdca", "Octadecanoate", ["Stearate"], "C18H35O2", "QIQXTHQIDYTFRH-UHFFFAOYSA-M", []),
    ("fum", "Fumarate", ["trans-Butenedioate"], "C4H2O4", "VZCYOOQTPOCHFL-OWOJBTEDSA-L", []),
    ("male", "Maleate", ["cis-Butenedioate"], "C4H2O4", "VZCYOOQTPOCHFL-UPHRSURJSA-L", []),
    ("atp", "ATP", ["Adenosine triphosphate"], "C10H12N5O13P3", "", []),
    ("adp", "ADP", ["Adenosine diphosphate"], "C10H12N5O10P2", "", []),
    ("pyr", "Pyruvate", ["Pyruvic acid"], "C3H3O3", "LCTONWCANYUPML-UHFFFAOYSA-M", []),
    ("lac__L", "L-Lactate", ["L-Lactic acid"], "C3H5O3", "JVTAAEKCZFNVCJ-REOHCLBHSA-M", []),
    ("cit", "Citrate", ["Citric acid"], "C6H5O7", "KRKNYBCHXYNGOX-UHFFFAOYSA-K", []),
    ("icit", "Isocitrate", ["Isocitric acid"], "C6H5O7", "ODBLHEXUDAPZAU-UHFFFAOYSA-K", []),
]

_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-,()[]:'+/ "


def _catalog() -> Catalog:
    return Catalog(
        [
            CatalogEntry(
                id=bigg_id,
                name=name,
                synonyms=tuple(synonyms),
                formulas=(formula,),
                xrefs={"inchikey": (key,)} if key else {},
                equivalents=tuple(equivalents),
            )
            for bigg_id, name, synonyms, formula, key, equivalents in COMPOUNDS
        ],
        version="test-nearmiss",
        source="tests",
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _catalog()


@pytest.fixture(scope="module")
def families(catalog) -> dict[str, str]:
    return compound_families(catalog)


# (unit, model name, candidate, rank, rule score, correct)
_ROWS = [
    ("s:m1", "D-glucose", "glc__D", 0, 0.90, True),
    ("s:m1", "D-glucose", "glc_dup", 1, 0.88, False),  # a BiGG duplicate: one compound
    ("s:m1", "D-glucose", "glc_alt", 2, 0.85, False),  # nothing proves it different
    ("s:m1", "D-glucose", "gal", 3, 0.80, False),  # distinct InChIKeys: an isomer
    ("s:m2", "alpha-D-glucose", "glc_a", 1, 0.70, True),
    ("s:m2", "alpha-D-glucose", "glc_b", 0, 0.75, False),  # ranked above: anomer
    ("s:m3", "L-alanine", "ala__L", 0, 0.90, True),
    ("s:m3", "L-alanine", "ala__D", 1, 0.70, False),  # stereo
    ("s:m4", "glucose-6-phosphate", "g6p", 0, 0.90, True),
    ("s:m4", "glucose-6-phosphate", "g1p", 1, 0.80, False),  # positional
    ("s:m5", "palmitic acid", "hdca", 0, 0.90, True),
    ("s:m5", "palmitic acid", "ocdca", 1, 0.85, False),  # chain length
    ("s:m6", "trans-butenedioic acid", "fum", 0, 0.90, True),
    ("s:m6", "trans-butenedioic acid", "male", 1, 0.88, False),  # cis/trans
    ("s:m7", "adenosine 5'-triphosphate", "atp", 0, 0.90, True),
    ("s:m7", "adenosine 5'-triphosphate", "adp", 1, 0.80, False),  # phosphate
    ("s:m8", "pyruvic acid", "pyr", 0, 0.95, True),
    ("s:m8", "pyruvic acid", "lac__L", 1, 0.10, False),  # far below: not a near miss
    ("s:m9", "unknown thing", "cit", 0, 0.40, False),  # no correct candidate
]


def _frame(families: dict[str, str], rows=_ROWS) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["unit", "metabolite_name", "bigg_id", "rank", "rule_score", "label"]
    )
    gold = frame[frame["label"]].groupby("unit")["bigg_id"].first()
    frame["family"] = [families.get(gold.get(u, ""), f"name:{u}") for u in frame["unit"]]
    return frame


def _negatives(pairs: list[NamePair]) -> dict[tuple[str, str], str]:
    return {(p.id1, p.id2): p.kind for p in pairs if p.label == 0}


def test_near_miss_pairs_tag_each_negative_kind(catalog, families):
    pairs = near_miss_pairs(_frame(families), catalog, (), families=families)
    negatives = _negatives(pairs)
    assert negatives == {
        ("glc__D", "gal"): "isomer",
        ("glc_a", "glc_b"): "anomer",
        ("ala__L", "ala__D"): "stereo",
        ("g6p", "g1p"): "positional",
        ("hdca", "ocdca"): "chain-length",
        ("fum", "male"): "cis-trans",
        ("atp", "adp"): "phosphate",
    }
    assert set(negatives.values()) <= set(NEAR_MISS_KINDS)
    positives = [p for p in pairs if p.label == 1]
    # one positive per metabolite with a correct candidate, the model name as anchor
    assert {(p.name1, p.id1) for p in positives} == {
        ("D-glucose", "glc__D"),
        ("alpha-D-glucose", "glc_a"),
        ("L-alanine", "ala__L"),
        ("glucose-6-phosphate", "g6p"),
        ("palmitic acid", "hdca"),
        ("trans-butenedioic acid", "fum"),
        ("adenosine 5'-triphosphate", "atp"),
        ("pyruvic acid", "pyr"),
    }
    # the positive is a name of the compound that differs from the model's name
    glucose = next(p for p in positives if p.id1 == "glc__D")
    assert glucose.name2 in catalog["glc__D"].names + catalog["glc_dup"].names
    assert glucose.name2.lower() != "d-glucose"
    # every negative is anchored on the model name and comes after its positive
    for index, pair in enumerate(pairs):
        if pair.label == 0:
            assert any(p.label == 1 and p.name1 == pair.name1 for p in pairs[:index])


def test_negatives_never_come_from_catalogue_equivalents(catalog, families):
    pairs = near_miss_pairs(_frame(families), catalog, (), families=families)
    for pair in pairs:
        if pair.label == 0:
            assert catalog.canonical(pair.id1) != catalog.canonical(pair.id2)
            assert pair.id2 not in ("glc_dup", "glc__D")
    # an unproven look-alike (same atoms, no InChIKey, no clash) is no negative either
    assert not any(p.id2 == "glc_alt" for p in pairs)
    # a candidate the frame wrongly calls wrong, equivalent to the gold: still no negative
    rows = [
        ("s:x", "glucose", "glc__D", 1, 0.8, True),
        ("s:x", "glucose", "glc_dup", 0, 0.9, False),
    ]
    assert not _negatives(near_miss_pairs(_frame(families, rows), catalog, (), families=families))


def test_far_candidates_and_unmatched_metabolites_give_nothing(catalog, families):
    pairs = near_miss_pairs(_frame(families), catalog, (), families=families)
    assert not any(p.id2 == "lac__L" for p in pairs)
    assert not any(p.name1 == "unknown thing" for p in pairs)
    wide = near_miss_pairs(_frame(families), catalog, (), families=families, score_gap=0.9)
    assert ("pyr", "lac__L") in _negatives(wide)


def test_held_out_families_never_contribute(catalog, families):
    frame = _frame(families)
    held_out = {families["ala__L"], families["ocdca"]}
    assert families["ala__L"] == families["ala__D"]  # one InChIKey skeleton, one family
    pairs = near_miss_pairs(frame, catalog, held_out, families=families)
    held_ids = {i for i, f in families.items() if f in held_out}
    for pair in pairs:
        assert pair.id1 not in held_ids and pair.id2 not in held_ids
        assert not {pair.name1, pair.name2} & {"L-alanine", "D-Alanine", "Octadecanoate"}
    # the metabolite whose gold is held out is gone; the one whose look-alike is held out stays
    assert not any(p.name1 == "L-alanine" for p in pairs)
    assert [p.label for p in pairs if p.name1 == "palmitic acid"] == [1]
    # with a real split, nothing of a held-out family appears
    split = family_split(catalog, 0.5, seed=3)
    assert split.test_families
    pairs = near_miss_pairs(frame, catalog, split.test_families, families=split.families)
    for pair in pairs:
        assert split.side(pair.id1) == "train" and split.side(pair.id2) == "train"


def test_max_pairs_keeps_hard_metabolites_whole(catalog, families):
    pairs = near_miss_pairs(_frame(families), catalog, (), families=families, max_pairs=4, seed=1)
    by_anchor: dict[str, list[NamePair]] = {}
    for pair in pairs:
        by_anchor.setdefault(pair.name1, []).append(pair)
    # whole metabolites (positive and negatives), those with negatives first
    assert len(pairs) == 4 and len(by_anchor) == 2
    for members in by_anchor.values():
        assert [p.label for p in members] == [1, 0]
    again = near_miss_pairs(_frame(families), catalog, (), families=families, max_pairs=4, seed=1)
    assert pairs == again
    # a metabolite with no negative fills the room a whole hard one cannot
    five = near_miss_pairs(_frame(families), catalog, (), families=families, max_pairs=5, seed=1)
    assert len(five) == 5 and sum(p.label for p in five) == 3


def test_near_miss_pairs_refuse_bad_frames(catalog, families):
    with pytest.raises(ValueError, match="rule_score"):
        near_miss_pairs(_frame(families).drop(columns="rule_score"), catalog, ())
    with pytest.raises(ValueError, match="max_negatives"):
        near_miss_pairs(_frame(families), catalog, (), max_negatives=-1)
    assert near_miss_pairs(_frame(families).iloc[0:0], catalog, ()) == []


def test_near_miss_kind():
    assert near_miss_kind("alpha-D-glucose", "beta-D-glucose") == "anomer"
    assert near_miss_kind("(9Z)-octadecenoate", "(9E)-octadecenoate") == "cis-trans"
    assert near_miss_kind("(3R)-phytanic acid", "(3S)-phytanic acid") == "stereo"
    assert near_miss_kind("1-acyl-glycerophosphocholine", "2-acyl-glycerophosphocholine") == (
        "positional"
    )
    assert near_miss_kind("palmitoyl-CoA", "stearoyl-CoA") == "chain-length"
    assert near_miss_kind("malate", "D-malate") == "generic"
    assert near_miss_kind("AMP", "3'-AMP", "isomer") == "isomer"
    assert near_miss_kind("acetyl-CoA", "acetyl-ACP") == "other"


def test_near_miss_frame_uses_the_clean_name():
    class Loaded:
        candidates = pd.DataFrame({"metabolite_id": ["a_c", "b_c"], "bigg_id": ["x", "y"]})
        table = pd.DataFrame(
            {"name": ["ATP [c]", "Water"], "clean_name": ["ATP", ""]}, index=["a_c", "b_c"]
        )

    frame = near_miss_frame([Loaded()])
    assert frame["metabolite_name"].tolist() == ["ATP", "Water"]
    assert near_miss_frame([]).empty


# ------------------------------------------------------------------ anchor batches


def test_anchor_batches_keep_groups_together():
    groups = [f"a{i // 3}" for i in range(30)] + [f"b{i}" for i in range(10)]
    lengths = [random.Random(i).randint(3, 40) for i in range(len(groups))]
    for by_length in (True, False):
        batches = epoch_batches(lengths, 8, random.Random(0), by_length, groups=groups)
        assert sorted(i for b in batches for i in b) == list(range(len(groups)))
        assert all(len(b) <= 8 for b in batches)
        where = {i: n for n, b in enumerate(batches) for i in b}
        for key in set(groups):
            members = [i for i, g in enumerate(groups) if g == key]
            assert len({where[i] for i in members}) == 1
    # a group larger than a batch is a batch of its own
    big = epoch_batches([1] * 5, 2, random.Random(0), True, groups=["g"] * 5)
    assert big == [[0, 1, 2, 3, 4]] or sorted(big[0]) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="group keys"):
        epoch_batches([1, 2], 2, random.Random(0), groups=["a"])


def test_anchor_batches_change_the_run_identity_only_when_on():
    assert "anchor_batches" not in TrainConfig().to_dict()
    assert TrainConfig(anchor_batches=True).to_dict()["anchor_batches"] is True


# ------------------------------------------------------------------ command line


#: (source id, name, formula, charge, gold) of a tiny gold set
_GOLD = [
    ("m1", "D-glucose", "C6H12O6", "0", "glc__D"),
    ("m2", "L-alanine", "C3H7NO2", "0", "ala__L"),
    ("m3", "glucose 6-phosphate", "C6H11O9P", "-2", "g6p"),
    ("m4", "palmitic acid", "C16H31O2", "-1", "hdca"),
    ("m5", "trans-butenedioate", "C4H2O4", "-2", "fum"),
    ("m6", "ATP", "C10H12N5O13P3", "-4", "atp"),
    ("m7", "citric acid", "C6H5O7", "-3", "cit"),
    ("m8", "pyruvic acid", "C3H3O3", "-1", "pyr"),
]


@pytest.fixture(scope="module")
def gold_folder(tmp_path_factory) -> tuple[Path, tuple[GoldSet, ...]]:
    folder = tmp_path_factory.mktemp("gold")
    frame = pd.DataFrame(_GOLD, columns=["source_id", "name", "formula", "charge", "gold_bigg"])
    frame["compartment"] = "c"
    (folder / "benchmarks").mkdir()
    frame.to_csv(folder / "benchmarks" / "tiny.tsv", sep="\t", index=False)
    return folder, (GoldSet("tiny", "T", "benchmarks/tiny.tsv", use_xrefs=False),)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return tiny_megatron(tmp_path_factory.mktemp("tiny") / "tiny-megatron", character_vocab(_CHARS))


def test_train_near_miss_refuses_bad_input(tiny_dir, catalog, tmp_path, gold_folder):
    catalog_path = catalog.save(tmp_path / "catalog.json.gz")
    out = tmp_path / "out"
    base = ["--base", str(tiny_dir), "--catalog", str(catalog_path), "-o", str(out)]
    runner = CliRunner()
    result = runner.invoke(train, [*base, "--recipe", "near-miss"])
    assert result.exit_code == 2 and "--data" in result.output and "Traceback" not in result.output
    result = runner.invoke(train, [*base, "--recipe", "synonyms", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "near-miss" in result.output
    # a folder without the open gold sets: one clear error naming what is missing
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(train, [*base, "--recipe", "near-miss", "--data", str(empty)])
    assert result.exit_code == 1 and "humangem" in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = runner.invoke(train, [*base, "--recipe", "near-miss", "--data", str(tmp_path / "x")])
    assert result.exit_code == 2


def test_train_near_miss_command(tiny_dir, catalog, tmp_path, gold_folder, monkeypatch):
    folder, sets = gold_folder

    def tiny_dataset(data_dir, catalog, *, encoder=None, sets_=sets):
        return build_dataset(data_dir, catalog, encoder=encoder, sets=sets_)

    # the real gold sets are five fixed files; the tiny folder holds one set
    monkeypatch.setattr(decision_module, "build_dataset", tiny_dataset)
    catalog_path = catalog.save(tmp_path / "catalog.json.gz")
    out = tmp_path / "adapter"
    args = [
        "--base", str(tiny_dir), "--recipe", "near-miss", "--data", str(folder),
        "--catalog", str(catalog_path), "--n-pairs", "12", "--epochs", "1", "--loss", "in-batch",
        "--test-fraction", "0.3", "--seed", "1", "--eval-queries", "5", "-o", str(out),
    ]  # fmt: skip
    result = CliRunner().invoke(train, args)
    assert result.exit_code == 0, result.output
    assert "near-miss pairs:" in result.output
    meta = json.loads((out / METADATA_FILE).read_text())
    split = family_split(catalog, 0.3, seed=1)
    assert meta["data"]["recipe"] == "near-miss"
    assert meta["data"]["held_out_families"] == sorted(split.test_families)
    assert meta["data"]["near_miss"]["gold_sets"] == ["tiny"]
    assert meta["data"]["near_miss"]["positives"] >= 1
    assert meta["hyperparameters"]["anchor_batches"] is True
    # the held-out evaluation after training scores the held-out near misses too
    assert "near_miss" in meta["held_out_metrics"]["sets"]["pair_sets"]
    # evaluating on another split: the held-out families it trained on are counted
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    # on the command's own logger: other CLI tests may stop propagation to the root
    logger = logging.getLogger("cobra_metalign.cli.train")
    logger.addHandler(handler)
    try:
        result = CliRunner().invoke(
            evaluate_adapters,
            [
                "--base", str(tiny_dir), "--adapter", f"nm={out}", "--catalog", str(catalog_path),
                "--test-fraction", "0.3", "--seed", "2", "--eval-queries", "5",
                "--data", str(folder), "--json", str(tmp_path / "eval.json"),
            ],
        )  # fmt: skip
    finally:
        logger.removeHandler(handler)
    assert result.exit_code == 0, result.output
    other = family_split(catalog, 0.3, seed=2)
    leaked = len(other.test_families - split.test_families)
    assert leaked  # the two seeds hold out different families
    text = "\n".join(r.getMessage() for r in records)
    assert f"{leaked} of the {len(other.test_families)} held-out families" in text
    # the matcher's near misses of the held-out families are scored as a pair set
    assert "near_miss pair acc." in result.output
    record = json.loads((tmp_path / "eval.json").read_text())
    assert record["held_out_families_seen_in_training"] == {"nm": leaked}
    assert "near_miss" in record["sets"]["pair_sets"]
    assert all("near_miss_anchor_wins" in row for row in record["results"].values())


def test_anchor_wins_compares_each_negative_with_its_own_positive():
    pairs = [
        NamePair("a", "a1", 1),
        NamePair("a", "a2", 0),
        NamePair("a", "a3", 0),
        NamePair("b", "b1", 1),
        NamePair("b", "b2", 0),
        NamePair("c", "c2", 0),  # no positive for this anchor: left out
    ]
    scores = [0.9, 0.5, 0.95, 0.4, 0.4, 0.99]
    # a2 loses to a1 (win), a3 beats it (loss), b2 ties b1 (half)
    assert anchor_wins(pairs, scores) == pytest.approx(0.5)
    assert anchor_wins(pairs[:1], scores[:1]) != anchor_wins(pairs[:1], scores[:1])  # NaN


def test_anchor_wins_are_reported_for_anchored_sets():
    anchored = [
        NamePair("L-alanine", "L-Ala", 1),
        NamePair("L-alanine", "D-alanine", 0),
        NamePair("palmitate", "hexadecanoate", 1),
        NamePair("palmitate", "stearate", 0),
    ]
    names = ["L-Ala", "D-alanine", "hexadecanoate", "stearate"]
    sets = EvalSets(
        {"near_miss": (anchored, anchored)}, [("L-Ala", "a")], names, ["a", "b", "c", "d"]
    )
    frame = evaluate(sets, {})
    assert 0 <= frame.loc[TFIDF, "near_miss_anchor_wins"] <= 1
    assert "near_miss anchor wins" in format_markdown(frame)
    plain = EvalSets(
        {"x": (anchored[:1], anchored[:1])}, [("L-Ala", "a")], names, ["a", "b", "c", "d"]
    )
    assert "anchor wins" not in format_markdown(evaluate(plain, {}))
