"""The robots lr-robots registers under ``lr.robots`` (one sub-package each: config + robot)."""
