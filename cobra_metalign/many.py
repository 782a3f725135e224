"""Align many models at once on Dask (``dask.distributed``).

:func:`align_many` runs :func:`cobra_metalign.alignment.align` on every input model,
one task per model, on a local cluster of worker processes (one thread each) or
on an existing cluster. Each worker loads the BiGG catalogue (and the encoder,
when one is named) once and keeps it for all the models it aligns. Every model
is written exactly as ``metalign fix`` writes it (``<stem>.aligned.xml``,
``<stem>.audit.tsv``, ``<stem>.reactions.tsv``, atomically) into one output
folder, with a summary table ``summary.tsv``. A model that fails (unreadable,
an output that exists, a worker killed by running out of memory) becomes a
``failed`` row with its message; the others go on.

The files are the ones ``metalign fix`` writes for the same input, byte for byte,
except where cobra itself is not deterministic: the order of ``fbc:geneProduct``
and ``groups:member`` elements can differ between any two runs (of ``fix`` too)
for models whose genes come from notes or that have groups.

Workers of an existing cluster (``scheduler=``) must have cobra_metalign
installed and see the input and output paths (a shared file system).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cobra_metalign.io.model import FORMATS
from cobra_metalign.logs import summarise
from cobra_metalign.schema import STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

    from cobra_metalign.catalog.store import Catalog

logger = logging.getLogger(__name__)

__all__ = ["SUMMARY_COLUMNS", "SUMMARY_FILE", "align_many", "write_summary"]

#: Name of the summary table written into the output folder.
SUMMARY_FILE = "summary.tsv"

#: Columns of the frame :func:`align_many` returns (index: ``name``, the output stem).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "input",
    "status",
    "error",
    "model",
    "audit",
    "reactions",
    "metabolites",
    *STATUSES,
    "warnings",
    "seconds",
    "cpu_seconds",
)

#: Loggers whose records a task collects (instead of letting workers print them).
_CAPTURED_LOGGERS = ("cobra_metalign", "cobra")

# ------------------------------------------------------------ worker-side state
# Loaded on first use and kept as long as the worker process lives.
_CATALOGS: dict[str | None, Any] = {}
_ENCODERS: dict[tuple[str, str | None], Any] = {}
_STATE_LOCK = threading.Lock()
#: How many times this process loaded a catalogue for align_many tasks.
_CATALOG_LOADS = 0
#: How many times this process loaded an encoder for align_many tasks.
_ENCODER_LOADS = 0


@dataclass(frozen=True)
class _Job:
    """One model to align: its input file and the files to write."""

    name: str
    input: str
    model: str
    audit: str
    reactions: str
    #: replace this job's outputs (``--resume`` redoing an incomplete set)
    replace: bool = False


def _worker_catalog(spec: Any) -> Catalog:
    """The catalogue a task needs: a scattered object as is, a path (or None) loaded once."""
    global _CATALOG_LOADS
    if spec is not None and not isinstance(spec, str):
        return spec
    with _STATE_LOCK:
        if spec not in _CATALOGS:
            from cobra_metalign.catalog.store import load_catalog

            started = time.perf_counter()
            _CATALOGS[spec] = load_catalog(None if spec is None else Path(spec))
            _CATALOG_LOADS += 1
            logger.info(
                "Worker pid %d loaded the catalogue in %.1f s",
                os.getpid(),
                time.perf_counter() - started,
            )
        return _CATALOGS[spec]


def _worker_encoder(spec: Any, adapter: str | None) -> Any:
    """The encoder a task needs: None, a scattered object as is, or a name loaded once."""
    global _ENCODER_LOADS
    if spec is None or not isinstance(spec, str):
        return spec
    key = (spec, adapter)
    with _STATE_LOCK:
        if key not in _ENCODERS:
            from cobra_metalign.matching.encoder import load_encoder

            _ENCODERS[key] = load_encoder(spec, adapter)
            _ENCODER_LOADS += 1
        return _ENCODERS[key]


def _load_counts() -> dict[str, int]:
    """Catalogue and encoder loads made by :func:`align_many` tasks in this process."""
    return {"catalog": _CATALOG_LOADS, "encoder": _ENCODER_LOADS}


class _Collector(logging.Handler):
    """Keeps the WARNING+ records of one thread (the task's)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            try:
                self.messages.append(record.getMessage())
            except Exception:  # a malformed log call must not fail the model
                self.messages.append(str(record.msg))


def _single_threaded_worker() -> bool:
    """True in a dask worker that runs one task at a time (local workers do)."""
    try:
        from distributed import get_worker

        return get_worker().state.nthreads == 1
    except (ImportError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def _collect_warnings() -> Iterator[list[str]]:
    """Collect the task's log warnings (and Python warnings, when the worker runs one thread)."""
    collector = _Collector()
    loggers = [logging.getLogger(name) for name in _CAPTURED_LOGGERS]
    for log in loggers:
        log.addHandler(collector)
    try:
        if _single_threaded_worker():
            # warnings.catch_warnings is process-wide: only safe with one task at a time.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                try:
                    yield collector.messages
                finally:
                    collector.messages.extend(f"{w.category.__name__}: {w.message}" for w in caught)
        else:
            yield collector.messages
    finally:
        for log in loggers:
            log.removeHandler(collector)


def _one_line(error: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(error)).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _align_task(
    job: _Job,
    catalog: Any,
    encoder: Any,
    adapter: str | None,
    rename: bool,
    overwrite: bool,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Align one model on a worker and write its outputs; never raises.

    ``catalog`` and ``encoder`` are specs (path strings or None) loaded once per
    worker, or objects the client scattered to every worker.
    """
    row: dict[str, Any] = {"name": job.name, "input": job.input, "status": "failed", "error": ""}
    messages: list[str] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        from cobra_metalign.alignment import align_for_output
        from cobra_metalign.cache import Output, check_output_path, write_outputs
        from cobra_metalign.io.model import (
            check_written_model,
            format_of,
            read_model_document,
            sbml_error_counts,
            write_model,
        )
        from cobra_metalign.rewrite.audit import write_audit, write_reactions

        with _collect_warnings() as messages:
            loaded_catalog = _worker_catalog(catalog)
            loaded_encoder = _worker_encoder(encoder, adapter)
            # The model's own time, not the one-off load of the catalogue.
            started, cpu_started = time.perf_counter(), time.process_time()
            source = Path(job.input)
            outputs = {
                "model": Path(job.model),
                "audit": Path(job.audit),
                "reactions": Path(job.reactions),
            }
            overwrite = overwrite or job.replace
            for label, path in outputs.items():
                check_output_path(path, label=label, inputs=[source], overwrite=overwrite)
            model, document = read_model_document(source)
            known = source if document is None else sbml_error_counts(document)
            # as `metalign fix` does: SBML to SBML patches the input's own document
            result, written = align_for_output(
                model,
                document,
                format_of(outputs["model"]),
                loaded_catalog,
                loaded_encoder,
                rename=rename,
                **options,
            )
            # all three files or none; the SBML is read back before it is moved into place
            write_outputs(
                [
                    Output(
                        outputs["model"],
                        lambda tmp: write_model(written, tmp, overwrite=True),
                        label="model",
                        check=functools.partial(check_written_model, baseline=known),
                        replace=overwrite,
                    ),
                    Output(
                        outputs["audit"],
                        lambda tmp: write_audit(result.audit, tmp),
                        label="audit",
                        replace=overwrite,
                    ),
                    Output(
                        outputs["reactions"],
                        lambda tmp: write_reactions(result.reactions, tmp),
                        label="reactions table",
                        replace=overwrite,
                    ),
                ]
            )
            counts = result.summary()
        row.update(
            status="ok",
            model=job.model,
            audit=job.audit,
            reactions=job.reactions,
            metabolites=len(result.audit),
            **{status: int(counts.get(status, 0)) for status in STATUSES},
        )
    except Exception as error:  # one model's failure must not stop the others
        row["error"] = _one_line(error)
        logger.debug("%s failed", job.input, exc_info=True)
    row["warnings"] = list(messages)
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["cpu_seconds"] = round(time.process_time() - cpu_started, 3)
    return row


# ------------------------------------------------------------------ client side
def _model_suffix(output_format: str) -> str:
    fmt = output_format.lower().lstrip(".")
    base = fmt[:-3] if fmt.endswith(".gz") else fmt
    if f".{base}" not in FORMATS:
        raise ValueError(
            f"unknown output_format {output_format!r}; use one of "
            f"{', '.join(s.lstrip('.') for s in FORMATS)}, optionally followed by .gz"
        )
    return fmt


def _plan(inputs: Iterable[str | os.PathLike[str]], outdir: Path, suffix: str) -> list[_Job]:
    """One job per input, with output stems made unique (``model``, ``model.2``...)."""
    from cobra_metalign.io.model import model_stem

    jobs: list[_Job] = []
    taken: set[str] = set()
    for raw in inputs:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        base = model_stem(path)
        name, number = base, 2
        while name.lower() in taken:
            name, number = f"{base}.{number}", number + 1
        taken.add(name.lower())
        jobs.append(
            _Job(
                name=name,
                input=str(path),
                model=str(outdir / f"{name}.aligned.{suffix}"),
                audit=str(outdir / f"{name}.audit.tsv"),
                reactions=str(outdir / f"{name}.reactions.tsv"),
            )
        )
    return jobs


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _failed_row(job: _Job, error: BaseException) -> dict[str, Any]:
    return {
        "name": job.name,
        "input": job.input,
        "status": "failed",
        "error": _one_line(error),
        "warnings": [],
        "seconds": float("nan"),
        "cpu_seconds": float("nan"),
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["name", *SUMMARY_COLUMNS])
    frame["warnings"] = frame["warnings"].map(len).astype("int64")
    for column in ("metabolites", *STATUSES):
        frame[column] = frame[column].astype("Int64")
    for column in ("error", "model", "audit", "reactions"):
        frame[column] = frame[column].fillna("").astype(str)
    frame[["seconds", "cpu_seconds"]] = frame[["seconds", "cpu_seconds"]].astype(float)
    return frame.set_index("name")[list(SUMMARY_COLUMNS)]


def write_summary(summary: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the summary of :func:`align_many` as TSV, atomically.

    Parameters
    ----------
    summary : pandas.DataFrame
        The frame :func:`align_many` returns.
    path : path-like
        The file to write.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from cobra_metalign.cache import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        summary.to_csv(tmp, sep="\t", na_rep="", lineterminator="\n")
    return path


def _same_path(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return first.samefile(second)
    except OSError:
        pass
    return first.resolve() == second.resolve()


def _check_plan(jobs: list[_Job], inputs: list[Path]) -> None:
    """Refuse a plan in which an output of one job is an input (of any job)."""
    from cobra_metalign.errors import ModelWriteError

    for job in jobs:
        for output in (job.model, job.audit, job.reactions):
            for source in inputs:
                if _same_path(Path(output), source):
                    raise ModelWriteError(
                        f"refusing to run: the output {output} (of {job.input}) is the input "
                        f"{source}; choose another output folder"
                    )


def _finished_row(job: _Job) -> dict[str, Any] | None:
    """The summary row of a job whose three outputs exist and read back, else None."""
    from cobra_metalign.errors import MetalignError
    from cobra_metalign.rewrite.audit import read_audit, read_reactions

    paths = [Path(job.model), Path(job.audit), Path(job.reactions)]
    if not all(path.is_file() and path.stat().st_size > 0 for path in paths):
        return None
    try:
        audit = read_audit(job.audit)
        reactions = read_reactions(job.reactions)
    except MetalignError:
        return None
    counts = {
        **audit["status"].value_counts().to_dict(),
        **reactions["status"].value_counts().to_dict(),
    }
    return {
        "name": job.name,
        "input": job.input,
        "status": "skipped",
        "error": "",
        "model": job.model,
        "audit": job.audit,
        "reactions": job.reactions,
        "metabolites": len(audit),
        **{status: int(counts.get(status, 0)) for status in STATUSES},
        "warnings": [],
        "seconds": 0.0,
        "cpu_seconds": 0.0,
    }


def _write_summary_once(summary: pd.DataFrame, path: Path, replace: bool) -> None:
    """Write summary.tsv; without ``replace`` a file that appeared during the run is kept."""
    from cobra_metalign.cache import Output, write_outputs

    write_outputs(
        [
            Output(
                path,
                lambda tmp: summary.to_csv(tmp, sep="\t", na_rep="", lineterminator="\n"),
                label="summary",
                replace=replace,
            )
        ]
    )


def _default_workers(n_inputs: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n_inputs))


def _run(
    client: Client,
    jobs: list[_Job],
    catalog: Any,
    encoder: Any,
    adapter: str | None,
    rename: bool,
    overwrite: bool,
    options: dict[str, Any],
) -> list[dict[str, Any]]:
    from distributed import as_completed

    # Objects (a Catalog, a NameEncoder) go to every worker once, not with every task.
    if catalog is not None and not isinstance(catalog, str):
        catalog = client.scatter(catalog, broadcast=True, hash=False)
    if encoder is not None and not isinstance(encoder, str):
        encoder = client.scatter(encoder, broadcast=True, hash=False)
    futures = {}
    for job in jobs:
        future = client.submit(
            _align_task,
            job,
            catalog,
            encoder,
            adapter,
            rename,
            overwrite,
            options,
            key=f"metalign-{job.name}-{os.urandom(4).hex()}",
            priority=_size(job.input),  # largest models first: shorter tail
            pure=False,
        )
        futures[future] = job
    rows: dict[str, dict[str, Any]] = {}
    for done, future in enumerate(as_completed(futures), start=1):
        job = futures[future]
        try:
            row = future.result()
        except Exception as error:  # e.g. KilledWorker: the worker died (out of memory)
            row = _failed_row(job, error)
        rows[job.name] = row
        for message in row["warnings"]:
            logger.debug("%s: %s", job.name, message)
        summary_lines = summarise(row["warnings"])
        if summary_lines:
            logger.info("%s: %s", job.name, "\n".join(summary_lines))
        if row["status"] == "ok":
            logger.info("[%d/%d] %s: ok in %.1f s", done, len(jobs), job.name, row["seconds"])
        else:
            logger.warning("[%d/%d] %s failed: %s", done, len(jobs), job.name, row["error"])
    return [rows[job.name] for job in jobs]


#: Seconds a local worker process gets to stop before it is killed. Dask's own
#: close gives it 4 s, which a loaded machine exceeds ("Worker process still
#: alive after 4.0 seconds, killing").
_WORKER_CLOSE_SECONDS = 60.0


def _close_local_workers(cluster: Any) -> None:
    """Stop the workers of a local cluster one by one, patiently, before the cluster closes."""
    import asyncio

    nannies = [n for n in getattr(cluster, "workers", {}).values() if hasattr(n, "close")]

    async def close_all() -> None:
        await asyncio.gather(
            *(nanny.close(timeout=_WORKER_CLOSE_SECONDS) for nanny in nannies),
            return_exceptions=True,
        )

    started = time.perf_counter()
    try:
        cluster.sync(close_all)
    except Exception:  # noqa: BLE001 - the cluster's own close still follows
        logger.debug("Closing the local workers failed", exc_info=True)
    logger.debug("Local workers closed in %.1f s", time.perf_counter() - started)


def _connect(
    stack: contextlib.ExitStack, scheduler: str | Client | None, workers: int
) -> tuple[Client, int]:
    """A client: on a new local cluster (closed with ``stack``), a scheduler address, or as given."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        # No dashboard: it would claim a port; start your own cluster to watch one.
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        )
        client = stack.enter_context(Client(cluster))
        # Runs first on exit: the workers stop before the client and cluster close.
        stack.callback(_close_local_workers, cluster)
    elif isinstance(scheduler, str):
        client = stack.enter_context(Client(scheduler))
    else:
        client = scheduler
    return client, len(client.nthreads())


def align_many(
    inputs: Iterable[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | Client | None = None,
    catalog: Catalog | str | os.PathLike[str] | None = None,
    encoder: Any = None,
    adapter: str | os.PathLike[str] | None = None,
    rename: bool = True,
    output_format: str = "xml",
    overwrite: bool = False,
    resume: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Align every input model on Dask and write one aligned model and audit per input.

    Each model is read, aligned and written by one task, exactly as
    ``metalign fix`` does it; the outputs are the same files. The catalogue and
    encoder are loaded once per worker process.

    Parameters
    ----------
    inputs : iterable of path-like
        Model files (any format :func:`cobra_metalign.io.model.read_model` reads).
    outdir : path-like
        Output folder (created). Per input ``<stem>``: ``<stem>.aligned.xml``,
        ``<stem>.audit.tsv`` and ``<stem>.reactions.tsv``; two inputs with the
        same stem become ``<stem>`` and ``<stem>.2``. Plus ``summary.tsv``.
    workers : int, optional
        Worker processes of the local cluster, one thread each (default: the
        number of usable cores, at most one per input). Not with ``scheduler``.
    scheduler : str or distributed.Client, optional
        Address of an existing scheduler (``tcp://host:8786``), or a connected
        client, to run on instead of a local cluster. Its workers must see the
        input and output paths. A cluster or client given here is not closed.
    catalog : Catalog or path-like, optional
        The BiGG catalogue: a file (loaded by each worker), a Catalog (sent once
        to each worker), or None for the default one
        (:func:`cobra_metalign.catalog.store.load_catalog`).
    encoder : str, path-like or NameEncoder, optional
        ``"minilm"``, an encoder folder (loaded by each worker) or a NameEncoder
        (sent once to each worker). Default: no encoder.
    adapter : path-like, optional
        LoRA adapter folder for a named encoder (MiniLM when ``encoder`` is None).
    rename : bool, optional
        Rename accepted metabolites to ``{bigg_id}_{compartment}`` (default), or
        only annotate them.
    output_format : str, optional
        Suffix of the aligned models: ``xml`` (default), ``sbml``, ``json``,
        ``yml``, ``yaml`` or ``mat``, optionally followed by ``.gz``.
    overwrite : bool, optional
        Replace existing outputs; without it a model whose outputs exist fails,
        and an existing ``summary.tsv`` stops the run before it starts.
    resume : bool, optional
        Skip the models whose three outputs exist and read back (status
        ``skipped``, counts from their audit); redo the others, replacing an
        incomplete set. ``summary.tsv`` is then replaced.
    **options
        Passed to :func:`cobra_metalign.alignment.align` (``accept_review``,
        ``add_xrefs``, matcher options).

    Returns
    -------
    pandas.DataFrame
        One row per input in input order, indexed by ``name`` (the output stem):
        ``input``, ``status`` (``ok`` or ``failed``), ``error`` (one line),
        ``model``, ``audit``, ``reactions`` (written files; empty when failed),
        ``metabolites``, the number of metabolites and flagged reactions per
        audit status (``KEPT`` ... ``REACTION_DUPLICATE``; missing when failed),
        ``warnings`` (number of warnings while aligning that model; counted per
        kind at INFO level, each one at DEBUG), ``seconds`` and ``cpu_seconds`` (wall and CPU
        time of reading, aligning and writing that model on its worker). ``attrs``
        hold ``workers``, ``wall_seconds`` (all of it, cluster start included),
        ``startup_seconds`` and ``models_per_minute`` (inputs per minute of wall
        time, cluster start-up excluded).

    Raises
    ------
    ValueError
        Unknown ``output_format``, ``workers`` below 1, or ``workers`` given
        with ``scheduler``.
    TypeError
        ``inplace`` or ``matches`` among the options (they make no sense here).

    Notes
    -----
    Local workers are started with the ``spawn`` method: a script that calls
    ``align_many`` must guard its entry point with ``if __name__ == "__main__":``.

    Examples
    --------
    >>> summary = align_many(["a.xml", "b.json"], "aligned", workers=2)  # doctest: +SKIP
    >>> summary[["status", "RENAMED", "MERGED"]]  # doctest: +SKIP
    """
    suffix = _model_suffix(output_format)
    for name in ("inplace", "matches"):
        if name in options:
            raise TypeError(f"align_many reads every model from its file; {name} does not apply")
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers (a local cluster) or scheduler, not both")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    outdir = Path(os.path.abspath(Path(outdir).expanduser()))
    inputs = [Path(os.path.abspath(Path(raw).expanduser())) for raw in inputs]
    jobs = _plan(inputs, outdir, suffix)
    _check_plan(jobs, inputs)
    summary_path = outdir / SUMMARY_FILE
    if os.path.lexists(summary_path) and not (overwrite or resume):
        from cobra_metalign.errors import ModelWriteError

        raise ModelWriteError(
            f"{summary_path} already exists (an earlier run); pass --resume to go on with "
            "that run or --overwrite to replace it"
        )
    if outdir.exists() and not outdir.is_dir():
        from cobra_metalign.errors import ModelWriteError

        raise ModelWriteError(f"cannot use the output folder {outdir}: it is a file")
    skipped: dict[str, dict[str, Any]] = {}
    if resume:
        pending = []
        for job in jobs:
            row = _finished_row(job)
            if row is not None:
                skipped[job.name] = row
                continue
            partial = any(os.path.lexists(p) for p in (job.model, job.audit, job.reactions))
            pending.append(dataclasses.replace(job, replace=partial) if partial else job)
        logger.info("Resuming: %d of %d models already done.", len(skipped), len(jobs))
    else:
        pending = list(jobs)
    outdir.mkdir(parents=True, exist_ok=True)
    if isinstance(catalog, (str, os.PathLike)):
        catalog = os.path.abspath(Path(catalog).expanduser())
    if isinstance(encoder, os.PathLike) or (isinstance(encoder, str) and encoder != "minilm"):
        encoder = os.path.abspath(Path(encoder).expanduser())
    adapter_path = None if adapter is None else os.path.abspath(Path(adapter).expanduser())
    if adapter_path is not None and encoder is None:
        encoder = "minilm"

    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    n_workers = 0
    startup = 0.0
    if pending:
        with contextlib.ExitStack() as stack:
            client, n_workers = _connect(
                stack, scheduler, workers or _default_workers(len(pending))
            )
            startup = time.perf_counter() - started
            logger.info("Cluster of %d workers ready in %.1f s", n_workers, startup)
            rows = _run(client, pending, catalog, encoder, adapter_path, rename, overwrite, options)
    done = {row["name"]: row for row in rows}
    rows = [skipped.get(job.name) or done[job.name] for job in jobs]
    wall = time.perf_counter() - started
    summary = _frame(rows)
    working = wall - startup
    summary.attrs.update(
        workers=n_workers,
        wall_seconds=round(wall, 3),
        startup_seconds=round(startup, 3),
        models_per_minute=round(60.0 * len(jobs) / working, 3) if working > 0 and jobs else 0.0,
    )
    _write_summary_once(summary, summary_path, replace=overwrite or resume)
    failed = int((summary["status"] == "failed").sum()) if len(summary) else 0
    logger.info(
        "Aligned %d of %d models in %.1f s (%d failed)", len(jobs) - failed, len(jobs), wall, failed
    )
    return summary
