"""The errors and skip records every part of the package shares, as data rather than text.

A file that cannot be used is never fatal: it becomes a :class:`Skipped` record (path, a stable ``code``,
a human ``detail``) and the rest is processed. Commands print the records and put them in their JSON under
``skipped``; code that reacts to a kind of failure (e.g. "every image was smaller than the crop") reads
``code`` and the numbers, never the text. Nothing usable at all raises :class:`NoUsableImages`, which
carries the records. A bad argument raises :class:`ArgumentError`, which names the argument.

Importing this module imports nothing but the standard library.

Example:

>>> record = Skipped("a.png", TOO_SMALL, "48 x 48 px is smaller than the 64 px crop", size=(48, 48), crop=64)
>>> record.as_record()["code"], record.as_record()["crop"]
('too-small', 64)
"""

from __future__ import annotations

import dataclasses

# Stable codes of :class:`Skipped` (JSON ``code``); the ``detail`` text may change, these do not.
MISSING = "missing"  # no such file or folder
NOT_A_FILE = "not-a-file"  # a folder, FIFO, socket, device or broken link where a file was expected
EMPTY = "empty"  # a 0-byte file
PERMISSION = "permission"  # permission denied
UNREADABLE = "unreadable"  # not an image format that can be read, or corrupt
DECODE_ERROR = "decode-error"  # a readable format whose decoding failed
TOO_LARGE = "too-large"  # over the decompression-bomb pixel limit, or out of memory
BAD_PIXELS = "bad-pixels"  # NaN or infinite values
TOO_SMALL = "too-small"  # smaller than the crop the model takes
NOT_AN_IMAGE = "not-an-image"  # a file in a walked folder whose extension is not an image format's
UNLISTABLE = "unlistable"  # a folder that cannot be listed
EMPTY_FOLDER = "empty-folder"  # a folder given by the user that holds no image file at all
FEATURES = "features"  # decoded, but its features could not be computed
UNSUPPORTED_SIZE = "unsupported-size"  # decoded, but of a size the model does not take (e.g. not a multiple of 8)
CODES = (MISSING, NOT_A_FILE, EMPTY, PERMISSION, UNREADABLE, DECODE_ERROR, TOO_LARGE, BAD_PIXELS, TOO_SMALL,
         NOT_AN_IMAGE, UNLISTABLE, EMPTY_FOLDER, FEATURES, UNSUPPORTED_SIZE)


@dataclasses.dataclass(frozen=True)
class Skipped:
    """One input that was not used, and why.

    Attributes:
        path: the file or folder.
        code: one of :data:`CODES`.
        detail: one human-readable line (without the path).
        size: ``(width, height)`` of the image, where the reason depends on it (``too-small``).
        crop: the crop side the image was too small for (``too-small``).
    """

    path: str
    code: str
    detail: str
    size: tuple | None = None
    crop: int | None = None

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"`code` must be one of {CODES}. Received: code={self.code!r}")
        object.__setattr__(self, "path", str(self.path))

    @property
    def reason(self) -> str:
        """The human-readable reason (the ``reason`` key of the JSON record)."""
        return self.detail

    def as_record(self) -> dict:
        """The JSON record every command writes: ``{"path", "code", "reason"}``, plus ``size`` ([width, height])
        and ``crop`` where the reason depends on them."""
        record = {"path": self.path, "code": self.code, "reason": self.detail}
        if self.size is not None:
            record["size"] = list(self.size)
        if self.crop is not None:
            record["crop"] = self.crop
        return record

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


def records(skipped) -> list:
    """:class:`Skipped` records -> the JSON list every output holds under ``skipped``."""
    return [item.as_record() for item in skipped]


class ImageLoadError(ValueError):
    """One file could not be used; ``skipped`` is its :class:`Skipped` record, ``str()`` is ``path: detail``."""

    def __init__(self, path, code: str, detail: str, *, size=None, crop=None):
        self.skipped = Skipped(path, code, detail, size=size, crop=crop)
        super().__init__(str(self.skipped))

    @property
    def path(self) -> str:
        return self.skipped.path

    @property
    def reason(self) -> str:
        return self.skipped.detail


class ArgumentError(ValueError):
    """A bad value for a named argument.

    ``argument`` is the library's name (``size``, ``real``...), ``detail`` the rest of the line, and ``mentions``
    the other arguments the detail names (written ```name``` in it). ``str()`` reads ```size` 24: ...``; a front
    end spells the names its own way with :meth:`format` (the CLI: ``--size 24: ...``).
    """

    def __init__(self, argument: str, detail: str | None = None, mentions=()):
        if detail is None:  # one message and no argument, as Keras re-raises an error with more context
            argument, detail = None, argument
        self.argument, self.detail, self.mentions = argument, detail, tuple(mentions)
        super().__init__(self.format())

    def format(self, spell=None) -> str:
        """The message with each argument spelled ``spell(name)`` (default: ```name```)."""
        spell = spell or (lambda name: f"`{name}`")
        detail = self.detail
        for name in self.mentions:
            detail = detail.replace(f"`{name}`", spell(name))
        return detail if self.argument is None else f"{spell(self.argument)} {detail}"


class NoUsableImages(ValueError):
    """No input could be used; ``skipped`` holds the :class:`Skipped` record of every file tried and ``roots`` the
    files or folders that were given (``argument``: which argument they came from, when one did)."""

    def __init__(self, detail: str, roots=(), skipped=(), argument: str | None = None):
        self.detail, self.argument, self.mentions = detail, argument, ()
        self.roots, self.skipped = [str(r) for r in roots], list(skipped)
        super().__init__(self.format() if argument else detail)

    def format(self, spell=None) -> str:
        """The message with the argument spelled ``spell(name)`` (default ```name```; the CLI: ``--real``)."""
        spell = spell or (lambda name: f"`{name}`")
        return f"{spell(self.argument)}: {self.detail}"

    def smallest_crop_that_fits(self):
        """When every file was skipped as smaller than the crop: ``(crop, side)``, the crop asked for and the
        largest square side the images allow; else None."""
        return crop_hint(self.skipped, every=True)


def crop_hint(skipped, every: bool = False):
    """``(crop, side)`` from the ``too-small`` records of ``skipped``: the crop that was asked for and the
    largest side any of those images would allow (None when there is no such record, or, with ``every``, when
    some record is of another kind)."""
    small = [item for item in skipped if item.code == TOO_SMALL]
    if not small or (every and len(small) != len(skipped)):
        return None
    return small[0].crop, max(min(item.size) for item in small)


def from_records(items) -> list:
    """JSON records (:meth:`Skipped.as_record`) -> :class:`Skipped` records."""
    return [Skipped(item["path"], item["code"], item["reason"],
                    size=tuple(item["size"]) if item.get("size") is not None else None, crop=item.get("crop"))
            for item in items]
