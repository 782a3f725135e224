"""Library warnings counted per kind instead of printed one per line.

cobra's SBML reader warns once per reaction and species of an old model
(3,638 lines for iSB619). :class:`WarningSummary` is a logging handler that
counts such warnings per (library, kind); the CLI reports the counts once at the
end of a command, and ``fix-many`` once per model.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["warning_kind", "summarise", "WarningSummary", "RepeatLimit"]

#: Kinds of foreign warnings listed in the summary; the rest are counted together.
_MAX_KINDS_SHOWN = 8
_VARIABLE = re.compile(r"\S*[\d_]\S*")
_REPEATS = re.compile(r"…(?:[;,]?\s*…)+")


def warning_kind(message: str) -> str:
    """The kind of a library warning: its text before the object it names, ids blanked.

    ``"Use of FORMULA in the notes element is discouraged, use fbc:chemicalFormula
    instead: <Species M_glc__D_c>"`` -> ``"Use of FORMULA in the notes element is
    discouraged, use fbc:chemicalFormula instead"``.

    Parameters
    ----------
    message : str

    Returns
    -------
    str
    """
    text = " ".join(str(message).split())
    parts = [part for part in text.split(": ") if part]
    # The first part that reads as words (not a file name or an id) names the kind.
    words = [part for part in parts if " " in part.strip()]
    text = (words or parts or [text])[0]
    text = _VARIABLE.sub("…", text)
    text = _REPEATS.sub("…", text)
    return text[:120]


class WarningSummary(logging.Handler):
    """Counts library warnings per (logger, kind) instead of printing each one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.examples: dict[tuple[str, str], str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            return  # printed by the stream handler
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed library log call
            message = str(record.msg)
        key = (record.name.split(".", 1)[0], warning_kind(message))
        self.counts[key] += 1
        self.examples.setdefault(key, _example(message))

    def summary_lines(self) -> list[str]:
        """One line per kind, most frequent first (empty when nothing was counted)."""
        return _summary_lines(self.counts, self.examples)

    def report(self) -> None:
        """Log the summary through the package logger, then start counting afresh."""
        lines = self.summary_lines()
        if lines:
            logging.getLogger("cobra_metalign").warning("\n".join(lines))
        self.counts.clear()
        self.examples.clear()


def _example(message: str) -> str:
    text = " ".join(message.split())
    detail = text.partition(": ")[2] or text
    return detail if len(detail) <= 80 else detail[:79] + "…"


def summarise(messages: Iterable[str], source: str = "") -> list[str]:
    """Summary lines of a list of warning messages, counted per kind.

    Parameters
    ----------
    messages : iterable of str
    source : str, optional
        Where the messages come from (a library), shown before each kind.

    Returns
    -------
    list of str
        A total line, then one line per kind (most frequent first); empty for no messages.
    """
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    for message in messages:
        key = (source, warning_kind(message))
        counts[key] += 1
        examples.setdefault(key, _example(message))
    return _summary_lines(counts, examples)


def _summary_lines(
    counts: Counter[tuple[str, str]], examples: dict[tuple[str, str], str]
) -> list[str]:
    if not counts:
        return []
    total = sum(counts.values())
    sources = ", ".join(sorted({k[0] for k in counts if k[0]}))
    lines = [
        f"{total} warnings{f' from {sources}' if sources else ''} "
        "(counted per kind; -vv prints each one, -q none):"
    ]
    ranked = counts.most_common()
    shown_kinds = _MAX_KINDS_SHOWN + 1 if len(ranked) == _MAX_KINDS_SHOWN + 1 else _MAX_KINDS_SHOWN
    for (source, kind), count in ranked[:shown_kinds]:
        example = examples[(source, kind)]
        shown = f" (first: {example})" if example != kind else ""
        lines.append(f"  {count:>6} x {f'{source}: ' if source else ''}{kind}{shown}")
    rest = ranked[shown_kinds:]
    if rest:
        lines.append(f"  {sum(c for _, c in rest):>6} x {len(rest)} other kinds of warnings")
    return lines


class RepeatLimit(logging.Filter):
    """Lets the first ``limit`` warnings of each kind through, and counts the rest.

    For the package's own warnings (one per flagged reaction, say), which
    matter but need not fill the terminal: the rest are in the audit files.
    Records below WARNING and from ERROR up always pass.
    """

    def __init__(self, limit: int = 5) -> None:
        super().__init__()
        self.limit = limit
        self.seen: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call
            message = str(record.msg)
        kind = warning_kind(message)
        self.seen[kind] += 1
        self.examples.setdefault(kind, _example(message))
        return self.seen[kind] <= self.limit

    def summary_lines(self) -> list[str]:
        """One line per kind that went over the limit (empty when none did)."""
        lines = []
        for kind, count in self.seen.most_common():
            if count > self.limit:
                lines.append(f"  {count - self.limit:>6} more x {kind}")
        if lines:
            lines.insert(
                0, f"warnings not shown (more than {self.limit} of a kind; -vv shows all):"
            )
        return lines
