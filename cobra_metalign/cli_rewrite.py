"""The ``metalign fix``, ``metalign apply`` and ``metalign merge`` commands.

Thin click wrappers over :func:`cobra_metalign.alignment.align`,
:func:`cobra_metalign.audit.apply_audit` and
:func:`cobra_metalign.alignment.merge_models`. Output files go next to the input by
default (``model.aligned.xml``, ``model.audit.tsv``, ``model.reactions.tsv``);
nothing existing is replaced without ``--overwrite``, and the input model only
with ``fix --in-place``, which keeps a backup ``model.xml.bak``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from cobra_metalign.audit import METABOLITE_STATUSES, REACTION_STATUSES, write_audit
from cobra_metalign.cli import CONTEXT_SETTINGS, handle_errors
from cobra_metalign.errors import ModelWriteError

logger = logging.getLogger(__name__)

__all__ = ["fix", "apply", "merge", "COMMANDS", "output_paths"]

_MODEL_SUFFIXES = (".xml", ".sbml", ".json", ".yml", ".yaml", ".mat")
_COMPRESSION = (".gz", ".bz2")


# ---------------------------------------------------------------------- helpers
def _stem(path: Path) -> str:
    """``model.xml.gz`` -> ``model``; ``model.json`` -> ``model``."""
    name = path.name
    for suffix in _COMPRESSION:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    for suffix in _MODEL_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def output_paths(model_path: Path, tag: str | None = "aligned") -> dict[str, Path]:
    """Default output files beside a model file.

    Parameters
    ----------
    model_path : pathlib.Path
        The input model (``dir/model.xml``).
    tag : str, optional
        Inserted before the suffix of the model and, unless it is ``aligned``,
        of the tables too.

    Returns
    -------
    dict
        ``model`` (``dir/model.aligned.xml``), ``audit`` (``dir/model.audit.tsv``)
        and ``reactions`` (``dir/model.reactions.tsv``).
    """
    stem = _stem(model_path)
    table_stem = stem if tag in (None, "aligned") else f"{stem}.{tag}"
    model_name = f"{stem}.{tag}.xml" if tag else f"{stem}.xml"
    return {
        "model": model_path.with_name(model_name),
        "audit": model_path.with_name(f"{table_stem}.audit.tsv"),
        "reactions": model_path.with_name(f"{table_stem}.reactions.tsv"),
    }


def _same(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and first.samefile(second)
    except OSError:
        return first.resolve() == second.resolve()


def _check_outputs(outputs: dict[str, Path], inputs: Iterable[Path], overwrite: bool) -> None:
    """Refuse before writing anything: an output onto an input, one path twice, or an existing file."""
    seen: dict[Path, str] = {}
    for label, path in outputs.items():
        resolved = path.expanduser().resolve()
        if resolved in seen:
            raise click.UsageError(f"the {label} and {seen[resolved]} outputs are both {path}")
        seen[resolved] = label
        for source in inputs:
            if _same(path, source) or resolved == source.resolve():
                raise ModelWriteError(
                    f"refusing to write the {label} over the input {source}; choose another path"
                    + (" or use --in-place" if label == "model" else "")
                )
        if path.exists() and not overwrite:
            raise ModelWriteError(f"{path} already exists; pass --overwrite to replace it")


def _load_catalog(path: Path | None) -> Any:
    from cobra_metalign.catalog import load_catalog

    return load_catalog(path)


def _load_encoder(encoder: str | None, adapter: Path | None) -> Any:
    """None, or a NameEncoder from ``--encoder`` (a folder or ``minilm``) and ``--adapter``."""
    if encoder is None and adapter is None:
        return None
    from cobra_metalign.encoder import NameEncoder

    if encoder in (None, "minilm"):
        return NameEncoder.minilm(adapter=adapter)
    return NameEncoder.from_pretrained(encoder, adapter=adapter)


def _encoder_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value == "minilm" or Path(value).expanduser().is_dir():
        return value
    raise click.BadParameter(f"{value!r} is neither 'minilm' nor a model folder", ctx, param)


def _echo_summary(
    title: str, audit: pd.DataFrame, reactions: pd.DataFrame, statuses: Iterable[str]
) -> None:
    counts = audit["status"].value_counts()
    click.echo(f"{title}: {len(audit)} metabolites")
    for status in statuses:
        if counts.get(status, 0):
            click.echo(f"  {status:<10} {int(counts[status]):>6}")
    merged = audit[audit["status"] == "MERGED"]
    if len(merged):
        survivors = merged["new_id"].nunique()
        click.echo(f"merged {len(merged)} duplicates into {survivors} metabolites")
    flagged = reactions["status"].value_counts() if len(reactions) else {}
    parts = [
        f"{status} {int(flagged[status])}" for status in REACTION_STATUSES if status in flagged
    ]
    click.echo(f"flagged reactions: {len(reactions)}" + (f" ({', '.join(parts)})" if parts else ""))


def _matcher_options(func: Any) -> Any:
    options = [
        click.option(
            "--catalog",
            "catalog_path",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="BiGG catalogue file [default: the updated one in the cache, else the packaged one].",
        ),
        click.option(
            "--encoder",
            callback=_encoder_option,
            metavar="PATH",
            help="Name encoder: a model folder, or 'minilm' [default: no encoder].",
        ),
        click.option(
            "--adapter",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="LoRA adapter folder for the encoder (MiniLM when --encoder is not given).",
        ),
        click.option(
            "--accept-review",
            is_flag=True,
            help="Also apply proposals the matcher left for review (never conflicts).",
        ),
        click.option(
            "--no-rename",
            is_flag=True,
            help="Only annotate mapped metabolites; keep their ids (duplicates are still merged).",
        ),
        click.option(
            "--add-xrefs",
            is_flag=True,
            help="Also annotate mapped metabolites with the catalogue's cross-references.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _patched(document: Any, plan: Any) -> Any:
    """The input's SBML document with the plan written into it (see sbml_patch)."""
    from cobra_metalign.sbml_patch import patch_document

    return patch_document(document, plan)


def _write_outputs(
    model: Any,
    audit: pd.DataFrame,
    reactions: pd.DataFrame,
    outputs: dict[str, Path],
    overwrite: bool,
    input_path: Path | None = None,
) -> None:
    from cobra_metalign.io import write_model

    write_model(model, outputs["model"], overwrite=overwrite, input_path=input_path)
    write_audit(audit, outputs["audit"], reactions=reactions, reactions_path=outputs["reactions"])
    click.echo(f"wrote model:     {outputs['model']}")
    click.echo(f"wrote audit:     {outputs['audit']}")
    click.echo(f"wrote reactions: {outputs['reactions']}")


# ------------------------------------------------------------------------ fix
@click.command("fix", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Corrected model; its suffix chooses the format [default: MODEL.aligned.xml].",
)
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit table (TSV) [default: beside the output: OUT.audit.tsv, or MODEL.audit.tsv].",
)
@click.option(
    "--reactions",
    "reactions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Flagged reactions (TSV) [default: OUT.reactions.tsv, or MODEL.reactions.tsv].",
)
@_matcher_options
@click.option("--dry-run", is_flag=True, help="Write nothing; print the summary only.")
@click.option(
    "--in-place",
    is_flag=True,
    help="Write the corrected model over MODEL (same format), keeping MODEL.bak.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@handle_errors
def fix(
    model_path: Path,
    output: Path | None,
    audit_path: Path | None,
    reactions_path: Path | None,
    catalog_path: Path | None,
    encoder: str | None,
    adapter: Path | None,
    accept_review: bool,
    no_rename: bool,
    add_xrefs: bool,
    dry_run: bool,
    in_place: bool,
    overwrite: bool,
) -> None:
    """Align the metabolites of MODEL to BiGG: rename, annotate, merge duplicates.

    Reads any format cobra reads (SBML, JSON, YAML, MAT; .gz too) and writes the
    corrected model, the audit table and the flagged reactions next to MODEL. The
    input is never changed unless --in-place. Review the audit, edit its
    decision column, and run `metalign apply MODEL AUDIT`.
    """
    from cobra_metalign.alignment import align
    from cobra_metalign.io import read_model_document, writes_sbml

    if in_place and output is not None:
        raise click.UsageError("--in-place and --output exclude each other")
    # the tables go beside the corrected model: next to -o when given, else next to MODEL
    defaults = output_paths(output, None) if output is not None else output_paths(model_path)
    outputs = {
        "model": model_path if in_place else (output or defaults["model"]),
        "audit": audit_path or defaults["audit"],
        "reactions": reactions_path or defaults["reactions"],
    }
    backup = model_path.with_name(model_path.name + ".bak")
    if not dry_run:
        checked = {k: v for k, v in outputs.items() if not (in_place and k == "model")}
        if in_place:
            checked["backup"] = backup
        _check_outputs(checked, [model_path], overwrite)
    model, document = read_model_document(model_path)
    # SBML to SBML: the plan is written into the input's own document
    patch = document is not None and writes_sbml(outputs["model"])
    catalog = _load_catalog(catalog_path)
    result = align(
        model,
        catalog,
        _load_encoder(encoder, adapter),
        # the model was just read and nothing else holds it: no need for a copy
        inplace=True,
        rename=not no_rename,
        accept_review=accept_review,
        add_xrefs=catalog if add_xrefs else False,
        plan_only=patch,
    )
    _echo_summary(str(model_path), result.audit, result.reactions, METABOLITE_STATUSES)
    if dry_run:
        click.echo("dry run: nothing written")
        return
    written = _patched(document, result.plan) if patch else result.model
    if in_place:
        shutil.copy2(model_path, backup)
        click.echo(f"backup:          {backup}")
        _write_outputs(written, result.audit, result.reactions, outputs, overwrite=True)
    else:
        _write_outputs(written, result.audit, result.reactions, outputs, overwrite, model_path)


# ---------------------------------------------------------------------- apply
@click.command("apply", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.argument(
    "audit_in", metavar="AUDIT", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Curated model; its suffix chooses the format [default: MODEL.curated.xml].",
)
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="New audit after curation [default: OUT.audit.tsv, or MODEL.curated.audit.tsv].",
)
@click.option(
    "--reactions",
    "reactions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Flagged reactions [default: OUT.reactions.tsv, or MODEL.curated.reactions.tsv].",
)
@click.option(
    "--add-xrefs",
    is_flag=True,
    help="Also annotate mapped metabolites with the catalogue's cross-references.",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="BiGG catalogue for --add-xrefs [default: the updated one, else the packaged one].",
)
@click.option("--dry-run", is_flag=True, help="Write nothing; print the summary only.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@handle_errors
def apply(
    model_path: Path,
    audit_in: Path,
    output: Path | None,
    audit_path: Path | None,
    reactions_path: Path | None,
    add_xrefs: bool,
    catalog_path: Path | None,
    dry_run: bool,
    overwrite: bool,
) -> None:
    """Apply a curator's edits of AUDIT's decision column to MODEL.

    MODEL is the model the audit was written for (the input of `metalign fix`).
    `accept` applies a row (its bigg_id may be edited), `reject` leaves the
    metabolite as it is, an empty decision leaves a proposal unapplied. An audit
    that does not fit MODEL (unknown or missing ids, a changed model) is refused.
    """
    from cobra_metalign.audit import apply_audit, read_audit
    from cobra_metalign.io import read_model_document, writes_sbml

    defaults = (
        output_paths(output, None) if output is not None else output_paths(model_path, "curated")
    )
    outputs = {
        "model": output or defaults["model"],
        "audit": audit_path or defaults["audit"],
        "reactions": reactions_path or defaults["reactions"],
    }
    if not dry_run:
        _check_outputs(outputs, [model_path, audit_in], overwrite)
    audit = read_audit(audit_in)
    model, document = read_model_document(model_path)
    patch = document is not None and writes_sbml(outputs["model"])
    catalog = _load_catalog(catalog_path) if add_xrefs else None
    new_model, new_audit, reactions = apply_audit(model, audit, add_xrefs=catalog, plan_only=patch)
    if patch and not dry_run:
        new_model = _patched(document, new_model)
    _echo_summary(str(model_path), new_audit, reactions, METABOLITE_STATUSES)
    decisions = audit["decision"].value_counts()
    click.echo(
        f"curator decisions: {int(decisions.get('accept', 0))} accept, "
        f"{int(decisions.get('reject', 0))} reject, {int(decisions.get('', 0))} open"
    )
    if dry_run:
        click.echo("dry run: nothing written")
        return
    _write_outputs(new_model, new_audit, reactions, outputs, overwrite, model_path)


# ---------------------------------------------------------------------- merge
@click.command("merge", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "model_paths",
    metavar="MODEL MODEL [MODEL ...]",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Merged model; its suffix chooses the format.",
)
@click.option(
    "--audit",
    "audit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Joint audit with a model column [default: OUTPUT.audit.tsv].",
)
@click.option(
    "--reactions",
    "reactions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Flagged reactions [default: OUTPUT.reactions.tsv].",
)
@click.option(
    "--harmonize-compartments",
    is_flag=True,
    help="Rename compartment ids to BiGG style first (c0 -> c, C_e -> e).",
)
@click.option(
    "--prefix-existing",
    metavar="PREFIX",
    help="Keep reactions whose id the merged model already has, prefixed with PREFIX "
    "[default: cobra skips them].",
)
@click.option(
    "--recheck",
    is_flag=True,
    help="Also run the matcher on both merged models and report the duplicates it finds.",
)
@_matcher_options
@click.option("--dry-run", is_flag=True, help="Write nothing; print the report only.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@handle_errors
def merge(
    model_paths: tuple[Path, ...],
    output: Path,
    audit_path: Path | None,
    reactions_path: Path | None,
    harmonize_compartments: bool,
    prefix_existing: str | None,
    recheck: bool,
    catalog_path: Path | None,
    encoder: str | None,
    adapter: Path | None,
    accept_review: bool,
    no_rename: bool,
    add_xrefs: bool,
    dry_run: bool,
    overwrite: bool,
) -> None:
    """Bring template models into one namespace, then merge them with cobra.

    Every MODEL is aligned to BiGG first (a pre-merge), so that cobra's merge
    joins the same compounds instead of duplicating them. Prints how many
    metabolites a plain cobra merge duplicates and how many remain.
    """
    from cobra_metalign.alignment import merge_models
    from cobra_metalign.io import read_model

    if len(model_paths) < 2:
        raise click.UsageError("merge needs at least two models")
    defaults = output_paths(output, None)
    outputs = {
        "model": output,
        "audit": audit_path or defaults["audit"],
        "reactions": reactions_path or defaults["reactions"],
    }
    if not dry_run:
        _check_outputs(outputs, list(model_paths), overwrite)
    models: dict[str, Any] = {}
    for path in model_paths:
        name, number = _stem(path), 2
        while name in models:
            name, number = f"{_stem(path)}#{number}", number + 1
        models[name] = read_model(path)
    catalog = _load_catalog(catalog_path)
    result = merge_models(
        models,
        catalog,
        _load_encoder(encoder, adapter),
        harmonize_compartments=harmonize_compartments,
        rename=not no_rename,
        accept_review=accept_review,
        add_xrefs=catalog if add_xrefs else False,
        model_id=_stem(output),
        prefix_existing=prefix_existing,
        recheck=recheck,
    )
    premerged = result.premerge
    counts = premerged.summary()
    click.echo(f"pre-merge of {len(models)} models (metabolites per status):")
    click.echo(counts.loc[list(METABOLITE_STATUSES)].to_string())
    report = result.report
    click.echo("merge report:")
    click.echo(report.to_string())
    plain = int(report.loc["plain", "duplicated_metabolites"])
    after = int(report.loc["premerged", "duplicated_metabolites"])
    click.echo(f"duplicated metabolites: {plain} with a plain cobra merge, {after} after pre-merge")
    if dry_run:
        click.echo("dry run: nothing written")
        return
    _write_outputs(result.model, premerged.audit, premerged.reactions, outputs, overwrite)


#: The commands this module adds to ``metalign``.
COMMANDS: tuple[click.Command, ...] = (fix, apply, merge)
