"""The training loop behind ``lr train``, read top to bottom: plan the run, build the policy and
its processors, the optimizer and the data, then step, log, evaluate and save.

Exact resume: a checkpoint holds the weights, the optimizer and scheduler states, the RNG states
(Python, NumPy, torch) and the step (:mod:`lr_policies.train.checkpoint`); the data order is a
pure function of the seed and the number of samples drawn
(:class:`~lr_policies.train.sampler.ResumableSampler`). On CPU, training N steps, stopping, and
resuming for N more gives bitwise the weights of 2N uninterrupted steps (with
``num_workers=0``, or any dataset whose items do not draw random numbers).

Ctrl-C stops at once: the data-loader workers are terminated, not drained, and the last
checkpoint written stays the one ``--resume=true`` continues.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lr_core.errors import ConfigError
from lr_core.processes import stop_processes
from lr_policies.optim import (
    OptimizerConfig,
    make_optimizer,
    make_scheduler,
    optimizer_preset,
    scheduler_preset,
)
from lr_policies.pretrained import PreTrainedPolicy, make_policy
from lr_policies.processors import make_pre_post_processors
from lr_policies.processors.factory import Processors
from lr_policies.train.checkpoint import (
    ResumePoint,
    checkpoint_dir,
    find_checkpoint,
    load_training_state,
    plan_run,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from lr_policies.train.config import TRAIN_CONFIG_NAME, TrainConfig
from lr_policies.train.data import (
    TrainingDataset,
    make_data_loader,
    make_dataset,
    stream_state,
    training_stats,
)
from lr_policies.train.distributed import DistContext, init_distributed, shutdown_distributed
from lr_policies.train.metrics import MetricsLogger

__all__ = ["find_checkpoint", "read_metrics", "train"]


def train(
    cfg: TrainConfig,
    *,
    dataset: TrainingDataset | None = None,
    checkpoint: str | Path | None = None,
    stop_after_steps: int | None = None,
) -> Path:
    """Train as ``cfg`` says; return the folder of the last checkpoint written (the output
    folder when ``save_checkpoint`` is false).

    ``dataset`` replaces the one ``cfg.dataset`` names (a map-style dataset with LeRobot's
    ``meta``, or a stream: see :func:`~lr_policies.train.data.make_data_loader`).
    ``checkpoint`` is the checkpoint to resume (with ``cfg.resume``; found with
    :func:`~lr_policies.train.checkpoint.find_checkpoint` when omitted). ``stop_after_steps``
    ends this invocation early, after saving a checkpoint, while the schedule still spans
    ``cfg.steps`` (for pre-emptible jobs).
    """
    dist = init_distributed(cfg.device)
    try:
        return _train(cfg, dist, dataset, checkpoint, stop_after_steps)
    finally:
        shutdown_distributed(dist)


def _train(
    cfg: TrainConfig,
    dist: DistContext,
    dataset: TrainingDataset | None,
    checkpoint: str | Path | None,
    stop_after_steps: int | None,
) -> Path:
    # 1. Where the run writes, and what it continues.
    if not dist.is_main:
        dist.barrier()  # let the main process clear a restarted run folder first
    plan = plan_run(
        cfg,
        checkpoint=checkpoint,
        world_size=dist.world_size,
        stop_after_steps=stop_after_steps,
        claim=dist.is_main,
    )
    if dist.is_main:
        dist.barrier()
    if plan.notice and dist.is_main:
        print(f"lr train: {plan.notice}", file=sys.stderr)
    if plan.finished and plan.resume is not None:
        return plan.resume.checkpoint
    output_dir, resume = plan.output_dir, plan.resume
    cfg = cfg.model_copy(update={"output_dir": str(output_dir)})

    # 2. The policy, its processors and what trains it.
    device = _device(cfg, dist)
    seed_everything(cfg.seed)
    if dataset is None:
        dataset = make_dataset(cfg.dataset, cfg.policy, tolerance_s=cfg.tolerance_s, seed=cfg.seed)
    policy, processors = _policy_and_processors(cfg, dataset, device, resume)
    cfg = cfg.model_copy(update={"policy": policy.config})
    opt = _Optimization.build(cfg, policy, device)
    step = 0
    if resume is not None:
        step = load_training_state(
            resume.training_state,
            optimizer=opt.optimizer,
            scheduler=opt.scheduler,
            scaler=opt.scaler,
        )

    # 3. The data, positioned after the samples already drawn.
    loader, frames = make_data_loader(
        cfg,
        dataset,
        policy.config,
        device,
        dist,
        step,
        dataset_state=resume.dataset_state if resume is not None else None,
    )
    model: torch.nn.Module = policy
    if dist.enabled:
        model = torch.nn.parallel.DistributedDataParallel(
            policy, device_ids=[device.index] if device.type == "cuda" else None
        )
    logger = _start_logging(cfg, dist, policy, device, frames, step) if dist.is_main else None

    # 4. The loop.
    end = cfg.steps if stop_after_steps is None else min(cfg.steps, stop_after_steps)
    last_saved = resume.checkpoint if resume is not None else None
    window: dict[str, list[float]] = {}
    pre = processors[0]
    policy.train()
    batches = iter(loader)
    try:
        while step < end:
            started = time.perf_counter()
            batch = pre(next(batches))
            loaded = time.perf_counter()
            values = opt.update(model, policy, batch)
            step += 1
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            values.update(data_s=loaded - started, update_s=time.perf_counter() - loaded)
            for key, value in values.items():
                window.setdefault(key, []).append(value)
            if logger is not None:
                due = step % cfg.log_freq == 0 or step == end
                logger.step(step, _averages(window, cfg, dist, opt, step, frames) if due else None)
            if cfg.env is not None and cfg.env_eval_freq > 0 and step % cfg.env_eval_freq == 0:
                _evaluate_in_env(cfg, dist, output_dir, step, policy, processors, logger)
            if cfg.save_checkpoint and (
                step == end or (cfg.save_freq > 0 and step % cfg.save_freq == 0)
            ):
                target = checkpoint_dir(output_dir, step, cfg.steps)
                if dist.is_main:
                    save_checkpoint(
                        target,
                        policy=policy,
                        processors=processors,
                        train_config=cfg,
                        optimizer=opt.optimizer,
                        scheduler=opt.scheduler,
                        scaler=opt.scaler,
                        step=step,
                        num_processes=dist.world_size,
                        dataset_state=stream_state(cfg, dataset, step),
                    )
                dist.barrier()
                last_saved = target
                if logger is not None:
                    logger.plot()
                    logger.write(f"checkpoint {target}")
    finally:
        _stop_workers(loader, batches)
        if logger is not None:
            logger.plot()
            logger.close()
    return last_saved if last_saved is not None else output_dir


# --------------------------------------------------------------------------- the pieces


def _device(cfg: TrainConfig, dist: DistContext) -> torch.device:
    """The run's device; cuDNN set up as LeRobot does (deterministic with
    ``cudnn_deterministic``, else autotuned, with TF32 matmuls)."""
    name = cfg.device or cfg.policy.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if cfg.cudnn_deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    elif name.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
    if name == "cuda" and dist.enabled:
        return torch.device("cuda", dist.local_rank)
    return torch.device(name)


def _policy_and_processors(
    cfg: TrainConfig,
    dataset: TrainingDataset,
    device: torch.device,
    resume: ResumePoint | None,
) -> tuple[PreTrainedPolicy, Processors]:
    """A fresh policy (or ``--policy.pretrained_path``'s weights for fine-tuning, with
    normalisation stats from this dataset as LeRobot does), or the resumed checkpoint's policy
    and processors (loaded strictly)."""
    pretrained: str | Path | None = getattr(cfg.policy, "pretrained_path", None)
    if resume is not None:
        pretrained = resume.pretrained_model
    policy = make_policy(
        cfg.policy, dataset.meta, device=device, pretrained=pretrained, rename_map=cfg.rename_map
    )
    if resume is not None:
        processors = make_pre_post_processors(
            policy.config,
            pretrained_path=str(resume.pretrained_model),
            preprocessor_overrides={
                "device_processor": {"device": str(device)},
                "rename_observations_processor": {"rename_map": dict(cfg.rename_map)},
            },
        )
    else:
        stats = training_stats(dataset.meta, use_imagenet_stats=cfg.dataset.use_imagenet_stats)
        stats = {cfg.rename_map.get(k, k): v for k, v in stats.items()}
        processors = make_pre_post_processors(
            policy.config, dataset_stats=stats, rename_map=cfg.rename_map, device=str(device)
        )
    return policy, processors


@dataclass
class _Optimization:
    """The optimizer, the learning-rate schedule and the fp16 gradient scaler of a run, and one
    update step with them."""

    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    scaler: torch.amp.GradScaler
    config: OptimizerConfig
    use_amp: bool
    device: torch.device

    @classmethod
    def build(
        cls, cfg: TrainConfig, policy: PreTrainedPolicy, device: torch.device
    ) -> _Optimization:
        """The policy's preset (LeRobot's ``use_policy_training_preset``) unless ``--optimizer``
        / ``--scheduler`` say otherwise. Mixed precision as LeRobot's ``use_amp`` (fp16 autocast
        with a gradient scaler), CUDA only."""
        opt_cfg = cfg.optimizer or optimizer_preset(policy.config)
        sched_cfg = cfg.scheduler or scheduler_preset(policy.config)
        optimizer = make_optimizer(policy.get_optim_params(), opt_cfg)
        scheduler = make_scheduler(optimizer, sched_cfg, cfg.steps)
        use_amp = bool(getattr(policy.config, "use_amp", False))
        if use_amp and device.type != "cuda":
            raise ConfigError(
                f"policy.use_amp=true needs a CUDA device; this run is on {device}: drop "
                "--policy.use_amp=true, or train on a GPU (--device=cuda)"
            )
        scaler = torch.amp.GradScaler(device.type, enabled=use_amp)
        return cls(optimizer, scheduler, scaler, opt_cfg, use_amp, device)

    def update(
        self, model: torch.nn.Module, policy: PreTrainedPolicy, batch: Mapping[str, Any]
    ) -> dict[str, float]:
        """Forward, backward, clip, step; the loss, gradient norm and the policy's own terms."""
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
            loss, info = model(batch)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        clip = self.config.grad_clip_norm
        grad_norm = (
            torch.nn.utils.clip_grad_norm_(policy.parameters(), clip)
            if clip > 0
            else _grad_norm(policy)
        )
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scheduler is not None:
            self.scheduler.step()
        values = {"loss": float(loss.detach()), "grad_norm": float(grad_norm)}
        values.update({k: float(v) for k, v in (info or {}).items() if _is_number(v)})
        return values


def _start_logging(
    cfg: TrainConfig,
    dist: DistContext,
    policy: PreTrainedPolicy,
    device: torch.device,
    frames: int | None,
    step: int,
) -> MetricsLogger:
    output_dir = Path(str(cfg.output_dir))
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
        f"{cfg.num_workers} data worker(s), step {step} -> {cfg.steps}, output {output_dir}"
    )
    return logger


def _averages(
    window: dict[str, list[float]],
    cfg: TrainConfig,
    dist: DistContext,
    opt: _Optimization,
    step: int,
    frames: int | None,
) -> dict[str, float]:
    """The metrics of the steps since the last log line (then forgets them)."""
    metrics = {k: sum(v) / len(v) for k, v in window.items()}
    window.clear()
    metrics["lr"] = opt.optimizer.param_groups[0]["lr"]
    metrics["samples"] = step * cfg.batch_size * dist.world_size
    if frames:
        metrics["epochs"] = metrics["samples"] / frames
    return metrics


def _evaluate_in_env(
    cfg: TrainConfig,
    dist: DistContext,
    output_dir: Path,
    step: int,
    policy: PreTrainedPolicy,
    processors: Processors,
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
                *processors,
                cfg.env,
                cfg.eval,
                seed=cfg.seed,
                output_dir=output_dir / "eval" / checkpoint_dir(output_dir, step, cfg.steps).name,
                label=f"{output_dir} at step {step}",
                progress=False,
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


def _stop_workers(loader: torch.utils.data.DataLoader, batches: Iterator[Any]) -> None:
    """End the data loader's worker processes now (at the end, on Ctrl-C or on an error):
    terminated rather than drained. Drained, a worker blocked on a full result pipe (a few
    prefetched batches of 100-step action chunks fill it) holds the command for torch's 5 s
    join timeout, per worker: Ctrl-C took 22 s with 4 workers."""
    from torch.utils.data._utils.worker import _worker_loop

    iterator = next(
        (it for it in (batches, getattr(loader, "_iterator", None)) if hasattr(it, "_workers")),
        None,
    )
    if iterator is not None:
        workers = list(iterator._workers)
    else:  # lr_dataset.DataLoader wraps torch's iterator in a generator
        workers = [
            p
            for p in multiprocessing.active_children()
            if getattr(p, "_target", None) is _worker_loop
        ]
    stop_processes(workers, grace_s=0.5, wait_first=False)
    shutdown = getattr(iterator, "_shutdown_workers", None)
    if callable(shutdown):
        shutdown()


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
