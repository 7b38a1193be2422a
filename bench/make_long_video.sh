#!/usr/bin/env bash
# Writes a 10-minute 1080p H.264 video for `loom bench --video` (memory while decoding a long video to 16 frames).
# Needs the ffmpeg command (Debian package `ffmpeg`); run on demand, not by CI.
#   bash bench/make_long_video.sh [OUT.mp4] [FPS]
set -euo pipefail
out=${1:-bench/out/long-1080p.mp4}
fps=${2:-30}
mkdir -p "$(dirname "$out")"
command -v ffmpeg >/dev/null || { echo "ffmpeg is missing: apt-get install -y ffmpeg" >&2; exit 1; }
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=${fps}:duration=600" \
  -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p "$out"
echo "$out"
