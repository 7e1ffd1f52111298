"""The spectral detector of Durall et al. (CVPR 2020, s. 4.1) as a scikit-learn estimator."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_array, check_is_fitted

from upconv_tf import spectral
from upconv_tf.detection.features import SpectralFeatures, as_images, check_feature_params
from upconv_tf.detection.heads import KMeansHead, LogisticHead, Standardizer, SVMHead
from upconv_tf.options import CLASSIFIERS  # the one definition, importable without scikit-learn


def _logit(p):
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.log(p) - np.log1p(-p)


class SpectralDetector(ClassifierMixin, BaseEstimator):
    """Real-vs-generated classifier on the azimuthal integral (1-D power spectrum) of images.

    The pipeline is fixed, so that it can be exported as one graph (``upconv_tf.export``):

    1. features: :class:`~upconv_tf.detection.SpectralFeatures` ``(mode, normalize, num_bins)``, i.e.
       :func:`upconv_tf.spectral.azimuthal_integral`, the numpy twin of :class:`upconv_tf.layers.AzimuthalIntegral`
       (:meth:`feature_transformer`);
    2. ``scaler_``: a :class:`sklearn.preprocessing.StandardScaler` fitted on the features, kept as its numbers
       (:class:`~upconv_tf.detection.heads.Standardizer`);
    3. ``classifier_``: an RBF :class:`~sklearn.svm.SVC` (``"svm"``), a liblinear
       :class:`~sklearn.linear_model.LogisticRegression` (``"logreg"``) or a 2-cluster
       :class:`~sklearn.cluster.KMeans` (``"kmeans"``, unsupervised), fitted with scikit-learn and kept as
       its numbers (a head of :mod:`upconv_tf.detection.heads`);
    4. the probability of "generated" (``predict_proba(X)[:, 1]``), the head's closed form, which the exported
       graph computes too:

       * ``"logreg"``: ``sigmoid(coef_ . x + intercept_)``;
       * ``"svm"``: Platt scaling, ``1 / (1 + exp(-(a * d + b)))`` with ``d`` the SVM's decision value
         and ``(a, b) = calibration_``, fitted on 5-fold cross-validated decision values (as libsvm's
         ``probability=True`` does; that option is deprecated from scikit-learn 1.9, so the detector does it
         itself, seeded by ``random_state``). When fewer than 2 samples per class exist, or the fitted slope is
         not positive, ``(a, b) = (1, 0)``;
       * ``"kmeans"``: ``d_real / (d_real + d_fake)``, the Euclidean distances of the scaled features
         to the "real" and the "fake" centre (``fake_cluster_`` is the index of the "fake" one).

    ``predict`` is ``classes_[1]`` ("generated") exactly when that probability is >= 0.5, and
    ``decision_function`` is its log-odds, for every classifier.

    **Labels.** ``y`` holds two classes; the larger one (``classes_[1]``, e.g. ``1`` or ``True``) means
    "generated". k-means ignores ``y`` apart from ``classes_``.

    **Which k-means cluster is fake.** Natural images have a power-law spectrum: their dB profile is close
    to a straight line in log frequency. Every up-sampler bends the top of the spectrum away from that line,
    up (transposed convolution and zero insertion add replicas) or down (interpolation loses high
    frequencies). With ``fake_cluster="auto"`` the mean profile of each cluster (``scaler_.inverse_transform``
    of its centre) is fitted by a line in log frequency over the lower half of the bins, and the cluster whose
    top quarter of bins departs more from that line (mean absolute residual, in the feature's units) is
    "fake". The per-cluster departures are kept in ``cluster_departure_``. Pass ``fake_cluster=0`` or ``1``
    to fix the mapping instead.

    **Defaults, and why.** They are general choices, not tuned on a data set:

    * ``mode="reference"``: the published detector's profile (``20 ln|F|`` on integer radii). Its rings run
      out to the corners of the 2-D spectrum (radius up to ``N / sqrt(2)``), where the diagonal replicas of
      strided up-sampling (the checkerboard at (pi, pi)) sit; ``"centered"`` (eq. (2)) stops at radius
      ``N / 2`` and drops them.
    * ``normalize="minmax"``: a brightness or contrast change of an image only shifts or scales its log
      profile, so per-profile min-max makes the features invariant to exposure and to the value range of
      the input ([0, 1] or [-1, 1]); it is also the normalisation of the paper's spectral loss. (The
      notebooks' ``"first"`` divides by the lowest bin, which depends on the mean brightness.)
    * SVM ``C=6.37`` as in the notebooks, but ``gamma="scale"`` (``1 / n_features`` on standardised
      features): the notebooks' ``gamma=0.86`` was set for unstandardised profiles whose values differ by a
      few hundredths; after the ``StandardScaler`` every feature has unit variance, squared distances are
      about ``2 * n_features`` and ``exp(-0.86 * 86)`` makes the kernel matrix the identity (the SVM then only
      memorises). Pass ``gamma=0.86`` to get the notebook value. On the bundled photos (64 px crops, 20
      training images, grouped splits, 5 runs) ``gamma=0.86`` reached 71 % accuracy against transposed-conv
      fakes and ``"scale"`` 98 %.

    Parameters
    ----------
    classifier : {"svm", "logreg", "kmeans"}, default="svm"
    mode : {"centered", "reference"}, default="reference"
        Azimuthal-integral definition (:mod:`upconv_tf.spectral`).
    normalize : {None, "minmax", "first"}, default="minmax"
        Per-profile normalisation.
    num_bins : int or None, default=None
        Resample every profile to this length. When None, images of one size keep their native length, and
        images of several sizes are resampled to the shortest native length seen by ``fit`` (as the
        published notebooks did for mixed-size data). The length used is ``num_bins_``.
    C : float, default=6.37
        SVM regularisation (published notebook value).
    gamma : float or {"scale", "auto"}, default="scale"
        RBF kernel width of the SVM, on standardised features (see above; the notebooks used 0.86 on
        unstandardised profiles).
    max_iter : int, default=1000
        Iterations of the liblinear logistic regression (published notebook value).
    n_init : int, default=10
        k-means restarts.
    fake_cluster : {"auto", 0, 1}, default="auto"
        k-means cluster that means "generated" (see above).
    random_state : int, RandomState or None, default=None
        Seeds the SVM's calibration folds, liblinear and k-means.

    Attributes
    ----------
    num_bins_ : int
        Profile length the detector works on (also ``n_features_in_``).
    n_features_in_ : int
    scaler_ : upconv_tf.detection.heads.Standardizer
        ``mean_`` and ``scale_`` of the fitted ``StandardScaler``.
    classifier_ : upconv_tf.detection.heads.SVMHead, LogisticHead or KMeansHead
        The fitted classifier's numbers under its scikit-learn attribute names (``support_vectors_``,
        ``dual_coef_``, ``intercept_``, ``coef_``, ``cluster_centers_``), with ``probability`` and ``predict``.
    classes_ : numpy.ndarray of shape (2,)
    calibration_ : numpy.ndarray of shape (2,)
        ``(a, b)`` of the SVM's Platt scaling (``"svm"`` only).
    fake_cluster_ : int
        Index of the "generated" k-means cluster (``"kmeans"`` only).
    cluster_departure_ : numpy.ndarray of shape (2,)
        Departure of each cluster's mean profile from a power law (``"kmeans"`` only).

    Examples
    --------
    >>> from upconv_tf.datasets import bundled_crops
    >>> from upconv_tf.fakes import make_fakes
    >>> real = bundled_crops(64, 40, seed=0).images
    >>> fake = make_fakes(bundled_crops(64, 40, seed=1).images, "transconv")
    >>> X, y = np.concatenate([real, fake]), np.r_[np.zeros(40), np.ones(40)]
    >>> detector = SpectralDetector("logreg").fit(X, y)
    >>> detector.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, classifier="svm", mode="reference", normalize="minmax", num_bins=None, C=6.37,
                 gamma="scale", max_iter=1000, n_init=10, fake_cluster="auto", random_state=None):
        self.classifier = classifier
        self.mode = mode
        self.normalize = normalize
        self.num_bins = num_bins
        self.C = C
        self.gamma = gamma
        self.max_iter = max_iter
        self.n_init = n_init
        self.fake_cluster = fake_cluster
        self.random_state = random_state

    # ----------------------------------------------------------------------------------- parameters
    def _check_params(self):
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"`classifier` must be one of {CLASSIFIERS}. Received: classifier={self.classifier!r}")
        check_feature_params(mode=self.mode, normalize=self.normalize, num_bins=self.num_bins)
        if self.fake_cluster not in ("auto", 0, 1):
            raise ValueError(f"`fake_cluster` must be 'auto', 0 or 1. Received: fake_cluster={self.fake_cluster!r}")

    # ------------------------------------------------------------------------------------- features
    def feature_transformer(self) -> SpectralFeatures:
        """The :class:`SpectralFeatures` this detector computes its features with: ``num_bins=num_bins_`` once
        fitted (so images of any size give the fitted length), ``num_bins`` before."""
        num_bins = getattr(self, "num_bins_", self.num_bins)
        return SpectralFeatures(mode=self.mode, normalize=self.normalize, num_bins=num_bins)

    def features(self, X):
        """Features of ``X``: :meth:`feature_transformer` ``.transform`` of images, or ``X`` itself (validated)
        when it is already a 2-D array of features.

        Parameters
        ----------
        X : array_like
            (N, H, W, C) or (N, H, W) images, a list of images of any sizes, or a 2-D array of features that
            is passed through (validated).

        Returns
        -------
        numpy.ndarray of shape (N, num_bins_)
        """
        self._check_params()
        if as_images(X) is None:
            return check_array(X, dtype=np.float64)
        return self.feature_transformer().transform(X)

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Fit the scaler and the classifier on images or precomputed features.

        Parameters
        ----------
        X : array_like
            See :meth:`features`.
        y : array_like of shape (N,)
            Two classes, the larger one meaning "generated". Optional for ``"kmeans"``.

        Returns
        -------
        self
        """
        self._check_params()
        for name in ("num_bins_", "n_features_in_"):
            self.__dict__.pop(name, None)
        features = self.features(X)
        if self.num_bins is not None and features.shape[1] != self.num_bins:
            raise ValueError(f"`X` has {features.shape[1]} features but num_bins={self.num_bins}.")
        if len(features) < 2:
            raise ValueError(f"`X` must hold at least 2 samples. Received: {len(features)} sample(s)")
        if y is None and self.classifier != "kmeans":
            raise ValueError(f"classifier={self.classifier!r} needs labels `y`.")
        if y is not None:
            from sklearn.utils.multiclass import check_classification_targets
            from sklearn.utils.validation import column_or_1d

            y = column_or_1d(y, warn=True)
            if len(y) != len(features):
                raise ValueError(f"`y` must hold one label per sample ({len(features)}). Received: {len(y)} labels")
            check_classification_targets(y)
            classes = np.unique(y)
            if len(classes) != 2:
                raise ValueError(f"`y` must hold exactly 2 classes (real and generated). Received: {classes.tolist()}")
        else:
            classes = np.array([0, 1])
        self.classes_ = classes
        self.num_bins_ = self.n_features_in_ = features.shape[1]
        self.scaler_ = Standardizer.fit(features)
        scaled = self.scaler_.transform(features)
        target = None if y is None else (y == classes[1]).astype(np.int64)
        getattr(self, f"_fit_{self.classifier}")(scaled, target)
        return self

    def _fit_svm(self, scaled, target):
        from sklearn.svm import SVC

        # Resolve "scale"/"auto" here so that the head keeps the number the kernel uses.
        if self.gamma == "scale":
            variance = scaled.var()
            gamma = 1.0 / (scaled.shape[1] * variance) if variance > 0 else 1.0
        elif self.gamma == "auto":
            gamma = 1.0 / scaled.shape[1]
        else:
            gamma = self.gamma
        if not isinstance(gamma, numbers.Real) or not gamma > 0:
            raise ValueError(f"`gamma` must be 'scale', 'auto' or a number > 0. Received: gamma={self.gamma!r}")
        model = SVC(C=self.C, kernel="rbf", gamma=float(gamma)).fit(scaled, target)
        self.calibration_ = self._platt(scaled, target, float(gamma))
        self.classifier_ = SVMHead.from_estimator(model, gamma, self.calibration_)

    def _platt(self, scaled, target, gamma):
        """Platt's sigmoid on out-of-fold SVM decision values, with his smoothed targets."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.svm import SVC

        folds = min(5, int(np.bincount(target).min()))
        if folds < 2:
            return np.array([1.0, 0.0])
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        decision = cross_val_predict(SVC(C=self.C, kernel="rbf", gamma=gamma), scaled, target, cv=cv,
                                     method="decision_function")
        positives, negatives = target.sum(), len(target) - target.sum()
        soft = np.where(target == 1, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
        values = np.concatenate([decision, decision])[:, None]
        labels = np.r_[np.ones(len(decision)), np.zeros(len(decision))]
        sigmoid = LogisticRegression(C=1e4, max_iter=1000).fit(values, labels, sample_weight=np.r_[soft, 1 - soft])
        slope, intercept = sigmoid.coef_[0, 0], sigmoid.intercept_[0]
        if not slope > 0:  # out-of-fold decisions carry no signal: keep the SVM's own sign
            return np.array([1.0, 0.0])
        return np.array([slope, intercept])

    def _fit_logreg(self, scaled, target):
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(solver="liblinear", max_iter=self.max_iter,
                                   random_state=self.random_state).fit(scaled, target)
        self.classifier_ = LogisticHead.from_estimator(model)

    def _fit_kmeans(self, scaled, target):
        from sklearn.cluster import KMeans

        centers = KMeans(n_clusters=2, n_init=self.n_init, random_state=self.random_state).fit(scaled).cluster_centers_
        profiles = self.scaler_.inverse_transform(centers)
        self.cluster_departure_ = np.array([power_law_departure(p, self.mode) for p in profiles])
        if self.fake_cluster == "auto":
            self.fake_cluster_ = int(np.argmax(self.cluster_departure_))
        else:
            self.fake_cluster_ = int(self.fake_cluster)
        self.classifier_ = KMeansHead(np.asarray(centers, np.float64), self.fake_cluster_)

    # -------------------------------------------------------------------------------------- predict
    def _scaled(self, X):
        check_is_fitted(self, "classifier_")
        features = self.features(X)
        if features.shape[1] != self.num_bins_:
            raise ValueError(f"`X` has {features.shape[1]} features, but the detector was fitted on "
                             f"{self.num_bins_}.")
        return self.scaler_.transform(features)

    def _probability(self, scaled):
        """Probability of "generated" for scaled features (class docstring, step 4)."""
        return self.classifier_.probability(scaled)

    def predict_proba(self, X):
        """Probabilities ``(P(classes_[0]), P(classes_[1]))``; column 1 is "generated".

        Parameters
        ----------
        X : array_like
            See :meth:`features`.

        Returns
        -------
        numpy.ndarray of shape (N, 2)
        """
        p = self._probability(self._scaled(X))
        return np.stack([1.0 - p, p], axis=1)

    def decision_function(self, X):
        """Log-odds of "generated" (positive means ``classes_[1]``).

        Parameters
        ----------
        X : array_like
            See :meth:`features`.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return _logit(self._probability(self._scaled(X)))

    def predict(self, X):
        """``classes_[1]`` where the probability of "generated" is >= 0.5, else ``classes_[0]``.

        Parameters
        ----------
        X : array_like
            See :meth:`features`.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        generated = self._probability(self._scaled(X)) >= 0.5
        return self.classes_[generated.astype(int)]

    # ---------------------------------------------------------------------------------------- tags
    def _more_tags(self):  # scikit-learn < 1.6
        return {"binary_only": True, "requires_y": False}

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.target_tags.required = self.classifier != "kmeans"
        return tags


def power_law_departure(profile, mode="centered") -> float:
    """Mean absolute departure of a profile's top quarter from a power law fitted to its lower half.

    The profile is modelled as ``c + s * log(f)`` (a straight line in log-log axes; dB and log-magnitude
    profiles are already logarithmic) with ``f`` the radius of each bin (:func:`upconv_tf.spectral.bin_radii`;
    a DC bin, radius 0, is skipped). Used to tell which k-means cluster is "generated"
    (:class:`SpectralDetector`).
    """
    profile = np.asarray(profile, dtype=np.float64)
    length = len(profile)
    frequency = spectral.bin_radii(length, mode)
    first = int(frequency[0] == 0)
    fit = slice(first, max(first + 2, length // 2))
    slope, intercept = np.polyfit(np.log(frequency[fit]), profile[fit], 1)
    top = slice(min(length - 1, (3 * length) // 4), length)
    residual = profile[top] - (intercept + slope * np.log(frequency[top]))
    return float(np.abs(residual).mean())
