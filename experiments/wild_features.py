"""Issue 13 research: the "wild" spectral features, in numpy and as one TensorFlow graph exported to ONNX.

Research script (not a package module): it fixes the feature definition recommended in the issue-13
research notes precisely enough to port it, and checks that it is one graph: numpy and TensorFlow agree,
and the TensorFlow function converts to ONNX (``upconv_tf.export.onnx.function_to_onnx``) and runs in
onnxruntime with the same values.

Features of an S x S RGB crop in [0, 1] (S even), per channel ``c`` in Y (BT.601 gray), Cb' = B - Y,
Cr' = R - Y, each minus its own mean; ``P = |rfft2(c)|^2 / S^2`` (power), ``L = 10 log10(P + 1e-10)`` (dB):

* rings ``k = 1 .. S/2 - 1`` (``floor(hypot(fy, fx) + 0.5)``, the package's "centered" bins, DC dropped), means
  over the full plane, then averaged in runs of ``RING_POOL`` rings (the last incomplete run dropped):
  ``ai`` = ring mean of L_Y minus its mean over rings; ``gap`` = 10 log10(ring mean of P_Y) - ring mean of
  L_Y (peakiness: ~2.5 dB for a noise-like ring, more where periodic peaks sit); ``std`` = ring standard
  deviation of L_Y; ``cb``, ``cr`` = ring mean of L_C minus that of L_Y (colour spectra relative to luma);
  ``cb_gap``, ``cr_gap`` = the gap of each chroma channel;
* cells: the plane folded over the signs of fy and fx (|fy|, |fx| < S/2) cut into ``CELLS`` x ``CELLS`` cells
  (``floor(CELLS * |f| / (S/2))``): ``blk`` = cell mean of L_Y minus its mean over cells; ``blk_gap`` = the gap
  per cell (where the 2-D peaks of up-sampling grids sit, along axes and diagonals).

Only ``tf.abs(tf.signal.rfft2d(.))``, elementwise maths and constant matrix products: the FFT converts to
ONNX (SPEC s. 6). The ring and cell sums use dense constant matrices here (fine at 192 px: 18,624 x 332
floats); the package should use the gather plan of ``upconv_tf.spectral.reduction_plan`` generalised to
any bin map, which stays O(H * W) at 1024 px.

Run: ``python experiments/wild_features.py`` (a few seconds; prints the largest numpy/TF/ONNX differences).
"""

from __future__ import annotations

import functools
import os
import tempfile

import numpy as np

GRAY = (0.2989, 0.5870, 0.1140)
RING_POOL = 3
CELLS = 12
EPS = 1e-10


@functools.lru_cache(maxsize=8)
def reduction_matrices(size: int):
    """(S * (S//2 + 1), n) matrices summing half-plane values into ring / cell *means* over the full plane,
    and the number of rings and cells. Hermitian mirrors are counted by weights (2 for 0 < fx < S/2)."""
    half = size // 2
    fy = np.fft.fftfreq(size) * size
    fx = np.arange(half + 1, dtype=np.float64)
    weight = np.where((fx > 0) & (fx < half), 2.0, 1.0)[None, :].repeat(size, 0)
    ring = np.floor(np.hypot(fy[:, None], fx[None, :]) + 0.5).astype(np.int64)
    rings = half - 1  # k = 1 .. S/2 - 1
    ring_matrix = np.zeros((size * (half + 1), rings))
    for k in range(1, half):
        member = (ring == k) * weight
        ring_matrix[:, k - 1] = member.ravel() / member.sum()
    afy, afx = np.abs(fy)[:, None].repeat(half + 1, 1), fx[None, :].repeat(size, 0)
    inside = (afy < half) & (afx < half)
    cy = np.minimum((CELLS * afy / half).astype(np.int64), CELLS - 1)
    cx = np.minimum((CELLS * afx / half).astype(np.int64), CELLS - 1)
    cell = cy * CELLS + cx
    cell_matrix = np.zeros((size * (half + 1), CELLS * CELLS))
    for c in range(CELLS * CELLS):
        member = ((cell == c) & inside) * weight
        cell_matrix[:, c] = member.ravel() / member.sum()
    pools = (rings // RING_POOL)
    pool_matrix = np.zeros((rings, pools))
    for j in range(pools):
        pool_matrix[j * RING_POOL:(j + 1) * RING_POOL, j] = 1.0 / RING_POOL
    return ring_matrix @ pool_matrix, cell_matrix


def numpy_features(images: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) float in [0, 1] -> (N, 7 * pools + 2 * CELLS^2) float64 features (module docstring)."""
    images = np.asarray(images, np.float64)
    n, size = images.shape[0], images.shape[1]
    ring_m, cell_m = reduction_matrices(size)
    y = images @ np.array(GRAY)
    chans = {"y": y, "cb": images[..., 2] - y, "cr": images[..., 0] - y}
    stats = {}
    for name, c in chans.items():
        c = c - c.mean(axis=(1, 2), keepdims=True)
        power = np.abs(np.fft.rfft2(c)) ** 2 / size**2
        log = 10 * np.log10(power + EPS)
        flat_p, flat_l = power.reshape(n, -1), log.reshape(n, -1)
        stats[name] = {"ml": flat_l @ ring_m, "lm": 10 * np.log10(flat_p @ ring_m + EPS),
                       "ml2": (flat_l**2) @ ring_m, "cml": flat_l @ cell_m, "clm": 10 * np.log10(flat_p @ cell_m + EPS)}
    s = stats["y"]
    blocks = [s["ml"] - s["ml"].mean(1, keepdims=True), s["lm"] - s["ml"],
              np.sqrt(np.maximum(s["ml2"] - s["ml"] ** 2, 0.0)),
              stats["cb"]["ml"] - s["ml"], stats["cr"]["ml"] - s["ml"],
              stats["cb"]["lm"] - stats["cb"]["ml"], stats["cr"]["lm"] - stats["cr"]["ml"],
              s["cml"] - s["cml"].mean(1, keepdims=True), s["clm"] - s["cml"]]
    return np.concatenate(blocks, axis=1)


def tf_features(size: int):
    """``tf.function`` (N, S, S, 3) float32 -> (N, features) float32, the graph twin of :func:`numpy_features`."""
    import tensorflow as tf

    ring_np, cell_np = (m.astype(np.float32) for m in reduction_matrices(size))
    ln10 = float(np.log(10.0))

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32, name="images")])
    def features(images):
        # Constants made inside the function are embedded in the graph (captured ones become inputs).
        ring_m, cell_m = tf.constant(ring_np), tf.constant(cell_np)
        y = tf.tensordot(images, tf.constant(GRAY, tf.float32), axes=[[3], [0]])
        chans = {"y": y, "cb": images[..., 2] - y, "cr": images[..., 0] - y}
        stats = {}
        for name, c in chans.items():
            c = c - tf.reduce_mean(c, axis=[1, 2], keepdims=True)
            magnitude = tf.abs(tf.signal.rfft2d(c))  # ComplexAbs is the FFT's only consumer (ONNX)
            power = tf.square(magnitude) / float(size * size)
            log = (10.0 / ln10) * tf.math.log(power + EPS)
            flat_p = tf.reshape(power, [-1, size * (size // 2 + 1)])
            flat_l = tf.reshape(log, [-1, size * (size // 2 + 1)])
            stats[name] = {"ml": flat_l @ ring_m, "lm": (10.0 / ln10) * tf.math.log(flat_p @ ring_m + EPS),
                           "ml2": tf.square(flat_l) @ ring_m, "cml": flat_l @ cell_m,
                           "clm": (10.0 / ln10) * tf.math.log(flat_p @ cell_m + EPS)}
        s = stats["y"]
        blocks = [s["ml"] - tf.reduce_mean(s["ml"], 1, keepdims=True), s["lm"] - s["ml"],
                  tf.sqrt(tf.maximum(s["ml2"] - tf.square(s["ml"]), 0.0)),
                  stats["cb"]["ml"] - s["ml"], stats["cr"]["ml"] - s["ml"],
                  stats["cb"]["lm"] - stats["cb"]["ml"], stats["cr"]["lm"] - stats["cr"]["ml"],
                  s["cml"] - tf.reduce_mean(s["cml"], 1, keepdims=True), s["clm"] - s["cml"]]
        return {"features": tf.concat(blocks, axis=1)}

    return features


def main():
    import onnxruntime as ort
    import tensorflow as tf

    from upconv_tf.datasets import bundled_crops
    from upconv_tf.export.onnx import function_to_onnx

    size = 192
    crops = bundled_crops(size, 8, seed=0).images
    reference = numpy_features(crops)
    function = tf_features(size)
    graph = function(tf.constant(crops))["features"].numpy()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "features.onnx")
        function_to_onnx(function, [tf.TensorSpec([None, size, size, 3], tf.float32, "images")], path, ["features"])
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        onnx_out = session.run(None, {"images": crops.astype(np.float32)})[0]
    scale = np.abs(reference).max()
    print(f"{reference.shape[1]} features at {size} px; max |TF - numpy| = {np.abs(graph - reference).max():.2e}, "
          f"max |ONNX - TF| = {np.abs(onnx_out - graph).max():.2e} (largest feature {scale:.1f} dB)")


if __name__ == "__main__":
    main()
