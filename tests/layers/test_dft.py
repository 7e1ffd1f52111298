"""The MatMul DFTs of upconv_tf.layers.dft: the four-step power spectrum of the exported detector (exact against
numpy's FFT, covers the half plane, gives the layer's profiles, no DFT operator in the exported ONNX), and the
complex forward / real inverse DFT of the spectrum refiner; upconv_tf.export.fft is a deprecated alias."""

import numpy as np
import onnx
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.detection import SpectralDetector
from upconv_tf.export import export_detector
from upconv_tf.export.graph import detector_function
from upconv_tf.layers import dft as fft
from upconv_tf.layers.azimuthal import profile_from_columns, profile_from_gray

# Powers of two, non-powers (192, 400), odd, prime sides (7, 13, 109 x 2 = 218, 89 x 2 = 178), non-square.
SIZES = [(64, 64), (192, 192), (400, 400), (218, 178), (15, 7), (7, 13), (128, 96), (6, 6)]


@pytest.mark.parametrize("size", SIZES)
def test_power_columns_equal_numpy_fft(rng, size):
    height, width = size
    gray = rng.random((3, height, width))
    plan = fft.plan(height, width)
    assert plan.h1 * plan.h2 == height and plan.w1 * plan.w2 == width
    power = fft.power_columns(tf.constant(gray), "float64").numpy()
    full = np.abs(np.fft.fft2(gray)) ** 2
    assert power.shape == (plan.positions, 3)
    np.testing.assert_allclose(power, full[:, plan.rows, plan.columns].T, rtol=0, atol=1e-12 * full.max())
    # Every half-plane coefficient of rfft2d is found (itself or its mirror), with the same power.
    half = (np.abs(np.fft.rfft2(gray)) ** 2).reshape(3, -1).T
    np.testing.assert_allclose(power[fft.half_plane_positions(height, width)], half, rtol=0,
                               atol=1e-12 * full.max())
    # About half the plane is computed, not the whole of it.
    assert plan.positions < 0.75 * height * width + 2 * (height + width)


def test_split_picks_the_cheapest_factors():
    assert fft.split(1024) == (32, 32)
    assert fft.split(1024, inner_cost=2) == (16, 64)
    assert fft.split(109) == (1, 109)  # a prime: one full DFT matrix
    assert fft.split(400) == (20, 20)
    with pytest.raises(ValueError, match="positive"):
        fft.split(0)


@pytest.mark.parametrize("mode", spectral.MODES)
@pytest.mark.parametrize("size", [(64, 64), (218, 178), (33, 47)])
def test_profile_from_columns_equals_layer_profile(rng, mode, size):
    height, width = size
    gray = tf.constant(rng.random((2, height, width)))
    power = fft.power_columns(gray, "float64")
    profile = profile_from_columns(power, height, width, fft.half_plane_positions(height, width), mode).numpy()
    expected = profile_from_gray(gray, mode).numpy()
    np.testing.assert_allclose(profile, expected, rtol=1e-10, atol=1e-9)
    with pytest.raises(ValueError, match="positions"):
        profile_from_columns(power, height, width, np.arange(5), mode)


@pytest.mark.parametrize("mode", spectral.MODES)
def test_matmul_detector_graph_equals_rfft2d_graph(crops64, mode):
    images = crops64.images[:16]
    labels = np.r_[np.zeros(8), np.ones(8)]
    detector = SpectralDetector("logreg", mode=mode, random_state=0).fit(images, labels)
    expected = detector.predict_proba(images)[:, 1]
    for fft_kind in ("rfft2d", "matmul"):
        serve = detector_function(detector, 64, 64, fft=fft_kind)
        np.testing.assert_allclose(serve(tf.constant(images))["probability"].numpy(), expected, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="fft"):
        detector_function(detector, 64, 64, fft="dft")


def test_exported_detector_onnx_has_no_dft_operator(tmp_path, crops64):
    images = crops64.images[:16]
    detector = SpectralDetector("svm", random_state=0).fit(images, np.r_[np.zeros(8), np.ones(8)])
    result = export_detector(detector, tmp_path, image_size=(64, 48), formats=("onnx",))
    ops = {node.op_type for node in onnx.load(result.onnx).graph.node}
    assert "MatMul" in ops
    assert not ops & {"DFT", "STFT", "Sin", "Cos"}, ops  # no DFT op, nor tf2onnx's DFT (cos/sin tables)
    assert result.metadata["onnx"]["fft"] == "matmul"


@pytest.mark.parametrize("dft_operator", [False, True])
def test_layer_converts_to_onnx(tmp_path, crops64, dft_operator):
    """The Keras layer still converts (tf2onnx's MatMul DFT, or the DFT operator on request) and XLA-compiles.

    (Centered mode: in float32, both ONNX DFTs move the reference mode's near-zero coefficients, whose
    20 ln(|F| + 1e-8) then differ by percents; the detector's ONNX computes in float64 for that.)
    """
    import onnxruntime

    from upconv_tf.export.onnx import function_to_onnx
    from upconv_tf.layers import AzimuthalIntegral

    layer = AzimuthalIntegral(mode="centered", normalize="minmax")
    signature = [tf.TensorSpec([None, 64, 64, 3], tf.float32, name="images")]
    serve = tf.function(lambda images: {"profile": layer(images)}, input_signature=signature)
    model = function_to_onnx(serve, signature, tmp_path / "layer.onnx", ["profile"], dft_operator=dft_operator)
    assert ("DFT" in {node.op_type for node in model.graph.node}) == dft_operator
    session = onnxruntime.InferenceSession(str(tmp_path / "layer.onnx"), providers=["CPUExecutionProvider"])
    images = crops64.images[:4]
    expected = layer(images).numpy()
    np.testing.assert_allclose(session.run(None, {"images": images})[0], expected, rtol=0, atol=1e-4)
    compiled = tf.function(layer, jit_compile=True)
    np.testing.assert_allclose(compiled(tf.constant(images)).numpy(), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("size", [(32, 32), (15, 7), (64, 48)])
@pytest.mark.parametrize("shift", [True, False])
def test_complex_dft2_and_its_inverse_equal_numpy(rng, size, shift):
    height, width = size
    x = rng.random((3, height, width))
    real, imag = fft.complex_dft2(tf.constant(x), shift, "float64")
    expected = np.fft.fft2(x)
    if shift:
        expected = np.fft.fftshift(expected, axes=(-2, -1))
    np.testing.assert_allclose(real.numpy(), expected.real, rtol=0, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(imag.numpy(), expected.imag, rtol=0, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(fft.inverse_real_dft2(real, imag, shift, "float64").numpy(), x, rtol=0, atol=1e-12)
    # Any spectrum (an edited magnitude breaks the Hermitian symmetry): the real part of numpy's inverse.
    edited = expected * rng.random(expected.shape)
    inverse = np.fft.ifft2(np.fft.ifftshift(edited, axes=(-2, -1)) if shift else edited).real
    back = fft.inverse_real_dft2(tf.constant(edited.real), tf.constant(edited.imag), shift, "float64").numpy()
    np.testing.assert_allclose(back, inverse, rtol=0, atol=1e-12)


def test_complex_dft2_validates_its_input():
    with pytest.raises(ValueError, match="static H and W"):
        fft.complex_dft2(tf.zeros([2, 8]))
    with pytest.raises(ValueError, match="`imag` must have the shape"):
        fft.inverse_real_dft2(tf.zeros([1, 8, 8]), tf.zeros([1, 8, 4]))
    with pytest.raises(ValueError, match="positive"):
        fft.dft_matrix(0)


def test_export_fft_is_a_deprecated_alias():
    from upconv_tf.export import fft as shim

    with pytest.warns(DeprecationWarning, match="upconv_tf.layers.dft"):
        assert shim.power_columns is fft.power_columns
    with pytest.warns(DeprecationWarning):
        assert shim.plan is fft.plan
