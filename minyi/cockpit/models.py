"""Rollup tables arrive with the cockpit issue; the stats service reads the appeal table for now."""
