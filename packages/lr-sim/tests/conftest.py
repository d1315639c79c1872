import contextlib
import importlib
import os

# MuJoCo picks its GL backend at import; render headless on Mesa (EGL) unless told otherwise.
os.environ.setdefault("MUJOCO_GL", "egl")

# A process that loads triton (torch._dynamo imports it lazily, e.g. from an optimizer) after
# MuJoCo has created an EGL context crashes with a segmentation fault (both bundle LLVM); tests
# of other packages that train after these ones render would die. Load it first when torch is
# installed, as lr_policies.eval does before its envs render.
with contextlib.suppress(ImportError):
    importlib.import_module("torch._dynamo")
