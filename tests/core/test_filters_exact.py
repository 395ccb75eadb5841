"""The speed-ups in ``inksight_sdk.filters`` give the very numbers and components of what they replace.

The tracer's output must not move by a bit when a per-path helper gets
cheaper, so these compare exactly, not within a tolerance.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from inksight_sdk.filters import label, label_any_order, median

masks = arrays(bool, st.tuples(st.integers(1, 24), st.integers(1, 24)))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([np.float64, np.float32, np.uint8, np.int64]).flatmap(
        lambda dtype: arrays(dtype, st.integers(1, 60), elements=st.integers(0, 255))
    )
)
def test_median_is_numpys_median(values: np.ndarray) -> None:
    assert median(values) == float(np.median(values))


def test_median_of_floats_between_two_middle_values() -> None:
    rng = np.random.default_rng(0)
    for n in (2, 3, 10, 11, 1000):
        for dtype in (np.float64, np.float32):
            values = (rng.random(n) * 37.3).astype(dtype)
            assert median(values) == float(np.median(values))
            assert median(values.reshape(-1, 1)) == float(np.median(values))


@settings(max_examples=150, deadline=None)
@given(masks, st.sampled_from([4, 8]))
def test_label_any_order_finds_the_same_components(mask: np.ndarray, connectivity: int) -> None:
    ordered, count = label(mask, connectivity=connectivity)
    anyhow, other_count = label_any_order(mask, connectivity=connectivity)
    assert other_count == count
    assert np.array_equal(anyhow > 0, mask)
    # one to one: each component of one labelling is exactly one component of the other
    pairs = {(int(a), int(b)) for a, b in zip(ordered[mask], anyhow[mask])}
    assert len(pairs) == count == len({a for a, _ in pairs}) == len({b for _, b in pairs})
