import os

# MuJoCo picks its GL backend at import; render headless on Mesa (EGL) unless told otherwise.
os.environ.setdefault("MUJOCO_GL", "egl")
