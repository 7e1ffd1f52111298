"""The power spectrum of real images as a few dense MatMuls: an exported graph without a DFT operator.

onnxruntime's CUDA provider has no kernel for the ONNX ``DFT`` operator
(https://github.com/microsoft/onnxruntime/issues/21164) and its CPU kernel is slow (radix-2 for powers of two,
naive otherwise: https://github.com/microsoft/onnxruntime/issues/8944); tf2onnx's own conversion of
``rfft2d`` is one full-size DFT matrix per axis (O(N^3) per image). :func:`power_columns` computes
``|rfft2d(gray)|^2`` with the four-step (Cooley-Tukey) algorithm instead, for any ``N = N1 x N2``:

* each axis of length ``N`` is viewed as ``(N2, N1)`` (``n = n1 + N1 n2``); a DFT of length ``N2`` over the
  outer index, then, for each of its outputs ``k2``, a DFT of length ``N1`` over the inner index with the
  twiddle factors ``exp(-2 pi i n1 k2 / N)`` folded into its matrix, gives ``X[N2 k1 + k2]``;
* every step contracts the *leading* axis of a 2-D (or batched 2-D) array with a small constant matrix,
  so the batch sits on the last axis (one transpose at the start) and each MatMul is a large GEMM;
* the image is real: the first step along the height computes only ``k2 <= N2 // 2`` (the other outputs are
  complex conjugates), which with the Hermitian mirror still covers the whole plane: about half of the
  spectrum is computed, each coefficient once or as its mirror;
* the second axis is transformed as complex data with the real and imaginary parts stacked on the
  contracted axis of each MatMul, and a single transpose (the last axis, the batch, stays in place) turns
  the height's outputs into the width's inputs.

The coefficients come out in the order the algorithm leaves them in (digit-reversed, see
:attr:`FourStepPlan.rows` / :attr:`FourStepPlan.columns`), batch last; :func:`half_plane_positions` says
where each coefficient of ``rfft2d``'s half plane is, so that the bin sums of the azimuthal integral gather
from this layout directly (:func:`upconv_tf.layers.azimuthal.profile_from_columns`).

Cost per image: about ``H W (H2 + 2 H1 + 2 W1 + 2 W2)`` multiply-adds (1024 px: 230 M, 256 px: 7.5 M, a
full-size MatMul DFT 1,600 M / 50 M) in four MatMuls and two transposes; tf2onnx converts every step to
MatMul, Transpose, Reshape, Mul and ReduceSum, which the CUDA provider implements.

The spectrum refiner (:class:`upconv_tf.models.refiner.SpectrumRefiner`) edits the magnitude of the whole
(centred) plane and inverts it, so it needs the complex coefficients in their natural places, and the way back:

* :func:`complex_dft2`: real ``(B, H, W)`` -> real and imaginary parts of ``fft2``, optionally
  ``fftshift``-ed (DC at ``(H // 2, W // 2)``), as two separable MatMuls per image (one per axis, real and
  imaginary parts stacked on the contracted axis) with the shift folded into the rows of the DFT matrices;
* :func:`inverse_real_dft2`: the real part of ``ifft2`` of such a spectrum (``ifftshift`` folded into the
  columns). The real part is the inverse of the spectrum's Hermitian part, ``(X(k) + conj X(-k)) / 2``: an
  edited magnitude that is not symmetric still gives a real image, the one ``irfft2`` would give for the
  symmetrised spectrum.

These cost ``6 N^3`` multiply-adds per N x N plane each way (64 px: 1.6 M, 256 px: 100 M) instead of the
four-step's ``N^2 (N1 + N2)``: for the refiner, whose U-Net costs far more per pixel, the natural order and the
folded shift are worth it. Both run in TensorFlow as ``tf.matmul`` and convert to ONNX MatMul, Transpose and
Reshape.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np


def split(n: int, inner_cost: int = 1) -> tuple:
    """``(inner, outer)`` factors of ``n`` (``inner * outer == n``) that minimise ``outer + inner_cost * inner``.

    That sum is the multiply-adds per coefficient of the two MatMuls of one axis in :func:`power_columns`:
    ``outer + 2 inner`` along the height (its first step sees a real signal), ``2 (outer + inner)`` along
    the width. A prime ``n`` gives ``(1, n)``: one full DFT matrix.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"`n` must be a positive integer. Received: n={n}")
    pairs = [(a, n // a) for a in range(1, n + 1) if n % a == 0]
    return min(pairs, key=lambda pair: (pair[1] + inner_cost * pair[0], pair[0]))


@dataclasses.dataclass(frozen=True)
class FourStepPlan:
    """Constant matrices and output order of the four-step real 2-D DFT of an ``height x width`` image.

    Attributes:
        height, width: image size; ``height = h1 * h2`` and ``width = w1 * w2``.
        h1, h2, w1, w2: inner and outer factors of each axis (:func:`split`).
        first: ``(2 K, h2)`` length-``h2`` DFT of a real signal, rows ``(k2, re/im)``, ``K = h2 // 2 + 1``.
        second: ``(K, 2 h1, 2 h1)`` length-``h1`` DFTs with the twiddles of each ``k2``, rows and columns
            ``(re/im, k1)``.
        third: ``(2 w2, 2 w2)`` length-``w2`` complex DFT, rows ``(k2, re/im)``, columns ``(re/im, n2)``.
        fourth: ``(w2, 2 w1, 2 w1)`` length-``w1`` complex DFTs with the twiddles of each ``k2``, rows
            ``(re/im, k1)``, columns ``(re/im, n1)``.
        rows: ``(positions,)`` vertical frequency of each output coefficient.
        columns: ``(positions,)`` horizontal frequency of each output coefficient, in ``[0, width)``.
    """

    height: int
    width: int
    h1: int
    h2: int
    w1: int
    w2: int
    first: np.ndarray
    second: np.ndarray
    third: np.ndarray
    fourth: np.ndarray
    rows: np.ndarray
    columns: np.ndarray

    @property
    def positions(self) -> int:
        """Number of output coefficients per image (about half the plane)."""
        return int(self.rows.size)


def _twiddled_dft(n1, n2, k2):
    """``exp(-2 pi i n1 (n2 k1 + k2) / (n1 n2))`` as ``(cos, sin)``, rows ``k1``, columns ``n1``."""
    inner = np.arange(n1)
    angle = 2 * np.pi * np.outer(n2 * inner + k2, inner) / (n1 * n2)
    return np.cos(angle), np.sin(angle)


def _complex_left(cos, sin):
    """Real form of ``(cos - i sin) @ (a + i b)`` on stacked ``[a; b]``: rows ``[re; im]``."""
    return np.block([[cos, sin], [-sin, cos]])


@functools.lru_cache(maxsize=32)
def plan(height: int, width: int) -> FourStepPlan:
    """Compute (and cache) the :class:`FourStepPlan` of an ``height x width`` image."""
    height, width = int(height), int(width)
    if height < 1 or width < 1:
        raise ValueError(f"The image size must be positive. Received: height={height}, width={width}")
    h1, h2 = split(height, inner_cost=2)
    w1, w2 = split(width)
    k = h2 // 2 + 1
    angle = 2 * np.pi * np.outer(np.arange(k), np.arange(h2)) / h2
    first = np.stack([np.cos(angle), -np.sin(angle)], axis=1).reshape(2 * k, h2)
    second = np.stack([_complex_left(*_twiddled_dft(h1, h2, k2)) for k2 in range(k)])
    cos, sin = _twiddled_dft(w2, 1, 0)  # a plain length-w2 DFT (n2 = 1: no twiddle)
    third = _complex_left(cos, sin).reshape(2, w2, 2 * w2).transpose(1, 0, 2).reshape(2 * w2, 2 * w2)
    fourth = np.stack([_complex_left(*_twiddled_dft(w1, w2, k2)) for k2 in range(w2)])
    # Output order (k2 of the width, k1 of the width, k2 of the height, k1 of the height).
    k2w, k1w, k2h, k1h = np.meshgrid(np.arange(w2), np.arange(w1), np.arange(k), np.arange(h1), indexing="ij")
    rows = (h2 * k1h + k2h).ravel() % height
    columns = (w2 * k1w + k2w).ravel()
    arrays = dict(first=first, second=second, third=third, fourth=fourth, rows=rows, columns=columns)
    for array in arrays.values():
        array.setflags(write=False)
    return FourStepPlan(height, width, h1, h2, w1, w2, **arrays)


@functools.lru_cache(maxsize=32)
def half_plane_positions(height: int, width: int) -> np.ndarray:
    """``(height * (width // 2 + 1),)`` int32: for each coefficient of ``rfft2d``'s half plane (row-major),
    the position in :func:`power_columns`' output that holds it or its Hermitian mirror (same power)."""
    steps = plan(height, width)
    half = width // 2 + 1
    found = np.full(height * half, -1, np.int64)
    rows, columns = steps.rows.astype(np.int64), steps.columns.astype(np.int64)
    for row, column in ((rows, columns), ((-rows) % height, (-columns) % width)):  # itself, its mirror
        inside = column < half
        flat = row[inside] * half + column[inside]
        position = np.flatnonzero(inside)
        unset = found[flat] < 0
        found[flat[unset]] = position[unset]
    if (found < 0).any():  # cannot happen: the first axis keeps k2 <= h2 // 2, the mirror covers the rest
        raise AssertionError(f"four-step plan {height} x {width} misses {(found < 0).sum()} coefficients")
    found = found.astype(np.int32)
    found.setflags(write=False)
    return found


def power_columns(gray, dtype="float32"):
    """``|rfft2d(gray)|^2`` in the four-step order, batch last: ``(B, H, W)`` -> ``(positions, B)``.

    Args:
        gray: ``(B, H, W)`` real tensor with a static ``H`` and ``W``.
        dtype: ``"float32"`` or ``"float64"``, the precision of the MatMuls (``gray`` is cast to it).

    Returns:
        ``(plan.positions, B)`` tensor of ``dtype``; row ``p`` is the power of the coefficient
        ``(plan.rows[p], plan.columns[p])``.

    Example:

    >>> power = power_columns(tf.random.uniform([2, 64, 64]))  # doctest: +SKIP
    >>> power.shape  # doctest: +SKIP
    TensorShape([2112, 2])
    """
    import tensorflow as tf

    height, width = gray.shape[-2], gray.shape[-1]
    steps = plan(height, width)
    h1, h2, w1, w2 = steps.h1, steps.h2, steps.w1, steps.w2
    k = h2 // 2 + 1

    def const(array):
        # numpy, not tf.constant: inside a traced function it becomes an ONNX initializer, not an input.
        return np.asarray(array, dtype)

    x = tf.transpose(tf.reshape(tf.cast(gray, dtype), [-1, height * width]))  # (H W, B): h2 leads
    y = tf.matmul(const(steps.first), tf.reshape(x, [h2, -1]))  # (2 K, h1 W B)
    y = tf.matmul(const(steps.second), tf.reshape(y, [k, 2 * h1, -1]))  # (K, 2 h1, W B)
    # (K, re/im, h1, w2, w1, B) -> (re/im, w2, w1, K, h1, B): the width's outer index leads, B stays last.
    y = tf.transpose(tf.reshape(y, [k, 2, h1, w2, w1, -1]), [1, 3, 4, 0, 2, 5])
    y = tf.matmul(const(steps.third), tf.reshape(y, [2 * w2, -1]))  # (w2 (k2, re/im), w1 K h1 B)
    y = tf.matmul(const(steps.fourth), tf.reshape(y, [w2, 2 * w1, -1]))  # (w2, (re/im, k1), K h1 B)
    power = tf.reduce_sum(tf.square(tf.reshape(y, [w2, 2, -1])), axis=1)
    return tf.reshape(power, [steps.positions, -1])


@functools.lru_cache(maxsize=32)
def dft_matrix(n: int, shift: bool = False) -> tuple:
    """``(cos, sin)`` of the length-``n`` DFT angle ``2 pi k m / n``, rows ``k`` (frequency), columns ``m``.

    ``exp(-2 pi i k m / n) = cos - i sin``. With ``shift`` the rows are in ``fftshift`` order (row ``j`` is the
    frequency ``(j - n // 2) mod n``), so that a forward transform comes out centred and an inverse one (which
    contracts the rows) takes a centred spectrum. Read-only float64 arrays, cached.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"`n` must be a positive integer. Received: n={n}")
    frequencies = np.arange(n)
    if shift:
        frequencies = np.fft.fftshift(frequencies)
    # k m mod n keeps the angle small (exact cos/sin for large n).
    angle = 2 * np.pi * (np.outer(frequencies, np.arange(n)) % n) / n
    cos, sin = np.cos(angle), np.sin(angle)
    cos.setflags(write=False)
    sin.setflags(write=False)
    return cos, sin


def _check_planes(x, name):
    if x.shape.rank != 3 or x.shape[-2] is None or x.shape[-1] is None:
        raise ValueError(f"`{name}` must be (B, H, W) with a static H and W. Received: shape={tuple(x.shape)}")
    return int(x.shape[-2]), int(x.shape[-1])


def complex_dft2(x, shift: bool = True, dtype="float32"):
    """Real and imaginary parts of ``fft2(x)`` over the last two axes, computed with MatMuls.

    Args:
        x: ``(B, H, W)`` real tensor with a static ``H`` and ``W``.
        shift: centre the spectrum like ``np.fft.fftshift`` (DC at ``(H // 2, W // 2)``).
        dtype: ``"float32"`` or ``"float64"``, the precision of the MatMuls (``x`` is cast to it).

    Returns:
        ``(real, imag)``, two ``(B, H, W)`` tensors of ``dtype``.

    Example:

    >>> real, imag = complex_dft2(tf.random.uniform([2, 32, 32]))  # doctest: +SKIP
    >>> real.shape  # doctest: +SKIP
    TensorShape([2, 32, 32])
    """
    import tensorflow as tf

    x = tf.cast(tf.convert_to_tensor(x), dtype)
    height, width = _check_planes(x, "x")
    cos_w, sin_w = dft_matrix(width, shift)
    cos_h, sin_h = dft_matrix(height, shift)
    # Along the width, real input: [Re | Im] = x @ [cos^T | -sin^T], (B, H, 2W).
    rows = tf.matmul(x, np.asarray(np.concatenate([cos_w.T, -sin_w.T], axis=1), dtype))
    # Real and imaginary parts stacked on the height: (B, 2H, W).
    stacked = tf.reshape(tf.transpose(tf.reshape(rows, [-1, height, 2, width]), [0, 2, 1, 3]), [-1, 2 * height, width])
    # Along the height, complex input: (cos - i sin)(a + i b) = (cos a + sin b) + i (cos b - sin a).
    left = np.block([[cos_h, sin_h], [-sin_h, cos_h]])
    both = tf.matmul(np.asarray(left, dtype), stacked)
    return both[:, :height], both[:, height:]


def inverse_real_dft2(real, imag, shift: bool = True, dtype="float32"):
    """The real part of ``ifft2(real + i imag)`` over the last two axes, computed with MatMuls.

    Args:
        real, imag: ``(B, H, W)`` parts of a spectrum (static ``H`` and ``W``), centred when ``shift``.
        shift: the spectrum is centred (``fftshift`` order, as :func:`complex_dft2` with ``shift=True`` gives).
        dtype: ``"float32"`` or ``"float64"``.

    Returns:
        ``(B, H, W)`` tensor of ``dtype``: ``x`` for the spectrum of a real ``x``; for any other spectrum, the image
        of its Hermitian part (module docstring).
    """
    import tensorflow as tf

    real, imag = (tf.cast(tf.convert_to_tensor(part), dtype) for part in (real, imag))
    height, width = _check_planes(real, "real")
    if tuple(imag.shape[-2:]) != (height, width):
        raise ValueError(f"`imag` must have the shape of `real` {tuple(real.shape)}. Received: {tuple(imag.shape)}")
    cos_w, sin_w = dft_matrix(width, shift)
    cos_h, sin_h = dft_matrix(height, shift)
    # Along the height (contracting the frequency rows): (cos + i sin)^T (a + i b), parts stacked, (B, 2H, W).
    left = np.block([[cos_h.T, -sin_h.T], [sin_h.T, cos_h.T]])
    columns = tf.matmul(np.asarray(left, dtype), tf.concat([real, imag], axis=1))
    # (B, H, 2W) [Re | Im], then the real part along the width: Re @ cos - Im @ sin, with the 1 / (H W).
    side = tf.reshape(tf.transpose(tf.reshape(columns, [-1, 2, height, width]), [0, 2, 1, 3]), [-1, height, 2 * width])
    right = np.concatenate([cos_w, -sin_w], axis=0) / (height * width)
    return tf.matmul(side, np.asarray(right, dtype))
