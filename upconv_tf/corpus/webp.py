"""Reading lossy WebP files: the VP8 key-frame header's quantiser, the libwebp quality that gives it, and
the bits per pixel of coded data. The in-the-wild corpus describes its generated thumbnails with these, so that
real photos can be encoded at the same settings.
"""

from __future__ import annotations


def webp_chunks(data: bytes) -> dict:
    """Top-level RIFF chunks of a WebP file: ``{fourcc: payload}`` (first of each; ANMF counted)."""
    import struct

    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    chunks, offset = {}, 12
    while offset + 8 <= len(data):
        fourcc = data[offset:offset + 4].decode("latin-1")
        size = struct.unpack("<I", data[offset + 4:offset + 8])[0]
        chunks.setdefault(fourcc, data[offset + 8:offset + 8 + size])
        offset += 8 + size + (size & 1)
    return chunks


class _BoolDecoder:
    """VP8's boolean entropy decoder (RFC 6386 s. 7), enough to read the frame header."""

    def __init__(self, data: bytes):
        self.data, self.value, self.pos, self.range, self.bits = data, (data[0] << 8) | data[1], 2, 255, 0

    def bit(self, prob: int = 128) -> int:
        split = 1 + (((self.range - 1) * prob) >> 8)
        if self.value >= split << 8:
            result, self.range, self.value = 1, self.range - split, self.value - (split << 8)
        else:
            result, self.range = 0, split
        while self.range < 128:
            self.value, self.range, self.bits = self.value << 1, self.range << 1, self.bits + 1
            if self.bits == 8:
                self.bits = 0
                self.value |= self.data[self.pos] if self.pos < len(self.data) else 0
                self.pos += 1
        return result

    def literal(self, bits: int) -> int:
        value = 0
        for _ in range(bits):
            value = (value << 1) | self.bit()
        return value

    def optional_signed(self, bits: int) -> int:
        if not self.bit():
            return 0
        value = self.literal(bits)
        return -value if self.bit() else value


def vp8_quantizer(data: bytes):
    """The base luma AC quantiser index (0 finest .. 127) of a lossy WebP, or None if not lossy VP8.

    Read from the key-frame header (RFC 6386 s. 9.2-9.6, 19.2): with segmentation in absolute mode the
    first segment's index (libwebp writes its base quantiser there), else ``y_ac_qi``.
    """
    payload = webp_chunks(data).get("VP8 ")
    if payload is None or len(payload) < 12 or payload[0] & 1:  # bit 0 set: not a key frame
        return None
    header = _BoolDecoder(payload[10:])
    header.literal(2)  # colour space, clamping type
    segments = None
    if header.bit():  # segmentation enabled
        update_map, update_data = header.bit(), header.bit()
        if update_data:
            absolute = header.bit()
            segments = [header.optional_signed(7) for _ in range(4)]
            [header.optional_signed(6) for _ in range(4)]  # loop-filter levels
            segments = segments if absolute else None
        if update_map:
            [header.literal(8) if header.bit() else None for _ in range(3)]
    header.literal(1 + 6 + 3)  # filter type, level, sharpness
    if header.bit() and header.bit():  # loop-filter deltas enabled and updated
        [header.optional_signed(6) for _ in range(8)]
    header.literal(2)  # token partitions
    base = header.literal(7)
    return segments[0] if segments else base


def encode_webp(image, quality: int) -> bytes:
    """A PIL image or uint8 array as lossy WebP bytes (the chain's encoder, method 4)."""
    import numpy as np

    from upconv_tf.datasets.augment import encode_bytes

    return encode_bytes(np.asarray(image), "webp", quality)


def estimate_webp_quality(data: bytes, image=None):
    """The libwebp quality (0-100) that gives a lossy WebP's quantiser on its own content, or None.

    libwebp's quantiser for a quality depends a little on the content, so the decoded image is encoded
    again (binary search over quality) until the quantiser index matches the file's: the smallest
    quality whose index is not above it. Valid for files that libwebp (cwebp, Pillow, browsers) wrote.
    """
    import io

    from PIL import Image

    target = vp8_quantizer(data)
    if target is None:
        return None
    if image is None:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    low, high = 0, 100
    while low < high:
        middle = (low + high) // 2
        if vp8_quantizer(encode_webp(image, middle)) <= target:
            high = middle
        else:
            low = middle + 1
    return low


def webp_bits_per_pixel(data: bytes, width: int, height: int) -> float:
    """Bits of coded image data (VP8/VP8L/ALPH chunks, not ICC or EXIF metadata) per pixel."""
    chunks = webp_chunks(data)
    coded = sum(len(chunks.get(name, b"")) for name in ("VP8 ", "VP8L", "ALPH"))
    return 8.0 * (coded or len(data)) / float(width * height)
