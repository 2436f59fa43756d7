"""Inspectors' own records: absences (availability) and declared conflicts of interest."""
