"""String similarity over catalogue names: character n-gram TF-IDF nearest neighbours.

This is both a candidate source of the matcher and the "TF-IDF nearest name"
baseline of the benchmark. Names are compared in a light normal form (lower
case, delimiters as single spaces) so that similarity is graded, not binary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["TfidfNameIndex", "light_form"]

_DELIMS = re.compile(r"[\s,;:_\-()\[\]{}'\"`′’]+")


def light_form(name: str) -> str:
    """Lower-case a name and collapse delimiters to single spaces.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    return _DELIMS.sub(" ", str(name).lower()).strip()


class TfidfNameIndex:
    """Nearest catalogue names by cosine similarity of character n-gram TF-IDF vectors.

    Parameters
    ----------
    ngram_range : tuple of int, optional
        Character n-gram lengths (within word boundaries).
    min_df : int, optional
        Ignore n-grams rarer than this.

    Attributes
    ----------
    names_ : list of str
        Indexed names (after :func:`light_form`), fitted.
    ids_ : numpy.ndarray
        The BiGG id of each indexed name.
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 4), min_df: int = 1) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, names: Sequence[str], ids: Sequence[str]) -> TfidfNameIndex:
        """Index ``names`` (one id per name; an id may have several names).

        Parameters
        ----------
        names, ids : sequence of str
            Same length.

        Returns
        -------
        TfidfNameIndex
            self
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len(names) != len(ids):
            raise ValueError("names and ids must have the same length")
        frame = pd.DataFrame({"name": [light_form(n) for n in names], "id": list(ids)})
        frame = frame[frame["name"] != ""].drop_duplicates()
        self.names_ = frame["name"].tolist()
        self.ids_ = frame["id"].to_numpy(dtype=object)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            dtype=np.float32,
            sublinear_tf=True,
        )
        self.matrix_ = self.vectorizer_.fit_transform(self.names_).T.tocsr()
        logger.debug("TF-IDF index: %d names, %d n-grams", *self.matrix_.T.shape)
        return self

    def search(self, queries: Sequence[str], k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-``k`` catalogue ids per query, best first, one score per id (its best name).

        Parameters
        ----------
        queries : sequence of str
        k : int, optional

        Returns
        -------
        list of list of (str, float)
            Cosine similarities in [0, 1].
        """
        if not hasattr(self, "matrix_"):
            raise RuntimeError("TfidfNameIndex is not fitted")
        results: list[list[tuple[str, float]]] = []
        if len(queries) == 0:
            return results
        vectors = self.vectorizer_.transform([light_form(q) for q in queries])
        batch = 512
        for start in range(0, vectors.shape[0], batch):
            scores = (vectors[start : start + batch] @ self.matrix_).toarray()
            for row in scores:
                results.append(self._top(row, k))
        return results

    def _top(self, row: np.ndarray, k: int) -> list[tuple[str, float]]:
        take = min(len(row), max(k * 8, 32))
        if take == 0:
            return []
        index = np.argpartition(-row, take - 1)[:take]
        index = index[np.argsort(-row[index], kind="stable")]
        best: dict[str, float] = {}
        for i in index:
            score = float(row[i])
            if score <= 0:
                break
            bigg_id = self.ids_[i]
            if bigg_id not in best:
                best[bigg_id] = min(score, 1.0)
                if len(best) == k:
                    break
        return list(best.items())
