"""Writes Tests/Fixtures/video/: small videos and PyAV's / numpy's answers for them (what ``LoomVideo`` reproduces).

Videos (made with the ffmpeg CLI, Debian's ``apt-get install ffmpeg``; generation only, Loom links the libraries):

- ``h264.mp4``         64×48 H.264 yuv420p, 12 fps, 24 frames, B-frames (presentation order ≠ packet order).
- ``vp9.webm``         65×37 VP9 (odd size: swscale's general path), WebM states no frame count (PyAV: 0).
- ``mjpeg.avi``        64×48 MJPEG in AVI: yuvj420p, full range, BT.470BG-tagged.
- ``bt709.mov``        64×48 H.264 in MOV tagged BT.709 (the reference conversion ignores the tag: BT.601).
- ``mpeg4.mkv``        64×48 MPEG-4 part 2 with B-frames in Matroska (no frame count).
- ``anim.gif``         48×32 animated GIF, 10 frames (bgra frames from FFmpeg's decoder).
- ``vfr.mp4``          64×48 H.264 variable frame rate (uneven pts through ``setpts``, ``-fps_mode vfr``).
- ``rot90.mp4``        64×48 H.264 whose track matrix says "rotate 90° clockwise to display" (shown 48×64).
- ``long.mp4``         32×24 H.264, 300 frames at 30 fps (the memory test decodes it to 16 frames).
- ``audio.m4a``        AAC only: no video stream.
- ``zero.y4m``         a YUV4MPEG2 header and no frames: a video stream with zero frames.
- ``truncated.mp4``    the first 60 % of ``h264.mp4``: its index (``moov``, written last) is gone.
- ``truncated_faststart.mp4``  a ``+faststart`` copy of h264.mp4 cut at 80 %: the index (now first) promises 24
  frames, the data holds fewer (PyAV raises InvalidDataError on the cut packet).

``expected.json`` holds, for each decodable video, what PyAV reports. The pinned wheel is ``av==12.3.0``
(bundling FFmpeg 6.1), of the PyAV line current in mid 2024, when lmms-eval's LLaVA-NeXT-Interleave video path was
written. Its ``to_ndarray(format="rgb24")`` calls ``sws_getCachedContext(w, h, fmt, w, h, RGB24, SWS_BILINEAR)`` and ``sws_scale`` and never
``sws_setColorspaceDetails`` (source and destination colorspace and range both default to the frame's own, so they
are equal): the BT.601 matrix whatever the frame is tagged, limited range unless the pixel format is ``yuvj*``,
centred chroma. PyAV 15.1 (FFmpeg 7.1) gives the same bytes for every fixture. Later releases differ: PyAV 16
(FFmpeg 8 swscale) changes odd-sized frames (``vp9.webm``, up to 97 levels near sharp chroma edges), PyAV ≥ 17
converts through ``sws_scale_frame`` with the frame's tags (``bt709.mov`` gets the BT.709 matrix, up to 40 levels
apart). Loom reproduces the lmms-eval-era conversion; Debian 12's FFmpeg 5.1 swscale matches it byte for byte.
Per video:

- ``frame_count``: the total that lmms-eval's ``read_video_pyav`` samples over: ``container.streams.video[0].frames``
  (the container's count), or — when that is 0 (WebM, Matroska) — the number of frames decoded by iterating
  ``container.decode(video=0)``. ``container_frames``, ``decoded_frames`` and ``packets`` (demuxed packets of the
  stream, no decoding) are recorded beside it; for every fixture ``packets == decoded_frames`` (that is why Loom may
  count packets instead of decoding when the container states no count).
- ``average_fps`` / ``duration``: ``stream.average_rate``; ``stream.duration * time_base`` (the container's
  duration when the stream states none).
- ``timestamps``: ``frame.pts * time_base`` of every decoded frame, in decode (= presentation) order.
- ``uniform8`` / ``interval8`` / ``fps2max8``: frame indices of the three sampling rules with n = 8 (fps rule: rate 2,
  as documented in ``FrameSampling.fps``, computed here independently from the timestamps).
- ``frames``: ``frames/<name>.rgb`` holds the frames at ``uniform8``, each ``frame.to_ndarray(format="rgb24")``
  (HWC uint8, concatenated), rotated for display. PyAV does not apply the display matrix (newer releases only
  report it as ``frame.rotation``); Loom rotates, as ffmpeg's CLI and recent OpenCV (the authors' demo reads frames
  with OpenCV) do, so the expected frames are ``np.rot90(pyav_frame, k=-rotation // 90)`` with ``rotation``
  clockwise degrees (the negated display-matrix angle that ffprobe reports). The script checks that orientation
  against the ffmpeg CLI's autorotated output.
- ``bt709.mov`` also carries ``tag_honouring_max_difference``: how far a conversion with the tagged BT.709 matrix
  (what PyAV ≥ 17 does) is from the frames recorded here.

``sampling.json`` holds the uniform (``np.linspace(0, total - 1, min(total, n)).astype(int)``, lmms-eval) and interval
(``interval = max(1, total // n)``; every ``i`` with ``i % interval == 0``, the authors' interleave demo) index lists
for total = 1…600 and n = 1, 8, 16, 32.

Everything is deterministic (single-threaded bit-exact encodes): rerunning gives the same bytes.

Run from the repository root, with PyAV 12.3.0 (requirements.txt pins 18.1.0 for make_m4_fixtures.py):
    pip install --target /tmp/av12 av==12.3.0
    PYTHONPATH=/tmp/av12 python tools/reference/make_video_fixtures.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "video"
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
BITEXACT = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]
H264 = ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "30", "-x264-params", "threads=1"]
PYAV_VERSION = "12.3.0"
SAMPLE_COUNT = 8
FPS_RATE = 2.0

# name -> (lavfi source, codec arguments, extra arguments before the output)
VIDEOS = {
    "h264.mp4": ("testsrc2=size=64x48:rate=12:duration=2", H264, []),
    "vp9.webm": ("testsrc2=size=66x38:rate=10:duration=2",
                 ["-pix_fmt", "yuv420p", "-c:v", "libvpx-vp9", "-crf", "40", "-b:v", "0", "-row-mt", "0"],
                 ["-vf", "scale=65:37"]),
    "mjpeg.avi": ("testsrc2=size=64x48:rate=8:duration=2", ["-c:v", "mjpeg", "-q:v", "8"], []),
    "bt709.mov": ("testsrc2=size=64x48:rate=10:duration=2", H264,
                  ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]),
    "mpeg4.mkv": ("testsrc2=size=64x48:rate=10:duration=2", ["-c:v", "mpeg4", "-q:v", "8", "-bf", "2"], []),
    "anim.gif": ("testsrc2=size=48x32:rate=5:duration=2", ["-c:v", "gif"], []),
    "vfr.mp4": ("testsrc2=size=64x48:rate=30:duration=2", H264,
                ["-vf", "select='not(mod(n\\,3))+eq(n\\,7)+eq(n\\,8)',"
                        "setpts=N/(10*TB)+if(gt(N\\,5)\\,0.05/TB\\,0)", "-fps_mode", "vfr"]),
    "rot90.mp4": ("testsrc2=size=64x48:rate=10:duration=1", H264, []),
    "long.mp4": ("testsrc2=size=32x24:rate=30:duration=10", H264 + ["-g", "300"], []),
}
NO_FRAME_COUNT = {"vp9.webm", "mpeg4.mkv"}


def ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True)


def make_videos() -> None:
    for name, (source, codec, extra) in VIDEOS.items():
        ffmpeg("-f", "lavfi", "-i", source, *extra, *codec, *BITEXACT, str(OUT / name))
    set_rotation(OUT / "rot90.mp4", clockwise_degrees=90)
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.3", "-c:a", "aac", "-b:a", "16k", *BITEXACT,
           str(OUT / "audio.m4a"))
    (OUT / "zero.y4m").write_bytes(b"YUV4MPEG2 W64 H48 F10:1 Ip A1:1 C420jpeg\n")
    whole = (OUT / "h264.mp4").read_bytes()
    (OUT / "truncated.mp4").write_bytes(whole[: len(whole) * 6 // 10])
    faststart = OUT / "faststart.tmp.mp4"
    ffmpeg("-i", str(OUT / "h264.mp4"), "-c", "copy", "-movflags", "+faststart", *BITEXACT, str(faststart))
    data = faststart.read_bytes()
    (OUT / "truncated_faststart.mp4").write_bytes(data[: len(data) * 8 // 10])
    faststart.unlink()


def set_rotation(path: Path, clockwise_degrees: int) -> None:
    """Writes the track header's display matrix (ISO/IEC 14496-12 ``tkhd``), which the ffmpeg 5.1 CLI cannot set.

    The matrix {a b u; c d v; x y w} in 16.16 / 2.30 fixed point: rotating 90° clockwise is a=0 b=1 c=-1 d=0.
    """
    assert clockwise_degrees == 90
    data = bytearray(path.read_bytes())
    tkhd = data.index(b"tkhd")
    version = data[tkhd + 4]
    matrix = tkhd + 4 + 4 + (32 if version == 1 else 20) + 8 + 8
    identity = np.array([1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30], dtype=">i4").tobytes()
    assert data[matrix:matrix + 36] == identity, "tkhd matrix not found where expected"
    rotated = np.array([0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30], dtype=">i4").tobytes()
    data[matrix:matrix + 36] = rotated
    path.write_bytes(bytes(data))


# ----------------------------------------------------------------------------------------------------------------
# Sampling rules (references: lmms-eval read_video_pyav, LLaVA-NeXT interleave_demo).


def uniform_indices(total: int, n: int) -> list[int]:
    indices = np.linspace(0, total - 1, min(total, n)).astype(int)
    assert (indices == np.linspace(0, total - 1, min(total, n), dtype=int)).all()
    return [int(i) for i in indices]


def interval_indices(total: int, n: int) -> list[int]:
    interval = max(1, total // n)
    return [i for i in range(total) if i % interval == 0]


def fps_indices(timestamps: list[float], rate: float, max_count: int) -> list[int]:
    """Nearest frame to each t = start + k / rate within [start, last]; ties to the earlier frame; duplicates
    dropped; more than max_count thinned by the uniform rule over the list."""
    start, last = timestamps[0], timestamps[-1]
    chosen: list[int] = []
    k = 0
    while start + k / rate <= last:
        target = start + k / rate
        best = min(range(len(timestamps)), key=lambda i: (abs(timestamps[i] - target), i))
        if not chosen or chosen[-1] != best:
            chosen.append(best)
        k += 1
    return [chosen[i] for i in uniform_indices(len(chosen), max_count)]


# ----------------------------------------------------------------------------------------------------------------
# PyAV's answers.


def clockwise_rotation(name: str) -> int:
    """ffprobe reports the display matrix as av_display_rotation_get does: counter-clockwise degrees."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream_side_data=rotation", "-of", "json", str(OUT / name)],
                           check=True, capture_output=True, text=True).stdout
    side_data = json.loads(probe)["streams"][0].get("side_data_list", [])
    counter_clockwise = next((entry["rotation"] for entry in side_data if "rotation" in entry), 0)
    return int(-round(counter_clockwise)) % 360


def describe(name: str) -> dict:
    with av.open(str(OUT / name)) as container:
        stream = container.streams.video[0]
        container_frames = stream.frames
        packets = sum(1 for packet in container.demux(stream) if packet.size > 0)
    frames = []
    with av.open(str(OUT / name)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(video=0):
            frames.append(frame)
        time_base = stream.time_base
        average_rate = stream.average_rate
        duration = float(stream.duration * time_base) if stream.duration else container.duration / 1_000_000
    total = container_frames if container_frames > 0 else len(frames)
    assert (container_frames == 0) == (name in NO_FRAME_COUNT), (name, container_frames)
    assert packets == len(frames), (name, packets, len(frames))
    rotation = clockwise_rotation(name)
    timestamps = [float(Fraction(f.pts) * time_base) for f in frames]
    indices = uniform_indices(total, SAMPLE_COUNT)
    pixels = [frames[i].to_ndarray(format="rgb24") for i in indices]
    shown = [np.ascontiguousarray(np.rot90(p, k=-rotation // 90)) for p in pixels]
    (OUT / "frames" / f"{name}.rgb").write_bytes(b"".join(p.tobytes() for p in shown))
    first = frames[0]
    entry = {
        "file": name,
        "codec": stream.codec_context.name,
        "width": int(shown[0].shape[1]),
        "height": int(shown[0].shape[0]),
        "coded_width": first.width,
        "coded_height": first.height,
        "rotation": rotation,
        "pix_fmt": first.format.name,
        "colorspace": int(first.colorspace),
        "color_range": int(first.color_range),
        "frame_count": total,
        "container_frames": container_frames,
        "decoded_frames": len(frames),
        "packets": packets,
        "average_fps": float(average_rate) if average_rate else 0.0,
        "duration": duration,
        "timestamps": timestamps,
        "uniform8": indices,
        "interval8": interval_indices(total, SAMPLE_COUNT),
        "fps2max8": fps_indices(timestamps, FPS_RATE, SAMPLE_COUNT),
        "frames": f"frames/{name}.rgb",
    }
    if first.colorspace == 1:
        tagged = [frames[i].to_ndarray(format="rgb24", src_colorspace="ITU709", dst_colorspace="ITU601")
                  for i in indices]
        entry["tag_honouring_max_difference"] = int(max(
            np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(pixels, tagged)))
    if rotation:
        check_orientation(name, shown[0])
    return entry


def check_orientation(name: str, expected_first: np.ndarray) -> None:
    """The ffmpeg CLI autorotates; its first frame must match ours in the orientation we chose."""
    height, width = expected_first.shape[:2]
    raw = subprocess.run([*FFMPEG, "-i", str(OUT / name), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], check=True, capture_output=True).stdout
    cli = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).astype(int)
    difference = np.abs(cli - expected_first.astype(int)).mean()
    other = np.abs(cli - np.rot90(expected_first, k=2).astype(int)).mean()
    assert difference < 8 and difference < other, (name, difference, other)


def sampling_table() -> dict:
    counts = [1, 8, 16, 32]
    return {
        "totals": [1, 600],
        "counts": counts,
        "uniform": {str(n): [uniform_indices(total, n) for total in range(1, 601)] for n in counts},
        "interval": {str(n): [interval_indices(total, n) for total in range(1, 601)] for n in counts},
    }


def main() -> None:
    if av.__version__ != PYAV_VERSION:
        raise SystemExit(f"make_video_fixtures.py needs PyAV {PYAV_VERSION} (found {av.__version__}); "
                         "see its docstring")
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "frames").mkdir(parents=True)
    make_videos()
    expected = {
        "pyav": av.__version__,
        "pyav_ffmpeg": {name: ".".join(map(str, version)) for name, version in av.library_versions.items()
                        if name in ("libavcodec", "libavformat", "libswscale")},
        "numpy": np.__version__,
        "sample_count": SAMPLE_COUNT,
        "fps_rate": FPS_RATE,
        "videos": [describe(name) for name in VIDEOS],
        "errors": {
            "audio.m4a": "noVideoStream",
            "zero.y4m": "noFrames",
            "truncated.mp4": "unreadable",
            "truncated_faststart.mp4": "truncated",
        },
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    (OUT / "sampling.json").write_text(json.dumps(sampling_table(), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
