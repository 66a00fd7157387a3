"""The report's charts, drawn with matplotlib's object API on the Agg canvas (no pyplot, no
changes to global rc settings, no display) and returned as RGB images sized for an A4 page in millimetres."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, ParamSpec

import matplotlib
import numpy as np
from PIL import Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from .summary import COVARIATE_DAILY, ReportData

P = ParamSpec("P")

INK = "#1f2a36"
MUTED = "#6b7785"
GRID = "#d9dee4"
BLUE = "#2f6690"
LIGHT = "#eef2f6"
ACCENT = "#d1782b"
DPI = 220

_RC: dict[Any, Any] = {
    "font.size": 7.0, "axes.titlesize": 7.5, "axes.labelsize": 7.0, "xtick.labelsize": 6.3,
    "ytick.labelsize": 6.3, "axes.edgecolor": MUTED, "axes.labelcolor": INK, "xtick.color": MUTED,
    "ytick.color": MUTED, "text.color": INK, "axes.linewidth": 0.6,
}


def _styled(draw: Callable[P, Image.Image]) -> Callable[P, Image.Image]:
    """Run a chart function under the report's rc settings, leaving the global ones alone."""
    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Image.Image:
        with matplotlib.rc_context(_RC):
            return draw(*args, **kwargs)
    return wrapper


def _figure(width_mm: float, height_mm: float) -> Figure:
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> Image.Image:
    """The drawn figure as an RGB PIL image (fpdf2 embeds it; no PNG encode/decode round trip)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return Image.fromarray(np.ascontiguousarray(rgba[:, :, :3]))


def _day_labels(data: ReportData) -> list[str]:
    return [f"{d:%a} {d.day} {d:%b}" for d in data.period.days]


@_styled
def heatmap_png(data: ReportData, width_mm: float, height_mm: float):
    """Hour-of-day × day twitch rate; hours with too little monitoring are left grey."""
    fig = _figure(width_mm, height_mm)
    ax = fig.add_axes((0.12, 0.11, 0.74, 0.82))
    cax = fig.add_axes((0.885, 0.11, 0.018, 0.82))
    rate = np.ma.masked_invalid(data.heat_rate)
    cmap = LinearSegmentedColormap.from_list(
        "calm", ["#f7fbff", "#9ecae1", "#3b7fb6", "#173f66"]).with_extremes(bad="#eceff2")
    finite = data.heat_rate[np.isfinite(data.heat_rate)]
    vmax = float(np.percentile(finite, 98)) if finite.size else 1.0
    mesh = ax.pcolormesh(np.arange(25), np.arange(len(data.days) + 1), rate, cmap=cmap,
                         vmin=0.0, vmax=max(vmax, 1.0), edgecolors="white", linewidth=0.3)
    ax.invert_yaxis()
    ax.set_xticks(np.arange(0, 25, 3))
    ax.set_xticklabels([f"{h:02d}:00" for h in range(0, 25, 3)])
    n = len(data.days)
    step = 1 if n <= 16 else 2 if n <= 31 else 7
    ax.set_yticks(np.arange(0, n, step) + 0.5)
    ax.set_yticklabels(_day_labels(data)[::step])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("Hour of day (local time)")
    cb = fig.colorbar(mesh, cax=cax)
    cb.set_label("twitches per monitored hour", fontsize=6.3)
    cb.outline.set_visible(False)
    cb.ax.tick_params(labelsize=6, length=2)
    fig.text(0.12, 0.955, "Grey: under 5 min of still, monitored time in that hour (no rate shown).",
             fontsize=6.2, color=MUTED)
    return _png(fig)


@_styled
def daily_png(data: ReportData, width_mm: float, height_mm: float):
    """Per-day twitch rate above the diary's covariates, on one shared day axis."""
    fig = _figure(width_mm, height_mm)
    rows = [(label, data.covariates.get(key, [])) for key, (_how, label) in COVARIATE_DAILY.items()]
    rows.append(("Medication", [1.0 if m else None for m in data.medication]))
    rows.append(("Felt twitches", [float(v) if v else None for v in data.felt_per_day]))
    n = len(data.days)
    x = np.arange(n)
    left, right = 0.14, 0.985
    ax = fig.add_axes((left, 0.56, right - left, 0.39))
    rates = np.array([d.rate_per_h if d.rate_per_h is not None else np.nan for d in data.days])
    ax.bar(x, np.nan_to_num(rates), width=0.72, color=BLUE, zorder=2)
    for i in np.flatnonzero(~np.isfinite(rates)):
        ax.text(float(i), 0, "\u2013", ha="center", va="bottom", color=MUTED, fontsize=6)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylabel("twitches per\nmonitored hour")
    ax.grid(axis="y", color=GRID, linewidth=0.5, zorder=0)
    ax.set_xticks([])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Covariate strips: one row each, the value written in its day's cell.
    strip = fig.add_axes((left, 0.06, right - left, 0.46))
    strip.set_xlim(-0.5, n - 0.5)
    strip.set_ylim(len(rows) - 0.5, -0.5)
    for r, (label, values) in enumerate(rows):
        vals = np.array([np.nan if v is None else v for v in values] or [np.nan] * n, dtype=float)
        top = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
        for i, v in enumerate(vals):
            if not np.isfinite(v):
                continue
            shade = 0.12 + 0.55 * (v / top if top > 0 else 0)
            strip.add_patch(_cell(i, r, shade))
            text = "\u2713" if label == "Medication" else f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"
            strip.text(i, r, text, ha="center", va="center", fontsize=5.2 if n > 20 else 6, color=INK)
    strip.set_yticks(range(len(rows)))
    strip.set_yticklabels([lab for lab, _ in rows])
    step = 1 if n <= 16 else 2 if n <= 31 else 7
    strip.set_xticks(x[::step])
    strip.set_xticklabels([f"{d.day}" for d in data.period.days][::step])
    strip.tick_params(length=0)
    for spine in strip.spines.values():
        spine.set_visible(False)
    strip.set_xlabel("Day of month")
    for r in range(len(rows) + 1):
        strip.axhline(r - 0.5, color=GRID, linewidth=0.4)
    return _png(fig)


def _cell(i: int, r: int, shade: float):
    from matplotlib.patches import Rectangle

    base = np.array([0.95, 0.62, 0.32])    # soft orange, lightened by (1 - shade)
    color = 1 - shade * (1 - base)
    return Rectangle((i - 0.46, r - 0.42), 0.92, 0.84, facecolor=color, edgecolor="none")


@_styled
def episodes_png(data: ReportData, width_mm: float, height_mm: float):
    """Episode-duration histogram and twitches-per-episode histogram, side by side."""
    fig = _figure(width_mm, height_mm)
    a1 = fig.add_axes((0.08, 0.2, 0.40, 0.68))
    a2 = fig.add_axes((0.58, 0.2, 0.40, 0.68))
    dur = data.episode_durations_s
    if dur.size:
        top = max(6.0, float(np.ceil(dur.max())))
        a1.hist(dur, bins=list(np.arange(0.0, top + 0.5, 0.5)), color=BLUE, zorder=2, rwidth=0.9)
        med = float(np.median(dur))
        a1.axvline(med, color=ACCENT, linewidth=1.0, linestyle="--", zorder=3)
        a1.text(med, a1.get_ylim()[1] * 0.99, f" median {med:.1f} s ", color=ACCENT, fontsize=6.2, va="top",
                ha="left", zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
        counts = data.episode_twitch_counts
        a2.hist(counts, bins=list(np.arange(1.5, max(10, int(counts.max())) + 1.5, 1.0)), color=BLUE, zorder=2, rwidth=0.9)
    else:
        for ax in (a1, a2):
            ax.text(0.5, 0.5, "no episodes in this period", ha="center", va="center",
                    transform=ax.transAxes, color=MUTED)
    a1.set_xlabel("Episode duration (s)")
    a1.set_ylabel("Episodes")
    a1.set_title("How long episodes lasted", loc="left")
    a2.set_xlabel("Twitches in the episode")
    a2.set_title("Twitches per episode", loc="left")
    for ax in (a1, a2):
        ax.grid(axis="y", color=GRID, linewidth=0.5, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return _png(fig)


@dataclass(frozen=True)
class TraceClip:
    """A band-passed stretch of one axis around an episode, for display."""

    title: str
    t_s: np.ndarray            # seconds from the episode start
    signal_mg: np.ndarray
    episode_s: tuple[float, float]
    twitch_s: tuple[float, ...]      # twitches of this episode
    axis: str
    other_twitch_s: tuple[float, ...] = ()   # other detected twitches in the window


@_styled
def traces_png(clips: list[TraceClip], width_mm: float, height_mm: float):
    """Stacked example episodes: the signal, the episode shaded, a marker at every twitch."""
    fig = _figure(width_mm, height_mm)
    k = max(1, len(clips))
    top, bottom, gap = 0.95, 0.09, 0.17
    h = (top - bottom - gap * (k - 1)) / k
    for i, clip in enumerate(clips):
        ax = fig.add_axes((0.08, top - (i + 1) * h - i * gap, 0.9, h))
        ax.axvspan(*clip.episode_s, color=LIGHT, zorder=0)
        ax.plot(clip.t_s, clip.signal_mg, color=INK, linewidth=0.55, zorder=2)
        finite = clip.signal_mg[np.isfinite(clip.signal_mg)]
        lim = float(np.max(np.abs(finite))) * 1.25 if finite.size else 1.0
        ax.set_ylim(-lim, lim)
        ax.plot(clip.twitch_s, [lim * 0.86] * len(clip.twitch_s), "v", color=ACCENT, markersize=3.2, zorder=3)
        if clip.other_twitch_s:
            ax.plot(clip.other_twitch_s, [lim * 0.86] * len(clip.other_twitch_s), "v", color=MUTED,
                    markersize=3.0, zorder=3)
        ax.set_xlim(float(clip.t_s[0]), float(clip.t_s[-1]))
        ax.set_ylabel(f"{clip.axis} (mg)")
        ax.set_title(clip.title, loc="left", fontsize=6.8)
        ax.grid(axis="x", color=GRID, linewidth=0.4)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if i == k - 1:
            ax.set_xlabel("seconds from episode start   (\u25bc detected twitch, orange in the episode; shaded: the episode)")
    if not clips:
        fig.text(0.5, 0.5, "no recorded episode could be read for an example", ha="center", color=MUTED)
    return _png(fig)
