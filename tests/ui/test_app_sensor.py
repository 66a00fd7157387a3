"""The sensor panel against the Bumble simulated sensor (real bleak, virtual radio): scan,
pick, connect, stream with the link's ledger and battery shown, record to the diary, and
disconnect cleanly."""

from __future__ import annotations

from twitchwatch.ble.discovery import scan_sensors
from twitchwatch.ble.sim_peripheral import PeripheralConfig, make_link_pair
from twitchwatch.ble.source import BleSensorSource, LinkParams
from twitchwatch.store import queries
from twitchwatch.store.db import Store

PARAMS = LinkParams(backoff_min_s=0.05, backfill_timeout_s=0.2, scan_timeout_s=1.0, connect_timeout_s=3.0)


def test_scan_connect_stream_record_disconnect(make_app, qloop):
    sensor, host = make_link_pair(PeripheralConfig(battery_pct=64))
    app = make_app(ble_factory=lambda address: BleSensorSource(address, bumble=host, params=PARAMS),
                   scanner=lambda: scan_sensors(timeout_s=0.6, bumble=host))
    app.run(sensor.start())
    try:
        w = app.window
        w.tabs.setCurrentWidget(w.sensor)
        assert "No sensor connected" in w.banner.text()
        w.sensor.scan_button.click()
        app.qtbot.waitUntil(lambda: w.sensor.devices.count() == 1, timeout=10000)
        assert "TWW-SIM" in w.sensor.devices.item(0).text()
        assert not w.sensor.connect_button.isEnabled()
        w.sensor.devices.setCurrentRow(0)
        assert w.sensor.connect_button.isEnabled()
        w.sensor.connect_button.click()

        def streaming() -> bool:
            w.refresh()
            s = app.controller.session
            return app.controller.link_status().state == "streaming" and s is not None and \
                s.counts.elapsed_s > 1.5
        app.qtbot.waitUntil(streaming, timeout=15000)
        w.refresh()
        assert w.banner.text() == "" and not w.banner.isVisible()
        assert "Streaming" in w.link_line.state.text()
        assert w.link_line.battery.text() == "Battery 64 %"
        assert w.link_line.loss.text().startswith("Data loss 0.00 %")
        assert w.sensor.disconnect_button.isEnabled()
        assert app.controller.last_device == sensor.cfg.address
        # A real sensor is recorded: the session row exists while streaming.
        with Store.open(app.controller.data_dir, readonly=True) as other:
            rows = queries.sessions(other)
        assert [r.status for r in rows] == ["recording"]

        w.sensor.disconnect_button.click()
        app.qtbot.waitUntil(lambda: app.controller.feed is None, timeout=15000)
        w.refresh()
        assert "No sensor connected" in w.banner.text()
        assert not w.sensor.disconnect_button.isEnabled()
        with Store.open(app.controller.data_dir, readonly=True) as other:
            rows = queries.sessions(other)
        assert [r.status for r in rows] == ["ended"]
        assert rows[0].n_samples > 200 and rows[0].ledger.get("lost") == 0
        assert (rows[0].site, rows[0].side) == ("thenar", "right")
        # The device is remembered for next time.
        w.save_settings()
        assert app.settings.value("sensor/last_device") == sensor.cfg.address
    finally:
        app.run(sensor.stop())


def test_link_drop_shows_calmly_recovers_and_close_ends_the_recording(make_app, qloop):
    from twitchwatch.ble.sim_peripheral import Faults

    faults = Faults(disconnect_every_s=2.0, disconnect_for_s=1.0)
    sensor, host = make_link_pair(PeripheralConfig(faults=faults))
    app = make_app(ble_factory=lambda address: BleSensorSource(address, bumble=host, params=PARAMS))
    app.run(sensor.start())
    try:
        w = app.window
        w.spawn(app.controller.use_ble(sensor.cfg.address))
        offline: list[str] = []

        def dropped_and_back() -> bool:
            w.refresh()
            state = app.controller.link_status().state
            if state != "streaming" and app.controller.session is not None and \
                    app.controller.session.counts.elapsed_s > 0:
                offline.append(w.banner.text())
            return bool(offline) and state == "streaming" and \
                app.controller.feed.source.ledger.reconnects >= 1
        app.qtbot.waitUntil(dropped_and_back, timeout=20000)
        assert any("reconnects by itself" in text for text in offline), offline
        w.refresh()
        assert "reconnect" in w.link_line.loss.text()
        assert w.banner.text() == ""
        # Closing while streaming stops the link and ends the recording cleanly.
        w.close()
        app.qtbot.waitUntil(lambda: w.closed, timeout=15000)
        with Store.open(app.controller.data_dir, readonly=True) as other:
            rows = queries.sessions(other)
        assert [r.status for r in rows] == ["ended"]
        assert rows[0].ledger["reconnects"] >= 1
    finally:
        app.run(sensor.stop())


def test_sensor_not_found_is_explained_not_raised(make_app, qloop):
    sensor, host = make_link_pair(PeripheralConfig())      # the sensor is never switched on
    app = make_app(ble_factory=lambda address: BleSensorSource(address, bumble=host, params=PARAMS))
    app.run(app.controller.use_ble("F0:77:77:00:00:09"))
    w = app.window

    def explained() -> bool:
        w.refresh()
        return "The sensor stopped" in w.banner.text()
    app.qtbot.waitUntil(explained, timeout=10000)
    assert "no sensor 'F0:77:77:00:00:09' found" in w.banner.text()
    assert "use the simulated sensor" in w.banner.text()
    assert "Failed" in w.link_line.state.text()
    # The wearer can go on with the simulated sensor.
    w.sensor.simulate_button.click()
    app.qtbot.waitUntil(lambda: app.controller.kind == "simulated", timeout=10000)
    w.refresh()
    assert "Simulated sensor — no real data" in w.banner.text()


def test_the_apps_recording_keeps_the_sensors_full_scale(make_app, qloop):
    """A knock the sensor measured beyond ±4 g / ±500 dps (within its ±8 g / ±1000 dps) is in
    the session's .twr as the sensor sent it, not clipped."""
    import numpy as np

    from twitchwatch.ble import protocol as P
    from twitchwatch.io.native import read_native

    cfg = PeripheralConfig()
    lsb = np.array([P.ACCEL_G_PER_LSB[P.ACCEL_RANGES_G.index(cfg.accel_range_g)]] * 3
                   + [P.GYRO_DPS_PER_LSB[P.GYRO_RANGES_DPS.index(cfg.gyro_range_dps)]] * 3)
    knock = np.round(np.array([-7.7, 6.5, 1.0, 980.0, -640.0, 0.0]) / lsb)

    def signal(first_index: int, n: int) -> np.ndarray:
        k = np.arange(first_index, first_index + n)
        out = np.zeros((n, 6))
        out[:, 2] = round(1.0 / lsb[2])
        out[k % 40 == 0] = knock
        return out.astype(np.int16)

    sensor, host = make_link_pair(cfg, signal)
    app = make_app(ble_factory=lambda address: BleSensorSource(address, bumble=host, params=PARAMS))
    app.run(sensor.start())
    try:
        app.run(app.controller.use_ble(sensor.cfg.address))
        app.qtbot.waitUntil(lambda: app.controller.session is not None
                            and app.controller.session.counts.elapsed_s > 0.5, timeout=15000)
        path = app.controller.session.recorder.recording_path
        app.run(app.controller.disconnect())
    finally:
        app.run(sensor.stop())
    rec = read_native(path)
    values = np.hstack([rec.accel_g, rec.gyro_dps])
    knocked = values[np.abs(values[:, 0]) > 2]
    assert len(knocked) >= 2, "no knock was recorded: the test could not fail"
    assert np.abs(knocked - knock * lsb).max() < 1e-9
    assert "clipped_samples" not in rec.meta
