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
