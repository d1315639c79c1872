"""The web viewer of ``lr dataset viz --mode=web`` in headless Chromium: the episode's video
shows the frame asked for, the plots are drawn, the task and the episode list are on the page
(checked on the screenshot's pixels and the page's DOM)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.testing import image, write_dataset
from lr_dataset.viz.web import episode_payload, serve_viewer

H, W = 32, 48


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = write_dataset(tmp_path_factory.mktemp("viz") / "ds", episodes=3, frames=24,
                         vcodec="h264")  # fmt: skip
    dataset = LeRobotDataset("test/synthetic", root=root)
    server = serve_viewer(dataset)
    yield dataset, server
    server.shutdown()


def test_the_server_serves_the_page_episode_data_and_byte_ranges(served):
    dataset, server = served
    payload = json.loads(urllib.request.urlopen(server.url + "api/episode/1").read())
    assert payload == json.loads(json.dumps(episode_payload(dataset, 1)))
    assert payload["tasks"] == ["place the cube"] and payload["length"] == 24
    assert [s["key"] for s in payload["series"]] == ["observation.state", "action", "next.reward"]
    assert len(payload["series"][0]["values"]) == 24
    video = payload["videos"][0]
    request = urllib.request.Request(server.url + video["url"][1:], headers={"Range": "bytes=4-11"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206 and response.read() == b"ftypisom"
    for bad in ("files/../../etc/passwd", "files/%2e%2e/%2e%2e/etc/passwd", "api/episode/9"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.url + bad)
        assert info.value.code == 404


@pytest.mark.slow
def test_headless_chromium_shows_the_synchronised_frame_and_the_plots(served, browser, tmp_path):
    dataset, server = served
    episode, k = 1, 15
    browser.open(f"{server.url}?episode={episode}&t={k / 30}")
    browser.wait_for("document.body.dataset.ready === '1'")
    assert browser.evaluate("document.body.dataset.frame") == str(k)
    assert browser.evaluate("document.getElementById('task').textContent") == "place the cube"
    assert browser.evaluate("document.querySelectorAll('#episodes a').length") == 3
    assert browser.evaluate("document.body.dataset.videoError") is None
    layout = json.loads(browser.evaluate("document.body.dataset.layout"))
    # wait until the video shows the frame sought (paint follows the seek)
    browser.wait_for("[...document.querySelectorAll('video')].every(v => !v.seeking)")
    from PIL import Image

    pixels = np.asarray(Image.open(browser.screenshot(Path("/tmp/viewer.png"))).convert("RGB"))
    pixels = pixels.astype(np.int16)
    box = layout["observation.images.front"]
    x0, y0 = round(box["x"]), round(box["y"])
    x1, y1 = round(box["x"] + box["width"]), round(box["y"] + box["height"])
    shown = Image.fromarray(pixels[y0:y1, x0:x1].astype(np.uint8)).resize((W, H), Image.BOX)
    shown = np.asarray(shown).astype(np.int16)
    stored = dataset.meta.episodes[episode]["dataset_from_index"] + k
    dataset.set_return_uint8(True)
    decoded = np.asarray(dataset[stored]["observation.images.front"]).transpose(1, 2, 0)
    diff = np.abs(shown - decoded.astype(np.int16)).mean()
    others = [
        np.abs(shown - image(episode, j, H, W).astype(np.int16)).mean() for j in (k - 6, k + 6)
    ]
    assert diff < 12, diff  # the frame of the time asked for...
    assert min(others) > diff + 4, (diff, others)  # ...not a neighbour
    # the plots: the first dimensions' colours (#e6194b, #3cb44b) drawn in the state's canvas
    plot = layout["observation.state"]
    area = pixels[round(plot["y"]):round(plot["y"] + plot["height"]),
                  round(plot["x"]):round(plot["x"] + plot["width"])]  # fmt: skip
    for colour in ((0xE6, 0x19, 0x4B), (0x3C, 0xB4, 0x4B)):
        near = (np.abs(area - np.array(colour)).sum(axis=-1) < 60).sum()
        assert near > 100, (colour, near)


@pytest.mark.slow
def test_playing_keeps_the_plot_cursor_on_the_video(served, browser):
    _, server = served
    browser.open(f"{server.url}?episode=2&autoplay=1")
    browser.wait_for("document.body.dataset.ready === '1'")
    browser.wait_for("document.getElementById('play').textContent === 'Play'", timeout=30)
    assert browser.evaluate("document.body.dataset.frame") == "23"  # played to the last frame
    video_time = browser.evaluate("document.querySelector('video').currentTime")
    to = browser.evaluate("JSON.stringify(state.ep.videos[0])")
    assert json.loads(to)["to"] - 2 / 30 <= video_time <= json.loads(to)["to"] + 1 / 30


@pytest.mark.slow
def test_lrs_default_av1_video_plays_in_chromium(tmp_path, browser):
    root = write_dataset(tmp_path / "av1", episodes=1, frames=12)  # libsvtav1, lr's default
    server = serve_viewer(LeRobotDataset("test/synthetic", root=root))
    try:
        browser.open(f"{server.url}?episode=0&t=0.2")
        browser.wait_for("document.body.dataset.ready === '1'")
        assert browser.evaluate("document.body.dataset.videoError") is None
        assert browser.evaluate("document.querySelector('video').readyState") >= 2
        assert browser.evaluate("document.querySelector('video').videoWidth") == W
    finally:
        server.shutdown()
