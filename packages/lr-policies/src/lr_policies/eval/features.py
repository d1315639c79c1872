"""Does the env give the policy what it was trained on? Checked before the first step.

A policy's ``input_features`` (recorded in its checkpoint) are compared with the env's
observation space, after the ``rename_map`` the pre-processor applies (env key -> policy key):

- every input must be provided;
- a camera ``(3, H, W)`` needs an env image ``(H, W, 3)`` of dtype uint8;
- a state vector ``(D,)`` needs a numeric env array of shape ``(D,)``.

Extra env observations are fine (the policy ignores them); a VLA's empty-camera slots
(``observation.images.empty_camera_<i>``) are the model's own and not asked of the env. When
cameras differ and the env config has lr-sim's ``cameras``, ``image_height`` and
``image_width`` fields, none of which the user set, the env config is rebuilt from the
checkpoint's cameras (names and size).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from lr_core.env import EnvConfig
from lr_core.errors import ConfigError
from lr_core.features import FeatureType, PolicyFeature

if TYPE_CHECKING:  # pragma: no cover
    import gymnasium

CAMERA_PREFIX = "observation.images."
ADAPTABLE_FIELDS = ("cameras", "image_height", "image_width")


def feature_differences(
    input_features: Mapping[str, PolicyFeature],
    space: gymnasium.spaces.Dict,
    rename_map: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Policy input -> what is wrong, for every input the env does not provide as the policy
    expects it."""
    renames = dict(rename_map or {})
    provided = {renames.get(key, key): (key, sub) for key, sub in space.spaces.items()}
    given = ", ".join(f"{key} {_describe_space(sub)}" for key, sub in space.spaces.items())
    out: dict[str, str] = {}
    for key, feature in input_features.items():
        if ".empty_camera_" in key:  # a VLA's padding slot: the model fills it, not the env
            continue
        if key not in provided:
            out[key] = f"{key}: the policy needs {_describe(feature)}; the env does not give it"
            continue
        env_key, sub = provided[key]
        shape = tuple(getattr(sub, "shape", ()) or ())
        dtype = np.dtype(getattr(sub, "dtype", None) or np.float32)
        name = key if env_key == key else f"{key} (env {env_key})"
        if feature.type is FeatureType.VISUAL:
            want = tuple(feature.shape)
            got = (shape[2], shape[0], shape[1]) if len(shape) == 3 else shape
            if got != want:
                out[key] = (
                    f"{name}: the policy was trained on {_hw(want)} images; the env gives "
                    f"{_describe_space(sub)}"
                )
            elif dtype != np.uint8:
                out[key] = f"{name}: images must be uint8 (H, W, 3); the env gives {dtype}"
        elif shape != tuple(feature.shape):
            out[key] = (
                f"{name}: the policy needs shape {tuple(feature.shape)}; the env gives {shape}"
            )
        elif not np.issubdtype(dtype, np.number):
            out[key] = f"{name}: the policy needs numbers; the env gives {dtype}"
    if out:
        out["*"] = f"(the env gives: {given})"
    return out


def check_env_features(
    input_features: Mapping[str, PolicyFeature],
    env: EnvConfig,
    space: gymnasium.spaces.Dict,
    rename_map: Mapping[str, str] | None = None,
    *,
    adapt: bool = True,
) -> tuple[EnvConfig, str] | None:
    """``None`` when ``space`` gives every policy input; with ``adapt``, an env config that
    renders the checkpoint's cameras and a line saying what changed; else raise
    :class:`ConfigError` listing the differences and the ways out."""
    problems = feature_differences(input_features, space, rename_map)
    if not problems:
        return None
    cameras_only = all(
        key == "*" or input_features[key].type is FeatureType.VISUAL for key in problems
    )
    if adapt and cameras_only:
        adapted = adapt_env_config(env, input_features, rename_map)
        if adapted is not None:
            return adapted
    fixes = (
        "Configure the env to match (e.g. --env.cameras, --env.image_height, "
        "--env.image_width), or map env keys to policy keys with "
        '--rename_map=\'{"env key": "policy key"}\''
    )
    raise ConfigError(
        f"the env {env.type!r} does not give the policy what it was trained on:\n  "
        + "\n  ".join(problems.values())
        + f"\n{fixes}"
    )


def adapt_env_config(
    env: EnvConfig,
    input_features: Mapping[str, PolicyFeature],
    rename_map: Mapping[str, str] | None = None,
) -> tuple[EnvConfig, str] | None:
    """``env`` rebuilt to render the policy's cameras (names, height, width), or ``None`` when
    it cannot be: the config lacks lr-sim's camera fields, the user set one of them, cameras
    are renamed, or the policy's cameras differ in size."""
    if not all(name in type(env).model_fields for name in ADAPTABLE_FIELDS):
        return None
    if set(ADAPTABLE_FIELDS) & env.model_fields_set or rename_map:
        return None
    cameras = {
        key[len(CAMERA_PREFIX) :]: tuple(ft.shape)
        for key, ft in input_features.items()
        if ft.type is FeatureType.VISUAL
        and key.startswith(CAMERA_PREFIX)
        and ".empty_camera_" not in key
    }
    sizes = {shape[1:] for shape in cameras.values()}
    if len(sizes) > 1:
        return None
    update: dict[str, Any] = {"cameras": sorted(cameras, key=list(cameras).index)}
    if sizes:
        ((height, width),) = sizes
        update |= {"image_height": height, "image_width": width}
    else:
        update |= {
            "image_height": env.image_height,
            "image_width": env.image_width,
        }
    data = {**env.to_dict(), **update}
    try:
        adapted = EnvConfig.from_dict(data, source="the env adapted to the checkpoint")
    except ConfigError:
        return None
    before = _camera_summary(env)
    after = _camera_summary(adapted)
    note = (
        f"the checkpoint was trained on {after}; rendering env {env.type!r} with that instead "
        f"of its default {before} (set --env.cameras, --env.image_height and "
        "--env.image_width to choose)"
    )
    return adapted, note


def _camera_summary(env: EnvConfig) -> str:
    cameras = list(getattr(env, "cameras", []) or [])
    if not cameras:
        return "no camera"
    size = f"{getattr(env, 'image_height', '?')}x{getattr(env, 'image_width', '?')}"
    return f"cameras {cameras} at {size}"


def _describe(feature: PolicyFeature) -> str:
    if feature.type is FeatureType.VISUAL:
        return f"{_hw(tuple(feature.shape))} uint8 images"
    return f"a {feature.type.value.lower()} vector of shape {tuple(feature.shape)}"


def _hw(chw: tuple[int, ...]) -> str:
    return f"{chw[1]}x{chw[2]}" if len(chw) == 3 else str(chw)


def _describe_space(space: Any) -> str:
    shape = tuple(getattr(space, "shape", ()) or ())
    dtype = getattr(space, "dtype", None)
    return f"{shape} {np.dtype(dtype).name if dtype is not None else '?'}"
