"""gmmvc.display: every plot renders on an Agg canvas, shows the data it was given, and
fails with a message that names the parameter."""

import subprocess
import sys

import numpy as np
import pytest

import gmmvc
from gmmvc import display
from gmmvc.exceptions import GmmvcError, ParameterError

matplotlib = pytest.importorskip(
    "matplotlib", reason="matplotlib is not installed (pip install -e '.[test]')"
)
matplotlib.use("Agg", force=True)

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

FS = 16000
FRAME_PERIOD = 5.0


def _axes(n=1):
    fig = Figure()
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n, squeeze=False)[0]
    return fig, list(axes)


def _render(fig):
    """Draw to the Agg canvas and return the pixels, to be sure the artists really render."""
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    assert pixels.ndim == 3 and pixels.shape[2] == 4
    return pixels


@pytest.fixture
def pyplot():
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.close("all")
    yield plt
    plt.close("all")


@pytest.fixture
def envelope(rng):
    # (T, F) positive power envelope falling by 60 dB over frequency, with some texture
    tilt = np.logspace(0, -6, 513)
    return tilt * np.exp(0.1 * rng.normal(size=(40, 513)))


# --------------------------------------------------------------------------- envelopes


def test_plot_envelope_shows_db_of_the_envelope_on_time_and_frequency_axes(envelope):
    fig, (ax,) = _axes()
    image = display.plot_envelope(envelope, fs=FS, frame_period=FRAME_PERIOD, ax=ax)
    _render(fig)
    assert isinstance(image, AxesImage)
    np.testing.assert_allclose(image.get_array(), 10 * np.log10(envelope).T, rtol=1e-12)
    # frame t is centred at t * 5 ms; the frequency axis ends at Nyquist
    np.testing.assert_allclose(image.get_extent(), [-0.0025, 39 * 0.005 + 0.0025, 0, FS / 2])
    top = 10 * np.log10(envelope).max()
    np.testing.assert_allclose(image.get_clim(), (top - display.DB_RANGE, top), rtol=1e-12)
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "frequency (Hz)"


def test_plot_envelope_zero_power_stays_finite():
    sp = np.ones((3, 5))
    sp[1] = 0.0  # digital silence
    fig, (ax,) = _axes()
    image = display.plot_envelope(sp, fs=FS, ax=ax, db_range=30.0, vmax_db=10.0)
    _render(fig)
    assert np.all(np.isfinite(image.get_array()))
    assert image.get_clim() == (-20.0, 10.0)


@pytest.mark.parametrize(
    ("sp", "kwargs", "match"),
    [
        (np.ones(5), {}, r"sp: expected a 2-D array"),
        (np.ones((3, 1)), {}, r"sp: expected a power envelope .* at least 2 bins"),
        (-np.ones((3, 5)), {}, r"sp: expected a non-negative power envelope.*mcep_to_sp"),
        (np.full((3, 5), np.nan), {}, r"sp: contains 15 NaN"),
        (np.ones((3, 5)), {"fs": 100}, r"fs: expected an integer sample rate"),
        (np.ones((3, 5)), {"frame_period": 0}, r"frame_period: expected a positive number"),
        (np.ones((3, 5)), {"db_range": -1}, r"db_range: expected a positive number"),
        (np.ones((3, 5)), {"vmax_db": np.inf}, r"vmax_db: expected a finite number"),
    ],
)
def test_plot_envelope_rejects_bad_input(sp, kwargs, match):
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=match):
        display.plot_envelope(sp, **{"fs": FS, "ax": ax, **kwargs})


def test_plot_envelopes_share_one_colour_scale_and_title_the_panels(envelope):
    fig, axes = _axes(3)
    louder = 100.0 * envelope[:25]  # +20 dB, another length
    images = display.plot_envelopes(
        {"source": envelope, "converted": louder, "target": envelope[:30]}, fs=FS, ax=axes
    )
    _render(fig)
    assert len(images) == 3 and all(isinstance(im, AxesImage) for im in images)
    top = 10 * np.log10(louder).max()
    for im in images:
        np.testing.assert_allclose(im.get_clim(), (top - 80.0, top), rtol=1e-12)
    assert [ax.get_title() for ax in axes] == ["source", "converted", "target"]
    assert [im.get_array().shape for im in images] == [(513, 40), (513, 25), (513, 30)]
    np.testing.assert_allclose(images[1].get_array(), 10 * np.log10(louder).T, rtol=1e-9)


def test_plot_envelopes_without_axes_makes_a_row_of_panels(pyplot, envelope):
    images = display.plot_envelopes([envelope, envelope], fs=FS)
    fig = images[0].axes.figure
    assert len(fig.axes) == 2 and images[1].axes is fig.axes[1]
    assert fig.axes[0].get_title() == ""  # a sequence has no labels
    _render(fig)


def test_plot_envelopes_rejects_a_wrong_number_of_axes_or_no_envelopes(envelope):
    _, axes = _axes(2)
    with pytest.raises(ParameterError, match=r"ax: expected one axes per envelope \(3\), got 2"):
        display.plot_envelopes([envelope] * 3, fs=FS, ax=axes)
    with pytest.raises(ParameterError, match=r"envelopes: expected at least one array"):
        display.plot_envelopes({}, fs=FS, ax=axes)
    with pytest.raises(ParameterError, match=r"envelopes: expected a mapping .* got str"):
        display.plot_envelopes("source.wav", fs=FS, ax=axes)
    with pytest.raises(ParameterError, match=r"envelopes\[target\]: expected a 2-D array"):
        display.plot_envelopes({"source": envelope, "target": envelope[0]}, fs=FS, ax=axes)


# --------------------------------------------------------------------------- trajectories and F0


def test_plot_trajectories_draws_the_chosen_coefficient_with_its_variance(rng):
    mcep = rng.normal(size=(50, 25))  # full mel-cepstrum, c0 first
    static = mcep[:, 1:]  # the GMM's features: c1 onward
    fig, (ax,) = _axes()
    lines = display.plot_trajectories({"target": mcep}, coefficient=3, ax=ax)
    more = display.plot_trajectories(
        {"MMSE": 0.5 * static}, coefficient=3, first_coefficient=1, ax=ax
    )
    _render(fig)
    assert all(isinstance(line, Line2D) for line in lines + more)
    np.testing.assert_array_equal(lines[0].get_ydata(), mcep[:, 3])
    np.testing.assert_array_equal(more[0].get_ydata(), 0.5 * mcep[:, 3])  # c3 either way
    np.testing.assert_allclose(lines[0].get_xdata(), np.arange(50) * 0.005)
    assert lines[0].get_label() == f"target (var {mcep[:, 3].var():.3g})"
    assert ax.get_ylabel() == "c3"
    assert ax.get_legend() is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"coefficient": 0, "first_coefficient": 1}, r"coefficient: expected c1\.\.c24 .* got c0"),
        ({"coefficient": 25}, r"coefficient: expected c0\.\.c24 .*got c25"),
        ({"coefficient": -1}, r"coefficient: expected a non-negative integer"),
        ({"coefficient": 1.5}, r"coefficient: expected a non-negative integer"),
        ({"first_coefficient": True}, r"first_coefficient: expected a non-negative integer"),
    ],
)
def test_plot_trajectories_rejects_missing_coefficients(kwargs, match):
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=match):
        display.plot_trajectories(
            [np.zeros((4, 25 - kwargs.get("first_coefficient", 0)))], ax=ax, **kwargs
        )


def test_plot_f0_leaves_gaps_where_unvoiced():
    fig, (ax,) = _axes()
    f0 = np.array([0.0, 120.0, 125.0, 0.0, 130.0])
    lines = display.plot_f0({"source": f0, "converted": 2 * f0}, frame_period=10.0, ax=ax)
    _render(fig)
    np.testing.assert_array_equal(lines[1].get_ydata(), [np.nan, 240.0, 250.0, np.nan, 260.0])
    np.testing.assert_allclose(lines[0].get_xdata(), [0.0, 0.01, 0.02, 0.03, 0.04])
    assert [line.get_label() for line in lines] == ["source", "converted"]


def test_plot_f0_rejects_log_f0():
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=r"contours\[0\]: expected F0 in Hz.*not log-F0"):
        display.plot_f0([np.log([0.5, 100.0])], ax=ax)


# --------------------------------------------------------------------------- alignment and model


def test_plot_alignment_draws_the_path_over_the_distance_matrix(rng):
    x = rng.normal(size=(30, 4))
    y = np.repeat(x, 2, axis=0)  # a time-stretched copy
    path = gmmvc.align_frames(x, y)
    fig, (ax,) = _axes()
    image = display.plot_alignment(x, y, path, ax=ax)
    _render(fig)
    distances = np.linalg.norm(y[:, None, :] - x[None, :, :], axis=2)  # (Ty, Tx)
    np.testing.assert_allclose(image.get_array(), distances, atol=1e-12)
    line = ax.lines[-1]
    assert line.get_label() == "DTW path"
    np.testing.assert_array_equal(line.get_xdata(), path.source_index)
    np.testing.assert_array_equal(line.get_ydata(), path.target_index)
    # the path of a stretched copy runs along zero distance
    np.testing.assert_allclose(distances[path.target_index, path.source_index], 0.0, atol=1e-12)


def test_plot_alignment_accepts_index_pairs():
    x = np.array([[0.0], [1.0], [2.0]])
    fig, (ax,) = _axes()
    display.plot_alignment(x, x, gmmvc.dtw_path(x, x), ax=ax)
    _render(fig)
    np.testing.assert_array_equal(ax.lines[-1].get_xdata(), [0, 1, 2])


@pytest.mark.parametrize(
    ("y", "path", "match"),
    [
        (np.zeros((3, 2)), ([0, 1, 2], [0, 1, 2]), r"x and y: expected the same feature dim"),
        (np.zeros((3, 1)), ([0, 1, 3], [0, 1, 2]), r"path source indices: .* in \[0, 3\)"),
        (np.zeros((3, 1)), ([0, 1, 2], [0.0, 1.0, 2.0]), r"path target indices: .*float64"),
        (np.zeros((3, 1)), ([0, 1, 2], [0, 1]), r"path: expected index arrays of equal length"),
        (np.zeros((3, 1)), 5, r"path: expected an Alignment or a pair"),
    ],
)
def test_plot_alignment_rejects_paths_that_do_not_fit(y, path, match):
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=match):
        display.plot_alignment(np.zeros((3, 1)), y, path, ax=ax)


def test_plot_responsibilities_shows_gmm_posteriors(rng):
    x = np.concatenate([rng.normal(-3, 0.3, 100), rng.normal(3, 0.3, 100)])[:, None]
    joint = np.hstack([x, 2 * x + 0.1 * rng.normal(size=x.shape)])
    gmm = gmmvc.JointGMM(2, random_state=0).fit(joint, n_source_dims=1)
    post = gmm.posteriors(x)
    fig, (ax,) = _axes()
    image = display.plot_responsibilities(post, frame_period=FRAME_PERIOD, ax=ax)
    _render(fig)
    np.testing.assert_allclose(image.get_array(), post.T)
    np.testing.assert_allclose(image.get_array().sum(axis=0), 1.0, rtol=1e-12)
    assert image.get_clim() == (0.0, 1.0)
    np.testing.assert_allclose(image.get_extent(), [-0.0025, 199 * 0.005 + 0.0025, -0.5, 1.5])


def test_plot_responsibilities_rejects_log_probabilities():
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=r"posteriors: expected probabilities in \[0, 1\]"):
        display.plot_responsibilities(np.log([[0.5, 0.5]]), ax=ax)


def test_plot_global_variance_takes_statistics_variances_or_trajectories(rng):
    target = gmmvc.global_variance([rng.normal(size=(40, 24)) for _ in range(3)])
    trajectory = 0.3 * rng.normal(size=(40, 24))
    fig, (ax,) = _axes()
    lines = display.plot_global_variance(
        {"target": target, "MLPG": trajectory, "given": np.full(24, 0.5)},
        first_coefficient=1,
        ax=ax,
    )
    _render(fig)
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 25))
    np.testing.assert_allclose(lines[0].get_ydata(), target.mean)
    np.testing.assert_allclose(lines[1].get_ydata(), trajectory.var(axis=0))
    np.testing.assert_allclose(lines[2].get_ydata(), 0.5)
    assert ax.get_yscale() == "log"


def test_plot_global_variance_rejects_negative_variances():
    _, (ax,) = _axes()
    with pytest.raises(ParameterError, match=r"variances\[bad\]: expected non-negative"):
        display.plot_global_variance({"bad": np.array([1.0, -1.0])}, ax=ax)
    with pytest.raises(ParameterError, match=r"variances\[0\]: expected a 1-D or 2-D array"):
        display.plot_global_variance([np.zeros((2, 2, 2))], ax=ax)


# --------------------------------------------------------------------------- pyplot conventions


def _draw_everything(**ax):
    sp = np.ones((5, 9))
    x = np.arange(6.0)[:, None]
    return [
        display.plot_envelope(sp, fs=FS, **ax),
        display.plot_trajectories([np.zeros((5, 3))], **ax),
        display.plot_f0([np.array([0.0, 100.0])], **ax),
        display.plot_alignment(x, x, gmmvc.dtw_path(x, x), **ax),
        display.plot_responsibilities(np.full((5, 2), 0.5), **ax),
        display.plot_global_variance([np.ones(3)], **ax),
    ]


def test_without_axes_every_plot_draws_on_the_current_axes_and_never_shows(pyplot, monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(pyplot, "show", no_show)
    fig, ax = pyplot.subplots()
    artists = _draw_everything()
    for artist in artists:
        first = artist[0] if isinstance(artist, list) else artist
        assert first.axes is ax
    assert pyplot.get_fignums() == [fig.number]  # no other figure was opened
    _render(fig)


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import now raises ImportError
    with pytest.raises(GmmvcError, match=r"needs matplotlib.*pip install 'gmmvc\[plot\]'"):
        display.plot_f0([np.array([100.0])])


def test_importing_display_does_not_import_matplotlib():
    code = "import sys, gmmvc.display, gmmvc; gmmvc.plot_f0; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- audio


def test_listen_returns_an_ipython_audio_player():
    ipd = pytest.importorskip("IPython.display", reason="IPython is not installed")
    tone = 0.25 * np.sin(2 * np.pi * 200 * np.arange(FS // 20) / FS)
    player = display.listen(tone, FS)
    assert isinstance(player, ipd.Audio)
    assert player.data[:4] == b"RIFF"
    assert "audio" in player._repr_html_()
    silent = display.listen(np.zeros(100), FS)  # digital silence must not fail to normalise
    assert isinstance(silent, ipd.Audio)
    quiet = display.listen(tone, FS, normalize=False)
    assert quiet.data != player.data  # played as is, not scaled to full scale


def test_listen_rejects_bad_input():
    with pytest.raises(ParameterError, match=r"x: expected samples within \[-1, 1\].*peak 2"):
        display.listen(np.array([0.0, 2.0]), FS, normalize=False)
    with pytest.raises(ParameterError, match=r"x: expected a 1-D array"):
        display.listen(np.zeros((10, 2)), FS)
    with pytest.raises(ParameterError, match=r"fs: expected an integer sample rate"):
        display.listen(np.zeros(10), 44.1)


def test_listen_without_ipython_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(GmmvcError, match=r"listen needs IPython.*pip install ipython"):
        display.listen(np.zeros(10), FS)
