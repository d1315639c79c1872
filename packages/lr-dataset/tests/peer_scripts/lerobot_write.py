"""Write a small synthetic dataset with LeRobot (run by the peer's interpreter, never imported).

usage: python lerobot_write.py ROOT [--episodes N] [--frames N] [--height H] [--width W]
       [--images] [--two-tasks] [--codec libsvtav1|h264] [--no-camera]
Prints ``RESULT {json}`` with timings.
"""

import argparse
import json
import time

import numpy as np


def frame_image(ep: int, i: int, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[..., 0] = (xx * 255 // max(w - 1, 1) + 7 * i) % 256
    img[..., 1] = (yy * 255 // max(h - 1, 1) + 11 * ep) % 256
    img[..., 2] = (3 * i + 40 * ep) % 256
    y0 = (i * 3) % max(h - h // 4, 1)
    x0 = (i * 5) % max(w - w // 4, 1)
    img[y0 : y0 + h // 4, x0 : x0 + w // 4] = 255
    return img


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--episodes", type=int, default=2)
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--height", type=int, default=32)
    p.add_argument("--width", type=int, default=48)
    p.add_argument("--images", action="store_true")
    p.add_argument("--two-tasks", action="store_true")
    p.add_argument("--codec", default=None)
    p.add_argument("--no-camera", action="store_true")
    p.add_argument("--fps", type=int, default=30)
    args = p.parse_args()

    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    names = ["j0", "j1", "j2", "j3", "j4", "j5"]
    features = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": names},
        "action": {"dtype": "float32", "shape": (6,), "names": names},
        "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
    }
    if not args.no_camera:
        features["observation.images.front"] = {
            "dtype": "image" if args.images else "video",
            "shape": (args.height, args.width, 3),
            "names": ["height", "width", "channels"],
        }
    kwargs = {}
    if args.codec:
        try:
            from lerobot.configs import RGBEncoderConfig

            kwargs["rgb_encoder"] = RGBEncoderConfig(vcodec=args.codec)
        except ImportError:  # 0.4.x
            kwargs["vcodec"] = args.codec
    t0 = time.perf_counter()
    ds = LeRobotDataset.create(
        "peer/synthetic",
        fps=args.fps,
        features=features,
        root=args.root,
        robot_type="so_follower",
        use_videos=not args.images,
        **kwargs,
    )
    add_s = 0.0
    save_s = []
    for ep in range(args.episodes):
        task = "pick the cube" if (not args.two_tasks or ep % 2 == 0) else "place the cube"
        for i in range(args.frames):
            t = i / args.fps
            state = np.sin(np.arange(6, dtype=np.float32) + t + ep).astype(np.float32)
            frame = {
                "observation.state": state,
                "action": (state * 0.5 + 0.1).astype(np.float32),
                "next.reward": np.array([float(i == args.frames - 1)], dtype=np.float32),
                "task": task,
            }
            if not args.no_camera:
                frame["observation.images.front"] = frame_image(ep, i, args.height, args.width)
            a = time.perf_counter()
            ds.add_frame(frame)
            add_s += time.perf_counter() - a
        a = time.perf_counter()
        ds.save_episode()
        save_s.append(time.perf_counter() - a)
    ds.finalize()
    total = time.perf_counter() - t0
    print(
        "RESULT "
        + json.dumps(
            {
                "total_s": total,
                "add_frame_s": add_s,
                "save_episode_s": save_s,
                "frames": args.episodes * args.frames,
            }
        )
    )


if __name__ == "__main__":
    main()
