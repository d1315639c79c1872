"""Builders for tests: small LeRobot datasets on disk and ways to compare them.

Public and typed, for lr-dataset's own tests and for any package whose tests need a dataset
(lr-policies, lr-sim...): nothing here is imported by lr's production code, and no test has to
put another test folder on ``sys.path``. Everything is deterministic (frames are functions of
the episode and frame index), small (seconds to write) and real (written by lr's own writer,
or, for cases the writer cannot reach cheaply, assembled from lr's own file writers).

=============================  ===============================================================
name                           what it gives
=============================  ===============================================================
``write_dataset``              a recorded dataset (state, action, reward, optional camera)
``add_episodes``               more episodes appended by ``LeRobotDataset.resume``
``features`` / ``frame``       the features and the frames ``write_dataset`` records
``image``                      the synthetic camera frame of (episode, frame)
``write_long_episode``         one episode of any length whose MP4 holds only chosen frames
``write_sparse_video``         an MP4 holding only chosen frame indices (identifiable frames)
``write_v21``                  a LeRobot v2.1 dataset (the layout the converter reads)
``record_then_kill``           a recording process SIGKILLed after a delay (crash tests)
``write_rollover_dataset``     episodes of ``LENGTHS`` frames whose MP4s and data files roll over
``assert_same_item``           two samples hold the same values (numpy or torch)
``tree_digest``                ``{path: sha256}`` of a folder (to prove a source untouched)
``frames_of``                  every item of one episode
``assert_same_episode``        two episodes hold the same values, frames and task
=============================  ===============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS = {
    "NAMES": "lr_dataset.testing.synthetic",
    "CAMERA": "lr_dataset.testing.synthetic",
    "features": "lr_dataset.testing.synthetic",
    "image": "lr_dataset.testing.synthetic",
    "frame": "lr_dataset.testing.synthetic",
    "write_dataset": "lr_dataset.testing.synthetic",
    "add_episodes": "lr_dataset.testing.synthetic",
    "tree_digest": "lr_dataset.testing.synthetic",
    "frames_of": "lr_dataset.testing.synthetic",
    "assert_same_episode": "lr_dataset.testing.synthetic",
    "frame_value": "lr_dataset.testing.long_episode",
    "write_sparse_video": "lr_dataset.testing.long_episode",
    "write_long_episode": "lr_dataset.testing.long_episode",
    "write_v21": "lr_dataset.testing.v21",
    "record_then_kill": "lr_dataset.testing.crash",
    "LENGTHS": "lr_dataset.testing.rollover",
    "WINDOWS": "lr_dataset.testing.rollover",
    "write_rollover_dataset": "lr_dataset.testing.rollover",
    "files_of": "lr_dataset.testing.rollover",
    "assert_same_item": "lr_dataset.testing.rollover",
    "indices": "lr_dataset.testing.rollover",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.testing.crash import record_then_kill
    from lr_dataset.testing.long_episode import (
        frame_value,
        write_long_episode,
        write_sparse_video,
    )
    from lr_dataset.testing.rollover import (
        LENGTHS,
        WINDOWS,
        assert_same_item,
        files_of,
        indices,
        write_rollover_dataset,
    )
    from lr_dataset.testing.synthetic import (
        CAMERA,
        NAMES,
        add_episodes,
        assert_same_episode,
        features,
        frame,
        frames_of,
        image,
        tree_digest,
        write_dataset,
    )
    from lr_dataset.testing.v21 import write_v21
