"""What the user brings to the visit: the clinic PDF, CSV tables and EDF+ files.

Entry points (all read the diary only, and write files 0600):
:func:`report.make_report` (``twitchwatch report``), :func:`csv_export.export_csv`
and :func:`edf_export.export_edf` (``twitchwatch export``). Columns and choices:
``docs/export.md``. Imports are left to the caller so that matplotlib and fpdf2 load only
when a report is made.
"""
