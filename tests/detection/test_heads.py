"""Closed-form heads: one formula for numpy and TensorFlow, equal to the scikit-learn models they come from;
format 1 detector folders still load."""

import os
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from upconv_tf.detection import CLASSIFIERS, SpectralDetector, heads, load_detector

from paths import DATA

V1_FOLDERS = os.path.join(DATA, "detector_v1")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0.0, 1.0, (40, 9)), rng.normal(0.6, 1.3, (40, 9))])
    y = np.r_[np.zeros(40, int), np.ones(40, int)]
    return StandardScaler().fit_transform(X), y, rng.normal(0.3, 1.5, (25, 9))


def test_heads_equal_the_scikit_learn_models(data):
    X, y, test = data
    svc = SVC(C=6.37, gamma=0.2).fit(X, y)
    svm = heads.SVMHead.from_estimator(svc, 0.2, [1.0, 0.0])
    np.testing.assert_allclose(svm.decision_function(test), svc.decision_function(test), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(svm.predict(test), svc.predict(test))
    lr = LogisticRegression(solver="liblinear").fit(X, y)
    logistic = heads.LogisticHead.from_estimator(lr)
    np.testing.assert_allclose(logistic.probability(test), lr.predict_proba(test)[:, 1], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(logistic.predict(test), lr.predict(test))
    km = KMeans(2, n_init=3, random_state=0).fit(X)
    kmeans = heads.KMeansHead(km.cluster_centers_, 1)
    np.testing.assert_allclose(kmeans.distances(test), km.transform(test), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(kmeans.predict(test), km.predict(test))
    scaler = StandardScaler().fit(test)
    standardizer = heads.Standardizer.fit(test)
    np.testing.assert_array_equal(standardizer.transform(X), scaler.transform(X))
    np.testing.assert_allclose(standardizer.inverse_transform(standardizer.transform(X)), X, atol=1e-12)


@pytest.mark.parametrize("classifier", CLASSIFIERS)
def test_numpy_and_tensorflow_evaluate_one_formula(data, classifier):
    import tensorflow as tf

    from upconv_tf import backends

    X, y, test = data
    detector = SpectralDetector(classifier, random_state=0).fit(X, None if classifier == "kmeans" else y)
    head, ops = detector.classifier_, backends.tensorflow()
    expected = head.probability(detector.scaler_.transform(test))
    assert np.ptp(expected) > 1e-2  # not a comparison of two constants
    for dtype, tolerance in ((tf.float64, 1e-12), (tf.float32, 1e-5)):
        x = tf.constant(test, dtype)
        got = head.probability(detector.scaler_.transform(x, ops), ops)
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=tolerance)
    # The k-means head says 0.5 where a point is at both centres at once (total distance 0).
    if classifier == "kmeans":
        same = heads.KMeansHead(np.zeros((2, 9)), 0)
        assert same.probability(np.zeros((1, 9))).tolist() == [0.5]
        assert same.probability(tf.zeros((1, 9), tf.float64), ops).numpy().tolist() == [0.5]


def test_numpy_distance_heads_run_in_chunks_with_the_same_result(data, monkeypatch):
    X, y, test = data
    detector = SpectralDetector("svm", random_state=0).fit(X, y)
    whole = detector.predict_proba(test)
    monkeypatch.setattr(heads, "_NUMBERS_PER_CALL", detector.classifier_.support_vectors_.size * 4)
    np.testing.assert_array_equal(detector.predict_proba(test), whole)


def test_platt_scaling_is_our_own_and_reproducible_with_the_seed(data):
    X, y, test = data
    with warnings.catch_warnings():
        # scikit-learn deprecations (e.g. 1.9's of SVC(probability=True)) are FutureWarnings.
        warnings.simplefilter("error", FutureWarning)
        first = SpectralDetector("svm", random_state=3).fit(X, y)
    second = SpectralDetector("svm", random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.calibration_, second.calibration_)
    np.testing.assert_array_equal(first.predict_proba(test), second.predict_proba(test))
    a, b = first.calibration_
    assert a > 0
    decision = first.classifier_.decision_function(first.scaler_.transform(test))
    np.testing.assert_allclose(first.predict_proba(test)[:, 1], 1 / (1 + np.exp(-(a * decision + b))), atol=1e-15)


@pytest.mark.parametrize("classifier", CLASSIFIERS)
def test_format_1_folders_load_through_their_numbers(classifier):
    loaded = load_detector(os.path.join(V1_FOLDERS, classifier))
    with np.load(os.path.join(V1_FOLDERS, "expected.npz")) as expected:
        features, probability = expected["features"], expected[classifier]
    # expected: predict_proba of the detector that wrote the folder (scikit-learn's SVC / LR / KMeans).
    np.testing.assert_allclose(loaded.predict_proba(features)[:, 1], probability, rtol=0, atol=1e-12)
    # Nothing of scikit-learn is rebuilt, so no private attribute of it can be needed.
    assert not [name for name, value in vars(loaded).items() if isinstance(value, BaseEstimator)]
