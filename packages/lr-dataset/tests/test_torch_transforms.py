"""Image augmentation (LeRobot's ImageTransforms in plain torch): LeRobot's outputs on the same
seed, uint8 frames kept uint8, config errors named, and the DataLoader's uint8 path kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lr_core.errors import ConfigError
from lr_dataset.torch_transforms import (
    ColorJitter,
    RandomAffine,
    adjust_hue,
    adjust_sharpness,
)
from lr_dataset.transforms import ImageTransforms, ImageTransformsConfig


def _image(h: int = 24, w: int = 32) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(0))


@pytest.mark.peer
@pytest.mark.parametrize(("n_max", "random_order"), [(3, False), (6, True), (1, False)])
def test_same_frames_as_lerobot_on_the_same_seed(tmp_path, run_peer, n_max, random_order):
    image = _image()
    np.save(tmp_path / "in.npy", image.numpy())
    run_peer(
        "0.6.1",
        "lerobot_transforms.py",
        str(tmp_path / "in.npy"),
        str(tmp_path / "out.npy"),
        str(n_max),
        "1" if random_order else "0",
        "25",
        "7",
    )
    theirs = np.load(tmp_path / "out.npy")
    tf = ImageTransforms(
        ImageTransformsConfig(enable=True, max_num_transforms=n_max, random_order=random_order)
    )
    torch.manual_seed(7)
    ours = np.stack([tf(image).numpy() for _ in range(25)])
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert not np.allclose(ours[0], image.numpy())  # it did augment


def test_disabled_returns_the_frame_itself():
    image = _image()
    assert ImageTransforms(ImageTransformsConfig())(image) is image


def test_uint8_frames_stay_uint8_and_match_the_float_path():
    image = (_image() * 255).round().to(torch.uint8)
    tf = ImageTransforms(ImageTransformsConfig(enable=True))
    assert tf.keeps_uint8
    torch.manual_seed(3)
    out = tf(image)
    torch.manual_seed(3)
    reference = tf(image.float() / 255)
    assert out.dtype == torch.uint8 and out.shape == image.shape
    assert (out.float() - reference * 255).abs().max() <= 0.5 + 1e-3


def test_kernels_keep_range_and_identity_points():
    image = _image()
    assert torch.allclose(adjust_sharpness(image, 1.0), image)
    assert torch.allclose(adjust_hue(image, 0.0), image, atol=1e-6)
    blurred = adjust_sharpness(image, 0.0)
    assert torch.equal(blurred[:, 0], image[:, 0])  # edges kept
    assert blurred[:, 1:-1, 1:-1].std() < image[:, 1:-1, 1:-1].std()
    torch.manual_seed(0)
    jittered = ColorJitter(brightness=(2.0, 2.0), contrast=0.5)(image)
    assert jittered.min() >= 0 and jittered.max() <= 1
    shifted = RandomAffine(degrees=0, translate=(0.25, 0.0))
    torch.manual_seed(1)
    moved = shifted(image)
    assert (moved == 0).any()  # pixels shifted in from outside are zero


def test_bad_configs_name_the_transform():
    with pytest.raises(ConfigError, match="GaussianBlur.*not one lr implements"):
        ImageTransformsConfig.from_dict({"tfs": {"blur": {"type": "GaussianBlur"}}})
    with pytest.raises(ConfigError, match="ColorJitter takes"):
        ImageTransformsConfig.from_dict(
            {"tfs": {"b": {"type": "ColorJitter", "kwargs": {"gamma": 1}}}}
        )
    with pytest.raises(ConfigError, match="max_num_transforms"):
        ImageTransformsConfig.from_dict({"max_num_transforms": 0})
    with pytest.raises(ConfigError, match="hue must be increasing within"):
        ImageTransformsConfig.from_dict(
            {"tfs": {"h": {"type": "ColorJitter", "kwargs": {"hue": 0.9}}}}
        )
    with pytest.raises(ConfigError, match="RandomAffine needs degrees"):
        ImageTransformsConfig.from_dict({"tfs": {"a": {"type": "RandomAffine"}}})


def test_augmentation_runs_in_the_workers_and_keeps_the_uint8_transport(video_dataset):
    from lr_dataset.torch_dataset import LeRobotDataset
    from lr_dataset.torch_loader import DataLoader

    # One deterministic transform (brightness x 0.5), so the expected frames are known.
    halve = ImageTransformsConfig.from_dict(
        {
            "enable": True,
            "max_num_transforms": 1,
            "tfs": {"dim": {"type": "ColorJitter", "kwargs": {"brightness": [0.5, 0.5]}}},
        }
    )
    plain = LeRobotDataset("t/loader", root=video_dataset)
    augmented = LeRobotDataset(
        "t/loader", root=video_dataset, image_transforms=ImageTransforms(halve)
    )
    loader = DataLoader(augmented, batch_size=4, shuffle=True, num_workers=2)
    assert loader.ships_uint8_frames
    camera = "observation.images.front"
    for batch in loader:
        frames = batch[camera]
        assert frames.dtype == torch.float32
        for k, index in enumerate(batch["index"].tolist()):
            want = (plain[index][camera] * 255).round() * 0.5
            assert (frames[k] * 255 - want).abs().max() <= 0.5 + 1e-3
