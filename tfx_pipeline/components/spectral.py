"""SpectralFeatures: the detector's spectral features for every example, and the real-data mean spectrum."""


import logging
import os

import numpy as np
from tfx import v1 as tfx
from tfx.types import artifact_utils

from tfx_pipeline.components import records as rec

Examples = tfx.types.standard_artifacts.Examples


class SpectralProfile(tfx.dsl.Artifact):
    """Mean azimuthal-integral profiles of a data set (``spectrum.json``, ``spectrum.png``)."""

    TYPE_NAME = "UpconvSpectralProfile"


@tfx.dsl.components.component
def SpectralFeatures(
    examples: tfx.dsl.components.InputArtifact[Examples],
    features: tfx.dsl.components.OutputArtifact[Examples],
    spectrum: tfx.dsl.components.OutputArtifact[SpectralProfile],
    mode: tfx.dsl.components.Parameter[str],
    normalize: tfx.dsl.components.Parameter[str],
    num_bins: tfx.dsl.components.Parameter[int] = 0,
):
    """Add the ``profile`` feature (``upconv_tf.detection.SpectralFeatures(mode, normalize, num_bins)``, the
    feature step of the detector the Trainer fits) to every example, and write the mean and standard
    deviation of the real (and generated) training profiles to ``spectrum``. ``num_bins=0``: native length.
    """
    from upconv_tf import detection
    from upconv_tf.plotting import plot_spectra

    extractor = detection.SpectralFeatures(mode=mode, normalize=None if normalize == "none" else normalize,
                                           num_bins=num_bins or None)
    summary = {"mode": mode, "normalize": normalize, "num_bins": num_bins or None, "splits": {}}
    for split in artifact_utils.decode_split_names(examples.split_names):
        records = rec.read_records(rec.split_files(examples.uri, split))
        images, labels = rec.images_and_labels(records)
        profiles = extractor.transform(images)
        for record, profile in zip(records, profiles):
            record["profile"] = profile
        rec.write_split(features.uri, split, records)
        summary["splits"][split] = {
            name: {"count": int(np.sum(labels == label)),
                   "mean": profiles[labels == label].mean(axis=0).tolist(),
                   "std": profiles[labels == label].std(axis=0).tolist()}
            for name, label in (("real", 0), ("fake", 1)) if np.any(labels == label)
        }
    features.split_names = examples.split_names
    train = summary["splits"]["train"]
    rec.write_json(summary, os.path.join(spectrum.uri, "spectrum.json"))
    with rec.local_folder(spectrum.uri, upload=True) as folder:
        plot_spectra({f"{name} (train, n={part['count']})": (np.array(part["mean"]), np.array(part["std"]))
                      for name, part in train.items()},
                     os.path.join(folder, "spectrum.png"), title="Mean spectrum (azimuthal integral)",
                     ylabel=f"power ({normalize})")
    spectrum.set_int_custom_property("num_bins", len(train["real"]["mean"]))
    logging.info("spectral features: %d bins", len(train["real"]["mean"]))
