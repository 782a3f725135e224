"""Tests of cobra_metalign.training: pair recipes, family split, losses, training, evaluation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from click.testing import CliRunner
from tiny_models import character_vocab, tiny_megatron

from cobra_metalign.cache import sha256_file
from cobra_metalign.catalog.store import Catalog, CatalogEntry
from cobra_metalign.cli.train import evaluate_adapters, train
from cobra_metalign.errors import MetalignError
from cobra_metalign.matching.encoder import NameEncoder
from cobra_metalign.normalize import normalize_name
from cobra_metalign.training.evaluate import (
    TFIDF,
    EvalSets,
    best_threshold,
    build_eval_sets,
    evaluate,
    format_markdown,
    retrieval_queries,
    roc_auc,
)
from cobra_metalign.training.pairs import (
    DELIMITERS,
    NamePair,
    compound_families,
    compound_names,
    family_split,
    formula_relation,
    make_pairs,
    original_pairs,
    pairs_sha256,
    read_pairs_jsonl,
    split_pieces,
    synonym_pairs,
    write_pairs_jsonl,
)
from cobra_metalign.training.train import (
    CHECKPOINT_DIR,
    METADATA_FILE,
    TrainConfig,
    contrastive_loss,
    epoch_batches,
    in_batch_negatives_loss,
    pair_lengths,
    train_adapter,
    write_metadata,
)

# (id, name, synonyms, formula, inchikey)
COMPOUNDS = [
    ("glc__D", "D-Glucose", ["Dextrose", "Grape sugar", "D-Glc"], "C6H12O6", "WQZGKKKJIJFFOK-GASJEMHNSA-N"),
    ("gal", "D-Galactose", ["Galactose", "D-Gal"], "C6H12O6", "WQZGKKKJIJFFOK-SVZMEOIVSA-N"),
    ("fru", "D-Fructose", ["Levulose", "Fruit sugar"], "C6H12O6", "BJHIKXHVCXFQLS-UYFOZJQFSA-N"),
    ("g6p", "D-Glucose 6-phosphate", ["Glucose-6-phosphate", "Robison ester"], "C6H11O9P", "NBSCHQHZLSJFNQ-GASJEMHNSA-L"),
    ("g1p", "D-Glucose 1-phosphate", ["Cori ester", "Glucose-1-phosphate"], "C6H11O9P", "HXXFSFRBOHSIMQ-VFUOTHLCSA-L"),
    ("fdp", "D-Fructose 1,6-bisphosphate", ["Fructose-1,6-diphosphate", "Harden-Young ester"], "C6H10O12P2", "RNBGYGVWRKECFJ-ARQDHWQXSA-J"),
    ("atp", "ATP", ["Adenosine triphosphate", "Adenosine 5'-triphosphate"], "C10H12N5O13P3", "ZKHQWZAMYRWXGA-KQYNXXCUSA-J"),
    ("adp", "ADP", ["Adenosine diphosphate", "Adenosine 5'-diphosphate"], "C10H12N5O10P2", "XTWYTFMLZFPYCI-KQYNXXCUSA-K"),
    ("amp", "AMP", ["Adenosine monophosphate", "Adenylic acid"], "C10H12N5O7P", "UDMBCSSLTHHNCD-KQYNXXCUSA-L"),
    ("ala__L", "L-Alanine", ["L-Ala", "(S)-2-Aminopropanoic acid"], "C3H7NO2", "QNAYBMKLOCPYGJ-REOHCLBHSA-N"),
    ("ala__D", "D-Alanine", ["D-Ala", "(R)-2-Aminopropanoic acid"], "C3H7NO2", "QNAYBMKLOCPYGJ-UWTATZPHSA-N"),
    ("pyr", "Pyruvate", ["Pyruvic acid", "2-Oxopropanoate"], "C3H3O3", "LCTONWCANYUPML-UHFFFAOYSA-M"),
    ("lac__L", "L-Lactate", ["(S)-Lactate", "L-Lactic acid"], "C3H5O3", "JVTAAEKCZFNVCJ-REOHCLBHSA-M"),
    ("lac__D", "D-Lactate", ["(R)-Lactate", "D-Lactic acid"], "C3H5O3", "JVTAAEKCZFNVCJ-UWTATZPHSA-M"),
    ("hdca", "Hexadecanoate", ["Palmitate", "Palmitic acid", "n-C16:0"], "C16H31O2", "IPCSVZSSVZVIGE-UHFFFAOYSA-M"),
    ("ocdca", "Octadecanoate", ["Stearate", "Stearic acid", "n-C18:0"], "C18H35O2", "QIQXTHQIDYTFRH-UHFFFAOYSA-M"),
    ("ttdca", "Tetradecanoate", ["Myristate", "Myristic acid"], "C14H27O2", "TUNFSRHWOTWDNC-UHFFFAOYSA-M"),
    ("pmtcoa", "Palmitoyl-CoA", ["Hexadecanoyl-CoA", "Palmitoyl coenzyme A (n-C16:0CoA)"], "C37H62N7O17P3S", ""),
    ("stcoa", "Stearoyl-CoA", ["Octadecanoyl-CoA", "Stearoyl coenzyme A"], "C39H66N7O17P3S", ""),
    ("cit", "Citrate", ["Citric acid", "2-Hydroxypropane-1,2,3-tricarboxylate"], "C6H5O7", "KRKNYBCHXYNGOX-UHFFFAOYSA-K"),
    ("icit", "Isocitrate", ["Isocitric acid", "threo-Ds-isocitrate"], "C6H5O7", "ODBLHEXUDAPZAU-UHFFFAOYSA-K"),
    ("h2o", "Water", ["H2O", "Dihydrogen oxide"], "H2O", "XLYOFNOQVPJJNP-UHFFFAOYSA-N"),
    ("co2", "CO2", ["Carbon dioxide", "Carbonic anhydride"], "CO2", "CURLTUGMZLYLDI-UHFFFAOYSA-N"),
    ("nad", "Nicotinamide adenine dinucleotide", ["NAD", "Diphosphopyridine nucleotide"], "C21H26N7O14P2", ""),
    ("nadh", "Nicotinamide adenine dinucleotide - reduced", ["NADH", "Reduced NAD"], "C21H27N7O14P2", ""),
    ("mal__L", "L-Malate", ["(S)-Malate", "L-Malic acid"], "C4H4O5", "BJEPYKJPYRNKOW-REOHCLBHSA-L"),
    ("fum", "Fumarate", ["Fumaric acid", "trans-Butenedioate"], "C4H2O4", "VZCYOOQTPOCHFL-OWOJBTEDSA-L"),
    ("succ", "Succinate", ["Succinic acid", "Butanedioate"], "C4H4O4", "KDYFGRWQOYBRFD-UHFFFAOYSA-L"),
    ("glu__L", "L-Glutamate", ["L-Glutamic acid", "Glu"], "C5H8NO4", "WHUUTDBJXJRKMK-VKHMYHEASA-M"),
    ("gln__L", "L-Glutamine", ["Gln", "L-Glutamic acid 5-amide"], "C5H10N2O3", "ZDXPYRJPNDTMRX-VKHMYHEASA-N"),
    ("ac", "Acetate", ["Acetic acid", "Ethanoate"], "C2H3O2", "QTBSBXVTEAMEQO-UHFFFAOYSA-M"),
    ("etoh", "Ethanol", ["Ethyl alcohol", "Alcohol"], "C2H6O", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"),
    ("accoa", "Acetyl-CoA", ["Acetyl coenzyme A", "Acetyl-S-CoA"], "C23H34N7O17P3S", ""),
    ("ppcoa", "Propanoyl-CoA", ["Propionyl-CoA", "Propionyl coenzyme A"], "C24H36N7O17P3S", ""),
    ("btcoa", "Butanoyl-CoA", ["Butyryl-CoA", "Butyryl coenzyme A"], "C25H38N7O17P3S", ""),
    ("gly", "Glycine", ["Gly", "Aminoacetic acid"], "C2H5NO2", "DHMQDGOQFOQNFH-UHFFFAOYSA-N"),
    ("ser__L", "L-Serine", ["L-Ser", "(S)-2-Amino-3-hydroxypropanoic acid"], "C3H7NO3", "MTCFGRXMJLQNBG-REOHCLBHSA-N"),
    ("ser__D", "D-Serine", ["D-Ser", "(R)-2-Amino-3-hydroxypropanoic acid"], "C3H7NO3", "MTCFGRXMJLQNBG-UWTATZPHSA-N"),
    ("oaa", "Oxaloacetate", ["Oxalacetic acid", "2-Oxobutanedioate"], "C4H2O5", "KHPXUQMNIQBQEV-UHFFFAOYSA-L"),
    ("akg", "2-Oxoglutarate", ["alpha-Ketoglutaric acid", "2-Ketoglutarate"], "C5H4O5", "KPGXRSRHYNQIFN-UHFFFAOYSA-L"),
]  # fmt: skip

#: Characters of the tiny WordPiece vocabulary (names become character tokens).
_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-,()[]:'+/ "


def _catalog(entries=COMPOUNDS) -> Catalog:
    return Catalog(
        [
            CatalogEntry(
                id=bigg_id,
                name=name,
                synonyms=tuple(synonyms),
                formulas=(formula,),
                xrefs={"inchikey": (key,)} if key else {},
            )
            for bigg_id, name, synonyms, formula, key in entries
        ],
        version="test-1",
        source="tests",
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _catalog()


def _tiny_megatron(folder: Path) -> Path:
    """Write a tiny random MegatronBert with a character-level lower-case vocabulary."""
    return tiny_megatron(folder, character_vocab(_CHARS))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return _tiny_megatron(tmp_path_factory.mktemp("tiny") / "tiny-megatron")


def _tiny(tiny_dir: Path) -> NameEncoder:
    return NameEncoder.from_pretrained(tiny_dir, autocast=False)


# ------------------------------------------------------------------ original recipe


def test_original_pairs_are_reproducible_and_balanced(catalog):
    first = original_pairs(catalog, 12, 12, seed=3)
    again = original_pairs(catalog, 12, 12, seed=3)
    other = original_pairs(catalog, 12, 12, seed=4)
    assert first == again
    assert first != other
    assert sum(p.label for p in first) == 12
    assert sum(1 - p.label for p in first) == 12
    assert make_pairs("original", catalog, 24, seed=3) == first
    assert pairs_sha256(first) == pairs_sha256(again) != pairs_sha256(other)


def test_original_positives_only_change_delimiters(catalog):
    for pair in original_pairs(catalog, 20, 0, seed=1):
        assert pair.label == 1 and pair.kind == "delimiters"
        assert split_pieces(pair.name2) == split_pieces(pair.name1)
        rest = pair.name2
        for piece in split_pieces(pair.name1):
            rest = rest.replace(piece, "", 1)
        assert set(rest) <= set(DELIMITERS)


def test_original_negatives_never_drop_the_first_piece(catalog):
    negatives = [p for p in original_pairs(catalog, 0, 20, seed=7) if p.label == 0]
    assert len(negatives) == 20
    for pair in negatives:
        pieces, kept = split_pieces(pair.name1), split_pieces(pair.name2)
        assert len(pieces) >= 2
        assert len(kept) == len(pieces) - 1
        assert kept[0] == pieces[0]
        assert any(pieces[:i] + pieces[i + 1 :] == kept for i in range(1, len(pieces)))


def test_original_pairs_respect_compounds(catalog):
    chosen = {"glc__D", "ala__L", "g6p", "fdp", "pmtcoa", "accoa", "lac__L", "mal__L"}
    pairs = original_pairs(catalog, 3, 3, seed=0, compounds=chosen)
    assert {p.id1 for p in pairs} <= chosen
    assert len(pairs) == 6


def test_split_pieces_matches_the_original_rule():
    assert split_pieces("(R)-3-Hydroxyoctadecanoyl-[acyl-carrier protein]") == [
        "R",
        "3",
        "Hydroxyoctadecanoyl",
        "[acyl",
        "carrier",
        "protein]",
    ]
    assert split_pieces("water") == ["water"]
    assert split_pieces(" - ") == []


# ------------------------------------------------------------------ synonyms recipe


def test_synonym_pairs(catalog):
    pairs = synonym_pairs(catalog, 40, seed=0)
    assert pairs == synonym_pairs(catalog, 40, seed=0)
    positives = [p for p in pairs if p.label == 1]
    negatives = [p for p in pairs if p.label == 0]
    assert len(positives) == len(negatives) == 20
    names = compound_names(catalog)
    for pair in positives:
        assert pair.id1 == pair.id2
        assert pair.name1 in names[pair.id1] and pair.name2 in names[pair.id1]
        assert normalize_name(pair.name1) != normalize_name(pair.name2)
    for pair in negatives:
        assert pair.id1 != pair.id2
        assert pair.name1 in names[pair.id1] and pair.name2 in names[pair.id2]
        own = {normalize_name(n) for n in names[pair.id1]}
        assert normalize_name(pair.name2) not in own
    kinds = {p.kind for p in negatives}
    assert kinds & {"isomer", "carbon", "phosphate"}, kinds


def test_formula_relation():
    assert formula_relation(["C6H12O6"], ["C6H12O6"]) == "isomer"
    assert formula_relation(["C3H5O3"], ["C3H6O3"]) == "isomer"
    assert formula_relation(["C10H12N5O13P3"], ["C10H12N5O10P2"]) == "phosphate"
    assert formula_relation(["C16H31O2"], ["C18H35O2"]) == "carbon"
    assert formula_relation(["C6H12O6"], ["C10H12N5O13P3"]) is None
    assert formula_relation([], ["C6H12O6"]) is None
    assert formula_relation(["C5H8NO4R"], ["C5H8NO4"]) is None


def test_hard_negatives_are_provably_different(catalog):
    # isomers of one family (D-glucose, D-galactose) are negatives: distinct InChIKeys
    pairs = synonym_pairs(catalog, 60, seed=2, max_per_compound=3)
    isomers = [p for p in pairs if p.kind == "isomer"]
    assert isomers
    for pair in isomers:
        keys1 = set(catalog[pair.id1].xrefs.get("inchikey", ()))
        keys2 = set(catalog[pair.id2].xrefs.get("inchikey", ()))
        assert not keys1 & keys2


def test_make_pairs_rejects_unknown_recipe(catalog):
    with pytest.raises(ValueError, match="unknown recipe"):
        make_pairs("magic", catalog)


# ------------------------------------------------------------------ files


def test_pairs_jsonl_round_trip(tmp_path, catalog):
    pairs = original_pairs(catalog, 3, 3, seed=0)
    path = write_pairs_jsonl(pairs, tmp_path / "pairs.jsonl")
    assert read_pairs_jsonl(path) == pairs


def test_read_pairs_jsonl_reports_bad_lines(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"metabolite1": "a", "metabolite2": "b", "label": 1}\n'
        '{"metabolite1": "a", "metabolite2": "b", "label": 2}\n'
    )
    with pytest.raises(MetalignError, match="line 2"):
        read_pairs_jsonl(path)
    path.write_text('{"metabolite1": "a", "label": 1}\n')
    with pytest.raises(MetalignError, match="line 1"):
        read_pairs_jsonl(path)
    path.write_text("\n")
    with pytest.raises(MetalignError, match="no pairs"):
        read_pairs_jsonl(path)
    with pytest.raises(MetalignError, match="cannot read"):
        read_pairs_jsonl(tmp_path / "missing.jsonl")


def test_read_original_metaaligngen_pairs(shared_data):
    pairs = read_pairs_jsonl(shared_data / "seed" / "metaaligngen_training_pairs.jsonl")
    assert len(pairs) == 3000
    assert sum(p.label for p in pairs) == 1500
    assert pairs[0].label == 1 and pairs[-1].label == 0
    # the original negatives drop a piece, never the first
    for pair in pairs[1500:1600]:
        assert split_pieces(pair.name2)[0] == split_pieces(pair.name1)[0]


# ------------------------------------------------------------------ family split


def test_compound_families_group_skeletons_and_names(catalog):
    families = compound_families(catalog)
    assert families["glc__D"] == families["gal"] == "WQZGKKKJIJFFOK"
    assert families["ala__L"] == families["ala__D"]
    assert families["glc__D"] != families["fru"]
    assert families["pmtcoa"].startswith("skel:")
    # a name shared by two compounds joins their families
    shared = _catalog(
        [
            ("x1", "Xylitol", ["Shared name"], "C2H6O", ""),
            ("x2", "Yohimbine", ["shared-name"], "C9H6O", ""),
            ("x3", "Zeatin", [], "C9H6O", ""),
        ]
    )
    families = compound_families(shared)
    assert families["x1"] == families["x2"] != families["x3"]


def test_family_split_has_no_overlap(catalog):
    split = family_split(catalog, test_fraction=0.4, seed=1)
    assert split.train_ids and split.test_ids
    assert not split.train_ids & split.test_ids
    assert split.train_ids | split.test_ids == set(catalog.ids)
    train_families = {split.families[i] for i in split.train_ids}
    test_families = {split.families[i] for i in split.test_ids}
    assert not train_families & test_families
    train_names = {normalize_name(n) for i in split.train_ids for n in catalog[i].names}
    test_names = {normalize_name(n) for i in split.test_ids for n in catalog[i].names}
    assert not train_names & test_names
    assert family_split(catalog, 0.4, seed=1).test_ids == split.test_ids
    with pytest.raises(ValueError):
        family_split(catalog, test_fraction=1.0)


def test_split_pairs_assigns_sides(catalog):
    split = family_split(catalog, test_fraction=0.4, seed=1)
    pairs = original_pairs(catalog, 20, 20, seed=0)
    pairs.append(NamePair("Not a compound", "Not-a-compound", 1))
    file_like = [NamePair(p.name1, p.name2, p.label) for p in pairs]  # ids unknown
    train_pairs, test_pairs, dropped = split.split_pairs(file_like, catalog)
    assert dropped >= 1
    assert len(train_pairs) + len(test_pairs) + dropped == len(pairs)
    for pair in test_pairs:
        ids = catalog.by_name(normalize_name(pair.name1))
        assert ids and all(split.side(i) == "test" for i in ids)
    for pair in train_pairs:
        assert all(split.side(i) == "train" for i in catalog.by_name(normalize_name(pair.name1)))


def test_family_split_reports_gold_overlap(catalog, tmp_path):
    split = family_split(catalog, test_fraction=0.4, seed=1)
    gold = tmp_path / "gold.tsv"
    gold.write_text("source_id\tgold_bigg\nm1\tglc__D\nm2\tatp\nm3\t\nm4\tnot_an_id\nm5\tatp\n")
    split = family_split(catalog, test_fraction=0.4, seed=1, gold_files=[gold])
    row = split.gold_overlap.loc["gold.tsv"]
    assert row["gold_ids"] == 2 and row["unknown"] == 1
    assert row["in_train"] + row["in_test"] == 2
    assert split.summary()["gold_overlap"][0]["gold_file"] == "gold.tsv"
    bad = tmp_path / "bad.tsv"
    bad.write_text("source_id\tname\nm1\tx\n")
    with pytest.raises(MetalignError, match="gold_bigg"):
        family_split(catalog, gold_files=[bad])


# ------------------------------------------------------------------ losses


def test_contrastive_loss_values():
    cosine = torch.tensor([1.0, 0.8, 0.9, 0.2])
    labels = torch.tensor([1, 1, 0, 0])
    # positives: (1-1)^2 = 0, (1-0.8)^2 = 0.04
    # negatives: distance 0.1 -> (0.5-0.1)^2 = 0.16; distance 0.8 > margin -> 0
    expected = (0.0 + 0.04 + 0.16 + 0.0) / 4
    assert contrastive_loss(cosine, labels).item() == pytest.approx(expected, abs=1e-6)
    assert contrastive_loss(cosine, labels, margin=1.0).item() == pytest.approx(
        (0.0 + 0.04 + 0.81 + 0.04) / 4, abs=1e-6
    )


def test_in_batch_negatives_loss_values():
    eye = torch.eye(3)
    labels = torch.tensor([1, 1, 1])
    # each anchor equals its positive (cos 1) and is orthogonal to the others (cos 0)
    expected = -np.log(np.exp(2.0) / (np.exp(2.0) + 2.0))
    assert in_batch_negatives_loss(eye, eye, labels, scale=2.0).item() == pytest.approx(
        expected, rel=1e-5
    )
    # a negative pair is no anchor, but its second name stays a candidate
    labels = torch.tensor([1, 1, 0])
    expected = -np.log(np.exp(2.0) / (np.exp(2.0) + 2.0))
    assert in_batch_negatives_loss(eye, eye, labels, scale=2.0).item() == pytest.approx(
        expected, rel=1e-5
    )
    # a candidate of the anchor's own compound is masked out
    masked = in_batch_negatives_loss(
        eye, eye, torch.tensor([1, 1, 1]), 2.0, ["a", "a", "b"], ["a", "a", "b"]
    )
    expected_masked = (
        2 * -np.log(np.exp(2.0) / (np.exp(2.0) + 1.0)) - np.log(np.exp(2.0) / (np.exp(2.0) + 2.0))
    ) / 3
    assert masked.item() == pytest.approx(expected_masked, rel=1e-5)
    # no positive pair: zero, with a gradient path
    vectors = torch.nn.functional.normalize(torch.randn(2, 3), dim=1).requires_grad_()
    zero = in_batch_negatives_loss(vectors, vectors, torch.tensor([0, 0]))
    assert zero.item() == 0.0
    zero.backward()


def test_train_config_validates():
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(loss="triplet")
    with pytest.raises(ValueError):
        TrainConfig(epochs=0)
    assert TrainConfig().to_dict()["target_modules"] == ["query", "key", "value", "dense"]


# ------------------------------------------------------------------ training


def test_epoch_batches_cover_every_pair_once():
    rng = random.Random(0)
    lengths = [rng.randint(3, 64) for _ in range(203)]
    for grouped in (True, False):
        batches = epoch_batches(lengths, 16, random.Random(1), grouped, chunk_batches=4)
        flat = [i for batch in batches for i in batch]
        assert sorted(flat) == list(range(203))
        assert all(len(batch) <= 16 for batch in batches)
        again = epoch_batches(lengths, 16, random.Random(1), grouped, chunk_batches=4)
        assert batches == again
    grouped = epoch_batches(lengths, 16, random.Random(1), True, chunk_batches=4)
    plain = epoch_batches(lengths, 16, random.Random(1), False)

    def padding(batches):
        return sum(
            max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches
        )

    assert padding(grouped) < padding(plain) / 2


def test_pair_lengths(tiny_dir):
    encoder = _tiny(tiny_dir)
    pairs = [NamePair("atp", "adenosine triphosphate", 1), NamePair("a", "b", 0)]
    assert pair_lengths(encoder, pairs) == [len("adenosinetriphosphate") + 2, 3]


def _mean_loss(encoder: NameEncoder, pairs, config: TrainConfig) -> float:
    encoder.model.eval()
    with torch.no_grad():
        vectors = encoder.embed([p.name1 for p in pairs] + [p.name2 for p in pairs])
    n = len(pairs)
    cosine = (vectors[:n] * vectors[n:]).sum(dim=1)
    labels = torch.tensor([p.label for p in pairs])
    return contrastive_loss(cosine, labels, config.margin).item()


@pytest.fixture(scope="module")
def tiny_pairs(catalog):
    return make_pairs("synonyms", catalog, 32, seed=0)


def test_training_lowers_the_loss_and_writes_safetensors(tiny_dir, tiny_pairs, tmp_path):
    config = TrainConfig(epochs=1, batch_size=8, learning_rate=1e-3, seed=0)
    encoder = _tiny(tiny_dir)
    before = _mean_loss(encoder, tiny_pairs, config)
    result = train_adapter(encoder, tiny_pairs, config, tmp_path / "run")
    assert encoder.has_adapter and not encoder.model.training
    after = _mean_loss(result.encoder, tiny_pairs, config)
    assert after < before
    assert len(result.history) == 1 and result.resumed_from == 0
    assert result.data_sha256 == pairs_sha256(tiny_pairs)

    path = write_metadata(
        tmp_path / "run",
        result,
        tiny_pairs,
        data={"recipe": "synonyms"},
        metrics={"results": {"adapter": {"top1": 0.5}}},
    )
    folder = tmp_path / "run"
    assert (folder / "adapter_config.json").is_file()
    assert (folder / "adapter_model.safetensors").is_file()
    assert not list(folder.glob("*.bin")) and not list(folder.glob("**/*.pt"))
    assert not list((folder / CHECKPOINT_DIR).glob("*.bin"))
    weights = safetensors.torch.load_file(str(folder / "adapter_model.safetensors"))
    assert any("lora_A" in key for key in weights)
    meta = json.loads(path.read_text())
    assert path.name == METADATA_FILE
    assert {"torch", "transformers", "peft", "safetensors", "python"} <= set(meta["versions"])
    assert meta["hyperparameters"]["r"] == 16 and meta["hyperparameters"]["alpha"] == 32
    assert meta["hyperparameters"]["dropout"] == 0.1
    assert meta["hyperparameters"]["learning_rate"] == 1e-3
    assert meta["data"]["sha256"] == pairs_sha256(tiny_pairs)
    assert meta["data"]["pairs"] == 32 and meta["data"]["positives"] == 16
    assert meta["data"]["recipe"] == "synonyms"
    assert meta["base_model"]["sha256"] == encoder.base_sha256
    assert meta["base_model"]["model_type"] == "megatron-bert"
    assert meta["adapter_sha256"] == encoder.adapter_sha256
    assert meta["held_out_metrics"]["results"]["adapter"]["top1"] == 0.5
    assert meta["training"]["history"][0]["epoch"] == 1
    # the saved adapter loads back and reproduces the trained encoder
    loaded = NameEncoder.from_pretrained(tiny_dir, adapter=folder, autocast=False)
    names = ["D-Glucose", "ATP"]
    np.testing.assert_allclose(loaded.encode(names), result.encoder.encode(names), atol=1e-5)


def test_training_resumes_from_checkpoint(tiny_dir, tiny_pairs, tmp_path):
    full = train_adapter(
        _tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=2, batch_size=8), tmp_path / "full"
    )
    first = train_adapter(
        _tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=1, batch_size=8), tmp_path / "split"
    )
    state = json.loads((tmp_path / "split" / CHECKPOINT_DIR / "state.json").read_text())
    assert state["epoch"] == 1
    resumed = train_adapter(
        _tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=2, batch_size=8), tmp_path / "split"
    )
    assert resumed.resumed_from == 1
    assert len(resumed.history) == 2
    assert resumed.history[0] == first.history[0]
    assert resumed.history[1]["loss"] == pytest.approx(full.history[1]["loss"], rel=1e-5)
    names = ["L-Alanine", "Palmitoyl-CoA", "water"]
    np.testing.assert_allclose(resumed.encoder.encode(names), full.encoder.encode(names), atol=1e-5)
    # a finished run resumes with nothing left to do
    again = train_adapter(
        _tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=2, batch_size=8), tmp_path / "split"
    )
    assert again.resumed_from == 2 and len(again.history) == 2


def test_checkpoint_of_another_run_is_refused(tiny_dir, tiny_pairs, tmp_path):
    train_adapter(_tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=1, batch_size=8), tmp_path)
    with pytest.raises(MetalignError, match="different run"):
        train_adapter(
            _tiny(tiny_dir), tiny_pairs[:-2], TrainConfig(epochs=2, batch_size=8), tmp_path
        )
    with pytest.raises(MetalignError, match="different run"):
        train_adapter(
            _tiny(tiny_dir),
            tiny_pairs,
            TrainConfig(epochs=2, batch_size=8, loss="in-batch"),
            tmp_path,
        )
    # a damaged checkpoint file is detected
    (tmp_path / CHECKPOINT_DIR / "optimizer.safetensors").write_bytes(b"garbage")
    with pytest.raises(MetalignError, match="does not match"):
        train_adapter(_tiny(tiny_dir), tiny_pairs, TrainConfig(epochs=2, batch_size=8), tmp_path)


def test_in_batch_training_runs(tiny_dir, tiny_pairs):
    config = TrainConfig(epochs=1, batch_size=8, loss="in-batch", learning_rate=1e-2)
    result = train_adapter(_tiny(tiny_dir), tiny_pairs, config)
    assert np.isfinite(result.history[0]["loss"])


def test_training_refuses_an_adapted_encoder(tiny_dir, tiny_pairs):
    encoder = _tiny(tiny_dir).add_lora()
    with pytest.raises(MetalignError, match="already has an adapter"):
        train_adapter(encoder, tiny_pairs)
    with pytest.raises(MetalignError, match="no training pairs"):
        train_adapter(_tiny(tiny_dir), [])


# ------------------------------------------------------------------ evaluation


def test_best_threshold_and_auc():
    scores = [0.1, 0.4, 0.35, 0.8, 0.9, 0.6]
    labels = [0, 0, 1, 1, 1, 0]
    threshold, accuracy = best_threshold(scores, labels)
    predicted = [int(s >= threshold) for s in scores]
    assert accuracy == pytest.approx(np.mean(np.equal(predicted, labels)))
    assert accuracy == pytest.approx(5 / 6)
    assert 0.6 < threshold < 0.8
    assert best_threshold([0.2, 0.9], [0, 1])[1] == 1.0
    assert roc_auc([0.1, 0.9], [0, 1]) == 1.0
    assert roc_auc([0.5, 0.5], [0, 1]) == 0.5
    assert np.isnan(roc_auc([0.5, 0.6], [1, 1]))
    rng = random.Random(0)
    scores = [rng.random() for _ in range(200)]
    labels = [rng.randint(0, 1) for _ in range(200)]
    threshold, accuracy = best_threshold(scores, labels)
    brute = max(
        np.mean([(s >= t) == bool(y) for s, y in zip(scores, labels)]) for t in [*scores, 2.0]
    )
    assert accuracy == pytest.approx(brute)


def test_retrieval_queries_need_another_name(catalog):
    names = compound_names(catalog)
    queries = retrieval_queries(names, ["glc__D", "h2o", "co2"], max_queries=10)
    assert {c for _, c in queries} == {"glc__D", "h2o", "co2"}
    single = {"x": ("Glucose", "glucose", "GLUCOSE")}
    assert retrieval_queries(single, ["x"]) == []
    assert len(retrieval_queries(names, catalog.ids, max_queries=5)) == 5


def test_evaluate_tfidf_and_encoder(catalog, tiny_dir):
    split = family_split(catalog, test_fraction=0.4, seed=1)
    sets = build_eval_sets(catalog, split, n_threshold=20, n_test=12, seed=0, max_queries=50)
    assert set(sets.pair_sets) == {"original", "synonyms"}
    assert {c for _, c in sets.queries} <= {catalog.canonical(i) for i in split.test_ids}
    frame = evaluate(sets, {"base": _tiny(tiny_dir)})
    assert list(frame.index) == [TFIDF, "base"]
    for column in ("original_accuracy", "synonyms_accuracy", "top1", "top5"):
        assert frame[column].between(0, 1).all(), column
    assert (frame["top5"] >= frame["top1"]).all()
    # delimiter swaps are trivial for character n-grams
    assert frame.loc[TFIDF, "original_auc"] > 0.9
    table = format_markdown(frame)
    assert table.splitlines()[0].startswith("| method | original pair acc.")
    assert "| tfidf |" in table


def test_retrieval_leaves_out_the_query_name():
    names = ["Glucose", "Dextrose", "Glucosamine", "Fructose"]
    ids = ["glc", "glc", "gam", "fru"]
    sets = EvalSets({}, [("Glucose", "glc")], names, ids)
    frame = evaluate(sets, {})
    # the query's own name is hidden: "Glucosamine" wins on n-grams, "Dextrose" is far
    assert frame.loc[TFIDF, "top1"] == 0.0
    assert frame.loc[TFIDF, "top5"] == 1.0


# ------------------------------------------------------------------ command line


def test_train_command(tiny_dir, catalog, tmp_path):
    catalog_path = catalog.save(tmp_path / "catalog.json.gz")
    gold = tmp_path / "gold.tsv"
    gold.write_text("source_id\tgold_bigg\nm1\tglc__D\nm2\tatp\n")
    out = tmp_path / "adapter"
    args = [
        "--base", str(tiny_dir), "--recipe", "synonyms", "--n-pairs", "24", "--epochs", "1",
        "--catalog", str(catalog_path), "--gold", str(gold), "--eval-queries", "10",
        "--test-fraction", "0.4", "-o", str(out),
    ]  # fmt: skip
    result = CliRunner().invoke(train, args)
    assert result.exit_code == 0, result.output
    assert "| tfidf |" in result.output and "| adapter |" in result.output
    meta = json.loads((out / METADATA_FILE).read_text())
    assert set(meta["held_out_metrics"]["results"]) == {"tfidf", "base", "adapter"}
    assert meta["data"]["recipe"] == "synonyms"
    assert meta["data"]["catalog_version"] == "test-1"
    assert meta["data"]["catalog_sha256"] == sha256_file(catalog_path)
    assert meta["data"]["split"]["gold_overlap"][0]["gold_ids"] == 2
    assert (out / "adapter_model.safetensors").is_file()

    pairs_file = write_pairs_jsonl(original_pairs(catalog, 10, 10, seed=5), tmp_path / "p.jsonl")
    bad = CliRunner().invoke(
        train, [*args[:4], "--pairs", str(pairs_file), "-o", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2 and "--recipe original" in bad.output

    table = tmp_path / "table.md"
    result = CliRunner().invoke(
        evaluate_adapters,
        [
            "--base", str(tiny_dir), "--adapter", f"tiny={out}", "--catalog", str(catalog_path),
            "--test-fraction", "0.4", "--eval-queries", "10", "--markdown", str(table),
            "--pairs", str(pairs_file),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| tiny |" in table.read_text()
    assert "pairs_file pair acc." in table.read_text()

    missing = CliRunner().invoke(evaluate_adapters, ["--adapter", "nolabel"])
    assert missing.exit_code == 2


def test_train_command_reports_bad_pairs_file(tiny_dir, catalog, tmp_path):
    catalog_path = catalog.save(tmp_path / "catalog.json.gz")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    result = CliRunner().invoke(
        train,
        ["--base", str(tiny_dir), "--pairs", str(bad), "--catalog", str(catalog_path), "-o", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "line 1" in result.output


# ------------------------------------------------------------------ real MiniLM (slow)


@pytest.mark.slow
def test_minilm_short_training_run(tmp_path):
    from cobra_metalign.catalog.store import load_catalog

    real = load_catalog()
    split = family_split(real, 0.2, seed=0)
    pairs = make_pairs("synonyms", real, 64, seed=0, compounds=split.train_ids)
    base = NameEncoder.minilm()
    before = base.encode(["D-Glucose"])
    result = train_adapter(NameEncoder.minilm(), pairs, TrainConfig(epochs=1), tmp_path)
    write_metadata(tmp_path, result, pairs)
    adapted = NameEncoder.minilm(adapter=tmp_path)
    after = adapted.encode(["D-Glucose"])
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, result.encoder.encode(["D-Glucose"]), atol=1e-4)
