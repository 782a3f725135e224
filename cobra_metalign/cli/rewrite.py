"""The ``metalign fix``, ``metalign apply`` and ``metalign merge`` commands.

Thin click wrappers over :func:`cobra_metalign.alignment.align`,
:func:`cobra_metalign.rewrite.audit.apply_audit` and
:func:`cobra_metalign.alignment.merge_models`. Output files go next to the input by
default (``model.aligned.xml``, ``model.audit.tsv``, ``model.reactions.tsv``);
nothing existing is replaced without ``--overwrite``, and the input model only
with ``fix --in-place``, which keeps a backup ``model.xml.bak``.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from cobra_metalign.cli.app import (
    CONTEXT_SETTINGS,
    decision_option,
    handle_errors,
    make_encoder,
    say,
    with_verbosity,
)
from cobra_metalign.errors import ModelWriteError
from cobra_metalign.rewrite.audit import write_audit
from cobra_metalign.schema import METABOLITE_STATUSES, REACTION_STATUSES

logger = logging.getLogger(__name__)

__all__ = ["fix", "apply", "merge", "output_paths"]

_MODEL_SUFFIXES = (".xml", ".sbml", ".json", ".yml", ".yaml", ".mat")


# ---------------------------------------------------------------------- helpers
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
    from cobra_metalign.io.model import model_stem

    stem = model_stem(model_path)
    table_stem = stem if tag in (None, "aligned") else f"{stem}.{tag}"
    model_name = f"{stem}.{tag}.xml" if tag else f"{stem}.xml"
    return {
        "model": model_path.with_name(model_name),
        "audit": model_path.with_name(f"{table_stem}.audit.tsv"),
        "reactions": model_path.with_name(f"{table_stem}.reactions.tsv"),
    }


def _model_suffix_ok(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return any(name.endswith(suffix) for suffix in _MODEL_SUFFIXES)


def _check_outputs(
    outputs: dict[str, Path],
    inputs: Iterable[Path],
    overwrite: bool,
    replace: Iterable[str] = (),
) -> None:
    """Refuse before any work: an output onto an input, one path twice, an existing file,
    an unknown model suffix, a folder that cannot be written or a parent that is a file.

    ``replace`` names the outputs that replace a file on purpose (``--in-place``).
    """
    from cobra_metalign.cache import check_output_path

    inputs = list(inputs)
    replace = set(replace)
    seen: dict[Path, str] = {}
    for label, path in outputs.items():
        resolved = path.expanduser().resolve()
        if resolved in seen:
            raise click.UsageError(f"the {label} and {seen[resolved]} outputs are both {path}")
        seen[resolved] = label
        if label == "model" and not _model_suffix_ok(path):
            raise ModelWriteError(
                f"cannot write the model {path}: unknown format suffix; use .xml, .sbml, "
                ".json, .yml, .yaml or .mat, optionally followed by .gz"
            )
        if label == "backup" and path.exists():
            raise ModelWriteError(
                f"the backup {path} already exists and is never replaced, even with "
                "--overwrite; move it away first"
            )
        check_output_path(
            path,
            label=label,
            inputs=[] if label in replace else inputs,
            overwrite=overwrite or label in replace,
        )
        if label == "model" and label in replace and not os.access(path.parent, os.W_OK):
            raise ModelWriteError(f"cannot replace {path}: its folder is not writable")


def _load_catalog(path: Path | None) -> Any:
    from cobra_metalign.catalog.store import load_catalog

    return load_catalog(path)


def _encoder_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or value == "minilm" or Path(value).expanduser().is_dir():
        return value
    raise click.BadParameter(f"{value!r} is neither 'minilm' nor a model folder", ctx, param)


def _echo_summary(
    title: str, audit: pd.DataFrame, reactions: pd.DataFrame, statuses: Iterable[str]
) -> None:
    counts = audit["status"].value_counts()
    say(f"{title}: {len(audit)} metabolites")
    for status in statuses:
        if counts.get(status, 0):
            say(f"  {status:<10} {int(counts[status]):>6}")
    merged = audit[audit["status"] == "MERGED"]
    if len(merged):
        survivors = merged["new_id"].nunique()
        say(f"merged {len(merged)} duplicates into {survivors} metabolites")
    flagged = reactions["status"].value_counts() if len(reactions) else {}
    parts = [
        f"{status} {int(flagged[status])}" for status in REACTION_STATUSES if status in flagged
    ]
    say(f"flagged reactions: {len(reactions)}" + (f" ({', '.join(parts)})" if parts else ""))


def matcher_options(func: Any) -> Any:
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


def _write_outputs(
    held: list[Any],
    audit: pd.DataFrame,
    reactions: pd.DataFrame,
    outputs: dict[str, Path],
    overwrite: bool,
    input_path: Path | None = None,
    in_place: bool = False,
    baseline: Any = None,
) -> None:
    """Write the model, audit and reactions (and the --in-place backup) all-or-nothing.

    ``held``: a one-item list with the model to write (a cobra model or a patched
    document). It is taken out of the list once written, so that, when the caller
    holds no other reference, its memory is freed before the written SBML is read
    back (a second document of the carveme universe takes 1 GB). ``baseline``: the
    input document's own libsbml errors (:func:`cobra_metalign.io.model.sbml_baseline`),
    which the read-back tolerates.

    Each file goes to a hidden temporary file first; the SBML model is read back
    with libsbml; only when every file is ready are they moved into place
    (see :func:`cobra_metalign.cache.write_outputs`).
    """
    from cobra_metalign.cache import Output, write_outputs
    from cobra_metalign.io.model import check_written_model, write_model
    from cobra_metalign.rewrite.audit import write_reactions

    def write_and_release(tmp: Path) -> None:
        write_model(held.pop(), tmp, overwrite=True)
        gc.collect()  # a cobra model is full of reference cycles

    items: list[Output] = []
    mode = None
    if in_place and input_path is not None:
        mode = stat.S_IMODE(input_path.stat().st_mode)
        source = input_path
        items.append(
            Output(outputs["backup"], lambda tmp: shutil.copy2(source, tmp), label="backup")
        )
    items += [
        Output(
            outputs["model"],
            write_and_release,
            label="model",
            check=functools.partial(
                check_written_model, baseline=input_path if baseline is None else baseline
            ),
            replace=overwrite or in_place,
            mode=mode,
        ),
        Output(
            outputs["audit"], lambda tmp: write_audit(audit, tmp), label="audit", replace=overwrite
        ),
        Output(
            outputs["reactions"],
            lambda tmp: write_reactions(reactions, tmp),
            label="reactions table",
            replace=overwrite,
        ),
    ]
    write_outputs(items)
    if in_place:
        say(f"backup:          {outputs['backup']}")
    say(f"wrote model:     {outputs['model']}")
    say(f"wrote audit:     {outputs['audit']}")
    say(f"wrote reactions: {outputs['reactions']}")


def _fix_outputs(
    model_path: Path, output_format: str | None, catalog_path: Path | None, **options: Any
) -> tuple[list[Any], pd.DataFrame, pd.DataFrame, Any]:
    """Read and align ``model_path`` for ``fix``.

    Returns what to write (held in a list, see :func:`_write_outputs`), the audit,
    the flagged reactions and the read-back baseline. The cobra model and the
    matches are not returned: nothing but the written object keeps them alive.
    """
    from cobra_metalign.alignment import align_for_output
    from cobra_metalign.io.model import read_model_document, sbml_baseline

    model, document = read_model_document(model_path)
    known = None if document is None else sbml_baseline(document)
    catalog = _load_catalog(catalog_path)
    encoder = make_encoder(options.pop("encoder"), options.pop("adapter"))
    if options.pop("add_xrefs"):
        options["add_xrefs"] = catalog
    result, written = align_for_output(model, document, output_format, catalog, encoder, **options)
    _echo_summary(str(model_path), result.audit, result.reactions, METABOLITE_STATUSES)
    return [written], result.audit, result.reactions, known


# ------------------------------------------------------------------------ fix
@with_verbosity
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
@matcher_options
@decision_option
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
    decision: Any,
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
    from cobra_metalign.io.model import format_of

    if in_place and output is not None:
        raise click.UsageError("--in-place and --output exclude each other")
    # the tables go beside the corrected model: next to -o when given, else next to MODEL
    defaults = output_paths(output, None) if output is not None else output_paths(model_path)
    outputs = {
        "model": model_path if in_place else (output or defaults["model"]),
        "audit": audit_path or defaults["audit"],
        "reactions": reactions_path or defaults["reactions"],
    }
    if in_place:
        outputs["backup"] = model_path.with_name(model_path.name + ".bak")
    if not dry_run:
        _check_outputs(outputs, [model_path], overwrite, replace=("model",) if in_place else ())
    held, audit, reactions, known = _fix_outputs(
        model_path,
        format_of(outputs["model"]),
        catalog_path,
        encoder=encoder,
        adapter=adapter,
        rename=not no_rename,
        accept_review=accept_review,
        add_xrefs=add_xrefs,
        decision=decision,
    )
    if dry_run:
        say("dry run: nothing written")
        return
    _write_outputs(held, audit, reactions, outputs, overwrite, model_path, in_place, known)


# ---------------------------------------------------------------------- apply
@with_verbosity
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
    help="BiGG catalogue that accepted bigg_ids are checked against (and --add-xrefs uses) "
    "[default: the updated one, else the packaged one].",
)
@click.option(
    "--allow-unknown-ids",
    is_flag=True,
    help="Apply accepted bigg_ids that are not in the catalogue (still valid SBML ids only).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply accepted mappings and merges whose formulas differ in heavy atoms.",
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
    allow_unknown_ids: bool,
    force: bool,
    dry_run: bool,
    overwrite: bool,
) -> None:
    """Apply a curator's edits of AUDIT's decision column to MODEL.

    MODEL is the model the audit was written for (the input of `metalign fix`).
    `accept` applies a row (its bigg_id may be edited), `reject` leaves the
    metabolite as it is, an empty decision leaves a proposal unapplied. An audit
    that does not fit MODEL (unknown or missing ids, a changed model) is refused.
    """
    from cobra_metalign.io.model import format_of, read_model_document, sbml_baseline
    from cobra_metalign.rewrite.audit import apply_audit, read_audit

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
    known = None if document is None else sbml_baseline(document)
    patch = document is not None and format_of(outputs["model"]) == "sbml"
    catalog = _load_catalog(catalog_path)
    new_model, new_audit, reactions = apply_audit(
        model,
        audit,
        add_xrefs=catalog if add_xrefs else None,
        plan_only=patch,
        catalog=catalog,
        allow_unknown_ids=allow_unknown_ids,
        force=force,
    )
    if patch and not dry_run:
        from cobra_metalign.rewrite.sbml import keep_input_bytes, patch_document

        new_model = patch_document(document, new_model)
        keep_input_bytes(new_model)
    _echo_summary(str(model_path), new_audit, reactions, METABOLITE_STATUSES)
    decisions = audit["decision"].value_counts()
    say(
        f"curator decisions: {int(decisions.get('accept', 0))} accept, "
        f"{int(decisions.get('reject', 0))} reject, {int(decisions.get('', 0))} open"
    )
    if dry_run:
        say("dry run: nothing written")
        return
    held = [new_model]
    del new_model, model, document  # freed before the read-back
    _write_outputs(held, new_audit, reactions, outputs, overwrite, model_path, baseline=known)


def _say_premerge(premerged: Any, n_models: int) -> None:
    """Print the pre-merge tables: statuses, compartments, formula vetoes, joins."""
    say(f"pre-merge of {n_models} models (metabolites per status):")
    say(premerged.summary().to_string())
    compartments = premerged.compartment_table
    say("compartments:")
    say(compartments.to_string(index=False) if len(compartments) else "  (none)")
    separate = compartments[compartments["status"].isin(["unmapped", "kept"])]
    if len(separate):
        say(f"compartments left separate: {len(separate)} (see the table)")
    vetoes = {name: ids for name, ids in premerged.formula_vetoes.items() if ids}
    if vetoes:
        say(
            "not merged (other heavy-atom formula), left for review: "
            + "; ".join(f"{name}: {', '.join(ids)}" for name, ids in vetoes.items())
        )
    joins = premerged.joins
    joined = int((joins["verdict"] == "joined").sum()) if len(joins) else 0
    say(f"cross-model joins: {joined} pairs joined, {len(joins) - joined} not")


def _say_merge(result: Any) -> None:
    """Print the merge report: reactions, duplicate groups, growth and energy check."""
    kinds = result.reaction_table["kind"].value_counts()
    say(
        "reactions: "
        + ", ".join(
            f"{kind} {int(kinds.get(kind, 0))}" for kind in ("kept", "added", "joined", "renamed")
        )
    )
    report = result.report
    say("merge report:")
    say(report.to_string())
    say(
        "duplicate groups (same compartment and the same bigg.metabolite, inchikey, metanetx or "
        f"seed id, or the same name and formula): {int(report.loc['plain', 'detected_groups'])} "
        f"with a plain cobra merge, {int(report.loc['premerged', 'detected_groups'])} "
        "after pre-merge"
    )
    duplicates = result.duplicates
    say(f"duplicate groups left: {len(duplicates)}")
    if len(duplicates):
        say(duplicates[["members", "reason"]].to_string(index=False, max_colwidth=90))
    if len(result.sanity):
        _say_sanity(result.sanity)


def _say_sanity(sanity: pd.DataFrame) -> None:
    say("sanity (growth; ATP made with every uptake closed):")
    say(sanity.to_string(max_colwidth=60))
    if bool(sanity["energy_cycle"].iloc[-1]):
        inputs = [str(n) for n, has in sanity["energy_cycle"].iloc[:-1].items() if has]
        say(
            "warning: the merged model has an energy-generating cycle ("
            + (f"also in {', '.join(inputs)}" if inputs else "no input has one")
            + "); reactions carrying it: "
            + str(sanity["cycle_reactions"].iloc[-1])
        )


# ---------------------------------------------------------------------- merge
@with_verbosity
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
    "--harmonize-compartments/--keep-compartments",
    default=True,
    show_default=True,
    help="Give each compartment its BiGG-style id first (c0, C_c, [c], Cytosol -> c); "
    "a compartment that cannot be read stays separate and is reported.",
)
@click.option(
    "--no-join",
    is_flag=True,
    help="Do not match metabolites left without a BiGG id across the models.",
)
@click.option(
    "--no-energy-check",
    is_flag=True,
    help="Skip the growth and energy-generating-cycle check.",
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
@matcher_options
@decision_option
@click.option("--dry-run", is_flag=True, help="Write nothing; print the report only.")
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@handle_errors
def merge(
    model_paths: tuple[Path, ...],
    output: Path,
    audit_path: Path | None,
    reactions_path: Path | None,
    harmonize_compartments: bool,
    no_join: bool,
    no_energy_check: bool,
    prefix_existing: str | None,
    recheck: bool,
    catalog_path: Path | None,
    encoder: str | None,
    adapter: Path | None,
    accept_review: bool,
    no_rename: bool,
    add_xrefs: bool,
    decision: Any,
    dry_run: bool,
    overwrite: bool,
) -> None:
    """Bring template models into one namespace, then merge them.

    By default compartments are harmonized (c0, C_c -> c), every MODEL is aligned
    to BiGG, metabolites left without a BiGG id are matched across the models,
    reactions with the same stoichiometry become one, and reactions sharing an id
    but not a stoichiometry are both kept. Prints the tables below and writes
    each beside OUTPUT (OUTPUT.report.tsv, .statuses.tsv, .compartments.tsv,
    .joins.tsv, .reaction_joins.tsv, .duplicates.tsv, .sanity.tsv).
    """
    from cobra_metalign.alignment import merge_models
    from cobra_metalign.io.model import model_stem, read_model

    if len(model_paths) < 2:
        raise click.UsageError("merge needs at least two models")
    defaults = output_paths(output, None)
    outputs = {
        "model": output,
        "audit": audit_path or defaults["audit"],
        "reactions": reactions_path or defaults["reactions"],
    }
    stem = model_stem(output)
    tables = {
        name: output.with_name(f"{stem}.{name}.tsv")
        for name in (
            "report",
            "statuses",
            "compartments",
            "joins",
            "reaction_joins",
            "duplicates",
            "sanity",
        )
    }
    if not dry_run:
        _check_outputs({**outputs, **tables}, list(model_paths), overwrite)
    models: dict[str, Any] = {}
    for path in model_paths:
        name, number = model_stem(path), 2
        while name in models:
            name, number = f"{model_stem(path)}#{number}", number + 1
        models[name] = read_model(path)
    catalog = _load_catalog(catalog_path)
    result = merge_models(
        models,
        catalog,
        make_encoder(encoder, adapter),
        harmonize_compartments=harmonize_compartments,
        join=not no_join,
        rename=not no_rename,
        accept_review=accept_review,
        add_xrefs=catalog if add_xrefs else False,
        model_id=model_stem(output),
        prefix_existing=prefix_existing,
        recheck=recheck,
        check_energy=not no_energy_check,
        decision=decision,
    )
    _say_premerge(result.premerge, len(models))
    _say_merge(result)
    if dry_run:
        say("dry run: nothing written")
        return
    premerged = result.premerge
    _write_outputs([result.model], premerged.audit, premerged.reactions, outputs, overwrite)
    for name, frame in result.tables().items():
        keep_index = name in ("report", "statuses", "sanity")
        frame.to_csv(tables[name], sep="\t", index=keep_index)
        say(f"wrote {name}: {tables[name]}")


#: The commands this module adds to ``metalign``.
