"""Workstations read and act through minyi.appeals; they store nothing of their own."""
