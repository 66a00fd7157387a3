"""``twitchwatch record --sensor NAME --out FILE``: record a BLE sensor to a native file,
counting twitches live, print the link's data-quality ledger at the end, and put the session
into the diary as the app does (``--no-diary`` leaves the diary alone).

The session runs through the app's own pieces: a :class:`~twitchwatch.session.LiveSession`
feeding a :class:`~twitchwatch.store.SessionRecorder`, so the diary gets the twitches, episodes,
monitored time, ledger, detector version and parameters, body site and side, and the path of
the ``.twr`` file (``--out``). A killed ``record`` leaves its session in state ``recording``
with the lock released; the next twitchwatch command (``record`` included) recovers it.

``--sensor sim-ble`` uses the simulated BLE sensor in-process (no hardware needed), which streams
the project's simulated day (``twitchwatch.model.simulate``) over the BLE packet path. Like the
app's simulated sensor it stays out of the diary unless ``--diary`` asks for it, so simulated
twitches never reach a clinic report by accident.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, AsyncIterator

from ..errors import ConfigError, LinkError, TwitchwatchError
from .diary import add_data_dir, recover_first

SIM_BLE = "sim-ble"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record", help="record a sensor to a .twr file with live counts and save the session in the diary",
        description="Record a twitchwatch sensor without the app: raw samples to a new .twr file, twitches "
                    "counted live, and the session saved in the diary (shown by `twitchwatch diary sessions`, "
                    "the report and the exports) unless --no-diary. Stop with Ctrl-C or --duration.")
    p.add_argument("--sensor", default=None,
                   help=f"sensor name or address, or {SIM_BLE} for a simulated one (default: the remembered one)")
    p.add_argument("--out", required=True, help="output file (.twr, must not exist yet)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument("--site", default="", help="where the sensor is worn: thenar, calf, thigh, sole or other "
                                              "(default: not recorded)")
    p.add_argument("--side", default="", help="left or right (default: not recorded)")
    p.add_argument("--diary", action=argparse.BooleanOptionalAction, default=None,
                   help=f"save the session in the diary (default: yes; no for the simulated {SIM_BLE})")
    add_data_dir(p)
    p.add_argument("--json", action="store_true", help="print the ledger and counts as JSON at the end")
    p.set_defaults(func=run)


def wants_diary(args: argparse.Namespace) -> bool:
    """``--diary``/``--no-diary`` if given; otherwise real sensors yes, the simulated one no."""
    return args.diary if args.diary is not None else args.sensor != SIM_BLE


class _FromZero:
    """The source with sample indices counted from its first chunk, as a live session expects
    (a BLE sensor numbers samples from its own power-on), plus when that chunk arrived."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.first_chunk_at: float | None = None        # time.monotonic() of the first sample

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def fs_hz(self) -> float:
        return self.source.fs_hz

    @property
    def state(self) -> str:
        return self.source.state

    @property
    def ledger(self) -> Any:
        return getattr(self.source, "ledger", None)

    @property
    def accel_range_g(self) -> int | None:
        return getattr(self.source, "accel_range_g", None)

    @property
    def gyro_range_dps(self) -> int | None:
        return getattr(self.source, "gyro_range_dps", None)

    async def chunks(self) -> AsyncIterator[Any]:
        base = None
        async for chunk in self.source.chunks():
            if base is None:
                base = chunk.first_index
                self.first_chunk_at = time.monotonic()
            yield replace(chunk, first_index=chunk.first_index - base)

    async def stop(self) -> None:
        await self.source.stop()


class _FileOnly:
    """The recorder for ``--no-diary``: the samples go to the ``.twr`` file and nowhere else."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.session_id: int | None = None
        self._writer: Any = None
        self._clipped = 0

    def start(self, fs_hz: float, has_gyro: bool, site: str, side: str, device: str,
              detector_info: dict, start_wall_s: float, *, accel_range_g: int | None = None,
              gyro_range_dps: int | None = None) -> None:
        from ..io.native import NativeWriter, live_full_scale

        accel_range_g, gyro_range_dps = live_full_scale(accel_range_g, gyro_range_dps)
        self._writer = NativeWriter.create(self.path, fs_hz=fs_hz, has_gyro=has_gyro, start_wall_s=start_wall_s,
                                           device=device, site=site, side=side, meta={},
                                           accel_range_g=accel_range_g, gyro_range_dps=gyro_range_dps)

    @property
    def clipped_samples(self) -> int:
        """Samples stored saturated, beyond the file's full scale (kept after close)."""
        return self._clipped if self._writer is None else int(self._writer.clipped_samples)

    def add_samples(self, accel_g: Any, gyro_dps: Any) -> None:
        self._writer.append(accel_g, gyro_dps)

    def add_output(self, out: Any) -> None:
        pass

    def set_ledger(self, ledger: dict) -> None:
        pass

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            self._clipped = int(writer.clipped_samples)
            writer.close()


@dataclass
class _Run:
    """What a recording left behind, readable even after Ctrl-C ended ``asyncio.run``."""

    source: Any = None
    session: Any = None
    recorder: Any = None
    site: str = ""
    side: str = ""


async def _open_source(sensor_arg: str | None) -> tuple[Any, Any]:
    """The BLE source for ``--sensor`` and, for sim-ble, the simulated sensor to stop afterwards."""
    from ..ble.source import BleSensorSource, LinkParams

    if sensor_arg != SIM_BLE:
        return BleSensorSource(sensor_arg), None
    from ..ble.sim_peripheral import make_link_pair

    sensor, bumble = make_link_pair()
    await sensor.start()
    src = BleSensorSource(sensor.cfg.name, bumble=bumble, params=LinkParams(scan_timeout_s=1.0, remember=False))
    return src, sensor


async def _record(args: argparse.Namespace, out: Path, site: str, side: str, data_dir: Path | None,
                  state: _Run) -> None:
    from ..session import LiveSession

    src, sensor = await _open_source(args.sensor)
    state.source = src
    if data_dir is not None:
        from ..store.recorder import SessionRecorder

        state.recorder = SessionRecorder(data_dir, recording_path=out)
    else:
        state.recorder = _FileOnly(out)
    source = _FromZero(src)
    session = state.session = LiveSession(source, recorder=state.recorder, site=site, side=side, view_s=1.0)
    watcher = asyncio.ensure_future(_watch(session, source, args.duration))
    try:
        await session.run()
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        try:
            await src.stop()
        finally:
            if sensor is not None:
                await sensor.stop()
            _close_quietly(state.recorder)


async def _watch(session: Any, source: _FromZero, duration_s: float | None) -> None:
    """Print the live line once a second; stop the session ``duration_s`` after the first sample."""
    last_print = 0.0
    while True:
        await asyncio.sleep(0.05)
        if source.first_chunk_at is None or not source.fs_hz:
            continue
        now = time.monotonic()
        if now - last_print >= 1.0:
            led = source.ledger
            try:
                print(f"\r{source.state:12s} {led.samples_expected / source.fs_hz:8.1f} s  "
                      f"twitches {session.counts.twitches}  episodes {session.counts.episodes}  lost {led.lost}  "
                      f"backfilled {led.backfilled}  reconnects {led.reconnects}", end="", flush=True)
            except BrokenPipeError:
                # Nobody reads the output any more (`record ... | head`): stop and save, as a
                # tool killed by SIGPIPE would stop; the CLI then exits quietly.
                await session.stop()
                raise
            last_print = now
        if duration_s is not None and now >= source.first_chunk_at + duration_s:
            await session.stop()
            return


def _close_quietly(recorder: Any) -> None:
    """Close a recorder the session dropped after a storage error (closing twice is harmless):
    the diary then marks the session ended with what was saved, instead of leaving it open."""
    try:
        recorder.close()
    except TwitchwatchError:
        pass          # the session already reported it


def _check_out(arg: str) -> Path:
    out = Path(arg).expanduser()
    if out.suffix.lower() != ".twr":                # io.read_recording takes any case too
        raise ConfigError(f"--out {arg}: the file must end in .twr")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {arg}: folder {out.parent} does not exist; create it first")
    if out.exists():
        raise ConfigError(f"--out {arg}: the file already exists; choose another name or delete it first")
    if not os.access(out.parent, os.W_OK):
        raise ConfigError(f"--out {arg}: cannot write to folder {out.parent}; choose a folder you can write to")
    return out


def run(args: argparse.Namespace) -> int:
    from ..store import writes

    out = _check_out(args.out)
    if args.duration is not None and not args.duration > 0:
        raise ConfigError(f"--duration {args.duration}: must be a positive number of seconds")
    site, side = writes.check_site_side(args.site, args.side)
    data_dir = None
    if wants_diary(args):
        from ..store.db import Store
        from ..store.paths import resolve_data_dir
        from ..store.recorder import check_new_recording

        data_dir = resolve_data_dir(args.data_dir)
        recover_first(str(data_dir))               # close what a killed run left open
        Store.open(data_dir).close()               # a read-only or damaged diary: say so before connecting
        check_new_recording(out)
    state = _Run(site=site, side=side)
    stopped = False
    try:
        asyncio.run(_record(args, out, site, side, data_dir, state))
    except KeyboardInterrupt:
        stopped = True
    except TwitchwatchError:
        raise
    except (OSError, EOFError) as err:
        raise LinkError(f"the sensor link failed: {err}; is Bluetooth switched on?") from None
    if stopped:
        print("\nstopped")
    else:
        print()
    return _report(args, out, data_dir, state)


def _report(args: argparse.Namespace, out: Path, data_dir: Path | None, state: _Run) -> int:
    session = state.session
    started = session is not None and session.detector is not None
    result: dict[str, Any] = {"ledger": state.source.ledger.as_dict() if state.source is not None else {}}
    clipped = int(getattr(state.recorder, "clipped_samples", 0))
    if started:
        result.update(twitches=session.counts.twitches, episodes=session.counts.episodes,
                      monitored_s=round(session.counts.monitored_s, 3), out=str(out),
                      clipped_samples=clipped)
    sid = getattr(state.recorder, "session_id", None) if data_dir is not None else None
    result["session_id"] = sid
    if args.json:
        print(json.dumps(result))
    else:
        if state.source is not None:
            print(state.source.ledger.summary())
        if started:
            print(f"twitches {result['twitches']}, episodes {result['episodes']}, "
                  f"monitored {result['monitored_s']:.1f} s; recording in {out}")
        if clipped:
            print(f"warning: {clipped} samples were beyond the file's full scale and are stored saturated")
        print(_diary_line(args, data_dir, sid, state))
    if session is not None and session.error:
        raise TwitchwatchError(f"recording stopped early: {session.error}")
    return 0


def _diary_line(args: argparse.Namespace, data_dir: Path | None, sid: int | None, state: _Run) -> str:
    if data_dir is None:
        if args.diary is False:
            return "not saved in the diary (--no-diary)"
        return f"not saved in the diary: {SIM_BLE} is a simulated sensor (add --diary to save it anyway)"
    if sid is None:
        return "nothing was recorded; the diary is unchanged"
    where = " ".join(x for x in (state.side, state.site) if x)
    listing = "twitchwatch diary sessions" + ("" if args.data_dir is None else f" --data-dir {data_dir}")
    return f"saved in the diary as session {sid}" + (f" ({where})" if where else "") + f"; see `{listing}`"
