"""Bad arrays for the detector's fit / predict: one clear ValueError with the received value, nothing fitted."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from upconv_tf.detection import SpectralDetector

SIZE = 32


@pytest.fixture(scope="module")
def data(crops64):
    from upconv_tf.fakes import make_fakes

    real = crops64.images[:10, :SIZE, :SIZE]
    fake = make_fakes(crops64.images[10:20, :SIZE, :SIZE], "transconv", seed=0)
    return np.concatenate([real, fake]), np.r_[np.zeros(10), np.ones(10)]


@pytest.fixture(scope="module")
def fitted(data):
    return SpectralDetector("logreg").fit(*data)


def with_value(images, value):
    images = images.copy()
    images[3, 5, 7, 1] = value
    return images


BAD_X = [
    (lambda X: with_value(X, np.nan), r"NaN or infinite values. Received: shape="),
    (lambda X: with_value(X, np.inf), r"NaN or infinite values"),
    (lambda X: with_value(X, -np.inf), r"NaN or infinite values"),
    (lambda X: X[..., :2], r"must have 1, 3 or 4 channels. Received: shape=\(20, 32, 32, 2\)"),
    (lambda X: X[:, :5, :5], r"at least 6 x 6 px for mode='reference'. Received: height=5, width=5"),
    (lambda X: np.full(X.shape, "x"), r"must hold real numbers. Received: dtype=<U1"),
]


@pytest.mark.parametrize("case", range(len(BAD_X)))
def test_fit_and_predict_reject_bad_images(data, fitted, case):
    X, y = data
    make, message = BAD_X[case]
    with pytest.raises(ValueError, match=message):
        SpectralDetector("logreg").fit(make(X), y)
    for method in (fitted.predict, fitted.predict_proba, fitted.features):
        with pytest.raises(ValueError, match=message):
            method(make(X))


def test_fit_rejects_bad_labels_and_empty_batches(data, fitted):
    X, y = data
    with pytest.raises(ValueError, match="`X` holds no images"):
        SpectralDetector("logreg").fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="`X` holds no images"):
        fitted.predict(X[:0])
    with pytest.raises(ValueError, match=r"`y` must hold one label per sample \(20\). Received: 5 labels"):
        SpectralDetector("logreg").fit(X, y[:5])
    with pytest.raises(ValueError, match=r"`y` must hold exactly 2 classes .* Received: \[0.0\]"):
        SpectralDetector("logreg").fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Received: classifier='tree'"):
        SpectralDetector("tree").fit(X, y)
    with pytest.raises(NotFittedError):
        SpectralDetector().predict(X)


def test_precomputed_features_are_validated(fitted):
    bins = fitted.num_bins_
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.predict(np.full((2, bins), np.nan))
    with pytest.raises(ValueError, match=f"{bins}"):  # wrong feature count names the expected one
        fitted.predict(np.zeros((2, bins + 3)))
