"""Saving and loading a fitted :class:`SpectralDetector` without pickle.

A detector folder holds ``detector.json`` (format, versions, parameters, classes, metadata such as the
input size used for training) and ``detector.npz`` (the fitted numbers, read with ``allow_pickle=False``):

==========================  ==============================================================================
array                       meaning
==========================  ==============================================================================
``scaler_mean``             ``scaler_.mean_`` (num_bins_,)
``scaler_scale``            ``scaler_.scale_`` (num_bins_,)
``scaler_var``              ``scaler_.var_`` (num_bins_,)
``svm_support_vectors``     ``classifier_.support_vectors_`` (m, num_bins_)
``svm_dual_coef``           ``classifier_.dual_coef_`` (1, m): ``d(x) = dual_coef @ K(sv, x) + intercept``
``svm_intercept``           ``classifier_.intercept_`` (1,)
``svm_support``             ``classifier_.support_`` (m,)
``svm_n_support``           support vectors per class (2,)
``svm_gamma``               RBF width, ``K = exp(-gamma * |sv - x|^2)`` ()
``svm_calibration``         Platt ``(a, b)``: ``P(generated) = 1 / (1 + exp(-(a d + b)))`` (2,)
``logreg_coef``             ``classifier_.coef_`` (1, num_bins_)
``logreg_intercept``        ``classifier_.intercept_`` (1,)
``kmeans_centers``          ``classifier_.cluster_centers_`` (2, num_bins_)
``kmeans_departure``        ``cluster_departure_`` (2,)
==========================  ==============================================================================

The estimator is rebuilt by setting these attributes on fresh scikit-learn objects, so a folder written
with one scikit-learn version (>= 1.5.2) loads with another. The folder is written to a temporary folder
next to ``out_dir`` and renamed into place (:func:`save_detector`); ``extra`` lets other writers (e.g. the
SavedModel / ONNX export) add files to the same folder before the rename.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import numpy as np

from upconv_tf._atomic import fix_mode
from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector

FORMAT = "upconv-tf-spectral-detector"
FORMAT_VERSION = 1
JSON_NAME = "detector.json"
NPZ_NAME = "detector.npz"

_ARRAYS = {
    "svm": ("svm_support_vectors", "svm_dual_coef", "svm_intercept", "svm_support", "svm_n_support", "svm_gamma",
            "svm_calibration"),
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


def detector_arrays(detector: SpectralDetector) -> dict:
    """The fitted numbers of ``detector`` under the names of the module's table."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(detector, "classifier_")
    arrays = {"scaler_mean": detector.scaler_.mean_, "scaler_scale": detector.scaler_.scale_,
              "scaler_var": detector.scaler_.var_}
    model = detector.classifier_
    if detector.classifier == "svm":
        arrays.update(svm_support_vectors=model.support_vectors_, svm_dual_coef=model.dual_coef_,
                      svm_intercept=model.intercept_, svm_support=model.support_, svm_n_support=model.n_support_,
                      svm_gamma=np.float64(model.gamma), svm_calibration=detector.calibration_)
    elif detector.classifier == "logreg":
        arrays.update(logreg_coef=model.coef_, logreg_intercept=model.intercept_)
    else:
        arrays.update(kmeans_centers=model.cluster_centers_, kmeans_departure=detector.cluster_departure_)
    return {name: np.asarray(value) for name, value in arrays.items()}


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
        raise ValueError(f"`out_dir` is a file, not a folder: {out_dir}")
    if os.path.isdir(out_dir) and os.listdir(out_dir) and not overwrite:
        raise ValueError(f"`out_dir` exists and is not empty: {out_dir} (pass overwrite=True / --overwrite)")
    arrays = detector_arrays(detector)
    info = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_with": {"upconv_tf": __version__, "scikit_learn": sklearn.__version__, "numpy": np.__version__},
        "classifier": detector.classifier,
        "params": {name: _json_value(value) for name, value in detector.get_params().items()},
        "num_bins_": int(detector.num_bins_),
        "n_samples_seen_": int(detector.scaler_.n_samples_seen_),
        "classes_": detector.classes_.tolist(),
        "fake_cluster_": int(detector.fake_cluster_) if detector.classifier == "kmeans" else None,
        "arrays": {name: {"shape": list(value.shape), "dtype": str(value.dtype)} for name, value in arrays.items()},
        "metadata": metadata or {},
    }
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    temp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.", suffix=".tmp", dir=parent)
    try:
        np.savez(os.path.join(temp, NPZ_NAME), **arrays)
        with open(os.path.join(temp, JSON_NAME), "w") as handle:
            json.dump(info, handle, indent=1)
        if extra is not None:
            extra(temp)
        fix_mode(temp)  # mkdtemp made it 0700: follow the umask (issue 12.3)
        _replace_folder(temp, out_dir)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return out_dir


def _replace_folder(source, target):
    """Rename ``source`` to ``target``; an existing ``target`` is moved aside first and removed after."""
    if not os.path.exists(target):
        os.rename(source, target)
        return
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".old", dir=os.path.dirname(target))
    os.rmdir(aside)
    os.rename(target, aside)
    try:
        os.rename(source, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


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
    required = ("scaler_mean", "scaler_scale", "scaler_var") + _ARRAYS[info["classifier"]]
    missing = [name for name in required if name not in arrays]
    if missing:
        raise DetectorLoadError(f"{npz_path}: missing arrays {missing}")
    for name in required:
        if arrays[name].dtype.kind not in "iuf" or not np.all(np.isfinite(arrays[name])):
            raise DetectorLoadError(f"{npz_path}: `{name}` is not a finite numeric array")
    return arrays


def _check_shapes(npz_path, arrays, classifier, bins):
    expected = {"scaler_mean": (bins,), "scaler_scale": (bins,), "scaler_var": (bins,)}
    if classifier == "svm":
        count = arrays["svm_support_vectors"].shape[0] if arrays["svm_support_vectors"].ndim == 2 else -1
        expected.update(svm_support_vectors=(count, bins), svm_dual_coef=(1, count), svm_intercept=(1,),
                        svm_support=(count,), svm_n_support=(2,), svm_gamma=(), svm_calibration=(2,))
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
    detector.scaler_ = _scaler(arrays, info.get("n_samples_seen_", 0), bins)
    builder = {"svm": _svm, "logreg": _logreg, "kmeans": _kmeans}[info["classifier"]]
    builder(detector, arrays, info)
    return detector


def _scaler(arrays, n_samples_seen, bins):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = (arrays[f"scaler_{name}"].astype(np.float64)
                                                for name in ("mean", "scale", "var"))
    scaler.n_features_in_ = bins
    scaler.n_samples_seen_ = int(n_samples_seen)
    return scaler


def _svm(detector, arrays, info):
    from sklearn.svm import SVC

    model = SVC(C=detector.C, kernel="rbf", gamma=float(arrays["svm_gamma"]))
    vectors = np.ascontiguousarray(arrays["svm_support_vectors"], dtype=np.float64)
    dual = np.ascontiguousarray(arrays["svm_dual_coef"], dtype=np.float64)
    intercept = arrays["svm_intercept"].astype(np.float64)
    # What SVC.fit leaves behind (scikit-learn >= 1.5): libsvm's own signs are the negated binary ones.
    model.classes_ = np.array([0, 1])
    model.class_weight_ = np.ones(2)
    model.support_ = arrays["svm_support"].astype(np.int32)
    model.support_vectors_ = vectors
    model._n_support = arrays["svm_n_support"].astype(np.int32)
    model.dual_coef_, model._dual_coef_ = dual, -dual
    model.intercept_, model._intercept_ = intercept, -intercept
    model._probA = model._probB = np.empty(0)
    model._gamma = float(arrays["svm_gamma"])
    model._sparse = False
    model._effective_probability = False
    model.fit_status_ = 0
    model.shape_fit_ = (info.get("n_samples_seen_", len(vectors)), vectors.shape[1])
    model.n_features_in_ = vectors.shape[1]
    model._num_iter = model.n_iter_ = np.zeros(1, np.int32)
    detector.classifier_ = model
    detector.calibration_ = arrays["svm_calibration"].astype(np.float64)


def _logreg(detector, arrays, info):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(solver="liblinear", max_iter=detector.max_iter)
    model.classes_ = np.array([0, 1])
    model.coef_ = arrays["logreg_coef"].astype(np.float64)
    model.intercept_ = arrays["logreg_intercept"].astype(np.float64)
    model.n_features_in_ = model.coef_.shape[1]
    model.n_iter_ = np.zeros(1, np.int32)
    detector.classifier_ = model


def _kmeans(detector, arrays, info):
    from sklearn.cluster import KMeans

    fake = info.get("fake_cluster_")
    if fake not in (0, 1):
        raise DetectorLoadError(f"`fake_cluster_` must be 0 or 1, got {fake!r}")
    model = KMeans(n_clusters=2, n_init=detector.n_init)
    model.cluster_centers_ = np.ascontiguousarray(arrays["kmeans_centers"], dtype=np.float64)
    model.n_features_in_ = model.cluster_centers_.shape[1]
    model._n_features_out = 2
    model._n_threads = 1
    model.n_iter_ = 0
    detector.classifier_ = model
    detector.fake_cluster_ = fake
    detector.cluster_departure_ = arrays["kmeans_departure"].astype(np.float64)
