"""Tests for gmmvc.alignment: DTW paths, masked alignment, joint vectors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmmvc.alignment import Alignment, align_frames, dtw_path, joint_vectors
from gmmvc.exceptions import ParameterError


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def smooth_trajectory(rng: np.random.Generator, n_frames: int, n_dims: int) -> np.ndarray:
    """(n_frames, n_dims) sum of three sinusoids per dimension, 0.5 to 4 cycles long."""
    t = np.arange(n_frames)[None, :, None]  # (1, T, 1)
    freq = rng.uniform(0.5, 4.0, (3, 1, n_dims)) / n_frames
    phase = rng.uniform(0.0, 2.0 * np.pi, (3, 1, n_dims))
    amp = rng.uniform(0.5, 1.5, (3, 1, n_dims))
    return np.sum(amp * np.sin(2.0 * np.pi * freq * t + phase), axis=0)  # (T, D)


def smooth_warp(n_x: int, n_y: int) -> np.ndarray:
    """(n_x,) smooth, strictly increasing map from x frames to (fractional) y frames."""
    u = np.arange(n_x) / (n_x - 1)
    # derivative 1 + 0.5 cos(2 pi u) >= 0.5 > 0: monotone, with local slopes 0.5 to 1.5
    return (n_y - 1) * (u + 0.5 * np.sin(2.0 * np.pi * u) / (2.0 * np.pi))


def exact_dtw_cost(x: np.ndarray, y: np.ndarray) -> float:
    """Slow, obvious O(Tx Ty) DTW: minimal sum of Euclidean frame distances."""
    n_x, n_y = len(x), len(y)
    acc = np.full((n_x + 1, n_y + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n_x + 1):
        for j in range(1, n_y + 1):
            d = np.sqrt(np.sum((x[i - 1] - y[j - 1]) ** 2))
            acc[i, j] = d + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    return float(acc[n_x, n_y])


def assert_valid_path(ix: np.ndarray, iy: np.ndarray, n_x: int, n_y: int) -> None:
    assert ix.ndim == iy.ndim == 1
    assert ix.shape == iy.shape
    assert np.issubdtype(ix.dtype, np.integer) and np.issubdtype(iy.dtype, np.integer)
    assert (ix[0], iy[0]) == (0, 0)
    assert (ix[-1], iy[-1]) == (n_x - 1, n_y - 1)
    steps = np.stack([np.diff(ix), np.diff(iy)], axis=1)  # (L - 1, 2)
    assert np.all((steps == 0) | (steps == 1)), "steps must be 0 or 1 on each axis"
    assert np.all(steps.sum(axis=1) >= 1), "every step must advance at least one axis"
    assert max(n_x, n_y) <= ix.size <= n_x + n_y - 1


# ---------------------------------------------------------------- dtw_path


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_dtw_path_recovers_known_warp(rng: np.random.Generator, noise: float) -> None:
    n_y, n_x, n_dims = 300, 360, 24
    y = smooth_trajectory(rng, n_y, n_dims)
    w = smooth_warp(n_x, n_y)  # (n_x,)
    x = y[np.rint(w).astype(int)] + noise * rng.standard_normal((n_x, n_dims))

    ix, iy = dtw_path(x, y)

    assert_valid_path(ix, iy, n_x, n_y)
    # every x frame is visited, and every target frame paired with it lies within
    # +-2 frames of the true warp (rounding alone accounts for 0.5; slopes up to 1.5
    # make the path pair skipped y frames with a neighbouring x frame)
    assert np.array_equal(np.unique(ix), np.arange(n_x))
    error = iy - w[ix]
    assert np.mean(np.abs(error) <= 2.0) == 1.0, f"max |error| {np.abs(error).max():.2f}"


def test_dtw_path_of_identical_sequences_is_the_diagonal(rng: np.random.Generator) -> None:
    y = smooth_trajectory(rng, 50, 5)
    ix, iy = dtw_path(y, y)
    np.testing.assert_array_equal(ix, np.arange(50))
    np.testing.assert_array_equal(iy, np.arange(50))


def test_dtw_path_cost_matches_exact_dtw_with_full_radius(rng: np.random.Generator) -> None:
    # with radius as long as the sequences FastDTW searches the whole grid
    x = rng.standard_normal((23, 3))
    y = rng.standard_normal((17, 3))
    ix, iy = dtw_path(x, y, radius=23)
    cost = float(np.sum(np.linalg.norm(x[ix] - y[iy], axis=1)))
    np.testing.assert_allclose(cost, exact_dtw_cost(x, y), rtol=1e-12)


def test_dtw_path_uses_euclidean_not_l1() -> None:
    # found by search: on these frames the L1-optimal path (fastdtw's default for 2-D
    # input) has Euclidean cost 7.0, the Euclidean-optimal one 3 + sqrt(13) ~ 6.606
    x = np.array([[3.0, 1.0], [3.0, 3.0], [0.0, 2.0]])
    y = np.array([[3.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 2.0]])
    ix, iy = dtw_path(x, y, radius=5)
    cost = float(np.sum(np.linalg.norm(x[ix] - y[iy], axis=1)))
    np.testing.assert_allclose(cost, exact_dtw_cost(x, y), rtol=1e-12)
    np.testing.assert_allclose(cost, 3.0 + np.sqrt(13.0), rtol=1e-12)


def test_dtw_path_accepts_lists_and_single_frames() -> None:
    ix, iy = dtw_path([[1.0, 2.0]], [[0.0, 0.0], [1.0, 2.0], [5.0, 5.0]])
    assert ix.tolist() == [0, 0, 0]
    assert iy.tolist() == [0, 1, 2]


@settings(max_examples=50, deadline=None)
@given(
    n_x=st.integers(1, 40),
    n_y=st.integers(1, 40),
    n_dims=st.integers(1, 4),
    radius=st.integers(1, 3),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dtw_path_is_always_a_valid_path(
    n_x: int, n_y: int, n_dims: int, radius: int, ties: bool, seed: int
) -> None:
    gen = np.random.default_rng(seed)
    if ties:  # few distinct values: many equal-cost paths
        x = gen.integers(0, 2, (n_x, n_dims)).astype(float)
        y = gen.integers(0, 2, (n_y, n_dims)).astype(float)
    else:
        x = gen.standard_normal((n_x, n_dims))
        y = gen.standard_normal((n_y, n_dims))
    ix, iy = dtw_path(x, y, radius=radius)
    assert_valid_path(ix, iy, n_x, n_y)


@pytest.mark.parametrize("radius", [0, -1, 1.5, True, "1"])
def test_dtw_path_rejects_bad_radius(radius: object) -> None:
    with pytest.raises(ParameterError, match=r"radius: expected a positive integer.*at least 1"):
        dtw_path(np.zeros((3, 2)), np.zeros((3, 2)), radius=radius)  # type: ignore[arg-type]


def test_dtw_path_rejects_different_dims() -> None:
    with pytest.raises(
        ParameterError,
        match=r"x and y: expected the same feature dimension, "
        r"got 3 and 2 columns; align on the same features",
    ):
        dtw_path(np.zeros((4, 3)), np.zeros((4, 2)))


def test_dtw_path_rejects_1d_and_empty_and_nan() -> None:
    with pytest.raises(ParameterError, match=r"x: expected a 2-D array, got shape \(4,\)"):
        dtw_path(np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(ParameterError, match=r"y: expected at least 1 frames.*got 0"):
        dtw_path(np.zeros((4, 1)), np.zeros((0, 1)))
    with pytest.raises(ParameterError, match=r"y: contains 1 NaN"):
        dtw_path(np.zeros((4, 1)), [[0.0], [np.nan]])


# ---------------------------------------------------------------- align_frames


def test_align_frames_without_masks_equals_dtw_path(rng: np.random.Generator) -> None:
    x = smooth_trajectory(rng, 80, 6)
    y = smooth_trajectory(rng, 70, 6)
    a = align_frames(x, y)
    ix, iy = dtw_path(x, y)
    np.testing.assert_array_equal(a.source_index, ix)
    np.testing.assert_array_equal(a.target_index, iy)
    expected = np.mean(np.linalg.norm(x[ix] - y[iy], axis=1))
    np.testing.assert_allclose(a.distance, expected, rtol=1e-12)
    assert isinstance(a.distance, float)


def test_align_frames_with_masks_maps_back_to_original_axes(rng: np.random.Generator) -> None:
    n_y, n_x, n_dims = 200, 240, 12
    speech_y = smooth_trajectory(rng, n_y, n_dims)
    w = smooth_warp(n_x, n_y)
    speech_x = speech_y[np.rint(w).astype(int)]

    # embed each utterance's speech in "silence" frames far from every speech frame,
    # at the start, the end and in the middle, at different places on the two sides
    def embed(speech: np.ndarray, lead: int, gap_at: int, gap: int, trail: int):
        silence = lambda n: np.full((n, n_dims), 50.0)  # noqa: E731
        full = np.vstack(
            [silence(lead), speech[:gap_at], silence(gap), speech[gap_at:], silence(trail)]
        )
        mask = np.ones(len(full), dtype=bool)
        mask[:lead] = False
        mask[lead + gap_at : lead + gap_at + gap] = False
        mask[len(full) - trail :] = False
        return full, mask

    x, x_mask = embed(speech_x, lead=7, gap_at=100, gap=13, trail=5)
    y, y_mask = embed(speech_y, lead=3, gap_at=40, gap=9, trail=11)

    a = align_frames(x, y, x_mask=x_mask, y_mask=y_mask)

    assert a.source_index.shape == a.target_index.shape
    assert np.all(x_mask[a.source_index]), "source indices must point at selected frames"
    assert np.all(y_mask[a.target_index]), "target indices must point at selected frames"
    assert np.all(np.diff(a.source_index) >= 0) and np.all(np.diff(a.target_index) >= 0)
    x_sel, y_sel = np.flatnonzero(x_mask), np.flatnonzero(y_mask)
    assert (a.source_index[0], a.target_index[0]) == (x_sel[0], y_sel[0])
    assert (a.source_index[-1], a.target_index[-1]) == (x_sel[-1], y_sel[-1])
    # the original axes pair the same speech frames as the warp does
    pos_x = np.searchsorted(x_sel, a.source_index)  # position within the speech of x
    pos_y = np.searchsorted(y_sel, a.target_index)
    np.testing.assert_array_equal(x[a.source_index], speech_x[pos_x])
    np.testing.assert_array_equal(y[a.target_index], speech_y[pos_y])
    assert np.all(np.abs(pos_y - w[pos_x]) <= 2.0)
    # paired speech frames are identical up to the warp's rounding: tiny distance
    assert 0.0 <= a.distance < 0.2


def test_align_frames_rejects_too_few_selected_frames() -> None:
    x = np.zeros((5, 2))
    mask = np.array([False, False, True, False, False])
    with pytest.raises(
        ParameterError,
        match=r"x: expected at least 2 selected frames to align, "
        r"got 1 of 5; check the frame mask",
    ):
        align_frames(x, x, x_mask=mask)
    with pytest.raises(ParameterError, match=r"y: expected at least 2 selected frames.*got 0 of 5"):
        align_frames(x, x, y_mask=np.zeros(5, dtype=bool))


def test_align_frames_rejects_different_dims() -> None:
    with pytest.raises(ParameterError, match=r"x and y: expected the same feature dimension"):
        align_frames(np.zeros((5, 24)), np.zeros((5, 25)))


def test_align_frames_rejects_bad_masks() -> None:
    x = np.zeros((5, 2))
    with pytest.raises(
        ParameterError,
        match=r"x_mask: expected a boolean array, got dtype "
        r"int\d+; pass a boolean frame mask",
    ):
        align_frames(x, x, x_mask=np.array([0, 1, 1, 1, 0]))
    with pytest.raises(
        ParameterError,
        match=r"y_mask: expected shape \(5,\) to match the 5 "
        r"frames.*got shape \(4,\)",
    ):
        align_frames(x, x, y_mask=[True, True, True, True])


def test_align_frames_rejects_bad_radius() -> None:
    with pytest.raises(ParameterError, match=r"radius: expected a positive integer, got 0"):
        align_frames(np.zeros((5, 2)), np.zeros((5, 2)), radius=0)


# ---------------------------------------------------------------- Alignment


def test_alignment_is_frozen_and_read_only() -> None:
    a = Alignment([0, 1, 2], [0, 0, 1], 1)
    assert a.source_index.dtype == np.intp and a.distance == 1.0
    assert isinstance(a.distance, float)
    assert len(a) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.distance = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        a.source_index[0] = 5


def test_alignment_copies_its_inputs() -> None:
    src = np.array([0, 1, 2])
    a = Alignment(src, np.array([0, 1, 2]), 0.0)
    src[0] = 9
    assert a.source_index[0] == 0


def test_alignment_rejects_inconsistent_indices() -> None:
    with pytest.raises(
        ParameterError,
        match=r"source_index and target_index: expected the "
        r"same length, got 3 and 2",
    ):
        Alignment([0, 1, 2], [0, 1], 0.0)
    with pytest.raises(
        ParameterError,
        match=r"target_index: expected a 1-D array of integer "
        r"frame indices, got dtype float64",
    ):
        Alignment([0, 1], [0.0, 1.5], 0.0)
    with pytest.raises(
        ParameterError,
        match=r"source_index: expected non-negative frame "
        r"indices, got minimum -1",
    ):
        Alignment([-1, 1], [0, 1], 0.0)


# ---------------------------------------------------------------- joint_vectors


def test_joint_vectors_shape_and_content(rng: np.random.Generator) -> None:
    x = rng.standard_normal((10, 4))  # e.g. [static, delta] of the source
    y = rng.standard_normal((12, 6))  # dimensions may differ
    a = Alignment([0, 1, 1, 5, 9], [0, 2, 3, 3, 11], 0.0)
    z = joint_vectors(x, y, a)
    assert z.shape == (5, 10)
    assert z.dtype == np.float64
    for row, (i, j) in enumerate(zip(a.source_index, a.target_index, strict=True)):
        np.testing.assert_array_equal(z[row, :4], x[i])
        np.testing.assert_array_equal(z[row, 4:], y[j])


def test_joint_vectors_after_masked_alignment_uses_original_axis_features(
    rng: np.random.Generator,
) -> None:
    base = smooth_trajectory(rng, 30, 3)
    x_mask = np.ones(30, dtype=bool)
    x_mask[:4] = False
    a = align_frames(base, base, x_mask=x_mask)
    deltas = np.gradient(base, axis=0)  # computed on the full axis, before selection
    z = joint_vectors(np.hstack([base, deltas]), np.hstack([base, deltas]), a)
    np.testing.assert_array_equal(z[:, :6], np.hstack([base, deltas])[a.source_index])
    np.testing.assert_array_equal(z[:, 6:], np.hstack([base, deltas])[a.target_index])


def test_joint_vectors_rejects_indices_past_the_features() -> None:
    a = Alignment([0, 4], [0, 1], 0.0)
    with pytest.raises(
        ParameterError,
        match=r"x: expected at least 5 frames to match "
        r"alignment.source_index, got 3; pass features computed on the same",
    ):
        joint_vectors(np.zeros((3, 2)), np.zeros((3, 2)), a)
    with pytest.raises(ParameterError, match=r"y: expected at least 2 frames.*target_index, got 1"):
        joint_vectors(np.zeros((5, 2)), np.zeros((1, 2)), a)


def test_joint_vectors_rejects_non_alignment() -> None:
    with pytest.raises(
        ParameterError,
        match=r"alignment: expected an Alignment, got tuple; "
        r"build one with align_frames",
    ):
        joint_vectors(np.zeros((3, 2)), np.zeros((3, 2)), ([0], [0]))  # type: ignore[arg-type]
