"""LoRA fine-tuning of the name encoder on labelled name pairs.

The setup of MetaAlignGen, made reproducible: LoRA r=16, alpha=32, dropout 0.1
on ``query``/``key``/``value``/``dense``; the margin contrastive loss
``label * (1 - cos)^2 + (1 - label) * max(0, margin - (1 - cos))^2`` with margin
0.5, or an in-batch-negatives loss (InfoNCE, as sentence-transformers'
MultipleNegativesRankingLoss); AdamW, learning rate 2e-4, batch 16, 10 epochs;
a fixed seed; bf16 autocast where the CPU runs bf16 natively; a progress bar.

Checkpoints are resumable: after every epoch the adapter weights, the AdamW
state and the torch random state are written to ``<output>/checkpoint/`` as
safetensors (no pickles), with ``state.json`` (epoch, configuration, data hash)
written last. Calling :func:`train_adapter` again with the same output folder,
configuration and data continues after the last finished epoch.

The same code path trains BioMegatron (``MegatronBertModel``) or MiniLM
(``BertModel``). A BioMegatron-size run wants a GPU: on 2 CPU cores it takes
hours and 7-9 GB of RAM, where a MiniLM run of 3,000 pairs x 10 epochs takes
about 20 minutes.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import peft
import safetensors
import safetensors.torch
import torch
import transformers
from tqdm.auto import tqdm

from cobra_metalign.cache import atomic_path, sha256_file
from cobra_metalign.errors import MetalignError
from cobra_metalign.matching.encoder import (
    DEFAULT_LORA_TARGETS,
    NameEncoder,
    cpu_supports_fast_bf16,
)
from cobra_metalign.training.pairs import NamePair, pairs_sha256

logger = logging.getLogger(__name__)

__all__ = [
    "LOSSES",
    "METADATA_FILE",
    "CHECKPOINT_DIR",
    "TrainConfig",
    "TrainResult",
    "contrastive_loss",
    "in_batch_negatives_loss",
    "pair_lengths",
    "epoch_batches",
    "train_adapter",
    "write_metadata",
    "library_versions",
]

#: Loss options.
LOSSES: tuple[str, ...] = ("contrastive", "in-batch")

#: Metadata file written beside the adapter.
METADATA_FILE = "metadata.json"

#: Sub-folder of the output folder that holds the resumable checkpoint.
CHECKPOINT_DIR = "checkpoint"

_METADATA_FORMAT = "cobra_metalign.adapter-metadata/1"
_CHECKPOINT_FORMAT = "cobra_metalign.train-checkpoint/1"
_ADAPTER_FILE = "adapter.safetensors"
_OPTIMIZER_FILE = "optimizer.safetensors"
_STATE_FILE = "state.json"


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a training run.

    Attributes
    ----------
    epochs : int
        Passes over the pairs.
    batch_size : int
        Pairs per optimizer step.
    learning_rate : float
        AdamW learning rate.
    weight_decay : float
        AdamW weight decay (torch's default).
    loss : {"contrastive", "in-batch"}
        The margin contrastive loss of MetaAlignGen, or in-batch negatives.
    margin : float
        Margin of the contrastive loss (on the cosine distance ``1 - cos``).
    scale : float
        In-batch loss: cosine similarities are multiplied by this before the
        softmax (an inverse temperature; 20 as in sentence-transformers).
    r, alpha, dropout : int, int, float
        LoRA rank, scaling numerator and dropout.
    target_modules : tuple of str
        Modules LoRA adapts.
    seed : int
        Seeds torch (LoRA initialisation, dropout) and the batch order.
    autocast : bool or None
        bf16 autocast; None turns it on where the CPU runs bf16 natively.
    group_by_length : bool
        Batch pairs of similar token length together (batches drawn at random
        within chunks of 50 batches, batch order shuffled), as transformers'
        ``group_by_length``: names are short on average but long ones make a
        random batch pad to ~48 tokens; grouping makes an epoch about 2.5 times
        faster on CPU.
    anchor_batches : bool
        Keep the pairs that share their first name in one batch (whole groups
        are packed into batches), so that the in-batch loss ranks each hard
        negative of an anchor against that anchor's own positive (the near-miss
        recipe: a model name, its compound and the matcher's look-alikes).
    """

    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 2e-4
    weight_decay: float = 0.01
    loss: str = "contrastive"
    margin: float = 0.5
    scale: float = 20.0
    r: int = 16
    alpha: int = 32
    dropout: float = 0.1
    target_modules: tuple[str, ...] = DEFAULT_LORA_TARGETS
    seed: int = 0
    autocast: bool | None = None
    group_by_length: bool = True
    anchor_batches: bool = False

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        object.__setattr__(self, "target_modules", tuple(self.target_modules))

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-serialisable dict."""
        record = asdict(self)
        record["target_modules"] = list(self.target_modules)
        if not self.anchor_batches:
            # runs without it keep the identity (and resumable checkpoints) they had before
            del record["anchor_batches"]
        return record


@dataclass
class TrainResult:
    """What :func:`train_adapter` returns.

    Attributes
    ----------
    encoder : NameEncoder
        The encoder with its trained adapter, in eval mode.
    config : TrainConfig
    history : list of dict
        Per epoch: ``epoch``, ``loss`` (mean training loss), ``seconds``.
    data_sha256 : str
        Hash of the training pairs (:func:`~cobra_metalign.training.pairs.pairs_sha256`).
    resumed_from : int
        Number of epochs loaded from a checkpoint (0 for a fresh run).
    seconds : float
        Training time of this call.
    autocast : bool
        Whether bf16 autocast was used.
    """

    encoder: NameEncoder
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    data_sha256: str = ""
    resumed_from: int = 0
    seconds: float = 0.0
    autocast: bool = False


# --------------------------------------------------------------------------- losses


def contrastive_loss(
    cosine: torch.Tensor, labels: torch.Tensor, margin: float = 0.5
) -> torch.Tensor:
    """The margin contrastive loss of MetaAlignGen, averaged over pairs.

    ``label * (1 - cos)^2 + (1 - label) * max(0, margin - (1 - cos))^2``: positives
    are pulled to cosine 1, negatives pushed until their cosine distance
    ``1 - cos`` reaches ``margin``.

    Parameters
    ----------
    cosine : torch.Tensor
        Cosine similarity of each pair, shape ``(n,)``.
    labels : torch.Tensor
        1 for the same compound, 0 otherwise, shape ``(n,)``.
    margin : float, optional

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> round(contrastive_loss(torch.tensor([1.0, 0.9]), torch.tensor([1.0, 0.0])).item(), 4)
    0.08
    """
    labels = labels.to(cosine.dtype)
    distance = 1.0 - cosine
    positive = labels * distance.pow(2)
    negative = (1.0 - labels) * torch.clamp(margin - distance, min=0.0).pow(2)
    return (positive + negative).mean()


def in_batch_negatives_loss(
    emb1: torch.Tensor,
    emb2: torch.Tensor,
    labels: torch.Tensor,
    scale: float = 20.0,
    groups1: Sequence[str] | None = None,
    groups2: Sequence[str] | None = None,
) -> torch.Tensor:
    """In-batch negatives (InfoNCE / MultipleNegativesRankingLoss) over positive pairs.

    Each positive pair ``(a_i, p_i)`` is a classification of ``a_i`` among every
    second name of the batch: ``p_i`` is the answer, the second names of the other
    pairs (and of negative pairs, hard negatives) are the wrong ones. A candidate
    known to be the same compound as ``a_i`` (equal non-empty group) is masked
    out instead of being counted as wrong.

    Parameters
    ----------
    emb1, emb2 : torch.Tensor
        L2-normalised embeddings of the first and second names, shape ``(n, d)``.
    labels : torch.Tensor
        Shape ``(n,)``; only rows with label 1 are anchors.
    scale : float, optional
        Multiplies the cosine similarities (inverse temperature).
    groups1, groups2 : sequence of str, optional
        Compound ids of the names (``""`` when unknown).

    Returns
    -------
    torch.Tensor
        A scalar; 0 (with a gradient path) when the batch has no positive pair.
    """
    positive = labels.to(torch.bool)
    if not bool(positive.any()):
        return (emb1.sum() + emb2.sum()) * 0.0
    anchors = torch.nonzero(positive, as_tuple=False).flatten()
    logits = scale * emb1[anchors] @ emb2.T
    if groups1 is not None and groups2 is not None:
        mask = torch.zeros_like(logits, dtype=torch.bool)
        for row, index in enumerate(anchors.tolist()):
            group = groups1[index]
            if not group:
                continue
            for column, other in enumerate(groups2):
                if column != index and other == group:
                    mask[row, column] = True
        logits = logits.masked_fill(mask, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, anchors)


def _batch_loss(
    encoder: NameEncoder, batch: Sequence[NamePair], config: TrainConfig
) -> torch.Tensor:
    names = [pair.name1 for pair in batch] + [pair.name2 for pair in batch]
    vectors = encoder.embed(names, normalize=True)
    emb1, emb2 = vectors[: len(batch)], vectors[len(batch) :]
    labels = torch.tensor([pair.label for pair in batch], dtype=torch.float32)
    if config.loss == "contrastive":
        return contrastive_loss((emb1 * emb2).sum(dim=1), labels, config.margin)
    return in_batch_negatives_loss(
        emb1,
        emb2,
        labels,
        config.scale,
        [pair.id1 for pair in batch],
        [pair.id2 or (pair.id1 if pair.label else "") for pair in batch],
    )


def pair_lengths(encoder: NameEncoder, pairs: Sequence[NamePair]) -> list[int]:
    """Token length of each pair: the longer of its two names, after truncation.

    Parameters
    ----------
    encoder : NameEncoder
    pairs : sequence of NamePair

    Returns
    -------
    list of int
    """
    names = list(dict.fromkeys([p.name1 for p in pairs] + [p.name2 for p in pairs]))
    encoded = encoder.tokenizer(names, truncation=True, max_length=encoder.max_length)
    length = {name: len(ids) for name, ids in zip(names, encoded["input_ids"])}
    return [max(length[p.name1], length[p.name2]) for p in pairs]


def epoch_batches(
    lengths: Sequence[int],
    batch_size: int,
    rng: random.Random,
    group_by_length: bool = True,
    chunk_batches: int = 50,
    groups: Sequence[str] | None = None,
) -> list[list[int]]:
    """The batches of one epoch, as lists of pair indices.

    The pairs are shuffled; with ``group_by_length`` each run of
    ``chunk_batches * batch_size`` shuffled pairs is sorted by length and cut
    into batches, and the batch order is shuffled again. With ``groups``, pairs
    of one group are never split: whole groups are shuffled, sorted by their
    longest pair, and packed into batches of at most ``batch_size`` pairs (a
    group larger than that makes a batch of its own).

    Parameters
    ----------
    lengths : sequence of int
        Token length of each pair (:func:`pair_lengths`).
    batch_size : int
    rng : random.Random
        Draws the order (seed it per epoch for reproducible, resumable runs).
    group_by_length : bool, optional
    chunk_batches : int, optional
    groups : sequence of str, optional
        A group key per pair (e.g. the anchor name).

    Returns
    -------
    list of list of int
        Every index exactly once.
    """
    if groups is not None:
        return _grouped_batches(lengths, batch_size, rng, group_by_length, chunk_batches, groups)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not group_by_length:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    chunk = batch_size * chunk_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _grouped_batches(
    lengths: Sequence[int],
    batch_size: int,
    rng: random.Random,
    group_by_length: bool,
    chunk_batches: int,
    groups: Sequence[str],
) -> list[list[int]]:
    if len(groups) != len(lengths):
        raise ValueError(f"{len(groups)} group keys for {len(lengths)} pairs")
    members: dict[str, list[int]] = {}
    for index, key in enumerate(groups):
        members.setdefault(key, []).append(index)
    units = list(members.values())
    rng.shuffle(units)
    chunk = batch_size * chunk_batches
    batches: list[list[int]] = []
    start = 0
    while start < len(units):
        part: list[list[int]] = []
        size = 0
        while start < len(units) and (not part or size + len(units[start]) <= chunk):
            part.append(units[start])
            size += len(units[start])
            start += 1
        if group_by_length:
            part.sort(key=lambda unit: max(lengths[i] for i in unit))
        current: list[int] = []
        for unit in part:
            if current and len(current) + len(unit) > batch_size:
                batches.append(current)
                current = []
            current = current + unit
        if current:
            batches.append(current)
    rng.shuffle(batches)
    return batches


# --------------------------------------------------------------------------- checkpoints


def _save_checkpoint(
    folder: Path,
    model: peft.PeftModel,
    optimizer: torch.optim.Optimizer,
    epoch: int,
    history: list[dict[str, float]],
    identity: dict[str, Any],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    adapter = {
        key: value.detach().cpu().contiguous()
        for key, value in peft.get_peft_model_state_dict(model).items()
    }
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    kinds: dict[str, str] = {}
    for index, slots in state["state"].items():
        for key, value in slots.items():
            name = f"state.{index}.{key}"
            if isinstance(value, torch.Tensor):
                tensors[name] = value.detach().cpu().contiguous()
                kinds[name] = "tensor"
            else:
                tensors[name] = torch.tensor(value)
                kinds[name] = type(value).__name__
    with atomic_path(folder / _ADAPTER_FILE) as tmp:
        safetensors.torch.save_file(adapter, str(tmp))
    with atomic_path(folder / _OPTIMIZER_FILE) as tmp:
        safetensors.torch.save_file(tensors, str(tmp))
    record = {
        "format": _CHECKPOINT_FORMAT,
        "epoch": epoch,
        "history": history,
        "identity": identity,
        "param_groups": state["param_groups"],
        "optimizer_kinds": kinds,
        "sha256": {
            _ADAPTER_FILE: sha256_file(folder / _ADAPTER_FILE),
            _OPTIMIZER_FILE: sha256_file(folder / _OPTIMIZER_FILE),
        },
    }
    with atomic_path(folder / _STATE_FILE) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    logger.info("checkpoint after epoch %d written to %s", epoch, folder)


def _read_checkpoint(folder: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    state_path = folder / _STATE_FILE
    if not state_path.is_file():
        return None
    try:
        record = json.loads(state_path.read_text())
    except (OSError, ValueError) as error:
        raise MetalignError(f"{state_path}: unreadable checkpoint state ({error})") from error
    if record.get("format") != _CHECKPOINT_FORMAT:
        raise MetalignError(f"{state_path}: not a cobra_metalign training checkpoint")
    if record.get("identity") != identity:
        stored = record.get("identity") or {}
        differ = sorted(k for k in set(stored) | set(identity) if stored.get(k) != identity.get(k))
        raise MetalignError(
            f"{folder} holds the checkpoint of a different run (differs in: "
            f"{', '.join(differ)}); choose another output folder or delete {folder}"
        )
    for name, digest in (record.get("sha256") or {}).items():
        path = folder / name
        if not path.is_file() or sha256_file(path) != digest:
            raise MetalignError(
                f"{path} is missing or does not match its checkpoint record; delete {folder} "
                "to start again"
            )
    return record


def _restore(
    folder: Path,
    record: dict[str, Any],
    model: peft.PeftModel,
    optimizer: torch.optim.Optimizer,
) -> None:
    adapter = safetensors.torch.load_file(str(folder / _ADAPTER_FILE))
    result = peft.set_peft_model_state_dict(model, adapter)
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise MetalignError(f"{folder}: checkpoint adapter has unexpected weights {unexpected[:3]}")
    tensors = safetensors.torch.load_file(str(folder / _OPTIMIZER_FILE))
    kinds = record.get("optimizer_kinds") or {}
    slots: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith("state."):
            continue
        _, index, key = name.split(".", 2)
        kind = kinds.get(name, "tensor")
        restored: Any = value
        if kind == "int":
            restored = int(value.item())
        elif kind == "float":
            restored = float(value.item())
        slots.setdefault(int(index), {})[key] = restored
    groups = []
    for group in record["param_groups"]:
        group = dict(group)
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
        groups.append(group)
    optimizer.load_state_dict({"state": slots, "param_groups": groups})
    torch.set_rng_state(tensors["rng.torch"])


# --------------------------------------------------------------------------- training


def _resolve_autocast(config: TrainConfig) -> bool:
    if config.autocast is not None:
        return bool(config.autocast)
    return cpu_supports_fast_bf16()


def train_adapter(
    encoder: NameEncoder,
    pairs: Sequence[NamePair],
    config: TrainConfig | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    *,
    resume: bool = True,
    show_progress_bar: bool | None = None,
) -> TrainResult:
    """Attach a fresh LoRA adapter to ``encoder`` and train it on ``pairs``.

    Parameters
    ----------
    encoder : NameEncoder
        A base encoder without adapter (it is modified: the adapter stays attached).
    pairs : sequence of NamePair
        Training pairs.
    config : TrainConfig, optional
        Hyperparameters (defaults: the MetaAlignGen setup).
    output_dir : path-like, optional
        Where checkpoints go (``<output_dir>/checkpoint``); None: no checkpoints.
    resume : bool, optional
        Continue from a checkpoint in ``output_dir`` when there is one (it must
        come from the same configuration, data and base model; only the number of
        epochs may differ, so a finished run can be extended).
    show_progress_bar : bool or None, optional
        None: show one when this module's logger is enabled for INFO.

    Returns
    -------
    TrainResult

    Raises
    ------
    MetalignError
        If ``encoder`` already has an adapter, ``pairs`` is empty, or the output
        folder holds a checkpoint of another run.
    """
    config = config or TrainConfig()
    pairs = list(pairs)
    if not pairs:
        raise MetalignError("no training pairs")
    if encoder.has_adapter:
        raise MetalignError("the encoder already has an adapter; train from a base encoder")
    if show_progress_bar is None:
        show_progress_bar = logger.isEnabledFor(logging.INFO)
    data_sha256 = pairs_sha256(pairs)
    # the number of epochs is left out: a finished run can be extended
    identity = {
        "config": {k: v for k, v in config.to_dict().items() if k != "epochs"},
        "data_sha256": data_sha256,
        "pairs": len(pairs),
        "base_sha256": encoder.base_sha256,
    }
    checkpoint = Path(output_dir) / CHECKPOINT_DIR if output_dir is not None else None

    torch.manual_seed(config.seed)
    encoder.add_lora(
        r=config.r, alpha=config.alpha, dropout=config.dropout, target_modules=config.target_modules
    )
    model = encoder.model
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    history: list[dict[str, float]] = []
    start_epoch = 0
    if checkpoint is not None and resume:
        record = _read_checkpoint(checkpoint, identity)
        if record is not None:
            _restore(checkpoint, record, model, optimizer)
            start_epoch = int(record["epoch"])
            history = list(record.get("history") or [])
            logger.info("resuming from the checkpoint after epoch %d", start_epoch)
    use_autocast = _resolve_autocast(config)
    device_type = encoder.device.type
    lengths = pair_lengths(encoder, pairs) if config.group_by_length else [0] * len(pairs)
    groups = [pair.name1 for pair in pairs] if config.anchor_batches else None
    started = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        epoch_start = time.perf_counter()
        batches = epoch_batches(
            lengths,
            config.batch_size,
            random.Random(config.seed * 1_000_003 + epoch),
            config.group_by_length,
            groups=groups,
        )
        n_batches = len(batches)
        model.train()
        total = 0.0
        seen = 0
        with tqdm(
            total=n_batches,
            desc=f"epoch {epoch + 1}/{config.epochs}",
            unit="batch",
            disable=not show_progress_bar,
        ) as bar:
            for indices in batches:
                batch = [pairs[i] for i in indices]
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(
                    device_type=device_type, dtype=torch.bfloat16, enabled=use_autocast
                ):
                    loss = _batch_loss(encoder, batch, config)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
                seen += len(batch)
                bar.update(1)
                bar.set_postfix(loss=f"{total / seen:.4f}")
        mean = total / len(pairs)
        seconds = time.perf_counter() - epoch_start
        history.append({"epoch": epoch + 1, "loss": mean, "seconds": round(seconds, 2)})
        logger.info("epoch %d/%d: loss %.5f (%.0f s)", epoch + 1, config.epochs, mean, seconds)
        if checkpoint is not None:
            _save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, identity)
    model.eval()
    return TrainResult(
        encoder=encoder,
        config=config,
        history=history,
        data_sha256=data_sha256,
        resumed_from=start_epoch,
        seconds=time.perf_counter() - started,
        autocast=use_autocast,
    )


# --------------------------------------------------------------------------- metadata


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a trained adapter depends on."""
    from cobra_metalign import __version__

    return {
        "python": platform.python_version(),
        "cobra_metalign": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
        "numpy": np.__version__,
    }


def write_metadata(
    output_dir: str | os.PathLike[str],
    result: TrainResult,
    pairs: Sequence[NamePair],
    *,
    data: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Save the trained adapter and its ``metadata.json`` in ``output_dir``.

    Writes ``adapter_config.json`` and ``adapter_model.safetensors`` (through
    :meth:`NameEncoder.save_adapter`, which adds ``metalign_adapter.json``), then
    ``metadata.json``: library versions, hyperparameters, the training data (hash,
    counts, how it was made), the base model (name, sha256, fingerprint), the
    adapter digest, the training history and the held-out metrics.

    Parameters
    ----------
    output_dir : path-like
    result : TrainResult
    pairs : sequence of NamePair
        The training pairs (counted by label and kind).
    data : dict, optional
        More about the data (recipe, source file, split).
    metrics : dict, optional
        Held-out metrics.

    Returns
    -------
    pathlib.Path
        The path of ``metadata.json``.
    """
    output_dir = Path(output_dir)
    encoder = result.encoder
    labels = Counter(pair.label for pair in pairs)
    record = {
        "format": _METADATA_FORMAT,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "hyperparameters": result.config.to_dict(),
        "base_model": {
            "name": encoder.name,
            "sha256": encoder.base_sha256,
            "model_type": getattr(encoder._base_model().config, "model_type", None),
            "hidden_size": encoder.dim,
        },
        "data": {
            "sha256": result.data_sha256,
            "pairs": len(pairs),
            "positives": labels.get(1, 0),
            "negatives": labels.get(0, 0),
            "kinds": dict(sorted(Counter(pair.kind for pair in pairs).items())),
            **(data or {}),
        },
        "training": {
            "history": result.history,
            "epochs_run": len(result.history) - result.resumed_from,
            "resumed_from_epoch": result.resumed_from,
            "seconds": round(result.seconds, 1),
            "device": str(encoder.device),
            "torch_threads": torch.get_num_threads(),
            "bf16_autocast": result.autocast,
        },
        "held_out_metrics": metrics or {},
    }
    encoder.save_adapter(output_dir, metadata={"training_data_sha256": result.data_sha256})
    record["adapter_sha256"] = encoder.adapter_sha256
    record["fingerprint"] = encoder.fingerprint
    path = output_dir / METADATA_FILE
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    logger.info("wrote %s", path)
    return path
