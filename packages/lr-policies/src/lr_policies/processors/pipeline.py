"""Processor pipelines: ordered steps applied to batches, saved in LeRobot's file layout.

A pipeline saved as ``<name>`` in a folder is::

    <name>.json                              {"name": ..., "steps": [{"registry_name", "config",
                                              "state_file"?}, ...]}  (indent 2)
    <name>_step_<i>_<registry_name>.safetensors   state of each stateful step (normaliser stats)

which is what LeRobot 0.6.1's ``DataProcessorPipeline.save_pretrained`` writes, so either tool
loads the other's files. Steps are looked up by their ``registry_name`` among the steps this
package implements; an unknown step is refused with the names it knows.
"""

from __future__ import annotations

import abc
import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import torch
from torch import Tensor

from lr_core.fileio import atomic_path, atomic_write_text
from lr_policies.errors import CheckpointError

#: A batch: feature key -> tensor (or any other value, passed through untouched).
Batch = dict[str, Any]

_STEPS: dict[str, type[ProcessorStep]] = {}

#: Where each step lr implements lives: registry name -> module, imported when a file names the
#: step (the module registers its steps with :func:`register_step`). Modules are named, not
#: imported, so this one has no import edge to its steps (which import it) and their
#: dependencies (transformers for the tokenizer) stay unimported until needed.
_STEP_MODULES: dict[str, str] = {
    "normalizer_processor": "lr_policies.processors.normalize",
    "unnormalizer_processor": "lr_policies.processors.normalize",
    "rename_observations_processor": "lr_policies.processors.steps",
    "to_batch_processor": "lr_policies.processors.steps",
    "device_processor": "lr_policies.processors.steps",
    "tokenizer_processor": "lr_policies.processors.language",
    "smolvla_new_line_processor": "lr_policies.processors.language",
    "pi0_new_line_processor": "lr_policies.processors.language",
    "relative_actions_processor": "lr_policies.processors.relative_actions",
    "absolute_actions_processor": "lr_policies.processors.relative_actions",
    "pi05_prepare_state_tokenizer_processor_step": "lr_policies.pi05.processor",
}


StepClass = TypeVar("StepClass", bound="type[ProcessorStep]")


def register_step(cls: StepClass) -> StepClass:
    """Class decorator: make a step loadable from files by its ``registry_name`` (the class is
    returned as it is, so type checkers keep its own constructor)."""
    _STEPS[cls.registry_name] = cls
    return cls


class ProcessorStep(abc.ABC):
    """One transformation of a batch (a dict of tensors keyed by feature name).

    Subclasses set ``registry_name`` (LeRobot's name for the same step) and implement
    :meth:`__call__`; stateful steps also implement :meth:`state_dict` / :meth:`load_state_dict`.
    ``from_config(**get_config())`` rebuilds an equal step.
    """

    registry_name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, batch: Batch) -> Batch:
        """The processed batch (a new dict; the input is not modified)."""

    def get_config(self) -> dict[str, Any]:
        """JSON-ready constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Rebuild the step from :meth:`get_config`'s output (unknown keys are errors)."""
        return cls(**config)

    def state_dict(self) -> dict[str, Tensor]:
        """Tensors to save next to the config (empty for stateless steps)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        """Restore :meth:`state_dict`'s output."""
        if state:
            raise CheckpointError(f"{self.registry_name} has no state, got {sorted(state)}")

    def to(self, device: str | torch.device) -> Self:
        """Move any tensors the step holds to ``device``."""
        return self


class PolicyProcessorPipeline:
    """An ordered list of :class:`ProcessorStep`, applied in turn.

    Called with a dict it returns the processed dict; called with a tensor (the post-processor's
    input, an action ``(B, D_action)`` or ``(B, T, D_action)``) it processes it as
    ``{"action": tensor}`` and returns the tensor.
    """

    def __init__(self, steps: Iterable[ProcessorStep] = (), name: str = "policy_processor"):
        self.steps: list[ProcessorStep] = list(steps)
        self.name = name

    def __call__(self, data: Batch | Tensor) -> Any:
        if isinstance(data, Tensor):
            return self._run({"action": data})["action"]
        if not isinstance(data, Mapping):
            raise TypeError(f"{self.name} takes a dict of tensors or a tensor, got {type(data)}")
        return self._run(dict(data))

    def _run(self, batch: Batch) -> Batch:
        for step in self.steps:
            batch = step(batch)
        return batch

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        names = ", ".join(step.registry_name for step in self.steps)
        return f"PolicyProcessorPipeline(name={self.name!r}, steps=[{names}])"

    def step(self, registry_name: str) -> ProcessorStep:
        """The first step called ``registry_name``."""
        for step in self.steps:
            if step.registry_name == registry_name:
                return step
        raise KeyError(f"{self.name} has no {registry_name!r} step")

    def to(self, device: str | torch.device) -> Self:
        """Move every step's tensors to ``device``."""
        for step in self.steps:
            step.to(device)
        return self

    # ----------------------------------------------------------------- files

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write ``<name>.json`` and one ``.safetensors`` per stateful step into ``directory``."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, step in enumerate(self.steps):
            entry: dict[str, Any] = {"registry_name": step.registry_name}
            entry["config"] = step.get_config()
            state = step.state_dict()
            if state:
                file = f"{self.name}_step_{i}_{step.registry_name}.safetensors"
                # a copy of each: stats may share memory (one ImageNet mean for every camera),
                # which safetensors refuses to write
                tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
                with atomic_path(directory / file) as tmp:
                    save_file(tensors, str(tmp))
                entry["state_file"] = file
            entries.append(entry)
        text = json.dumps({"name": self.name, "steps": entries}, indent=2)
        atomic_write_text(directory / f"{self.name}.json", text)
        return directory

    @classmethod
    def from_pretrained(
        cls,
        directory: str | Path,
        config_filename: str,
        *,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> PolicyProcessorPipeline:
        """Load a pipeline saved by lr or LeRobot.

        ``overrides`` maps a step's registry name to constructor arguments that replace the
        saved ones (``{"device_processor": {"device": "cuda"}}``); a name that matches no step is
        an error.
        """
        from safetensors.torch import load_file

        directory = Path(directory)
        file = directory / config_filename
        try:
            data = json.loads(file.read_text())
        except FileNotFoundError:
            raise CheckpointError(f"{file} does not exist: the processor was not saved") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"{file} cannot be read as JSON: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise CheckpointError(f"{file} must hold an object with a 'steps' list")
        overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        used: set[str] = set()
        steps: list[ProcessorStep] = []
        for i, entry in enumerate(data["steps"]):
            name = entry.get("registry_name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in _STEPS and name in _STEP_MODULES:
                importlib.import_module(_STEP_MODULES[name])
            step_cls = _STEPS.get(name) if isinstance(name, str) else None
            if step_cls is None:
                what = name or (entry.get("class") if isinstance(entry, dict) else None)
                raise CheckpointError(
                    f"{file}: step {i} ({what!r}) is not a processor step lr implements; "
                    f"known steps: {', '.join(sorted(set(_STEPS) | set(_STEP_MODULES)))}"
                )
            config = dict(entry.get("config") or {})
            if name in overrides:
                config.update(overrides[name])
                used.add(name)
            try:
                step = step_cls.from_config(config)
            except (TypeError, ValueError) as exc:
                raise CheckpointError(f"{file}: step {i} ({name}) has a bad config: {exc}") from exc
            state_file = entry.get("state_file")
            if state_file:
                try:
                    state = load_file(str(directory / state_file), device="cpu")
                except Exception as exc:
                    raise CheckpointError(
                        f"{directory / state_file} (state of step {i}, {name}) cannot be read: "
                        f"{exc}"
                    ) from exc
                step.load_state_dict(state)
            steps.append(step)
        unused = set(overrides) - used
        if unused:
            raise CheckpointError(
                f"overrides for {sorted(unused)} match no step of {file}; its steps are "
                f"{[s.registry_name for s in steps]}"
            )
        return cls(steps, name=str(data.get("name") or Path(config_filename).stem))


def map_tensors(batch: Batch, fn: Callable[[Tensor], Tensor]) -> Batch:
    """``batch`` with ``fn`` applied to every tensor value."""
    return {k: fn(v) if isinstance(v, Tensor) else v for k, v in batch.items()}
