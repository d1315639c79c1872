"""Apply LeRobot's ImageTransforms to a saved image with a fixed seed; write the outputs.

usage: lerobot_transforms.py IN.npy OUT.npy MAX_NUM_TRANSFORMS RANDOM_ORDER(0|1) N SEED
"""

import json
import sys

import numpy as np
import torch

try:
    from lerobot.transforms.transforms import ImageTransforms, ImageTransformsConfig
except ImportError:  # lerobot 0.4
    from lerobot.datasets.transforms import ImageTransforms, ImageTransformsConfig

src, dst, n_max, random_order, n, seed = sys.argv[1:7]
image = torch.from_numpy(np.load(src))
tf = ImageTransforms(
    ImageTransformsConfig(
        enable=True, max_num_transforms=int(n_max), random_order=random_order == "1"
    )
)
torch.manual_seed(int(seed))
outs = np.stack([tf(image).numpy() for _ in range(int(n))])
np.save(dst, outs)
print("RESULT " + json.dumps({"shape": list(outs.shape)}))
