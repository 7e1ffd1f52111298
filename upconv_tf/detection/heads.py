"""The fitted numbers of the detector and the closed-form formulas that turn features into P(generated).

Each formula is written once, against ``ops`` (:mod:`upconv_tf.backends`): :class:`SpectralDetector
<upconv_tf.detection.SpectralDetector>` evaluates it in numpy, the exported graph
(:mod:`upconv_tf.export.graph`) in TensorFlow, and a saved detector (:mod:`upconv_tf.detection.persistence`)
is these numbers and nothing else, so a detector loads with any scikit-learn version and never through
scikit-learn's private attributes. Fields are named after the public scikit-learn attributes they are taken
from (same shapes).

* :class:`Standardizer`: ``(x - mean_) / scale_`` (``StandardScaler.transform``);
* :class:`LogisticHead`: ``sigmoid(coef_ . x + intercept_)`` (``LogisticRegression.predict_proba``);
* :class:`SVMHead`: the RBF decision ``d = sum_i dual_coef_i exp(-gamma |x - sv_i|^2) + intercept_``
  (``SVC.decision_function``, with exact differences ``x - sv``: no ``|x|^2 - 2 x.sv + |sv|^2`` cancellation),
  then Platt's sigmoid ``1 / (1 + exp(-(a d + b)))`` with ``(a, b) = calibration``;
* :class:`KMeansHead`: ``d_real / (d_real + d_fake)`` (0.5 when both are 0), the Euclidean distances to the
  "real" and the "generated" centre (``fake_cluster`` is the index of the latter).

In TensorFlow the arrays become graph constants of the input's dtype.

Example:

>>> import numpy as np
>>> head = LogisticHead(coef_=np.array([[2.0, 0.0]]), intercept_=np.array([0.0]))
>>> head.probability(np.array([[0.0, 5.0]])).tolist()
[0.5]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from upconv_tf.backends import NUMPY
from upconv_tf.spectral import array_batches

# Rows per numpy call of the distance heads: batch x centres x features numbers stay near this count (~32 MB).
_NUMBERS_PER_CALL = 1 << 22


def _constant(array, x, ops):
    """``array`` as a constant of ``x``'s dtype.

    numpy, not ``tf.constant``, in TensorFlow too: captured eager tensors would become extra inputs of the ONNX
    graph, while numpy arrays used inside a traced function are embedded as graph constants.
    """
    if ops is NUMPY:
        return np.asarray(array)
    return np.asarray(array, dtype=x.dtype.as_numpy_dtype)


def _in_chunks(function, x, per_row):
    """``function`` over row chunks of a numpy ``x`` (the distance heads hold ``rows x per_row`` numbers)."""
    if len(x) * per_row <= _NUMBERS_PER_CALL:
        return function(x)
    return np.concatenate([function(chunk) for chunk in array_batches(x, max(1, _NUMBERS_PER_CALL // per_row))])


def _squared_distances(x, points, ops):
    """(N, M) squared Euclidean distances between the rows of ``x`` (N, F) and ``points`` (M, F)."""
    return ops.sum(ops.square(x[:, None, :] - _constant(points, x, ops)[None, :, :]), axis=-1)


@dataclasses.dataclass(frozen=True, eq=False)
class Standardizer:
    """``(x - mean_) / scale_``: the fitted :class:`sklearn.preprocessing.StandardScaler` as numbers."""

    mean_: np.ndarray
    scale_: np.ndarray

    @classmethod
    def fit(cls, features) -> "Standardizer":
        """Fit a :class:`~sklearn.preprocessing.StandardScaler` (zero variance -> scale 1) and keep its numbers."""
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(features)
        return cls(scaler.mean_, scaler.scale_)

    def transform(self, x, ops=NUMPY):
        return (x - _constant(self.mean_, x, ops)) / _constant(self.scale_, x, ops)

    def inverse_transform(self, x):
        return np.asarray(x) * self.scale_ + self.mean_


@dataclasses.dataclass(frozen=True, eq=False)
class LogisticHead:
    """``sigmoid(coef_ . x + intercept_)``: a fitted binary :class:`~sklearn.linear_model.LogisticRegression`."""

    coef_: np.ndarray  # (1, features)
    intercept_: np.ndarray  # (1,)

    @classmethod
    def from_estimator(cls, model) -> "LogisticHead":
        return cls(np.asarray(model.coef_, np.float64), np.asarray(model.intercept_, np.float64))

    def decision_function(self, x, ops=NUMPY):
        """Log-odds of "generated"."""
        coef = _constant(self.coef_.reshape(-1, 1), x, ops)
        return ops.matmul(x, coef)[:, 0] + float(self.intercept_[0])

    def probability(self, x, ops=NUMPY):
        return ops.sigmoid(self.decision_function(x, ops))

    def predict(self, x):
        """1 where the log-odds are positive (the classifier's own decision), else 0."""
        return (self.decision_function(x) > 0).astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class SVMHead:
    """A fitted binary RBF :class:`~sklearn.svm.SVC` as numbers, with the detector's Platt scaling."""

    support_vectors_: np.ndarray  # (m, features)
    dual_coef_: np.ndarray  # (1, m)
    intercept_: np.ndarray  # (1,)
    gamma: float  # the resolved RBF width ("scale" / "auto" already turned into a number)
    calibration: np.ndarray  # Platt (a, b)

    @classmethod
    def from_estimator(cls, model, gamma, calibration) -> "SVMHead":
        return cls(np.asarray(model.support_vectors_, np.float64), np.asarray(model.dual_coef_, np.float64),
                   np.asarray(model.intercept_, np.float64), float(gamma), np.asarray(calibration, np.float64))

    def decision_function(self, x, ops=NUMPY):
        """The SVM's decision value (positive: "generated")."""
        def decision(rows):
            kernel = ops.exp(-self.gamma * _squared_distances(rows, self.support_vectors_, ops))
            return ops.matmul(kernel, _constant(self.dual_coef_.reshape(-1, 1), rows, ops))[:, 0] \
                + float(self.intercept_[0])

        if ops is NUMPY:
            return _in_chunks(decision, np.asarray(x), self.support_vectors_.size)
        return decision(x)

    def probability(self, x, ops=NUMPY):
        a, b = (float(value) for value in self.calibration)
        return ops.sigmoid(a * self.decision_function(x, ops) + b)

    def predict(self, x):
        """1 where the decision value is positive (the SVM's own decision), else 0."""
        return (self.decision_function(x) > 0).astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class KMeansHead:
    """Two fitted :class:`~sklearn.cluster.KMeans` centres and which one means "generated"."""

    cluster_centers_: np.ndarray  # (2, features)
    fake_cluster: int

    def distances(self, x, ops=NUMPY):
        """(N, 2) Euclidean distances to the two centres."""
        def distances(rows):
            return ops.sqrt(_squared_distances(rows, self.cluster_centers_, ops))

        if ops is NUMPY:
            return _in_chunks(distances, np.asarray(x), self.cluster_centers_.size)
        return distances(x)

    def probability(self, x, ops=NUMPY):
        distances = self.distances(x, ops)
        d_fake, d_real = distances[:, self.fake_cluster], distances[:, 1 - self.fake_cluster]
        total = d_fake + d_real
        return ops.where(total > 0, d_real / ops.maximum(total, 1e-30), ops.full_like(total, 0.5))

    def predict(self, x):
        """Index of the nearest centre (``KMeans.predict``)."""
        return np.argmin(self.distances(x), axis=1).astype(np.int64)


HEADS = {"svm": SVMHead, "logreg": LogisticHead, "kmeans": KMeansHead}
