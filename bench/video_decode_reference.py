#!/usr/bin/env python3
"""The transformers-side video path for the same job as `loom prompt --video FILE --frames N`: lmms-eval's
`read_video_pyav` (PyAV decode, uniform `linspace` indices, rgb24) then the SigLIP processor. Prints seconds and
peak RSS. Run on demand:  python bench/video_decode_reference.py bench/out/long-1080p.mp4 16"""
import resource
import sys
import time

import av
import numpy as np


def read_video_pyav(path, num_frm):
    container = av.open(path)
    total = container.streams.video[0].frames
    indices = np.linspace(0, total - 1, min(total, num_frm)).astype(int)
    frames = []
    for i, frame in enumerate(container.decode(video=0)):
        if i > indices[-1]:
            break
        if i >= indices[0] and i in indices:
            frames.append(frame)
    return np.stack([f.to_ndarray(format="rgb24") for f in frames]), indices


def main():
    path, frames = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16
    start = time.perf_counter()
    video, indices = read_video_pyav(path, frames)
    decoded = time.perf_counter() - start
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil
    processor = SiglipImageProcessorPil(size={"height": 384, "width": 384})
    pixels = processor(images=list(video), return_tensors="np")["pixel_values"]
    total = time.perf_counter() - start
    print(f"frames {indices.tolist()}  pixels {pixels.shape}  decode {decoded:.1f} s  decode+preprocess {total:.1f} s  "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB  (PyAV {av.__version__})")


if __name__ == "__main__":
    main()
