"""Comments of the audit rows a curator decides: conflicts and boundary copies."""

from __future__ import annotations

import doctest

import pytest

from cobra_metalign.rewrite import explain
from cobra_metalign.rewrite.explain import boundary_comment, conflict_comment, describe_evidence


def test_the_examples_of_the_module_hold() -> None:
    failures, tried = doctest.testmod(explain)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize(
    "item, words",
    [
        ("id=exact", "the id"),
        ("name=exact", "the name"),
        ("inchikey=full", "the InChIKey"),
        ("xref:kegg.compound=C00031", "cross-reference kegg.compound:C00031"),
        ("idxref:seed.compound=cpd00149", "the id (seed.compound cpd00149)"),
        ("id=variant:12ppd__R", "the id (read as 12ppd__R)"),
        ("tfidf=0.84", ""),
        ("formula=ok", ""),
        ("inchikey=skeleton", ""),
    ],
)
def test_describe_evidence(item, words) -> None:
    assert describe_evidence(item) == words


def test_no_conflict_item_no_comment() -> None:
    assert conflict_comment("glc__D", "name=exact; formula=ok", "glc__D:0.98") == ""


def test_several_rivals_each_with_its_score() -> None:
    text = conflict_comment(
        "nh3", "name=exact; conflict:nh4,nh4oh", "nh3:0.98; nh4:0.97; nh4oh:0.91", "H4N", 1
    )
    assert text == (
        "conflict: the name names nh3; an id, cross-reference or InChIKey names nh4 (0.97); "
        "an id, cross-reference or InChIKey names nh4oh (0.91); model formula H4N, charge 1"
    )


def test_boundary_comment_without_anything_it_bounds_or_a_target() -> None:
    assert boundary_comment(None, None) == "boundary copy: leave as is"
    assert boundary_comment("ac_e", None) == "boundary copy of ac_e: leave as is"
