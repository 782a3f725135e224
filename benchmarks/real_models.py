#!/usr/bin/env python
"""Run ``metalign fix`` on every real model under ../shared/data/models and check the results.

As a curator would: the command line, on each model file, into a scratch folder.
Then every check is computed here from the input model, the output model and
the audit table, independently of the package's own logic (its formula parser,
compartment rules and invariant checks are not used; cobra reads the files):

``readable``
    cobra reads the written SBML (``cobra.io.read_sbml_model``); where cobra
    cannot read the input either, metalign's reader (which repairs the same
    defect) must read the output: ``as input``.
``reactions``
    The output has the same reaction ids, and each reaction's stoichiometry is the
    input's with metabolite ids mapped through the audit (``metabolite_id`` ->
    ``new_id``; coefficients of merged metabolites summed, zeros dropped), with
    the same bounds. The count of reactions that differ.
``growth``
    ``slim_optimize`` of input and output agree within 1e-6 (relative); both
    infeasible counts as agreeing.
``x_comp``
    MERGED rows whose compartment differs from their survivor's.
``x_formula``
    MERGED rows whose formula differs from their survivor's in atoms other than
    hydrogen (parsed here; formulas with R, X or ``n`` groups, or unparseable, are
    not judged).
``similarity_only``
    Applied rows (KEPT, RENAMED, ANNOTATED, MERGED) whose evidence holds nothing
    but similarity (``tfidf``, ``encoder``, InChIKey skeleton) and chemistry.
``stereo``
    MERGED rows whose name carries a stereo or anomer descriptor (alpha/beta, L/D,
    R/S, cis/trans, E/Z) that the survivor's name does not carry, or the other way.
``suffix``
    RENAMED rows whose new id is not ``{bigg_id}_{suffix}`` with the compartment
    suffix of the original id (``_c`` stays ``_c`` whatever the compartment's
    SBML id, ``_c0`` stays ``_c0``, ``[c]`` becomes ``_c``); ids without a
    recognisable suffix are not judged.
``chem``
    Metabolites kept in the output (every status but MERGED) whose charge or
    formula, as cobra reads input and output, differs (formulas SBML FBC cannot
    hold, such as ``C16.0H28.0``, and charges that are not whole numbers are left
    out: they are written as a note; a
    missing charge that cobra reads back as 0, as it reads every FBC species
    without ``fbc:charge``, is not a change).
``own_bigg``
    Metabolites carrying a ``bigg.metabolite`` annotation in the input whose
    applied ``bigg_id`` is not among them (the model's own annotation overruled),
    out of ``annotated`` (applied rows with such an annotation).
``apply``
    ``metalign apply`` of the unedited audit on the input succeeds (exit 0)
    and gives the same statuses (``--no-apply`` skips it).

Usage::

    python benchmarks/real_models.py [--models DIR] [--universe] [--out DIR]
        [--markdown OUT.md] [--tsv OUT.tsv] [--details OUT.json] [--no-apply] [--reuse]
        [--timeout S] [--only NAME ...]

Exit code 0 when every model passes every check, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GROUPS = ("sbml_variety", "saureus", "modelseed_namespace", "multi_tool")
UNIVERSE = SHARED / "reference" / "carveme_bigg_universe.xml.gz"
APPLIED = ("KEPT", "RENAMED", "ANNOTATED", "MERGED")
#: Evidence kinds that are similarity, not identity.
SIMILARITY = ("tfidf", "encoder", "cosine", "similarity", "fuzzy")
#: Evidence kinds that say nothing about identity on their own.
NEUTRAL = ("formula", "charge", "conflict", "boundary copy", "compartment")
COLUMNS = [
    "model",
    "metabolites",
    "exit",
    "seconds",
    "readable",
    "reactions",
    "growth_in",
    "growth_out",
    "growth",
    "renamed",
    "merged",
    "review",
    "conflict",
    "chem",
    "x_comp",
    "x_formula",
    "similarity_only",
    "stereo",
    "suffix",
    "own_bigg",
    "annotated",
    "apply",
    "problems",
]


# ------------------------------------------------------------------ reading
def read_input(path: Path):
    """The input model as cobra reads it (JSON decompressed here); metalign's reader as fallback."""
    import cobra

    try:
        if ".json" in path.name:
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                return cobra.io.load_json_model(handle), "cobra"
        return cobra.io.read_sbml_model(str(path)), "cobra"
    except Exception:  # noqa: BLE001 - cobra cannot read some valid files (empty <or/>)
        from cobra_metalign.io.model import read_model

        return read_model(path), "metalign"


def read_audit_file(path: Path) -> pd.DataFrame:
    """The audit table (parsed by the package's reader: the file format is its own)."""
    from cobra_metalign.rewrite.audit import read_audit

    frame = read_audit(path).reset_index()
    return frame.astype({c: str for c in frame.columns if c not in ("score", "conflict")})


# ------------------------------------------------------------------ chemistry
_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


def heavy_atoms(formula: str) -> Counter | None:
    """Element counts without hydrogen; None when the formula cannot be judged."""
    text = (formula or "").strip()
    if not text or re.search(r"[^A-Za-z0-9]", text):
        return None
    counts: Counter = Counter()
    position = 0
    for match in _ELEMENT.finditer(text):
        if match.start() != position:
            return None
        position = match.end()
        counts[match.group(1)] += int(match.group(2) or 1)
    if position != len(text) or not counts:
        return None
    if {"R", "X", "Y"} & set(counts):
        return None
    counts.pop("H", None)
    return counts


_STEREO_WORDS = re.compile(r"(?<![a-z])(alpha|beta|cis|trans|α|β)(?![a-z])", re.IGNORECASE)
#: L/D as a word ("D-glucose", "L alanine", "(D)"), not a locant inside a word.
_LD = re.compile(r"(?:^|(?<=[\s(\-,\[]))([LD])(?=[\s\-,)])")
#: R/S and E/Z only in parentheses: "(R)-", "(2S,3R)", "(E)"; "S-(acyl)" is a sulfur locant.
_RSEZ = re.compile(r"\(((?:\d*[RSEZ],?)+)\)")
_LOCANT = re.compile(r"(?<![A-Za-z0-9])\d+([RSEZ])(?![A-Za-z])")


def stereo_tokens(name: str) -> set[str]:
    """Stereo and anomer descriptors in a name (``alpha``, ``D``, ``(R)``, ``cis``...)."""
    text = name or ""
    found = {m.group(1).lower() for m in _STEREO_WORDS.finditer(text)}
    found = {{"α": "alpha", "β": "beta"}.get(t, t) for t in found}
    found |= {m.group(1) for m in _LD.finditer(text)}
    for match in _RSEZ.finditer(text):
        found |= {part.lstrip("0123456789") for part in match.group(1).split(",") if part}
    # with a locant, parentheses are often dropped: "6Z,9Z-octadecadienoyl", "3R-hydroxy"
    found |= {m.group(1) for m in _LOCANT.finditer(text)}
    return found


# ------------------------------------------------------------------ suffixes
_SUFFIX = re.compile(
    r"(?:_([A-Za-z]{1,2}\d?)|\[([A-Za-z]{1,2}\d?)\]|__91__([A-Za-z]{1,2}\d?)__93__)$"
)


def id_suffix(met_id: str, compartment: str) -> str | None:
    """The compartment suffix of an id (``c``, ``c0``, ``e``) when it matches the compartment."""
    match = _SUFFIX.search(met_id)
    if not match:
        return None
    suffix = next(g for g in match.groups() if g)
    plain = compartment[2:] if compartment.startswith("C_") else compartment
    if suffix.lower() not in {compartment.lower(), plain.lower()}:
        return None
    return suffix


# ------------------------------------------------------------------ checks
def reaction_differences(model_in, model_out, new_id: dict[str, str]) -> list[str]:
    """Reactions whose mapped stoichiometry or bounds differ, plus ids missing on either side."""
    problems = []
    out_ids = {r.id for r in model_out.reactions}
    in_ids = {r.id for r in model_in.reactions}
    problems += [f"missing {r}" for r in sorted(in_ids - out_ids)]
    problems += [f"added {r}" for r in sorted(out_ids - in_ids)]
    for reaction in model_in.reactions:
        if reaction.id not in out_ids:
            continue
        expected: Counter = Counter()
        for met, coefficient in reaction.metabolites.items():
            expected[new_id.get(met.id, met.id)] += coefficient
        expected = {k: v for k, v in expected.items() if abs(v) > 1e-12}
        other = model_out.reactions.get_by_id(reaction.id)
        got = {met.id: c for met, c in other.metabolites.items()}
        same = set(expected) == set(got) and all(
            math.isclose(expected[k], got[k], rel_tol=1e-9, abs_tol=1e-12) for k in got
        )
        bounds = math.isclose(reaction.lower_bound, other.lower_bound) and math.isclose(
            reaction.upper_bound, other.upper_bound
        )
        if not (same and bounds):
            problems.append(reaction.id)
    return problems


_FBC_FORMULA = re.compile(r"(?:[A-Z][a-z]*[0-9]*)*")


def _number(value) -> float | None:
    """A charge as a number; None when missing or not a number ("" in some JSON files)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def chem_differences(model_in, model_out, new_id: dict[str, str], status: dict[str, str]):
    """Kept metabolites whose charge or (FBC-valid) formula changed between input and output."""
    out = {m.id: m for m in model_out.metabolites}
    problems = []
    for met in model_in.metabolites:
        if status.get(met.id) == "MERGED":
            continue
        other = out.get(new_id.get(met.id, met.id))
        if other is None:
            problems.append(f"{met.id}: missing from the output")
            continue
        first, second = _number(met.charge), _number(other.charge)
        # cobra reads an FBC species without fbc:charge as charge 0: a missing charge
        # that comes back as 0 is how cobra reads it, not a change
        # a charge that is not a whole number cannot be held by FBC v2 (a CHARGE note)
        same_charge = (
            (first is None and second in (None, 0))
            or (first is not None and not first.is_integer())
            or (
                first is not None
                and second is not None
                and math.isclose(first, second, abs_tol=1e-9)
            )
        )
        formula = met.formula or ""
        same_formula = (formula == (other.formula or "")) or not _FBC_FORMULA.fullmatch(formula)
        if not (same_charge and same_formula):
            problems.append(f"{met.id}: {formula} {first} -> {other.formula} {other.charge}")
    return problems


def growth(model) -> float:
    try:
        return float(model.slim_optimize(error_value=float("nan")))
    except Exception:  # noqa: BLE001 - a solver failure is a result here
        return float("nan")


def same_growth(first: float, second: float) -> bool:
    if math.isnan(first) and math.isnan(second):
        return True
    if math.isnan(first) or math.isnan(second):
        return False
    return math.isclose(first, second, rel_tol=1e-6, abs_tol=1e-9)


def own_bigg_ids(met) -> set[str]:
    """The model's own bigg.metabolite annotation values (prefix ``M_`` and compartment dropped)."""
    values = met.annotation.get("bigg.metabolite") or []
    if isinstance(values, str):
        values = [values]
    ids = set()
    for value in values:
        value = str(value)
        if value.startswith("M_"):
            value = value[2:]
        ids.add(value)
        compartment = met.compartment or ""
        if compartment and value.endswith(f"_{compartment}"):
            ids.add(value[: -len(compartment) - 1])
    return ids


def evidence_is_similarity_only(evidence: str) -> bool:
    kinds = [part.strip() for part in evidence.split(";") if part.strip()]
    identity = []
    similar = False
    for kind in kinds:
        if kind.startswith(NEUTRAL):
            continue
        if kind.startswith(SIMILARITY) or kind.startswith("inchikey=skeleton"):
            similar = True
            continue
        identity.append(kind)
    return similar and not identity


def check_audit(audit: pd.DataFrame, model_in) -> dict[str, list[str]]:
    """The invariant and convention checks on the audit against the input model."""
    found: dict[str, list[str]] = {
        k: [] for k in ("x_comp", "x_formula", "similarity_only", "stereo", "suffix", "own_bigg")
    }
    found["annotated"] = []
    mets = {m.id: m for m in model_in.metabolites}
    rows = {str(r["metabolite_id"]): r for r in audit.to_dict("records")}
    survivors = {
        r["new_id"]: mid
        for mid, r in rows.items()
        if r["status"] in APPLIED and r["status"] != "MERGED"
    }
    for met_id, row in rows.items():
        met = mets.get(met_id)
        status = row["status"]
        if met is None:
            continue
        if status == "MERGED":
            survivor = mets.get(survivors.get(row["new_id"], ""))
            if survivor is not None:
                pair = f"{met_id} -> {survivor.id}"
                if (met.compartment or "") != (survivor.compartment or ""):
                    found["x_comp"].append(pair)
                first, second = heavy_atoms(met.formula), heavy_atoms(survivor.formula)
                if first is not None and second is not None and first != second:
                    found["x_formula"].append(f"{pair} ({met.formula} vs {survivor.formula})")
                if stereo_tokens(met.name) != stereo_tokens(survivor.name):
                    found["stereo"].append(f"{pair} ({met.name!r} vs {survivor.name!r})")
        if status in APPLIED:
            if evidence_is_similarity_only(row["evidence"]):
                found["similarity_only"].append(f"{met_id} -> {row['bigg_id']} ({row['evidence']})")
            own = own_bigg_ids(met)
            if own and row["bigg_id"]:
                found["annotated"].append(met_id)
                if row["bigg_id"] not in own:
                    found["own_bigg"].append(f"{met_id}: {row['bigg_id']} not in {sorted(own)}")
        if status == "RENAMED":
            suffix = id_suffix(met_id, met.compartment or "")
            expected = f"{row['bigg_id']}_{suffix}" if row["bigg_id"] else None
            # SBML-exported ids spell a leading digit with "_" (``_10fthf_c``): kept
            if expected and expected[:1].isdigit() and met_id.startswith("_"):
                expected = "_" + expected
            if suffix is not None and expected and row["new_id"] != expected:
                found["suffix"].append(f"{met_id} -> {row['new_id']}")
    return found


# ------------------------------------------------------------------ one model
def run_metalign(args: list[str], timeout: float) -> tuple[int, str, float]:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cobra_metalign.cli.app", "-q", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {timeout:.0f} s", time.perf_counter() - started
    message = (done.stderr or "").strip().splitlines()
    return done.returncode, (message[-1] if message else ""), time.perf_counter() - started


def check_model(
    path: Path, out: Path, timeout: float, apply: bool, reuse: bool = False
) -> tuple[dict, dict]:
    import cobra

    name = path.name.split(".")[0]
    row: dict = {"model": name}
    details: dict[str, list[str]] = {}
    aligned, audit_path = out / f"{name}.aligned.xml", out / f"{name}.audit.tsv"
    if reuse and aligned.exists() and audit_path.exists():
        code, message, seconds = 0, "", float("nan")
    else:
        code, message, seconds = run_metalign(
            ["fix", str(path), "-o", str(aligned), "--audit", str(audit_path), "--overwrite"],
            timeout,
        )
    row.update(exit=code, seconds=round(seconds, 1))
    model_in, reader = read_input(path)
    row["metabolites"] = len(model_in.metabolites)
    if code != 0:
        row["problems"] = f"fix failed: {message}"
        return row, details
    try:
        model_out = cobra.io.read_sbml_model(str(aligned))
        row["readable"] = "yes"
    except Exception as error:  # noqa: BLE001 - unreadable output is the finding
        if reader == "cobra":
            row["readable"] = "NO"
            row["problems"] = f"output unreadable: {type(error).__name__}"
            return row, details
        # cobra cannot read the input either (e.g. iND750's empty <fbc:or/>): the
        # output keeps the input's document, so it is read the way the input was.
        from cobra_metalign.io.model import read_model

        model_out = read_model(aligned)
        row["readable"] = "as input (metalign reader)"
    audit = read_audit_file(audit_path)
    counts = audit["status"].value_counts()
    for status in ("RENAMED", "MERGED", "REVIEW", "CONFLICT"):
        row[status.lower()] = int(counts.get(status, 0))
    new_id = dict(zip(audit["metabolite_id"], audit["new_id"], strict=True))
    diff = reaction_differences(model_in, model_out, new_id)
    row["reactions"] = len(diff)
    details["reactions"] = diff
    chem = chem_differences(
        model_in, model_out, new_id, dict(zip(audit["metabolite_id"], audit["status"], strict=True))
    )
    row["chem"] = len(chem)
    details["chem"] = chem
    row["growth_in"], row["growth_out"] = growth(model_in), growth(model_out)
    row["growth"] = "same" if same_growth(row["growth_in"], row["growth_out"]) else "DIFFERS"
    found = check_audit(audit, model_in)
    for key, items in found.items():
        row[key] = len(items)
        details[key] = items
    curated_audit = out / f"{name}.curated.audit.tsv"
    if apply and reuse and curated_audit.exists():
        again = read_audit_file(curated_audit)
        row["apply"] = "same" if again["status"].tolist() == audit["status"].tolist() else "DIFFERS"
    elif apply:
        curated = out / f"{name}.curated.xml"
        code, message, _ = run_metalign(
            [
                "apply",
                str(path),
                str(audit_path),
                "-o",
                str(curated),
                "--audit",
                str(curated_audit),
                "--overwrite",
            ],
            timeout,
        )
        if code != 0:
            row["apply"] = "FAILED"
            details["apply"] = [message]
        else:
            again = read_audit_file(curated_audit)
            same = again["status"].tolist() == audit["status"].tolist()
            row["apply"] = "same" if same else "DIFFERS"
    if reader != "cobra":
        row["problems"] = "input read by metalign's reader (cobra alone cannot)"
    return row, details


def failed(row: dict) -> bool:
    if (
        row.get("exit") != 0
        or row.get("readable") not in ("yes", "as input (metalign reader)")
        or row.get("growth") != "same"
    ):
        return True
    if row.get("apply") not in (None, "same"):
        return True
    keys = ("reactions", "chem", "x_comp", "x_formula", "similarity_only", "stereo", "suffix")
    return any(row.get(k) for k in keys)


def markdown(table: pd.DataFrame) -> str:
    shown = table.copy().astype(object)
    for column in shown.columns:
        if column in ("growth_in", "growth_out"):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.6g}")
        else:
            shown[column] = shown[column].map(
                lambda v: (
                    ""
                    if v is None or (isinstance(v, float) and math.isnan(v))
                    else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                )
            )
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in shown.itertuples(index=False, name=None)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=SHARED / "models")
    parser.add_argument(
        "--universe", action="store_true", help="Also the carveme universe (15.6k)."
    )
    parser.add_argument("--out", type=Path, help="Keep outputs here (default: a temporary folder).")
    parser.add_argument("--markdown", type=Path, help="Write the table as markdown.")
    parser.add_argument("--tsv", type=Path, help="Write the table as TSV.")
    parser.add_argument("--details", type=Path, help="Write every finding as JSON.")
    parser.add_argument("--no-apply", action="store_true", help="Skip the apply round trip.")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Check the outputs already in --out instead of running metalign again.",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds per command.")
    parser.add_argument(
        "--only", nargs="*", help="Only models whose file name contains one of these."
    )
    args = parser.parse_args(argv)
    import logging

    # cobra's readers warn per reaction of old models; the table is the output here.
    logging.getLogger("cobra").setLevel(logging.ERROR)

    paths = [p for group in GROUPS for p in sorted((args.models / group).glob("*")) if p.is_file()]
    if args.universe:
        paths.append(UNIVERSE)
    if args.only:
        paths = [p for p in paths if any(o in p.name for o in args.only)]
    if not paths:
        print(f"no models under {args.models}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        rows, details = [], {}
        for path in paths:
            print(f"{path.name} ...", file=sys.stderr, flush=True)
            row, found = check_model(path, out, args.timeout, not args.no_apply, args.reuse)
            rows.append(row)
            details[row["model"]] = found
            print(
                "  " + ", ".join(f"{k}={v}" for k, v in row.items() if k != "model"),
                file=sys.stderr,
                flush=True,
            )
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    text = markdown(table)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.tsv:
        table.to_csv(args.tsv, sep="\t", index=False)
    if args.details:
        args.details.write_text(json.dumps(details, indent=1, ensure_ascii=False))
    bad = [row["model"] for row in rows if failed(row)]
    print(
        f"\n{len(rows) - len(bad)} of {len(rows)} models pass every check"
        + (f"; failing: {', '.join(bad)}" if bad else ""),
        file=sys.stderr,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
