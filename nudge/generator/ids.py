"""Fixed-width ids (message / anonymous UUIDs, user ids) rendered with numpy straight into
Arrow string buffers: whole bytes are looked up in tables of two-character strings, so no
Python code runs per row and no digit is computed one at a time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from nudge.generator.common import I64, NULL, B, splitmix64

U8 = npt.NDArray[np.uint8]
# the two characters of each byte value / of 0..99, one uint16 each (native byte order, so
# viewing a uint16 array as uint8 gives the characters in order)
HEX_PAIRS = np.frombuffer(b"".join(b"%02x" % i for i in range(256)), dtype=np.uint16)
DEC_PAIRS = np.frombuffer(b"".join(b"%02d" % i for i in range(100)), dtype=np.uint16)
DASH = ord("-")


def fixed_width_strings(chars: U8, mask: B) -> pa.Array:
    """An Arrow string array from an (n, width) array of ASCII bytes; null where `mask`."""
    n, width = chars.shape
    if n * width >= 2**31:  # (a block is far smaller)
        raise ValueError("too much text for an Arrow string array's 32-bit offsets")
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = pa.array(~mask).buffers()[1] if mask.any() else None
    return pa.StringArray.from_buffers(
        n,
        pa.py_buffer(offsets),
        pa.py_buffer(np.ascontiguousarray(chars).reshape(-1)),
        validity,
        int(mask.sum()),
    )


def hex_digits(values: npt.NDArray[np.uint64]) -> U8:
    """(n, 16) lower-case hex digits of 64-bit values, most significant first."""
    big_endian = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return HEX_PAIRS[big_endian].view(np.uint8)


def decimal_digits(values: I64, width: int) -> U8:
    """(n, width) decimal digits of values in 0 .. 10**width - 1, zero-padded."""
    pairs = (width + 1) // 2
    powers = 100 ** np.arange(pairs - 1, -1, -1, dtype=np.int64)
    digits = DEC_PAIRS[(values[:, None] // powers) % 100].view(np.uint8)
    return digits[:, 2 * pairs - width :]


def uuid_strings(key: I64) -> pa.Array:
    """UUID-shaped text (8-4-4-4-12 hex digits) for 64-bit keys; distinct keys give
    distinct ids (the first 16 digits are the key itself); NULL keys give null."""
    mask = key == NULL
    a = key.astype(np.uint64)
    da, db = hex_digits(a), hex_digits(splitmix64(a))
    chars = np.empty((key.shape[0], 36), dtype=np.uint8)
    chars[:, [8, 13, 18, 23]] = DASH
    chars[:, 0:8] = da[:, 0:8]
    chars[:, 9:13] = da[:, 8:12]
    chars[:, 14:18] = da[:, 12:16]
    chars[:, 19:23] = db[:, 0:4]
    chars[:, 24:36] = db[:, 4:16]
    return fixed_width_strings(chars, mask)


def user_id_strings(user: I64, width: int) -> pa.Array:
    """'u0000001' for contact index 0 (zero-padded to `width` digits)."""
    mask = user == NULL
    chars = np.empty((user.shape[0], width + 1), dtype=np.uint8)
    chars[:, 0] = ord("u")
    chars[:, 1:] = decimal_digits(np.where(mask, 0, user + 1), width)
    return fixed_width_strings(chars, mask)


def user_id_width(contacts: int) -> int:
    return max(7, len(str(contacts)))


def anonymous_keys(anon: I64, seed: int) -> I64:
    """A bijective scramble of anonymous id numbers (per seed); NULL stays NULL."""
    salt = splitmix64(np.array([seed % 2**64], dtype=np.uint64))[0] ^ np.uint64(0xA5A5)
    keys = splitmix64(anon.astype(np.uint64) ^ salt).view(np.int64)
    return np.where(anon == NULL, NULL, keys)


__all__ = ["anonymous_keys", "user_id_strings", "user_id_width", "uuid_strings"]
