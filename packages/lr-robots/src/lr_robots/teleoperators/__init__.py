"""The teleoperators lr-robots registers under ``lr.teleoperators`` (one sub-package each)."""
