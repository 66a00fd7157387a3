"""The date range of the export tests' small diary (imported by name: no tests package)."""

from datetime import date, timedelta

LAST_DAY = date.today() - timedelta(days=1)
FIRST_DAY = LAST_DAY - timedelta(days=5)
