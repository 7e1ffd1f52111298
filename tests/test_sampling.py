"""upconv_tf.sampling: one latent stream whatever the batching, [-1, 1] -> [0, 1], grids; and the one generator
loader of upconv_tf.runtime on every form."""

import numpy as np
import pytest

from upconv_tf import sampling


@pytest.fixture(scope="module")
def generator():
    import keras

    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8 * 8 * 3, activation="tanh"),
                             keras.layers.Reshape((8, 8, 3))])


def test_samples_do_not_depend_on_the_batch_size(generator):
    first = sampling.sample_images(generator, 7, seed=3, batch_size=7)
    np.testing.assert_allclose(sampling.sample_images(generator, 7, seed=3, batch_size=2), first, atol=1e-6)
    np.testing.assert_allclose(sampling.sample_images(generator, 3, seed=3), first[:3], atol=1e-6)
    expected = (np.asarray(generator(sampling.latents(7, 4, 3))) + 1) / 2
    np.testing.assert_allclose(first, expected, atol=1e-6)
    assert first.min() >= 0 and first.max() <= 1
    quantized = sampling.sample_images(generator, 7, seed=3, quantize_8bit=True)
    np.testing.assert_allclose(quantized * 255, np.round(quantized * 255), atol=1e-4)


def test_runners_sample_the_same_images(generator, tmp_path):
    from upconv_tf.export import export_generator
    from upconv_tf.models import save_model
    from upconv_tf.runtime import KerasGenerator, OnnxGenerator, SavedModelGenerator, load_generator

    export_generator(generator, tmp_path / "bundle")
    save_model(generator, tmp_path / "g.keras")
    expected = sampling.sample_images(generator, 5, seed=0)
    for path, kind in ((tmp_path / "g.keras", KerasGenerator), (tmp_path / "bundle", OnnxGenerator),
                       (tmp_path / "bundle" / "saved_model", SavedModelGenerator)):
        runner = load_generator(path)
        assert isinstance(runner, kind)
        np.testing.assert_allclose(sampling.sample_images(runner, 5, seed=0), expected, atol=1e-5)
    assert isinstance(load_generator(tmp_path / "bundle", backend="savedmodel"), SavedModelGenerator)


def test_load_generator_errors_are_one_line(tmp_path):
    from upconv_tf.models import SpectralAutoencoder, save_model
    from upconv_tf.runtime import load_generator

    with pytest.raises(ValueError, match="no such file or folder"):
        load_generator(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("text")
    with pytest.raises(ValueError, match="not a generator file"):
        load_generator(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="no generator found"):
        load_generator(tmp_path)
    save_model(SpectralAutoencoder(8, "nearest", filters=2), tmp_path / "ae" / "autoencoder.keras")
    with pytest.raises(ValueError, match="auto-encoder"):
        load_generator(tmp_path / "ae")
    with pytest.raises(ValueError, match="auto-encoder"):
        load_generator(tmp_path / "ae" / "autoencoder.keras")


def test_image_grid():
    images = np.stack([np.full((2, 3, 3), i / 10, np.float32) for i in range(5)])
    grid = sampling.image_grid(images)
    assert grid.shape == (2 * 2, 3 * 3, 3)  # 5 images: 3 columns, 2 rows, the last cell black
    assert grid[0, 3, 0] == pytest.approx(0.1) and grid[2, 3, 0] == pytest.approx(0.4) and grid[3, 8, 0] == 0
    assert sampling.image_grid(images, columns=5).shape == (2, 15, 3)
    with pytest.raises(ValueError, match="Received: shape"):
        sampling.image_grid(np.zeros((0, 2, 2, 3)))
