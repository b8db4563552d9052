"""Group records into batches bounded by a row count and a payload size."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def batches(
    items: Iterable[T], *, max_rows: int, max_bytes: int, size_of: Callable[[T], int]
) -> Iterator[list[T]]:
    """Consecutive batches of at most ``max_rows`` items and ``max_bytes`` total size.
    An item larger than ``max_bytes`` alone still forms its own batch (callers drop those
    before, against the per-record limit)."""
    batch: list[T] = []
    total = 0
    for item in items:
        size = size_of(item)
        if batch and (len(batch) >= max_rows or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += size
    if batch:
        yield batch


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
