"""The streaming front end: filters, envelopes, the gate's transient mask, hold and delays.

Per sample and causal, with its state carried across chunks: the twitch band-pass, the plain
envelopes (the low-passed products of the axes, for the gate's transients), the transients
(strict ones, and loose ones chained to a train), and the motion gate's input, delayed by
``mask_delay_n`` and held at its smoothed value around transients. :class:`StreamingFrontEnd`
is started in steady state on its first sample; ``streaming.TwitchDetector`` starts a new one
at the first good sample after a lost start. ``batch.front_end`` is the separately written
reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .chunkfilter import ChunkFilter
from . import whitening
from .params import Design, DetectorParams, magnitude, transient_levels


@dataclass(slots=True)
class FrontEndChunk:
    """The front end's output for one chunk, per sample of it."""

    band_xyz: np.ndarray        # band-passed acceleration, per axis (g)
    late_band: np.ndarray       # ... delayed by mask_delay_n: on the gate's time axis, for whitening
    band_g: np.ndarray          # magnitude of band_xyz
    power_fast: np.ndarray      # (n, 6) low-passed products of the axes (whitening.PAIRS): fast envelope
    power_slow: np.ndarray      # ... slow envelope, follows a train of twitches
    covered: np.ndarray         # the gate input is held here (near a transient)
    low: np.ndarray             # the gate input, low-passed (g)
    gyro_late: np.ndarray | None    # the gate's gyro input, delayed (dps); None without a gyroscope
    gyro_covered: np.ndarray    # gyro left out here (near a strict transient)


class StreamingFrontEnd:
    """Filters and delay lines of the detector, started in steady state on the first sample of
    the first :meth:`process` call. The presence of a gyroscope is fixed by that first call."""

    def __init__(self, d: Design, params: DetectorParams) -> None:
        self._d = d
        self.params = params
        self._filters: dict[str, ChunkFilter] | None = None
        self._late_a = np.zeros((0, 6))
        self._late_b = np.zeros((0, 3))
        self._late_g: np.ndarray | None = None
        self._held_a = np.zeros(3)
        self._last_transient = -(1 << 62)        # index of the latest twitch-band transient
        self._last_strict = -(1 << 62)           # ... of the latest strict one (not chained to a train)

    def _start(self, accel: np.ndarray, gyro: np.ndarray | None) -> dict[str, ChunkFilter]:
        d = self._d

        def start(sos, x0):
            return ChunkFilter(sos, signal.sosfilt_zi(sos)[:, :, None] * x0[None, None, :])
        filters = {
            "band": start(d.band_sos, accel[0]),
            "env": ChunkFilter(d.envelope_sos, np.zeros((d.envelope_sos.shape[0], 2, 6))),
            "slow": ChunkFilter(d.slow_sos, np.zeros((d.slow_sos.shape[0], 2, 6))),
            "smooth": start(d.smooth_sos, accel[0]),
            "low": start(d.low_sos, accel[0]),
        }
        self._late_a = np.repeat(np.concatenate((accel[:1], accel[:1]), axis=1), d.mask_delay_n, axis=0)
        self._held_a = accel[0].copy()
        self._late_b = np.zeros((d.mask_delay_n, 3))
        self._late_g = None
        if gyro is not None:
            filters["gyro_slow"] = start(d.gyro_slow_sos, gyro[0])
            self._late_g = np.repeat(np.concatenate((gyro[:1], gyro[:1]), axis=1), d.mask_delay_n, axis=0)
        return filters

    def process(self, idx: np.ndarray, accel: np.ndarray, gyro: np.ndarray | None) -> FrontEndChunk:
        """The next chunk: ``idx`` its sample indices, ``accel`` (n, 3) in g and ``gyro`` (n, 3)
        in dps (or None), with no lost samples left (held by :func:`hold`)."""
        d = self._d
        f = self._filters
        if f is None:
            f = self._filters = self._start(accel, gyro)
        band_xyz = f["band"](accel)
        band_g = magnitude(band_xyz)
        # Low-passed products of the axes: the plain envelopes (for the gate's transients) now,
        # the whitened ones block by block in TwitchDetector._blocks.
        prods = whitening.products(band_xyz)
        power_fast, power_slow = f["env"](prods), f["slow"](prods)
        env = whitening.plain_envelope(power_fast)
        slow = whitening.plain_envelope(power_slow)
        # Gate input: delayed by mask_delay_n; around transients (a twitch's own tilt) it is held
        # at the smoothed value from just before, so the hold is neither noise nor the twitch.
        strict, loose = transient_levels(env, slow, self.params)
        transient = _chain(strict, loose, idx[0], self._last_transient, d.mask_chain_n)
        last = np.maximum.accumulate(np.where(transient, idx, self._last_transient))
        last_strict = np.maximum.accumulate(np.where(strict, idx, self._last_strict))
        self._last_transient, self._last_strict = int(last[-1]), int(last_strict[-1])
        covered = idx - last <= d.mask_delay_n + d.mask_hang_n
        late, self._late_a = _delay(np.concatenate((accel, f["smooth"](accel)), axis=1), self._late_a)
        late_band, self._late_b = _delay(band_xyz, self._late_b)   # for whitening, on the gate's time axis
        held, self._held_a = hold(late[:, 3:], covered, self._held_a)
        low = f["low"](np.where(covered[:, None], held, late[:, :3]))
        # Gyro: near any transient only its slow part counts; near a strict one it is left out.
        gyro_covered = idx - last_strict <= d.mask_delay_n + d.mask_gyro_hang_n
        late_g = None
        if gyro is not None:
            assert self._late_g is not None
            both, self._late_g = _delay(np.concatenate((gyro, f["gyro_slow"](gyro)), axis=1), self._late_g)
            near = idx - last <= d.mask_delay_n + d.mask_gyro_hang_n
            late_g = np.where(near[:, None], both[:, 3:], both[:, :3])
        return FrontEndChunk(band_xyz, late_band, band_g, power_fast, power_slow, covered, low, late_g,
                             gyro_covered)


def hold(x: np.ndarray, lost: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace lost rows by the last good row (``held`` carries it across chunks); returns the
    filled rows and the new ``held`` (the last row)."""
    if not lost.any():
        return x, x[-1].copy()
    idx = np.where(~lost, np.arange(lost.size), -1)
    last = np.maximum.accumulate(idx)
    filled = np.where((last >= 0)[:, None], x[np.maximum(last, 0)], held[None, :])
    return filled, filled[-1].copy()


def _chain(strict: np.ndarray, loose: np.ndarray, i0: int, last_before: int, chain_n: int) -> np.ndarray:
    """Transients: ``strict``, plus each run of ``loose`` that begins within ``chain_n`` samples of
    the latest transient before it (``last_before``: the latest one of earlier chunks). A run's
    first sample decides for the whole run (later samples are only nearer a transient: itself)."""
    out = strict.copy()
    if not loose.any():
        return out
    edges = np.flatnonzero(np.diff(np.concatenate(([0], loose.astype(np.int8), [0]))))
    strict_at = np.flatnonzero(strict)
    last_chained = last_before - i0                      # chunk-relative
    for a, b in zip(edges[::2], edges[1::2]):
        k = np.searchsorted(strict_at, a) - 1
        previous = max(last_chained, int(strict_at[k]) if k >= 0 else last_chained)
        if a - previous <= chain_n:
            out[a:b] = True
            last_chained = int(b) - 1
    return out


def _delay(x: np.ndarray, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` delayed by ``len(buf)`` samples; returns it and the new buffer (the last samples)."""
    if buf.shape[0] == 0:
        return x, buf
    both = np.concatenate((buf, x))
    return both[:x.shape[0]], both[x.shape[0]:]
