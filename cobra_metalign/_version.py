"""Version of the cobra_metalign package."""

__version__ = "0.1.0"
