"""``lr dataset viz``: look at a stored episode (LeRobot's ``lerobot-dataset-viz`` flags).

::

    lr dataset viz --dataset.root=data/pick --episode_index=3            # rerun viewer
    lr dataset viz data/pick --episode_index=3 --save=ep3.rrd            # an .rrd file
    lr dataset viz data/pick --mode=web [--web_port=9090]                 # the web viewer
    lr dataset viz --repo-id=me/pick --episode-index=0 --mode=distant --grpc-port=9876
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import Field

from lr_core.errors import ConfigError
from lr_dataset.cli_args import command, parse_command, resolve_dataset
from lr_dataset.tools.cli import SourceConfig

MODES = ("rerun", "local", "distant", "web")


class VizConfig(SourceConfig):
    """lr dataset viz DATASET --episode_index=N [--mode=rerun|web|distant] [--save=FILE.rrd]:
    show one episode in rerun (``local``/``rerun``: spawn the viewer; ``distant``: serve it on
    ``--grpc_port``), or in a web page served from this computer (``web``)."""

    episode_index: int = Field(0, ge=0, description="the episode to show")
    mode: str = Field("rerun", description="rerun (= LeRobot's local), distant or web")
    save_rrd: str | None = Field(
        None,
        description="write a rerun .rrd file (also --save): a path, or 1/true for "
        "OUTPUT_DIR/<name>.rrd",
    )
    output_dir: Path | None = Field(None, description="where --save=1 writes (default: .)")
    web_port: int = Field(9090, ge=0, description="port of the web viewer (0: any free port)")
    grpc_port: int = Field(9876, ge=1, description="rerun's port with --mode=distant")
    host: str = Field("127.0.0.1", description="address the web viewer listens on")
    display_compressed_images: bool = Field(False, description="log JPEG frames to rerun")
    serve_s: float | None = Field(
        None, description="stop the web viewer after this many seconds (default: Ctrl-C)"
    )


ALIASES = {
    "--dataset.root": "--root",
    "--dataset.repo_id": "--repo_id",
    "--dataset.episode_index": "--episode_index",
    "--save": "--save_rrd",
}


@command
def viz_main(argv: list[str]) -> int:
    """Run ``lr dataset viz``."""
    from lr_dataset.dataset import LeRobotDataset

    prog = "lr dataset viz"
    cfg = parse_command(VizConfig, argv, prog=prog, positional="dataset", aliases=ALIASES)
    if cfg.mode not in MODES:
        raise ConfigError(f"--mode={cfg.mode!r}: use one of {', '.join(MODES)}")
    repo_id, root = resolve_dataset(cfg.dataset, cfg.repo_id, cfg.root, prog=prog)
    dataset = LeRobotDataset(repo_id, root=root)
    meta = dataset.meta
    if not 0 <= cfg.episode_index < meta.total_episodes:
        raise ConfigError(
            f"--episode_index={cfg.episode_index}: {meta.root} has episodes "
            f"0..{meta.total_episodes - 1}"
        )
    if cfg.mode == "web":
        from lr_dataset.viz.web import serve_viewer

        server = serve_viewer(dataset, cfg.host, cfg.web_port)
        print(f"Viewer of {meta.root}: {server.url}?episode={cfg.episode_index}", flush=True)
        print("Ctrl-C stops it", flush=True)
        try:
            deadline = None if cfg.serve_s is None else time.monotonic() + cfg.serve_s
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
        return 0
    from lr_dataset.viz.rerun_view import log_episode

    save = None
    if cfg.save_rrd is not None and cfg.save_rrd.lower() not in ("0", "false", "no", ""):
        if cfg.save_rrd.lower() in ("1", "true", "yes"):
            name = f"{repo_id.replace('/', '_')}_episode_{cfg.episode_index}.rrd"
            save = (cfg.output_dir or Path(".")) / name
        else:
            save = Path(cfg.save_rrd)
    frames = log_episode(
        dataset,
        cfg.episode_index,
        save=save,
        grpc_port=cfg.grpc_port if cfg.mode == "distant" and save is None else None,
        compress_images=cfg.display_compressed_images,
    )
    if save is not None:
        print(f"wrote {save}: episode {cfg.episode_index}, {frames} frames (rerun {save})")
    elif cfg.mode == "distant":
        print(f"serving episode {cfg.episode_index} on rerun+http://{cfg.host}:{cfg.grpc_port}"
              "/proxy; Ctrl-C stops", flush=True)  # fmt: skip
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0
