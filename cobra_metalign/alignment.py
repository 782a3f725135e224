"""The main job: align a model's metabolites to BiGG, and bring several models into one namespace.

* :func:`align` matches every metabolite (:func:`cobra_metalign.matching.matcher.match`)
  and rewrites the model (:func:`cobra_metalign.rewrite.cobra_model.apply_matches`): an
  :class:`AlignmentResult` with the aligned model, the audit table and the flagged
  reactions.
* :func:`premerge` aligns copies of several template models (AGORA, CarveMe,
  gapseq, ModelSEED...) so that the same compound has the same id in all of them;
  optionally it first harmonizes compartment ids (``c0`` -> ``c``).
* :func:`merge_models` premerges, then merges with cobra's ``Model.merge``, and
  reports how many metabolites a plain cobra merge duplicates and how many
  remain after premerge.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from cobra_metalign.fingerprint import model_fingerprint
from cobra_metalign.rewrite.audit import add_comments, empty_reactions
from cobra_metalign.rewrite.cobra_model import apply_plan, plan_matches
from cobra_metalign.schema import (
    ANNOTATED,
    KEPT,
    MERGED,
    METABOLITE_STATUSES,
    REACTION_STATUSES,
    RENAMED,
    STATUSES,
)
from cobra_metalign.xmltext import cleaning_notes

if TYPE_CHECKING:  # pragma: no cover
    import cobra

    from cobra_metalign.catalog.store import Catalog

logger = logging.getLogger(__name__)

__all__ = [
    "AlignmentResult",
    "PremergeResult",
    "MergeResult",
    "align",
    "premerge",
    "merge_models",
    "harmonize_compartments",
    "standard_compartment",
]

#: Statuses of metabolites that carry an applied BiGG id.
MAPPED_STATUSES = frozenset({KEPT, RENAMED, ANNOTATED, MERGED})


def _count_statuses(audit: pd.DataFrame, reactions: pd.DataFrame) -> pd.Series:
    counts = audit["status"].value_counts() if len(audit) else pd.Series(dtype=int)
    reaction_counts = reactions["status"].value_counts() if len(reactions) else pd.Series(dtype=int)
    values = [int(counts.get(s, 0)) for s in METABOLITE_STATUSES]
    values += [int(reaction_counts.get(s, 0)) for s in REACTION_STATUSES]
    return pd.Series(values, index=pd.Index(STATUSES, name="status"), name="count", dtype="int64")


def _html_table(frame: pd.DataFrame | pd.Series) -> str:
    return frame.to_frame().to_html() if isinstance(frame, pd.Series) else frame.to_html()


@dataclass
class AlignmentResult:
    """What :func:`align` returns.

    Attributes
    ----------
    model : cobra.Model
        The aligned model (a copy, unless ``inplace=True``).
    audit : pandas.DataFrame
        One row per original metabolite (see :mod:`cobra_metalign.rewrite.audit`).
    reactions : pandas.DataFrame
        Flagged reactions (``REACTION_EMPTIED``, ``REACTION_DUPLICATE``).
    matches : pandas.DataFrame
        The matcher's frame the rewrite was made from.
    plan : RewritePlan or None
        The checked rewrite plan (:mod:`cobra_metalign.rewrite.plan`); with
        ``align(..., plan_only=True)`` ``model`` is the input, unchanged, and the
        plan is what to apply (:func:`cobra_metalign.rewrite.cobra_model.apply_plan`, or
        :func:`cobra_metalign.rewrite.sbml.patch_document`).
    """

    model: cobra.Model
    audit: pd.DataFrame
    reactions: pd.DataFrame
    matches: pd.DataFrame
    plan: Any = None

    def summary(self) -> pd.Series:
        """Number of metabolites per status, then of flagged reactions per status.

        Returns
        -------
        pandas.Series
            Indexed by status (every status, zeros included), named ``count``.
        """
        return _count_statuses(self.audit, self.reactions)

    def to_frame(self) -> pd.DataFrame:
        """The audit table (one row per original metabolite)."""
        return self.audit

    @property
    def n_merged(self) -> int:
        """Number of metabolites merged into a survivor."""
        return int((self.audit["status"] == MERGED).sum())

    @property
    def n_renamed(self) -> int:
        """Number of metabolites renamed to their BiGG id."""
        return int((self.audit["status"] == RENAMED).sum())

    def __repr__(self) -> str:
        counts = self.summary()
        shown = ", ".join(f"{status} {count}" for status, count in counts.items() if count)
        return (
            f"<AlignmentResult {self.model.id!r}: {len(self.audit)} metabolites"
            f"{'; ' + shown if shown else ''}>"
        )

    def _repr_html_(self) -> str:
        counts = self.summary()
        counts = counts[counts > 0]
        return (
            f"<p><strong>Alignment of {html.escape(str(self.model.id))}</strong>: "
            f"{len(self.audit)} metabolites, {self.n_merged} merged, "
            f"{len(self.reactions)} reactions flagged</p>" + _html_table(counts)
        )


def _resolve_xrefs(add_xrefs: Any, catalog: Any) -> Any:
    if add_xrefs is None or add_xrefs is False:
        return None
    if add_xrefs is True:
        from cobra_metalign.catalog.store import Catalog, load_catalog

        return catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    return add_xrefs


def align(
    model: cobra.Model,
    catalog: Catalog | str | None = None,
    encoder: Any = None,
    *,
    inplace: bool = False,
    rename: bool = True,
    accept_review: bool = False,
    matches: pd.DataFrame | None = None,
    add_xrefs: bool | Any = False,
    plan_only: bool = False,
    **match_options: Any,
) -> AlignmentResult:
    """Map every metabolite to a BiGG universal id, merge duplicates, and report.

    Parameters
    ----------
    model : cobra.Model
        The model; left untouched unless ``inplace=True``.
    catalog : Catalog or path, optional
        The BiGG catalogue (default: :func:`~cobra_metalign.catalog.store.load_catalog`).
    encoder : NameEncoder or str, optional
        A name encoder, ``"minilm"``, or a model folder; None uses identifiers,
        cross-references, chemistry, names and TF-IDF only.
    inplace : bool, optional
        Change ``model`` itself; inside ``with model:`` the change is reverted on
        exit. Default: align a copy.
    rename : bool, optional
        Rename accepted metabolites to ``{bigg_id}_{compartment}`` (default), or
        only annotate them.
    accept_review : bool, optional
        Also apply the matcher's ``review`` proposals (never its conflicts).
    matches : pandas.DataFrame, optional
        A match frame to apply instead of running the matcher.
    add_xrefs : bool or Catalog, optional
        Also annotate accepted metabolites with the catalogue's cross-references.
    plan_only : bool, optional
        Make and check the rewrite plan and the audit but leave the model as it is
        (``result.plan`` holds what to apply). Default False.
    **match_options
        Passed to :func:`cobra_metalign.matching.matcher.match` (``sources``, ``guards``,
        thresholds...).

    Returns
    -------
    AlignmentResult

    Examples
    --------
    >>> from cobra.io import load_model
    >>> result = align(load_model("textbook"))
    >>> result.summary()["KEPT"]
    72
    """
    from cobra_metalign.io.model import check_model

    check_model(model)  # NaN coefficients, overlong ids: a clear error, not a solver traceback
    if matches is None:
        from cobra_metalign.matching.matcher import match

        started = time.perf_counter()
        logger.info("Matching %d metabolites of %s", len(model.metabolites), model.id)
        matches = match(model, catalog=catalog, encoder=encoder, **match_options)
        logger.info(
            "Matched %s in %.1f s: %s",
            model.id,
            time.perf_counter() - started,
            ", ".join(f"{k} {v}" for k, v in matches["decision"].value_counts().items()),
        )
    elif match_options:
        raise TypeError(f"matcher options {sorted(match_options)} given with ready matches")
    cleaned = cleaning_notes(model)
    plan, audit, reactions = plan_matches(
        model,
        matches,
        rename=rename,
        accept_review=accept_review,
        add_xrefs=_resolve_xrefs(add_xrefs, catalog),
    )
    aligned = model if plan_only else apply_plan(model, plan, inplace=inplace)
    add_comments(audit, cleaned)
    return AlignmentResult(
        model=aligned, audit=audit, reactions=reactions, matches=matches, plan=plan
    )


def align_for_output(
    model: cobra.Model,
    document: Any,
    output_format: str | None,
    catalog: Catalog | None = None,
    encoder: Any = None,
    **options: Any,
) -> tuple[AlignmentResult, Any]:
    """Align a freshly read model and give what to write for it.

    SBML read as a document and written as SBML gets the plan patched into
    that document (:func:`cobra_metalign.rewrite.sbml.patch_document`): history,
    units, kinetic laws, gene labels and layout stay as they were; when the plan
    changes nothing in it, the input file's own bytes are what is written
    (:func:`cobra_metalign.rewrite.sbml.keep_input_bytes`). Otherwise the
    aligned cobra model is written. The model is aligned in place (it was just
    read and nothing else holds it).

    Parameters
    ----------
    model : cobra.Model
        From :func:`cobra_metalign.io.model.read_model_document`.
    document : libsbml.SBMLDocument or None
        The document ``model`` was read from (None for JSON, YAML, MAT).
    output_format : str or None
        Format of the output file (:func:`cobra_metalign.io.model.format_of`).
    catalog, encoder, **options
        As for :func:`align`.

    Returns
    -------
    result : AlignmentResult
    written : cobra.Model or PatchedDocument
        What :func:`cobra_metalign.io.model.write_model` writes.
    """
    patch = document is not None and output_format == "sbml"
    result = align(model, catalog, encoder, inplace=True, plan_only=patch, **options)
    if not patch:
        return result, result.model
    from cobra_metalign.rewrite.sbml import keep_input_bytes, patch_document

    patched = patch_document(document, result.plan)
    keep_input_bytes(patched)
    return result, patched


# ------------------------------------------------------------------ compartments
def standard_compartment(compartment: str, name: str | None = None) -> str:
    """The BiGG-style id of a compartment: ``c0`` -> ``c``, ``C_e`` -> ``e``, ``Cytosol`` -> ``c``.

    Only the ModelSEED index ``0`` is dropped (``c1`` stays ``c1``). Without a
    match (:func:`cobra_metalign.merging.compartment_map.standard_code`) the id is
    returned unchanged.

    Parameters
    ----------
    compartment : str
        The compartment id.
    name : str, optional
        Its name (``"cytosol"``, ``"Extracellular"``...).

    Returns
    -------
    str
    """
    from cobra_metalign.merging.compartment_map import standard_code

    return standard_code(compartment, name) or str(compartment or "").strip()


def harmonize_compartments(
    model: cobra.Model, mapping: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Rename compartment ids to BiGG style in place (``c0`` -> ``c``, ``e0`` -> ``e``).

    Metabolite ids are not changed here (renaming is :func:`align`'s job). A
    compartment whose standard id another compartment of the model already uses
    keeps its id, so two compartments are never joined.

    Parameters
    ----------
    model : cobra.Model
        Changed in place.
    mapping : mapping, optional
        Explicit ``{old: new}`` ids; default :func:`standard_compartment` of each.

    Returns
    -------
    dict
        The ``{old: new}`` ids applied (unchanged compartments left out).
    """
    from cobra_metalign.merging.compartment_map import (
        apply_compartments,
        compartment_plan,
        model_compartments,
    )

    name = str(model.id or "model")
    plan = compartment_plan(
        model_compartments([(name, model)]), {name: dict(mapping)} if mapping else None
    )
    return apply_compartments(model, plan, name)


#: Alias used where a keyword argument shadows the function's name.
_harmonize = harmonize_compartments


# ---------------------------------------------------------------------- premerge
@dataclass
class PremergeResult:
    """What :func:`premerge` returns.

    Attributes
    ----------
    models : dict
        ``{name: aligned copy}``, in input order (cross-model joins applied).
    audit : pandas.DataFrame
        All audits, indexed by ``(model, metabolite_id)``.
    reactions : pandas.DataFrame
        All flagged reactions, indexed by ``(model, reaction_id)``.
    results : dict
        ``{name: AlignmentResult}``.
    compartments : dict
        ``{name: {old compartment: new}}`` applied by the harmonization.
    compartment_table : pandas.DataFrame
        One row per compartment of every model: its new id and ``status``
        (``mapped``, ``same``, ``kept``, ``unmapped``, or ``off`` when not harmonized).
    joins : pandas.DataFrame
        The cross-model join of metabolites without a BiGG id
        (:func:`cobra_metalign.merging.metabolite_join.join_metabolites`): one row per
        pair considered, joined or not and why.
    original_ids : dict
        ``{name: {id in the aligned copy: original id(s), comma-joined}}``.
    formula_vetoes : dict
        ``{name: [metabolite ids]}`` whose accepted match was demoted to review
        because it would have merged different heavy-atom formulas
        (:func:`cobra_metalign.merging.metabolite_join.veto_formula_merges`).
    """

    models: dict[str, cobra.Model]
    audit: pd.DataFrame
    reactions: pd.DataFrame
    results: dict[str, AlignmentResult]
    compartments: dict[str, dict[str, str]] = field(default_factory=dict)
    compartment_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    joins: pd.DataFrame = field(default_factory=pd.DataFrame)
    original_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    formula_vetoes: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Counts per status (rows) and model (columns).

        Returns
        -------
        pandas.DataFrame
        """
        frame = pd.DataFrame({name: result.summary() for name, result in self.results.items()})
        frame.index.name = "status"
        if len(self.joins):
            joined = self.joins[self.joins["verdict"] == "joined"]
            frame.loc["JOINED_ACROSS"] = [
                int(len(set(joined.loc[joined["model"] == n, "metabolite_id"])))
                + int(len(set(joined.loc[joined["other_model"] == n, "other_id"])))
                for n in frame.columns
            ]
        return frame

    def to_frame(self) -> pd.DataFrame:
        """The joint audit table."""
        return self.audit

    def __repr__(self) -> str:
        return f"<PremergeResult of {len(self.models)} models: {', '.join(self.models)}>"

    def _repr_html_(self) -> str:
        return (
            f"<p><strong>Pre-merge of {len(self.models)} models</strong></p>"
            + self.summary().to_html()
        )


def _model_names(models: Sequence[cobra.Model] | Mapping[str, cobra.Model]) -> list[tuple]:
    if isinstance(models, Mapping):
        return [(str(name), model) for name, model in models.items()]
    pairs: list[tuple] = []
    seen: dict[str, int] = defaultdict(int)
    for number, model in enumerate(models):
        base = str(model.id or f"model{number + 1}")
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        pairs.append((name, model))
    return pairs


def _resolve_encoder(encoder: Any) -> Any:
    """Load an encoder named by a string once, not once per model."""
    if not isinstance(encoder, str):
        return encoder
    from cobra_metalign.matching.encoder import load_encoder

    return load_encoder(encoder)


def _with_model_level(frame: pd.DataFrame, name: str, key: str) -> pd.DataFrame:
    flat = frame.reset_index()
    flat.insert(0, "model", name)
    return flat.set_index(["model", key])


def _mapped_and_original(
    audit: pd.DataFrame, catalog: Any = None
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """{aligned id: applied compound}, {aligned id: original ids}, {aligned id: proposal}."""
    mapped: dict[str, str] = {}
    proposed: dict[str, str] = {}
    original: dict[str, list[str]] = defaultdict(list)
    for met_id, row in audit.iterrows():
        new_id = str(row["new_id"] or met_id)
        original[new_id].append(str(met_id))
        if row["status"] not in MAPPED_STATUSES and row["bigg_id"]:
            bigg_id = str(row["bigg_id"])
            proposed[new_id] = catalog.canonical(bigg_id) if catalog is not None else bigg_id
        if row["status"] in MAPPED_STATUSES and row["bigg_id"]:
            # Equivalent BiGG ids (a23op, 3a2oprop) name one compound: the catalogue's
            # canonical id, else the smallest of the audit's equivalents.
            bigg_id = str(row["bigg_id"])
            if catalog is not None:
                mapped[new_id] = catalog.canonical(bigg_id)
            else:
                equivalents = [e.strip() for e in str(row.get("equivalents", "")).split(";")]
                mapped[new_id] = min([bigg_id, *(e for e in equivalents if e)])
    return mapped, {k: ",".join(v) for k, v in original.items()}, proposed


def premerge(
    models: Sequence[cobra.Model] | Mapping[str, cobra.Model],
    catalog: Catalog | str | None = None,
    encoder: Any = None,
    *,
    harmonize_compartments: bool = True,
    compartment_map: Mapping[str, Mapping[str, str]] | None = None,
    join: bool = True,
    rename: bool = True,
    accept_review: bool = False,
    matches: Mapping[str, pd.DataFrame] | None = None,
    add_xrefs: bool | Any = False,
    **match_options: Any,
) -> PremergeResult:
    """Align copies of several models into one namespace, ready to be merged.

    Three steps: compartments get one id per compartment across the models
    (:mod:`cobra_metalign.merging.compartment_map`; on by default), every model is aligned
    to BiGG (:func:`align`), then metabolites left without a BiGG id are matched
    across the models (:mod:`cobra_metalign.merging.metabolite_join`; on by default).

    Parameters
    ----------
    models : sequence of cobra.Model, or mapping name -> cobra.Model
        Names default to the model ids (made unique with ``#2``...).
    catalog, encoder :
        As for :func:`align`; loaded once for all models.
    harmonize_compartments : bool, optional
        Give each compartment its BiGG-style id first (``c0``, ``C_c``, ``[c]``,
        ``Cytosol`` -> ``c``), so that the same compartment has one id in every
        model (default). The audits then refer to the harmonized copies.
    compartment_map : mapping, optional
        ``{model name: {old id: new id}}`` overriding the automatic reading.
    join : bool, optional
        Match metabolites without a BiGG id across the models (default).
    rename, accept_review, add_xrefs :
        As for :func:`align`.
    matches : mapping, optional
        ``{name: match frame}`` to apply instead of running the matcher (for the
        models named; the others are matched). Frames must be made on harmonized
        copies when ``harmonize_compartments`` is set.
    **match_options
        Passed to the matcher.

    Returns
    -------
    PremergeResult
        The input models are never changed. Accepted matches (given or found) that
        would merge metabolites of other heavy-atom formulas are demoted to review
        first (:attr:`PremergeResult.formula_vetoes`).
    """
    from cobra_metalign.catalog.store import Catalog, load_catalog
    from cobra_metalign.matching.matcher import match
    from cobra_metalign.merging.compartment_map import (
        COMPARTMENT_COLUMNS,
        apply_compartments,
        compartment_plan,
        model_compartments,
    )
    from cobra_metalign.merging.metabolite_join import (
        JOIN_COLUMNS,
        join_metabolites,
        veto_formula_merges,
    )

    pairs = _model_names(models)
    given = dict(matches or {})
    if any(name not in given for name, _ in pairs):
        if not isinstance(catalog, Catalog):
            catalog = load_catalog(catalog)
        encoder = _resolve_encoder(encoder)
    xrefs = _resolve_xrefs(add_xrefs, catalog)
    if harmonize_compartments:
        plan = compartment_plan(model_compartments(pairs), compartment_map)
    else:
        plan = pd.DataFrame(
            [
                (name, cid, cname, cid, "off", "harmonization switched off")
                for name, names in model_compartments(pairs).items()
                for cid, cname in sorted(names.items())
            ],
            columns=list(COMPARTMENT_COLUMNS),
        )
    aligned: dict[str, cobra.Model] = {}
    results: dict[str, AlignmentResult] = {}
    applied: dict[str, dict[str, str]] = {}
    mapped: dict[str, dict[str, str]] = {}
    original: dict[str, dict[str, str]] = {}
    vetoed: dict[str, list[str]] = {}
    proposed: dict[str, dict[str, str]] = {}
    audits, flagged, fingerprints = [], [], {}
    for name, model in pairs:
        work = model.copy()
        applied[name] = apply_compartments(work, plan, name) if harmonize_compartments else {}
        options = dict(
            inplace=True, rename=rename, accept_review=accept_review, add_xrefs=xrefs or False
        )
        if name in given:
            frame = given[name]
        else:
            frame = match(work, catalog=catalog, encoder=encoder, **match_options)
        # No merge of different heavy-atom formulas, whatever the matcher proposed.
        known = catalog if isinstance(catalog, Catalog) else None
        frame, vetoed[name] = veto_formula_merges(work, frame, known, name)
        result = align(work, matches=frame, **options)
        aligned[name], results[name] = result.model, result
        mapped[name], original[name], proposed[name] = _mapped_and_original(result.audit, known)
        fingerprints[name] = result.audit.attrs.get("model_fingerprint", "")
        audits.append(_with_model_level(result.audit, name, "metabolite_id"))
        reactions = result.reactions if len(result.reactions) else empty_reactions()
        flagged.append(_with_model_level(reactions, name, "reaction_id"))
        logger.info("Pre-merge: aligned %s (%s)", name, result)
    if join and len(aligned) > 1:
        known = catalog if isinstance(catalog, Catalog) else None
        joins, renames = join_metabolites(
            aligned, mapped, proposed, catalog=known, sources=original
        )
        for (name, old), new in renames.items():
            moved = original[name].pop(old, old)
            earlier = original[name].get(new)
            original[name][new] = f"{earlier},{moved}" if earlier else moved
    else:
        joins = pd.DataFrame(columns=list(JOIN_COLUMNS))
    non_empty = [frame for frame in audits if len(frame)]
    audit = pd.concat(non_empty) if non_empty else (audits[0] if audits else pd.DataFrame())
    audit.attrs = {
        "model_fingerprints": fingerprints,
        "rename": bool(rename),
        "accept_review": bool(accept_review),
    }
    reactions = pd.concat(flagged) if flagged else empty_reactions()
    return PremergeResult(
        models=aligned,
        audit=audit,
        reactions=reactions,
        results=results,
        compartments=applied,
        compartment_table=plan,
        joins=joins,
        original_ids=original,
        formula_vetoes=vetoed,
    )


# ------------------------------------------------------------------------- merge
@dataclass
class MergeResult:
    """What :func:`merge_models` returns.

    Attributes
    ----------
    model : cobra.Model
        The merged model: one metabolite per id, one reaction per stoichiometry
        (:func:`cobra_metalign.merging.reaction_join.combine_models`); every metabolite and
        reaction records its sources in ``notes["metalign_sources"]``.
    premerge : PremergeResult
        The aligned copies, their joint audit, the compartment and join tables.
    report : pandas.DataFrame
        Rows ``plain`` (cobra's merge of the inputs as they are) and
        ``premerged``; columns ``metabolites``, ``reactions``, ``genes``,
        ``reactions_skipped`` (dropped because their id was taken: cobra's merge
        does that, this one never), ``reactions_joined`` (same stoichiometry as a
        reaction of another model), ``reactions_renamed`` (id taken by another
        stoichiometry: kept as ``{id}__{model}``), ``duplicated_metabolites`` and
        ``duplicate_groups`` (by applied BiGG id and compartment, as before),
        ``detected_groups`` (groups found by :func:`cobra_metalign.merging.duplicates.duplicate_groups`,
        which also sees compounds without a BiGG id: the honest count).
    reaction_table : pandas.DataFrame
        One row per input reaction: where it went and how (``kept``, ``added``,
        ``joined``, ``renamed``).
    duplicates : pandas.DataFrame
        The groups left in the merged model, each with why it was not joined.
    sanity : pandas.DataFrame
        Growth and the energy-generating-cycle test per input and for the merge
        (empty when not run).
    """

    model: cobra.Model
    premerge: PremergeResult
    report: pd.DataFrame
    reaction_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    sanity: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> pd.DataFrame:
        """The merge report (see :attr:`report`)."""
        return self.report

    def to_frame(self) -> pd.DataFrame:
        """The joint audit table of the premerge."""
        return self.premerge.audit

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by the name the CLI writes it under (``report``, ``statuses``...)."""
        return {
            "report": self.report,
            "statuses": self.premerge.summary(),
            "compartments": self.premerge.compartment_table,
            "joins": self.premerge.joins,
            "reaction_joins": self.reaction_table,
            "duplicates": self.duplicates,
            "sanity": self.sanity,
        }

    def __repr__(self) -> str:
        plain = self.report.loc["plain", "duplicated_metabolites"]
        after = self.report.loc["premerged", "duplicated_metabolites"]
        return (
            f"<MergeResult {self.model.id!r}: {len(self.model.metabolites)} metabolites; "
            f"duplicated: {plain} by a plain merge, {after} after premerge; "
            f"{self.report.loc['premerged', 'detected_groups']} duplicate groups detected>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<p><strong>Merged model {html.escape(str(self.model.id))}</strong></p>"
            + self.report.to_html()
        )


@contextlib.contextmanager
def _quiet_cobra_merge() -> Iterator[None]:
    """Silence cobra's one warning per reaction it skips; the report counts them instead."""
    cobra_logger = logging.getLogger("cobra.core.model")
    level = cobra_logger.level
    cobra_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        cobra_logger.setLevel(level)


def _cobra_merge(
    models: Iterable[cobra.Model], model_id: str, prefix_existing: str | None
) -> tuple[cobra.Model, int]:
    """cobra's merge of ``models``, left to right; also the number of right reactions skipped."""
    models = list(models)
    merged = models[0].copy()
    merged.id = model_id
    names = dict(merged.compartments)
    skipped = 0
    with _quiet_cobra_merge():
        for other in models[1:]:
            if prefix_existing is None:
                skipped += sum(1 for r in other.reactions if r.id in merged.reactions)
            merged.merge(other, prefix_existing=prefix_existing, inplace=True, objective="left")
            for cid, cname in other.compartments.items():
                names.setdefault(cid, cname)
    merged.compartments = names
    return merged, skipped


def _compound_keys(
    premerged: PremergeResult, originals: Sequence[tuple[str, cobra.Model]]
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """{id in a plain merge: (compartment, compound)} and the same for premerged ids.

    The compound is the smallest of the applied BiGG id and its equivalents; the
    compartment is the BiGG-style id of the metabolite's original compartment.
    """
    plain: dict[str, tuple[str, str]] = {}
    after: dict[str, tuple[str, str]] = {}
    models_in_audit = (
        set(premerged.audit.index.get_level_values("model")) if len(premerged.audit) else set()
    )
    for name, model in originals:
        if name not in models_in_audit:  # a model without metabolites has no audit rows
            continue
        audit = premerged.audit.xs(name, level="model")
        original_compartment = {met.id: met.compartment or "" for met in model.metabolites}
        names = dict(model.compartments)
        for met_id, row in audit.iterrows():
            if row["status"] not in MAPPED_STATUSES or not row["bigg_id"]:
                continue
            compartment = standard_compartment(
                original_compartment.get(met_id, row["compartment"]),
                names.get(original_compartment.get(met_id, "")),
            )
            # Equivalent BiGG ids (mevR, mev__R) name one compound.
            equivalents = [e for e in str(row.get("equivalents", "")).split(";") if e.strip()]
            key = (compartment, min([str(row["bigg_id"]), *(e.strip() for e in equivalents)]))
            plain.setdefault(str(met_id), key)
            after.setdefault(str(row["new_id"]), key)
    return plain, after


def _duplicates(model: cobra.Model, keys: Mapping[str, tuple[str, str]]) -> tuple[int, int]:
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for met in model.metabolites:
        key = keys.get(met.id)
        if key is not None:
            groups[key].add(met.id)
    sizes = [len(ids) for ids in groups.values() if len(ids) > 1]
    return sum(size - 1 for size in sizes), len(sizes)


def merge_models(
    models: Sequence[cobra.Model] | Mapping[str, cobra.Model],
    catalog: Catalog | str | None = None,
    encoder: Any = None,
    *,
    harmonize_compartments: bool = True,
    join: bool = True,
    rename: bool = True,
    accept_review: bool = False,
    add_xrefs: bool | Any = False,
    premerged: PremergeResult | None = None,
    model_id: str | None = None,
    prefix_existing: str | None = None,
    recheck: bool = False,
    check_energy: bool = True,
    **match_options: Any,
) -> MergeResult:
    """Premerge several models, merge them, and report what is left to curate.

    Metabolites are joined by id after the premerge; reactions with the same
    stoichiometry across models become one (gene rules joined with ``or``, widest
    bounds); a reaction whose id is taken by another stoichiometry is kept under a
    new id (:func:`cobra_metalign.merging.reaction_join.combine_models`). A plain cobra
    merge of the inputs is made too, for the ``plain`` row of the report.

    Parameters
    ----------
    models : sequence of cobra.Model, or mapping name -> cobra.Model
        At least two models; never changed.
    catalog, encoder, harmonize_compartments, join, rename, accept_review, add_xrefs :
        As for :func:`premerge`.
    premerged : PremergeResult, optional
        Reuse a premerge of the same models instead of running one.
    model_id : str, optional
        Id of the merged model (default: the ids joined by ``_``).
    prefix_existing : str, optional
        Passed to ``cobra.Model.merge`` for the plain merge only.
    recheck : bool, optional
        Also run the matcher on both merged models and report, in column
        ``matcher_duplicates``, how many metabolites it marks as a duplicate of
        another (``duplicate_of``).
    check_energy : bool, optional
        Run the growth and energy-generating-cycle check (default); a warning is
        logged when the merge can make ATP with every uptake closed.
    **match_options
        Passed to the matcher.

    Returns
    -------
    MergeResult
    """
    from cobra_metalign.merging.duplicates import duplicate_groups
    from cobra_metalign.merging.energy import sanity_table
    from cobra_metalign.merging.reaction_join import combine_models

    pairs = _model_names(models)
    if len(pairs) < 2:
        raise ValueError("merge_models needs at least two models")
    if recheck or premerged is None:
        from cobra_metalign.catalog.store import Catalog, load_catalog

        if not isinstance(catalog, Catalog):
            catalog = load_catalog(catalog)
        encoder = _resolve_encoder(encoder)
    if premerged is None:
        premerged = premerge(
            dict(pairs),
            catalog,
            encoder,
            harmonize_compartments=harmonize_compartments,
            join=join,
            rename=rename,
            accept_review=accept_review,
            add_xrefs=add_xrefs,
            **match_options,
        )
    model_id = model_id or "_".join(name for name, _ in pairs)
    plain, plain_skipped = _cobra_merge((m for _, m in pairs), model_id, prefix_existing)
    merged, reaction_table = combine_models(premerged.models, premerged.original_ids, model_id)
    duplicates = duplicate_groups(merged, premerged.joins)
    kinds = reaction_table["kind"].value_counts()
    plain_keys, after_keys = _compound_keys(premerged, pairs)
    rows = {}
    for label, model, keys in (("plain", plain, plain_keys), ("premerged", merged, after_keys)):
        duplicated, groups = _duplicates(model, keys)
        rows[label] = {
            "metabolites": len(model.metabolites),
            "reactions": len(model.reactions),
            "genes": len(model.genes),
            "reactions_skipped": plain_skipped if label == "plain" else 0,
            "reactions_joined": 0 if label == "plain" else int(kinds.get("joined", 0)),
            "reactions_renamed": 0 if label == "plain" else int(kinds.get("renamed", 0)),
            "duplicated_metabolites": duplicated,
            "duplicate_groups": groups,
            "detected_groups": (
                len(duplicate_groups(model)) if label == "plain" else len(duplicates)
            ),
        }
    if recheck:
        from cobra_metalign.matching.matcher import match

        for label, model in (("plain", plain), ("premerged", merged)):
            frame = match(model, catalog=catalog, encoder=encoder, **match_options)
            rows[label]["matcher_duplicates"] = int((frame["duplicate_of"] != "").sum())
    report = pd.DataFrame.from_dict(rows, orient="index")
    report.index.name = "merge"
    logger.info(
        "Merged %s: %d duplicated metabolites by a plain merge, %d after premerge; "
        "%d duplicate groups detected",
        ", ".join(name for name, _ in pairs),
        rows["plain"]["duplicated_metabolites"],
        rows["premerged"]["duplicated_metabolites"],
        len(duplicates),
    )
    merged.notes = {
        **merged.notes,
        "metalign_merged_from": "; ".join(f"{name} ({model_fingerprint(m)})" for name, m in pairs),
    }
    sanity = (
        sanity_table(dict(pairs), merged, checked=premerged.models, merged_name="merged")
        if check_energy
        else pd.DataFrame()
    )
    return MergeResult(
        model=merged,
        premerge=premerged,
        report=report,
        reaction_table=reaction_table,
        duplicates=duplicates,
        sanity=sanity,
    )
