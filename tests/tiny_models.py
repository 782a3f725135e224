"""A tiny random MegatronBert saved to a folder: the BioMegatron code path without the hub."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def tiny_megatron(folder: Path, vocab: Sequence[str], do_lower_case: bool = True) -> Path:
    """Write a tiny random MegatronBert and its WordPiece tokenizer to ``folder``.

    Parameters
    ----------
    folder : Path
        Created if missing; the vocabulary file is written beside it.
    vocab : sequence of str
        The tokens after the special ones (``[PAD]``, ``[UNK]``, ...).
    do_lower_case : bool, optional

    Returns
    -------
    Path
        ``folder``.
    """
    import torch
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    tokens = [*SPECIAL_TOKENS, *(t for t in vocab if t not in SPECIAL_TOKENS)]
    vocab_file = folder.parent / f"{folder.name}-vocab.txt"
    vocab_file.write_text("\n".join(tokens) + "\n")
    tokenizer = transformers.BertTokenizer(vocab=str(vocab_file), do_lower_case=do_lower_case)
    tokenizer.save_pretrained(folder)
    config = transformers.MegatronBertConfig(
        vocab_size=len(tokens),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.MegatronBertModel(config).save_pretrained(folder, safe_serialization=True)
    return folder


def character_vocab(chars: str) -> list[str]:
    """A character-level vocabulary: each character and its ``##`` continuation."""
    chars_ = [c for c in dict.fromkeys(chars) if not c.isspace()]
    return [*chars_, *(f"##{c}" for c in chars_)]
