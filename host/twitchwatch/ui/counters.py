"""The counters row (today's twitches, episodes, last episode, rate, monitored time) and the
always-visible link line (connection, battery, data loss)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .snapshot import Counts, LinkStatus


def format_duration_s(seconds: float | None) -> str:
    """'—', '4.2 s', '12 min', '3 h 05 min' — short and calm."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class _Card(QFrame):
    def __init__(self, caption: str, tooltip: str) -> None:
        super().__init__()
        self.setObjectName("card")
        self.setToolTip(tooltip)
        self.value = QLabel("—")
        self.value.setObjectName("counterValue")
        self.caption = cap = QLabel(caption)
        cap.setObjectName("counterCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(cap)


class CountersPanel(QWidget):
    """Five cards; ``show_counts`` is called from the window's refresh timer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.twitches = _Card("twitches today", "Twitches the detector counted today while monitoring")
        self.episodes = _Card("episodes today", "Runs of twitches close together, counted today")
        self.last_episode = _Card("last episode", "How long the most recent episode lasted")
        self.rate = _Card("twitches / monitored hour",
                          "Today's twitches divided by monitored time; shown after 5 monitored minutes")
        self.monitored = _Card("monitored today", "Time the muscle was still enough to watch")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        for card in (self.twitches, self.episodes, self.last_episode, self.rate, self.monitored):
            layout.addWidget(card, 1)

    def show_counts(self, counts: Counts) -> None:
        when = "today" if counts.scope == "today" else f"({counts.scope})"
        for card, what in ((self.twitches, "twitches"), (self.episodes, "episodes"), (self.monitored, "monitored")):
            card.caption.setText(f"{what} {when}")
        self.twitches.value.setText(str(counts.twitches_today))
        self.episodes.value.setText(str(counts.episodes_today))
        self.last_episode.value.setText(format_duration_s(counts.last_episode_s))
        rate = counts.twitches_per_monitored_h
        self.rate.value.setText("—" if rate is None else f"{rate:.1f}")
        self.monitored.value.setText(format_duration_s(counts.monitored_s) if counts.monitored_s else "—")


class LinkLine(QWidget):
    """One line for the status bar: where the data comes from and how healthy the link is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel("")
        self.battery = QLabel("")
        self.loss = QLabel("")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(18)
        for label in (self.state, self.battery, self.loss):
            layout.addWidget(label)

    def show_status(self, status: LinkStatus) -> None:
        dot = {"streaming": "#4f7f5a", "simulated": "#7f8fa6", "replay": "#7f8fa6"}.get(
            status.state, "#a66f2a"
        )
        if status.kind in ("simulated", "replay"):
            text = status.source_name + ("" if status.state != "stopped" else " (ended)")
        elif status.kind == "none":
            text = "No sensor"
        else:
            text = f"{status.state.capitalize()} · {status.device or status.source_name}"
        self.state.setText(f'<span style="color:{dot}">&#9679;</span> {text}')
        self.battery.setText("Battery —" if status.battery_pct is None else f"Battery {status.battery_pct:.0f} %")
        if status.loss_pct is None:
            self.loss.setText("Data loss —")
        else:
            self.loss.setText(f"Data loss {status.loss_pct:.2f} %"
                              + (f" · {status.reconnects} reconnect{'s' if status.reconnects != 1 else ''}"
                                 if status.reconnects else ""))
