"""Write a rewrite plan into the SBML document itself, changing nothing else.

cobra's SBML writer rebuilds a document from the cobra model, losing what cobra
does not model (model history, unit definitions, initial amounts, kinetic laws,
gene product labels, second SBO terms, layout...) and changing level, version and
id prefixes. :func:`patch_document` instead edits the libsbml document the model
was read from, following a :class:`~cobra_metalign.rewrite.plan.RewritePlan`:

* each renamed species gets its new id, and every reference to it follows:
  reactants, products and modifiers, ``ci`` elements of kinetic laws, rules,
  initial assignments, events and constraints (a kinetic law's local parameter of
  the same name shadows it and is left alone), rule and assignment targets,
  groups members, FBC gene products' ``associatedSpecies``, layout species glyphs;
* each merged-away species is removed; in every reaction its references are
  joined with the survivor's, coefficients summed (products positive, reactants
  negative), a coefficient that sums to zero removed; a modifier already present
  is not repeated; groups and glyphs point at the survivor;
* a species without a compartment whose id suffix names one unambiguously gets
  that compartment (SBML requires one);
* the survivor gets ``bigg.metabolite`` (and catalogue cross-reference) CV terms
  in the URI form the document already uses (a metaid is created when missing),
  every CV term of the merged species, and a notes paragraph
  ``metalign_original_ids: ...``.

Species ids keep the document's own convention: ``M_`` prefixed when most of its
species ids are, else bare (an id that would start with a digit gets ``_``, as BiGG
exports write ``_10fthf_c``); characters SBML ids cannot hold are escaped as cobra
escapes them (``__45__``). Level, version, packages and the order of every element
stay as they were.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import libsbml

from cobra_metalign.errors import ModelWriteError
from cobra_metalign.rewrite.plan import NOTES_KEY, ZERO, RewritePlan

logger = logging.getLogger(__name__)

__all__ = [
    "PatchedDocument",
    "keep_input_bytes",
    "patch_document",
    "species_id_map",
    "sbml_species_id",
]

_XHTML = "http://www.w3.org/1999/xhtml"
_RESOURCE = re.compile(r"^(?:https?://identifiers\.org/([^/:]+)[/:](.+)|urn:miriam:([^:]+):(.+))$")
_NOTES_LINE = re.compile(rf"{NOTES_KEY}\s*:\s*([^<]*)")
_QUALIFIER_NAMESPACES = (
    ("http://biomodels.net/biology-qualifiers/", "bqbiol"),
    ("http://biomodels.net/model-qualifiers/", "bqmodel"),
)
_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class PatchedDocument:
    """A libsbml document with a plan written into it.

    Attributes
    ----------
    document : libsbml.SBMLDocument
    renamed : dict
        ``{old species id: new species id}`` in the document.
    removed : list of str
        Species ids removed by merges.
    reactions : list of str
        Reaction ids whose species references changed by a merge.
    annotated : list of str
        Species ids (final) that received CV terms.
    compartments : dict
        ``{species id: compartment}`` set on species that had none (from the id suffix).
    noted : list of str
        Species ids (final) whose notes received the original ids of a merge.
    original : bytes or None
        The input file's own bytes, to be written instead of the serialised document
        (set by :func:`keep_input_bytes` when the plan changed nothing).
    """

    document: Any
    renamed: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    annotated: list[str] = field(default_factory=list)
    compartments: dict[str, str] = field(default_factory=dict)
    noted: list[str] = field(default_factory=list)
    original: bytes | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        """Whether the plan changed anything in the document."""
        return bool(
            self.renamed
            or self.removed
            or self.reactions
            or self.annotated
            or self.compartments
            or self.noted
        )

    def to_bytes(self) -> bytes:
        """The document as SBML text (UTF-8), or the input's own bytes when kept."""
        if self.original is not None:
            return self.original
        text = libsbml.writeSBMLToString(self.document)
        if not text:
            raise ModelWriteError("libsbml could not serialise the patched document")
        return text.encode("utf-8")

    def write(self, path: Any, overwrite: bool = False, input_path: Any = None) -> Any:
        """Write atomically to ``path`` (``.xml``/``.sbml``, optionally ``.gz``).

        See :func:`cobra_metalign.io.model.write_model`, which this calls.
        """
        from cobra_metalign.io.model import write_model

        return write_model(self, path, overwrite=overwrite, input_path=input_path)


# ------------------------------------------------------------------ ids
def species_id_map(sbml_model: Any) -> dict[str, str]:
    """``{cobra metabolite id: SBML species id}`` as cobra's reader names species.

    Raises
    ------
    ModelWriteError
        When two species read as one cobra id.
    """
    from cobra.io.sbml import F_REPLACE, F_SPECIE

    clip = F_REPLACE[F_SPECIE]
    found: dict[str, str] = {}
    for species in sbml_model.getListOfSpecies():
        sid = species.getId()
        cobra_id = clip(sid)
        if cobra_id in found:
            raise ModelWriteError(f"species {found[cobra_id]} and {sid} both read as {cobra_id}")
        found[cobra_id] = sid
    return found


def sbml_species_id(cobra_id: str, prefixed: bool) -> str:
    """The SBML species id of a cobra id under a document's convention.

    Parameters
    ----------
    cobra_id : str
        The metabolite id (``10fthf_c``).
    prefixed : bool
        Whether the document writes species ids with ``M_``.

    Returns
    -------
    str
        ``M_10fthf_c`` or ``_10fthf_c``; characters outside ``[A-Za-z0-9_]``
        escaped as cobra escapes them.

    Examples
    --------
    >>> sbml_species_id("10fthf_c", True), sbml_species_id("10fthf_c", False)
    ('M_10fthf_c', '_10fthf_c')
    """
    from cobra.io.sbml import F_REPLACE, F_SPECIE_REV

    sid = F_REPLACE[F_SPECIE_REV](cobra_id, prefix="M_" if prefixed else "")
    if not prefixed and sid[:1].isdigit():
        sid = "_" + sid
    return sid


def _items(listing: Any) -> list[Any]:
    """The elements of a libsbml ListOf (faster than iterating the SWIG wrapper)."""
    get = listing.get
    return [get(index) for index in range(listing.size())]


# ------------------------------------------------------------------ math
def _rename_math(node: Any, mapping: Mapping[str, str], shadowed: frozenset[str]) -> bool:
    changed = False
    stack = [node]
    while stack:
        current = stack.pop()
        if current.getType() == libsbml.AST_NAME:
            name = current.getName()
            if name in mapping and name not in shadowed:
                current.setName(mapping[name])
                changed = True
        for index in range(current.getNumChildren()):
            stack.append(current.getChild(index))
    return changed


def _patch_math(element: Any, mapping: Mapping[str, str], shadowed: frozenset[str] = frozenset()):
    if element is None or not element.isSetMath():
        return
    math = element.getMath().deepCopy()
    if _rename_math(math, mapping, shadowed):
        element.setMath(math)


# --------------------------------------------------------------- reactions
def _stoichiometry(reference: Any, reaction_id: str) -> float:
    if reference.getLevel() > 2 and not reference.isSetStoichiometry():
        return 1.0
    if reference.getLevel() == 2 and reference.isSetStoichiometryMath():
        raise ModelWriteError(
            f"reaction {reaction_id}: species {reference.getSpecies()} has a stoichiometryMath; "
            "its merge cannot be written into the SBML document"
        )
    return float(reference.getStoichiometry())


def _merge_references(reaction: Any, rename: Mapping[str, str], survivors: set[str]) -> None:
    """Join the references of species that end as one; sum their coefficients."""
    rid = reaction.getId()
    listings = {-1: reaction.getListOfReactants(), 1: reaction.getListOfProducts()}
    refs: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for sign, listing in listings.items():
        for index in range(listing.size()):
            old = listing.get(index).getSpecies()
            refs[rename.get(old, old)].append((sign, index, old))
    removals: dict[int, list[int]] = {-1: [], 1: []}
    for group in refs.values():
        if len(group) > 1:
            _join_group(group, listings, survivors, rid, removals)
    for sign, indices in removals.items():
        for index in sorted(indices, reverse=True):
            listings[sign].remove(index)
    _dedupe_modifiers(reaction, rename)


def _join_group(
    group: list[tuple[int, int, str]],
    listings: Mapping[int, Any],
    survivors: set[str],
    rid: str,
    removals: dict[int, list[int]],
) -> None:
    """References ``(sign, index, species)`` to one final species: one keeps the net
    coefficient (none when it sums to zero); the others are marked for removal."""
    net = sum(sign * _stoichiometry(listings[sign].get(i), rid) for sign, i, _ in group)
    if abs(net) <= ZERO:
        for sign, index, _ in group:
            removals[sign].append(index)
        return
    side = 1 if net > 0 else -1
    candidates = [item for item in group if item[0] == side]
    # the survivor's own reference keeps its place, else the first on that side
    keep = next((item for item in candidates if item[2] in survivors), candidates[0])
    listings[side].get(keep[1]).setStoichiometry(abs(net))
    for item in group:
        if item != keep:
            removals[item[0]].append(item[1])


def _dedupe_modifiers(reaction: Any, rename: Mapping[str, str]) -> None:
    """A modifier that ends as one already present is not repeated."""
    modifiers = reaction.getListOfModifiers()
    seen: set[str] = set()
    duplicates = []
    for index in range(modifiers.size()):
        species = modifiers.get(index).getSpecies()
        final = rename.get(species, species)
        if final in seen:
            duplicates.append(index)
        seen.add(final)
    for index in reversed(duplicates):
        modifiers.remove(index)


def _involves(reaction: Any, species: set[str]) -> bool:
    for listing in (
        reaction.getListOfReactants(),
        reaction.getListOfProducts(),
        reaction.getListOfModifiers(),
    ):
        for reference in _items(listing):
            if reference.getSpecies() in species:
                return True
    return False


def _rename_in_reaction(reaction: Any, mapping: Mapping[str, str]) -> None:
    """Point the species references and kinetic law of a reaction at the new ids."""
    for listing in (
        reaction.getListOfReactants(),
        reaction.getListOfProducts(),
        reaction.getListOfModifiers(),
    ):
        for reference in _items(listing):
            new = mapping.get(reference.getSpecies())
            if new is not None:
                reference.setSpecies(new)
            if (
                reference.getLevel() == 2
                and hasattr(reference, "isSetStoichiometryMath")
                and reference.isSetStoichiometryMath()
            ):
                _patch_math(reference.getStoichiometryMath(), mapping)
    if reaction.isSetKineticLaw():
        law = reaction.getKineticLaw()
        local = frozenset(law.getParameter(i).getId() for i in range(law.getNumParameters()))
        local |= frozenset(
            law.getLocalParameter(i).getId() for i in range(law.getNumLocalParameters())
        )
        _patch_math(law, mapping, local)


def _rename_references(sbml_model: Any, mapping: Mapping[str, str]) -> None:
    """Point every reference outside reactions at the new ids."""
    for rule in sbml_model.getListOfRules():
        if rule.isSetVariable() and rule.getVariable() in mapping:
            rule.setVariable(mapping[rule.getVariable()])
        _patch_math(rule, mapping)
    for assignment in sbml_model.getListOfInitialAssignments():
        if assignment.getSymbol() in mapping:
            assignment.setSymbol(mapping[assignment.getSymbol()])
        _patch_math(assignment, mapping)
    for constraint in sbml_model.getListOfConstraints():
        _patch_math(constraint, mapping)
    for event in sbml_model.getListOfEvents():
        for part in (event.getTrigger(), event.getDelay(), event.getPriority()):
            _patch_math(part, mapping)
        for assignment in event.getListOfEventAssignments():
            if assignment.getVariable() in mapping:
                assignment.setVariable(mapping[assignment.getVariable()])
            _patch_math(assignment, mapping)
    _rename_package_references(sbml_model, mapping)


def _rename_package_references(sbml_model: Any, mapping: Mapping[str, str]) -> None:
    """Groups members, FBC gene products' associated species, layout species glyphs."""
    groups = sbml_model.getPlugin("groups")
    if groups is not None:
        for group in groups.getListOfGroups():
            _follow(group.getListOfMembers(), "IdRef", mapping)
    fbc = sbml_model.getPlugin("fbc")
    if fbc is not None and hasattr(fbc, "getListOfGeneProducts"):
        products = [p for p in fbc.getListOfGeneProducts() if p.isSetAssociatedSpecies()]
        _follow(products, "AssociatedSpecies", mapping)
    layout = sbml_model.getPlugin("layout")
    if layout is not None:
        for each in layout.getListOfLayouts():
            _follow(each.getListOfSpeciesGlyphs(), "SpeciesId", mapping)


def _follow(elements: Iterable[Any], attribute: str, mapping: Mapping[str, str]) -> None:
    """Set ``attribute`` (``IdRef``, ``SpeciesId``...) of each element to its new id."""
    for element in elements:
        old = getattr(element, f"get{attribute}")()
        if old in mapping:
            getattr(element, f"set{attribute}")(mapping[old])


def _dedupe_group_members(sbml_model: Any) -> None:
    groups = sbml_model.getPlugin("groups")
    if groups is None:
        return
    for group in groups.getListOfGroups():
        members = group.getListOfMembers()
        seen: set[str] = set()
        duplicates = []
        for index in range(members.size()):
            ref = members.get(index).getIdRef()
            if ref and ref in seen:
                duplicates.append(index)
            seen.add(ref)
        for index in reversed(duplicates):
            members.remove(index)


def _refuse_set_species(sbml_model: Any, merged: Iterable[str]) -> None:
    """A merged-away species that a rule or assignment sets cannot be merged in the document."""
    merged = set(merged)
    targets = [r.getVariable() for r in sbml_model.getListOfRules() if r.isSetVariable()]
    targets += [a.getSymbol() for a in sbml_model.getListOfInitialAssignments()]
    for event in sbml_model.getListOfEvents():
        targets += [a.getVariable() for a in event.getListOfEventAssignments()]
    clash = sorted(merged.intersection(targets))
    if clash:
        raise ModelWriteError(
            f"cannot merge {clash[:5]} in the SBML document: a rule or assignment sets them; "
            "write the model as JSON or reject those merges"
        )


# -------------------------------------------------------------- annotations
def _resource_key(resource: str) -> tuple[str, str] | None:
    found = _RESOURCE.match(resource)
    if found is None:
        return None
    namespace = found.group(1) or found.group(3)
    value = found.group(2) or found.group(4)
    return namespace, value.replace("%3A", ":")


def _uri_style(sbml_model: Any, limit: int = 200) -> str:
    """The form of identifiers.org URIs the document uses (format string)."""
    styles: Counter[str] = Counter()
    for index, species in enumerate(sbml_model.getListOfSpecies()):
        if index >= limit:
            break
        for term in species.getCVTerms() or ():
            for i in range(term.getNumResources()):
                uri = term.getResourceURI(i)
                if uri.startswith("urn:miriam:"):
                    styles["urn:miriam:{ns}:{value}"] += 1
                elif uri.startswith("http://identifiers.org/"):
                    styles["http://identifiers.org/{ns}/{value}"] += 1
                elif uri.startswith("https://identifiers.org/"):
                    styles["https://identifiers.org/{ns}/{value}"] += 1
    if not styles:
        return "https://identifiers.org/{ns}/{value}"
    return styles.most_common(1)[0][0]


def _existing_keys(species: Any) -> set[tuple[str, str] | str]:
    keys: set[tuple[str, str] | str] = set()
    for term in species.getCVTerms() or ():
        for i in range(term.getNumResources()):
            uri = term.getResourceURI(i)
            keys.add(_resource_key(uri) or uri)
    return keys


class _MetaIds:
    """Fresh metaids, unique in the document; the document's ids, collected when first needed."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self._ids: tuple[set[str], set[str]] | None = None

    def _collect(self) -> tuple[set[str], set[str]]:
        if self._ids is None:
            self._ids = _ids(self.document)
        return self._ids

    @property
    def sids(self) -> set[str]:
        return self._collect()[0]

    def new(self, sid: str) -> str:
        taken = self._collect()[1]
        candidate, number = f"metalign_{sid}", 2
        while candidate in taken:
            candidate, number = f"metalign_{sid}_{number}", number + 1
        taken.add(candidate)
        return candidate


def _add_terms(species: Any, terms: list[Any], metaids: _MetaIds) -> bool:
    if not terms:
        return False
    if species.getLevel() < 2:
        logger.warning("%s: SBML level 1 has no annotations; CV terms not added", species.getId())
        return False
    if not species.isSetMetaId():
        species.setMetaId(metaids.new(species.getId()))
    if species.isSetAnnotation():
        # before the terms change: reading the annotation afterwards rebuilds it (slow)
        _ensure_rdf_namespaces(species)
    for term in terms:
        result = species.addCVTerm(term)
        if result != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise ModelWriteError(
                f"cannot annotate species {species.getId()}: "
                f"{libsbml.OperationReturnValue_toString(result)}"
            )
    return True


def _new_term(qualifier: int, resources: list[str]) -> Any:
    term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
    term.setBiologicalQualifierType(qualifier)
    for resource in resources:
        term.addResource(resource)
    return term


def _merged_terms(species: Any, sources: list[Any], have: set) -> list[Any]:
    """CV terms of merged species, without resources the survivor has already."""
    terms = []
    for source in sources:
        for term in source.getCVTerms() or ():
            fresh = []
            for i in range(term.getNumResources()):
                uri = term.getResourceURI(i)
                key = _resource_key(uri) or uri
                if key not in have:
                    have.add(key)
                    fresh.append(uri)
            if not fresh:
                continue
            copy = libsbml.CVTerm(term.getQualifierType())
            if term.getQualifierType() == libsbml.MODEL_QUALIFIER:
                copy.setModelQualifierType(term.getModelQualifierType())
            else:
                copy.setBiologicalQualifierType(term.getBiologicalQualifierType())
            for uri in fresh:
                copy.addResource(uri)
            terms.append(copy)
    return terms


def _add_notes_node(species: Any, paragraph: str) -> int:
    """Add a paragraph to notes libsbml will not append to (an undeclared ``html:`` prefix)."""
    notes = species.getNotes()
    node = libsbml.XMLNode.convertStringToXMLNode(paragraph)
    if notes is None or node is None:
        return libsbml.LIBSBML_OPERATION_FAILED
    target = notes
    for index in range(notes.getNumChildren()):
        child = notes.getChild(index)
        if child.isElement() and child.getName() in ("html", "body"):
            target = child
            break
    return target.addChild(node)


def _ensure_rdf_namespaces(species: Any) -> None:
    """Declare the qualifier namespaces on the RDF element (some inputs declare them lower)."""
    annotation = species.getAnnotation()
    if annotation is None:
        return
    for index in range(annotation.getNumChildren()):
        child = annotation.getChild(index)
        if child.getName() != "RDF":
            continue
        namespaces = child.getNamespaces()
        for uri, prefix in _QUALIFIER_NAMESPACES:
            if not namespaces.hasURI(uri) and not namespaces.hasPrefix(prefix):
                child.addNamespace(uri, prefix)


def _add_notes(species: Any, originals: list[str]) -> None:
    existing = species.getNotesString() if species.isSetNotes() else ""
    found = _NOTES_LINE.search(existing)
    if found:
        recorded = [i.strip() for i in html.unescape(found.group(1)).split(";") if i.strip()]
        ids = list(dict.fromkeys([*recorded, *originals]))
        text = html.escape("; ".join(ids), quote=False)
        updated = existing[: found.start(1)] + text + existing[found.end(1) :]
        species.setNotes(updated)
        return
    text = html.escape("; ".join(dict.fromkeys(originals)), quote=False)
    paragraph = f'<p xmlns="{_XHTML}">{NOTES_KEY}: {text}</p>'
    body = f'<body xmlns="{_XHTML}">{paragraph}</body>'
    if not existing:
        result = species.setNotes(body)
    else:
        # notes held in a <body> (or <html>) take a body; a list of paragraphs a paragraph
        result = species.appendNotes(body)
        if result != libsbml.LIBSBML_OPERATION_SUCCESS:
            result = species.appendNotes(paragraph)
        if result != libsbml.LIBSBML_OPERATION_SUCCESS:
            result = _add_notes_node(species, paragraph)
    if result != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelWriteError(
            f"cannot add notes to species {species.getId()}: "
            f"{libsbml.OperationReturnValue_toString(result)}"
        )


# ------------------------------------------------------------------- patch
def _species_mapping(plan: RewritePlan, sid_of: Mapping[str, str]) -> dict[str, str]:
    """``{old species id: final species id}`` for every species that changes or goes."""
    species_ids = list(sid_of.values())
    prefixed = sum(s.startswith("M_") for s in species_ids) * 2 > len(species_ids)
    renames = plan.renames
    mapping: dict[str, str] = {}
    for unit in plan.units:
        old = sid_of[unit.survivor]
        new = sbml_species_id(unit.final_id, prefixed) if unit.survivor in renames else old
        if not _SID.match(new):
            raise ModelWriteError(f"{unit.final_id!r} cannot be written as an SBML id")
        if new != old:
            mapping[old] = new
        for member in unit.merged:
            mapping[sid_of[member]] = new
    return mapping


def _annotate(
    plan: RewritePlan,
    sbml_model: Any,
    by_id: Mapping[str, Any],
    sid_of: Mapping[str, str],
    new_metaid: _MetaIds,
    patched: PatchedDocument,
) -> None:
    """CV terms (the plan's and the merged species') and provenance notes of survivors."""
    style = _uri_style(sbml_model)
    notes_of = plan.notes
    for unit in plan.units:
        species = by_id[sid_of[unit.survivor]]
        have = _existing_keys(species)
        terms = _merged_terms(species, [by_id[sid_of[m]] for m in unit.merged], have)
        resources = []
        for namespace, values in plan.annotations.get(unit.survivor, {}).items():
            for value in values:
                if (namespace, value) not in have:
                    have.add((namespace, value))
                    resources.append(style.format(ns=namespace, value=value))
        if resources:
            terms.append(_new_term(libsbml.BQB_IS, resources))
        if _add_terms(species, terms, new_metaid):
            patched.annotated.append(species.getId())
        if unit.survivor in notes_of:
            _add_notes(species, notes_of[unit.survivor])
            patched.noted.append(species.getId())


def patch_document(document: Any, plan: RewritePlan) -> PatchedDocument:
    """Write ``plan`` into ``document`` (changed in place).

    Parameters
    ----------
    document : libsbml.SBMLDocument
        The document the plan's model was read from (cobra ids are the species
        ids as cobra's reader clips them).
    plan : RewritePlan
        A checked plan (:func:`cobra_metalign.rewrite.cobra_model.plan_matches`).

    Returns
    -------
    PatchedDocument

    Raises
    ------
    ModelWriteError
        The plan does not fit the document (unknown metabolite), a new id is
        already used by another element, a merged species is set by a rule, or
        libsbml refuses a change.
    """
    sbml_model = document.getModel()
    if sbml_model is None:
        raise ModelWriteError("the SBML document has no model")
    sid_of = species_id_map(sbml_model)
    missing = [m for m in plan.order if m not in sid_of]
    if missing:
        raise ModelWriteError(
            f"{len(missing)} metabolites of the plan are not species of the document: {missing[:5]}"
        )
    mapping = _species_mapping(plan, sid_of)
    removed = [sid_of[m] for m in plan.merged_into]
    _refuse_set_species(sbml_model, removed)
    new_metaid = _MetaIds(document)
    if mapping:
        _check_new_ids(new_metaid.sids, mapping, set(removed))
    patched = PatchedDocument(document=document)

    # 1. annotations and notes, on the species objects (before removal and renaming)
    by_id = {species.getId(): species for species in _items(sbml_model.getListOfSpecies())}
    _annotate(plan, sbml_model, by_id, sid_of, new_metaid, patched)
    patched.annotated = [mapping.get(sid, sid) for sid in patched.annotated]
    patched.noted = [mapping.get(sid, sid) for sid in patched.noted]
    _set_inferred_compartments(plan, sbml_model, by_id, sid_of, patched)
    # 2. reactions: join merged references, then follow the new ids
    survivors = {sid_of[u.survivor] for u in plan.units if u.merged}
    _patch_reactions(sbml_model, mapping, set(removed), survivors, patched)
    # 3. remove merged species, rename the rest, follow every other reference
    _remove_and_rename(sbml_model, by_id, mapping, removed, patched)
    logger.info(
        "Patched the SBML document: %d species renamed, %d removed by merges, %d reactions "
        "rewired, %d annotated",
        len(patched.renamed),
        len(patched.removed),
        len(patched.reactions),
        len(patched.annotated),
    )
    return patched


def _set_inferred_compartments(
    plan: RewritePlan,
    sbml_model: Any,
    by_id: Mapping[str, Any],
    sid_of: Mapping[str, str],
    patched: PatchedDocument,
) -> None:
    """Compartments taken from the id suffix of species that had none (SBML requires one)."""
    for met_id, compartment in plan.inferred.items():
        species = by_id[sid_of[met_id]]
        if not species.isSetCompartment() and sbml_model.getCompartment(compartment):
            species.setCompartment(compartment)
            patched.compartments[species.getId()] = compartment


def _patch_reactions(
    sbml_model: Any,
    mapping: Mapping[str, str],
    removed: set[str],
    survivors: set[str],
    patched: PatchedDocument,
) -> None:
    """Join the references of merged species, then point every reference at the new ids."""
    if not removed and not mapping:
        return
    for reaction in _items(sbml_model.getListOfReactions()):
        if removed and _involves(reaction, removed):
            _merge_references(reaction, mapping, survivors)
            patched.reactions.append(reaction.getId())
        if mapping:
            _rename_in_reaction(reaction, mapping)


def _remove_and_rename(
    sbml_model: Any,
    by_id: Mapping[str, Any],
    mapping: Mapping[str, str],
    removed: list[str],
    patched: PatchedDocument,
) -> None:
    """Remove the merged species, rename the rest, follow every other reference."""
    for sid in removed:
        sbml_model.removeSpecies(sid)
    patched.removed = removed
    removed_set = set(removed)
    for old, new in mapping.items():
        if old in removed_set:
            continue
        result = by_id[old].setId(new)
        if result != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise ModelWriteError(f"cannot rename species {old} to {new}")
        patched.renamed[old] = new
    if mapping:
        _rename_references(sbml_model, mapping)
        _dedupe_group_members(sbml_model)


def keep_input_bytes(patched: PatchedDocument) -> bool:
    """Write the input file's own bytes when the plan changed nothing in its document.

    For a document from :func:`cobra_metalign.io.model.read_model_document`, left
    as read but for ``patch_document``: the file is read again and its bytes kept
    only when their sha256 is the one of the bytes libsbml parsed (the file has not
    changed since). The output is then the input byte for byte, not libsbml's
    re-serialisation of it.

    Returns
    -------
    bool
        Whether the input's bytes are kept (``patched.original``).
    """
    from cobra_metalign.io.model import source_bytes

    if patched.changed:
        return False
    patched.original = source_bytes(patched.document)
    return patched.original is not None


def _elements(sbml_model: Any) -> Iterable[Any]:
    """The model and its elements that carry SIds or metaids, walked list by list.

    (``getListOfAllElements`` returns a linked list whose indexing is linear: a
    walk over it is quadratic.)
    """
    yield sbml_model
    lists = [
        sbml_model.getListOfFunctionDefinitions(),
        sbml_model.getListOfUnitDefinitions(),
        sbml_model.getListOfCompartments(),
        sbml_model.getListOfSpecies(),
        sbml_model.getListOfParameters(),
        sbml_model.getListOfInitialAssignments(),
        sbml_model.getListOfRules(),
        sbml_model.getListOfConstraints(),
        sbml_model.getListOfEvents(),
    ]
    for listing in lists:
        yield from _items(listing)
    for reaction in _items(sbml_model.getListOfReactions()):
        yield reaction
        yield from _items(reaction.getListOfReactants())
        yield from _items(reaction.getListOfProducts())
        yield from _items(reaction.getListOfModifiers())
    fbc = sbml_model.getPlugin("fbc")
    if fbc is not None:
        if hasattr(fbc, "getListOfGeneProducts"):
            yield from fbc.getListOfGeneProducts()
        for objective in fbc.getListOfObjectives():
            yield objective
            yield from objective.getListOfFluxObjectives()
    groups = sbml_model.getPlugin("groups")
    if groups is not None:
        for group in groups.getListOfGroups():
            yield group
            yield from group.getListOfMembers()
    layout = sbml_model.getPlugin("layout")
    if layout is not None:
        yield from layout.getListOfLayouts()


def _ids(document: Any) -> tuple[set[str], set[str]]:
    """The SIds and the metaids of the document's elements."""
    sids, metaids = set(), set()
    if document.isSetMetaId():
        metaids.add(document.getMetaId())
    for element in _elements(document.getModel()):
        if element.isSetIdAttribute():
            sids.add(element.getIdAttribute())
        if element.isSetMetaId():
            metaids.add(element.getMetaId())
    return sids, metaids


def _check_new_ids(sids: set[str], mapping: Mapping[str, str], removed: set[str]) -> None:
    """A new id must not be the id of another element of the document."""
    new_ids = {new for old, new in mapping.items() if old not in removed}
    clash = sorted((new_ids & sids) - set(mapping))
    if clash:
        raise ModelWriteError(
            f"new species ids {clash[:5]} are already ids of other elements of the document"
        )
