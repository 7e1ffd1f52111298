"""The spectrum of image folders: mean and spread of the azimuthal integral, and their plot (what
``upconv-tf spectrum`` does). A bad file is skipped and reported, never fatal."""

from __future__ import annotations

import os

from upconv_tf.errors import records
from upconv_tf.workflows._common import check_roots, progress_bar


def folder_spectrum(folder, size: int = 128, policy: str = "center-crop", mode: str = "centered", normalize=None,
                    batch_size: int = 64, progress=None):
    """Mean and spread of the azimuthal integral of the images under ``folder``.

    Returns ``({"path", "count", "mean", "std", "skipped"}, errors)`` (``mean``/``std`` only when count > 0).
    """
    from upconv_tf import spectral
    from upconv_tf.datasets import iter_batches, list_images

    errors = []
    paths = list_images(folder, errors=errors)
    accumulator = spectral.SpectrumAccumulator()
    bar = progress_bar(progress, len(paths), os.path.basename(os.path.normpath(folder)))
    for images, names in iter_batches(paths, size, batch_size, policy, errors):
        accumulator.update(spectral.azimuthal_integral(images, mode=mode, normalize=normalize))
        bar.update(len(names))
    bar.close()
    result = {"path": folder, "count": accumulator.count}
    if accumulator.count:
        result.update({"mean": accumulator.mean.tolist(), "std": accumulator.std.tolist()})
    result["skipped"] = records(errors)
    return result, errors


def spectrum_statistics(folders, size: int = 128, policy: str = "center-crop", mode: str = "centered",
                        normalize=None, batch_size: int = 64, progress=None) -> dict:
    """:func:`folder_spectrum` of each folder: ``{"size", "mode", "normalize", "policy", "bins", "folders"}``.

    Folders with no usable image have ``count`` 0; the caller decides whether that is an error (their files
    are in their ``skipped``).
    """
    from upconv_tf import spectral

    spectral.check_size(size, size, mode)
    check_roots(folders, "folders")
    results = [folder_spectrum(folder, size, policy, mode, normalize, batch_size, progress)[0] for folder in folders]
    return {"size": size, "mode": mode, "normalize": normalize, "policy": policy,
            "bins": spectral.num_bins(size, size, mode), "folders": results}


def plot_spectrum_statistics(stats: dict, path) -> str:
    """One plot of the mean +- std profile of every folder of :func:`spectrum_statistics` that has images."""
    from upconv_tf.plotting import plot_spectra

    curves = {f"{r['path']} (n={r['count']})": (r["mean"], r["std"]) for r in stats["folders"] if r["count"]}
    ylabel = "power (dB)" if stats["mode"] == "centered" else "20 ln|F|"
    return plot_spectra(curves, path, title=f"Azimuthal integral, {stats['size']} px, mode={stats['mode']}",
                        ylabel=ylabel + (f", {stats['normalize']}" if stats["normalize"] else ""))
