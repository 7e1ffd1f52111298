"""The same photograph in two places: a difference hash of a downscaled copy, compared with a small tolerance,
so that re-encoded or resized copies match and one photo never counts as two sources."""

from __future__ import annotations

import numpy as np

# Hashes differing in at most this many of their 64 bits are one photo.
MAX_DISTANCE = 6


def image_hash(image) -> int:
    """64-bit difference hash of an RGB PIL image: 9 x 8 gray (box filter), left-right gradient signs."""
    gray = np.asarray(image.convert("L").resize((9, 8), 4), np.int16)  # 4: Image.BOX
    bits = (gray[:, 1:] > gray[:, :-1]).ravel()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def distance(a: int, b: int) -> int:
    """Bits in which two hashes differ."""
    return bin(a ^ b).count("1")


class Seen:
    """Hashes met so far: :meth:`check` returns the name of an earlier near-identical image, or None (and
    remembers this one)."""

    def __init__(self, max_distance: int = MAX_DISTANCE):
        self.max_distance, self.hashes = max_distance, []

    def check(self, value: int, name: str):
        for other, other_name in self.hashes:
            if distance(value, other) <= self.max_distance:
                return other_name
        self.hashes.append((value, name))
        return None
