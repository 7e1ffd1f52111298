"""Names of the choices the models accept, importable without TensorFlow (the CLI builds its parser
from them, so `upconv-tf --help` and commands that need no model stay fast)."""

UPSAMPLINGS = ("transconv", "nearest", "bilinear", "zero")
NORMS = ("batch", "layer", "none")
GAN_LOSSES = ("dcgan", "lsgan", "wgan-gp", "dragan")
