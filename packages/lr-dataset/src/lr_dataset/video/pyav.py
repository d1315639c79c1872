"""PyAV, imported on first use with lr's settings, for every module that encodes or decodes.

Kept in one place so that the environment PyAV's codecs read is set before the first import
(SVT-AV1 prints its configuration banner on stderr for every file unless ``SVT_LOG`` says
otherwise), and so that importing lr_dataset never loads PyAV by itself.
"""

from __future__ import annotations

import os
from typing import Any


def import_av() -> Any:
    """The ``av`` module (imported on first call; SVT-AV1's per-file banner silenced)."""
    os.environ.setdefault("SVT_LOG", "1")
    import av

    return av
