"""Command-line entry points of the training subpackage.

``metalign train`` trains a LoRA adapter for the name encoder and evaluates it on
held-out compound families; ``metalign evaluate-adapters`` compares trained
adapters, the base encoder and the TF-IDF baseline on the same held-out data.
Both are registered on the ``metalign`` group with ``main.add_command``; until
then (or without the main CLI) run them as::

    python -m cobra_metalign.cli.train -v train --base minilm --recipe original -o DIR
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from cobra_metalign.cli.app import CONTEXT_SETTINGS, handle_errors, say
from cobra_metalign.errors import MetalignError

if TYPE_CHECKING:  # for the hints only: the commands import what they use when they run
    from cobra_metalign.catalog.store import Catalog
    from cobra_metalign.training.pairs import FamilySplit, NamePair

logger = logging.getLogger(__name__)

__all__ = ["train", "evaluate_adapters", "train_decision"]

_GOLD_HELP = (
    "Benchmark gold TSV (column gold_bigg); report how many of its ids fall in "
    "training families. Repeatable."
)


def _progress() -> bool:
    """Show progress bars unless the CLI was asked to be quiet (-q)."""
    return logging.getLogger("cobra_metalign").getEffectiveLevel() <= logging.WARNING


def _set_threads(threads: int | None) -> None:
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _load_base(base: str):
    from cobra_metalign.matching.encoder import load_encoder

    return load_encoder(base)


@click.command("train", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--base",
    default="minilm",
    help="'minilm' (the packaged all-MiniLM-L6-v2) or a local model folder or cached hub "
    "name (e.g. EMBO/BioMegatron345mUncased; that one wants a GPU).",
)
@click.option(
    "--recipe",
    type=click.Choice(["original", "synonyms", "near-miss"]),
    default="original",
    help="original: delimiter swaps vs a dropped piece (MetaAlignGen); synonyms: real "
    "synonyms vs look-alike compounds; near-miss: the synonyms pairs plus the matcher's "
    "near misses on the open gold sets of the training families (needs --data).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="near-miss recipe: the folder with the open gold sets (benchmarks/, models/, "
    "reference/), e.g. ../shared/data.",
)
@click.option(
    "--near-miss-pairs",
    type=click.IntRange(min=1),
    default=3000,
    show_default=True,
    help="near-miss recipe: most near-miss pairs (metabolites with hard negatives first).",
)
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Train on the pairs of this JSON-lines file ({metabolite1, metabolite2, label}; "
    "the original MetaAlignGen pairs), split by family, instead of generating them.",
)
@click.option("--epochs", type=click.IntRange(min=1), default=10, help="Training epochs.")
@click.option(
    "--loss",
    type=click.Choice(["contrastive", "in-batch"]),
    default="contrastive",
    help="Margin contrastive loss (margin 0.5) or in-batch negatives (InfoNCE).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=16, help="Pairs per step.")
@click.option(
    "--lr",
    "learning_rate",
    type=click.FloatRange(min=0, min_open=True),
    default=2e-4,
    help="AdamW learning rate.",
)
@click.option(
    "--n-pairs",
    type=click.IntRange(min=2),
    default=3000,
    help="Generated training pairs (half positives; near-miss: the synonyms pairs mixed in).",
)
@click.option("--seed", type=int, default=0, help="Seed of the pairs, the split and torch.")
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    help="Fraction of compound families held out.",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A catalogue file instead of the default.",
)
@click.option(
    "--gold",
    "gold_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_GOLD_HELP,
)
@click.option(
    "--eval/--no-eval",
    "run_eval",
    default=True,
    help="Evaluate the base encoder, the adapter and TF-IDF on held-out families afterwards.",
)
@click.option(
    "--eval-queries",
    type=click.IntRange(min=1),
    default=1000,
    help="Retrieval queries (held-out compounds) in the evaluation.",
)
@click.option(
    "--resume/--no-resume",
    default=True,
    help="Continue from the checkpoint in the output folder, or start again.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="CPU threads for torch (default: torch's choice; 1 is faster on a busy machine).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (adapter, metadata.json, checkpoint).",
)
@handle_errors
def train(
    base: str,
    recipe: str,
    data_dir: Path | None,
    near_miss_pairs: int,
    pairs_path: Path | None,
    epochs: int,
    loss: str,
    batch_size: int,
    learning_rate: float,
    n_pairs: int,
    seed: int,
    test_fraction: float,
    catalog_path: Path | None,
    gold_files: tuple[Path, ...],
    run_eval: bool,
    eval_queries: int,
    resume: bool,
    threads: int | None,
    output: Path,
) -> None:
    """Train a LoRA adapter for the name encoder and evaluate it on held-out families.

    Writes adapter_config.json, adapter_model.safetensors and metadata.json
    (versions, hyperparameters, data and base-model hashes, held-out metrics) to
    OUTPUT, with a resumable checkpoint after every epoch. The held-out families
    are listed in metadata.json, so that evaluate-adapters can check them.

    The near-miss recipe reads the open gold sets under --data (evaluation data:
    only pairs of the training families are used, nothing is copied out), runs the
    matcher on them, and adds to the synonyms pairs each gold metabolite's name
    against its correct compound and against the wrong candidates the matcher
    ranked at or near it (anchors batched with their hard negatives).
    """
    from cobra_metalign.cache import sha256_file
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.training.evaluate import build_eval_sets, evaluate, format_markdown
    from cobra_metalign.training.pairs import family_split, make_pairs, read_pairs_jsonl
    from cobra_metalign.training.train import (
        CHECKPOINT_DIR,
        TrainConfig,
        train_adapter,
        write_metadata,
    )

    _set_threads(threads)
    if pairs_path is not None and recipe != "original":
        raise click.BadParameter(
            "a pairs file holds original-recipe pairs; use it with --recipe original",
            param_hint="'--pairs'",
        )
    if recipe == "near-miss" and data_dir is None:
        raise click.UsageError(
            "--recipe near-miss needs --data DIR, the folder with the open gold sets"
        )
    if data_dir is not None and recipe != "near-miss":
        raise click.BadParameter(
            "the gold sets are read by the near-miss recipe only; use --recipe near-miss",
            param_hint="'--data'",
        )
    catalog = load_catalog(catalog_path)
    split = family_split(catalog, test_fraction, seed, gold_files)
    extra = {}
    data = {
        "recipe": recipe,
        "catalog_version": catalog.version,
        "catalog_sha256": sha256_file(catalog.path) if catalog.path else None,
        "split": split.summary(),
        "held_out_families": sorted(split.test_families),
    }
    if pairs_path is not None:
        file_pairs = read_pairs_jsonl(pairs_path)
        train_pairs, file_test, dropped = split.split_pairs(file_pairs, catalog)
        extra["pairs_file"] = (train_pairs, file_test)
        data.update(
            source=str(pairs_path),
            source_sha256=sha256_file(pairs_path),
            source_pairs=len(file_pairs),
            held_out_pairs=len(file_test),
            dropped_pairs=dropped,
        )
        click.echo(
            f"{pairs_path.name}: {len(train_pairs)} training pairs, {len(file_test)} held out, "
            f"{dropped} dropped (unknown names or straddling the split)"
        )
    elif recipe == "near-miss":
        train_pairs, frame = _near_miss_training_pairs(
            catalog, split, data_dir, n_pairs, near_miss_pairs, seed, data
        )
        extra["near_miss"] = _near_miss_eval_pairs(catalog, split, frame)
    else:
        train_pairs = make_pairs(recipe, catalog, n_pairs, seed=seed, compounds=split.train_ids)
        data["source"] = f"generated: recipe {recipe}, {n_pairs} pairs, seed {seed}"
    if not split.gold_overlap.empty:
        click.echo("benchmark gold ids by side of the split:")
        click.echo(split.gold_overlap.to_string())

    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        loss=loss,
        seed=seed,
        anchor_batches=recipe == "near-miss",
    )
    if not resume and (output / CHECKPOINT_DIR).is_dir():
        shutil.rmtree(output / CHECKPOINT_DIR)
    encoder = _load_base(base)
    result = train_adapter(
        encoder, train_pairs, config, output, resume=resume, show_progress_bar=_progress()
    )
    click.echo(
        f"trained {len(result.history) - result.resumed_from} epochs in {result.seconds:.0f} s "
        f"(final loss {result.history[-1]['loss']:.4f})"
    )
    metrics: dict = {}
    if run_eval:
        sets = build_eval_sets(catalog, split, seed=seed, extra=extra, max_queries=eval_queries)
        frame = evaluate(
            sets,
            {"base": _load_base(base), "adapter": result.encoder},
            show_progress_bar=_progress(),
        )
        metrics = {"sets": sets.summary(), "results": frame.to_dict(orient="index")}
        click.echo(format_markdown(frame))
    path = write_metadata(output, result, train_pairs, data=data, metrics=metrics)
    click.echo(f"wrote the adapter and {path}")


def _near_miss_candidates(catalog: Catalog, data_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """The matcher's labelled candidates on the open gold sets under ``data_dir``."""
    from cobra_metalign.training.decision import build_dataset
    from cobra_metalign.training.pairs import near_miss_frame

    loaded = build_dataset(data_dir, catalog)
    return near_miss_frame(loaded.values()), sorted(loaded)


def _near_miss_eval_pairs(
    catalog: Catalog, split: FamilySplit, frame: pd.DataFrame
) -> tuple[list[NamePair], list[NamePair]]:
    """Near-miss pairs of the training families (thresholds) and of the held-out ones."""
    from cobra_metalign.training.pairs import near_miss_pairs

    train_families = set(split.families.values()) - split.test_families
    train_side = near_miss_pairs(frame, catalog, split.test_families, families=split.families)
    held_out = near_miss_pairs(frame, catalog, train_families, families=split.families)
    return train_side, held_out


def _near_miss_training_pairs(
    catalog: Catalog,
    split: FamilySplit,
    data_dir: Path,
    n_pairs: int,
    max_near_miss: int,
    seed: int,
    data: dict,
) -> tuple[list[NamePair], pd.DataFrame]:
    """The near-miss recipe: synonyms pairs of the training families plus near misses."""
    from collections import Counter

    from cobra_metalign.training.pairs import make_pairs, near_miss_pairs

    frame, gold_sets = _near_miss_candidates(catalog, data_dir)
    mined = near_miss_pairs(
        frame,
        catalog,
        split.test_families,
        families=split.families,
        max_pairs=max_near_miss,
        seed=seed,
    )
    if not mined:
        raise MetalignError(
            f"{data_dir}: the gold sets give no near-miss pairs in the training families"
        )
    synonyms = make_pairs("synonyms", catalog, n_pairs, seed=seed, compounds=split.train_ids)
    kinds = Counter(p.kind for p in mined if p.label == 0)
    data["source"] = (
        f"generated: recipe near-miss, {len(mined)} near-miss pairs from {data_dir} plus "
        f"{len(synonyms)} synonyms pairs, seed {seed}"
    )
    data["near_miss"] = {
        "gold_sets": gold_sets,
        "pairs": len(mined),
        "positives": sum(p.label for p in mined),
        "negatives_by_kind": dict(sorted(kinds.items())),
    }
    click.echo(
        f"near-miss pairs: {len(mined)} ({sum(p.label for p in mined)} positives; negatives "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f") plus {len(synonyms)} synonyms pairs"
    )
    return mined + synonyms, frame


@click.command("evaluate-adapters", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--adapter",
    "adapters",
    multiple=True,
    metavar="LABEL=DIR",
    required=True,
    help="A trained adapter folder with its label (repeatable).",
)
@click.option("--base", default="minilm", help="'minilm' or a local model folder.")
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also score the pairs of this JSON-lines file that fall in held-out families.",
)
@click.option("--seed", type=int, default=0, help="Seed of the split and pairs (as in training).")
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    help="Fraction of compound families held out (as in training).",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A catalogue file instead of the default.",
)
@click.option(
    "--gold",
    "gold_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_GOLD_HELP,
)
@click.option("--eval-queries", type=click.IntRange(min=1), default=1000)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also score near-miss pairs: the matcher's near misses on the open gold sets in this "
    "folder (e.g. ../shared/data), thresholds on the training families, scored on the "
    "held-out ones.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="CPU threads for torch (default: torch's choice; 1 is faster on a busy machine).",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the table as Markdown.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as JSON.",
)
@handle_errors
def evaluate_adapters(
    adapters: tuple[str, ...],
    base: str,
    pairs_path: Path | None,
    seed: int,
    test_fraction: float,
    catalog_path: Path | None,
    gold_files: tuple[Path, ...],
    eval_queries: int,
    data_dir: Path | None,
    threads: int | None,
    markdown_path: Path | None,
    json_path: Path | None,
) -> None:
    """Compare adapters, the base encoder and TF-IDF on held-out compound families."""
    from cobra_metalign.cache import atomic_path, sha256_file
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.matching.encoder import NameEncoder
    from cobra_metalign.training.evaluate import build_eval_sets, evaluate, format_markdown
    from cobra_metalign.training.pairs import family_split, read_pairs_jsonl
    from cobra_metalign.training.train import METADATA_FILE

    _set_threads(threads)
    folders: dict[str, Path] = {}
    for item in adapters:
        label, sep, folder = item.partition("=")
        if not sep or not label or not folder:
            raise click.BadParameter(f"expected LABEL=DIR, got {item!r}", param_hint="'--adapter'")
        if not Path(folder).is_dir():
            raise click.BadParameter(f"{folder} is not a folder", param_hint="'--adapter'")
        folders[label] = Path(folder)
    catalog = load_catalog(catalog_path)
    split = family_split(catalog, test_fraction, seed, gold_files)
    catalog_sha256 = sha256_file(catalog.path) if catalog.path else None
    leaked: dict[str, int | None] = {}
    for label, folder in folders.items():
        leaked[label] = _check_split(
            label,
            folder / METADATA_FILE,
            seed,
            test_fraction,
            catalog_sha256,
            split.test_families,
        )
    extra = {}
    if pairs_path is not None:
        train_pairs, test_pairs, _ = split.split_pairs(read_pairs_jsonl(pairs_path), catalog)
        extra["pairs_file"] = (train_pairs, test_pairs)
    if data_dir is not None:
        frame, _sets = _near_miss_candidates(catalog, data_dir)
        extra["near_miss"] = _near_miss_eval_pairs(catalog, split, frame)
    sets = build_eval_sets(catalog, split, seed=seed, extra=extra, max_queries=eval_queries)
    encoders = {"base": _load_base(base)}
    for label, folder in folders.items():
        if base == "minilm":
            encoders[label] = NameEncoder.minilm(adapter=folder)
        else:
            encoders[label] = NameEncoder.from_pretrained(base, adapter=folder)
    frame = evaluate(sets, encoders, show_progress_bar=_progress())
    table = format_markdown(frame)
    if not split.gold_overlap.empty:
        click.echo("benchmark gold ids by side of the split:")
        click.echo(split.gold_overlap.to_string())
    click.echo(json.dumps(sets.summary()))
    click.echo(table)
    if markdown_path is not None:
        with atomic_path(markdown_path) as tmp:
            tmp.write_text(table + "\n")
    if json_path is not None:
        record = {
            "sets": sets.summary(),
            "split": split.summary(),
            "held_out_families_seen_in_training": leaked,
            "results": frame.to_dict(orient="index"),
        }
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")


def _check_split(
    label: str,
    path: Path,
    seed: int,
    fraction: float,
    catalog_sha256: str | None,
    test_families: frozenset[str] | None = None,
) -> int | None:
    """Warn when an adapter was trained on another split than the one evaluated.

    When the adapter's metadata lists its held-out families, the evaluated
    held-out families it did not hold out are counted (they may have been seen in
    training) and a warning names how many; that count is returned (None when the
    metadata has no list).
    """
    if not path.is_file():
        logger.warning("%s: no %s; cannot check its training split", label, path.name)
        return None
    try:
        data = json.loads(path.read_text()).get("data", {})
    except (OSError, ValueError) as error:
        logger.warning("%s: unreadable %s (%s)", label, path, error)
        return None
    split = data.get("split", {})
    held_out = data.get("held_out_families")
    seen: int | None = None
    if isinstance(held_out, list) and test_families is not None:
        seen = len(set(test_families) - set(held_out))
        if seen:
            logger.warning(
                "%s: %d of the %d held-out families evaluated were not held out in its "
                "training: the figures may flatter it",
                label,
                seen,
                len(test_families),
            )
        else:
            logger.info("%s: every evaluated held-out family was held out in training", label)
    trained = (split.get("seed"), split.get("test_fraction"), data.get("catalog_sha256"))
    if trained != (seed, fraction, catalog_sha256):
        logger.warning(
            "%s was trained with split seed, fraction and catalogue sha256 %s, evaluated "
            "with %s: held-out families may have been seen in training",
            label,
            trained,
            (seed, fraction, catalog_sha256),
        )
    return seen


@click.command("train-decision", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="Folder with the open gold sets (benchmarks/, models/, reference/).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the decision model (JSON).",
)
@click.option(
    "--encoder",
    "encoder_name",
    help="Give the encoder features values: 'minilm' or a local encoder folder [default: none].",
)
@click.option("--adapter", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--evaluate/--no-evaluate",
    default=True,
    show_default=True,
    help="Also run the leave-one-set-out evaluation (rules, logistic, trees) and store it.",
)
@click.option(
    "--markdown",
    "markdown_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the evaluation table as Markdown.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@handle_errors
def train_decision(
    data_dir: Path,
    output: Path,
    encoder_name: str | None,
    adapter: Path | None,
    catalog_path: Path | None,
    evaluate: bool,
    markdown_path: Path | None,
    overwrite: bool,
) -> None:
    """Learn the accept/review/none decision from the open gold sets.

    Reads the gold sets and hand judgements under --data (evaluation data: only
    the coefficients are written), fits a logistic regression over the matcher's
    evidence, picks the acceptance threshold for adjudicated precision >= 0.995
    on family folds, and writes it as JSON with its training data hash, feature
    list, versions and figures. Use it with `--decision FILE`.
    """
    from cobra_metalign.cache import atomic_path, check_output_path
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.cli.app import make_encoder
    from cobra_metalign.training.decision import (
        REPORT_COLUMNS,
        EncodedOnce,
        build_dataset,
        family_cv,
        fit_decision,
        format_markdown,
        leave_one_set_out,
    )

    for path in (output, markdown_path):
        if path is not None:
            check_output_path(path, label="decision", inputs=[], overwrite=overwrite)
    catalog = load_catalog(catalog_path)
    encoder = make_encoder(encoder_name, adapter)
    if encoder is not None:
        encoder = EncodedOnce(encoder)  # the evaluation matches each model several times
    data = build_dataset(data_dir, catalog, encoder=encoder)
    frame = pd.concat([d.candidates for d in data.values()], ignore_index=True)
    use_encoder = encoder is not None
    decision = fit_decision(frame, use_encoder=use_encoder)
    metadata = dict(decision.metadata)
    metadata["encoder"] = None if encoder is None else getattr(encoder, "fingerprint", "encoder")
    metadata["catalog"] = catalog.version
    metadata["family_cv"] = family_cv(frame, use_encoder=use_encoder)
    click.echo(f"family folds: {json.dumps(metadata['family_cv'])}")
    if evaluate:
        variants = [
            ("logistic (hybrid)", "logistic", use_encoder, "hybrid"),
            ("trees (hybrid)", "trees", use_encoder, "hybrid"),
            ("logistic (replace)", "logistic", use_encoder, "replace"),
        ]
        table = leave_one_set_out(
            data, catalog, data_dir=data_dir, variants=variants, encoder=encoder, progress=say
        )
        columns = [c for c in REPORT_COLUMNS if c in table]
        metadata["leave_one_set_out"] = table[columns].to_dict("records")
        text = format_markdown(table)
        click.echo(text)
        if markdown_path is not None:
            with atomic_path(markdown_path) as tmp:
                tmp.write_text(text + "\n")
    decision = replace(decision, metadata=metadata)
    with atomic_path(output) as tmp:
        decision.to_json(tmp)
    say(
        f"wrote {output}: accept at p >= {decision.accept_threshold:.3f}, "
        f"review at p >= {decision.review_threshold:.3f}"
    )
