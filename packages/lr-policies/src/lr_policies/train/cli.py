"""``lr train``: parse flags into a :class:`TrainConfig` and run the loop."""

from __future__ import annotations

from lr_core.config import parse_cli
from lr_policies.train.config import TrainConfig


def main(argv: list[str]) -> int:
    """``lr train --policy.type=act --dataset.repo_id=user/name --steps=... [--resume=true]``.

    Extra flags (not part of the saved config): ``--stop_after_steps=N`` ends this invocation at
    step N with a checkpoint, to be continued later with ``--resume=true``;
    ``--policy.path=DIR_OR_HUB_ID`` fine-tunes a saved policy as LeRobot does: its
    ``config.json`` is the base of ``--policy.*`` (other flags override fields) and its weights
    are the starting point (``pretrained_path``).
    """
    argv = list(argv)
    stop = _pop(argv, "stop_after_steps")
    config_path = _peek(argv, "config_path")
    policy_path = _pop(argv, "policy.path")
    defaults = None
    if policy_path is not None:
        from lr_policies.pretrained import load_policy_config, resolve_pretrained

        saved = load_policy_config(resolve_pretrained(policy_path)).to_dict()
        defaults = {"policy": {**saved, "pretrained_path": policy_path}}
    cfg = parse_cli(TrainConfig, argv, prog="lr train", defaults=defaults)
    from lr_policies.train.loop import find_checkpoint, train

    checkpoint = find_checkpoint(cfg, config_path) if cfg.resume else None
    last = train(cfg, checkpoint=checkpoint, stop_after_steps=None if stop is None else int(stop))
    print(f"lr train: last checkpoint {last}")
    return 0


def _pop(argv: list[str], name: str) -> str | None:
    value = _peek(argv, name)
    for i, arg in enumerate(list(argv)):
        if arg == f"--{name}":
            del argv[i : i + 2]
            break
        if arg.startswith(f"--{name}="):
            del argv[i]
            break
    return value


def _peek(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None
