"""Old import paths that keep working for one release, with a ``DeprecationWarning`` naming the new one.

A module that moved is replaced by a few lines that give it a module ``__getattr__`` (PEP 562) from
:func:`moved`: each old name is looked up in its new module on first use.
"""

from __future__ import annotations

import importlib
import warnings


def moved(old_module: str, new_places: dict):
    """A module ``__getattr__`` for ``old_module`` whose names now live elsewhere.

    Args:
        old_module: the deprecated module's name (``__name__``).
        new_places: ``{name: "new.module"}`` or ``{name: "new.module:new_name"}``.

    Example:

    >>> __getattr__ = moved(__name__, {"detect": "upconv_tf.workflows.detect"})  # doctest: +SKIP
    """

    def __getattr__(name):
        if name not in new_places:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module, _, new_name = new_places[name].partition(":")
        new_name = new_name or name
        warnings.warn(f"{old_module}.{name} moved to {module}.{new_name}; the old path will be removed in the next "
                      "release", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), new_name)

    return __getattr__
