"""Crop geometry: page -> crop -> page is exact, and the pixels land where the matrix says."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inksight_sdk.geometry import crop_word, plan_crop, quad_frame
from inksight_sdk.stages import CropSpec


def rotated_rect(cx, cy, w, h, angle_deg):
    th = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    base = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return base @ rot.T + [cx, cy]


specs = st.one_of(
    st.builds(CropSpec, size=st.sampled_from([64, 224, 384]), margin=st.integers(0, 20)),
    st.builds(CropSpec, size=st.none(), scale=st.floats(0.3, 4.0), margin=st.integers(0, 20)),
)


@settings(max_examples=300, deadline=None)
@given(
    cx=st.floats(-500, 5000),
    cy=st.floats(-500, 5000),
    w=st.floats(2, 2000),
    h=st.floats(2, 600),
    angle=st.floats(-180, 180),
    shear=st.floats(-0.3, 0.3),
    spec=specs,
    u=st.lists(st.tuples(st.floats(-0.2, 1.2), st.floats(-0.2, 1.2)), min_size=1, max_size=20),
)
def test_round_trip_rotated_quads_is_exact(cx, cy, w, h, angle, shear, spec, u):
    quad = rotated_rect(cx, cy, w, h, angle)
    quad[:2] += shear * (quad[3] - quad[0])  # a parallelogram, as skewed detectors report
    transform = plan_crop(quad, spec)
    frame, fw, fh = quad_frame(quad)
    # points spread over (and around) the word
    pts = quad[0] + np.array(u)[:, :1] * (quad[1] - quad[0]) + np.array(u)[:, 1:] * (quad[3] - quad[0])
    back = transform.to_page(transform.to_crop(pts))
    assert np.abs(back - pts).max() < 0.01
    # the word's corners land inside the crop canvas (with its margin) in the upright frame
    corners = transform.to_crop(quad)
    assert corners[:, 0].min() >= -0.01 and corners[:, 1].min() >= -0.01
    assert corners[:, 0].max() <= transform.width + 0.01 and corners[:, 1].max() <= transform.height + 0.01
    if spec.size is not None:
        assert transform.width == transform.height == spec.size


@settings(max_examples=40, deadline=None)
@given(angle=st.floats(-180, 180), spec=specs, dx=st.integers(-30, 30), dy=st.integers(-8, 8))
def test_crop_pixels_follow_the_matrix(angle, spec, dx, dy):
    """A dark dot on the page appears in the crop where ``to_crop`` says (within a pixel)."""
    image = np.full((300, 400, 3), 255, np.uint8)
    x, y = 200 + dx, 150 + dy
    image[y - 2 : y + 3, x - 2 : x + 3] = 0  # 5x5 dot centred on (x, y)
    quad = rotated_rect(200, 150, 90, 30, angle)
    transform = plan_crop(quad, spec)
    crop = crop_word(image, transform)
    darkness = 255.0 - crop[..., 0]
    if darkness.sum() < 1:
        return
    cy_, cx_ = np.indices(darkness.shape)
    found = np.array([(darkness * cx_).sum(), (darkness * cy_).sum()]) / darkness.sum()
    expected = transform.to_crop(np.array([[x, y]]))[0]
    # a dot cut by the crop's border has its centroid pulled inwards: judge whole dots only
    reach = 2.5 * np.sqrt(2) * transform.scale + 1
    if not (reach <= expected[0] <= transform.width - reach and reach <= expected[1] <= transform.height - reach):
        return
    tolerance = max(1.0, 1.0 * transform.scale)
    assert np.abs(found - expected).max() < tolerance


def test_inksight_canvas_keeps_aspect_and_centres():
    quad = rotated_rect(100, 50, 200, 50, 0)
    t = plan_crop(quad, CropSpec(size=224))
    corners = t.to_crop(quad)
    assert np.allclose(corners[:, 0].min(), 0, atol=1e-6) and np.allclose(corners[:, 0].max(), 224)
    height = corners[:, 1].max() - corners[:, 1].min()
    assert np.isclose(height, 56)  # 200x50 keeps 4:1
    assert np.isclose(corners[:, 1].min(), (224 - 56) / 2)
