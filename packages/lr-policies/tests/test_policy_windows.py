"""Window sizes of every registered policy type: counts are bounded, relations are checked, and
refusals name the field (issue 10, F6).

The walk runs over the ``lr.policies`` entry points, so a policy type installed later (a plugin,
a VLA) is covered without touching this file. What it requires of a policy config:

- every integer field declares a lower bound (``PositiveInt``, ``Field(ge=0)``...): a value under
  it is refused with an error naming the field;
- a value that breaks a relation between fields is refused with an error naming the field that
  was changed;
- an accepted config is consistent: ``n_obs_steps`` is the number of observation frames a sample
  loads, and ``n_action_steps`` fits in the actions one model call predicts from the current
  step (nothing silently truncated).
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

import annotated_types
import pytest

from lr_core import registry
from lr_core.errors import ConfigError
from lr_core.policy import PolicyConfig

#: Values each integer field is set to, one field at a time.
PROBES = (-7, -1, 0, 1, 2, 3, 4, 5, 8, 15, 16, 64, 100, 10**6)


def _policy_types() -> list[str]:
    return sorted(registry.names("lr.policies"))


@pytest.fixture(params=_policy_types())
def config_cls(request, tiny_policy_registered) -> type[PolicyConfig]:
    return PolicyConfig.for_type(request.param)


def test_the_walk_sees_the_test_plugin(tiny_policy_registered) -> None:
    assert {"act", "diffusion", "tiny"} <= set(registry.names("lr.policies"))


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return members == [int]
    return False


def _int_fields(cls: type[PolicyConfig]) -> dict[str, int | None]:
    """Integer fields and their declared lower bound (``None``: no bound declared)."""
    out: dict[str, int | None] = {}
    for name, field in cls.model_fields.items():
        if not _is_int(field.annotation):
            continue
        bound = None
        for meta in field.metadata:
            if isinstance(meta, annotated_types.Ge):
                bound = int(meta.ge)
            elif isinstance(meta, annotated_types.Gt):
                bound = int(meta.gt) + 1
        out[name] = bound
    return out


def _validate(cls: type[PolicyConfig], **values: Any) -> PolicyConfig:
    return PolicyConfig.from_dict({"type": cls.own_type(), **values})


def _assert_consistent(config: PolicyConfig) -> None:
    n_obs = getattr(config, "n_obs_steps", None)
    if n_obs is not None:
        obs = config.observation_delta_indices
        assert n_obs == (1 if obs is None else len(obs)), config
    n_action = getattr(config, "n_action_steps", None)
    actions = config.action_delta_indices
    if n_action is not None and actions is not None:
        assert 1 <= n_action <= sum(1 for i in actions if i >= 0), config


def test_every_count_declares_a_lower_bound(config_cls) -> None:
    unbounded = [name for name, bound in _int_fields(config_cls).items() if bound is None]
    assert not unbounded, f"{config_cls.__name__}: integer fields without a lower bound"
    for window in ("n_obs_steps", "n_action_steps", "chunk_size", "horizon"):
        if window in config_cls.model_fields:
            assert _int_fields(config_cls)[window] == 1, window


def test_defaults_are_consistent(config_cls) -> None:
    _assert_consistent(_validate(config_cls))


@pytest.mark.parametrize("start", ["defaults", "one action step"])
def test_walk_every_count_through_zero_negative_and_large_values(config_cls, start) -> None:
    base: dict[str, Any] = {}
    if start == "one action step":
        if "n_action_steps" not in config_cls.model_fields:
            pytest.skip("no n_action_steps")
        base = {"n_action_steps": 1}
    for name, bound in _int_fields(config_cls).items():
        for value in PROBES:
            values = {**base, name: value}
            if bound is not None and value < bound:
                with pytest.raises(ConfigError, match=name):
                    _validate(config_cls, **values)
                continue
            try:
                config = _validate(config_cls, **values)
            except ConfigError as exc:
                # A relation was broken: the message names the field that changed.
                assert name in str(exc), (values, str(exc))
                continue
            _assert_consistent(config)


def test_too_many_action_steps_are_refused_by_name(config_cls) -> None:
    if "n_action_steps" not in config_cls.model_fields:
        pytest.skip("no n_action_steps")
    default = _validate(config_cls)
    ahead = sum(1 for i in default.action_delta_indices or [] if i >= 0)
    with pytest.raises(ConfigError, match="n_action_steps"):
        _validate(config_cls, n_action_steps=ahead + 1)


def test_diffusion_executes_no_more_actions_than_it_predicts() -> None:
    # The F6 case: horizon 16 from the oldest of 2 observations leaves 15 actions to run.
    with pytest.raises(ConfigError, match="n_action_steps.*horizon - n_obs_steps \\+ 1 = 15"):
        _validate(PolicyConfig.for_type("diffusion"), horizon=16, n_action_steps=40)
    ok = _validate(PolicyConfig.for_type("diffusion"), horizon=16, n_action_steps=15)
    assert ok.n_action_steps == 15


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"temporal_ensemble_coeff": 0.01, "n_action_steps": 2}, "n_action_steps must be 1"),
        ({"chunk_size": 10, "n_action_steps": 11}, "cannot exceed chunk_size"),
        ({"n_obs_steps": 2}, "n_obs_steps=2"),
        ({"dim_model": 15, "n_heads": 5}, "dim_model .* must be even"),
    ],
)
def test_act_relations(values: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        _validate(PolicyConfig.for_type("act"), **values)


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"horizon": 20}, "horizon .* multiple of 2\\*\\*len\\(down_dims\\) = 8"),
        ({"down_dims": [16, 20], "n_groups": 8}, "n_groups"),
        ({"down_dims": [12, 24], "n_groups": 4}, "down_dims\\[0\\]"),
        ({"down_dims": []}, "down_dims"),
        ({"kernel_size": 4}, "kernel_size .* must be odd"),
        ({"diffusion_step_embed_dim": 6 + 1}, "diffusion_step_embed_dim"),
        ({"num_inference_steps": 0}, "num_inference_steps"),
    ],
)
def test_diffusion_relations(values: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        _validate(PolicyConfig.for_type("diffusion"), **values)
