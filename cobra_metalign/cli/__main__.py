"""``python -m cobra_metalign.cli``."""

from cobra_metalign.cli.app import run

run()
