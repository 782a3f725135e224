"""The audit table: what happened to every metabolite, on disk as TSV, and the review round-trip.

An audit holds one row per metabolite of the input model (a
:class:`pandas.DataFrame` indexed by ``metabolite_id``; a pre-merge audit is
indexed by ``(model, metabolite_id)``). Its ``status`` says what the rewriter
did:

==============  ==================================================================
``KEPT``        mapped, and the id already is ``{bigg_id}_{compartment}``
``RENAMED``     mapped and renamed to ``new_id``
``ANNOTATED``   mapped, id kept (``rename=False`` or no compartment): annotation only
``MERGED``      a duplicate merged into ``new_id`` (the survivor's final id)
``REVIEW``      a mapping or merge was proposed but not applied
``BOUNDARY``    a boundary copy (``X_b``) with a proposal not applied: leave it as is
``CONFLICT``    the evidence disagrees, or the target id is held by another metabolite
``UNMATCHED``   no BiGG id found (or rejected by a curator)
==============  ==================================================================

Flagged reactions go to a second table with ``REACTION_EMPTIED`` (all
coefficients summed to zero) or ``REACTION_DUPLICATE`` (same stoichiometry and
direction as another reaction). Neither is ever dropped from the model.

File format (``write_audit``/``read_audit``): UTF-8, tab-separated, one header row
and one row per metabolite, preceded by ``# key: value`` comment lines that
record the format, the model id and a fingerprint of the model's metabolites
(sha256 over the sorted ``id, compartment, name, formula, charge`` lines), and
the rewrite options.
The ``decision`` column is the one a curator edits: ``accept`` applies the row's
``bigg_id`` (which may be edited too), ``reject`` leaves the metabolite as it
was, an empty cell (or ``review``) leaves a proposal unapplied. ``apply_audit``
(``metalign apply MODEL AUDIT``) then rewrites the *original* model
accordingly, refusing an audit whose ids or fingerprint do not fit it, or
whose header lines (and with them the fingerprint) were removed.

Curator edits are checked before anything is applied: an accepted ``bigg_id``
must be a catalogue id (a retired id is resolved to the current one, and a
compartmented id such as ``nh4_c`` on a cytosolic row is read as ``nh4``) and
hold only the characters of an SBML id; an accepted mapping or merge whose
formulas differ in heavy atoms is refused unless forced, and so is an accepted
boundary copy (``X_b``) that would be merged into, or renamed onto the id of, the
metabolite it bounds (which would empty its exchange). The new audit keeps each
row's earlier ``comment`` and adds what ``apply`` did.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cobra_metalign.cache import atomic_path
from cobra_metalign.errors import AuditError
from cobra_metalign.fingerprint import model_fingerprint
from cobra_metalign.fingerprint import one_line as _clean_text
from cobra_metalign.schema import (
    ANNOTATED,
    APPLIED_STATUSES,
    AUDIT_COLUMNS,
    BOUNDARY,
    CONFLICT,
    DECISIONS,
    KEPT,
    MERGED,
    METABOLITE_STATUSES,
    REACTION_COLUMNS,
    REACTION_DUPLICATE,
    REACTION_EMPTIED,
    REACTION_STATUSES,
    RENAMED,
    REQUIRED_COLUMNS,
    REVIEW,
    STATUSES,
    UNMATCHED,
)

if TYPE_CHECKING:  # pragma: no cover
    import cobra

logger = logging.getLogger(__name__)

__all__ = [
    "AUDIT_FORMAT",
    "AUDIT_COLUMNS",
    "REQUIRED_COLUMNS",
    "REACTION_COLUMNS",
    "METABOLITE_STATUSES",
    "REACTION_STATUSES",
    "STATUSES",
    "DECISIONS",
    "KEPT",
    "RENAMED",
    "ANNOTATED",
    "MERGED",
    "REVIEW",
    "BOUNDARY",
    "CONFLICT",
    "UNMATCHED",
    "REACTION_EMPTIED",
    "REACTION_DUPLICATE",
    "model_fingerprint",
    "add_comments",
    "empty_reactions",
    "default_reactions_path",
    "write_audit",
    "read_audit",
    "write_reactions",
    "read_reactions",
    "apply_audit",
]

#: Format tag written in the first comment line of every audit file. Version 2
#: fingerprints names, formulas and charges too; version 1 files are still read.
AUDIT_FORMAT = "cobra_metalign.audit/2"
_LEGACY_FORMAT = "cobra_metalign.audit/1"

#: Longest bigg_id a curator may type (BiGG's longest universal ids are under 60).
MAX_BIGG_ID_LENGTH = 256
_BIGG_ID = re.compile(r"[A-Za-z0-9_]+")
#: Statuses whose row was applied with its bigg_id.
_APPLIED = APPLIED_STATUSES

_DECISION_ALIASES = {"review": ""}

_OPTIONAL_DEFAULTS: dict[str, Any] = {
    "equivalents": "",
    "duplicate_of": "",
    "conflict": False,
    "formula": "",
    "charge": "",
    "comment": "",
}

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


# --------------------------------------------------------------------- helpers
def add_comments(audit: pd.DataFrame, comments: Mapping[str, str]) -> pd.DataFrame:
    """Append notes to the ``comment`` of audit rows, in place (ids not in the audit are skipped).

    Parameters
    ----------
    audit : pandas.DataFrame
        Indexed by ``metabolite_id``.
    comments : mapping
        ``{metabolite id: note}``.

    Returns
    -------
    pandas.DataFrame
        ``audit`` itself.
    """
    for met_id, note in comments.items():
        if not note or met_id not in audit.index:
            continue
        current = audit.at[met_id, "comment"]
        current = "" if current is None or current != current else str(current)
        audit.at[met_id, "comment"] = "; ".join(filter(None, [current, note]))
    return audit


def empty_reactions() -> pd.DataFrame:
    """A flagged-reactions table with no rows."""
    return pd.DataFrame(columns=list(REACTION_COLUMNS)).set_index("reaction_id")


def default_reactions_path(audit_path: str | os.PathLike[str]) -> Path:
    """Where the flagged-reactions table goes beside ``audit_path``.

    ``model.audit.tsv`` -> ``model.reactions.tsv``; any other name gets
    ``.reactions.tsv`` in place of its last suffix.

    Parameters
    ----------
    audit_path : path-like

    Returns
    -------
    pathlib.Path
    """
    path = Path(audit_path)
    name = path.name
    if name.endswith(".audit.tsv"):
        return path.with_name(name[: -len(".audit.tsv")] + ".reactions.tsv")
    return path.with_name(f"{path.stem}.reactions.tsv")


#: A cell starting with one of these is a formula to a spreadsheet (``=HYPERLINK(..)``,
#: ``+cmd|..``, ``@SUM(..)``, ``-2+3``); ``'`` is the guard itself.
_FORMULA_START = ("=", "+", "-", "@", "'")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _quote_cell(text: str) -> str:
    """Write ``text`` so that a spreadsheet shows it as text and :func:`_unquote_cell`
    gives it back unchanged.

    A cell that would start a formula gets a leading ``'`` (numbers such as ``-1``
    excepted); a cell holding ``"`` is put in double quotes with ``""`` inside, as
    spreadsheets and pandas read TSV.
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        text = "'" + text
    if '"' in text:
        text = '"' + text.replace('"', '""') + '"'
    return text


def _unquote_cell(text: str) -> str:
    """Undo the formula guard of :func:`_quote_cell` (the ``"`` quoting is undone by the reader)."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def _format_cell(column: str, value: Any) -> str:
    if column == "score":
        if value is None or value == "" or (isinstance(value, float) and value != value):
            return ""
        return f"{float(value):.4f}"
    if column == "conflict":
        return "true" if _as_bool(value) else "false"
    return _quote_cell(_clean_text(value))


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _header_lines(attrs: Mapping[str, Any]) -> list[str]:
    lines = [f"# format: {AUDIT_FORMAT}"]
    if attrs.get("model_id") is not None:
        lines.append(f"# model_id: {_clean_text(attrs['model_id'])}")
    if attrs.get("model_fingerprint"):
        lines.append(f"# model_fingerprint: {attrs['model_fingerprint']}")
    for key, value in sorted((attrs.get("model_fingerprints") or {}).items()):
        lines.append(f"# model_fingerprint[{_clean_text(key)}]: {value}")
    for key in ("rename", "accept_review"):
        if key in attrs:
            lines.append(f"# {key}: {'true' if attrs[key] else 'false'}")
    lines.append(
        "# Edit the decision column (accept / reject / empty), then run: metalign apply MODEL AUDIT"
    )
    return lines


def _frame_lines(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    columns = list(columns)
    flat = frame.reset_index()
    missing = [c for c in columns if c not in flat.columns]
    if missing:
        raise ValueError(f"table lacks columns {missing}")
    lines = ["\t".join(columns)]
    for record in flat[columns].itertuples(index=False, name=None):
        lines.append("\t".join(_format_cell(c, v) for c, v in zip(columns, record, strict=True)))
    return lines


def _write_lines(lines: list[str], path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return path


# ------------------------------------------------------------------------ write
def write_audit(
    audit: pd.DataFrame,
    path: str | os.PathLike[str],
    reactions: pd.DataFrame | None = None,
    reactions_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Write an audit table as TSV, atomically; optionally its flagged reactions beside it.

    The output is a pure function of the table, so two identical audits give
    byte-identical files.

    Parameters
    ----------
    audit : pandas.DataFrame
        An audit from :func:`cobra_metalign.rewrite.cobra_model.apply_matches` or
        :func:`cobra_metalign.align` (index ``metabolite_id``, or ``(model,
        metabolite_id)``). Its ``attrs`` (model id, fingerprint, options) become
        the ``# key: value`` header lines.
    path : path-like
        The audit file.
    reactions : pandas.DataFrame, optional
        Flagged reactions, written to ``reactions_path``.
    reactions_path : path-like, optional
        Default: :func:`default_reactions_path` of ``path``.

    Returns
    -------
    pathlib.Path
        The audit file.
    """
    columns = list(AUDIT_COLUMNS)
    if "model" in audit.columns or "model" in (audit.index.names or []):
        columns.insert(0, "model")
    lines = _header_lines(audit.attrs) + _frame_lines(audit, columns)
    written = _write_lines(lines, path)
    logger.debug("Wrote the audit of %d metabolites to %s", len(audit), written)
    if reactions is not None:
        write_reactions(reactions, reactions_path or default_reactions_path(path))
    return written


def write_reactions(reactions: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the flagged-reactions table as TSV, atomically.

    Parameters
    ----------
    reactions : pandas.DataFrame
        Indexed by ``reaction_id`` (or ``(model, reaction_id)``) with
        :data:`REACTION_COLUMNS`.
    path : path-like

    Returns
    -------
    pathlib.Path
    """
    columns = list(REACTION_COLUMNS)
    if "model" in reactions.columns or "model" in (reactions.index.names or []):
        columns.insert(0, "model")
    lines = [f"# format: {AUDIT_FORMAT} (flagged reactions)"] + _frame_lines(reactions, columns)
    written = _write_lines(lines, path)
    logger.debug("Wrote %d flagged reactions to %s", len(reactions), written)
    return written


# ------------------------------------------------------------------------- read
#: Longest bigg_id accepted in an audit (a renamed id gets a compartment suffix and must
#: stay within the 255 characters solvers accept; metabolite_id and new_id: 255).
MAX_AUDIT_ID_LENGTH: int = 200
#: Largest audit or reactions table read (bytes); a 15,000-metabolite audit is ~5 MB.
MAX_TABLE_BYTES: int = 128 * 1024**2


def _read_text(path: Path, what: str) -> str:
    """The text of a table file: a regular file (never a FIFO or a device) of bounded size."""
    try:
        status = path.stat()
    except OSError as error:
        raise AuditError(f"cannot read the {what} {path}: {error}") from error
    if not stat.S_ISREG(status.st_mode):
        raise AuditError(f"cannot read the {what} {path}: not a regular file")
    if status.st_size > MAX_TABLE_BYTES:
        raise AuditError(
            f"cannot read the {what} {path}: larger than the limit of {MAX_TABLE_BYTES:,} bytes"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TABLE_BYTES + 1)
        if len(data) > MAX_TABLE_BYTES:
            raise AuditError(f"cannot read the {what} {path}: larger than the limit")
        return data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise AuditError(f"cannot read the {what} {path}: {error}") from error


def _split_header(text: str, path: Path) -> tuple[dict[str, Any], list[str]]:
    attrs: dict[str, Any] = {}
    fingerprints: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for number, raw in enumerate(lines):
        # A spreadsheet may pad comment lines with tabs or quote them.
        line = raw.rstrip("\t ").strip('"')
        if line.strip() and not line.startswith("#"):
            body_start = number
            break
        body_start = number + 1
        content = line.lstrip("#").strip()
        if ":" in content:
            _read_header_entry(content, number, path, attrs, fingerprints)
    if fingerprints:
        attrs["model_fingerprints"] = fingerprints
    _check_format(attrs, path)
    return attrs, lines[body_start:]


def _read_header_entry(
    content: str, number: int, path: Path, attrs: dict[str, Any], fingerprints: dict[str, str]
) -> None:
    """One ``key: value`` header line into ``attrs`` (or ``fingerprints``)."""
    key, _, value = content.partition(":")
    key, value = key.strip(), value.strip()
    if key.startswith("model_fingerprint[") and key.endswith("]"):
        fingerprints[key[len("model_fingerprint[") : -1]] = value
    elif key in ("rename", "accept_review"):
        try:
            attrs[key] = _as_bool(value)
        except ValueError as error:
            raise AuditError(
                f"{path}: header line {number + 1}: {key} must be true or false"
            ) from error
    elif key in ("format", "model_id", "model_fingerprint"):
        attrs[key] = value


def _check_format(attrs: dict[str, Any], path: Path) -> None:
    tag = str(attrs.get("format", "")).split(" ", 1)[0]
    if "format" not in attrs or tag in (AUDIT_FORMAT, _LEGACY_FORMAT):
        return
    if str(attrs["format"]).startswith("cobra_metalign.audit/"):
        raise AuditError(
            f"{path}: audit format {attrs['format']!r} is not one this version reads "
            f"({AUDIT_FORMAT}); write it again with this version of metalign"
        )
    raise AuditError(f"{path}: not a cobra_metalign audit (format {attrs['format']!r})")


def _read_table(path: Path, body: list[str]) -> pd.DataFrame:
    import io

    if not body:
        raise AuditError(f"{path}: no header row; an audit needs columns {list(REQUIRED_COLUMNS)}")
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(body) + "\n"),
            sep="\t",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
        )
    except (pd.errors.ParserError, ValueError) as error:
        cause = " ".join(str(error).split())
        raise AuditError(
            f"{path}: cannot parse the table: {cause}{_separator_hint(body)}"
        ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.map(_unquote_cell)


def _sample(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return f"[{shown}{f' and {len(items) - limit} more' if len(items) > limit else ''}]"


def _separator_hint(body: list[str]) -> str:
    """A hint when the table's header row is split by commas or semicolons instead of tabs."""
    header = next((line for line in body if line.strip()), "")
    if "\t" in header:
        return ""
    for separator, name in ((",", "comma"), (";", "semicolon")):
        if header.count(separator) >= len(REQUIRED_COLUMNS) - 1:
            return (
                f"; the file looks {name}-separated: an audit is tab-separated (TSV). "
                "Save it from the spreadsheet as 'Tab-separated values' (.tsv), "
                "keeping the lines that start with #"
            )
    return ""


def read_audit(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate an audit file written by :func:`write_audit` (possibly curator-edited).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metabolite_id`` (or ``(model, metabolite_id)`` for a
        pre-merge audit), with ``score`` as float, ``conflict`` as bool and
        ``decision`` normalized to ``accept``, ``reject`` or ``""``. The header
        lines are in ``attrs``.

    Raises
    ------
    AuditError
        When the file is unreadable, lacks required columns, has an invalid
        decision, status, score or conflict value, or repeats a metabolite id.
    """
    path = Path(path)
    text = _read_text(path, "audit")
    attrs, body = _split_header(text, path)
    frame = _audit_columns(_read_table(path, body), path, body)
    problems = _long_id_problems(frame)
    decisions, bad_decisions = _decision_problems(frame)
    problems += bad_decisions
    frame["decision"] = decisions
    problems += _status_problems(frame)
    scores, bad_scores = _parse_rows(frame["score"], _as_score)
    if bad_scores:
        problems.append(f"invalid scores {', '.join(bad_scores[:10])}")
    conflicts, bad_conflicts = _parse_rows(frame["conflict"], _as_bool, False)
    if bad_conflicts:
        problems.append(f"invalid conflict values {', '.join(bad_conflicts[:10])}")
    keys = ["model", "metabolite_id"] if "model" in frame.columns else ["metabolite_id"]
    problems += _id_problems(frame, keys)
    if problems:
        raise AuditError(f"invalid audit {path}: " + "; ".join(problems))
    frame["score"] = scores
    frame["conflict"] = conflicts
    columns = [c for c in AUDIT_COLUMNS if c in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c != "model"]
    if "model" in frame.columns:
        columns = ["model", *columns]
    frame = frame[columns + extra].set_index(keys)
    frame.attrs.update(attrs)
    frame.attrs["path"] = str(path)
    return frame


def _row(position: int) -> str:
    return f"row {position + 1}"


def _audit_columns(frame: pd.DataFrame, path: Path, body: list[str]) -> pd.DataFrame:
    """Refuse missing required columns; add the optional ones; every cell as stripped text."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise AuditError(
            f"{path}: missing audit columns {missing} (found {_sample(list(frame.columns))})"
            + _separator_hint(body)
            + "; write it with metalign fix or cobra_metalign.write_audit"
        )
    for column, default in _OPTIONAL_DEFAULTS.items():
        if column not in frame.columns:
            frame[column] = "false" if column == "conflict" else default
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    return frame


def _long_id_problems(frame: pd.DataFrame) -> list[str]:
    problems = []
    for column, limit in (
        ("metabolite_id", 255),
        ("new_id", 255),
        ("bigg_id", MAX_AUDIT_ID_LENGTH),
    ):
        if column not in frame.columns:
            continue
        long_ids = [i for i, v in enumerate(frame[column]) if len(v) > limit]
        if long_ids:
            problems.append(
                f"{column} longer than {limit} characters in row "
                + ", ".join(str(i + 1) for i in long_ids[:10])
            )
    return problems


def _decision_problems(frame: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """The decisions normalized (aliases resolved), and the problem with invalid ones."""
    decisions = frame["decision"].str.lower().replace(_DECISION_ALIASES)
    bad = [
        f"{_row(i)} ({frame['metabolite_id'].iat[i]}): {frame['decision'].iat[i]!r}"
        for i in range(len(frame))
        if decisions.iat[i] not in DECISIONS
    ]
    if not bad:
        return decisions, []
    return decisions, [
        f"invalid decisions (use accept, reject or leave empty): {', '.join(bad[:10])}"
        + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    ]


def _status_problems(frame: pd.DataFrame) -> list[str]:
    bad = [
        f"{_row(i)}: {s!r}" for i, s in enumerate(frame["status"]) if s not in METABOLITE_STATUSES
    ]
    if not bad:
        return []
    return [f"invalid statuses {', '.join(bad[:10])} (known: {', '.join(METABOLITE_STATUSES)})"]


def _as_score(value: str) -> float:
    return float(value) if value else float("nan")


def _parse_rows(
    values: pd.Series, parse: Any, fallback: Any = float("nan")
) -> tuple[list[Any], list[str]]:
    """Each value parsed (``fallback`` where it fails), and the rows that failed."""
    parsed: list[Any] = []
    bad: list[str] = []
    for i, value in enumerate(values):
        try:
            parsed.append(parse(value))
        except ValueError:
            bad.append(f"{_row(i)}: {value!r}")
            parsed.append(fallback)
    return parsed, bad


def _id_problems(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    problems = []
    empty_ids = [_row(i) for i, v in enumerate(frame["metabolite_id"]) if not v]
    if empty_ids:
        problems.append(f"empty metabolite_id in {', '.join(empty_ids[:10])}")
    repeated = frame[frame.duplicated(keys, keep=False)]
    if len(repeated):
        ids = sorted(set(map(str, repeated["metabolite_id"])))
        problems.append(f"duplicate metabolite ids: {', '.join(ids[:10])}")
    return problems


def read_reactions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a flagged-reactions table written by :func:`write_reactions`.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pandas.DataFrame
        Indexed by ``reaction_id`` (or ``(model, reaction_id)``).

    Raises
    ------
    AuditError
    """
    path = Path(path)
    text = _read_text(path, "reactions table")
    _, body = _split_header(text, path)
    frame = _read_table(path, body)
    missing = [c for c in REACTION_COLUMNS if c not in frame.columns]
    if missing:
        raise AuditError(f"{path}: missing reaction-table columns {missing}")
    bad = sorted(set(frame["status"]) - set(REACTION_STATUSES))
    if bad:
        raise AuditError(f"{path}: invalid reaction statuses {bad}")
    keys = ["model", "reaction_id"] if "model" in frame.columns else ["reaction_id"]
    return frame.set_index(keys)


# ------------------------------------------------------------------- round-trip
def _select_model_rows(audit: pd.DataFrame, model: cobra.Model, source: str) -> pd.DataFrame:
    """The rows of a (possibly pre-merge) audit that belong to ``model``."""
    if "model" in (audit.index.names or []):
        audit = audit.reset_index("model")
    if "model" not in audit.columns:
        return audit
    keys = sorted(set(map(str, audit["model"])))
    if len(keys) == 1:
        chosen = keys[0]
    elif str(model.id) in keys:
        chosen = str(model.id)
    else:
        raise AuditError(
            f"{source} is a pre-merge audit of models {keys}; none is {model.id!r}. "
            "Keep the rows of one model (and its model column) to apply it."
        )
    rows = audit[audit["model"].astype(str) == chosen].drop(columns="model")
    fingerprints = audit.attrs.get("model_fingerprints") or {}
    rows.attrs = {k: v for k, v in audit.attrs.items() if k != "model_fingerprints"}
    if chosen in fingerprints:
        rows.attrs["model_fingerprint"] = fingerprints[chosen]
    return rows


def _check_fit(audit: pd.DataFrame, model: cobra.Model, source: str) -> None:
    model_ids = [met.id for met in model.metabolites]
    audit_ids = [str(i) for i in audit.index]
    unknown = sorted(set(audit_ids) - set(model_ids))
    missing = sorted(set(model_ids) - set(audit_ids))

    def sample(ids: list[str]) -> str:
        return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")

    problems = []
    if unknown:
        problems.append(f"{len(unknown)} ids not in the model ({sample(unknown)})")
    if missing:
        problems.append(
            f"{len(missing)} model metabolites missing from the audit ({sample(missing)})"
        )
    expected = audit.attrs.get("model_fingerprint")
    legacy = str(audit.attrs.get("format", "")).startswith(_LEGACY_FORMAT)
    actual = model_fingerprint(model, version=1 if legacy else 2)
    if "path" in audit.attrs and not expected:
        lost = "header lines" if "format" not in audit.attrs else "model_fingerprint line"
        raise AuditError(
            f"{source} has lost its {lost} (the lines starting with '#' above the table, which "
            "record the model it was written for): without them it cannot be checked against "
            f"model {model.id!r}. Copy the '#' lines from the audit metalign wrote back to the "
            "top of the file (a spreadsheet may drop them on export), or run metalign fix again"
        )
    if problems:
        hint = (
            " Apply an audit to the model it was written for: the input of "
            "`metalign fix`, not its output."
        )
        raise AuditError(f"{source} does not fit model {model.id!r}: " + "; ".join(problems) + hint)
    if expected and expected != actual:
        raise AuditError(
            f"{source} does not fit model {model.id!r}: the model changed since the audit was "
            f"written (metabolite fingerprint {actual} differs from the audit's {expected}: "
            "the ids are the same, so compartments, names, formulas or charges differ). "
            "Run metalign fix again."
        )
    if legacy:
        logger.warning(
            "%s was written by an older version (%s): its fingerprint covers ids and "
            "compartments only, not names, formulas or charges.",
            source,
            _LEGACY_FORMAT,
        )
    if not expected:
        logger.warning(
            "%s has no model fingerprint; checked its ids against the model only.", source
        )


def _suffixes(compartment: str) -> set[str]:
    """Id suffixes a model may use for ``compartment`` (``c``; ``C_c`` -> ``c``; ``c0``)."""
    text = str(compartment or "")
    found = {text, text.lower()}
    if text[:2] in ("C_", "c_") and len(text) > 2:
        found.add(text[2:])
    return {f for f in found if f}


def _describe_characters(text: str) -> str:
    bad = sorted({ch for ch in text if not _BIGG_ID.fullmatch(ch)})
    shown = ", ".join(repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad[:8])
    return shown + (" and a '..'" if ".." in text else "")


def _resolve_bigg_id(
    met_id: str, bigg_id: str, compartment: str, catalog: Any, allow_unknown: bool
) -> tuple[str, str, str]:
    """Check one accepted bigg_id: ``(resolved id, note for the audit, problem)``."""
    if len(bigg_id) > MAX_BIGG_ID_LENGTH:
        return (
            bigg_id,
            "",
            (f"{met_id}: bigg_id of {len(bigg_id)} characters (at most {MAX_BIGG_ID_LENGTH})"),
        )
    if not _BIGG_ID.fullmatch(bigg_id):
        return (
            bigg_id,
            "",
            (
                f"{met_id}: bigg_id {bigg_id[:60]!r} holds {_describe_characters(bigg_id)}, which "
                "no BiGG id and no SBML id can hold (use letters, digits and '_' only)"
            ),
        )
    universal = catalog.lookup_id(bigg_id) if catalog is not None else None
    if universal is not None:
        if universal != bigg_id:
            return universal, f"bigg_id {bigg_id} is a retired BiGG id of {universal}", ""
        return bigg_id, "", ""
    stem, _, suffix = bigg_id.rpartition("_")
    stripped = catalog.lookup_id(stem) if (catalog is not None and stem) else None
    if stripped is not None and 0 < len(suffix) <= 4:
        if suffix in _suffixes(compartment):
            return (
                stripped,
                f"bigg_id {bigg_id} read as {stripped} (the compartment goes into new_id)",
                "",
            )
        return (
            bigg_id,
            "",
            (
                f"{met_id}: bigg_id {bigg_id!r} looks like {stripped!r} in compartment {suffix!r}, "
                f"but the metabolite is in {compartment!r}; type the universal id {stripped!r} "
                "(metalign adds the compartment)"
            ),
        )
    if allow_unknown:
        return bigg_id, f"bigg_id {bigg_id} is not in the catalogue (allowed by the curator)", ""
    return (
        bigg_id,
        "",
        (
            f"{met_id}: bigg_id {bigg_id!r} is not in the BiGG catalogue (a typo? pass "
            "--allow-unknown-ids to use it anyway, or --catalog with the catalogue "
            "metalign fix used)"
        ),
    )


def _check_edits(
    audit: pd.DataFrame, model: cobra.Model, catalog: Any, allow_unknown: bool, source: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Resolve and check the bigg_id of every accepted row; refuse bad ones all at once."""
    compartments = {met.id: met.compartment or "" for met in model.metabolites}
    notes: dict[str, str] = {}
    problems: list[str] = []
    audit = audit.copy()
    for met_id, row in audit.iterrows():
        bigg_id = str(row["bigg_id"]).strip()
        if row["decision"] != "accept" or not bigg_id or any(ch.isspace() for ch in bigg_id):
            continue  # white space is reported with the other decision problems
        resolved, note, problem = _resolve_bigg_id(
            str(met_id), bigg_id, compartments.get(str(met_id), ""), catalog, allow_unknown
        )
        if problem:
            problems.append(problem)
            continue
        if note:
            notes[str(met_id)] = note
            logger.warning("%s: %s: %s", source, met_id, note)
        audit.loc[met_id, "bigg_id"] = resolved
    if problems:
        raise AuditError(
            f"invalid bigg_id edits in {source}: "
            + "; ".join(problems[:10])
            + (f" and {len(problems) - 10} more" if len(problems) > 10 else "")
        )
    return audit, notes


def _formula_conflicts(
    new_audit: pd.DataFrame, original: Mapping[str, tuple[Any, Any]], catalog: Any
) -> dict[str, str]:
    """Applied rows whose formulas differ in heavy atoms: from their survivor or their BiGG id."""
    from cobra_metalign.chem import compare_formulas, parse_formula

    def differ(
        first: Any, second: Any, first_charge: Any = None, second_charge: Any = None
    ) -> bool:
        if compare_formulas(first, second, first_charge, second_charge) != "mismatch":
            return False
        # Hydrogens alone (more than charges explain) are a protonation question, not a conflict.
        counts = parse_formula(first), parse_formula(second)
        if counts[0] is None or counts[1] is None:
            return True
        heavy = [{k: v for k, v in c.items() if k != "H"} for c in counts]
        return heavy[0] != heavy[1]

    conflicts: dict[str, str] = {}
    applied = new_audit[new_audit["status"].isin(_APPLIED)]
    survivors = applied[applied["status"] != "MERGED"]
    survivor_of = {str(row["new_id"]): str(i) for i, row in survivors.iterrows()}
    for met_id, row in applied.iterrows():
        met_id = str(met_id)
        formula, charge = original.get(met_id, ("", None))
        if row["status"] == "MERGED":
            survivor = survivor_of.get(str(row["new_id"]))
            if survivor is not None:
                other, other_charge = original.get(survivor, ("", None))
                if differ(formula, other, charge, other_charge):
                    conflicts[met_id] = (
                        f"{met_id} ({formula}) merged into {survivor} ({other}): "
                        "formulas differ in heavy atoms"
                    )
                    continue
        entry = catalog.get(str(row["bigg_id"])) if catalog is not None else None
        if entry is None or not entry.formulas or not formula:
            continue
        if all(differ(formula, known, charge) for known in entry.formulas):
            conflicts[met_id] = (
                f"{met_id} ({formula}) mapped to {entry.id} ({'/'.join(entry.formulas[:3])}): "
                "formulas differ in heavy atoms"
            )
    return conflicts


def _matches_from_audit(audit: pd.DataFrame, source: str) -> pd.DataFrame:
    """The match frame that reproduces a curated audit in the rewriter."""
    records = []
    problems: list[str] = []
    ids = {str(i) for i in audit.index}
    for met_id, row in audit.iterrows():
        decision = str(row["decision"])
        bigg_id = str(row["bigg_id"]).strip()
        duplicate_of = str(row.get("duplicate_of", "") or "").strip()
        conflict = bool(row.get("conflict", False))
        if bigg_id and any(ch.isspace() for ch in bigg_id):
            problems.append(f"{met_id}: bigg_id {bigg_id!r} contains white space")
        if duplicate_of and duplicate_of not in ids:
            problems.append(
                f"{met_id}: duplicate_of {duplicate_of!r} is not a metabolite of the audit"
            )
        if decision == "accept":
            if not bigg_id and not duplicate_of:
                problems.append(f"{met_id}: accepted without a bigg_id or duplicate_of")
            match_decision, conflict = "accept", False
        elif decision == "reject":
            # Left as in the input: no mapping, and no merge proposed by this row.
            match_decision, conflict, duplicate_of = "none", False, ""
        elif str(row.get("status", "")) == "UNMATCHED":
            match_decision = "none"
        elif bigg_id or duplicate_of:
            # An unapplied proposal (a mapping or a merge) stays a proposal.
            match_decision = "review"
        else:
            match_decision = "none"
        records.append(
            {
                "metabolite_id": str(met_id),
                "compartment": row.get("compartment", ""),
                "name": row.get("name", ""),
                "formula": row.get("formula", ""),
                "charge": row.get("charge", ""),
                "bigg_id": bigg_id,
                "bigg_name": row.get("bigg_name", ""),
                "decision": match_decision,
                "conflict": conflict,
                "score": row.get("score", 0.0),
                "evidence": row.get("evidence", ""),
                "candidates": row.get("candidates", ""),
                "equivalents": row.get("equivalents", ""),
                "duplicate_of": duplicate_of,
            }
        )
    if problems:
        raise AuditError(
            f"invalid decisions in {source}: "
            + "; ".join(problems[:10])
            + (f" and {len(problems) - 10} more" if len(problems) > 10 else "")
        )
    return pd.DataFrame(records).set_index("metabolite_id")


def _refuse_conflicts(conflicts: Mapping[str, str], source: str) -> None:
    texts = list(conflicts.values())
    what = "would join different compounds"
    if any(" is a boundary copy: " in text for text in texts):
        what += " or a boundary copy with the metabolite it bounds"
    raise AuditError(
        f"{source}: {len(texts)} accepted rows {what}: "
        + "; ".join(texts[:10])
        + (f" and {len(texts) - 10} more" if len(texts) > 10 else "")
        + ". Correct the bigg_id or decision of these rows, or pass --force to apply them anyway"
    )


def _audit_for_model(
    audit: pd.DataFrame | str | os.PathLike[str], model: cobra.Model
) -> tuple[pd.DataFrame, str]:
    """The audit (read, or a copy with normalized decisions), its rows of ``model``
    indexed by metabolite id, and its name for messages."""
    if isinstance(audit, (str, os.PathLike)):
        source = str(audit)
        audit = read_audit(audit)
    else:
        source = str(audit.attrs.get("path", "the audit"))
        audit = _normalized_decisions(audit.copy(), source)
    missing = [c for c in ("bigg_id", "decision") if c not in audit.columns]
    if missing:
        raise AuditError(f"{source} lacks columns {missing}")
    audit = _select_model_rows(audit, model, source)
    if audit.index.name != "metabolite_id" and "metabolite_id" in audit.columns:
        audit = audit.set_index("metabolite_id")
    if audit.index.has_duplicates:
        dupes = sorted(set(audit.index[audit.index.duplicated()]))
        raise AuditError(f"{source}: duplicate metabolite ids {dupes[:10]}")
    return audit, source


def _normalized_decisions(audit: pd.DataFrame, source: str) -> pd.DataFrame:
    if "decision" not in audit.columns:
        return audit
    audit["decision"] = (audit["decision"].fillna("").astype(str).str.strip().str.lower()).replace(
        _DECISION_ALIASES
    )
    bad = sorted(set(audit["decision"]) - set(DECISIONS))
    if bad:
        raise AuditError(f"invalid decisions in {source}: {bad} (use accept, reject or '')")
    return audit


#: Starts of comment notes the rewrite plan writes whenever they hold: an earlier one that
#: the new plan does not write again is out of date (the other notes are kept).
_REGENERATED_NOTES = (
    "survivor of ",
    "merged into ",
    "proposed ",
    "conflict: ",
    "evidence disagrees",
    "boundary copy",
    "target id ",
    "duplicate group ",
    "mapped to ",
    "equivalent of ",
)


def _comment_text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _comment_items(text: Any) -> list[str]:
    return [item.strip() for item in _comment_text(text).split(";") if item.strip()]


def _keep_earlier_comments(audit: pd.DataFrame, new_audit: pd.DataFrame) -> None:
    """Keep each row's comment from the curated audit, and add what apply did, in place.

    A row whose status stayed the same keeps its comment, followed by the new notes it
    does not hold yet (applying an audit twice adds nothing). A row the curator's
    decision changed says so first (``accepted by curator: REVIEW -> RENAMED``), then the
    new notes, then its earlier comment after ``before:``.
    """
    if "comment" not in audit.columns:
        return
    for met_id in new_audit.index:
        if met_id not in audit.index:
            continue
        earlier = _comment_text(audit.at[met_id, "comment"]).strip()
        old_status = str(audit.at[met_id, "status"]) if "status" in audit.columns else ""
        new_status = str(new_audit.at[met_id, "status"])
        new_items = _comment_items(new_audit.at[met_id, "comment"])
        if not old_status or old_status == new_status:
            # notes the plan writes again whenever they still hold are taken from the new
            # plan (a merge the curator rejected elsewhere no longer has this survivor)
            items = [
                item
                for item in _comment_items(earlier)
                if item in new_items or not item.startswith(_REGENERATED_NOTES)
            ]
            items += [
                item
                for item in new_items
                if not any(i == item or i.startswith(f"{item}:") for i in items)
            ]
            new_audit.at[met_id, "comment"] = "; ".join(items)
            continue
        decision = str(audit.at[met_id, "decision"])
        done = {"accept": "accepted by curator", "reject": "rejected by curator"}.get(
            decision, "after curation"
        )
        items = [f"{done}: {old_status} -> {new_status}"]
        items += [item for item in new_items if item not in items and item != done]
        if earlier:
            # the earlier comment whole, after its own marker: it may hold "; " itself
            items.append(f"before: {earlier}" if not earlier.startswith("before: ") else earlier)
        new_audit.at[met_id, "comment"] = "; ".join(items)


def _boundary_conflicts(
    audit: pd.DataFrame, new_audit: pd.DataFrame, model: cobra.Model
) -> dict[str, str]:
    """Accepted boundary copies (``X_b``) that would be merged into, or collide with, the
    metabolite they bound: the exchange between the two would be emptied or not applied."""
    from cobra_metalign.rewrite.plan import boundary_copy

    compartments = {met.id: met.compartment for met in model.metabolites}

    def is_boundary(met_id: str) -> bool:
        return boundary_copy(met_id, compartments.get(met_id))

    def shared(first: str, second: str) -> str:
        try:
            a = model.metabolites.get_by_id(first).reactions
            b = model.metabolites.get_by_id(second).reactions
        except KeyError:
            return ""
        ids = sorted(r.id for r in a & b)
        return (
            f" and empty reaction{'s' if len(ids) > 1 else ''} {', '.join(ids[:3])}" if ids else ""
        )

    conflicts: dict[str, str] = {}
    accepted = [str(i) for i in audit.index[audit["decision"] == "accept"]]
    for met_id in accepted:
        if not is_boundary(met_id) or met_id not in new_audit.index:
            continue
        row = new_audit.loc[met_id]
        status = str(row["status"])
        others: list[str] = []
        if status == MERGED:
            others = [str(row["duplicate_of"])]
        elif status in _APPLIED:
            merged = new_audit[
                (new_audit["status"] == MERGED) & (new_audit["duplicate_of"] == met_id)
            ]
            others = [str(i) for i in merged.index]
        others = [o for o in others if o and not is_boundary(o)]
        if others:
            conflicts[met_id] = (
                f"{met_id} is a boundary copy: accepting it would merge it with "
                f"{', '.join(others)}{shared(met_id, others[0])}; reject it or leave its "
                "decision empty"
            )
        elif status == CONFLICT:
            why = str(row["comment"] or "its target id is taken")
            conflicts[met_id] = (
                f"{met_id} is a boundary copy: accepting it was not applied ({why}); reject "
                "it or leave its decision empty"
            )
    return conflicts


def _note_forced(conflicts: Mapping[str, str], notes: dict[str, str], source: str) -> None:
    """Log and comment the formula conflicts applied by force."""
    for met_id, text in conflicts.items():
        logger.warning("%s: applied by force: %s", source, text)
        notes[met_id] = "; ".join(filter(None, [notes.get(met_id), f"forced: {text}"]))


def apply_audit(
    model: cobra.Model,
    audit: pd.DataFrame | str | os.PathLike[str],
    *,
    rename: bool | None = None,
    inplace: bool = False,
    add_xrefs: Any = None,
    plan_only: bool = False,
    catalog: Any = None,
    allow_unknown_ids: bool = False,
    force: bool = False,
) -> tuple[cobra.Model, pd.DataFrame, pd.DataFrame]:
    """Apply a curator's decisions: the review round-trip.

    ``model`` is the model the audit was written for (the *input* of
    :func:`cobra_metalign.align` or ``metalign fix``). Rows with decision
    ``accept`` are applied with their (possibly edited) ``bigg_id`` and
    ``duplicate_of``, even if they were ``REVIEW`` or ``CONFLICT``; ``reject``
    rows are left as they are in the input; empty decisions leave proposals
    unapplied. An unedited audit reproduces the original rewrite.

    Parameters
    ----------
    model : cobra.Model
    audit : pandas.DataFrame or path-like
        An audit frame or file (read with :func:`read_audit`).
    rename : bool, optional
        Rename accepted metabolites; default: the ``rename`` recorded in the audit
        (True when absent).
    inplace : bool, optional
        Change ``model`` itself (reverted on leaving ``with model:``) instead of a copy.
    add_xrefs : Catalog, optional
        Also add the catalogue's cross-references of accepted ids.
    plan_only : bool, optional
        Leave the model as it is and return the checked rewrite plan
        (:class:`cobra_metalign.rewrite.plan.RewritePlan`) in place of the model.
    catalog : Catalog or path-like, optional
        The catalogue accepted ``bigg_id`` values are checked against (default:
        :func:`~cobra_metalign.catalog.store.load_catalog`). A retired id is applied as
        its current one; ``nh4_c`` on a row in compartment ``c`` as ``nh4``.
    allow_unknown_ids : bool, optional
        Apply accepted ids that are not in the catalogue (they must still be
        valid SBML ids).
    force : bool, optional
        Apply accepted mappings and merges whose formulas differ in heavy atoms
        (``atp`` typed onto the NH3 row); they are refused by default.

    Returns
    -------
    model : cobra.Model
    audit : pandas.DataFrame
        The new audit (statuses after curation; rejected rows keep ``reject``).
    reactions : pandas.DataFrame
        Flagged reactions.

    Raises
    ------
    AuditError
        When the audit does not fit the model (unknown or missing ids, a changed
        model, a file without its header lines), has invalid content, an
        accepted bigg_id that is unknown or not a valid id, or (without
        ``force``) an accepted mapping or merge of different formulas.
    """
    from cobra_metalign.catalog.store import Catalog, load_catalog
    from cobra_metalign.rewrite.cobra_model import apply_plan, plan_matches
    from cobra_metalign.xmltext import cleaning_notes

    audit, source = _audit_for_model(audit, model)
    _check_fit(audit, model, source)
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    audit, notes = _check_edits(audit, model, catalog, allow_unknown_ids, source)
    matches = _matches_from_audit(audit, source)
    if rename is None:
        rename = bool(audit.attrs.get("rename", True))
    original = {met.id: (met.formula, met.charge) for met in model.metabolites}
    # The plan changes nothing: a refused audit leaves the model as it was.
    plan, new_audit, reactions = plan_matches(
        model,
        matches,
        rename=rename,
        accept_review=False,
        add_xrefs=add_xrefs,
        # Rows a curator accepted are merged even when their names differ.
        name_guard=False,
    )
    conflicts = _formula_conflicts(new_audit, original, catalog)
    conflicts.update(_boundary_conflicts(audit, new_audit, model))
    if conflicts and not force:
        _refuse_conflicts(conflicts, source)
    _note_forced(conflicts, notes, source)
    add_comments(new_audit, cleaning_notes(model))
    add_comments(new_audit, notes)
    new_model = plan if plan_only else apply_plan(model, plan, inplace=inplace)
    rejected = [str(i) for i in audit.index[audit["decision"] == "reject"]]
    if rejected:
        new_audit.loc[rejected, "decision"] = "reject"
        new_audit.loc[rejected, "comment"] = "rejected by curator"
    _keep_earlier_comments(audit, new_audit)
    logger.info(
        "Applied %s: %d accepted, %d rejected rows",
        source,
        int((audit["decision"] == "accept").sum()),
        len(rejected),
    )
    return new_model, new_audit, reactions
