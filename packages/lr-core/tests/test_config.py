"""Config models: files, dotted flags, plugin subclasses chosen by ``type``, errors."""

from __future__ import annotations

import json
from typing import ClassVar, Literal

import pytest
from pydantic import model_validator

from lr_core.config import LrConfig, PluginConfig, deep_merge, parse_cli
from lr_core.errors import ConfigError


class ShapeConfig(PluginConfig):
    """A family of plugin configs resolved without entry points (own_type matches)."""

    registry_group: ClassVar[str | None] = None


class Circle(ShapeConfig):
    type: Literal["circle"] = "circle"
    radius: float = 1.0


class DatasetSection(LrConfig):
    repo_id: str
    root: str | None = None
    episodes: list[int] | None = None


class RunConfig(LrConfig):
    """Run something."""

    shape: Circle = Circle()
    dataset: DatasetSection
    steps: int = 100
    resume: bool = False
    crop: tuple[int, int] | None = None
    deltas: dict[str, list[float]] = {}


def test_dotted_flags_fill_nested_fields_with_types():
    cfg = parse_cli(
        RunConfig,
        [
            "--dataset.repo_id=user/name",
            "--shape.radius",
            "2.5",
            "--steps=7",
            "--resume=true",
            "--crop=[84, 84]",
            '--deltas={"action": [0.0, 0.1]}',
            "--dataset.episodes=[0, 2]",
        ],
    )
    assert cfg.dataset.repo_id == "user/name"
    assert cfg.shape.radius == 2.5
    assert cfg.steps == 7 and cfg.resume is True
    assert cfg.crop == (84, 84)
    assert cfg.deltas == {"action": [0.0, 0.1]}
    assert cfg.dataset.episodes == [0, 2]


def test_unknown_flag_names_the_key_and_lists_valid_ones():
    with pytest.raises(ConfigError) as err:
        parse_cli(RunConfig, ["--dataset.repo_id=a", "--shape.radus=3"])
    text = str(err.value)
    assert "--shape.radus" in text
    assert "Did you mean --shape.radius" in text
    assert "type, radius" in text


def test_bad_value_names_the_key():
    with pytest.raises(ConfigError) as err:
        parse_cli(RunConfig, ["--dataset.repo_id=a", "--steps=many"])
    assert "steps" in str(err.value) and "'many'" in str(err.value)


def test_missing_required_value_is_reported():
    with pytest.raises(ConfigError, match="dataset: Field required"):
        parse_cli(RunConfig, [])


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_config_file_then_flags_override(tmp_path, suffix):
    data = {"dataset": {"repo_id": "from/file", "root": "/data"}, "steps": 3}
    path = tmp_path / f"run{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(data))
    else:
        path.write_text("dataset:\n  repo_id: from/file\n  root: /data\nsteps: 3\n")
    cfg = parse_cli(RunConfig, [f"--config_path={path}", "--steps=9"])
    assert cfg.dataset.repo_id == "from/file" and cfg.dataset.root == "/data"
    assert cfg.steps == 9


def test_unknown_key_in_file_lists_valid_keys(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"dataset": {"repo_id": "a", "rooot": "/x"}}))
    with pytest.raises(ConfigError) as err:
        parse_cli(RunConfig, ["--config_path", str(path)])
    text = str(err.value)
    assert "dataset.rooot: unknown key" in text
    assert "Did you mean 'root'" in text
    assert str(path) in text


def test_unreadable_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        parse_cli(RunConfig, [f"--config_path={tmp_path / 'missing.json'}"])
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ConfigError, match="cannot be parsed"):
        parse_cli(RunConfig, [f"--config_path={bad}"])


def test_save_and_load_round_trip(tmp_path):
    cfg = parse_cli(RunConfig, ["--dataset.repo_id=a/b", "--crop=[1, 2]"])
    path = tmp_path / "resolved.json"
    cfg.save(path)
    assert RunConfig.load(path) == cfg
    assert RunConfig.load(path, ["--steps=1"]).steps == 1


def test_plugin_config_requires_registered_type():
    class Family(PluginConfig):
        registry_group: ClassVar[str | None] = "lr.robots"

    with pytest.raises(ValueError, match="unknown lr.robots type 'nope'"):
        Family.model_validate({"type": "nope"})


def test_deep_merge_replaces_section_when_type_changes():
    base = {"policy": {"type": "act", "dim_model": 3}, "steps": 1}
    assert deep_merge(base, {"policy": {"dim_model": 4}}) == {
        "policy": {"type": "act", "dim_model": 4},
        "steps": 1,
    }
    assert deep_merge(base, {"policy": {"type": "diffusion"}}) == {
        "policy": {"type": "diffusion"},
        "steps": 1,
    }


def test_help_lists_nested_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_cli(RunConfig, ["--help"], prog="lr run")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "lr run" in out and "--dataset.repo_id" in out and "--shape.radius" in out


def test_defaults_sit_under_the_config_file_and_flags(tmp_path):
    defaults = {"dataset": {"repo_id": "preset/data", "root": "/preset"}, "steps": 5}
    cfg = parse_cli(RunConfig, ["--dataset.root=/mine"], defaults=defaults)
    assert cfg.dataset.repo_id == "preset/data"  # kept from the defaults
    assert cfg.dataset.root == "/mine" and cfg.steps == 5
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"steps": 9}))
    cfg = parse_cli(RunConfig, [f"--config_path={path}", "--resume=true"], defaults=defaults)
    assert cfg.steps == 9 and cfg.resume is True and cfg.dataset.root == "/preset"


# --------------------------------------------------------------------------- index lists
def test_index_lists_accept_every_command_line_spelling():
    from lr_core.config import IndexList, parse_cli

    class Pick(LrConfig):
        episodes: IndexList | None = None

    for argv, want in [
        (["--episodes", "0,2,5-9"], [0, 2, 5, 6, 7, 8, 9]),
        (["--episodes=[0, 2]"], [0, 2]),
        (["--episodes=3"], [3]),
        (["--episodes", "1", "--episodes", "4-5"], [1, 4, 5]),
        ([], None),
    ]:
        assert parse_cli(Pick, argv).episodes == want, argv
    assert Pick(episodes="2-3,7").episodes == [2, 3, 7]
    for bad in ("1,x", "9-5", "[1, 2"):
        with pytest.raises(ConfigError, match="episodes"):
            parse_cli(Pick, [f"--episodes={bad}"])


class Documented(LrConfig):
    """A documented run.

    - ``legacy``: documented in the class docstring only.
    """

    steps: int = 100
    """Optimizer steps, in ``steps`` units; see :class:`~lr_core.config.LrConfig`."""
    legacy: int = 3
    episodes: list[int] | None = None
    """Episodes to use."""
    tags: list[str] = ["a"]
    """Tags."""

    aliases: ClassVar[dict[str, str]] = {"num_steps": "steps"}
    unsupported: ClassVar[dict[str, str]] = {"peft": "lr trains every weight"}


class Outer(LrConfig):
    """The outer config."""

    inner: Documented = Documented(steps=7)
    """The inner part."""
    circle: Circle = Circle(radius=2.5)
    """A shape."""


def test_integer_lists_take_json_or_ranges():
    from lr_core.config import parse_index_list

    assert parse_index_list("[0, 2]") == [0, 2]
    assert parse_index_list("0,2,5-9") == [0, 2, 5, 6, 7, 8, 9]
    assert parse_index_list(" 3 ") == [3]
    for bad in ("1,x", "5-2", "[1,"):
        with pytest.raises(ValueError):
            parse_index_list(bad)
    with pytest.raises(ConfigError, match="episodes"):  # not integers: pydantic says so
        parse_cli(RunConfig, ["--dataset.repo_id=a/b", '--dataset.episodes=[1, "a"]'])
    cfg = parse_cli(RunConfig, ["--dataset.repo_id=a/b", "--dataset.episodes=0,2,5-7"])
    assert cfg.dataset.episodes == [0, 2, 5, 6, 7]
    cfg = parse_cli(RunConfig, ["--dataset.repo_id=a/b", "--dataset.episodes", "[1, 3]"])
    assert cfg.dataset.episodes == [1, 3]
    with pytest.raises(ConfigError, match="'x' is neither an index nor a range"):
        parse_cli(RunConfig, ["--dataset.repo_id=a/b", "--dataset.episodes=1,x"])


def test_other_spellings_and_options_lr_does_not_implement():
    cfg = parse_cli(Outer, ["--inner.num_steps=9"])
    assert cfg.inner.steps == 9
    assert Documented.from_dict({"num_steps": 4}).steps == 4  # config files too
    with pytest.raises(ConfigError, match="--inner.peft: .* does not do this.*every weight"):
        parse_cli(Outer, ["--inner.peft.r=8"], prog="lr run")
    with pytest.raises(ConfigError, match="peft: not supported by lr: lr trains every weight"):
        Documented.from_dict({"peft": {"r": 8}})


def test_validator_messages_drop_pydantics_prefix():
    class Checked(LrConfig):
        a: int = 1

        @model_validator(mode="after")
        def _check(self) -> Checked:
            raise ValueError("a must be odd")

    with pytest.raises(ConfigError) as info:
        Checked.from_dict({})
    assert "<root>: a must be odd" in str(info.value) and "Value error" not in str(info.value)


def test_help_shows_descriptions_and_real_defaults(capsys):
    with pytest.raises(SystemExit):
        parse_cli(Outer, ["--help"], prog="lr run", extra_help={"extra=INT": "Read by hand."})
    out = capsys.readouterr().out
    assert out.startswith("usage: lr run") and "The outer config." in out
    rows = " ".join(out.split())
    assert "--inner.steps=INT Optimizer steps, in steps units; see LrConfig. (default: 7)" in rows
    assert "--inner.legacy=INT documented in the class docstring only. (default: 3)" in rows
    assert "--inner.episodes=LIST Episodes to use. (default: null)" in rows
    assert '--inner.tags=LIST Tags. (default: ["a"])' in rows
    assert "--circle.radius=FLOAT" in rows and "(default: 2.5)" in rows
    assert "--extra=INT Read by hand." in rows
    assert "``" not in out and "default factory" not in out


class Lens(LrConfig):
    """A lens of a camera rig."""

    focal_mm: float = 4.0
    """Focal length, in millimetres."""


class Rig(LrConfig):
    """A camera rig.

    - ``timeout_s``: the rig gives up after this long (LeRobot's default 30; null: never). More.
    - ``retries``: attempts (see above). Not this.
    """

    lenses: dict[str, Lens] = {"front": Lens(focal_mm=2.8)}
    """Lenses by name."""
    timeout_s: float | None = 30
    retries: int = 2


def test_help_shows_configs_inside_mappings_as_json_and_keeps_parenthesised_clauses(capsys):
    with pytest.raises(SystemExit):
        parse_cli(Rig, ["--help"], prog="lr rig")
    rows = " ".join(capsys.readouterr().out.split())
    assert '--lenses=JSON Lenses by name. (default: {"front": {"focal_mm": 2.8}})' in rows
    assert (
        "--timeout_s=FLOAT the rig gives up after this long (LeRobot's default 30; null: never)."
        in rows
    )
    assert "--retries=INT attempts (see above). (default: 2)" in rows
