"""Reliability: a corpus of bad inputs, fault injection (signals, corrupted files).

Every bad input built here is run through ``metalign fix``, ``metalign apply``,
``metalign merge`` and the Python API. A bad input must give exit code 1 (2 for
usage errors), one ``Error:`` line naming the file, no traceback, no file left
behind, the input bytes untouched and a bounded run time. Inputs that are odd
but legitimate (a 100,000-character name, garbage formulas) must be accepted
with a sane audit: every input metabolite exactly once.

The figures in docs/reliability.md come from this file.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cobra
import pytest
from click.testing import CliRunner

from cobra_metalign.cli.app import main
from cobra_metalign.errors import EXIT_BAD_INPUT, EXIT_USAGE, MetalignError

#: Upper bound for one command on one corpus entry (seconds).
TIME_LIMIT = 30.0
BIG_MODEL = "models/sbml_variety/iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz"


# ------------------------------------------------------------------ the corpus
def tiny_model() -> cobra.Model:
    """A small feasible model with BiGG ids: glucose -> 2 pyruvate, ATP use."""
    model = cobra.Model("tiny")
    model.compartments = {"c": "cytosol", "e": "extracellular"}
    specs = [
        ("glc__D_c", "D-Glucose", "C6H12O6", 0, "c"),
        ("glc__D_e", "D-Glucose", "C6H12O6", 0, "e"),
        ("pyr_c", "Pyruvate", "C3H3O3", -1, "c"),
        ("atp_c", "ATP C10H12N5O13P3", "C10H12N5O13P3", -4, "c"),
        ("adp_c", "ADP C10H12N5O10P2", "C10H12N5O10P2", -3, "c"),
        ("pi_c", "Phosphate", "HO4P", -2, "c"),
        ("h_c", "H+", "H", 1, "c"),
        ("h2o_c", "H2O H2O", "H2O", 0, "c"),
    ]
    mets = {}
    for met_id, name, formula, charge, comp in specs:
        met = cobra.Metabolite(met_id, formula=formula, name=name, charge=charge, compartment=comp)
        mets[met_id] = met
    reactions = [
        ("EX_glc__D_e", {"glc__D_e": -1}, -10, 1000),
        ("GLCt", {"glc__D_e": -1, "glc__D_c": 1}, 0, 1000),
        ("GLYC", {"glc__D_c": -1, "pyr_c": 2, "h_c": 2}, 0, 1000),
        ("PYRout", {"pyr_c": -1}, 0, 1000),
        ("Hout", {"h_c": -1}, -1000, 1000),
        ("ATPM", {"atp_c": -1, "h2o_c": -1, "adp_c": 1, "pi_c": 1, "h_c": 1}, 0, 1000),
    ]
    for rxn_id, stoich, lb, ub in reactions:
        rxn = cobra.Reaction(rxn_id, lower_bound=lb, upper_bound=ub)
        model.add_reactions([rxn])
        rxn.add_metabolites({mets[k]: v for k, v in stoich.items()})
    model.objective = "PYRout"
    return model


def sbml_text(model: cobra.Model) -> str:
    import io

    buffer = io.StringIO()
    cobra.io.write_sbml_model(model, buffer)
    return buffer.getvalue()


def json_text(model: cobra.Model) -> str:
    import io

    buffer = io.StringIO()
    cobra.io.save_json_model(model, buffer)
    return buffer.getvalue()


def _replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _species(text: str, met_id: str) -> tuple[int, int]:
    """Span of the species element (self-closed or not)."""
    start = text.index(f'<species id="M_{met_id}"')
    tag_end = text.index(">", start) + 1
    if text[tag_end - 2] == "/":
        return start, tag_end
    return start, text.index("</species>", start) + len("</species>")


def _no_species() -> bytes:
    model = cobra.Model("empty")
    model.add_reactions([cobra.Reaction("R1", lower_bound=0, upper_bound=10)])
    return sbml_text(model).encode()


def _duplicate_species() -> bytes:
    text = sbml_text(tiny_model())
    start, end = _species(text, "adp_c")
    block = text[start:end].replace('id="M_adp_c"', 'id="M_atp_c"')
    return (text[:start] + block + text[end:]).encode()


def _missing_species() -> bytes:
    text = sbml_text(tiny_model())
    return _replace_once(text, 'species="M_pi_c"', 'species="M_nothere_c"').encode()


def _missing_compartment() -> bytes:
    text = sbml_text(tiny_model())
    start, end = _species(text, "pyr_c")
    block = text[start:end].replace(' compartment="c"', "")
    return (text[:start] + block + text[end:]).encode()


def _unknown_compartment() -> bytes:
    text = sbml_text(tiny_model())
    start, end = _species(text, "pyr_c")
    block = text[start:end].replace('compartment="c"', 'compartment="zz"')
    return (text[:start] + block + text[end:]).encode()


def _invalid_utf8() -> bytes:
    text = sbml_text(tiny_model())
    head, tail = text.split('name="Pyruvate"', 1)
    return head.encode() + b'name="Pyr\xff\xfe\xc3uvate"' + tail.encode()


def _long_name() -> bytes:
    text = sbml_text(tiny_model())
    return _replace_once(text, 'name="Pyruvate"', 'name="' + "Pyruvate " * 11112 + '"').encode()


def _garbage_formula() -> bytes:
    text = sbml_text(tiny_model())
    text = _replace_once(text, 'fbc:chemicalFormula="C3H3O3"', 'fbc:chemicalFormula="C3H??3O!!"')
    return _replace_once(text, 'fbc:chemicalFormula="HO4P"', 'fbc:chemicalFormula="NaN"').encode()


def _garbage_charge() -> bytes:
    text = sbml_text(tiny_model())
    return _replace_once(text, 'fbc:charge="-1"', 'fbc:charge="NaN"').encode()


def _json_garbage_chem() -> bytes:
    data = json.loads(json_text(tiny_model()))
    for met in data["metabolites"]:
        if met["id"] == "pyr_c":
            met["formula"] = "C3H3O3)(*&"
            met["charge"] = float("nan")
        if met["id"] == "pi_c":
            met["formula"] = "NaN"
            met["charge"] = "minus two"
    return json.dumps(data).encode()


def _malformed_annotation() -> bytes:
    text = sbml_text(tiny_model())
    start, end = _species(text, "pyr_c")
    junk = (
        "<annotation><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        "<rdf:Description rdf:about='#nowhere'><rdf:li rdf:resource='not a uri'/>"
        "<rdf:li rdf:resource='http://identifiers.org/chebi/'/>"
        "<rdf:li rdf:resource='https://identifiers.org/'/></rdf:Description>"
        "</rdf:RDF></annotation>"
    )
    block = text[start:end]
    if block.endswith("/>"):
        block = block[:-2] + ">" + junk + "</species>"
    else:
        block = block.replace("</species>", junk + "</species>")
    return (text[:start] + block + text[end:]).encode()


def _json_odd_annotation() -> bytes:
    data = json.loads(json_text(tiny_model()))
    data["metabolites"][0]["annotation"] = {"chebi": {"nested": [1, None]}, "kegg": 42}
    data["metabolites"][1]["annotation"] = {"": "", "inchikey": ["", "not-a-key"]}
    return json.dumps(data).encode()


def _json_annotation_not_dict() -> bytes:
    data = json.loads(json_text(tiny_model()))
    data["metabolites"][1]["annotation"] = "CHEBI:15377"
    return json.dumps(data).encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">\n'
        for i in range(1, 10)
    )
    + ']>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">'
    '<model id="m" name="&lol9;"/></sbml>\n'
)

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE sbml [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
    '<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">'
    '<model id="m" name="&xxe;"/></sbml>\n'
)


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    build: object  # () -> bytes
    accepted: bool = False
    #: a word the error message must contain (lower case), besides the file name
    word: str | None = None


def _truncated_gzip() -> bytes:
    data = gzip.compress(sbml_text(tiny_model()).encode())
    return data[: len(data) // 2]


def _entity_after_fake_subset_end() -> bytes:
    """Issue 14 item 3: "]>" in a comment of the internal subset, 1 MiB of padding, entities."""
    text = sbml_text(tiny_model())
    body = text.split("\n", 1)[1]
    doctype = (
        "<!DOCTYPE sbml [<!-- ]> -->"
        + "<!--"
        + " " * ((1 << 20) + 64)
        + "-->"
        + '<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]>\n"
    )
    body = _replace_once(body, 'name="D-Glucose"', 'name="&i;"')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + body).encode()


def _attlist() -> bytes:
    text = sbml_text(tiny_model())
    head, body = text.split("\n", 1)
    return (head + '\n<!DOCTYPE sbml [<!ATTLIST species name CDATA "x">]>\n' + body).encode()


def _deep_nesting() -> bytes:
    """Issue 14 item 4: 20,000 nested <p> in notes (140 KB) crashed libsbml with signal 11."""
    depth = 20_000
    notes = '<notes><body xmlns="http://www.w3.org/1999/xhtml">' + "<p>" * depth
    notes += "x" + "</p>" * depth + "</body></notes>"
    text = _replace_once(
        sbml_text(tiny_model()), "<listOfUnitDefinitions>", notes + "<listOfUnitDefinitions>"
    )
    return gzip.compress(text.encode())


def _json_edit(edit) -> bytes:
    data = json.loads(json_text(tiny_model()))
    edit(data)
    return json.dumps(data).encode()


def _set_coefficient(value):
    def edit(data):
        data["reactions"][2]["metabolites"]["pyr_c"] = value

    return edit


def _formula_not_text(data) -> None:
    data["metabolites"][0]["formula"] = 12


def _long_id(data) -> None:
    old = data["metabolites"][0]["id"]
    new = "m" * 600
    data["metabolites"][0]["id"] = new
    for reaction in data["reactions"]:
        if old in reaction["metabolites"]:
            reaction["metabolites"][new] = reaction["metabolites"].pop(old)


CORPUS: list[Case] = [
    Case("not_xml", "model.xml", lambda: b"this is not a model, just text\n"),
    Case("binary_junk", "model.xml", lambda: bytes(range(256)) * 8),
    Case("empty", "model.xml", lambda: b"", word="empty"),
    Case("truncated_gzip", "model.xml.gz", _truncated_gzip, word="gzip"),
    Case("xml_not_sbml", "model.xml", lambda: b"<html><body><p>hi</p></body></html>"),
    Case("truncated_sbml", "model.xml", lambda: sbml_text(tiny_model()).encode()[:1500]),
    Case("no_species", "model.xml", _no_species),
    Case("duplicate_species_ids", "model.xml", _duplicate_species),
    Case("reaction_missing_species", "model.xml", _missing_species),
    Case("missing_compartment", "model.xml", _missing_compartment),
    Case("unknown_compartment", "model.xml", _unknown_compartment),
    Case("invalid_utf8", "model.xml", _invalid_utf8),
    Case("long_name", "model.xml", _long_name, accepted=True),
    Case("garbage_formula", "model.xml", _garbage_formula, accepted=True),
    Case("garbage_charge", "model.xml", _garbage_charge, accepted=True),
    Case("json_garbage_chemistry", "model.json", _json_garbage_chem, accepted=True),
    Case("malformed_annotation", "model.xml", _malformed_annotation, accepted=True),
    Case("json_odd_annotation_values", "model.json", _json_odd_annotation, accepted=True),
    Case("json_annotation_not_dict", "model.json", _json_annotation_not_dict, word="annotation"),
    Case("billion_laughs", "model.xml", lambda: BILLION_LAUGHS.encode(), word="entity"),
    Case("xxe_etc_passwd", "model.xml", lambda: XXE.encode(), word="entity"),
    Case("json_list", "model.json", lambda: b"[1, 2, 3]"),
    Case("json_wrong_types", "model.json", lambda: b'{"metabolites": "x", "reactions": 5}'),
    Case(
        "json_reaction_unknown_met",
        "model.json",
        lambda: json.dumps(
            {
                "id": "m",
                "metabolites": [{"id": "a_c", "compartment": "c"}],
                "reactions": [{"id": "R", "metabolites": {"b_c": 1}, "bounds": [0, 1]}],
                "genes": [],
            }
        ).encode(),
    ),
    Case("json_not_json", "model.json", lambda: b'{"metabolites": [ {"id": '),
    Case("yaml_alias_bomb", "model.yml", lambda: b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"),
    Case("mat_junk", "model.mat", lambda: b"MATLAB 5.0 MAT-file junk" + b"\0" * 200),
    # issue 14: security and faults
    Case("entity_after_fake_subset_end", "model.xml", _entity_after_fake_subset_end, word="entity"),
    Case("attlist_declaration", "model.xml", _attlist, word="attribute-list"),
    Case("deep_nesting_20k", "model.xml.gz", _deep_nesting, word="nested deeper"),
    Case(
        "json_deep_nesting",
        "model.json",
        lambda: b'{"metabolites": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        word="recursion",
    ),
    Case(
        "yaml_deep_nesting",
        "model.yml",
        lambda: b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
        word="nested deeper",
    ),
    Case(
        "json_nan_coefficient",
        "model.json",
        lambda: _json_edit(_set_coefficient(float("nan"))),
        word="coefficient",
    ),
    Case(
        "json_inf_coefficient",
        "model.json",
        lambda: _json_edit(_set_coefficient(float("inf"))),
        word="coefficient",
    ),
    Case(
        "json_formula_not_text", "model.json", lambda: _json_edit(_formula_not_text), word="formula"
    ),
    Case("json_id_600_chars", "model.json", lambda: _json_edit(_long_id), word="characters"),
]
#: Cases whose outcome (accepted or refused) is decided here and documented.
OUTCOME_UNDECIDED = {
    "no_species",
    "duplicate_species_ids",
    "missing_compartment",
    "unknown_compartment",
    "reaction_missing_species",
}


# ------------------------------------------------------------------ helpers
def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def invoke(args: list[str]) -> tuple[object, float]:
    runner = CliRunner()
    start = time.monotonic()
    result = runner.invoke(main, args, catch_exceptions=True)
    return result, time.monotonic() - start


def assert_clean_failure(result, elapsed: float, filenames: list[str], word: str | None = None):
    """Exit 1, one ``Error:`` line naming a file, no traceback, bounded time."""
    assert elapsed < TIME_LIMIT
    # an exception other than the exit means an unhandled error (a traceback for the user)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    stderr = result.stderr
    assert "Traceback" not in result.output
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    assert any(name in errors[0] for name in filenames), errors[0]
    if word:
        assert word in errors[0].lower(), errors[0]


@pytest.fixture(scope="module")
def good_files(tmp_path_factory) -> dict[str, Path]:
    """A valid tiny model and the audit `metalign fix` writes for it."""
    folder = tmp_path_factory.mktemp("good")
    model_path = folder / "good.xml"
    model_path.write_text(sbml_text(tiny_model()))
    result = CliRunner().invoke(main, ["fix", str(model_path), "-o", str(folder / "out.xml")])
    assert result.exit_code == 0, result.output
    return {"model": model_path, "audit": folder / "out.audit.tsv"}


def _audit_ok(audit, model: cobra.Model) -> None:
    ids = list(audit.index.get_level_values(-1))
    assert sorted(ids) == sorted(m.id for m in model.metabolites)
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------ bad models
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus_python_api(case: Case, tmp_path: Path) -> None:
    from cobra_metalign import align
    from cobra_metalign.io.model import read_model

    path = tmp_path / case.filename
    data = case.build()
    path.write_bytes(data)
    start = time.monotonic()
    try:
        model = read_model(path)
    except MetalignError as error:
        assert not case.accepted, f"refused: {error}"
        assert path.name in str(error) and str(tmp_path) in str(error)
        if case.word:
            assert case.word in str(error).lower()
    else:
        assert case.accepted or case.name in OUTCOME_UNDECIDED, "bad input was accepted"
        if case.name == "garbage_charge":  # fbc:charge="NaN" is missing, not 0
            assert model.metabolites.get_by_id("pyr_c").charge is None
        result = align(model)
        _audit_ok(result.audit, model)
        assert len(result.model.reactions) == len(model.reactions)
    assert time.monotonic() - start < TIME_LIMIT
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [case.filename]


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus_cli(case: Case, tmp_path: Path, good_files) -> None:
    """fix, apply (with the good model's audit) and merge (with the good model)."""
    path = tmp_path / case.filename
    data = case.build()
    path.write_bytes(data)
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    commands = [
        ["fix", str(path), "-o", str(out / "fixed.xml")],
        ["merge", str(path), str(good_files["model"]), "-o", str(out / "merged.xml")],
    ]
    if not case.accepted:
        commands.append(["apply", str(path), str(good_files["audit"]), "-o", str(out / "cur.xml")])
    accepted = []
    for args in commands:
        before = snapshot(tmp_path)
        result, elapsed = invoke(args)
        if result.exit_code == 0 and (case.accepted or case.name in OUTCOME_UNDECIDED):
            accepted.append(args[0])
            assert elapsed < TIME_LIMIT
            continue
        # apply may refuse the (good) audit as not fitting the bad model: it names the audit
        names = [path.name] + ([good_files["audit"].name] if args[0] == "apply" else [])
        if case.name in OUTCOME_UNDECIDED and "cannot be read back" in result.output:
            # the output read back with errors: refused, naming the file that was not written
            names = [Path(args[-1]).name]
        assert_clean_failure(result, elapsed, names, case.word if len(names) == 1 else None)
        assert snapshot(tmp_path) == before, f"{args[0]} left files behind"
    if case.accepted:
        assert accepted == ["fix", "merge"], accepted
        from cobra_metalign.io.model import read_model
        from cobra_metalign.rewrite.audit import read_audit

        audit = read_audit(out / "fixed.audit.tsv")
        _audit_ok(audit, read_model(path))
        # the audit `fix` wrote applies to the same input
        result, _ = invoke(
            ["apply", str(path), str(out / "fixed.audit.tsv"), "-o", str(out / "c.xml")]
        )
        assert result.exit_code == 0, result.output
    assert path.read_bytes() == data


def test_entity_bomb_does_not_expand(tmp_path: Path) -> None:
    """The refusal happens before any parser sees the DOCTYPE: fast and tiny."""
    import resource

    from cobra_metalign.io.model import read_model, validate

    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with pytest.raises(MetalignError, match="entity"):
        read_model(path)
    model, errors = validate(path)
    assert model is None and (errors["severity"] == "fatal").any()
    assert time.monotonic() - start < 2.0
    # 10**9 "lol"s would be gigabytes; allow 50 MB of noise
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 50_000


def test_xxe_leaks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text(XXE)
    result, _ = invoke(["validate", str(path)])
    assert "root:" not in result.output
    result, elapsed = invoke(["fix", str(path)])
    assert_clean_failure(result, elapsed, [path.name], "entity")
    assert "root:" not in result.output


# ------------------------------------------------------------------ audits
def _audit_variant(good: Path, kind: str) -> str:
    lines = good.read_text().splitlines(keepends=True)
    body_start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    header = lines[body_start].rstrip("\n").split("\t")
    rows = [line.rstrip("\n").split("\t") for line in lines[body_start + 1 :]]
    if kind == "missing_columns":
        drop = [header.index("decision"), header.index("status")]
        header = [h for i, h in enumerate(header) if i not in drop]
        rows = [[c for i, c in enumerate(r) if i not in drop] for r in rows]
    elif kind == "unknown_ids":
        rows[0][header.index("metabolite_id")] = "no_such_met_c"
    elif kind == "invalid_decision":
        rows[1][header.index("decision")] = "maybe"
    elif kind == "invalid_status":
        rows[1][header.index("status")] = "EXPLODED"
    elif kind == "duplicate_rows":
        rows.append(rows[0])
    elif kind == "not_an_audit":
        return "just,a,csv\n1,2,3\n"
    elif kind == "empty":
        return ""
    elif kind == "no_rows":
        rows = []
    out = "".join(lines[:body_start]) + "\t".join(header) + "\n"
    return out + "".join("\t".join(r) + "\n" for r in rows)


AUDIT_CASES = [
    "missing_columns",
    "unknown_ids",
    "invalid_decision",
    "invalid_status",
    "duplicate_rows",
    "not_an_audit",
    "empty",
    "no_rows",
]


@pytest.mark.parametrize("kind", AUDIT_CASES)
def test_bad_audit(kind: str, tmp_path: Path, good_files) -> None:
    from cobra_metalign.io.model import read_model
    from cobra_metalign.rewrite.audit import apply_audit, read_audit

    audit_path = tmp_path / "bad.audit.tsv"
    text = _audit_variant(good_files["audit"], kind)
    audit_path.write_text(text)
    model_bytes = good_files["model"].read_bytes()
    before = snapshot(tmp_path)
    result, elapsed = invoke(
        ["apply", str(good_files["model"]), str(audit_path), "-o", str(tmp_path / "cur.xml")]
    )
    assert_clean_failure(result, elapsed, [audit_path.name])
    assert snapshot(tmp_path) == before
    assert good_files["model"].read_bytes() == model_bytes
    with pytest.raises(MetalignError, match="bad.audit.tsv"):
        apply_audit(read_model(good_files["model"]), read_audit(audit_path))


# ------------------------------------------------------------------ usage errors
@pytest.mark.parametrize(
    "args",
    [
        ["fix"],
        ["fix", "{missing}"],
        ["fix", "{model}", "--bogus-option"],
        ["fix", "{model}", "--in-place", "-o", "{tmp}/x.xml"],
        ["apply", "{model}"],
        ["merge", "{model}"],
        ["merge", "{model}", "{model}"],  # no -o
    ],
    ids=[
        "fix_no_model",
        "fix_missing_file",
        "fix_bad_option",
        "fix_inplace_and_o",
        "apply_no_audit",
        "merge_one_model_no_o",
        "merge_no_output",
    ],
)
def test_usage_errors_exit_2(args, tmp_path: Path, good_files) -> None:
    values = {
        "model": str(good_files["model"]),
        "missing": str(tmp_path / "nope.xml"),
        "tmp": str(tmp_path),
    }
    args = [a.format(**values) for a in args]
    result, _ = invoke(args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def _run_cli(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    code = "import sys; from cobra_metalign.cli.app import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, **kwargs
    )


def test_subprocess_messages(tmp_path: Path) -> None:
    """A real process: no traceback without --debug, a traceback with it."""
    bad = tmp_path / "bad.xml"
    bad.write_text("<html/>")
    plain = _run_cli(["fix", str(bad)])
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert [line for line in plain.stderr.splitlines() if line.startswith("Error:")][0].count(
        "bad.xml"
    )
    debug = _run_cli(["--debug", "fix", str(bad)])
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xml"]


# ------------------------------------------------------------------ faults
def _corrupt_catalog(tmp_path: Path) -> Path:
    from cobra_metalign.catalog.store import packaged_catalog_path

    raw = bytearray(gzip.decompress(packaged_catalog_path().read_bytes()))
    index = raw.index(b'"glc__D"')
    raw[index + 1 : index + 4] = b"XYZ"  # payload changed, header checksum kept
    path = tmp_path / "catalog.json.gz"
    path.write_bytes(gzip.compress(bytes(raw)))
    return path


@pytest.mark.parametrize("kind", ["checksum", "truncated", "not_gzip"])
def test_corrupted_catalog_option(kind: str, tmp_path: Path, good_files) -> None:
    from cobra_metalign.catalog.store import packaged_catalog_path

    if kind == "checksum":
        catalog = _corrupt_catalog(tmp_path)
    elif kind == "truncated":
        catalog = tmp_path / "catalog.json.gz"
        data = packaged_catalog_path().read_bytes()
        catalog.write_bytes(data[: len(data) // 3])
    else:
        catalog = tmp_path / "catalog.json.gz"
        catalog.write_text("not a catalogue")
    before = snapshot(tmp_path)
    result, elapsed = invoke(
        ["fix", str(good_files["model"]), "--catalog", str(catalog), "-o", str(tmp_path / "o.xml")]
    )
    assert_clean_failure(result, elapsed, [catalog.name])
    assert snapshot(tmp_path) == before


def test_corrupted_cached_catalog_is_not_used(tmp_path: Path, good_files, caplog) -> None:
    """A corrupted catalogue in the cache is reported and the packaged one used."""
    from cobra_metalign.catalog.store import cached_catalog_path

    cached = cached_catalog_path()
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(_corrupt_catalog(tmp_path).read_bytes())
    result, _ = invoke(["fix", str(good_files["model"]), "-o", str(tmp_path / "o.xml")])
    assert result.exit_code == 0, result.output
    assert "Ignoring the cached catalogue" in result.stderr
    assert "KEPT" in result.output


def test_pickle_adapter_refused(tmp_path: Path, good_files) -> None:
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 16}')
    (adapter / "adapter_model.bin").write_bytes(b"\x80\x04\x95 pickle that must never be loaded")
    before = snapshot(tmp_path)
    result, elapsed = invoke(
        ["fix", str(good_files["model"]), "--adapter", str(adapter), "-o", str(tmp_path / "o.xml")]
    )
    assert_clean_failure(result, elapsed, [adapter.name], "pickle")
    assert snapshot(tmp_path) == before


def _kill_run(model: Path, out_dir: Path, sig: int, wait_for_tmp: bool, delay: float) -> int:
    """Start `metalign fix`, send ``sig`` while it writes (or after ``delay``), return its code."""
    code = "import sys; from cobra_metalign.cli.app import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "fix", str(model), "-o", str(out_dir / "out.xml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # a test run under nohup passes SIGHUP on ignored: give the child the default
        preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL),
    )
    start = time.monotonic()
    try:
        while process.poll() is None and time.monotonic() - start < 240:
            if wait_for_tmp:
                if any(p.name.endswith(".tmp") for p in out_dir.iterdir()):
                    break
            elif time.monotonic() - start > delay:
                break
            time.sleep(0.005)
        if process.poll() is not None:
            pytest.skip("the run ended before the signal: nothing tested")
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # a signal during interpreter start-up (imports) may print a KeyboardInterrupt traceback
    # before metalign runs; once the run is under way (wait_for_tmp) there must be none
    if wait_for_tmp:
        assert "Traceback" not in stderr, stderr
    return process.returncode


def _check_after_kill(out_dir: Path, model: Path, data: bytes) -> None:
    left = sorted(p.name for p in out_dir.iterdir())
    # all three outputs (the signal came after they were moved into place) or none of them
    assert left in ([], ["out.audit.tsv", "out.reactions.tsv", "out.xml"]), left
    assert model.read_bytes() == data


@pytest.mark.parametrize(
    "sig",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT],
    ids=["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"],
)
def test_signal_during_run_small(sig: int, tmp_path: Path, good_files) -> None:
    """Kill a run on a small model mid-way (before or during its writes)."""
    data = good_files["model"].read_bytes()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    model = tmp_path / "model.xml"
    model.write_bytes(data)
    code = _kill_run(model, out_dir, sig, wait_for_tmp=False, delay=2.5)
    # a signal that lands while the interpreter shuts down, after the work, is not seen
    # by Python: exit 0 is then right, with every output written
    outputs = sorted(p.name for p in out_dir.iterdir())
    assert code != 0 or outputs == ["out.audit.tsv", "out.reactions.tsv", "out.xml"], outputs
    _check_after_kill(out_dir, model, data)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_writing_large_model(sig: int, tmp_path: Path, shared_data: Path) -> None:
    """iJO1366 (1,805 metabolites): the signal arrives while the atomic temp file exists."""
    source = shared_data / BIG_MODEL
    model = tmp_path / source.name
    data = source.read_bytes()
    model.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = _kill_run(model, out_dir, sig, wait_for_tmp=True, delay=0)
    assert code != 0
    _check_after_kill(out_dir, model, data)
    assert os.listdir(out_dir) == []


# ------------------------------------------------ security and faults (issue 14)
#: Address-space cap for the bomb subprocesses (a run on the tiny model needs < 1 GiB).
MEMORY_CAP = 1536 << 20


def _capped_cli(args: list[str], cwd: Path, cap: int = MEMORY_CAP, timeout: int = 120):
    """Run metalign in a subprocess whose address space is capped at ``cap`` bytes."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = "import sys; from cobra_metalign.cli.app import main; sys.exit(main())"
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        env=env,
        cwd=cwd,
    )
    return result, time.monotonic() - start


def _gzip_stream(path: Path, header: bytes, fill: bytes, total: int) -> None:
    """Write a gzip file of ``header`` then ``fill`` repeated up to ``total`` bytes (no big buffer)."""
    import zlib

    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = fill * ((1 << 20) // len(fill))
    with open(path, "wb") as handle:
        handle.write(squeeze.compress(header))
        for _ in range(total // len(block)):
            handle.write(squeeze.compress(block))
        handle.write(squeeze.flush())


@pytest.mark.parametrize("kind", ["entity_bypass", "whitespace_gzip", "catalog_bomb", "deep"])
def test_bombs_under_a_memory_cap(kind: str, tmp_path: Path, good_files) -> None:
    """Each bomb is refused quickly in a process capped at 1.5 GiB (issue 14 items 3, 4, 9)."""
    model = tmp_path / "model.xml"
    args = ["fix", "model.xml", "-o", "out/out.xml"]
    if kind == "entity_bypass":
        model.write_bytes(_entity_after_fake_subset_end())
        word = "entity"
    elif kind == "deep":
        model = tmp_path / "model.xml.gz"
        model.write_bytes(_deep_nesting())
        args[1] = model.name
        word = "nested deeper"
    elif kind == "whitespace_gzip":
        # 300 MB of whitespace after the XML declaration, 300 KB on disk
        model = tmp_path / "model.xml.gz"
        _gzip_stream(model, b'<?xml version="1.0"?>\n', b" ", 300 << 20)
        args[1] = model.name
        word = "exceeds the limit"
    else:
        model.write_bytes(good_files["model"].read_bytes())
        _gzip_stream(tmp_path / "catalog.json.gz", b"", b"\0", 300 << 20)
        args += ["--catalog", "catalog.json.gz"]
        word = "refused"
    assert model.stat().st_size < 2 << 20
    data = model.read_bytes()
    result, elapsed = _capped_cli(args, tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    assert elapsed < 60
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and word in errors[0], result.stderr[-1000:]
    assert model.read_bytes() == data
    assert not (tmp_path / "out").exists()


def test_fix_many_refuses_an_output_that_is_an_input(tmp_path: Path, good_files) -> None:
    """Issue 14 item 5: the first job's output replaced the second input."""
    (tmp_path / "a").mkdir()
    (tmp_path / "out").mkdir()
    first = tmp_path / "a" / "m.xml"
    second = tmp_path / "out" / "m.aligned.xml"
    data = good_files["model"].read_bytes()
    first.write_bytes(data)
    second.write_bytes(data)
    before = snapshot(tmp_path)
    result, elapsed = invoke(
        ["fix-many", str(first), str(second), "-o", str(tmp_path / "out"), "--overwrite"]
    )
    assert_clean_failure(result, elapsed, [second.name], "is the input")
    assert snapshot(tmp_path) == before


def test_fix_many_scheduler_address_is_checked(tmp_path: Path, good_files) -> None:
    result, _ = invoke(
        ["fix-many", str(good_files["model"]), "-o", str(tmp_path), "--scheduler", "not a url"]
    )
    assert result.exit_code == EXIT_USAGE and "scheduler address" in result.output
    assert list(tmp_path.iterdir()) == []


def test_fix_many_keeps_an_earlier_summary_and_resumes(tmp_path: Path, good_files) -> None:
    """Issue 14 items 11 and 19: summary.tsv is not replaced; --resume skips finished models."""
    from cobra_metalign.many import align_many

    models = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(good_files["model"].read_bytes())
        models.append(path)
    out = tmp_path / "out"
    first = align_many(models, out, workers=1)
    assert list(first["status"]) == ["ok", "ok"]
    summary = (out / "summary.tsv").read_bytes()
    with pytest.raises(MetalignError, match="summary.tsv already exists.*--resume"):
        align_many(models, out, workers=1)
    assert (out / "summary.tsv").read_bytes() == summary
    kept = (out / "one.aligned.xml").stat().st_mtime_ns
    (out / "two.audit.tsv").unlink()  # an interrupted run left "two" incomplete
    again = align_many(models, out, workers=1, resume=True)
    assert list(again["status"]) == ["skipped", "ok"]
    assert int(again.loc["one", "KEPT"]) == int(first.loc["one", "KEPT"])
    assert (out / "one.aligned.xml").stat().st_mtime_ns == kept
    assert (out / "two.audit.tsv").is_file()
    assert (out / "summary.tsv").read_text().count("skipped") == 1
    # everything done: the CLI skips both without starting a cluster
    result, _ = invoke(["fix-many", *map(str, models), "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert "2 models skipped" in result.output


def test_outputs_checked_before_work(tmp_path: Path, good_files) -> None:
    """Issue 14 item 6: a parent that is a file, an unknown suffix: refused before aligning."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    model = str(good_files["model"])
    cases = [
        (["--audit", str(blocker / "a.tsv")], "not a folder"),
        (["--reactions", str(blocker / "r.tsv")], "not a folder"),
        (["-o", str(tmp_path / "out.xml.bz2")], "unknown format suffix"),
        (["-o", str(tmp_path / "out.csv")], "unknown format suffix"),
    ]
    for extra, word in cases:
        before = snapshot(tmp_path)
        args = ["fix", model, *extra]
        if "-o" not in extra:
            args += ["-o", str(tmp_path / "out.xml")]
        result, elapsed = invoke(args)
        assert_clean_failure(result, elapsed, [tmp_path.name], word)
        assert elapsed < 5, "refused only after the alignment"
        assert snapshot(tmp_path) == before


def test_full_disk_leaves_no_partial_output(tmp_path: Path, good_files, monkeypatch) -> None:
    """Issue 14 item 6: the audit write fails after the model was written."""
    import errno

    from cobra_metalign.cli import rewrite as cli_rewrite

    def no_space(audit, path, *args, **kwargs):
        Path(path).write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cli_rewrite, "write_audit", no_space)
    out = tmp_path / "out"
    result, elapsed = invoke(["fix", str(good_files["model"]), "-o", str(out / "m.xml")])
    assert_clean_failure(result, elapsed, ["m.audit.tsv"], "no space left on device")
    assert not out.exists()


def test_file_created_during_the_run_is_not_replaced(
    tmp_path: Path, good_files, monkeypatch
) -> None:
    """Issue 14 item 11: a file that appears at the audit path during the run is kept."""
    from cobra_metalign import alignment

    real = alignment.align
    audit = tmp_path / "m.audit.tsv"

    def align_and_race(*args, **kwargs):
        result = real(*args, **kwargs)
        audit.write_text("written by someone else")
        return result

    monkeypatch.setattr(alignment, "align", align_and_race)
    result, elapsed = invoke(["fix", str(good_files["model"]), "-o", str(tmp_path / "m.xml")])
    assert_clean_failure(result, elapsed, ["m.audit.tsv"], "appeared")
    assert audit.read_text() == "written by someone else"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.audit.tsv"]


def test_unreadable_sbml_is_never_left(tmp_path: Path, good_files, monkeypatch) -> None:
    """Issue 11 item 7: the written SBML is read back; a failure leaves nothing."""
    from cobra_metalign.io import model as model_io

    real = model_io.write_model

    def corrupting(model, path, *args, **kwargs):
        written = real(model, path, *args, **kwargs)
        text = Path(written).read_text()
        Path(written).write_text(text.replace('name="Pyruvate"', 'name="Pyr\x01uvate"'))
        return written

    monkeypatch.setattr(model_io, "write_model", corrupting)
    result, elapsed = invoke(["fix", str(good_files["model"]), "-o", str(tmp_path / "m.xml")])
    assert_clean_failure(result, elapsed, ["m.xml"], "cannot be read back")
    assert list(tmp_path.iterdir()) == []


def test_control_characters_never_give_an_unreadable_model(tmp_path: Path) -> None:
    """A name with control characters: either a readable model or exit 1 and nothing written."""
    from cobra_metalign.io.model import validate

    model = tiny_model()
    model.metabolites.get_by_id("pyr_c").name = "Pyr\x00u\x07v\x1b[31mate\uffff"
    path = tmp_path / "ctl.json"
    path.write_text(json_text(model))
    result, elapsed = invoke(["fix", str(path), "-o", str(tmp_path / "out" / "m.xml")])
    if result.exit_code == 0:
        written, errors = validate(tmp_path / "out" / "m.xml")
        assert written is not None
        assert not errors["severity"].isin(["fatal", "error"]).any(), errors.to_string()
    else:
        assert_clean_failure(result, elapsed, ["m.xml"])
        assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_in_place_keeps_the_mode_and_never_replaces_the_backup(tmp_path: Path, good_files) -> None:
    """Issue 14 item 14."""
    model = tmp_path / "m.xml"
    data = good_files["model"].read_bytes()
    model.write_bytes(data)
    model.chmod(0o444)
    result, _ = invoke(["fix", str(model), "--in-place"])
    assert result.exit_code == 0, result.output
    assert model.stat().st_mode & 0o777 == 0o444
    backup = tmp_path / "m.xml.bak"
    assert backup.read_bytes() == data
    aligned = model.read_bytes()
    result, elapsed = invoke(["fix", str(model), "--in-place", "--overwrite"])
    assert_clean_failure(result, elapsed, ["m.xml.bak"], "never replaced")
    assert backup.read_bytes() == data and model.read_bytes() == aligned


def test_in_place_bz2_is_refused_before_work(tmp_path: Path, good_files) -> None:
    import bz2

    model = tmp_path / "m.xml.bz2"
    model.write_bytes(bz2.compress(good_files["model"].read_bytes()))
    before = snapshot(tmp_path)
    result, elapsed = invoke(["fix", str(model), "--in-place"])
    assert_clean_failure(result, elapsed, [model.name], "unknown format suffix")
    assert elapsed < 5
    assert snapshot(tmp_path) == before


TRICKY_NAMES = [
    '"Quoted" pyruvate',
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "'apostrophe first",
    'tab\tand "quote" inside',
]


def test_audit_round_trip_with_quotes_and_formulas(tmp_path: Path) -> None:
    """Issue 14 items 7 and 8: names starting with '"' or a formula character."""
    from cobra_metalign.rewrite.audit import read_audit

    model = tiny_model()
    targets = ["pyr_c", "atp_c", "adp_c", "pi_c", "h2o_c", "glc__D_c", "glc__D_e"]
    for met_id, name in zip(targets, TRICKY_NAMES, strict=True):
        model.metabolites.get_by_id(met_id).name = name
    path = tmp_path / "m.xml"
    path.write_text(sbml_text(model))
    result, _ = invoke(["fix", str(path), "-o", str(tmp_path / "f.xml")])
    assert result.exit_code == 0, result.output
    audit_path = tmp_path / "f.audit.tsv"
    raw_cells = [line.split("\t") for line in audit_path.read_text().splitlines()]
    starts = {cell[:1] for row in raw_cells for cell in row if not cell.startswith("#")}
    assert not starts & {"=", "+", "@"}  # formulas are guarded with a leading '
    dash = [c for row in raw_cells for c in row if c.startswith("-") and not c[1:2].isdigit()]
    assert not [c for c in dash if not c.startswith("-->")], dash
    audit = read_audit(audit_path)
    names = audit["name"].to_dict()
    for met_id, name in zip(targets, TRICKY_NAMES, strict=True):
        assert names[met_id] == name.replace("\t", " ")
    assert len(audit) == len(model.metabolites)
    result, _ = invoke(["apply", str(path), str(audit_path), "-o", str(tmp_path / "c.xml")])
    assert result.exit_code == 0, result.output
    assert len(read_audit(tmp_path / "c.audit.tsv")) == len(model.metabolites)


@pytest.mark.parametrize("kind", ["fifo_audit", "dev_zero_audit", "fifo_model"])
def test_special_files_are_refused_not_read(kind: str, tmp_path: Path, good_files) -> None:
    """Issue 14 items 9 and 13: `apply m.xml /dev/zero` and FIFOs hung or ate memory."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    if kind == "fifo_audit":
        args = ["apply", str(good_files["model"]), str(fifo)]
    elif kind == "dev_zero_audit":
        args = ["apply", str(good_files["model"]), "/dev/zero"]
    else:
        args = ["fix", str(fifo)]
    args += ["-o", str(tmp_path / "o.xml")]
    result, elapsed = invoke(args)
    names = ["/dev/zero"] if kind == "dev_zero_audit" else [fifo.name]
    assert_clean_failure(result, elapsed, names, "regular file")
    assert elapsed < 10


def test_catalog_with_an_empty_record_list(tmp_path: Path, good_files) -> None:
    import hashlib

    payload = b"[]"
    header = {
        "format": "cobra_metalign.catalog/1",
        "version": "empty",
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    catalog = tmp_path / "empty.json.gz"
    catalog.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + payload))
    result, elapsed = invoke(
        ["fix", str(good_files["model"]), "--catalog", str(catalog), "-o", str(tmp_path / "o.xml")]
    )
    assert_clean_failure(result, elapsed, [catalog.name], "empty")


def test_overlong_bigg_id_in_an_edited_audit(tmp_path: Path, good_files) -> None:
    """Issue 14 item 12: a 300-character bigg_id reached the solver (GLPK) as a traceback."""
    lines = good_files["audit"].read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("metabolite_id"))
    columns = lines[header].split("\t")
    row = lines[header + 1].split("\t")
    row[columns.index("bigg_id")] = "x" * 300
    row[columns.index("decision")] = "accept"
    lines[header + 1] = "\t".join(row)
    edited = tmp_path / "edited.tsv"
    edited.write_text("\n".join(lines) + "\n")
    result, elapsed = invoke(
        ["apply", str(good_files["model"]), str(edited), "-o", str(tmp_path / "c.xml")]
    )
    assert_clean_failure(result, elapsed, [edited.name], "longer than")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edited.tsv"]


def _adapter(folder: Path, config: dict, value: float = 0.01) -> Path:
    import torch
    from safetensors.torch import save_file

    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(config))
    tensor = torch.full((8, 384), value)
    save_file(
        {"base_model.model.encoder.layer.0.attention.self.query.lora_A.weight": tensor},
        str(folder / "adapter_model.safetensors"),
    )
    return folder


@pytest.mark.parametrize(
    ("config", "value", "word"),
    [
        ({"peft_type": "LORA", "r": 2_000_000, "lora_alpha": 16}, 0.01, "rank"),
        ({"peft_type": "PROMPT_TUNING", "num_virtual_tokens": 10_000_000}, 0.01, "only lora"),
        ({"peft_type": "LORA", "r": 8, "lora_alpha": 16}, float("nan"), "nan"),
        ({"peft_type": "LORA", "r": 8, "lora_alpha": 16}, float("inf"), "nan or infinite"),
    ],
    ids=["r_2e6", "virtual_tokens", "nan_weights", "inf_weights"],
)
def test_absurd_or_nan_adapters_are_refused(config, value, word, tmp_path: Path, good_files):
    """Issue 14 items 9 and 16."""
    adapter = _adapter(tmp_path / "adapter", config, value)
    before = snapshot(tmp_path)
    result, elapsed = invoke(
        ["fix", str(good_files["model"]), "--adapter", str(adapter), "-o", str(tmp_path / "o.xml")]
    )
    assert_clean_failure(result, elapsed, [adapter.name], word)
    assert snapshot(tmp_path) == before


def test_broken_stdout_pipe_is_not_an_error(tmp_path: Path, good_files) -> None:
    """Issue 14 item 17: `metalign fix ... | head -c1` exits 0 once every output is written."""
    code = "import sys; from cobra_metalign.cli.app import main; sys.exit(main())"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "fix",
            str(good_files["model"]),
            "-o",
            str(tmp_path / "m.xml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout.read(1)
        process.stdout.close()  # the reader goes away, as head -c1 does
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr and b"Broken pipe" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.audit.tsv", "m.reactions.tsv", "m.xml"]
