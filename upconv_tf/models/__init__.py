"""Models with the spectral regularisation in training: SpectralGAN, SpectralAutoencoder and the
reference architectures (SPEC s. 3); SpectrumRefiner (STIG), which refines the spectrum of generated images
after the fact."""

from upconv_tf.models.architectures import NORMS, UPSAMPLINGS, build_discriminator, build_generator, check_size
from upconv_tf.models.autoencoder import SpectralAutoencoder
from upconv_tf.models.data import step_batches, to_model_range
from upconv_tf.models.gan import ARMS, LOSSES, PAPER_SPECTRAL_WEIGHTS, SpectralGAN, arm
from upconv_tf.models.io import load_generator, load_generator_model, save_model  # noqa: F401 (deprecated name)
from upconv_tf.models.refiner import RefinerLosses, SpectrumRefiner, build_refiner
from upconv_tf.models.spectral_target import SpectralTerm

__all__ = [
    "ARMS", "LOSSES", "NORMS", "PAPER_SPECTRAL_WEIGHTS", "UPSAMPLINGS", "RefinerLosses", "SpectralAutoencoder",
    "SpectralGAN", "SpectralTerm", "SpectrumRefiner", "arm", "build_discriminator", "build_generator", "build_refiner",
    "check_size", "load_generator_model", "save_model", "step_batches", "to_model_range",
]
