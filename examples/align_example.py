"""Align a mixed-namespace model with cobra_metalign, in a script.

Run from the repository root::

    python examples/align_example.py

It reads ``examples/textbook_mixed.xml`` (made by ``make_example.py``), aligns it
to BiGG, prints the counts per status, the merges and the flagged reactions,
compares growth before and after, and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from cobra.io import load_model

from cobra_metalign.alignment import align
from cobra_metalign.io import read_model

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Align the example model and show what changed."""
    model = read_model(HERE / "textbook_mixed.xml")
    result = align(model)  # a copy: `model` is left as it was

    print(result)
    print("\nMetabolites (and flagged reactions) per status:")
    print(result.summary().to_string())

    audit = result.to_frame()
    changed = audit[audit["status"] != "KEPT"]
    print("\nWhat changed:")
    print(changed[["name", "status", "new_id", "bigg_id", "score", "evidence"]].to_string())

    if len(result.reactions):
        print("\nFlagged reactions (kept in the model, listed for review):")
        print(result.reactions[["status", "reaction", "duplicate_of"]].to_string())

    reference = load_model("textbook").slim_optimize()
    print(
        f"\nGrowth: textbook {reference:.4f}, mixed model {model.slim_optimize():.4f}, "
        f"aligned {result.model.slim_optimize():.4f}"
    )

    # The same in place, undone on leaving the block:
    with model:
        align(model, inplace=True)
        print(f"\nInside `with model:` the model has {len(model.metabolites)} metabolites")
    print(f"after the block, {len(model.metabolites)} again")


if __name__ == "__main__":
    main()
