"""Reading: LeRobot-written fixtures give the values LeRobot itself returned; delta windows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import FrameTimestampError

FIXTURES = Path(__file__).parent / "fixtures"


DELTAS_VIDEO = {
    "observation.images.front": [-2 / 30, 0],
    "observation.state": [-1 / 30, 0],
    "action": [0, 1 / 30, 2 / 30, 3 / 30],
}
DELTAS_IMAGES = {"observation.images.front": [-1 / 30, 0]}


def _expected(name: str) -> dict[int, dict[str, np.ndarray]]:
    out: dict[int, dict[str, np.ndarray]] = {}
    with np.load(FIXTURES / f"{name}.expected.npz") as npz:
        for key in npz.files:
            i, feature = key.split("/", 1)
            out.setdefault(int(i), {})[feature] = npz[key]
    return out


@pytest.mark.parametrize("version", ["0.6.1", "0.4.4"])
@pytest.mark.parametrize("kind", ["video", "images"])
def test_lerobot_fixture_reads_identically(version, kind):
    """Every value LeRobot returned for these items, we return too, frames bit for bit."""
    name = f"lerobot-{version}-{kind}"
    deltas = DELTAS_VIDEO if kind == "video" else DELTAS_IMAGES
    ds = LeRobotDataset("peer/x", root=FIXTURES / name, delta_timestamps=deltas)
    expected = _expected(name)
    assert len(ds) == (18 if kind == "video" else 8)
    for i, items in expected.items():
        ours = ds[i]
        assert set(ours) == set(items), f"item {i}: keys differ"
        for key, want in items.items():
            got = ours[key]
            if key == "task":
                assert got == str(want)
            elif key == "observation.images.front":
                assert np.asarray(got).shape == want.shape
                np.testing.assert_array_equal(got, want, err_msg=f"{name}[{i}]")
            else:
                np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{name}[{i}] {key}")


def test_decoded_video_frames_are_bit_identical_to_lerobot():
    ds = LeRobotDataset("peer/x", root=FIXTURES / "lerobot-0.6.1-video", return_uint8=True)
    want = _expected("lerobot-0.6.1-video")[12]["observation.images.front"][1]
    got = ds[12]["observation.images.front"]
    np.testing.assert_array_equal(got, np.round(want * 255).astype(np.uint8))


def test_delta_windows_pad_and_clamp_at_episode_edges():
    ds = LeRobotDataset(
        "peer/x",
        root=FIXTURES / "lerobot-0.6.1-video",
        delta_timestamps={"action": [-2 / 30, 0, 1 / 30]},
    )
    first = ds[6]  # first frame of episode 1
    assert first["action_is_pad"].tolist() == [True, False, False]
    np.testing.assert_array_equal(first["action"][0], first["action"][1])
    last = ds[11]  # last frame of episode 1
    assert last["action_is_pad"].tolist() == [False, False, True]
    np.testing.assert_array_equal(last["action"][2], last["action"][1])
    assert (last["episode_index"], last["frame_index"]) == (1, 5)


def test_episode_selection():
    ds = LeRobotDataset("peer/x", root=FIXTURES / "lerobot-0.6.1-video", episodes=[2, 0])
    assert len(ds) == 12 and ds.num_episodes == 2
    assert [int(ds[i]["episode_index"]) for i in (0, 5, 6, 11)] == [0, 0, 2, 2]
    assert int(ds[6]["index"]) == 12
    with pytest.raises(IndexError):
        LeRobotDataset("peer/x", root=FIXTURES / "lerobot-0.6.1-video", episodes=[7])


def test_bad_delta_timestamps_are_rejected():
    root = FIXTURES / "lerobot-0.6.1-video"
    with pytest.raises(ConfigError, match="multiples of 1/30"):
        LeRobotDataset("peer/x", root=root, delta_timestamps={"action": [0.01]})
    with pytest.raises(ConfigError, match="not a feature"):
        LeRobotDataset("peer/x", root=root, delta_timestamps={"nope": [0]})


def test_timestamp_outside_tolerance_names_key_episode_and_time(tmp_path):
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "ds"
    shutil.copytree(FIXTURES / "lerobot-0.6.1-video", root)
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    ts = table.column("timestamp").to_numpy().copy()
    ts[8] += 0.01  # episode 1, frame 2: 10 ms off its video frame
    table = table.set_column(
        table.schema.get_field_index("timestamp"), "timestamp", pa.array(ts, pa.float32())
    )
    pq.write_table(table, path)
    ds = LeRobotDataset("peer/x", root=root)
    ds[7]
    with pytest.raises(FrameTimestampError) as err:
        ds[8]
    message = str(err.value)
    assert "observation.images.front" in message and "episode 1" in message
    assert "0.076" in message  # the frame's timestamp


def test_stats_json_of_fixture_has_lerobot_shapes():
    stats = json.loads((FIXTURES / "lerobot-0.6.1-video/meta/stats.json").read_text())
    assert np.asarray(stats["observation.images.front"]["q50"]).shape == (3, 1, 1)


def test_dataset_pickles_without_its_columns_and_reads_after():
    import pickle

    root = FIXTURES / "lerobot-0.6.1-video"
    ds = LeRobotDataset("peer/x", root=root, delta_timestamps={"action": [0, 1 / 30]})
    before = ds[7]
    blob = pickle.dumps(ds)
    assert len(blob) < 20_000
    again = pickle.loads(blob)[7]
    for key, value in before.items():
        np.testing.assert_array_equal(np.asarray(again[key]), np.asarray(value))


@pytest.mark.slow
def test_torch_dataloader_with_spawned_workers():
    import torch

    from lr_dataset.torch_dataset import LeRobotDataset as TorchDataset

    ds = TorchDataset(
        "peer/x",
        root=FIXTURES / "lerobot-0.6.1-video",
        delta_timestamps={"observation.images.front": [-1 / 30, 0]},
    )
    loader = torch.utils.data.DataLoader(
        ds, batch_size=6, num_workers=1, multiprocessing_context="spawn"
    )
    batches = list(loader)
    assert len(batches) == 3
    assert batches[0]["observation.images.front"].shape == (6, 2, 3, 32, 48)
    assert batches[0]["observation.images.front"].dtype == torch.float32
    assert batches[1]["task"] == ["place the cube"] * 6


def test_episode_filter_selects_by_metadata():
    root = FIXTURES / "lerobot-0.6.1-video"
    ds = LeRobotDataset(
        "peer/x",
        root=root,
        video_backend="pyav",
        episode_filter=lambda ep: "place the cube" in ep["tasks"],
    )
    assert ds.episodes == [1] and len(ds) == 6
    ds = LeRobotDataset(
        "peer/x", root=root, episodes=[0, 1], episode_filter=lambda ep: ep["episode_index"] != 1
    )
    assert ds.episodes == [0]


def test_column_access_without_decoding():
    ds = LeRobotDataset("peer/x", root=FIXTURES / "lerobot-0.6.1-video", episodes=[1, 2])
    actions = ds.column("action")
    assert actions.shape == (12, 6)
    np.testing.assert_array_equal(actions[0], ds[0]["action"])
    assert ds.column("frame_index", episode_index=2).tolist() == list(range(6))
    with pytest.raises(IndexError):
        ds.column("action", episode_index=0)
    with pytest.raises(KeyError, match="observation.images.front"):
        ds.column("observation.images.front")


def test_a_process_forked_after_decoding_decodes_too(video_dataset):
    # swscale's thread pool, cached by the decoder, used to hang a DataLoader worker forked
    # after the main process had decoded a frame
    import multiprocessing

    ds = LeRobotDataset("t/fork", root=video_dataset)
    expected = ds[4]["observation.images.front"]
    queue = multiprocessing.get_context("fork").SimpleQueue()

    def child() -> None:
        queue.put(ds[4]["observation.images.front"].tobytes())

    proc = multiprocessing.get_context("fork").Process(target=child, daemon=True)
    proc.start()
    proc.join(60)
    if proc.is_alive():
        proc.kill()
        pytest.fail("the forked process hung decoding a frame")
    assert proc.exitcode == 0
    assert queue.get() == expected.tobytes()


@pytest.mark.parametrize("width", [16, 18, 24, 30, 40, 48, 56, 62, 64, 100, 640])
def test_channels_first_frames_equal_rgb24_at_every_width(width):
    # swscale's planar GBR output garbles the row ends of widths with width % 16 in 2..8
    import av
    from av.video.reformatter import VideoReformatter

    from lr_dataset.video import write_chw_rgb

    rng = np.random.default_rng(width)
    img = rng.integers(0, 256, (24, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
    out = np.empty((3, 24, width), np.uint8)
    write_chw_rgb(frame, out, VideoReformatter())
    assert np.array_equal(out, frame.to_ndarray(format="rgb24").transpose(2, 0, 1))


def _h264_with_b_frames(path, frames: int = 60) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"g": "30", "bf": "2", "crf": "18"}
        for i in range(frames):
            img = np.full((48, 64, 3), (4 * i) % 256, np.uint8)
            img[:, i % 60 : i % 60 + 4] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.mark.parametrize("codec", ["av1", "h264"])
def test_random_access_decodes_the_same_frames_as_sequential_decoding(codec, tmp_path):
    import av

    from lr_dataset.video import VideoDecoder

    if codec == "av1":
        path = next((FIXTURES / "lerobot-0.6.1-video").glob("videos/**/*.mp4"))
    else:
        path = tmp_path / "b.mp4"
        _h264_with_b_frames(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        sequential = [(f.pts * tb, f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    decoder = VideoDecoder()
    for i, (t, want) in enumerate(sequential):
        for jitter in (0.0, 4e-5, -4e-5):  # within tolerance_s on either side
            got = decoder.decode(path, [t + jitter], 1e-4)[0]
            assert np.array_equal(got, want), (i, jitter)
        if i >= 3:
            pair = decoder.decode(path, [sequential[i - 3][0], t], 1e-4, channels_first=True)
            assert np.array_equal(pair[0], sequential[i - 3][1].transpose(2, 0, 1))
            assert np.array_equal(pair[1], want.transpose(2, 0, 1))
