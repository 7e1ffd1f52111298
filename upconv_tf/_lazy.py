"""Package names imported on first use (PEP 562): importing a package loads none of the modules behind them
(TensorFlow, Apache Beam, the exporters), only what is asked for."""

from __future__ import annotations

import importlib


def lazy_names(package: str, places: dict, namespace: dict):
    """``(__getattr__, __dir__)`` for the package ``package`` whose public names live in other modules.

    Args:
        package: the package's ``__name__``.
        places: ``{name: "module"}`` or ``{name: "module:attribute"}``; a module starting with ``.`` is relative
            to ``package``.
        namespace: the package's ``globals()``: a name, once imported, is kept there, so later lookups skip
            ``__getattr__``.

    Example:

    >>> __getattr__, __dir__ = lazy_names(__name__, {"score": ".run"}, globals())  # doctest: +SKIP
    """

    def __getattr__(name):
        if name not in places:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = places[name].partition(":")
        value = getattr(importlib.import_module(module, package), attribute or name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(places))

    return __getattr__, __dir__
