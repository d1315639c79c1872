#!/usr/bin/env bash
# Build the reference-peer virtual environments used by `peer` tests and benchmarks.
#
#   tools/peer/install.sh            # both peers into $LR_PEER_HOME (default: .peer/ in the repo)
#
# lerobot 0.6.1 needs Python >= 3.12 (pyenv's 3.12 here); 0.4.4 is the last release on 3.11.
# The peers live in their own venvs and are only ever driven through a subprocess.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
home=${LR_PEER_HOME:-$repo/.peer}
mkdir -p "$home"

find_python() {  # find_python 3.12 -> path of a python of that minor version
  local v=$1
  for c in "python$v" "$HOME/.pyenv/versions/$v"*/bin/python "/usr/bin/python$v"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import sys; assert sys.version_info[:2]==tuple(map(int,'$v'.split('.')))" 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  echo "no Python $v found (install it, e.g. 'pyenv install $v')" >&2; return 1
}

make_peer() {  # make_peer <dir> <python minor> <requirement>
  local dir=$1 py=$2 req=$3
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import lerobot" 2>/dev/null; then
    echo "peer ready: $dir"; return 0
  fi
  "$(find_python "$py")" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q "$req"
  echo "peer installed: $dir ($("$dir/bin/python" -c 'import importlib.metadata as m; print(m.version("lerobot"))'))"
}

# LeRobot decodes video with torchcodec by default, which does not bundle FFmpeg: without the
# system's FFmpeg shared libraries it falls back to PyAV (slower), and benchmarks would compare
# against a LeRobot that no user with FFmpeg installed runs. Debian 12 ships FFmpeg 5.1.
ffmpeg_libs="libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 libavfilter8 libavdevice59"
if ! ldconfig -p 2>/dev/null | grep -q "libavutil.so.5[6-9]\|libavutil.so.60"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $ffmpeg_libs >/dev/null \
      || echo "warning: could not install FFmpeg's libraries; LeRobot will decode with PyAV" >&2
  else
    echo "warning: no system FFmpeg libraries; LeRobot will decode with PyAV, not torchcodec" \
      "(install: $ffmpeg_libs)" >&2
  fi
fi

make_peer "$home/lerobot-0.6.1" 3.12 "lerobot[dataset,diffusion,feetech,dynamixel,smolvla,pi,lekiwi,async]==0.6.1" &
p1=$!
make_peer "$home/lerobot-0.4.4" 3.11 "lerobot[feetech,dynamixel]==0.4.4" &
p2=$!
wait $p1; wait $p2
