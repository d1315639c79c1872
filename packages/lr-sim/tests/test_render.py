import numpy as np

from lr_sim.render import CameraRenderer, RenderSettings
from lr_sim.so101.sim import ArmSim


def test_renders_each_camera_with_one_reused_renderer():
    sim = ArmSim()
    sim.reset(cube_pos=[0.17, 0.0])
    with CameraRenderer(sim.model, 32, 40) as renderer:
        front = renderer.render(sim.data, "front")
        again = renderer.render(sim.data, "front")
        wrist = renderer.render(sim.data, "wrist")
        assert front.shape == (32, 40, 3) and front.dtype == np.uint8
        np.testing.assert_array_equal(front, again)
        assert not np.array_equal(front, wrist)
        assert len(renderer._renderers) == 2
        assert sim.model.vis.quality.offsamples == 0


def test_quality_settings_are_applied():
    sim = ArmSim()
    sim.reset(cube_pos=[0.17, 0.0])
    settings = RenderSettings(antialias=True, shadows=True, reflections=True)
    with CameraRenderer(sim.model, 32, 32, settings) as renderer:
        image = renderer.render(sim.data, "front")
        assert sim.model.vis.quality.offsamples == 4
        assert image.std() > 0


def test_unknown_camera_names_the_valid_ones():
    import pytest

    from lr_core.errors import ConfigError

    sim = ArmSim()
    with CameraRenderer(sim.model, 16, 16) as renderer, pytest.raises(ConfigError, match="front"):
        renderer.render(sim.data, "side")


FORK_AFTER_RENDER = """
import multiprocessing as mp
from lr_sim.render import CameraRenderer
from lr_sim.so101.sim import ArmSim

def child(queue):
    sim = ArmSim()
    try:
        CameraRenderer(sim.model, 8, 8).render(sim.data, "front")
        queue.put("rendered")
    except Exception as exc:
        queue.put(type(exc).__name__)

if __name__ == "__main__":
    sim = ArmSim()
    with CameraRenderer(sim.model, 8, 8) as renderer:
        renderer.render(sim.data, "front")
    queue = mp.get_context("fork").Queue()
    process = mp.get_context("fork").Process(target=child, args=(queue,))
    process.start()
    print(queue.get(timeout=60))
    process.join()
"""


def test_rendering_after_fork_is_a_clear_error_not_a_hang():
    import os
    import subprocess
    import sys

    env = {**os.environ, "MUJOCO_GL": "egl"}
    out = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_RENDER],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ForkedRendererError"
