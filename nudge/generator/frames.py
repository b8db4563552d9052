"""Frames: dicts of equally long int64 numpy columns (NULL where a value is missing), and
the few operations the generator applies to whole frames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from nudge.generator.common import I64, NULL, B


def concat_frames(parts: list[dict[str, I64]], columns: list[str]) -> dict[str, I64]:
    """Concatenate column dicts; a column missing from a part is NULL there."""
    bounds = np.cumsum([0, *(len(next(iter(part.values()))) for part in parts)])
    out: dict[str, I64] = {}
    for col in columns:
        column = np.empty(int(bounds[-1]), dtype=np.int64)
        for part, start, end in zip(parts, bounds[:-1], bounds[1:], strict=True):
            piece = part.get(col)
            column[start:end] = NULL if piece is None else piece
        out[col] = column
    return out


def take(frame: dict[str, I64], index: I64 | B) -> dict[str, I64]:
    return {k: v[index] for k, v in frame.items()}


class Rows(Mapping[str, I64]):
    """A frame whose row i is row `index[i]` of `base`, except for the columns in `own`
    (already in this frame's row order). A base column is gathered the first time it is
    read, so reordering, filtering and copying rows costs one gather per column read in
    the end, not one per step and column."""

    def __init__(
        self, base: Mapping[str, I64], index: I64, own: Mapping[str, I64] | None = None
    ) -> None:
        if isinstance(base, Rows):  # compose: gather from the innermost frame once
            inner, own = base, own or {}
            own = {**{k: v[index] for k, v in inner._own.items() if k not in own}, **own}
            base, index = inner._base, inner._index[index]
        self._base: Mapping[str, I64] = base
        self._index: I64 = index
        self._own: dict[str, I64] = dict(own or {})

    @property
    def n_rows(self) -> int:
        return int(self._index.shape[0])

    def take(self, index: I64) -> Rows:
        return Rows(self, index)

    @staticmethod
    def stack(parts: Sequence[Rows]) -> Rows:
        """The rows of `parts` (frames over one base) one after the other."""
        base = parts[0]._base
        if any(part._base is not base for part in parts):
            raise ValueError("stacked frames must share their base")
        own = set().union(*(part._own for part in parts))
        return Rows(
            base,
            np.concatenate([part._index for part in parts]),
            {name: np.concatenate([part[name] for part in parts]) for name in sorted(own)},
        )

    def __getitem__(self, name: str) -> I64:
        column = self._own.get(name)
        if column is None:
            column = self._own[name] = self._base[name][self._index]
        return column

    def __iter__(self) -> Iterator[str]:
        yield from self._own
        yield from (name for name in self._base if name not in self._own)

    def __len__(self) -> int:
        return len(self._own.keys() | self._base.keys())


def lexsort(keys: Sequence[I64]) -> I64:
    """What `np.lexsort(keys)` returns (stable; the last key sorts first), faster: the
    leading keys are packed into one int64 when their ranges fit, sorted with one stable
    argsort, and only runs of rows tied on them are sorted by the remaining keys."""
    keys = list(keys)
    n = keys[-1].shape[0] if keys else 0
    if n == 0:
        return np.lexsort(keys)
    packed, span_total, used = keys[-1], 1, 0
    for key in reversed(keys):
        low, span = int(key.min()), int(key.max()) - int(key.min()) + 1
        if span_total * span >= 2**63:
            break
        part = key - np.int64(low)
        packed = part if used == 0 else packed * np.int64(span) + part
        span_total, used = span_total * span, used + 1
    used = max(used, 1)  # a primary key too wide to pack is sorted as it is
    order = np.argsort(packed, kind="stable")
    rest = keys[: len(keys) - used]
    if rest:
        sorted_packed = packed[order]
        same = sorted_packed[1:] == sorted_packed[:-1]
        tied = np.zeros(n, dtype=bool)
        tied[1:] = same
        tied[:-1] |= same
        at = np.flatnonzero(tied)
        if at.shape[0]:
            # tied runs hold rows in their original order, so this keeps lexsort's ties
            rows = order[at]
            order[at] = rows[np.lexsort([*(key[rows] for key in rest), packed[rows]])]
    return order


def frame_len(frame: dict[str, I64]) -> int:
    return len(next(iter(frame.values()))) if frame else 0


__all__ = ["Rows", "concat_frames", "frame_len", "lexsort", "take"]
