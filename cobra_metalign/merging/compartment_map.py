"""One compartment id per compartment across template models.

Template builders name the same compartment differently: BiGG/AGORA ``c``,
CarveMe ``C_c`` (cobra keeps SBML's ``C_`` prefix), gapseq and ModelSEED ``c0``
(named ``Cytosol_0``), older exports ``[c]`` or ``Cytosol``. Before models are
merged each compartment is given its BiGG-style code, read from its id and, when
the id says nothing, from its name (:func:`standard_code`). A compartment that
cannot be read keeps its id and is reported as ``unmapped``; two compartments of
one model are never joined (the second keeps its id, reported as ``kept``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from cobra_metalign.compartments import COMPARTMENT_CODES, compartment_code

logger = logging.getLogger(__name__)

__all__ = ["COMPARTMENT_COLUMNS", "standard_code", "compartment_plan", "apply_compartments"]

#: Columns of the compartment table.
COMPARTMENT_COLUMNS = ("model", "compartment", "name", "new_compartment", "status", "reason")

_CODE = re.compile(r"^(?:C_)?\[?([a-z]{1,2})(\d?)\]?$")


def standard_code(compartment: str, name: str | None = None) -> str | None:
    """The BiGG-style code of a compartment, or None when neither id nor name tells.

    ``c``, ``C_c``, ``c0``, ``[c]`` -> ``c``; ``Cytosol``, ``Cytosol_0`` -> ``c``;
    an opaque id (``comp1``) is read from its name (``cytoplasm`` -> ``c``). Only
    the index ``0`` is dropped (``c1``, a second organism, stays ``c1``). A
    one- or two-letter id is accepted as a code only when it is a known code
    (:data:`~cobra_metalign.compartments.COMPARTMENT_CODES`) or its name agrees.

    Parameters
    ----------
    compartment : str
        The compartment id.
    name : str, optional
        Its name.

    Returns
    -------
    str or None

    Examples
    --------
    >>> standard_code("C_c"), standard_code("c0", "Cytosol_0"), standard_code("[e]")
    ('c', 'c', 'e')
    >>> standard_code("comp1", "periplasm")
    'p'
    >>> standard_code("weird") is None
    True
    """
    text = str(compartment or "").strip()
    from_name = None
    if name:
        code = compartment_code(str(name).strip())
        if code:
            from_name = code[:-1] if code.endswith("0") and len(code) > 1 else code
    match = _CODE.match(text)
    if match:
        code, index = match.groups()
        if code in COMPARTMENT_CODES or (from_name is not None and from_name[0] == code[0]):
            return code if index in ("", "0") else code + index
    code = compartment_code(text)
    if code:
        return code[:-1] if code.endswith("0") and len(code) > 1 else code
    return from_name


def compartment_plan(
    models: Mapping[str, Mapping[str, str]],
    mapping: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Decide the new id of every compartment of every model.

    Parameters
    ----------
    models : mapping
        ``{model name: {compartment id: compartment name}}``.
    mapping : mapping, optional
        ``{model name: {old id: new id}}`` given by the user; it wins over
        :func:`standard_code` for the compartments it names.

    Returns
    -------
    pandas.DataFrame
        One row per compartment, columns :data:`COMPARTMENT_COLUMNS`. ``status``
        is ``mapped`` (new id differs), ``same`` (already standard), ``kept``
        (its standard id is taken by another compartment of the same model) or
        ``unmapped`` (neither id nor name could be read; stays separate).
    """
    mapping = mapping or {}
    rows = []
    for model_name, compartments in models.items():
        given = dict(mapping.get(model_name, {}))
        proposed = {}
        for cid in sorted(compartments):
            new = given.get(cid) or standard_code(cid, compartments.get(cid))
            proposed[cid] = new
        # Ids that stay as they are claim their id first; then the others in order.
        taken = {cid for cid, new in proposed.items() if new is None or new == cid}
        for cid in sorted(compartments):
            new, cname = proposed[cid], compartments.get(cid) or ""
            if new is None:
                status, reason, new = "unmapped", "neither id nor name names a compartment", cid
            elif new == cid:
                status, reason = "same", ""
            elif new in taken:
                status, reason = "kept", f"{new} is already a compartment of this model"
                new = cid
            else:
                status, reason = "mapped", ""
                taken.add(new)
            rows.append((model_name, cid, cname, new, status, reason))
    frame = pd.DataFrame(rows, columns=list(COMPARTMENT_COLUMNS))
    for row in frame.itertuples():
        if row.status in ("unmapped", "kept"):
            logger.warning(
                "Compartment %s of %s stays separate: %s", row.compartment, row.model, row.reason
            )
    return frame


def apply_compartments(model, plan: pd.DataFrame, model_name: str) -> dict[str, str]:
    """Rename the compartments of ``model`` (in place) as the plan says.

    Metabolite ids are not changed here; the alignment renames them.

    Parameters
    ----------
    model : cobra.Model
        Changed in place.
    plan : pandas.DataFrame
        From :func:`compartment_plan`.
    model_name : str
        The model's row key in ``plan``.

    Returns
    -------
    dict
        ``{old: new}`` for the compartments renamed.
    """
    rows = plan[(plan["model"] == model_name) & (plan["status"] == "mapped")]
    applied = dict(zip(rows["compartment"], rows["new_compartment"], strict=True))
    if not applied:
        return applied
    names = dict(model.compartments)
    for met in model.metabolites:
        if met.compartment in applied:
            met.compartment = applied[met.compartment]
    # cobra lists the compartments its metabolites use; the setter adds their names.
    model.compartments = {new: names.get(old, "") for old, new in applied.items()}
    logger.info("Harmonized compartments of %s: %s", model_name, applied)
    return applied


def model_compartments(models: Sequence[tuple[str, object]]) -> dict[str, dict[str, str]]:
    """``{name: {compartment id: name}}`` of models, including ids used only by metabolites."""
    result = {}
    for name, model in models:
        names = dict(model.compartments)
        for met in model.metabolites:
            if met.compartment and met.compartment not in names:
                names[met.compartment] = ""
        result[name] = names
    return result
