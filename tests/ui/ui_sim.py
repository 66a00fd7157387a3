"""Simulation settings shared by the app tests (a module with a unique name, so it cannot
clash with another folder's conftest when the whole suite runs)."""

from twitchwatch.model.simulate import SimConfig

# A lively simulated wear: enough episodes in a minute of simulated time to count.
BUSY_SIM = SimConfig(episodes_per_hour=90.0, isolated_per_hour=120.0, movement_fraction=0.1, seed=11)
