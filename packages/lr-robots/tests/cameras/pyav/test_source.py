"""``AVSource`` paces a file by its timestamps: checked on a fake clock (frame k is handed over
at k / fps, also across a loop), never as a rate measured on a loaded machine."""

from __future__ import annotations

import pytest

from lr_robots.cameras.pyav import source as source_module
from lr_robots.cameras.pyav.source import AVSource
from lr_robots.cameras.synthetic.pattern import decode_stamp


class FakeClock:
    """``perf_counter`` that moves only when the source waits (``_stop.wait``)."""

    def __init__(self) -> None:
        self.now = 50.0

    def perf_counter(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


@pytest.mark.parametrize("loop", [False, True])
def test_file_frames_are_handed_over_at_their_timestamps(stamped_video, monkeypatch, loop):
    path = stamped_video(n=20, fps=40)
    clock = FakeClock()
    monkeypatch.setattr(source_module.time, "perf_counter", clock.perf_counter)
    src = AVSource(str(path), live=False, loop=loop)
    monkeypatch.setattr(src, "_stop", clock)
    try:
        start = clock.now
        reads = 30 if loop else 20
        got = [(decode_stamp(src.next_frame())[0], clock.now - start) for _ in range(reads)]
    finally:
        src.close()
    assert [index for index, _ in got] == [k % 20 for k in range(reads)]  # in order, wrapping
    assert [t for _, t in got] == pytest.approx([k / 40 for k in range(reads)], abs=1e-6)
