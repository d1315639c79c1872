"""The training loop behind ``lr train``.

Exact resume: a checkpoint holds the weights, the optimizer and scheduler states, the RNG states
(Python, NumPy, torch) and the step; the data order is a pure function of the seed and the
number of samples drawn (:class:`~lr_policies.train.sampler.ResumableSampler`). On CPU, training
N steps, stopping, and resuming for N more gives bitwise the weights of 2N uninterrupted steps
(with ``num_workers=0``, or any dataset whose items do not draw random numbers).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from lr_core.errors import ConfigError
from lr_policies.errors import CheckpointError
from lr_policies.optim import (
    make_optimizer,
    make_scheduler,
    optimizer_preset,
    scheduler_preset,
)
from lr_policies.pretrained import make_policy
from lr_policies.processors import (
    load_pre_post_processors,
    make_pre_post_processors,
    save_pre_post_processors,
)
from lr_policies.train.config import TRAIN_CONFIG_NAME, TrainConfig
from lr_policies.train.data import make_dataset, training_stats, usable_frames
from lr_policies.train.distributed import DistContext, init_distributed, shutdown_distributed
from lr_policies.train.metrics import MetricsLogger
from lr_policies.train.sampler import ResumableSampler
from lr_policies.train.state import (
    CHECKPOINTS_DIR,
    DATASET_STATE,
    GRAD_SCALER_STATE,
    LAST_CHECKPOINT_LINK,
    PRETRAINED_MODEL_DIR,
    TRAINING_STATE_DIR,
    checkpoint_dir,
    load_training_state,
    read_training_step,
    rng_state,
    save_training_state,
    seed_everything,
    set_rng_state,
    update_last_link,
)


def find_checkpoint(cfg: TrainConfig, config_path: str | Path | None = None) -> Path:
    """The checkpoint a ``--resume=true`` run continues: the one whose
    ``pretrained_model/train_config.json`` was passed as ``--config_path``, else
    ``<output_dir>/checkpoints/last``."""
    if config_path is not None:
        path = Path(config_path).resolve()
        if path.parent.name == PRETRAINED_MODEL_DIR:
            return path.parent.parent
    if not cfg.output_dir:
        raise ConfigError(
            "--resume=true needs --output_dir (a previous run's folder) or "
            "--config_path=<run>/checkpoints/<step>/pretrained_model/train_config.json"
        )
    last = Path(cfg.output_dir) / CHECKPOINTS_DIR / LAST_CHECKPOINT_LINK
    if not last.exists():
        raise CheckpointError(f"cannot resume: {last} does not exist (no checkpoint was saved)")
    return last.resolve()


def train(
    cfg: TrainConfig,
    *,
    dataset: Any = None,
    checkpoint: str | Path | None = None,
    stop_after_steps: int | None = None,
) -> Path:
    """Train as ``cfg`` says; return the folder of the last checkpoint written (the output
    folder when ``save_checkpoint`` is false).

    ``dataset`` replaces the one ``cfg.dataset`` names (any map-style dataset with LeRobot's
    ``meta``). ``checkpoint`` is the checkpoint to resume (with ``cfg.resume``; found with
    :func:`find_checkpoint` when omitted). ``stop_after_steps`` ends this invocation early, after
    saving a checkpoint, while the schedule still spans ``cfg.steps`` (for pre-emptible jobs).
    """
    dist = init_distributed(cfg.device)
    try:
        return _train(cfg, dist, dataset, checkpoint, stop_after_steps)
    finally:
        shutdown_distributed(dist)


def _device(cfg: TrainConfig, dist: DistContext) -> torch.device:
    name = cfg.device or cfg.policy.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and dist.enabled:
        return torch.device("cuda", dist.local_rank)
    return torch.device(name)


def _train(
    cfg: TrainConfig,
    dist: DistContext,
    dataset: Any,
    checkpoint: str | Path | None,
    stop_after_steps: int | None,
) -> Path:
    device = _device(cfg, dist)
    output_dir = cfg.resolved_output_dir()
    ckpt: Path | None = None
    if cfg.resume:
        ckpt = Path(checkpoint) if checkpoint is not None else find_checkpoint(cfg)
        if not (ckpt / TRAINING_STATE_DIR).is_dir():
            raise CheckpointError(f"cannot resume from {ckpt}: it has no {TRAINING_STATE_DIR}/")
        if not cfg.output_dir:
            output_dir = ckpt.parent.parent
        saved = read_training_step(ckpt / TRAINING_STATE_DIR)
        if (saved.get("num_processes"), saved.get("batch_size")) != (
            dist.world_size,
            cfg.batch_size,
        ):
            raise ConfigError(
                f"{ckpt} was written by {saved.get('num_processes')} process(es) with batch_size "
                f"{saved.get('batch_size')}; resume with the same (now {dist.world_size} and "
                f"{cfg.batch_size}) to keep the data order exact"
            )
    elif output_dir.exists() and any(output_dir.iterdir()):
        raise ConfigError(
            f"output_dir {output_dir} already exists and is not empty; pass --resume=true to "
            "continue that run, or choose another --output_dir"
        )
    cfg = cfg.model_copy(update={"output_dir": str(output_dir)})
    dist.barrier()

    seed_everything(cfg.seed)
    if dataset is None:
        dataset = make_dataset(cfg.dataset, cfg.policy, seed=cfg.seed)
    # Fine-tuning: `--policy.pretrained_path` starts from saved weights (new normalisation stats
    # come from this dataset, as LeRobot's stats override does).
    # A resumed run loads its own checkpoint's weights (strictly).
    pretrained = getattr(cfg.policy, "pretrained_path", None)
    if ckpt is not None:
        pretrained = ckpt / PRETRAINED_MODEL_DIR
    policy = make_policy(
        cfg.policy, dataset.meta, device=device, pretrained=pretrained, rename_map=cfg.rename_map
    )
    if ckpt is not None:
        pre, post = load_pre_post_processors(
            ckpt / PRETRAINED_MODEL_DIR, device=str(device), rename_map=cfg.rename_map
        )
    else:
        stats = training_stats(dataset.meta, use_imagenet_stats=cfg.dataset.use_imagenet_stats)
        stats = {cfg.rename_map.get(k, k): v for k, v in stats.items()}
        pre, post = make_pre_post_processors(
            policy.config, stats, rename_map=cfg.rename_map, device=str(device)
        )
    cfg = cfg.model_copy(update={"policy": policy.config})

    opt_cfg = cfg.optimizer or optimizer_preset(policy.config)
    sched_cfg = cfg.scheduler or scheduler_preset(policy.config)
    optimizer = make_optimizer(policy.get_optim_params(), opt_cfg)
    scheduler = make_scheduler(optimizer, sched_cfg, cfg.steps)

    step = 0
    if ckpt is not None:
        step = load_training_state(
            ckpt / TRAINING_STATE_DIR, optimizer=optimizer, scheduler=scheduler
        )

    loader, frames = _make_loader(cfg, dist, dataset, policy.config, device, step, ckpt)

    model: torch.nn.Module = policy
    if dist.enabled:
        model = torch.nn.parallel.DistributedDataParallel(
            policy, device_ids=[device.index] if device.type == "cuda" else None
        )

    logger = None
    if dist.is_main:
        output_dir.mkdir(parents=True, exist_ok=True)
        cfg.save(output_dir / TRAIN_CONFIG_NAME)
        logger = MetricsLogger(
            output_dir,
            total_steps=cfg.steps,
            start_step=step,
            progress_bar=cfg.progress_bar,
            wandb_config=cfg.wandb,
            run_config=cfg.to_dict(),
        )
        n_params = sum(p.numel() for p in policy.parameters())
        source = f"{frames} frames" if frames is not None else "a stream"
        logger.write(
            f"lr train: {policy.config.type} ({n_params / 1e6:.2f}M parameters) on {device}, "
            f"{source}, batch {cfg.batch_size} x {dist.world_size} process(es), "
            f"step {step} -> {cfg.steps}, output {output_dir}"
        )

    # Mixed precision as LeRobot's `use_amp` (fp16 autocast with a gradient scaler), CUDA only.
    use_amp = bool(getattr(policy.config, "use_amp", False))
    if use_amp and device.type != "cuda":
        raise ConfigError(f"policy.use_amp=true needs a CUDA device; this run is on {device}")
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
    scaler_file = (ckpt / TRAINING_STATE_DIR / GRAD_SCALER_STATE) if ckpt is not None else None
    if use_amp and scaler_file is not None and scaler_file.is_file():
        scaler.load_state_dict(json.loads(scaler_file.read_text()))

    end = cfg.steps if stop_after_steps is None else min(cfg.steps, stop_after_steps)
    last_saved: Path | None = ckpt
    window: dict[str, list[float]] = {}
    policy.train()
    batches = iter(loader)
    try:
        while step < end:
            t0 = time.perf_counter()
            batch = pre(next(batches))
            t1 = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                loss, info = model(batch)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            grad_norm = (
                torch.nn.utils.clip_grad_norm_(policy.parameters(), opt_cfg.grad_clip_norm)
                if opt_cfg.grad_clip_norm > 0
                else _grad_norm(policy)
            )
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            if scheduler is not None:
                scheduler.step()
            step += 1
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            t2 = time.perf_counter()
            values = {
                "loss": float(loss.detach()),
                "grad_norm": float(grad_norm),
                "data_s": t1 - t0,
                "update_s": t2 - t1,
                **{k: float(v) for k, v in (info or {}).items() if _is_number(v)},
            }
            for key, value in values.items():
                window.setdefault(key, []).append(value)
            if logger is not None:
                metrics = None
                if step % cfg.log_freq == 0 or step == end:
                    metrics = {k: sum(v) / len(v) for k, v in window.items()}
                    metrics["lr"] = optimizer.param_groups[0]["lr"]
                    metrics["samples"] = step * cfg.batch_size * dist.world_size
                    if frames:
                        metrics["epochs"] = metrics["samples"] / frames
                    window.clear()
                logger.step(step, metrics)
            if cfg.env is not None and cfg.eval_freq > 0 and step % cfg.eval_freq == 0:
                _evaluate_in_env(cfg, dist, output_dir, step, policy, pre, post, logger)
            if cfg.save_checkpoint and (
                step == end or (cfg.save_freq > 0 and step % cfg.save_freq == 0)
            ):
                last_saved = _save_checkpoint(
                    cfg,
                    dist,
                    output_dir,
                    step,
                    policy,
                    pre,
                    post,
                    optimizer,
                    scheduler,
                    scaler,
                    dataset,
                )
                if logger is not None:
                    logger.plot()
                    logger.write(f"checkpoint {last_saved}")
    finally:
        if logger is not None:
            logger.plot()
            logger.close()
    return last_saved if last_saved is not None else output_dir


def _make_loader(
    cfg: TrainConfig,
    dist: DistContext,
    dataset: Any,
    policy_config: Any,
    device: torch.device,
    step: int,
    ckpt: Path | None = None,
) -> tuple[torch.utils.data.DataLoader, int | None]:
    """The data loader positioned after ``step`` batches, and the number of usable frames
    (``None`` for a stream).

    A map-style dataset is drawn through a :class:`ResumableSampler`. An ``IterableDataset``
    (a streaming dataset) orders and shards itself: it is positioned by its
    ``set_position(seed=, rank=, world_size=, start=)`` method (``start``: samples this rank has
    already drawn), which DDP and resuming require; an lr streaming dataset is told its rank and
    continues from the checkpoint's ``dataset_state.json`` (its ``state_dict``).
    """
    common: dict[str, Any] = {
        "batch_size": cfg.batch_size,
        "num_workers": cfg.num_workers,
        "pin_memory": device.type == "cuda",
        "prefetch_factor": cfg.prefetch_factor if cfg.num_workers > 0 else None,
        "persistent_workers": cfg.num_workers > 0,
        "generator": torch.Generator().manual_seed(cfg.seed + dist.rank),
    }
    start = step * cfg.batch_size
    if isinstance(dataset, torch.utils.data.IterableDataset):
        set_position = getattr(dataset, "set_position", None)
        if callable(getattr(dataset, "load_state_dict", None)):  # lr_dataset streaming
            dataset.set_distributed(dist.rank, dist.world_size)
            if ckpt is not None and step > 0:
                saved = ckpt / TRAINING_STATE_DIR / DATASET_STATE
                state = json.loads(saved.read_text()) if saved.is_file() else None
                if state is None or state.get("num_workers") != cfg.num_workers:
                    raise ConfigError(
                        f"{saved} is missing or was written with num_workers="
                        f"{(state or {}).get('num_workers')}; resume a streaming run with the "
                        f"num_workers it had (now {cfg.num_workers}) to keep the order exact"
                    )
                dataset.load_state_dict(state)
        elif callable(set_position):
            set_position(seed=cfg.seed, rank=dist.rank, world_size=dist.world_size, start=start)
        elif dist.enabled or step > 0:
            raise ConfigError(
                f"{type(dataset).__name__} is a stream without set_position(seed=, rank=, "
                "world_size=, start=): it cannot be sharded across processes or resumed"
            )
        from lr_dataset.torch_loader import DataLoader

        return DataLoader(dataset, **common), None
    drop_first = int(getattr(policy_config, "drop_n_first_frames", 0) or 0)
    drop_last = int(getattr(policy_config, "drop_n_last_frames", 0) or 0)
    sampler = ResumableSampler(
        usable_frames(dataset, drop_n_first=drop_first, drop_n_last=drop_last),
        seed=cfg.seed,
        rank=dist.rank,
        world_size=dist.world_size,
        start=start,
    )
    # lr_dataset's DataLoader: torch's, with camera frames shipped from the workers as uint8
    # through reused shared memory (the same float32 batches, far less CPU per batch)
    from lr_dataset.torch_loader import DataLoader

    return DataLoader(dataset, sampler=sampler, **common), len(sampler.indices)


def _evaluate_in_env(
    cfg: TrainConfig,
    dist: DistContext,
    output_dir: Path,
    step: int,
    policy: Any,
    pre: Any,
    post: Any,
    logger: MetricsLogger | None,
) -> None:
    """Evaluate the policy in ``cfg.env`` on the main process, leaving every RNG as it was (so
    evaluating does not change the training run) and the policy in training mode."""
    if dist.is_main and cfg.env is not None:
        from lr_policies.eval.rollout import evaluate_policy

        saved = rng_state()
        policy.eval()
        try:
            report = evaluate_policy(
                policy,
                pre,
                post,
                cfg.env,
                cfg.eval,
                seed=cfg.seed,
                output_dir=output_dir / "eval" / checkpoint_dir(output_dir, step, cfg.steps).name,
                label=f"{output_dir} at step {step}",
            )
        finally:
            policy.reset()
            policy.train()
            set_rng_state(saved)
        agg = report["aggregated"]
        if logger is not None:
            logger.record(
                step,
                {
                    "eval_pc_success": agg["pc_success"],
                    "eval_avg_sum_reward": agg["avg_sum_reward"],
                    "eval_n_episodes": agg["n_episodes"],
                    "eval_s": agg["eval_s"],
                },
            )
            logger.write(
                f"step {step}: eval success {agg['pc_success']:.1f}% "
                f"({agg['n_success']}/{agg['n_episodes']}), return {agg['avg_sum_reward']:.3f}"
            )
    dist.barrier()


def _save_checkpoint(
    cfg: TrainConfig,
    dist: DistContext,
    output_dir: Path,
    step: int,
    policy: Any,
    pre: Any,
    post: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    scaler: torch.amp.GradScaler,
    dataset: Any = None,
) -> Path:
    target = checkpoint_dir(output_dir, step, cfg.steps)
    if dist.is_main:
        staging = target.with_name(f".{target.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        model_dir = staging / PRETRAINED_MODEL_DIR
        policy.save_pretrained(model_dir)
        cfg.save(model_dir / TRAIN_CONFIG_NAME)
        save_pre_post_processors((pre, post), model_dir)
        save_training_state(
            staging / TRAINING_STATE_DIR,
            step=step,
            optimizer=optimizer,
            scheduler=scheduler,
            num_processes=dist.world_size,
            batch_size=cfg.batch_size,
        )
        if scaler.is_enabled():
            (staging / TRAINING_STATE_DIR / GRAD_SCALER_STATE).write_text(
                json.dumps(scaler.state_dict()) + "\n"
            )
        if isinstance(dataset, torch.utils.data.IterableDataset) and callable(
            getattr(dataset, "state_dict", None)
        ):
            state = dataset.state_dict(step, cfg.batch_size, cfg.num_workers)
            (staging / TRAINING_STATE_DIR / DATASET_STATE).write_text(json.dumps(state) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        update_last_link(target)
    dist.barrier()
    return target


def _grad_norm(policy: torch.nn.Module) -> torch.Tensor:
    norms = [p.grad.detach().norm() for p in policy.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(norms)) if norms else torch.zeros(())


def _is_number(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_metrics(output_dir: str | Path) -> list[dict[str, Any]]:
    """The records of a run's ``metrics.jsonl``."""
    lines = (Path(output_dir) / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]
