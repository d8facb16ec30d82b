"""Commands: the only code that appends events (and writes the audit trail).

Each checks the acting principal, decides through the pure domain, and appends with a
version check (`aggregates`). Nothing here reads the live model or the KPI archive.
"""
