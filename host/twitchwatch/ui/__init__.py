"""The desktop app (the only place that imports Qt): window, panels, plot, and the
widget-free controller that runs the live session. Start it with ``twitchwatch``."""
