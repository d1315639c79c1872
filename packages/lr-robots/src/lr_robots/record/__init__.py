"""``lr record``: recording episodes from a robot into a LeRobotDataset (the ``dataset`` extra),
driven by a teleoperator or a trained policy. See docs/robots.md.

The configs import nothing heavy; the session and loop import lr-dataset when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "DatasetRecordConfig": "lr_robots.record.config",
    "PolicyRunConfig": "lr_robots.record.config",
    "RGBEncoderConfig": "lr_robots.record.config",
    "RecordConfig": "lr_robots.record.config",
    "RecordControls": "lr_robots.record.events",
    "RecordEvents": "lr_robots.record.events",
    "build_dataset_frame": "lr_robots.record.frames",
    "dataset_features": "lr_robots.record.frames",
    "Driver": "lr_robots.record.loop",
    "PhaseReport": "lr_robots.record.loop",
    "run_phase": "lr_robots.record.loop",
    "RecordResult": "lr_robots.record.session",
    "record": "lr_robots.record.session",
    "record_main": "lr_robots.record.session",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from lr_robots.record.config import (
        DatasetRecordConfig,
        PolicyRunConfig,
        RecordConfig,
        RGBEncoderConfig,
    )
    from lr_robots.record.events import RecordControls, RecordEvents
    from lr_robots.record.frames import build_dataset_frame, dataset_features
    from lr_robots.record.loop import Driver, PhaseReport, run_phase
    from lr_robots.record.session import RecordResult, record, record_main
