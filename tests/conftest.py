"""Shared fixtures: the ../shared/data folder, cobra's bundled models, an isolated cache."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Real data beside the project (never copied into it).
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; skips the test when it is absent (a plain clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"shared data not found at {SHARED_DATA} (tests on real data need ../shared/data)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def _textbook():
    from cobra.io import load_model

    return load_model("textbook")


@pytest.fixture()
def textbook(_textbook):
    """A fresh copy of cobra's textbook (E. coli core) model for each test."""
    return _textbook.copy()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    """Point the user cache at a temporary folder so tests never touch the real one."""
    path = tmp_path_factory.mktemp("metalign_cache")
    monkeypatch.setenv("METALIGN_CACHE_DIR", str(path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return path


@pytest.fixture(autouse=True)
def restore_package_logging():
    """The CLI configures the package logger (own handler, no propagation): reset it per test.

    The reset goes to the state the package sets on import rather than to a saved state, since
    a module-scoped fixture that runs the CLI is set up before this function-scoped one.
    """
    import logging

    def reset() -> None:
        for name, child in logging.root.manager.loggerDict.items():
            if name.startswith("cobra_metalign") and isinstance(child, logging.Logger):
                child.disabled = False
        package_logger = logging.getLogger("cobra_metalign")
        package_logger.handlers[:] = [logging.NullHandler()]
        package_logger.setLevel(logging.NOTSET)
        package_logger.propagate = True

    reset()
    yield
    reset()
