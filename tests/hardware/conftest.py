"""Fixtures for tests/hardware (kept in hw_common.py, which tests import by that unique name)."""

from hw_common import fw_config, pins  # noqa: F401  (pytest fixtures)
