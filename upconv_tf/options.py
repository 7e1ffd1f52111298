"""Names of the choices the models and the detector accept, importable without TensorFlow or scikit-learn
(the CLI builds its parser from them, so `upconv-tf --help` and commands that need no model stay fast).

The spectral choices live in :mod:`upconv_tf.spectral` (``MODES``, ``NORMALIZATIONS``) and the size policies
in :mod:`upconv_tf.datasets.folder` (``POLICIES``); both import without TensorFlow too."""

UPSAMPLINGS = ("transconv", "nearest", "bilinear", "zero")
NORMS = ("batch", "layer", "none")
GAN_LOSSES = ("dcgan", "lsgan", "wgan-gp", "dragan")
SPECTRAL_PROFILES = ("floored_log", "paper", "ring_power")  # upconv_tf.losses.spectral
CLASSIFIERS = ("svm", "logreg", "kmeans")  # upconv_tf.detection.SpectralDetector
GROUP_BY = ("auto", "file", "prefix", "folder")  # upconv_tf.detection.group_ids
