"""The ``metalign`` command line.

A thin click layer over the library: every command calls public functions,
turns :class:`~cobra_metalign.errors.MetalignError` into one clear message on
stderr with exit code 1 (bad input), and leaves usage errors to click (exit 2).
``--debug`` shows the traceback instead. Logging is configured here only.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cobra_metalign._version import __version__
from cobra_metalign.errors import EXIT_BAD_INPUT, MetalignError
from cobra_metalign.logs import RepeatLimit, WarningSummary

logger = logging.getLogger(__name__)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True}


#: Loggers of the libraries metalign drives. Their warnings (cobra's SBML reader
#: warns once per reaction of an old model: thousands of lines) are counted per
#: kind and summarised at the end of the command, printed one per line only
#: with ``-vv``, and silenced with ``-q``. Errors are always printed.
FOREIGN_LOGGERS: tuple[str, ...] = ("cobra", "optlang", "distributed", "py.warnings")
#: The package's own warnings shown per kind before the rest are only counted.
_REPEATS_SHOWN = 5


def _package_level(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    if verbose == 1:
        return logging.INFO
    if verbose >= 2:
        return logging.DEBUG
    return logging.WARNING


def _route_foreign_loggers(
    verbose: int, quiet: bool, summary: logging.Handler
) -> list[tuple[logging.Logger, list[logging.Handler], int, bool]]:
    """Send the libraries' records to stderr (errors only, or all with ``-vv``) and
    their warnings to ``summary``; the previous state of each logger, to restore."""
    foreign_handler = logging.StreamHandler(sys.stderr)
    foreign_handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    if verbose < 2 or quiet:
        foreign_handler.setLevel(logging.ERROR)
    saved = []
    for name in FOREIGN_LOGGERS:
        log = logging.getLogger(name)
        saved.append((log, list(log.handlers), log.level, log.propagate))
        if quiet or verbose >= 2:
            log.handlers[:] = [foreign_handler]
        else:
            log.handlers[:] = [foreign_handler, summary]
        log.setLevel(logging.ERROR if quiet else logging.WARNING)
        log.propagate = False
    return saved


class _LoggingState:
    """The logging set up for one command: :meth:`report` the counted warnings, :meth:`close`."""

    def __init__(
        self,
        handler: logging.Handler,
        repeats: RepeatLimit,
        summary: WarningSummary,
        saved: list[tuple[logging.Logger, list[logging.Handler], int, bool]],
        warnings_context: Any,
    ) -> None:
        self._handler = handler
        self._repeats = repeats
        self._summary = summary
        self._saved = saved
        self._warnings_context = warnings_context
        self._closed = False

    def report(self) -> None:
        """Log the summaries of the counted warnings now (those counted later come at close)."""
        self._summary.report()
        lines = self._repeats.summary_lines()
        if lines:
            # printed once: the filter starts counting afresh
            self._repeats.seen.clear()
            self._repeats.examples.clear()
            self._handler.removeFilter(self._repeats)
            logging.getLogger("cobra_metalign").warning("\n".join(lines))
            self._handler.addFilter(self._repeats)

    def close(self, report: bool = True) -> None:
        """Report (unless told not to), then restore the previous logging state."""
        if self._closed:
            return
        self._closed = True
        try:
            if report:
                self.report()
            self._handler.removeFilter(self._repeats)
        finally:
            logging.captureWarnings(False)
            self._warnings_context.__exit__(None, None, None)
            for log, handlers, old_level, propagate in self._saved:
                log.handlers[:] = handlers
                log.setLevel(old_level)
                log.propagate = propagate

    def __call__(self) -> None:
        self.close()


def _configure_logging(verbose: int, quiet: bool) -> _LoggingState:
    """Set up the package's and the libraries' logging for one command.

    ``-q``: errors only, from every library, and no Python warnings. Default and
    ``-v``: the package at WARNING (INFO with ``-v``: progress of reading,
    matching, writing), the first five of each kind of its warnings shown and the
    rest counted; the libraries' warnings counted per kind and summarised once
    at the end. ``-vv``: DEBUG, and every library warning printed as it comes.

    Returns
    -------
    _LoggingState
        Called (or closed) when the command ends: reports the summary, then restores the
        previous logging state. :func:`handle_errors` reports it before an error message,
        so that the error is the last thing printed.
    """
    level = _package_level(verbose, quiet)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    repeats = RepeatLimit(_REPEATS_SHOWN)
    if verbose < 2:
        handler.addFilter(repeats)
    package_logger = logging.getLogger("cobra_metalign")
    package_logger.handlers[:] = [handler]
    package_logger.setLevel(level)
    package_logger.propagate = False
    summary = WarningSummary()
    saved = _route_foreign_loggers(verbose, quiet, summary)
    warnings_context = warnings.catch_warnings()
    warnings_context.__enter__()
    if quiet:
        warnings.simplefilter("ignore")
    else:
        logging.captureWarnings(True)
    return _LoggingState(handler, repeats, summary, saved, warnings_context)


def _set_verbosity(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Add a command's ``-v``/``-q`` to those given before it, and set logging up for the total.

    ``metalign -v fix M`` and ``metalign fix M -v`` mean the same; the counts add up
    (``metalign -v fix M -v`` is ``-vv``), and ``-q`` anywhere wins.
    """
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    total = (obj.get("verbose", 0) + verbose, bool(obj.get("quiet")) or quiet)
    state = obj.get("logging")
    if state is not None and total == (obj.get("verbose", 0), bool(obj.get("quiet"))):
        return
    if state is not None:
        state.close(report=False)
    else:
        # reported and restored when the command ends (also a command run without the group)
        root.call_on_close(functools.partial(_close_logging, obj))
    obj["verbose"], obj["quiet"] = total
    obj["logging"] = _configure_logging(*total)


def _close_logging(obj: dict[str, Any]) -> None:
    state = obj.get("logging")
    if state is not None:
        state.close()


def report_warnings() -> None:
    """Print the summary of the warnings counted so far (before an error message)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    state = obj.get("logging") if obj else None
    if state is not None:
        state.report()


_VERBOSITY_MARK = "_metalign_verbosity"


def with_verbosity(command: click.Command) -> click.Command:
    """Give ``command`` the group's ``-v``/``-q`` options, with the same meaning.

    Used as a decorator above ``@click.command``; idempotent. :class:`VerbosityGroup`
    also calls it on every command it hands out (the ``train`` commands).
    """
    if getattr(command, _VERBOSITY_MARK, False) or command.callback is None:
        return command
    names = {name for param in command.params for name in param.opts}
    if names & {"-v", "--verbose", "-q", "--quiet"}:
        return command
    callback = command.callback

    @functools.wraps(callback)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        verbose = kwargs.pop("_verbose", 0)
        quiet = kwargs.pop("_quiet", False)
        _set_verbosity(click.get_current_context(), verbose, quiet)
        return callback(*args, **kwargs)

    command.params.extend(
        [
            click.Option(
                ["-v", "--verbose", "_verbose"],
                count=True,
                show_default=False,
                help="More log output (-v info, -vv debug); also before the command.",
            ),
            click.Option(
                ["-q", "--quiet", "_quiet"],
                is_flag=True,
                help="Only errors; also before the command.",
            ),
        ]
    )
    command.callback = wrapped
    setattr(command, _VERBOSITY_MARK, True)
    return command


class VerbosityGroup(click.Group):
    """A click group whose commands all take ``-v``/``-q`` too (see :func:`with_verbosity`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else with_verbosity(command)


def say(message: Any = "", **kwargs: Any) -> None:
    """``click.echo`` on stdout unless ``-q`` was given (errors never come through here)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is not None and root.obj and root.obj.get("quiet"):
        return
    click.echo(message, **kwargs)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn MetalignError (and OSError) into a one-line message and exit code 1.

    With ``--debug`` on the group, the original traceback is shown instead.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
        stdout = sys.stdout
        sys.stdout = _PipeGuard(stdout)
        try:
            return func(*args, **kwargs)
        except (MetalignError, OSError) as error:
            if debug:
                raise
            # the summary of the warnings counted so far first: the error is the last line
            report_warnings()
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        finally:
            sys.stdout = stdout

    return wrapper


class _PipeGuard:
    """stdout that stops writing, silently, once its reader has gone (``| head``).

    A closed pipe on stdout is not a failure of the command: the work goes on and
    its files are written. Later writes go to the null device.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._broken = False

    def _closed(self) -> None:
        self._broken = True
        import os

        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, AttributeError, ValueError):
            pass
        logger.debug("stdout was closed by its reader; output dropped")

    def write(self, text: str) -> int:
        if not self._broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self._broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class LazyGroup(VerbosityGroup):
    """A click group whose heavier subcommands are imported only when run (or asked for help).

    ``metalign --help`` lists them from the short help strings given here, so it starts fast.
    """

    #: name -> ("module:attribute", short help)
    lazy_commands: dict[str, tuple[str, str]] = {
        "fix": (
            "cobra_metalign.cli.rewrite:fix",
            "Align MODEL to BiGG: corrected model + audit table.",
        ),
        "apply": (
            "cobra_metalign.cli.rewrite:apply",
            "Apply a curator's edited audit table to MODEL.",
        ),
        "merge": (
            "cobra_metalign.cli.rewrite:merge",
            "Pre-merge models into one namespace, then merge them.",
        ),
        "fix-many": (
            "cobra_metalign.cli.many:fix_many",
            "Align many models on Dask (local or remote cluster).",
        ),
        "train": (
            "cobra_metalign.cli.train:train",
            "Train a LoRA adapter for the name encoder.",
        ),
        "evaluate-adapters": (
            "cobra_metalign.cli.train:evaluate_adapters",
            "Compare adapters, the base encoder and TF-IDF on held-out families.",
        ),
        "train-decision": (
            "cobra_metalign.cli.train:train_decision",
            "Learn the accept/review decision from the open gold sets.",
        ),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            import importlib

            module, _, attribute = self.lazy_commands[cmd_name][0].partition(":")
            return with_verbosity(getattr(importlib.import_module(module), attribute))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands:
                rows.append((name, self.lazy_commands[name][1]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="metalign")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of short error messages.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Align metabolite identifiers of genome-scale metabolic models to BiGG.

    Exit codes: 0 success, 1 bad input (unreadable model, invalid audit,
    failed download), 2 usage error.
    """
    ctx.ensure_object(dict)["debug"] = debug
    _set_verbosity(ctx, verbose, quiet)
    _exit_on_sigterm()


def run() -> None:
    """The ``metalign`` executable (and ``python -m cobra_metalign.cli``): :func:`main`, then exit.

    Once the command is done (written, reported, exit code set), the objects still
    alive are moved out of the garbage collector's reach (:func:`gc.freeze`): the
    interpreter's final collection then does not walk the catalogue and the tables
    again before the process ends (0.2-0.4 s of a ``fix``). Files, logging and
    temporary folders are closed by the command itself and by ``atexit``, not by the
    collector. In-process callers (tests, notebooks) call :func:`main`, which does not
    freeze anything.
    """
    import gc

    try:
        main()
    finally:
        gc.freeze()


def _raise_system_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM, SIGHUP and SIGQUIT into SystemExit, so that atomic writes remove their
    temporary files.

    Only when the signal still has its default action (which would kill the process
    without running any cleanup) and only from the main thread.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP", "SIGQUIT"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _raise_system_exit)


# ---------------------------------------------------------------- catalog
@with_verbosity
@main.group(cls=VerbosityGroup, context_settings=CONTEXT_SETTINGS)
def catalog() -> None:
    """Inspect or update the BiGG catalogue."""


@with_verbosity
@catalog.command("info", context_settings=CONTEXT_SETTINGS)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A catalogue file instead of the default.",
)
@handle_errors
def catalog_info(as_json: bool, catalog_path: Path | None) -> None:
    """Version, source and counts of the catalogue in use."""
    from cobra_metalign.catalog.store import load_catalog

    info = load_catalog(catalog_path).info()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"version:       {info['version']}")
    click.echo(f"source:        {info['source']}")
    click.echo(f"file:          {info['path']}")
    click.echo(f"universal ids: {info['universal_ids']}")
    click.echo(f"with formula:  {info['with_formula']}")
    click.echo(f"with charge:   {info['with_charge']}")
    click.echo(f"synonyms:      {info['synonyms']}")
    click.echo(f"old ids:       {info['old_ids']}")
    click.echo(f"equivalent-id groups: {info['equivalence_groups']}")
    click.echo("ids with cross-references per namespace:")
    for namespace, count in info["with_xrefs"].items():
        click.echo(f"  {namespace:<18} {count}")


@with_verbosity
@catalog.command("update", context_settings=CONTEXT_SETTINGS)
@click.option("--url", help="URL of BiGG's bulk metabolite file (default: BiGG's own, https).")
@click.option(
    "--file",
    "file_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use a bulk file already on disk instead of downloading.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    help="Seconds of silence before giving up.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    help="Seconds the whole download may take.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0, max=20),
    default=3,
    help="Retries on connection errors and HTTP 5xx.",
)
@handle_errors
def catalog_update(
    url: str | None, file_path: Path | None, timeout: float, deadline: float, retries: int
) -> None:
    """Build a fresh catalogue from BiGG's bulk file into the user cache.

    The new catalogue is checked against the packaged one before it replaces
    the catalogue in use, which is kept: `metalign catalog use previous` or
    `metalign catalog use packaged` goes back. The previous catalogue stays in
    place and working if anything fails.
    """
    from cobra_metalign.cache import cache_dir
    from cobra_metalign.catalog.update import DIFF_FILE, update_with_report

    if url is not None and file_path is not None:
        raise click.UsageError("--url and --file exclude each other")
    catalog_, changes = update_with_report(
        url=url, file=file_path, timeout=timeout, retries=retries, deadline=deadline
    )
    info = catalog_.info()
    click.echo(
        f"catalogue {info['version']}: {info['universal_ids']} universal ids, "
        f"{info['old_ids']} old ids -> {catalog_.path}"
    )
    counts = changes["change"].value_counts()
    summary = ", ".join(f"{kind} {int(n)}" for kind, n in counts.items()) or "no change"
    click.echo(f"changes from the catalogue in use before: {summary}")
    click.echo(f"changes listed in {cache_dir() / DIFF_FILE}")


@with_verbosity
@catalog.command("use", context_settings=CONTEXT_SETTINGS)
@click.argument("which", type=click.Choice(["packaged", "previous"]))
@handle_errors
def catalog_use(which: str) -> None:
    """Go back to the packaged catalogue, or to the one the last update replaced."""
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.catalog.update import use_catalog

    use_catalog(which)
    catalog_ = load_catalog()
    click.echo(f"catalogue in use: {catalog_.version} ({len(catalog_)} universal ids)")


# --------------------------------------------------------------- validate
@with_verbosity
@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument(
    "model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@handle_errors
def validate(model_path: Path) -> None:
    """Read MODEL and list what is wrong with it (exit 1 when it cannot be read)."""
    from cobra_metalign.io.model import validate as validate_model

    model, errors = validate_model(model_path)
    for row in errors.itertuples(index=False):
        click.echo(" | ".join(str(value) for value in row))
    if model is None:
        report_warnings()
        click.echo(
            f"Error: {model_path}: the model cannot be read ({len(errors)} errors).", err=True
        )
        click.get_current_context().exit(EXIT_BAD_INPUT)
    click.echo(
        f"{model_path}: {len(model.metabolites)} metabolites, {len(model.reactions)} reactions, "
        f"{len(errors)} messages"
    )


# ------------------------------------------------------------------ match
@with_verbosity
@main.command("match", context_settings=CONTEXT_SETTINGS)
@click.argument(
    "model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table as TSV.",
)
@click.option(
    "--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--encoder", "encoder_name", help="'minilm' or a local encoder folder (default: none)."
)
@click.option("--adapter", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@handle_errors
def match_command(
    model_path: Path,
    output: Path | None,
    catalog_path: Path | None,
    encoder_name: str | None,
    adapter: Path | None,
    overwrite: bool,
) -> None:
    """Map every metabolite of MODEL to BiGG and print (or write) the match table."""
    from cobra_metalign.cache import atomic_path, check_output_path

    if output is not None:
        check_output_path(output, label="match table", inputs=[model_path], overwrite=overwrite)
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.io.model import read_model
    from cobra_metalign.matching.matcher import match

    model = read_model(model_path)
    encoder = make_encoder(encoder_name, adapter)
    table = match(model, load_catalog(catalog_path), encoder)
    if output is None:
        click.echo(table.drop(columns=["candidates"]).to_string())
    else:
        with atomic_path(output) as tmp:
            table.to_csv(tmp, sep="\t")
        click.echo(f"wrote {output}")
    counts = table["decision"].value_counts()
    click.echo(
        ", ".join(
            f"{decision}: {counts.get(decision, 0)}" for decision in ("accept", "review", "none")
        ),
        err=True,
    )


def decision_option(func: Any) -> Any:
    """The ``--decision`` option: the hand-set rules, the packaged learned decision, or a file."""

    def load(ctx: click.Context, param: click.Parameter, value: str) -> Any:
        if value == "rules":
            return None
        from cobra_metalign.matching.decision import load_decision

        try:
            return load_decision(None if value == "learned" else Path(value))
        except MetalignError as error:
            raise click.BadParameter(str(error), ctx, param) from error

    return click.option(
        "--decision",
        default="rules",
        show_default=True,
        metavar="rules|learned|FILE",
        callback=load,
        help="How candidates are accepted: the hand-set rules, the packaged learned decision "
        "(hybrid: keeps what the rules accept, learned on the rest), or a JSON file written "
        "by `metalign train-decision`.",
    )(func)


def make_encoder(name: str | None, adapter: Path | None):
    """Build the encoder the options name (None when neither is given: torch is not imported)."""
    if name is None and adapter is None:
        return None
    from cobra_metalign.matching.encoder import load_encoder

    return load_encoder(name, adapter)


# -------------------------------------------------------------- benchmark
@with_verbosity
@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The model the gold ids refer to (else one is built from the table).",
)
@click.option("--no-xrefs", is_flag=True, help="Names, formulas and charges only.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as JSON.",
)
@click.option(
    "--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--encoder", "encoder_name", help="'minilm' or a local encoder folder (default: none)."
)
@click.option("--adapter", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-ablations", is_flag=True, help="Skip the per-source ablations.")
@click.option(
    "--adjudicated",
    "adjudicated_path",
    type=click.Path(exists=True, path_type=Path),
    help="Adjudication TSV (or a folder of them): adds the adjudicated figures.",
)
@click.option(
    "--old-ids",
    "old_ids_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="BiGG's old-id table (old_bigg_id, universal_bigg_id): old/new pairs count as correct.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --json file.")
@decision_option
@handle_errors
def benchmark(
    gold: Path,
    model_path: Path | None,
    no_xrefs: bool,
    json_path: Path | None,
    catalog_path: Path | None,
    encoder_name: str | None,
    adapter: Path | None,
    no_ablations: bool,
    adjudicated_path: Path | None,
    old_ids_path: Path | None,
    overwrite: bool,
    decision: Any,
) -> None:
    """Score the matcher and the baselines on a GOLD table of source_id -> gold_bigg.

    Strict figures count only the gold id (or BiGG's old id of it); with
    --adjudicated, SAME pairs and GOLD_WRONG rows count as correct too, and the
    JSON lists every disagreement with its verdict (empty: nobody judged it).
    """
    from cobra_metalign.benchmark import (
        Adjudication,
        format_results,
        read_old_ids,
        run_benchmark,
    )
    from cobra_metalign.cache import atomic_path, check_output_path
    from cobra_metalign.catalog.store import load_catalog

    if json_path is not None:
        inputs = [p for p in (gold, model_path) if p is not None]
        check_output_path(json_path, label="results", inputs=inputs, overwrite=overwrite)
    results = run_benchmark(
        gold,
        model_path,
        use_xrefs=not no_xrefs,
        catalog=load_catalog(catalog_path),
        encoder=make_encoder(encoder_name, adapter),
        ablations=not no_ablations,
        adjudication=Adjudication.read(adjudicated_path) if adjudicated_path else None,
        old_ids=read_old_ids(old_ids_path) if old_ids_path else None,
        decision=decision,
    )
    click.echo(f"{gold}{' (no xrefs)' if no_xrefs else ''}")
    click.echo(format_results(results))
    if json_path is not None:
        found = results.attrs.get("disagreements")
        payload = {
            "results": json.loads(results.reset_index().to_json(orient="records")),
            "disagreements": [] if found is None else found.to_dict("records"),
        }
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":  # python -m cobra_metalign.cli.app
    run()
