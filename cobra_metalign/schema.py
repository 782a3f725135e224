"""The one schema of the package: statuses, decisions and table columns.

Every layer reads these names from here (the audit, the rewrite plan, the
summaries of ``fix`` and ``fix-many``), so that a column or a status is defined
once. DESIGN.md ("Audit table") explains them.
"""

from __future__ import annotations

__all__ = [
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
    "METABOLITE_STATUSES",
    "REACTION_STATUSES",
    "STATUSES",
    "APPLIED_STATUSES",
    "DECISIONS",
    "MATCH_DECISIONS",
    "AUDIT_COLUMNS",
    "REQUIRED_COLUMNS",
    "REACTION_COLUMNS",
]

KEPT = "KEPT"
RENAMED = "RENAMED"
ANNOTATED = "ANNOTATED"
MERGED = "MERGED"
REVIEW = "REVIEW"
#: A boundary copy (``X_b``, ``X_e_boundary``: the ModelSEED/COBRA convention for the
#: outside of an exchange) with a proposal that was not applied: leave it as it is.
BOUNDARY = "BOUNDARY"
CONFLICT = "CONFLICT"
UNMATCHED = "UNMATCHED"
REACTION_EMPTIED = "REACTION_EMPTIED"
REACTION_DUPLICATE = "REACTION_DUPLICATE"

#: Metabolite statuses, in the order summaries list them.
METABOLITE_STATUSES: tuple[str, ...] = (
    KEPT,
    RENAMED,
    ANNOTATED,
    MERGED,
    REVIEW,
    BOUNDARY,
    CONFLICT,
    UNMATCHED,
)
#: Reaction statuses (the flagged-reactions table).
REACTION_STATUSES: tuple[str, ...] = (REACTION_EMPTIED, REACTION_DUPLICATE)
#: Every status.
STATUSES: tuple[str, ...] = METABOLITE_STATUSES + REACTION_STATUSES

#: Values of the ``decision`` column: applied, refused, or left for review.
DECISIONS: tuple[str, ...] = ("accept", "reject", "")

#: Columns of an audit file, in order (``metabolite_id`` is the frame's index).
AUDIT_COLUMNS: tuple[str, ...] = (
    "metabolite_id",
    "name",
    "compartment",
    "status",
    "new_id",
    "bigg_id",
    "bigg_name",
    "score",
    "decision",
    "evidence",
    "candidates",
    "equivalents",
    "duplicate_of",
    "conflict",
    "formula",
    "charge",
    "comment",
)
#: Columns an audit file must have to be read back.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "metabolite_id",
    "name",
    "compartment",
    "status",
    "new_id",
    "bigg_id",
    "bigg_name",
    "score",
    "evidence",
    "candidates",
    "decision",
)
#: Statuses whose row was applied with its bigg_id.
APPLIED_STATUSES: tuple[str, ...] = (KEPT, RENAMED, ANNOTATED, MERGED)
#: Decisions of the matcher (the match table's ``decision`` column).
MATCH_DECISIONS: tuple[str, ...] = ("accept", "review", "none")

#: Columns of the flagged-reactions table (``reaction_id`` is the frame's index).
REACTION_COLUMNS: tuple[str, ...] = (
    "reaction_id",
    "name",
    "status",
    "reaction",
    "original",
    "duplicate_of",
    "merged_metabolites",
)
