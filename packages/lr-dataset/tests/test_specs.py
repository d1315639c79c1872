"""One spec check for create, add_features and the converter; hints are storable themselves."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lr_core.features import FeatureSpec
from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import FeatureSpecError
from lr_dataset.specs import check_feature
from lr_dataset.video import VideoEncoderConfig

HWC = ["height", "width", "channels"]
STATE = {"dtype": "float32", "shape": (2,), "names": ["a", "b"]}

REFUSED = [
    ("float32", (0,), None),
    ("float32", (3, 0), None),
    ("float32", (), None),
    ("float32", (2, 3), "(6,)"),
    ("int64", (1, 1, 4), "(4,)"),
    ("complex64", (2,), None),
    ("datetime64[ns]", (1,), None),
    ("object", (1,), None),
    ("image", (0, 10, 3), None),
    ("image", (10, 10, 4), None),
    ("image", (3, 32, 48), "(32, 48, 3)"),
    ("image", (32, 48, 2), None),
    ("video", (3, 32, 48), "(32, 48, 3)"),
    ("video", (32, 48, 1), None),
    ("video", (32, 48, 4), "(32, 48, 3)"),
    ("video", (0, 48, 3), None),
]


def _suggested(message: str) -> tuple[int, ...] | None:
    """The shape a hint offers, if any."""
    match = re.search(r"; .*?\(([0-9, ]+)\)\s*$", message)
    if not match:
        return None
    return tuple(int(v) for v in match.group(1).split(",") if v.strip())


@pytest.mark.parametrize(("dtype", "shape", "hint"), REFUSED)
def test_create_refuses_what_the_writer_cannot_store(tmp_path, dtype, shape, hint):
    feature = {"dtype": dtype, "shape": shape, "names": None}
    root = tmp_path / "ds"
    with pytest.raises(FeatureSpecError, match="feature 'observation.x'") as info:
        LeRobotDataset.create(
            "me/x",
            fps=10,
            features={"observation.state": STATE, "observation.x": feature},
            root=root,
            use_videos=dtype == "video",
            vcodec="h264",
        )
    assert not root.exists()
    suggested = _suggested(str(info.value))
    if hint is not None:
        assert suggested == tuple(int(v) for v in hint.strip("()").split(",") if v.strip())
    if suggested is not None:  # a hint never offers a spec that is refused in turn
        kind = dtype if dtype in ("image", "video") else "float32"
        check_feature(
            "x",
            FeatureSpec(dtype=kind, shape=suggested),
            video_encoder=VideoEncoderConfig(vcodec="h264"),
        )


@pytest.mark.parametrize(
    ("vcodec", "shape"),
    [
        ("h264", (31, 47, 3)),
        ("h264", (7, 7, 3)),
        ("libsvtav1", (2, 200, 3)),
        ("libsvtav1", (1, 1, 3)),
    ],
)
def test_video_sizes_the_encoder_refuses(tmp_path, vcodec, shape):
    """Found by encoding one frame of that size at create, before anything is recorded."""
    feature = {"dtype": "video", "shape": shape, "names": HWC}
    with pytest.raises(FeatureSpecError, match=f"the {vcodec} encoder refuses") as info:
        LeRobotDataset.create(
            "me/x",
            fps=10,
            features={"observation.images.cam": feature},
            root=tmp_path / "ds",
            vcodec=vcodec,
        )
    suggested = _suggested(str(info.value))
    assert suggested is not None, str(info.value)
    check_feature(
        "x",
        FeatureSpec(dtype="video", shape=suggested),
        video_encoder=VideoEncoderConfig(vcodec=vcodec),
    )
    assert not (tmp_path / "ds").exists()


def test_the_f7_report_is_refused_at_create(tmp_path):
    """A zero-width feature used to pass create() and add_frame, then fail in pyarrow."""
    vec = {"dtype": "float32", "shape": (3,), "names": ["a", "b", "c"]}
    target = {"dtype": "float32", "shape": (0,), "names": []}
    with pytest.raises(FeatureSpecError, match="'observation.target'.*zero-length"):
        LeRobotDataset.create(
            "me/z",
            fps=10,
            root=tmp_path / "z",
            use_videos=False,
            features={"observation.state": vec, "action": vec, "observation.target": target},
        )


def test_storable_specs_pass_and_record(tmp_path):
    features = {
        "observation.state": {"dtype": "float16", "shape": (2,), "names": None},
        "flag": {"dtype": "bool", "shape": (1,), "names": None},
        "count": {"dtype": "uint16", "shape": (3,), "names": None},
        "observation.images.depth": {"dtype": "image", "shape": (4, 6, 1), "names": HWC},
        "note": {"dtype": "string", "shape": (1,), "names": None},
    }
    ds = LeRobotDataset.create(
        "me/ok", fps=10, features=features, root=tmp_path / "ok", use_videos=False
    )
    for i in range(3):
        ds.add_frame(
            {
                "observation.state": np.full(2, i, np.float16),
                "flag": np.array([i % 2 == 0]),
                "count": np.full(3, i, np.uint16),
                "observation.images.depth": np.full((4, 6, 1), 9 * i, np.uint8),
                "note": f"n{i}",
                "task": "t",
            }
        )
    ds.save_episode()
    ds.finalize()
    item = LeRobotDataset("me/ok", root=tmp_path / "ok", return_uint8=True)[2]
    assert item["count"].tolist() == [2, 2, 2] and item["note"] == "n2"
    assert item["observation.images.depth"].shape == (1, 4, 6)


def test_add_features_uses_the_same_check(image_dataset, tmp_path):
    from lr_dataset.tools import add_features

    n = 8
    with pytest.raises(FeatureSpecError, match="'extra'.*zero-length"):
        add_features(
            image_dataset,
            {"extra": (np.zeros((n, 0), np.float32), {"dtype": "float32", "shape": [0]})},
            tmp_path / "a",
        )
    with pytest.raises(FeatureSpecError, match=r"'extra'.*store it flattened, shape \(4,\)"):
        add_features(
            image_dataset,
            {"extra": (np.zeros((n, 2, 2), np.float32), {"dtype": "float32", "shape": [2, 2]})},
            tmp_path / "b",
        )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
