"""Element-by-element comparison of an SBML input and its patched output (test helper).

:func:`unexplained_differences` lists every difference between the two documents
that the audit (the plan) does not name; an empty list means the output differs
from the input only where the audit says so.
"""

from __future__ import annotations

import re
from collections import defaultdict

import libsbml
import pandas as pd
from cobra.io.sbml import F_REPLACE, F_SPECIE

_CI = re.compile(r"(<ci>\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*</ci>)")
_ATTR = re.compile(
    r'(\s(?:[\w]+:)?(?:species|idRef|variable|symbol|associatedSpecies)=")([^"]*)(")'
)
_TAGS = re.compile(r"<[^>]+>")


def _text(node_xml: str) -> str:
    return " ".join(_TAGS.sub(" ", node_xml).split())


def _substitute(text: str, mapping: dict[str, str]) -> str:
    text = _CI.sub(lambda m: m.group(1) + mapping.get(m.group(2), m.group(2)) + m.group(3), text)
    return _ATTR.sub(lambda m: m.group(1) + mapping.get(m.group(2), m.group(2)) + m.group(3), text)


_MEMBERS = re.compile(r"(<(?:\w+:)?listOfMembers[^>]*>)(.*?)(</(?:\w+:)?listOfMembers>)", re.S)


def _dedupe_members(text: str) -> str:
    """A merge may make two members of a group one: keep the first."""

    def once(match: re.Match) -> str:
        lines = list(dict.fromkeys(match.group(2).splitlines(keepends=True)))
        return match.group(1) + "".join(lines) + match.group(3)

    return _MEMBERS.sub(once, text)


def _resources(species) -> set[str]:
    found = set()
    for term in species.getCVTerms() or ():
        for i in range(term.getNumResources()):
            found.add(term.getResourceURI(i))
    return found


def _bare(element, metaid: bool):
    clone = element.clone()
    clone.unsetAnnotation()
    clone.unsetNotes()
    if not metaid:
        clone.unsetMetaId()
    return clone


def _net(reaction, final) -> dict[str, float]:
    terms: dict[str, float] = defaultdict(float)
    for sign, listing in ((-1, reaction.getListOfReactants()), (1, reaction.getListOfProducts())):
        for ref in listing:
            stoich = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
            terms[final.get(ref.getSpecies(), ref.getSpecies())] += sign * stoich
    return {k: round(v, 9) for k, v in terms.items() if abs(v) > 1e-12}


def unexplained_differences(
    before: libsbml.SBMLDocument, after: libsbml.SBMLDocument, audit: pd.DataFrame
) -> list[str]:
    """Differences between ``before`` and ``after`` that the audit does not explain."""
    problems: list[str] = []
    if (before.getLevel(), before.getVersion()) != (after.getLevel(), after.getVersion()):
        problems.append("level/version changed")
    for i in range(before.getNumPlugins()):
        uri = before.getPlugin(i).getURI()
        if not after.isPackageURIEnabled(uri):
            problems.append(f"package {uri} lost")
    ma, mb = before.getModel(), after.getModel()
    clip = F_REPLACE[F_SPECIE]
    status = audit["status"].to_dict()
    species_a = list(ma.getListOfSpecies())
    kept_a = [s for s in species_a if status.get(clip(s.getId())) != "MERGED"]
    species_b = list(mb.getListOfSpecies())
    if len(kept_a) != len(species_b):
        return problems + [f"{len(species_b)} species, expected {len(kept_a)}"]
    final: dict[str, str] = {}
    for a, b in zip(kept_a, species_b):
        final[a.getId()] = b.getId()
        row = audit.loc[clip(a.getId())]
        got = clip(b.getId())
        if got != row["new_id"] and got.lstrip("_") != row["new_id"]:
            problems.append(f"species {a.getId()} became {b.getId()}, audit says {row['new_id']}")
    survivors_sid = {clip(a.getId()): a.getId() for a in kept_a}
    merged_members = defaultdict(list)
    for a in species_a:
        met = clip(a.getId())
        if status.get(met) == "MERGED":
            survivor = audit.loc[met, "duplicate_of"]
            final[a.getId()] = final[survivors_sid[survivor]]
            merged_members[survivors_sid[survivor]].append(a)
    for a, b in zip(kept_a, species_b):
        touched = a.getId() != b.getId() or a.getId() in merged_members
        row = audit.loc[clip(a.getId())]
        if not touched and row["status"] not in ("RENAMED", "ANNOTATED", "KEPT"):
            if a.toSBML() != b.toSBML():
                problems.append(f"species {a.getId()} changed")
            continue
        bare_b = _bare(b, a.isSetMetaId())
        bare_b.setId(a.getId())
        if not a.isSetCompartment() and "taken from the id suffix" in row["comment"]:
            bare_b.unsetCompartment()
        if _bare(a, True).toSBML() != bare_b.toSBML():
            problems.append(f"species {a.getId()}: attributes changed")
        ra, rb = _resources(a), _resources(b)
        allowed = set(ra)
        for member in merged_members.get(a.getId(), []):
            allowed |= _resources(member)
        extra = {r for r in rb - allowed if "bigg.metabolite" not in r}
        if not ra <= rb or extra:
            problems.append(f"species {a.getId()}: annotation lost {ra - rb} or added {extra}")
        na = _text(a.getNotesString()) if a.isSetNotes() else ""
        nb = _text(b.getNotesString()) if b.isSetNotes() else ""
        if not nb.startswith(na) and na not in nb:
            problems.append(f"species {a.getId()}: notes changed")
    reactions_a, reactions_b = list(ma.getListOfReactions()), list(mb.getListOfReactions())
    if [r.getId() for r in reactions_a] != [r.getId() for r in reactions_b]:
        return problems + ["reactions or their order changed"]
    for ra, rb in zip(reactions_a, reactions_b):
        if _net(ra, final) != _net(rb, {}):
            problems.append(f"reaction {ra.getId()}: stoichiometry {_net(rb, {})}")
        mods_a = {final.get(m.getSpecies(), m.getSpecies()) for m in ra.getListOfModifiers()}
        mods_b = {m.getSpecies() for m in rb.getListOfModifiers()}
        if mods_a != mods_b:
            problems.append(f"reaction {ra.getId()}: modifiers {mods_b}, expected {mods_a}")
        ca, cb = ra.clone(), rb.clone()
        for clone in (ca, cb):
            for listing in (
                clone.getListOfReactants(),
                clone.getListOfProducts(),
                clone.getListOfModifiers(),
            ):
                while listing.size():
                    listing.remove(0)
        if _substitute(ca.toSBML(), final) != cb.toSBML():
            problems.append(f"reaction {ra.getId()}: changed beyond its species references")
    ca, cb = ma.clone(), mb.clone()
    for clone in (ca, cb):
        for listing in (clone.getListOfSpecies(), clone.getListOfReactions()):
            while listing.size():
                listing.remove(0)
    text_a, text_b = _dedupe_members(_substitute(ca.toSBML(), final)), cb.toSBML()
    if text_a != text_b:
        lines_a, lines_b = text_a.splitlines(), text_b.splitlines()
        diff = [f"{x!r} -> {y!r}" for x, y in zip(lines_a, lines_b) if x != y][:3]
        problems.append(f"model outside species and reactions changed: {diff or 'length'}")
    return problems
