"""The spectral detector of Durall et al. (CVPR 2020, s. 4.1) as a scikit-learn estimator."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_array, check_is_fitted

from upconv_tf import spectral
from upconv_tf.backends import NUMPY
from upconv_tf.detection.features import FEATURE_KINDS, SpectralFeatures, as_images, check_feature_params
from upconv_tf.detection.heads import KMeansHead, LogisticHead, Standardizer, SVMHead
from upconv_tf.errors import ArgumentError
from upconv_tf.options import CLASSIFIERS  # the one definition, importable without scikit-learn

# Below this many real sources a calibrated threshold is kept, with a warning (its FPR is a coarse estimate).
MIN_CALIBRATION_SOURCES = 20
# How out-of-fold real scores weigh in the threshold's quantile: every source alike, or every image alike.
THRESHOLD_WEIGHTINGS = ("source", "sample")


def _logit(p):
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.log(p) - np.log1p(-p)


def source_weights(groups) -> np.ndarray:
    """Per-sample weights that give every source (distinct value of ``groups``) the same total weight, summing
    to 1: a source of 300 images counts as much as a source of 3."""
    _, index, counts = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    return 1.0 / (counts[index] * len(counts))


def weighted_cut(scores, rate, weights=None) -> float:
    """The score above which (``>=``) a weight of at most ``rate`` of ``scores`` lies, as high as that allows:
    midway between the lowest score kept above and the next one down (equal weights: the ``1 - rate`` quantile
    of the scores, up to where between two scores it falls).

    Args:
        scores: (N,) scores.
        rate: the largest share of weight allowed at or above the cut, in (0, 1).
        weights: (N,) non-negative weights (default equal); normalised to sum to 1.
    """
    scores = np.asarray(scores, np.float64)
    weights = np.full(len(scores), 1.0) if weights is None else np.asarray(weights, np.float64)
    order = np.argsort(-scores, kind="stable")
    ranked, cumulative = scores[order], np.cumsum(weights[order]) / weights.sum()
    # Scores tied with a later one cannot be separated from it: only positions where the score drops count.
    ends = np.r_[ranked[1:] < ranked[:-1], True]
    allowed = np.flatnonzero(ends & (cumulative <= rate + 1e-12))
    if len(allowed) == 0:  # even the highest score holds more than ``rate``: the cut is just above it
        return float(np.nextafter(ranked[0], np.inf))
    last = allowed[-1]
    if last == len(ranked) - 1:
        return float(ranked[-1])
    return float(0.5 * (ranked[last] + ranked[last + 1]))


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
    "generated". k-means fits its clusters without labels and uses the labelled samples of ``y`` (``-1`` marks
    unlabelled ones) only to name them.

    **Which k-means cluster is fake.** k-means finds two clusters but cannot know which one is generated: that
    takes labels. With ``fake_cluster="auto"`` the clusters are named from the labelled samples of ``y``: give
    ``y`` with ``-1`` for every unlabelled image (scikit-learn's semi-supervised convention) and the true label
    for a handful of them (both classes); the "generated" cluster is the one that agrees with those labels in
    more cases (balanced over the two classes; ``cluster_agreement_``). Without labels the detector falls back
    to a spectral rule and warns: the cluster whose mean profile's top quarter departs more from a power law
    fitted to its lower half (``cluster_departure_``) is "generated". That rule assumes fakes bend the top of the
    spectrum more than real images do; it names the wrong cluster on generators with smooth spectra and on
    textured real images (ROC-AUC 0.15-0.43 on regularised GANs, docs/RESULTS.md s. 3), so it is not a sound default.
    ``fake_cluster=0`` or ``1`` fixes the mapping instead. ``fake_cluster_rule_`` says which rule named it.

    **Threshold.** ``predict`` says "generated" where the probability is >= ``threshold_``. It is 0.5 unless
    ``target_fpr`` is given (SVM and logistic regression): then the detector is also fitted on folds of the
    training sources (grouped by ``groups`` of :meth:`fit`: no source is on both sides of a fold), the real
    training images of the held-out folds are scored (only those marked ``original``, i.e. not augmented
    copies), and ``threshold_`` is the probability at which ``target_fpr`` of those out-of-fold real scores lie
    above it. With ``threshold_weighting="source"`` (default) every real source weighs the same in that share
    (each image ``1 / (sources x its source's images)``): the threshold is set for the *average source*, the
    false-positive rate a source never seen can expect, and one large source cannot set it by its number of
    images; ``"sample"`` weighs every image alike. Give ``groups`` at the level a deployment will meet new
    images from (the package, camera or collection a photo comes from; at least the photo, never the crop).
    The threshold is never below even odds: the
    probability at which the likelihood ratio is 1, i.e. the share of generated rows in training (the
    probabilities carry that prior; 0.5 for balanced classes). The target is a ceiling on the false-positive
    rate, and where the classes separate in training the quantile of the real scores sits far below even
    odds, where held-out photos cross it (bundled photos: thresholds of 0.05-0.3 gave 16 % false positives
    on new photos instead of 5 %). Real images are what a deployment
    sees most of, and a threshold set on them holds its false-positive rate on a generator that was not in the
    training set, while a threshold set between the classes (0.5) does not (docs/RESULTS.md s. 4). With fewer than
    2 real sources the threshold stays 0.5; with fewer than :data:`MIN_CALIBRATION_SOURCES` it is kept but the
    detector warns that its false-positive rate is uncertain (``threshold_calibration_["warnings"]``).

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
    feature_kind : {"azimuthal", "rings-cells-colour", "hybrid"}, default="azimuthal"
        The features (``SpectralFeatures(kind=feature_kind)``, :data:`~upconv_tf.detection.FEATURE_KINDS`):
        the azimuthal integral above, or ring and 2-D cell statistics of the luma and chroma spectra
        (:mod:`upconv_tf.detection.rings_cells_colour`; ``mode``, ``normalize`` and ``num_bins`` do not apply,
        images must all be of one size, the one the detector is exported at), or those and the pooled features
        of a frozen ImageNet EfficientNet-Lite0 (``"hybrid"``, :mod:`upconv_tf.detection.hybrid`).
    scaler : bool, default=True
        Standardise the features (``StandardScaler``) before the classifier. False keeps them as they are (the
        published notebooks); ``scaler_`` is then the identity.
    target_fpr : float or None, default=None
        Calibrate ``threshold_`` for this false-positive rate on real training images (see above). None: 0.5.
    threshold_weighting : {"source", "sample"}, default="source"
        How the out-of-fold real images weigh in the threshold's quantile: every source (value of ``groups``)
        alike, or every image alike (see above).

    Attributes
    ----------
    num_bins_ : int
        Profile length the detector works on (also ``n_features_in_``).
    n_features_in_ : int
    n_iter_ : int
        Iterations the solver ran (the SVM's, the logistic regression's or k-means').
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
    cluster_agreement_ : float or None
        Balanced agreement of the named clusters with the labelled samples (``"kmeans"``; None without labels).
    fake_cluster_rule_ : {"labels", "power-law", "fixed"}
        What named the "generated" k-means cluster (``"kmeans"`` only).
    threshold_ : float
        Probability from which ``predict`` says "generated".
    threshold_calibration_ : dict
        How ``threshold_`` was set: ``target_fpr``, ``weighting``, ``real`` and ``real_sources`` (out-of-fold
        real images and their sources), ``folds``, ``fpr`` and ``tpr`` (out-of-fold rates at the threshold, every
        image alike), ``source_fpr`` and ``worst_source_fpr`` (the mean and the largest out-of-fold
        false-positive rate of a real source), ``floor`` (even odds: the share of generated training rows) and
        ``floored`` (True where the quantile fell below it and the threshold is the floor), ``warnings``.

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

    kind = "detector"  # what upconv_tf.load returns it as

    def __init__(self, classifier="svm", mode="reference", normalize="minmax", num_bins=None, C=6.37,
                 gamma="scale", max_iter=1000, n_init=10, fake_cluster="auto", random_state=None,
                 feature_kind="azimuthal", scaler=True, target_fpr=None, threshold_weighting="source"):
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
        self.feature_kind = feature_kind
        self.scaler = scaler
        self.target_fpr = target_fpr
        self.threshold_weighting = threshold_weighting

    # ----------------------------------------------------------------------------------- parameters
    def _check_params(self):
        if self.classifier not in CLASSIFIERS:
            raise ArgumentError("classifier", f"must be one of {CLASSIFIERS}. Received: classifier={self.classifier!r}")
        if not isinstance(self.feature_kind, str) or self.feature_kind not in FEATURE_KINDS:
            raise ArgumentError("feature_kind", f"must be one of {tuple(FEATURE_KINDS)}. "
                                                f"Received: feature_kind={self.feature_kind!r}")
        check_feature_params(kind=self.feature_kind, mode=self.mode, normalize=self.normalize, num_bins=self.num_bins)
        if self.fake_cluster not in ("auto", 0, 1):
            raise ArgumentError("fake_cluster", f"must be 'auto', 0 or 1. Received: fake_cluster={self.fake_cluster!r}")
        if not isinstance(self.scaler, (bool, np.bool_)):
            raise ArgumentError("scaler", f"must be True or False. Received: scaler={self.scaler!r}")
        if self.target_fpr is not None and (isinstance(self.target_fpr, bool) or
                                            not isinstance(self.target_fpr, numbers.Real)
                                            or not 0 < self.target_fpr < 1):
            raise ArgumentError("target_fpr", f"must be None or a number in (0, 1). Received: target_fpr={self.target_fpr!r}")
        if self.threshold_weighting not in THRESHOLD_WEIGHTINGS:
            raise ArgumentError("threshold_weighting", f"must be one of {THRESHOLD_WEIGHTINGS}. Received: "
                                                       f"threshold_weighting={self.threshold_weighting!r}")

    # ------------------------------------------------------------------------------------- features
    def feature_transformer(self) -> SpectralFeatures:
        """The :class:`SpectralFeatures` this detector computes its features with: ``num_bins=num_bins_`` once
        fitted (so images of any size give the fitted length), ``num_bins`` before."""
        num_bins = getattr(self, "num_bins_", self.num_bins) if FEATURE_KINDS[self.feature_kind].resamples else None
        return SpectralFeatures(mode=self.mode, normalize=self.normalize, num_bins=num_bins, kind=self.feature_kind)

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
    def fit(self, X, y=None, groups=None, original=None):
        """Fit the scaler and the classifier on images or precomputed features (and the threshold, with
        ``target_fpr``).

        Parameters
        ----------
        X : array_like
            See :meth:`features`.
        y : array_like of shape (N,)
            Two classes, the larger one meaning "generated". Optional for ``"kmeans"``, where ``-1`` marks
            unlabelled samples and the labelled ones name the clusters.
        groups : array_like of shape (N,), optional
            Source of each sample: the package, collection or camera a real photo comes from, or at least the
            photo a crop or a re-encoded twin was made from. Out-of-fold scores (Platt scaling of the SVM, the
            threshold) never split a source, and with ``threshold_weighting="source"`` every real source weighs
            the same in the threshold. Default: every sample is its own.
        original : array_like of bool, shape (N,), optional
            True for samples that are not augmented copies; only these real samples calibrate the threshold.
            Default: all.

        Returns
        -------
        self
        """
        from sklearn.utils.multiclass import check_classification_targets, type_of_target
        from sklearn.utils.validation import column_or_1d

        self._check_params()
        for name in ("num_bins_", "n_features_in_", "n_iter_"):
            self.__dict__.pop(name, None)
        features = self.features(X)
        if self.num_bins is not None and features.shape[1] != self.num_bins:
            raise ArgumentError("X", f"has {features.shape[1]} features but num_bins={self.num_bins}.")
        if len(features) < 2:
            raise ArgumentError("X", f"must hold at least 2 samples. Received: {len(features)} sample(s)")
        if self.classifier == "kmeans" and features.shape[1] < 2:  # the power-law rule needs a profile
            raise ArgumentError("X", f"has {features.shape[1]} feature(s); k-means needs a profile of 2 or more")
        if y is None and self.classifier != "kmeans":
            # scikit-learn's wording, which its estimator checks (and callers) recognise
            raise ValueError(f"classifier={self.classifier!r} requires y to be passed, but the target y is None.")
        labelled = np.ones(len(features), bool)
        if y is not None:
            y = column_or_1d(y, warn=True)
            if len(y) != len(features):
                raise ArgumentError("y", f"must hold one label per sample ({len(features)}). Received: {len(y)} labels")
            check_classification_targets(y)
            unlabelled = self.classifier == "kmeans" and y.dtype.kind in "iuf" and (y == -1).any()
            if unlabelled:
                labelled = y != -1  # scikit-learn's mark of an unlabelled sample, beside the two classes
            kind = type_of_target(y[labelled], input_name="y")
            if kind not in ("binary", "unknown") and len(np.unique(y[labelled])) > 2:
                raise ValueError(f"Only binary classification is supported. The type of the target is {kind}.")
            classes = np.unique(y[labelled])
            if len(classes) != 2 and not (unlabelled and len(classes) < 2):
                raise ArgumentError("y", f"must hold exactly 2 classes (real and generated). Received: {classes.tolist()}")
            if len(classes) < 2:  # k-means with fewer than two labelled classes: labels cannot name clusters
                classes = np.array([0, 1])
                labelled[:] = False
        else:
            classes = np.array([0, 1])
            labelled[:] = False
        groups = self._per_sample(groups, len(features), "groups")
        original = np.ones(len(features), bool) if original is None else \
            self._per_sample(original, len(features), "original").astype(bool)
        self.classes_ = classes
        self.num_bins_ = self.n_features_in_ = features.shape[1]
        self.scaler_ = Standardizer.fit(features) if self.scaler else Standardizer.identity(features.shape[1])
        scaled = self.scaler_.transform(features)
        if y is None:
            target = None
        else:
            target = np.where(labelled, (y == classes[1]).astype(np.int64), -1)
        if self.classifier == "kmeans":
            self._fit_kmeans(scaled, target)
            self.threshold_ = 0.5
            self.threshold_calibration_ = {"target_fpr": None, "warnings": []}
            return self
        folds = None
        if self.classifier == "svm" or self.target_fpr is not None:
            folds = self._oof_decisions(scaled, target, groups)
        getattr(self, f"_fit_{self.classifier}")(scaled, target, folds)
        self._calibrate_threshold(target, groups, original, folds)
        return self

    @staticmethod
    def _per_sample(values, count, name):
        if values is None:
            return None
        values = np.asarray(values)
        if values.ndim != 1 or len(values) != count:
            raise ArgumentError(name, f"must hold one value per sample ({count}). Received: shape {values.shape}")
        return values

    # ----------------------------------------------------------------------------------- classifiers
    def _gamma(self, scaled):
        """The SVM's RBF width as a number ("scale"/"auto" resolved, so that the head keeps what the kernel uses)."""
        if self.gamma == "scale":
            variance = scaled.var()
            gamma = 1.0 / (scaled.shape[1] * variance) if variance > 0 else 1.0
        elif self.gamma == "auto":
            gamma = 1.0 / scaled.shape[1]
        else:
            gamma = self.gamma
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not gamma > 0:
            raise ArgumentError("gamma", f"must be 'scale', 'auto' or a number > 0. Received: gamma={self.gamma!r}")
        return float(gamma)

    def _model(self, scaled):
        """An unfitted scikit-learn classifier of this detector's kind."""
        if self.classifier == "svm":
            from sklearn.svm import SVC

            return SVC(C=self.C, kernel="rbf", gamma=self._gamma(scaled))
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(solver="liblinear", max_iter=self.max_iter, random_state=self.random_state)

    def _oof_decisions(self, scaled, target, groups):
        """``(decisions, folds)``: out-of-fold decision values of every sample (NaN where none could be made)
        and the number of folds. Without ``groups``: stratified folds of samples (5, fewer when a class is
        short); with them: stratified folds of sources, so that no source is on both sides."""
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        decisions = np.full(len(target), np.nan)
        if groups is None:
            folds = min(5, int(np.bincount(target, minlength=2).min()))
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state) if folds >= 2 else None
        else:
            sources = [len(np.unique(groups[target == label])) for label in (0, 1)]
            folds = min(5, *sources)
            splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=self.random_state) \
                if folds >= 2 else None
        if splitter is None:
            return decisions, 0
        for train, test in splitter.split(scaled, target, groups):
            if len(np.unique(target[train])) < 2:
                continue
            decisions[test] = self._model(scaled).fit(scaled[train], target[train]).decision_function(scaled[test])
        return decisions, folds

    def _fit_svm(self, scaled, target, folds):
        model = self._model(scaled).fit(scaled, target)
        self.n_iter_ = int(np.max(model.n_iter_))
        self.calibration_ = self._platt(folds[0], target)
        self.classifier_ = SVMHead.from_estimator(model, model.gamma, self.calibration_)

    @staticmethod
    def _platt(decision, target):
        """Platt's sigmoid on out-of-fold SVM decision values, with his smoothed targets."""
        from sklearn.linear_model import LogisticRegression

        known = np.isfinite(decision)
        if known.sum() < 2 or len(np.unique(target[known])) < 2:
            return np.array([1.0, 0.0])
        decision, target = decision[known], target[known]
        positives, negatives = target.sum(), len(target) - target.sum()
        soft = np.where(target == 1, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
        values = np.concatenate([decision, decision])[:, None]
        labels = np.r_[np.ones(len(decision)), np.zeros(len(decision))]
        sigmoid = LogisticRegression(C=1e4, max_iter=1000).fit(values, labels, sample_weight=np.r_[soft, 1 - soft])
        slope, intercept = sigmoid.coef_[0, 0], sigmoid.intercept_[0]
        if not slope > 0:  # out-of-fold decisions carry no signal: keep the SVM's own sign
            return np.array([1.0, 0.0])
        return np.array([slope, intercept])

    def _fit_logreg(self, scaled, target, folds):
        model = self._model(scaled).fit(scaled, target)
        self.n_iter_ = int(np.max(model.n_iter_))
        self.classifier_ = LogisticHead.from_estimator(model)

    def _fit_kmeans(self, scaled, target):
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=2, n_init=self.n_init, random_state=self.random_state).fit(scaled)
        self.n_iter_ = int(model.n_iter_)
        centers = model.cluster_centers_
        radii, profiles = FEATURE_KINDS[self.feature_kind].spectrum(self.scaler_.inverse_transform(centers), self.mode)
        self.cluster_departure_ = np.array([power_law_departure(p, self.mode, radii) for p in profiles])
        self.cluster_agreement_ = None
        labelled = np.zeros(len(scaled), bool) if target is None else target >= 0
        if self.fake_cluster != "auto":
            self.fake_cluster_, self.fake_cluster_rule_ = int(self.fake_cluster), "fixed"
        elif labelled.any() and len(np.unique(target[labelled])) == 2:
            assigned, truth = model.labels_[labelled], target[labelled]
            # Balanced agreement if cluster 1 is "generated" (that of cluster 0 is its complement).
            agreement = 0.5 * ((assigned[truth == 1] == 1).mean() + (assigned[truth == 0] == 0).mean())
            self.fake_cluster_ = int(agreement >= 0.5)
            self.cluster_agreement_ = float(max(agreement, 1.0 - agreement))
            self.fake_cluster_rule_ = "labels"
        else:
            import warnings

            warnings.warn("k-means cannot tell which cluster is generated without labels; it falls back to the "
                          "power-law rule, which names the wrong cluster on smooth generators. Give a few labelled "
                          "images (y = -1 for the unlabelled ones) or fake_cluster=0/1.", UserWarning, stacklevel=3)
            self.fake_cluster_ = int(np.argmax(self.cluster_departure_))
            self.fake_cluster_rule_ = "power-law"
        self.classifier_ = KMeansHead(np.asarray(centers, np.float64), self.fake_cluster_)

    # ------------------------------------------------------------------------------------- threshold
    def _calibrate_threshold(self, target, groups, original, folds):
        """``threshold_`` from the out-of-fold scores of the original real samples (class docstring)."""
        import warnings

        self.threshold_ = 0.5
        info = {"target_fpr": self.target_fpr, "warnings": []}
        self.threshold_calibration_ = info
        if self.target_fpr is None:
            return
        decisions, count = folds
        real = (target == 0) & original & np.isfinite(decisions)
        real_groups = groups[real] if groups is not None else np.arange(int(real.sum()))
        sources = len(np.unique(real_groups))
        info.update(real=int(real.sum()), real_sources=int(sources), folds=int(count),
                    weighting=self.threshold_weighting)
        if sources < 2:
            info["warnings"].append(f"too few real sources ({sources}) to calibrate a threshold for target_fpr="
                                    f"{self.target_fpr}; the threshold stays 0.5")
        else:
            weights = source_weights(real_groups) if self.threshold_weighting == "source" else None
            cut = weighted_cut(decisions[real], self.target_fpr, weights)
            # The final head's probability at that decision value: the same cut, on its own scale; never below
            # even odds (class docstring): the training prior of "generated", where the likelihood ratio is 1.
            probability = float(self._head_probability_at(cut))
            floor = float(np.mean(target[target >= 0] == 1))
            info.update(floor=floor, floored=probability < floor)
            if info["floored"]:
                cut = self._head_decision_at(floor)
            fake = (target == 1) & original & np.isfinite(decisions)
            above = decisions[real] >= cut
            per_source = {str(g): float(above[real_groups == g].mean()) for g in np.unique(real_groups)}
            info.update(fpr=float(above.mean()), source_fpr=float(np.mean(list(per_source.values()))),
                        worst_source_fpr=float(max(per_source.values())),
                        tpr=float((decisions[fake] >= cut).mean()) if fake.any() else None)
            self.threshold_ = max(probability, floor)
            if sources < MIN_CALIBRATION_SOURCES:
                info["warnings"].append(
                    f"the threshold for target_fpr={self.target_fpr} was calibrated on {sources} real sources "
                    f"only; its false-positive rate on new real images is uncertain (give "
                    f"{MIN_CALIBRATION_SOURCES} or more)")
        for message in info["warnings"]:
            warnings.warn(message, UserWarning, stacklevel=3)

    def _head_decision_at(self, probability):
        """The decision value at which the final head's probability is ``probability``."""
        logit = float(_logit(probability))
        if self.classifier == "svm":
            a, b = self.calibration_
            return (logit - b) / a if a else float("inf")  # a flat Platt curve is never crossed
        return logit

    def _head_probability_at(self, decision):
        if self.classifier == "svm":
            a, b = self.calibration_
            value = a * decision + b
        else:
            value = decision
        return NUMPY.sigmoid(value)  # the heads' own sigmoid

    # -------------------------------------------------------------------------------------- predict
    def _scaled(self, X):
        check_is_fitted(self, "classifier_")
        features = self.features(X)
        if features.shape[1] != self.num_bins_:
            # scikit-learn's wording of this error (its estimator checks look for it)
            raise ValueError(f"X has {features.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.num_bins_} features as input (the number it was fitted on).")
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
        """Log-odds of "generated" minus those of ``threshold_`` (positive means ``classes_[1]``).

        Parameters
        ----------
        X : array_like
            See :meth:`features`.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return _logit(self._probability(self._scaled(X))) - _logit(self._threshold())

    def predict(self, X):
        """``classes_[1]`` where the probability of "generated" is >= ``threshold_``, else ``classes_[0]``.

        Parameters
        ----------
        X : array_like
            See :meth:`features`.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        generated = self._probability(self._scaled(X)) >= self._threshold()
        return self.classes_[generated.astype(int)]

    def _threshold(self):
        return float(getattr(self, "threshold_", 0.5))

    # ---------------------------------------------------------------------------------------- tags
    def _more_tags(self):  # scikit-learn < 1.6
        return {"binary_only": True, "requires_y": False}

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.target_tags.required = self.classifier != "kmeans"
        return tags


def power_law_departure(profile, mode="centered", radii=None) -> float:
    """Mean absolute departure of a profile's top quarter from a power law fitted to its lower half.

    The profile is modelled as ``c + s * log(f)`` (a straight line in log-log axes; dB and log-magnitude
    profiles are already logarithmic) with ``f`` the radius of each bin (``radii``, by default
    :func:`upconv_tf.spectral.bin_radii` of ``mode``; a DC bin, radius 0, is skipped). Used to tell which k-means cluster is "generated"
    (:class:`SpectralDetector`).
    """
    profile = np.asarray(profile, dtype=np.float64)
    length = len(profile)
    frequency = spectral.bin_radii(length, mode) if radii is None else np.asarray(radii, np.float64)
    first = int(frequency[0] == 0)
    fit = slice(first, max(first + 2, length // 2))
    slope, intercept = np.polyfit(np.log(frequency[fit]), profile[fit], 1)
    top = slice(min(length - 1, (3 * length) // 4), length)
    residual = profile[top] - (intercept + slope * np.log(frequency[top]))
    return float(np.abs(residual).mean())
