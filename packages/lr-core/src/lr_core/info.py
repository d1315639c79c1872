"""``lr info``: what is installed, for bug reports."""

from __future__ import annotations

import importlib.util
import platform
import sys
from importlib.metadata import distributions

from lr_core import registry
from lr_core.cli import Command
from lr_core.errors import ConfigError


def lr_distributions() -> dict[str, str]:
    """Installed lr distributions (``lr-*``) and their versions."""
    found = {}
    for dist in distributions():
        name = dist.metadata["Name"] or ""
        if name.lower().startswith("lr-"):
            found[name] = dist.version
    return dict(sorted(found.items()))


def torch_report() -> list[str]:
    """torch version and accelerator availability, or why it is absent."""
    if importlib.util.find_spec("torch") is None:
        return ["torch: not installed"]
    import torch

    lines = [f"torch: {torch.__version__} (built for CUDA {torch.version.cuda or 'none'})"]
    cuda = torch.cuda.is_available()
    lines.append(
        f"  CUDA available: {cuda}"
        + (
            f", {torch.cuda.device_count()} device(s): "
            + ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            if cuda
            else ""
        )
    )
    mps = getattr(torch.backends, "mps", None)
    lines.append(f"  MPS available: {bool(mps and mps.is_available())}")
    return lines


def av_report() -> list[str]:
    """PyAV / FFmpeg versions and the codecs lr-dataset uses."""
    if importlib.util.find_spec("av") is None:
        return ["PyAV: not installed"]
    import av

    libs = getattr(av, "library_versions", {})
    ffmpeg = ", ".join(f"{k} {'.'.join(map(str, v))}" for k, v in sorted(libs.items()))
    lines = [f"PyAV: {av.__version__}" + (f" (FFmpeg: {ffmpeg})" if ffmpeg else "")]
    for label, names, mode in (
        ("encoders", ("libsvtav1", "libaom-av1", "libx264", "h264", "libx265", "hevc"), "w"),
        ("decoders", ("libdav1d", "av1", "h264", "hevc"), "r"),
    ):
        status = []
        for name in names:
            try:
                av.codec.Codec(name, mode)
                status.append(f"{name} yes")
            except Exception:
                status.append(f"{name} no")
        lines.append(f"  {label}: " + ", ".join(status))
    return lines


def report() -> str:
    """The whole ``lr info`` text."""
    lines = [
        f"platform: {platform.platform()} ({platform.machine()})",
        f"python: {platform.python_version()} ({sys.executable})",
        "lr distributions:",
    ]
    dists = lr_distributions()
    lines += [f"  {name} {version}" for name, version in dists.items()] or ["  (none)"]
    lines.append("plugins:")
    for group in registry.GROUPS:
        lines.append(f"  {group}: {', '.join(registry.names(group)) or '-'}")
    lines += torch_report()
    lines += av_report()
    return "\n".join(lines)


def run(argv: list[str]) -> int:
    """Print :func:`report`."""
    if argv and argv[0] in ("-h", "--help"):
        print(
            "usage: lr info\n\nPrint platform, Python, installed lr distributions, plugins,"
            " torch/CUDA/MPS and PyAV codec support."
        )
        return 0
    if argv:
        raise ConfigError(f"lr info takes no arguments, got {' '.join(argv)}")
    print(report())
    return 0


command = Command(help="print platform, versions, plugins, torch and video codec support", run=run)
