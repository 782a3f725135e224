"""Text that XML 1.0 cannot hold: find it and clean it before it reaches SBML.

SBML is XML 1.0, which allows only tab, line feed, carriage return and the
characters from U+0020 on, minus the surrogates U+D800-U+DFFF and the
non-characters U+FFFE and U+FFFF. JSON, YAML and MAT models can hold anything
(``"\\u0000"``, BEL, ESC, a lone surrogate ``"\\ud800"``), and a name holding one
makes the written SBML unreadable. :func:`clean_model_text` removes such
characters from every text of a model as it is read (names, formulas,
compartments, notes, annotations, subsystems) and replaces them in ids by
``_UXXXX_`` (the code point, so that ids stay unique); each change
is logged, and each cleaned metabolite records what was cleaned so that the
audit's ``comment`` can say it (:func:`cleaning_notes`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cobra_metalign.errors import ModelReadError

if TYPE_CHECKING:  # pragma: no cover
    import cobra

logger = logging.getLogger(__name__)

__all__ = [
    "CLEANED_ATTRIBUTE",
    "invalid_xml_characters",
    "clean_xml_text",
    "clean_model_text",
    "clean_model_dict",
    "mark_cleaned",
    "cleaning_notes",
]

#: Attribute set on a cobra Metabolite whose texts were cleaned: a list of notes.
CLEANED_ATTRIBUTE = "metalign_cleaned"

#: Characters outside XML 1.0's ``Char`` production.
_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: How many cleaned texts a read's warning lists by name.
_SHOWN = 5


def _label(char: str) -> str:
    return f"U+{ord(char):04X}"


def invalid_xml_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` that XML 1.0 cannot hold, as ``U+XXXX`` labels.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
        Sorted by code point; empty when the text is clean.

    Examples
    --------
    >>> invalid_xml_characters("ATP\\x00\\x07")
    ['U+0000', 'U+0007']
    """
    return [_label(c) for c in sorted(set(_INVALID.findall(text)))]


def clean_xml_text(
    text: str, replacement: str | Callable[[str], str] = ""
) -> tuple[str, list[str]]:
    """Remove (or replace) the characters XML 1.0 cannot hold.

    Parameters
    ----------
    text : str
    replacement : str or callable, optional
        What each character becomes (default: nothing), or a function of it.

    Returns
    -------
    text : str
        The cleaned text (the same object when nothing was found).
    removed : list of str
        The distinct characters found, as ``U+XXXX`` labels.

    Examples
    --------
    >>> clean_xml_text("ATP\\x1b[0m")
    ('ATP[0m', ['U+001B'])
    """
    found = invalid_xml_characters(text)
    if not found:
        return text, []
    if callable(replacement):
        return _INVALID.sub(lambda m: replacement(m.group()), text), found
    return _INVALID.sub(replacement, text), found


def _id_escape(char: str) -> str:
    # Not cobra's own ``__7__``: cobra's SBML reader turns that back into the
    # character, and a control character in an id makes GLPK abort the process.
    return f"_U{ord(char):04X}_"


class _Cleaner:
    """Cleans one model, collecting notes per object."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.changes: list[str] = []

    def text(self, value: Any, what: str, notes: list[str]) -> Any:
        if not isinstance(value, str):
            return value
        cleaned, found = clean_xml_text(value)
        if found:
            notes.append(f"{what}: removed {', '.join(found)}")
        return cleaned

    def mapping(self, value: Any, what: str, notes: list[str]) -> Any:
        """Clean the keys and values of a notes or annotation dict (values may be lists)."""
        if not isinstance(value, dict):
            return value
        changed = False
        result: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = self.text(key, f"{what} key", notes)
            if isinstance(item, list):
                new_item: Any = [self.text(v, what, notes) for v in item]
                changed |= any(a is not b for a, b in zip(new_item, item, strict=True))
            else:
                new_item = self.text(item, what, notes)
                changed |= new_item is not item
            changed |= new_key is not key
            result[new_key] = new_item
        if changed:
            value.clear()
            value.update(result)
        return value

    def identifier(self, value: str, what: str, taken: set[str], notes: list[str]) -> str:
        cleaned, found = clean_xml_text(value, _id_escape)
        if not found:
            return value
        if cleaned in taken:
            raise ModelReadError(
                f"{self.source}: {what} {value!r} holds {', '.join(found)}, which SBML cannot "
                f"hold, and its cleaned form {cleaned!r} is already taken; fix the id in the file"
            )
        notes.append(f"id: {', '.join(found)} replaced ({cleaned})")
        return cleaned

    def record(self, kind: str, object_id: str, notes: list[str]) -> None:
        if notes:
            self.changes.append(f"{kind} {object_id!r}: {'; '.join(notes)}")


def clean_model_text(model: cobra.Model, source: str = "") -> dict[str, list[str]]:
    """Clean every text of ``model`` in place of the characters XML 1.0 cannot hold.

    Names, formulas, compartment ids and names, notes and annotations (keys and
    values), subsystems and group names lose such characters; ids of metabolites,
    reactions, genes and compartments get them replaced by ``_UXXXX_``.
    Each cleaned metabolite keeps its notes in the attribute
    :data:`CLEANED_ATTRIBUTE` (read by :func:`cleaning_notes`), and a warning
    names what was cleaned.

    Parameters
    ----------
    model : cobra.Model
        Changed in place (it has just been read).
    source : str, optional
        The file, for messages.

    Returns
    -------
    dict
        ``{"metabolite 'id'": [notes], ...}`` for every cleaned object; empty
        when the model was clean (the common case, checked in one pass).

    Raises
    ------
    cobra_metalign.errors.ModelReadError
        When a cleaned id collides with another id of the model.
    """
    cleaner = _Cleaner(source or str(model.id))
    found: dict[str, list[str]] = {}
    _clean_model_fields(model, cleaner, found)
    renamed = _clean_compartments(model, cleaner, found)
    _clean_metabolites(model, renamed, cleaner, found)
    _clean_reactions(model, cleaner, found)
    _clean_genes(model, cleaner, found)
    _clean_groups(model, cleaner, found)
    if found:
        model.repair()
        _warn_cleaned(cleaner)
    return found


def _clean_model_fields(model: cobra.Model, cleaner: _Cleaner, found: dict) -> None:
    notes: list[str] = []
    model.name = cleaner.text(model.name, "name", notes)
    cleaner.mapping(model.notes, "notes", notes)
    cleaner.mapping(model.annotation, "annotation", notes)
    if isinstance(model.id, str) and invalid_xml_characters(model.id):
        model.id = cleaner.text(model.id, "id", notes)
    cleaner.record("model", str(model.id), notes)
    if notes:
        found[f"model {model.id!r}"] = notes


def _clean_compartments(model: cobra.Model, cleaner: _Cleaner, found: dict) -> dict[str, str]:
    """Clean compartment ids and names; ``{old id: cleaned id}`` of those renamed."""
    compartments = dict(model.compartments)
    renamed: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for compartment_id, name in compartments.items():
        notes: list[str] = []
        new_id = compartment_id
        if isinstance(compartment_id, str):
            new_id = cleaner.identifier(
                compartment_id, "compartment", set(compartments) - {compartment_id}, notes
            )
        cleaned[new_id] = cleaner.text(name, "name", notes)
        if new_id != compartment_id:
            renamed[compartment_id] = new_id
        cleaner.record("compartment", str(new_id), notes)
        if notes:
            found[f"compartment {new_id!r}"] = notes
    if cleaned != compartments:
        model.compartments = cleaned
    return renamed


def _clean_object(obj: Any, kind: str, taken: set[str], cleaner: _Cleaner) -> list[str]:
    """Clean the id, name, notes and annotation of a metabolite or reaction."""
    notes: list[str] = []
    new_id = cleaner.identifier(obj.id, kind, taken, notes)
    if new_id != obj.id:
        taken.discard(obj.id)
        taken.add(new_id)
        obj.id = new_id
    obj.name = cleaner.text(obj.name, "name", notes)
    cleaner.mapping(obj.notes, "notes", notes)
    cleaner.mapping(obj.annotation, "annotation", notes)
    return notes


def _clean_metabolites(
    model: cobra.Model, renamed: dict[str, str], cleaner: _Cleaner, found: dict
) -> None:
    taken = {met.id for met in model.metabolites}
    for met in list(model.metabolites):
        notes = _clean_object(met, "metabolite", taken, cleaner)
        met.formula = cleaner.text(met.formula, "formula", notes)
        if met.compartment in renamed:
            met.compartment = renamed[met.compartment]
            notes.append("compartment id cleaned")
        elif isinstance(met.compartment, str):
            met.compartment = cleaner.text(met.compartment, "compartment", notes)
        cleaner.record("metabolite", met.id, notes)
        if notes:
            found[f"metabolite {met.id!r}"] = notes
            setattr(met, CLEANED_ATTRIBUTE, [*getattr(met, CLEANED_ATTRIBUTE, []), *notes])


def _clean_reactions(model: cobra.Model, cleaner: _Cleaner, found: dict) -> None:
    taken = {reaction.id for reaction in model.reactions}
    for reaction in list(model.reactions):
        notes = _clean_object(reaction, "reaction", taken, cleaner)
        reaction.subsystem = cleaner.text(reaction.subsystem, "subsystem", notes)
        cleaner.record("reaction", reaction.id, notes)
        if notes:
            found[f"reaction {reaction.id!r}"] = notes


def _clean_genes(model: cobra.Model, cleaner: _Cleaner, found: dict) -> None:
    gene_ids: dict[str, str] = {}
    taken = {gene.id for gene in model.genes}
    for gene in model.genes:
        notes: list[str] = []
        new_id = cleaner.identifier(gene.id, "gene", taken, notes)
        if new_id != gene.id:
            gene_ids[gene.id] = new_id
            taken.add(new_id)
        gene.name = cleaner.text(gene.name, "name", notes)
        cleaner.mapping(gene.notes, "notes", notes)
        cleaner.mapping(gene.annotation, "annotation", notes)
        cleaner.record("gene", new_id, notes)
        if notes:
            found[f"gene {new_id!r}"] = notes
    if gene_ids:
        from cobra.manipulation import rename_genes

        rename_genes(model, gene_ids)


def _clean_groups(model: cobra.Model, cleaner: _Cleaner, found: dict) -> None:
    for group in model.groups:
        notes: list[str] = []
        group.name = cleaner.text(group.name, "name", notes)
        cleaner.mapping(group.notes, "notes", notes)
        cleaner.record("group", group.id, notes)
        if notes:
            found[f"group {group.id!r}"] = notes


def _warn_cleaned(cleaner: _Cleaner) -> None:
    shown = "; ".join(cleaner.changes[:_SHOWN])
    more = len(cleaner.changes) - _SHOWN
    logger.warning(
        "%s: removed characters XML 1.0 cannot hold (control characters, U+FFFE/U+FFFF, "
        "lone surrogates) from %d objects: %s%s",
        cleaner.source,
        len(cleaner.changes),
        shown,
        f" and {more} more" if more > 0 else "",
    )


#: Characters a solver refuses in a name (GLPK aborts the process on them): ASCII controls.
_SOLVER_INVALID = re.compile("[\x00-\x1f\x7f]")


def _clean_id_text(value: Any) -> tuple[Any, list[str]]:
    """An id (or a text made of ids) cleaned for XML and for the solver: ``_UXXXX_``."""
    if not isinstance(value, str):
        return value, []
    found = sorted(set(_INVALID.findall(value)) | set(_SOLVER_INVALID.findall(value)))
    if not found:
        return value, []
    bad = set(found)
    return "".join(_id_escape(c) if c in bad else c for c in value), [_label(c) for c in found]


def _clean_any(value: Any, notes: list[str], what: str) -> Any:
    """Any nested notes/annotation value: strings cleaned, lists and dicts walked."""
    if isinstance(value, str):
        cleaned, found = clean_xml_text(value)
        if found:
            notes.append(f"{what}: removed {', '.join(found)}")
        return cleaned
    if isinstance(value, list):
        return [_clean_any(v, notes, what) for v in value]
    if isinstance(value, dict):
        return {
            _clean_any(k, notes, f"{what} key"): _clean_any(v, notes, what)
            for k, v in value.items()
        }
    return value


def clean_model_dict(data: Any, source: str = "") -> dict[str, list[str]]:
    """Clean a model dict (cobra's JSON/YAML form) in place, before cobra builds the model.

    This must happen before :func:`cobra.io.model_from_dict`: an id holding an
    ASCII control character makes the solver (GLPK) abort the whole process
    when the model is built. Ids (of metabolites, reactions, genes and
    compartments, the metabolite ids of reactions, gene ids in gene rules) get
    such characters and those XML 1.0 cannot hold replaced by ``_UXXXX_``;
    every other text loses the characters XML cannot hold.

    Parameters
    ----------
    data : dict
        As :func:`json.load` returns it; changed in place. Anything that is not
        a dict is left to cobra to refuse.
    source : str, optional
        The file, for messages.

    Returns
    -------
    dict
        ``{metabolite id (cleaned): [notes]}`` for the metabolites changed; pass
        it to :func:`mark_cleaned` once the model is built.
    """
    if not isinstance(data, dict):
        return {}
    cleaner = _DictCleaner()
    top_notes: list[str] = []
    for key in list(data):
        if key in ("metabolites", "reactions", "genes") and isinstance(data[key], list):
            cleaner.items(data[key], key[:-1])
        elif key == "compartments" and isinstance(data[key], dict):
            data[key] = {
                cleaner.clean_id(k, "compartment id", top_notes): _clean_any(v, top_notes, "name")
                for k, v in data[key].items()
            }
        elif key == "id":
            data[key] = cleaner.clean_id(data[key], "id", top_notes)
        else:
            data[key] = _clean_any(data[key], top_notes, key)
    if top_notes:
        cleaner.changes.append(f"model: {'; '.join(top_notes)}")
    if cleaner.changes:
        changes = cleaner.changes
        logger.warning(
            "%s: removed characters XML 1.0 (or the solver) cannot hold from %d objects: %s%s",
            source or "model",
            len(changes),
            "; ".join(changes[:_SHOWN]),
            f" and {len(changes) - _SHOWN} more" if len(changes) > _SHOWN else "",
        )
    return cleaner.met_notes


#: The fields of a model dict's items that hold ids (cleaned as ids, not as text).
_ID_FIELDS = {
    "metabolite": ("id", "compartment"),
    "reaction": ("id", "gene_reaction_rule"),
    "gene": ("id",),
}


class _DictCleaner:
    """Cleans the items of a model dict, collecting notes per metabolite and a change list."""

    def __init__(self) -> None:
        self.met_notes: dict[str, list[str]] = {}
        self.changes: list[str] = []

    @staticmethod
    def clean_id(value: Any, what: str, notes: list[str]) -> Any:
        cleaned, found = _clean_id_text(value)
        if found:
            notes.append(f"{what}: {', '.join(found)} replaced ({cleaned})")
        return cleaned

    def fields(self, item: dict, kind: str) -> list[str]:
        notes: list[str] = []
        id_fields = _ID_FIELDS[kind]
        for key in list(item):
            if key in id_fields:
                item[key] = self.clean_id(item[key], key, notes)
            elif key == "metabolites" and isinstance(item[key], dict):
                item[key] = {self.clean_id(k, "metabolite id", []): v for k, v in item[key].items()}
            else:
                item[key] = _clean_any(item[key], notes, key)
        if notes:
            self.changes.append(f"{kind} {item.get('id')!r}: {'; '.join(notes)}")
        return notes

    def items(self, items: list, kind: str) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            notes = self.fields(item, kind)
            if kind == "metabolite" and notes:
                self.met_notes[str(item.get("id"))] = notes


def mark_cleaned(model: cobra.Model, notes: dict[str, list[str]]) -> None:
    """Record :func:`clean_model_dict`'s notes on the built model's metabolites."""
    for met_id, met_notes in notes.items():
        if met_id in model.metabolites:
            met = model.metabolites.get_by_id(met_id)
            setattr(met, CLEANED_ATTRIBUTE, [*getattr(met, CLEANED_ATTRIBUTE, []), *met_notes])


def cleaning_notes(model: cobra.Model) -> dict[str, str]:
    """What :func:`clean_model_text` cleaned per metabolite, as audit comments.

    Parameters
    ----------
    model : cobra.Model

    Returns
    -------
    dict
        ``{metabolite id: "text cleaned for XML: name: removed U+0000"}``.
    """
    notes = {}
    for met in model.metabolites:
        cleaned = getattr(met, CLEANED_ATTRIBUTE, None)
        if cleaned:
            notes[met.id] = "text cleaned for XML: " + "; ".join(cleaned)
    return notes
