"""``inksight_sdk.filters`` gives scipy.ndimage's numbers (scipy is here as scikit-image's dependency)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from inksight_sdk.filters import distance_to_paper, gaussian_1d, label, label_members, median_1d
from inksight_sdk.tracing.skeleton import skeletonize_mask

masks = arrays(bool, st.tuples(st.integers(1, 24), st.integers(1, 24)))
series = arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3))
MODES = ["nearest", "wrap", "reflect", "constant"]


@settings(max_examples=150, deadline=None)
@given(masks, st.sampled_from([4, 8]))
def test_label_numbers_components_like_scipy(mask: np.ndarray, connectivity: int) -> None:
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    expected, expected_count = ndimage.label(mask, structure=structure)
    labels, count = label(mask, connectivity=connectivity)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_label_numbers_a_large_speckled_mask_like_scipy(connectivity: int) -> None:
    # thousands of components on a page-sized mask, where OpenCV may label in parallel stripes
    mask = np.random.default_rng(connectivity).random((1500, 1100)) < 0.45
    structure = np.ones((3, 3), bool) if connectivity == 8 else None
    expected, expected_count = ndimage.label(mask, structure=structure)
    labels, count = label(mask, connectivity=connectivity)
    assert count == expected_count > 1000
    np.testing.assert_array_equal(labels, expected)


@settings(max_examples=100, deadline=None)
@given(masks)
def test_label_members_lists_each_component_in_raster_order(mask: np.ndarray) -> None:
    labels, count = label(mask)
    members = label_members(labels, count)
    assert len(members) == count
    for k, idx in enumerate(members, start=1):
        np.testing.assert_array_equal(idx, np.flatnonzero(labels.ravel() == k))


@settings(max_examples=150, deadline=None)
@given(series, st.floats(0.3, 6.0), st.sampled_from(MODES))
def test_gaussian_matches_gaussian_filter1d(values: np.ndarray, sigma: float, mode: str) -> None:
    expected = ndimage.gaussian_filter1d(values, sigma, mode=mode)
    np.testing.assert_allclose(gaussian_1d(values, sigma, mode=mode), expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(masks)
def test_distance_to_paper_matches_distance_transform_edt(mask: np.ndarray) -> None:
    expected = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]  # the image's edge is paper
    np.testing.assert_allclose(distance_to_paper(mask), expected, atol=1e-4)


def _blobs() -> list[np.ndarray]:
    """Pen-blot masks on which OpenCV's exact distance transform once read differently by buffer alignment."""
    blobs = []
    for seed in range(10):
        noise = np.random.default_rng(seed).random((50, 33))
        blobs.append(ndimage.gaussian_filter(noise, 3) > 0.5)
    return blobs


def test_the_distance_to_paper_does_not_depend_on_where_arrays_lie_in_memory() -> None:
    """The same mask gives the same bits, whatever the heap holds (a word traced in a helper and here agree)."""
    for mask in _blobs():
        seen = set()
        held = []  # allocations of assorted sizes, kept alive, move where the next arrays start
        for size in np.random.default_rng(0).integers(1, 100_000, 40):
            held.append(np.empty(int(size), np.uint8))
            seen.add(skeletonize_mask(mask).distance.tobytes())
        assert len(seen) == 1


def test_gaussian_filters_each_column_of_points() -> None:
    points = np.random.default_rng(0).normal(size=(30, 2)) * 10
    expected = ndimage.gaussian_filter1d(points, 1.5, axis=0, mode="nearest")
    np.testing.assert_allclose(gaussian_1d(points, 1.5, mode="nearest"), expected, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(series, st.integers(0, 6), st.sampled_from(["reflect", "wrap", "nearest"]))
def test_median_matches_median_filter(values: np.ndarray, half: int, mode: str) -> None:
    size = 2 * half + 1
    # (windows more than 8x the array's length, which the tracer never uses, are where scipy's own
    # extension of a reflected array departs from numpy's symmetric padding)
    assume(size <= 8 * len(values))
    np.testing.assert_array_equal(
        median_1d(values, size, mode=mode), ndimage.median_filter(values, size=size, mode=mode)
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="connectivity"):
        label(np.ones((2, 2), bool), connectivity=6)
    with pytest.raises(ValueError, match="odd"):
        median_1d(np.arange(5.0), 4)
