"""A training run's folder (``upconv-tf train``, ``upconv-tf refine train``): the files every run writes there
and reading them back. Writing goes through :mod:`upconv_tf._atomic`."""

from __future__ import annotations

import json
import os

CONFIG_FILE, HISTORY_FILE, METRICS_FILE = "config.json", "history.json", "metrics.json"


def read_history(out) -> dict:
    """The ``history.json`` of a run folder (empty when there is none or it cannot be read)."""
    try:
        with open(os.path.join(os.fspath(out), HISTORY_FILE)) as handle:
            history = json.load(handle)
    except (OSError, ValueError):
        return {}
    return history if isinstance(history, dict) else {}


def read_settings(out) -> dict | None:
    """The ``config.json`` of a run folder, None when there is none; ``OSError`` / ``ValueError`` when it cannot
    be read (the caller says what to do about it)."""
    path = os.path.join(os.fspath(out), CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def changed_settings(previous: dict, current: dict, keys) -> str:
    """``"key: old -> new, ..."`` for the ``keys`` whose values differ (empty when none do)."""
    return ", ".join(f"{key}: {previous.get(key)!r} -> {current.get(key)!r}" for key in keys
                     if previous.get(key) != current.get(key))
