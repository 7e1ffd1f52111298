"""Saving and loading a fitted :class:`SpectralDetector` without pickle.

A detector folder holds ``detector.json`` (format, versions, parameters, classes, metadata such as the
input size used for training) and ``detector.npz`` (the fitted numbers, read with ``allow_pickle=False``):

==========================  ==============================================================================
array                       meaning (:mod:`upconv_tf.detection.heads`)
==========================  ==============================================================================
``scaler_mean``             ``scaler_.mean_`` (num_bins_,)
``scaler_scale``            ``scaler_.scale_`` (num_bins_,): scaled features ``(x - mean) / scale``
``svm_support_vectors``     ``classifier_.support_vectors_`` (m, num_bins_)
``svm_dual_coef``           ``classifier_.dual_coef_`` (1, m): ``d(x) = dual_coef @ K(sv, x) + intercept``
``svm_intercept``           ``classifier_.intercept_`` (1,)
``svm_gamma``               RBF width, ``K = exp(-gamma * |sv - x|^2)`` ()
``svm_calibration``         Platt ``(a, b)``: ``P(generated) = 1 / (1 + exp(-(a d + b)))`` (2,)
``logreg_coef``             ``classifier_.coef_`` (1, num_bins_)
``logreg_intercept``        ``classifier_.intercept_`` (1,)
``kmeans_centers``          ``classifier_.cluster_centers_`` (2, num_bins_); ``fake_cluster_`` is in the JSON
``kmeans_departure``        ``cluster_departure_`` (2,)
==========================  ==============================================================================

``detector.json`` also holds ``threshold_`` (the probability from which ``predict`` says "generated") and
``threshold_calibration_`` (how it was set: ``target_fpr``, out-of-fold real images and sources, rates), and for
k-means ``fake_cluster_rule_`` and ``cluster_agreement_`` (format 3; folders of formats 1 and 2 load with
threshold 0.5).

Loading rebuilds the heads from these numbers alone: no scikit-learn object is rebuilt, so a folder written
with one scikit-learn version loads with any other (1.5.2 and newer are tested), and the loaded detector
gives the same probabilities as the fitted one, bit for bit. Format 1 folders (upconv-tf before the heads;
they also hold ``scaler_var``, ``svm_support`` and ``svm_n_support``, which are not needed) load the same
way. The folder is written to a temporary folder next to ``out_dir`` and renamed into place
(:func:`save_detector`); ``extra`` lets other writers (e.g. the SavedModel / ONNX export) add files to the
same folder before the rename.
"""

from __future__ import annotations

import json
import os

import numpy as np

from upconv_tf._atomic import atomic_folder
from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector
from upconv_tf.detection.heads import KMeansHead, LogisticHead, Standardizer, SVMHead
from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import DETECTOR_FILE

FORMAT = "upconv-tf-spectral-detector"
# 2: the numbers of the closed-form heads only (format 1 also had scaler_var, svm_support, svm_n_support).
# 3: threshold_ and threshold_calibration_ (calibrated threshold), k-means fake_cluster_rule_/cluster_agreement_;
#    params gained feature_kind, scaler and target_fpr (absent in older folders: their defaults).
FORMAT_VERSION = 3
JSON_NAME = DETECTOR_FILE
NPZ_NAME = "detector.npz"

_SCALER_ARRAYS = ("scaler_mean", "scaler_scale")
_ARRAYS = {
    "svm": ("svm_support_vectors", "svm_dual_coef", "svm_intercept", "svm_gamma", "svm_calibration"),
    "logreg": ("logreg_coef", "logreg_intercept"),
    "kmeans": ("kmeans_centers", "kmeans_departure"),
}


class DetectorLoadError(ValueError):
    """A detector folder is missing, incomplete or inconsistent; ``str()`` says which and why."""


def _json_value(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return None  # e.g. a RandomState object: not reproducible from JSON


def _json_tree(value):
    """A dict/list of JSON values with numpy scalars made plain."""
    if isinstance(value, dict):
        return {str(k): _json_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_tree(v) for v in value]
    return _json_value(value)


def detector_arrays(detector: SpectralDetector) -> dict:
    """The fitted numbers of ``detector`` under the names of the module's table."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(detector, "classifier_")
    arrays = {"scaler_mean": detector.scaler_.mean_, "scaler_scale": detector.scaler_.scale_}
    head = detector.classifier_
    if detector.classifier == "svm":
        arrays.update(svm_support_vectors=head.support_vectors_, svm_dual_coef=head.dual_coef_,
                      svm_intercept=head.intercept_, svm_gamma=np.float64(head.gamma),
                      svm_calibration=head.calibration)
    elif detector.classifier == "logreg":
        arrays.update(logreg_coef=head.coef_, logreg_intercept=head.intercept_)
    else:
        arrays.update(kmeans_centers=head.cluster_centers_, kmeans_departure=detector.cluster_departure_)
    return {name: np.asarray(value, np.float64) for name, value in arrays.items()}


def save_detector(detector: SpectralDetector, out_dir, metadata: dict | None = None, overwrite: bool = False,
                  extra=None) -> str:
    """Write a fitted detector to the folder ``out_dir`` atomically.

    Parameters
    ----------
    detector : SpectralDetector
        A fitted detector.
    out_dir : str or path
        Folder to create. An existing folder is replaced only with ``overwrite=True``.
    metadata : dict, optional
        JSON-serialisable facts stored under ``"metadata"`` (e.g. ``{"input": {"size": 64, "policy":
        "center-crop"}}``, which ``upconv-tf detect`` reads).
    overwrite : bool
        Replace an existing, non-empty ``out_dir``.
    extra : callable, optional
        ``extra(temp_dir)`` is called after the detector files are written and before the rename, to add
        more files (e.g. a SavedModel) to the same atomic write.

    Returns
    -------
    str
        ``out_dir``.
    """
    import sklearn

    from upconv_tf import __version__

    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ArgumentError("out_dir", f"is a file, not a folder: {out_dir}")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise ArgumentError("out_dir", f"exists and is not empty: {out_dir} (pass overwrite=True / --overwrite)")
    arrays = detector_arrays(detector)
    info = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_with": {"upconv_tf": __version__, "scikit_learn": sklearn.__version__, "numpy": np.__version__},
        "classifier": detector.classifier,
        "params": {name: _json_value(value) for name, value in detector.get_params().items()},
        "num_bins_": int(detector.num_bins_),
        "classes_": detector.classes_.tolist(),
        "fake_cluster_": int(detector.fake_cluster_) if detector.classifier == "kmeans" else None,
        "fake_cluster_rule_": getattr(detector, "fake_cluster_rule_", None) if detector.classifier == "kmeans" else None,
        "cluster_agreement_": getattr(detector, "cluster_agreement_", None) if detector.classifier == "kmeans" else None,
        "threshold_": float(getattr(detector, "threshold_", 0.5)),
        "threshold_calibration_": _json_tree(getattr(detector, "threshold_calibration_", {"target_fpr": None})),
        "arrays": {name: {"shape": list(value.shape), "dtype": str(value.dtype)} for name, value in arrays.items()},
        "metadata": metadata or {},
    }
    with atomic_folder(out_dir) as temp:  # a failed save leaves any previous detector in place
        np.savez(os.path.join(temp, NPZ_NAME), **arrays)
        with open(os.path.join(temp, JSON_NAME), "w") as handle:
            json.dump(info, handle, indent=1)
        if extra is not None:
            extra(temp)
    return out_dir


def read_detector_info(path) -> dict:
    """The validated ``detector.json`` of a detector folder (raises :class:`DetectorLoadError`)."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise DetectorLoadError(f"{path}: not a detector folder (no such folder)")
    json_path = os.path.join(path, JSON_NAME)
    if not os.path.isfile(json_path):
        raise DetectorLoadError(f"{path}: not a detector folder (no {JSON_NAME}; write one with "
                                "`upconv-tf detector train --out`)")
    try:
        with open(json_path) as handle:
            info = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DetectorLoadError(f"{json_path}: unreadable ({error})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise DetectorLoadError(f"{json_path}: not an upconv-tf detector (format is not {FORMAT!r})")
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise DetectorLoadError(f"{json_path}: format_version {version!r} is not supported (this upconv-tf reads "
                                f"1 to {FORMAT_VERSION}; upgrade upconv-tf)")
    if info.get("classifier") not in CLASSIFIERS:
        raise DetectorLoadError(f"{json_path}: unknown classifier {info.get('classifier')!r}")
    for key, kind in (("params", dict), ("num_bins_", int), ("classes_", list), ("metadata", dict)):
        if not isinstance(info.get(key), kind):
            raise DetectorLoadError(f"{json_path}: `{key}` is missing or not a {kind.__name__}")
    if len(info["classes_"]) != 2:
        raise DetectorLoadError(f"{json_path}: `classes_` must hold 2 labels, got {info['classes_']!r}")
    threshold = info.setdefault("threshold_", 0.5)  # formats 1 and 2: predict at 0.5
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise DetectorLoadError(f"{json_path}: `threshold_` must be a number in [0, 1], got {threshold!r}")
    if not isinstance(info.setdefault("threshold_calibration_", {"target_fpr": None}), dict):
        raise DetectorLoadError(f"{json_path}: `threshold_calibration_` must be an object")
    return info


def _load_arrays(path, info):
    npz_path = os.path.join(path, NPZ_NAME)
    if not os.path.isfile(npz_path):
        raise DetectorLoadError(f"{path}: {NPZ_NAME} is missing")
    try:
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError) as error:
        raise DetectorLoadError(f"{npz_path}: unreadable ({error})") from None
    required = _SCALER_ARRAYS + _ARRAYS[info["classifier"]]
    missing = [name for name in required if name not in arrays]
    if missing:
        raise DetectorLoadError(f"{npz_path}: missing arrays {missing}")
    for name in required:
        if arrays[name].dtype.kind not in "iuf" or not np.all(np.isfinite(arrays[name])):
            raise DetectorLoadError(f"{npz_path}: `{name}` is not a finite numeric array")
    return arrays


def _check_shapes(npz_path, arrays, classifier, bins):
    expected = {"scaler_mean": (bins,), "scaler_scale": (bins,)}
    if classifier == "svm":
        count = arrays["svm_support_vectors"].shape[0] if arrays["svm_support_vectors"].ndim == 2 else -1
        expected.update(svm_support_vectors=(count, bins), svm_dual_coef=(1, count), svm_intercept=(1,),
                        svm_gamma=(), svm_calibration=(2,))
    elif classifier == "logreg":
        expected.update(logreg_coef=(1, bins), logreg_intercept=(1,))
    else:
        expected.update(kmeans_centers=(2, bins), kmeans_departure=(2,))
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise DetectorLoadError(f"{npz_path}: `{name}` has shape {arrays[name].shape}, expected {shape} "
                                    f"(num_bins_={bins})")
    if np.any(arrays["scaler_scale"] <= 0):
        raise DetectorLoadError(f"{npz_path}: `scaler_scale` must be > 0")
    if classifier == "svm" and not arrays["svm_gamma"] > 0:
        raise DetectorLoadError(f"{npz_path}: `svm_gamma` must be > 0")


def load_detector(path) -> SpectralDetector:
    """Rebuild the fitted :class:`SpectralDetector` saved in the folder ``path`` (no pickle).

    Raises
    ------
    DetectorLoadError
        With a one-line reason when the folder is missing, incomplete, of another format or inconsistent.
    """
    path = os.fspath(path)
    info = read_detector_info(path)
    arrays = _load_arrays(path, info)
    bins = info["num_bins_"]
    _check_shapes(os.path.join(path, NPZ_NAME), arrays, info["classifier"], bins)
    try:
        detector = SpectralDetector(**info["params"])
        detector._check_params()
    except (TypeError, ValueError) as error:
        raise DetectorLoadError(f"{os.path.join(path, JSON_NAME)}: bad `params` ({error})") from None
    if detector.classifier != info["classifier"]:
        raise DetectorLoadError(f"{os.path.join(path, JSON_NAME)}: `classifier` and `params` disagree")
    detector.classes_ = np.asarray(info["classes_"])
    detector.num_bins_ = detector.n_features_in_ = bins
    detector.threshold_ = float(info["threshold_"])
    detector.threshold_calibration_ = info["threshold_calibration_"]
    arrays = {name: arrays[name].astype(np.float64) for name in _SCALER_ARRAYS + _ARRAYS[info["classifier"]]}
    detector.scaler_ = Standardizer(arrays["scaler_mean"], arrays["scaler_scale"])
    if info["classifier"] == "svm":
        detector.classifier_ = SVMHead(arrays["svm_support_vectors"], arrays["svm_dual_coef"], arrays["svm_intercept"],
                                       float(arrays["svm_gamma"]), arrays["svm_calibration"])
        detector.calibration_ = detector.classifier_.calibration
    elif info["classifier"] == "logreg":
        detector.classifier_ = LogisticHead(arrays["logreg_coef"], arrays["logreg_intercept"])
    else:
        fake = info.get("fake_cluster_")
        if fake not in (0, 1) or isinstance(fake, bool):
            raise DetectorLoadError(f"{os.path.join(path, JSON_NAME)}: `fake_cluster_` must be 0 or 1, got {fake!r}")
        detector.fake_cluster_ = fake
        detector.cluster_departure_ = arrays["kmeans_departure"]
        detector.fake_cluster_rule_ = info.get("fake_cluster_rule_") or (
            "power-law" if detector.fake_cluster == "auto" else "fixed")  # older folders: the rule they used
        detector.cluster_agreement_ = info.get("cluster_agreement_")
        detector.classifier_ = KMeansHead(arrays["kmeans_centers"], fake)
    return detector
