"""upconv-tf: see, fix and detect what up-convolutions do to the spectrum of generated images.

Subpackages are imported on use (``upconv_tf.spectral`` needs only numpy; ``upconv_tf.layers`` loads
TensorFlow).
"""

__version__ = "0.1.0"
