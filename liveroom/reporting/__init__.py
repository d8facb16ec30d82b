"""Reports from the SQL archive: citizens' reports, the attendance recap, the KPIs, and the
spreadsheets they download as. Read only."""
