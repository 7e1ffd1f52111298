"""Spectrum plots (like the paper's Fig. 1 / Fig. 10): mean profile with a +-1 std band per curve."""

from __future__ import annotations

import os

import numpy as np


def plot_spectra(curves: dict, path, title: str = "Azimuthal integral", ylabel: str = "power",
                 xlabel: str = "spatial frequency bin") -> str:
    """Draw ``{label: (mean, std)}`` (``std`` may be None) into a PNG at ``path``; return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=110)
    for label, (mean, std) in curves.items():
        mean = np.asarray(mean, dtype=float)
        x = np.arange(len(mean))
        (line,) = axis.plot(x, mean, label=label, linewidth=1.6)
        if std is not None:
            std = np.asarray(std, dtype=float)
            axis.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return os.fspath(path)
