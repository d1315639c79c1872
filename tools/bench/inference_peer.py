"""LeRobot 0.6.1's async-inference path (gRPC, pickled payloads), for tools/bench/inference.py.

Run with the peer's interpreter (tools/peer/install.sh):

    <peer python> tools/bench/inference_peer.py server --port 0
    <peer python> tools/bench/inference_peer.py client --address 127.0.0.1:PORT --n 200

``server`` runs LeRobot's own ``PolicyServer`` (its gRPC servicer, thread pool and channel
options) with a no-op policy: ``_predict_action_chunk`` returns ``actions_per_chunk`` zero
actions stamped by ``_time_action_chunk``, skipping LeRobot's observation preparation and the
network, as the lr side's no-op policy does. ``client`` does what LeRobot's ``RobotClient``
does per chunk: pickle a ``TimedObservation`` (6 joint floats and a 480×640×3 uint8 frame),
stream it with ``send_bytes_in_chunks`` to ``SendObservations``, call ``GetActions`` and
unpickle the ``TimedAction`` list; it prints the round-trip times as JSON.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from concurrent import futures

import numpy as np


def server(port: int, actions_per_chunk: int) -> None:
    import grpc
    import torch
    from lerobot.async_inference.configs import PolicyServerConfig
    from lerobot.async_inference.policy_server import PolicyServer
    from lerobot.transport import services_pb2_grpc

    class NoOpPolicyServer(PolicyServer):
        def _predict_action_chunk(self, observation_t):  # a no-op policy
            zeros = [torch.zeros(6) for _ in range(actions_per_chunk)]
            return self._time_action_chunk(
                observation_t.get_timestamp(), zeros, observation_t.get_timestep()
            )

    # the config insists on a port in 1..65535; the gRPC server below binds the real one
    config = PolicyServerConfig(host="127.0.0.1", port=port or 8080, inference_latency=0.0)
    servicer = NoOpPolicyServer(config)
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    services_pb2_grpc.add_AsyncInferenceServicer_to_server(servicer, grpc_server)
    bound = grpc_server.add_insecure_port(f"127.0.0.1:{port}")
    grpc_server.start()
    print(f"listening on 127.0.0.1:{bound}", flush=True)
    grpc_server.wait_for_termination()


def client(address: str, n: int, warmup: int) -> None:
    import grpc
    from lerobot.async_inference.helpers import TimedObservation
    from lerobot.transport import services_pb2, services_pb2_grpc
    from lerobot.transport.utils import grpc_channel_options, send_bytes_in_chunks

    channel = grpc.insecure_channel(address, grpc_channel_options())
    stub = services_pb2_grpc.AsyncInferenceStub(channel)
    stub.Ready(services_pb2.Empty())
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    times = []
    for i in range(warmup + n):
        observation = {f"m{j}.pos": float(j) for j in range(6)}
        observation["front"] = frame
        observation["task"] = ""
        start = time.perf_counter()
        obs = TimedObservation(
            timestamp=time.time(), timestep=i, observation=observation, must_go=True
        )
        stub.SendObservations(
            send_bytes_in_chunks(pickle.dumps(obs), services_pb2.Observation, silent=True)
        )
        reply = stub.GetActions(services_pb2.Empty())
        actions = pickle.loads(reply.data)  # LeRobot's own format, from our own server
        elapsed = time.perf_counter() - start
        assert len(actions) > 0
        if i >= warmup:
            times.append(elapsed)
    print(json.dumps({"round_trip_s": times}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--address", default="127.0.0.1:8080")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--actions_per_chunk", type=int, default=50)
    args = parser.parse_args()
    if args.role == "server":
        server(args.port, args.actions_per_chunk)
    else:
        client(args.address, args.n, args.warmup)


if __name__ == "__main__":
    sys.exit(main())
