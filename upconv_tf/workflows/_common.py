"""What the folder workflows share: checking the roots a user gave, and optional progress bars.

A ``progress`` argument of the workflows, when given, is called as ``progress(total, desc)`` and must return an
object with ``update(n)`` and ``close()`` (e.g. a tqdm bar).
"""

from __future__ import annotations

import collections
import os
import re
import warnings

from upconv_tf.errors import ArgumentError


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def progress_bar(progress, total, desc):
    """``progress(total, desc)``, or a bar that shows nothing when ``progress`` is None."""
    return progress(total, desc) if progress is not None else _NoBar()


def check_roots(roots, name):
    """Every root (file or folder) given as argument ``name`` must exist."""
    for root in roots:
        if not os.path.exists(root) and not os.path.islink(root):
            raise ArgumentError(name, f"{root}: no such file or folder")


# A crop of a photo: NAME_0001.png is crop 1 of the photo NAME (what `upconv_tf.detection.group_ids` "prefix" reads).
_CROP_NAME = re.compile(r"^(?P<photo>.+)_\d+$")
AUTO = "auto"


def crops_of_photos(paths) -> tuple:
    """``(files, photos)``: how many of ``paths`` are named like crops of a photo (``NAME_0001.png``) whose
    ``NAME`` another file shares, and how many such photos there are."""
    stems = (os.path.splitext(os.path.basename(os.fspath(path)))[0] for path in paths)
    photos = collections.Counter(match.group("photo") for match in map(_CROP_NAME.match, stems) if match)
    shared = {photo: count for photo, count in photos.items() if count >= 2}
    return sum(shared.values()), len(shared)


def resolve_group_by(group_by, roots) -> tuple:
    """``(group_by, note)``: the grouping to use for the images under ``roots`` (lists of files or folders).

    ``"auto"`` picks ``"prefix"`` when at least half of the files are named like crops of a photo another file
    shares (``PHOTO_0001.png``, ``PHOTO_0002.png``...): crops of one photo must never count as separate sources
    (a threshold calibrated out of fold, or a split, would see the same photo on both sides); else ``"file"``.
    ``note`` says why (None when nothing was decided). An explicit ``"file"`` on such names warns
    (``UserWarning``) and is kept.
    """
    from upconv_tf.datasets import list_images
    from upconv_tf.options import GROUP_BY

    if group_by != AUTO and group_by not in GROUP_BY:
        raise ArgumentError("group_by", f"must be one of {(AUTO,) + GROUP_BY}. Received: group_by={group_by!r}")
    if group_by not in (AUTO, "file"):
        return group_by, None
    paths = [path for root in roots if os.path.exists(root) for path in list_images(root, errors=[])]
    files, photos = crops_of_photos(paths)
    crops = files >= 2 and 2 * files >= len(paths)
    if not crops:
        return "file", None
    what = (f"{files} of {len(paths)} files are named like crops of {photos} photos (NAME_0001.png): ")
    if group_by == AUTO:
        return "prefix", what + "grouped by photo (file-name prefix); pass group_by='file' to count each file"
    warnings.warn(what + "with group_by='file' each crop counts as a source of its own, so crops of one photo can "
                         "fall on both sides of a split or of the threshold's calibration folds; use 'prefix' "
                         "(or 'auto')", UserWarning, stacklevel=3)
    return "file", None
