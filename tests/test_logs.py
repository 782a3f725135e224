"""Library warnings counted per kind."""

from __future__ import annotations

import logging

from cobra_metalign.logs import RepeatLimit, WarningSummary, summarise, warning_kind


def test_warning_kind_drops_the_object_and_ids():
    assert (
        warning_kind(
            "Use of FORMULA in the notes element is discouraged, use fbc:chemicalFormula instead: "
            '<Species M_10fthf_c "_10-Formyltetrahydrofolate">'
        )
        == "Use of FORMULA in the notes element is discouraged, use fbc:chemicalFormula instead"
    )
    first = warning_kind(
        "Adding exchange reaction EX_co2_b with default bounds for boundary metabolite: co2_b."
    )
    second = warning_kind(
        "Adding exchange reaction EX_h2o_b with default bounds for boundary metabolite: h2o_b."
    )
    assert (
        first == second == "Adding exchange reaction … with default bounds for boundary metabolite"
    )


def test_summarise_counts_per_kind():
    messages = [f"Use of X is discouraged: <Species M_m{i}>" for i in range(30)]
    messages += ["Model does not contain SBML fbc package information."]
    lines = summarise(messages)
    assert lines[0].startswith("31 warnings (counted per kind")
    assert lines[1].strip() == "30 x Use of X is discouraged (first: <Species M_m0>)"
    assert lines[2].strip() == "1 x Model does not contain SBML fbc package information."
    assert summarise([]) == []
    many_kinds = [f"kind {chr(65 + i)} happened" for i in range(12)]
    lines = summarise(many_kinds)
    assert lines[-1].strip() == "4 x 4 other kinds of warnings"
    assert len(lines) == 1 + 8 + 1


def test_warning_summary_handler_reports_once(caplog):
    handler = WarningSummary()
    log = logging.getLogger("some_library.io")
    log.addHandler(handler)
    try:
        for i in range(5):
            log.warning("thing %d is odd: <obj %d>", i, i)
        log.error("a real error")  # errors are not counted (they are printed)
    finally:
        log.removeHandler(handler)
    assert handler.summary_lines()[1].strip() == "5 x some_library: thing … is odd (first: <obj 0>)"
    with caplog.at_level(logging.WARNING, logger="cobra_metalign"):
        handler.report()
    assert "5 warnings from some_library" in caplog.text
    assert handler.summary_lines() == []


def test_repeat_limit_shows_the_first_of_each_kind():
    limit = RepeatLimit(2)
    log = logging.getLogger("cobra_metalign.test_repeats")
    records = [
        log.makeRecord(
            log.name, logging.WARNING, __file__, 1, f"Reaction R{i} became empty", (), None
        )
        for i in range(5)
    ]
    shown = [limit.filter(record) for record in records]
    assert shown == [True, True, False, False, False]
    error = log.makeRecord(
        log.name, logging.ERROR, __file__, 1, "Reaction R9 became empty", (), None
    )
    assert limit.filter(error)
    assert limit.summary_lines()[1].strip() == "3 more x Reaction … became empty"
