"""Repository-wide pytest set-up.

A test run started as a background job of a non-interactive shell (``cmd &``, a CI runner's
wrapper) begins with SIGINT ignored, and an ignored signal stays ignored across ``exec``: every
command a test starts and then stops with Ctrl-C (``lr motors emulate``, ``lr teleoperate``,
``lr train``, the keyboard listener) would then ignore it, and the test would fail for a reason
that is not the code's. A handled signal is reset to its default at ``exec``, so giving this
process Python's own SIGINT handler back lets Ctrl-C reach those commands whatever started
the run.
"""

from __future__ import annotations

import signal

if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
