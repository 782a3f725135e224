"""Tests of cobra_metalign.matching.encoder: loading rules, LoRA, encoding and the embedding index."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import peft
import pytest
import torch
import transformers
from tiny_models import tiny_megatron

from cobra_metalign.cache import cache_dir, sha256_file
from cobra_metalign.errors import EncoderError
from cobra_metalign.matching.encoder import (
    MINILM_SHA256,
    EmbeddingIndex,
    NameEncoder,
    _minilm_dir,
    lora_model,
)

VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "d", "l", "a", "b", "c", "e", "1", "2", "3", "6", "-", ",", "(", ")",
    "glu", "##cose", "fruct", "##ose", "phosph", "##ate", "atp", "adp", "amp",
    "pyr", "##uvate", "acet", "##yl", "coa", "nad", "##h", "##p", "ala", "##nine",
    "citr", "##ic", "acid", "water", "oxygen", "carbon", "di", "##oxide", "bis",
    "alpha", "beta", "glycer", "##ol", "lact", "succin", "malate", "fumarate",
    "ser", "##ine", "##s",
]  # fmt: skip

NAMES = [
    "D-glucose",
    "ATP",
    "fructose 1,6-bisphosphate",
    "acetyl-CoA",
    "L-alanine",
    "water",
    "carbon dioxide",
    "NADH",
    "alpha-D-glucose 6-phosphate",
    "pyruvate",
]


def _tiny_megatron(folder: Path, do_lower_case: bool = True) -> Path:
    """Write a tiny random MegatronBert with a lower-case WordPiece vocabulary."""
    return tiny_megatron(folder, VOCAB, do_lower_case=do_lower_case)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return _tiny_megatron(tmp_path_factory.mktemp("tiny") / "tiny-megatron")


@pytest.fixture()
def tiny(tiny_dir) -> NameEncoder:
    return NameEncoder.from_pretrained(tiny_dir)


@pytest.fixture(scope="session")
def minilm() -> NameEncoder:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        return NameEncoder.minilm()


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ----------------------------------------------------------------- tiny MegatronBert


def test_tiny_megatron_loads_and_pools(tiny):
    assert isinstance(tiny.model, transformers.MegatronBertModel)
    assert tiny.dim == 32
    assert not tiny.has_adapter
    vectors = tiny.encode(NAMES)
    assert vectors.shape == (len(NAMES), 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    raw = tiny.encode(NAMES, normalize=False)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0)
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), vectors, atol=1e-6)
    assert tiny.encode([]).shape == (0, 32)
    assert tiny.fingerprint.startswith(
        f"base=sha256:{sha256_file(Path(tiny._model_folder) / 'model.safetensors')}"
    )


def test_megatron_is_lower_cased(tiny, tiny_dir, tmp_path):
    ids = tiny.tokenizer("GLUCOSE")["input_ids"]
    assert ids == tiny.tokenizer("glucose")["input_ids"]
    assert tiny.tokenizer.unk_token_id not in ids
    np.testing.assert_array_equal(tiny.encode(["D-GLUCOSE"]), tiny.encode(["d-glucose"]))
    # a MegatronBert whose tokenizer config says "cased" is still lower-cased (BioMegatron)
    cased = _tiny_megatron(tmp_path / "megatron", do_lower_case=False)
    assert NameEncoder.from_pretrained(cased).tokenizer("GLUCOSE")["input_ids"] == ids
    named_cased = _tiny_megatron(tmp_path / "megatron-cased", do_lower_case=False)
    named = NameEncoder.from_pretrained(named_cased)  # "cased" in the name: tokenizer's own setting
    assert named.tokenizer.unk_token_id in named.tokenizer("GLUCOSE")["input_ids"]
    forced = NameEncoder.from_pretrained(cased, do_lower_case=False)
    assert forced.tokenizer.unk_token_id in forced.tokenizer("GLUCOSE")["input_ids"]


def test_encode_is_deterministic_with_dropout_off(tiny):
    tiny.model.train()
    with torch.no_grad():  # dropout really is active in train mode
        assert not torch.equal(tiny.embed(NAMES), tiny.embed(NAMES))
    first = tiny.encode(NAMES)
    second = tiny.encode(NAMES)
    np.testing.assert_array_equal(first, second)
    assert tiny.model.training  # the caller's mode is restored


def test_encode_keeps_input_order(tiny):
    batched = tiny.encode(NAMES, batch_size=3)
    single = np.vstack([tiny.encode([name]) for name in NAMES])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    reordered = tiny.encode(NAMES[::-1], batch_size=4)
    np.testing.assert_allclose(reordered, batched[::-1], atol=1e-5)


def test_encode_rejects_bad_input(tiny):
    with pytest.raises(TypeError):
        tiny.encode(["water", None])
    with pytest.raises(ValueError):
        tiny.encode(["water"], batch_size=0)


def test_encode_autocast_close_to_fp32(tiny):
    fp32 = tiny.encode(NAMES, autocast=False)
    bf16 = tiny.encode(NAMES, autocast=True)
    assert bf16.dtype == np.float32
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.98


def test_progress_bar(tiny, capsys, caplog):
    tiny.encode(NAMES, show_progress_bar=False)
    assert "Encoding names" not in capsys.readouterr().err
    tiny.encode(NAMES, show_progress_bar=True)
    assert "Encoding names" in capsys.readouterr().err
    caplog.set_level(logging.INFO, logger="cobra_metalign.matching.encoder")
    tiny.encode(NAMES)
    assert "Encoding names" in capsys.readouterr().err


def test_lora_targets_and_trainable_params(tiny):
    before = tiny.encode(NAMES)
    wrapped = lora_model(tiny.model)
    assert isinstance(wrapped, peft.PeftModel)
    from peft.tuners.lora import LoraLayer

    adapted = {name for name, module in wrapped.named_modules() if isinstance(module, LoraLayer)}
    for layer in range(2):
        prefix = f"base_model.model.encoder.layer.{layer}"
        for suffix in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        ):
            assert f"{prefix}.{suffix}" in adapted
    assert len(adapted) == 12
    trainable = [name for name, p in wrapped.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    assert all(not p.requires_grad for n, p in wrapped.named_parameters() if "lora_" not in n)
    config = wrapped.peft_config["default"]
    assert (config.r, config.lora_alpha, config.lora_dropout) == (16, 32, 0.1)
    tiny.model = wrapped
    assert tiny.has_adapter and tiny.adapter_sha256 is not None
    np.testing.assert_allclose(tiny.encode(NAMES), before, atol=1e-6)  # B starts at zero
    with pytest.raises(EncoderError):
        lora_model(wrapped)


def test_adapter_round_trip(tiny, tiny_dir, tmp_path, caplog):
    base = tiny.encode(NAMES)
    base_fingerprint = tiny.fingerprint
    with pytest.raises(EncoderError, match="no LoRA"):
        tiny.save_adapter(tmp_path / "none")
    tiny.add_lora(r=4, alpha=8)
    torch.manual_seed(1)
    for name, param in tiny.model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)
    trained = tiny.encode(NAMES)
    assert not np.allclose(trained, base, atol=1e-3)
    assert tiny.fingerprint != base_fingerprint
    folder = tiny.save_adapter(tmp_path / "adapter", metadata={"pairs_sha256": "abc"})
    assert (folder / "adapter_config.json").is_file()
    assert (folder / "adapter_model.safetensors").is_file()
    assert not list(folder.glob("*.bin"))
    record = json.loads((folder / "metalign_adapter.json").read_text())
    assert record["metadata"] == {"pairs_sha256": "abc"}
    assert {"torch", "transformers", "peft", "cobra_metalign"} <= set(record["versions"])

    loaded = NameEncoder.from_pretrained(tiny_dir, adapter=folder)
    assert loaded.has_adapter
    assert not any(p.requires_grad for p in loaded.model.parameters())
    np.testing.assert_array_equal(loaded.encode(NAMES), trained)
    assert loaded.fingerprint == tiny.fingerprint

    # an adapter recorded for other base weights loads with a warning
    caplog.set_level(logging.WARNING, logger="cobra_metalign.matching.encoder")
    assert not caplog.records
    weights_sha = sha256_file(tiny_dir / "model.safetensors")
    NameEncoder.from_pretrained(tiny_dir, adapter=folder, expected_sha256=weights_sha)
    assert not caplog.records
    record["base_sha256"] = "f" * 64
    (folder / "metalign_adapter.json").write_text(json.dumps(record))
    NameEncoder.from_pretrained(tiny_dir, adapter=folder, expected_sha256=weights_sha)
    assert any("trained on base weights" in r.getMessage() for r in caplog.records)


def test_pickle_only_model_is_refused(tiny_dir, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    shutil.copy(tiny_dir / "config.json", folder / "config.json")
    (folder / "pytorch_model.bin").write_bytes(b"never unpickled")
    with pytest.raises(EncoderError, match="pickle"):
        NameEncoder.from_pretrained(folder)


def test_pickle_adapter_is_refused(tiny_dir, tmp_path):
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 4}))
    (folder / "adapter_model.bin").write_bytes(b"never unpickled")
    with pytest.raises(EncoderError, match="adapter_model.bin"):
        NameEncoder.from_pretrained(tiny_dir, adapter=folder)
    with pytest.raises(EncoderError, match="does not exist"):
        NameEncoder.from_pretrained(tiny_dir, adapter=tmp_path / "missing")


def test_missing_or_broken_model_folder(tiny_dir, tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EncoderError, match="no-such-model"):
        NameEncoder.from_pretrained(missing)
    with pytest.raises(EncoderError, match="local Hugging Face cache"):
        NameEncoder.from_pretrained("metalign-test/not-a-cached-model")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dir, broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(EncoderError, match="broken"):
        NameEncoder.from_pretrained(broken)
    with pytest.raises(EncoderError, match="sha256 mismatch"):
        NameEncoder.from_pretrained(tiny_dir, expected_sha256="0" * 64)


# ----------------------------------------------------------------- real MiniLM


def test_minilm_loads_verified(minilm):
    assert sha256_file(_minilm_dir() / "model.safetensors") == MINILM_SHA256
    assert MINILM_SHA256 in minilm.fingerprint
    assert minilm.dim == 384
    glucose, plain, atp = minilm.encode(["D-glucose", "glucose", "ATP"])
    assert _cos(glucose, plain) > _cos(glucose, atp)


def test_minilm_tampered_copy_is_refused(tmp_path):
    copy = tmp_path / "minilm"
    shutil.copytree(_minilm_dir(), copy)
    weights = copy / "model.safetensors"
    weights.chmod(0o644)
    with open(weights, "r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EncoderError, match="sha256 mismatch"):
        NameEncoder.minilm(model_dir=copy)
    with pytest.raises(EncoderError, match="does not exist"):
        NameEncoder.minilm(model_dir=tmp_path / "absent")


# ----------------------------------------------------------------- embedding index


@pytest.fixture()
def counted(tiny, monkeypatch):
    calls: list[int] = []
    original = tiny.encode

    def encode(names, *args, **kwargs):
        calls.append(len(list(names)))
        return original(names, *args, **kwargs)

    monkeypatch.setattr(tiny, "encode", encode)
    return tiny, calls


def test_index_cache_hit(counted):
    encoder, calls = counted
    ids = [f"m{i}" for i in range(len(NAMES))]
    first = EmbeddingIndex.build(encoder, NAMES, ids, cache_key="catalog-v1")
    assert calls == [len(NAMES)]
    files = list((cache_dir() / "embeddings").glob("*.npz"))
    assert len(files) == 1
    second = EmbeddingIndex.build(encoder, NAMES, ids, cache_key="catalog-v1")
    assert calls == [len(NAMES)]
    np.testing.assert_array_equal(first.vectors, second.vectors)
    EmbeddingIndex.build(encoder, NAMES[:-1], ids[:-1], cache_key="catalog-v1")
    EmbeddingIndex.build(encoder, NAMES, ids, cache_key="catalog-v2")
    EmbeddingIndex.build(encoder, NAMES, ids)
    assert len(calls) == 4
    hits = first.query(["pyruvate", "ATP"], k=1)
    assert [hit[0][0] for hit in hits] == ["m9", "m1"]
    assert hits[0][0][1] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("damage", ["garbage", "checksum", "pickle"])
def test_index_corrupted_cache_is_rebuilt(counted, caplog, damage):
    encoder, calls = counted
    ids = list(range(len(NAMES)))
    good = EmbeddingIndex.build(encoder, NAMES, ids, cache_key="k")
    (path,) = (cache_dir() / "embeddings").glob("*.npz")
    if damage == "garbage":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        with np.load(path) as stored:
            key, sha = stored["key"], stored["sha256"]
        vectors = good.vectors.copy()
        vectors[0, 0] += 0.5
        if damage == "pickle":
            vectors = np.array([object()] * len(NAMES), dtype=object)
        with open(path, "wb") as handle:
            np.savez(handle, vectors=vectors, sha256=sha, key=key)
    caplog.set_level(logging.WARNING, logger="cobra_metalign.matching.encoder")
    rebuilt = EmbeddingIndex.build(encoder, NAMES, ids, cache_key="k")
    assert len(calls) == 2
    assert any(r.levelno == logging.WARNING and str(path) in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(rebuilt.vectors, good.vectors)
    caplog.clear()
    EmbeddingIndex.build(encoder, NAMES, ids, cache_key="k")  # the rewritten file is used
    assert len(calls) == 2
    assert not caplog.records


def test_index_search_top_k():
    vectors = np.array(
        [
            [1.0, 0.0, 0.0],  # a
            [0.8, 0.6, 0.0],  # b
            [0.0, 1.0, 0.0],  # c
            [0.0, 0.0, 2.0],  # d (normalised on construction)
            [0.6, 0.8, 0.0],  # b again, a synonym
        ]
    )
    index = EmbeddingIndex(["a", "b", "c", "d", "b"], vectors)
    hits = index.search(np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), k=2)
    assert [i for i, _ in hits[0]] == ["a", "b"]
    assert [s for _, s in hits[0]] == pytest.approx([1.0, 0.8])
    assert hits[1][0] == ("d", pytest.approx(1.0))
    # ids are ranked by their best name; rows when asked
    (near_c,) = index.search(np.array([0.0, 1.0, 0.0]), k=3)
    assert [i for i, _ in near_c] == ["c", "b", "a"]
    assert [s for _, s in near_c] == pytest.approx([1.0, 0.8, 0.0], abs=1e-6)
    (rows,) = index.search(np.array([0.0, 1.0, 0.0]), k=3, unique_ids=False)
    assert [i for i, _ in rows] == ["c", "b", "b"]
    # k larger than the index, chunked queries
    many = index.search(np.eye(3), k=10, chunk_size=2)
    assert len(many) == 3 and all(len(hit) == 4 for hit in many)
    assert [i for i, _ in many[0]] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError):
        index.search(np.ones((1, 4)))
    with pytest.raises(ValueError):
        index.search(np.ones(3), k=0)
    assert EmbeddingIndex([], np.zeros((0, 3))).search(np.ones((2, 3))) == [[], []]
    with pytest.raises(ValueError):
        EmbeddingIndex(["a"], np.ones((2, 3)))
