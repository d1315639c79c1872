"""Streaming: read a LeRobot v3.0 dataset as a stream, from disk or a URL, with an episode pool,
episodes loaded just ahead of the samples that need them, exact resume and mixtures.

Modules: :mod:`.order` (the data order, a pure function), :mod:`.source` (local folders and
URLs read by byte ranges, with retries), :mod:`.ranges` (which bytes an episode needs),
:mod:`.cache` (the byte-budgeted, reference-counted cache), :mod:`.prefetch` (loading
episodes in the background), :mod:`.episode` (samples from an episode in RAM),
:mod:`.consumer` (one consumer's loop, loading just ahead of the stream), :mod:`.stream`
(epochs, workers, resume), :mod:`.dataset` / :mod:`.torch_dataset`
(StreamingLeRobotDataset), :mod:`.mixture` (several datasets with weights), :mod:`.loopback`
(an HTTP server with range requests on 127.0.0.1, for tests and benchmarks).
"""
