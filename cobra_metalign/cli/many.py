"""The ``metalign fix-many`` command: align many models on Dask.

A thin click wrapper over :func:`cobra_metalign.many.align_many`. Register it
with ``main.add_command(fix_many)``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import click

from cobra_metalign.cli.app import (
    CONTEXT_SETTINGS,
    decision_option,
    handle_errors,
    say,
    with_verbosity,
)
from cobra_metalign.cli.rewrite import matcher_options
from cobra_metalign.errors import EXIT_BAD_INPUT

logger = logging.getLogger(__name__)

__all__ = ["fix_many"]

#: Above this many inputs only the totals are printed (every row is in summary.tsv).
_MAX_ROWS_SHOWN = 100


def _echo_summary(summary: Any, outdir: Path) -> None:
    from cobra_metalign.schema import STATUSES

    skipped = int((summary["status"] == "skipped").sum())
    ok = summary[summary["status"] == "ok"]
    failed = summary[summary["status"] == "failed"]
    shown = [status for status in STATUSES if len(ok) and ok[status].sum() > 0]
    if 0 < len(summary) <= _MAX_ROWS_SHOWN:
        table = summary[["status", "metabolites", *shown]].astype(object)
        table = table.where(table.notna(), "-")
        table["seconds"] = summary["seconds"].map(lambda v: f"{v:.1f}")
        table.index.name = None
        say(table.to_string())
    totals = ", ".join(f"{status} {int(ok[status].sum())}" for status in shown)
    if skipped:
        say(f"{skipped} models skipped: their outputs exist (--resume)")
    say(
        f"{len(ok)} of {len(summary)} models aligned"
        + (f" ({int(ok['metabolites'].sum())} metabolites: {totals})" if len(ok) else "")
    )
    for name, row in failed.iterrows():
        say(f"FAILED {name} ({row['input']}): {row['error']}")
    attrs = summary.attrs
    workers = attrs.get("workers", 0)
    say(
        f"{len(summary)} models in {attrs.get('wall_seconds', 0.0):.1f} s with "
        f"{workers} worker{'' if workers == 1 else 's'} (cluster start {attrs.get('startup_seconds', 0.0):.1f}"
        f" s): {attrs.get('models_per_minute', 0.0):.1f} models per minute"
    )
    say(f"summary:         {outdir / 'summary.tsv'}")


_SCHEDULER = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[A-Za-z0-9_.\[\]:-]+:\d{1,5}/?$")


def _scheduler_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or _SCHEDULER.match(value.strip()):
        return value
    raise click.BadParameter(
        f"{value!r} is not a scheduler address such as tcp://host:8786", ctx, param
    )


@with_verbosity
@click.command("fix-many", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "inputs",
    metavar="INPUTS...",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder for the aligned models, audits and summary.tsv (created).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes of the local cluster, one thread each "
    "[default: the number of cores, at most one per model].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    callback=_scheduler_option,
    help="Run on an existing Dask cluster (tcp://host:8786) instead of a local one; "
    "its workers must see the input and output paths.",
)
@matcher_options
@decision_option
@click.option(
    "--format",
    "output_format",
    default="xml",
    type=click.Choice(["xml", "xml.gz", "json", "json.gz", "yml", "mat"]),
    help="Format of the aligned models.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option(
    "--resume",
    is_flag=True,
    help="Skip the models whose outputs exist and read back (an earlier, interrupted run); "
    "align the others.",
)
@handle_errors
def fix_many(
    inputs: tuple[Path, ...],
    outdir: Path,
    workers: int | None,
    scheduler: str | None,
    catalog_path: Path | None,
    encoder: str | None,
    adapter: Path | None,
    accept_review: bool,
    no_rename: bool,
    add_xrefs: bool,
    decision: Any,
    output_format: str,
    overwrite: bool,
    resume: bool,
) -> None:
    """Align many models on Dask, as `metalign fix` does one.

    Writes OUTDIR/<stem>.aligned.xml, <stem>.audit.tsv and <stem>.reactions.tsv
    per input (the same files `metalign fix` writes; two inputs with the same
    stem become <stem> and <stem>.2) and OUTDIR/summary.tsv with one row per
    input. Runs on a local cluster of --workers processes, or on the cluster at
    --scheduler. The catalogue (and encoder) is loaded once per worker.

    A model that fails is reported and the others go on. Exit code 0 when every
    model was aligned, 1 when any failed (see summary.tsv), 2 on usage errors.
    """
    from cobra_metalign.many import align_many

    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers and --scheduler exclude each other")
    summary = align_many(
        [str(path) for path in inputs],
        outdir,
        workers=workers,
        scheduler=scheduler,
        catalog=catalog_path,
        encoder=encoder,
        adapter=adapter,
        rename=not no_rename,
        output_format=output_format,
        overwrite=overwrite,
        resume=resume,
        accept_review=accept_review,
        add_xrefs=add_xrefs,
        decision=decision,
    )
    _echo_summary(summary, outdir)
    if (summary["status"] == "failed").any():
        click.get_current_context().exit(EXIT_BAD_INPUT)


#: The commands this module adds to ``metalign``.
