"""SpectralFeatures: a stateless scikit-learn transformer, the one feature step of the detector, CLI and TFX."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from upconv_tf import spectral
from upconv_tf.detection import FEATURE_KINDS, SpectralDetector, SpectralFeatures


def test_fit_learns_nothing_and_params_round_trip(rng):
    features = SpectralFeatures(mode="centered", normalize=None, num_bins=12, size=(32, 40))
    assert features.get_params() == {"mode": "centered", "normalize": None, "num_bins": 12, "size": (32, 40),
                                     "kind": "azimuthal"}
    images = rng.random((3, 32, 32, 3))
    before = features.transform(images)  # no fit needed
    assert features.fit(images) is features
    assert not [name for name in vars(features) if name.endswith("_")]
    np.testing.assert_array_equal(features.transform(images), before)
    np.testing.assert_array_equal(clone(features).fit_transform(images), before)
    assert set(FEATURE_KINDS) == {"azimuthal", "rings-cells-colour", "hybrid"}


def test_transform_is_the_azimuthal_integral(rng):
    images = rng.random((5, 48, 48, 3))
    for mode in spectral.MODES:
        for normalize in spectral.NORMALIZATIONS:
            got = SpectralFeatures(mode, normalize).transform(images)
            np.testing.assert_array_equal(got, spectral.azimuthal_integral(images, mode, normalize))
    gray = images[..., 0]
    np.testing.assert_array_equal(SpectralFeatures().transform(gray),
                                  spectral.azimuthal_integral(gray[..., None], "reference", "minmax"))


def test_profile_length_rules_for_images_of_any_size(rng):
    small, large = rng.random((40, 48, 3)), rng.random((64, 64, 3))
    native_small = spectral.num_bins(40, 48, "reference")
    # No num_bins, no size: one size keeps its native length, mixed sizes the shortest native one.
    assert SpectralFeatures().transform([large, large]).shape == (2, spectral.num_bins(64, 64, "reference"))
    mixed = SpectralFeatures().transform([large, small])
    assert mixed.shape == (2, native_small)
    np.testing.assert_allclose(mixed[0], spectral.azimuthal_integral(large, "reference", "minmax", native_small))
    np.testing.assert_array_equal(mixed[1], spectral.azimuthal_integral(small, "reference", "minmax"))
    # size: the native length of that size, whatever the images.
    by_size = SpectralFeatures(size=(40, 48))
    assert by_size.num_features() == native_small and by_size.transform([large]).shape == (1, native_small)
    # num_bins wins over size.
    assert SpectralFeatures(num_bins=7, size=64).transform([small, large]).shape == (2, 7)
    assert SpectralFeatures(num_bins=7).get_feature_names_out().tolist() == [f"azimuthal_{k}" for k in range(7)]
    assert len(SpectralFeatures(size=64).get_feature_names_out()) == spectral.num_bins(64, 64, "reference")
    with pytest.raises(ValueError, match="depends on the image size"):
        SpectralFeatures().get_feature_names_out()


@pytest.mark.parametrize("params, message", [
    ({"mode": "polar"}, "mode"),
    ({"normalize": "zscore"}, "normalize"),
    ({"num_bins": 1}, "num_bins"),
    ({"num_bins": 2.5}, "num_bins"),
    ({"size": "big"}, "size"),
    ({"size": (32, 32, 3)}, "size"),
    ({"size": 3}, "size"),
    ({"kind": "wavelet"}, "kind"),
])
def test_bad_params_are_named(rng, params, message):
    with pytest.raises(ValueError, match=f"`{message}`.*Received"):
        SpectralFeatures(**params).fit(rng.random((2, 32, 32, 3)))


def test_bad_inputs_are_named(rng):
    with pytest.raises(ValueError, match="must be images"):
        SpectralFeatures().transform(rng.random((4, 43)))
    with pytest.raises(ValueError, match="no images"):
        SpectralFeatures().transform(np.zeros((0, 32, 32, 3)))
    with pytest.raises(ValueError, match="at least 6 x 6"):
        SpectralFeatures().transform([rng.random((4, 4, 3))])


def test_in_a_scikit_learn_pipeline_across_image_sizes(crops64):
    from upconv_tf.fakes import make_fakes

    real = crops64.images[:24]
    fake = make_fakes(crops64.images[24:48], "transconv")
    X, y = np.concatenate([real, fake]), np.r_[np.zeros(24), np.ones(24)]
    pipeline = make_pipeline(SpectralFeatures(size=64), StandardScaler(), LogisticRegression()).fit(X, y)
    assert pipeline.score(X, y) > 0.9
    assert pipeline.predict(np.pad(X[:3], ((0, 0), (8, 8), (8, 8), (0, 0)), mode="reflect")).shape == (3,)


def test_the_detector_computes_its_features_with_the_transformer(rng):
    mixed = [rng.random((32 + 4 * i, 40 + 2 * i, 3)) for i in range(8)]
    y = np.arange(8) % 2
    detector = SpectralDetector("logreg").fit(mixed, y)
    transformer = detector.feature_transformer()
    assert isinstance(transformer, SpectralFeatures) and transformer.num_bins == detector.num_bins_
    np.testing.assert_array_equal(detector.features(mixed), SpectralFeatures().transform(mixed))
    other = [rng.random((100, 90, 3))]
    np.testing.assert_array_equal(detector.features(other), transformer.transform(other))
    assert SpectralDetector("logreg", mode="centered").feature_transformer().get_params()["mode"] == "centered"
