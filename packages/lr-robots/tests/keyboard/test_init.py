"""``lr_robots.keyboard``'s public names are exact and importing it loads no back end."""

from __future__ import annotations

import subprocess
import sys

from lr_core.lazy import export_problems


def test_exports_are_exact():
    assert export_problems("lr_robots.keyboard") == []


def test_import_is_cheap():
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, lr_robots.keyboard; assert 'pynput' not in sys.modules",
        ],
        check=True,
    )
