"""Writes Tests/Fixtures/images/: test images and Pillow's / transformers' answers for them.

Each image is decoded with ``Image.open(f).convert("RGB")`` (what the Swift ``ImageDecoder`` must reproduce
byte for byte), resized with Pillow's BICUBIC to several sizes (``PillowResize``), and run through transformers'
PIL-backend ``SiglipImageProcessorPil`` (``SiglipImageProcessor``). Files that must fail carry the failure kind
that Loom reports and the error Pillow raised. Everything is deterministic: rerunning gives the same bytes.

Run from the repository root:  python tools/reference/make_image_fixtures.py
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
import skimage.data
import transformers
from PIL import Image
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "images"
LONG_SIDE = 480
RNG = np.random.default_rng(20240624)

# Sizes every image is resized to, besides its own size, one-axis changes and a small upscale.
COMMON_SIZES = [(384, 384), (84, 84), (1000, 7), (7, 1000), (1, 1)]
SIGLIP = {"size": {"height": 384, "width": 384}}
CLIP_LIKE = {
    "size": {"height": 224, "width": 224},
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "rescale_factor": 0.00392156862745098,
}
SAMPLE_POINTS = 8


# ----------------------------------------------------------------------------------------------------------------
# Raw PNG / GIF writers, for the layouts Pillow cannot write (16-bit RGB, interlacing, short palettes, sub-frames).


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def pack_row(samples: np.ndarray, depth: int) -> bytes:
    """One row of samples (already flattened per pixel) at `depth` bits, big-endian."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint8)
    padded[: len(samples)] = samples
    padded = padded.reshape(-1, per_byte)
    out = np.zeros(len(padded), dtype=np.uint8)
    for i in range(per_byte):
        out |= (padded[:, i] << (8 - depth * (i + 1))).astype(np.uint8)
    return out.tobytes()


def raw_png(pixels: np.ndarray, depth: int, color_type: int, extra: bytes = b"", interlace: bool = False) -> bytes:
    """A PNG of `pixels` ([H, W] or [H, W, C] sample values) written without Pillow, filter 0."""
    height, width = pixels.shape[:2]
    flat = pixels.reshape(height, width, -1)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = flat[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += b"".join(b"\0" + pack_row(row.reshape(-1), depth) for row in sub)
    else:
        raw = b"".join(b"\0" + pack_row(row.reshape(-1), depth) for row in flat)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra
        + png_chunk(b"IDAT", zlib.compress(raw, 9))
        + png_chunk(b"IEND", b"")
    )


def gif_sub_blocks(data: bytes) -> bytes:
    out = b""
    for i in range(0, len(data), 255):
        part = data[i : i + 255]
        out += bytes([len(part)]) + part
    return out + b"\0"


def lzw_literals(indices: np.ndarray, min_code_size: int) -> bytes:
    """LZW data that sends a clear code before every pixel, so every code is a literal of min_code_size+1 bits."""
    clear, end, size = 1 << min_code_size, (1 << min_code_size) + 1, min_code_size + 1
    codes = []
    for value in indices.reshape(-1):
        codes += [clear, int(value)]
    codes.append(end)
    bits, count, out = 0, 0, bytearray()
    for code in codes:
        bits |= code << count
        count += size
        while count >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        out.append(bits & 0xFF)
    return bytes(out)


def raw_gif(
    screen: tuple[int, int],
    frame_box: tuple[int, int, int, int],
    indices: np.ndarray,
    global_palette: bytes | None,
    local_palette: bytes | None = None,
    transparency: int | None = None,
    min_code_size: int = 8,
) -> bytes:
    """A one-frame GIF89a written without Pillow. Palettes must hold a power-of-two number of entries (>= 2)."""

    def size_bits(palette: bytes) -> int:
        return (len(palette) // 3).bit_length() - 2

    flags = 0x80 | size_bits(global_palette) if global_palette else 0
    out = b"GIF89a" + struct.pack("<HHBBB", screen[0], screen[1], flags, 0, 0) + (global_palette or b"")
    if transparency is not None:
        out += b"!\xf9\x04" + struct.pack("<BHB", 1, 0, transparency) + b"\0"
    x0, y0, w, h = frame_box
    local_flags = 0x80 | size_bits(local_palette) if local_palette else 0
    out += b"," + struct.pack("<HHHHB", x0, y0, w, h, local_flags) + (local_palette or b"")
    out += bytes([min_code_size]) + gif_sub_blocks(lzw_literals(indices, min_code_size))
    return out + b";"


# ----------------------------------------------------------------------------------------------------------------
# Image content.


def shrink(array: np.ndarray, long_side: int = LONG_SIDE) -> Image.Image:
    image = Image.fromarray(array)
    scale = long_side / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return image


def save(image: Image.Image, name: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **options)
    data = buffer.getvalue()
    (OUT / name).write_bytes(data)
    return data


def gradient(width: int, height: int, channels: int, maximum: int = 255) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    planes = [
        (x * maximum // max(width - 1, 1)),
        (y * maximum // max(height - 1, 1)),
        ((x + y) * maximum // max(width + height - 2, 1)),
        ((x * 7 + y * 3) % (maximum + 1)),
    ]
    stacked = np.stack(planes[:channels], axis=-1)
    return stacked[..., 0] if channels == 1 else stacked


def noise(shape: tuple[int, ...], maximum: int = 255) -> np.ndarray:
    return RNG.integers(0, maximum + 1, size=shape)


def write_photos() -> None:
    astronaut = skimage.data.astronaut()
    save(shrink(astronaut), "astronaut.jpg", format="JPEG", quality=90)
    save(shrink(skimage.data.coffee()), "coffee_444.jpg", format="JPEG", quality=90, subsampling="4:4:4")
    save(shrink(skimage.data.rocket()), "rocket_422.jpg", format="JPEG", quality=90, subsampling="4:2:2")
    save(shrink(skimage.data.chelsea(), 301), "chelsea.png", format="PNG", optimize=True)
    left, _, _ = skimage.data.stereo_motorcycle()
    save(shrink(left), "motorcycle_left.webp", format="WEBP", quality=80)
    save(shrink(skimage.data.hubble_deep_field()), "hubble_deep_field.jpg", format="JPEG", quality=90)
    save(
        shrink(skimage.data.immunohistochemistry()),
        "immunohistochemistry_progressive.jpg",
        format="JPEG",
        quality=90,
        progressive=True,
    )
    save(shrink(skimage.data.retina(), 397), "retina.jpg", format="JPEG", quality=88)
    save(shrink(skimage.data.camera(), 333), "camera_gray.png", format="PNG", optimize=True)
    save(shrink(skimage.data.coins()), "coins_gray.jpg", format="JPEG", quality=90)
    save(shrink(skimage.data.page()), "page_gray.png", format="PNG", optimize=True)
    save(shrink(skimage.data.moon(), 257), "moon_gray_lossless.webp", format="WEBP", lossless=True)
    save(shrink(skimage.data.colorwheel()), "colorwheel.png", format="PNG", optimize=True)
    save(shrink(skimage.data.logo(), 300), "logo_rgba.png", format="PNG", optimize=True)
    save(shrink(skimage.data.clock()), "clock_gray.jpg", format="JPEG", quality=85, restart_marker_rows=3)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW on display; Image.open does not apply it
    save(shrink(astronaut, 211), "astronaut_exif_rotated.jpg", format="JPEG", quality=90, exif=exif)


def write_jpeg_edge_cases() -> None:
    chelsea = shrink(skimage.data.chelsea(), 256)
    cmyk = chelsea.convert("CMYK")
    data = save(cmyk, "chelsea_cmyk_adobe.jpg", format="JPEG", quality=90)
    # The same JPEG with its Adobe marker's transform set to 2: libjpeg then reads it as YCCK.
    adobe = data.index(b"Adobe")
    transform_at = adobe + 11
    assert data[transform_at] == 0, "expected Pillow's CMYK JPEG to carry Adobe transform 0"
    (OUT / "chelsea_ycck.jpg").write_bytes(data[:transform_at] + b"\x02" + data[transform_at + 1 :])
    save(Image.fromarray(gradient(97, 61, 3).astype(np.uint8)), "gradient_444_odd.jpg", format="JPEG",
         quality=95, subsampling="4:4:4")
    save(Image.fromarray(noise((33, 47, 3)).astype(np.uint8)), "noise_420_odd.jpg", format="JPEG", quality=75)
    strip = shrink(skimage.data.rocket(), 4000).resize((4000, 20), Image.Resampling.BILINEAR)
    save(strip, "wide_4000x20.jpg", format="JPEG", quality=85)


def write_png_edge_cases() -> None:
    rgba = gradient(64, 48, 4).astype(np.uint8)
    rgba[..., 3] = np.where(rgba[..., 3] < 30, 0, rgba[..., 3])  # fully transparent pixels keep their colour
    save(Image.fromarray(rgba, "RGBA"), "gradient_rgba.png", format="PNG")
    gray_alpha = np.stack([gradient(50, 30, 1), 255 - gradient(50, 30, 1)], axis=-1).astype(np.uint8)
    save(Image.fromarray(gray_alpha, "LA"), "gradient_gray_alpha.png", format="PNG")
    photo = shrink(skimage.data.coffee(), 160)
    save(photo.quantize(colors=200, method=Image.Quantize.MEDIANCUT), "coffee_palette.png", format="PNG")
    palette_trns = photo.quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    save(palette_trns, "coffee_palette_trns.png", format="PNG", transparency=3)
    # 2-bit palette with 3 PLTE entries and pixels that index past them (Pillow shows those as black).
    short = np.array([[0, 1, 2, 3] * 5] * 6, dtype=np.uint8)
    plte = png_chunk(b"PLTE", bytes([250, 20, 20, 20, 250, 20, 20, 20, 250]))
    trns = png_chunk(b"tRNS", bytes([0, 128]))
    (OUT / "palette_2bit_short.png").write_bytes(raw_png(short, 2, 3, plte + trns))
    (OUT / "gray_1bit.png").write_bytes(raw_png((gradient(37, 9, 1) > 127).astype(np.uint8), 1, 0))
    (OUT / "gray_2bit.png").write_bytes(raw_png(gradient(37, 9, 1, 3), 2, 0))
    (OUT / "gray_4bit_trns.png").write_bytes(
        raw_png(gradient(37, 9, 1, 15), 4, 0, png_chunk(b"tRNS", struct.pack(">H", 5)))
    )
    (OUT / "gray_16bit.png").write_bytes(raw_png(gradient(70, 40, 1, 1023), 16, 0))
    (OUT / "rgb_16bit.png").write_bytes(raw_png(gradient(70, 40, 3, 65535), 16, 2))
    (OUT / "rgba_16bit.png").write_bytes(raw_png(gradient(70, 40, 4, 65535), 16, 6))
    (OUT / "gray_alpha_16bit.png").write_bytes(raw_png(gradient(70, 40, 2, 65535), 16, 4))
    (OUT / "rgb_trns.png").write_bytes(
        raw_png(gradient(40, 20, 3), 8, 2, png_chunk(b"tRNS", struct.pack(">HHH", 0, 0, 0)))
    )
    coins = np.asarray(shrink(skimage.data.coins(), 123))
    (OUT / "coins_interlaced.png").write_bytes(raw_png(coins, 8, 0, interlace=True))
    chelsea = np.asarray(shrink(skimage.data.chelsea(), 101))
    (OUT / "chelsea_interlaced_rgb.png").write_bytes(raw_png(chelsea, 8, 2, interlace=True))
    (OUT / "tiny_interlaced_3x2.png").write_bytes(raw_png(noise((2, 3, 4)), 8, 6, interlace=True))
    (OUT / "tiny_1x1.png").write_bytes(raw_png(np.array([[[200, 100, 50]]]), 8, 2))
    tall = np.asarray(shrink(skimage.data.astronaut(), 4000).resize((20, 4000), Image.Resampling.BILINEAR))
    save(Image.fromarray(tall), "tall_20x4000.png", format="PNG", optimize=True)
    # 3000 x 2000 (6 Mpixel): large but allowed; rows repeat, so it compresses to a few kilobytes.
    large = np.repeat(gradient(3000, 1, 3).astype(np.uint8), 2000, axis=0)
    large[::250] = 255 - large[::250]
    save(Image.fromarray(large), "large_3000x2000.png", format="PNG", optimize=True)


def write_webp_gif_edge_cases() -> None:
    rgba = gradient(90, 70, 4).astype(np.uint8)
    save(Image.fromarray(rgba, "RGBA"), "gradient_lossless_alpha.webp", format="WEBP", lossless=True)
    save(Image.fromarray(rgba, "RGBA"), "gradient_lossy_alpha.webp", format="WEBP", quality=70)
    frames = [shrink(skimage.data.chelsea(), 120), shrink(skimage.data.coffee(), 120).resize((120, 80))]
    frames[0] = frames[0].resize((120, 80))
    frames[0].save(OUT / "animated.webp", format="WEBP", save_all=True, append_images=frames[1:], duration=100,
                   quality=80)
    photo = shrink(skimage.data.astronaut(), 150)
    save(photo.quantize(colors=64), "astronaut.gif", format="GIF")
    frames[0].quantize(colors=32).save(OUT / "animated.gif", format="GIF", save_all=True,
                                       append_images=[frames[1].quantize(colors=32)], duration=100)
    palette4 = bytes([10, 20, 30, 200, 40, 40, 40, 200, 40, 40, 40, 200])
    sub = (gradient(20, 10, 1, 3)).astype(np.uint8)
    (OUT / "gif_subframe.gif").write_bytes(raw_gif((40, 30), (5, 7, 20, 10), sub, palette4, min_code_size=2))
    (OUT / "gif_subframe_transparent.gif").write_bytes(
        raw_gif((40, 30), (5, 7, 20, 10), sub, palette4, transparency=2, min_code_size=2)
    )
    (OUT / "gif_frame_past_screen.gif").write_bytes(
        raw_gif((16, 12), (10, 8, 20, 10), sub, palette4, min_code_size=2)
    )
    local4 = bytes([255, 255, 0, 0, 255, 255, 255, 0, 255, 9, 9, 9])
    (OUT / "gif_local_palette.gif").write_bytes(
        raw_gif((20, 10), (0, 0, 20, 10), sub, palette4, local_palette=local4, min_code_size=2)
    )
    wide_indices = (gradient(30, 8, 1, 255)).astype(np.uint8)
    identity = bytes(v for i in range(4) for v in (i, i, i))
    (OUT / "gif_identity_gray_palette.gif").write_bytes(raw_gif((30, 8), (0, 0, 30, 8), wide_indices, identity))
    (OUT / "gif_short_palette.gif").write_bytes(
        raw_gif((30, 8), (0, 0, 30, 8), wide_indices, bytes([255, 0, 0, 0, 0, 255]))
    )
    (OUT / "gif_no_palette.gif").write_bytes(raw_gif((30, 8), (0, 0, 30, 8), wide_indices, None))


# ----------------------------------------------------------------------------------------------------------------
# Files that must fail.


def write_error_cases() -> list[tuple[str, str]]:
    """Writes the broken files; returns (file, Loom failure kind)."""
    jpeg = (OUT / "astronaut.jpg").read_bytes()
    (OUT / "error_truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    png = (OUT / "chelsea.png").read_bytes()
    (OUT / "error_truncated.png").write_bytes(png[: len(png) // 2])
    webp = (OUT / "motorcycle_left.webp").read_bytes()
    (OUT / "error_truncated.webp").write_bytes(webp[: len(webp) // 2])
    gif = (OUT / "astronaut.gif").read_bytes()
    (OUT / "error_truncated.gif").write_bytes(gif[: len(gif) // 2])
    small = raw_png(gradient(8, 8, 3), 8, 2)
    bad_crc = bytearray(small)
    bad_crc[29] ^= 0xFF  # the IHDR CRC
    (OUT / "error_bad_crc.png").write_bytes(bytes(bad_crc))
    bad_idat = raw_png(gradient(8, 8, 3), 8, 2)
    idat = bad_idat.index(b"IDAT")
    payload = bytearray(bad_idat[idat + 4 : idat + 4 + struct.unpack(">I", bad_idat[idat - 4 : idat])[0]])
    payload[0] = 0x79  # not a zlib header
    (OUT / "error_bad_idat.png").write_bytes(
        bad_idat[: idat - 4] + png_chunk(b"IDAT", bytes(payload)) + png_chunk(b"IEND", b"")
    )
    (OUT / "error_random.bin").write_bytes(RNG.integers(0, 256, 3000).astype(np.uint8).tobytes())
    (OUT / "error_empty.png").write_bytes(b"")
    header = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    first_rows = png_chunk(b"IDAT", zlib.compress(b"\0" * 301))
    (OUT / "error_huge_header.png").write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + first_rows)
    gif_huge = b"GIF89a" + struct.pack("<HHBBB", 30000, 30000, 0, 0, 0) + b"," + struct.pack(
        "<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x4c\x01\x00;"
    (OUT / "error_huge_screen.gif").write_bytes(gif_huge)
    return [
        ("error_truncated.jpg", "truncated"),
        ("error_truncated.png", "truncated"),
        ("error_truncated.webp", "truncated"),
        ("error_truncated.gif", "truncated"),
        ("error_bad_crc.png", "corrupt"),
        ("error_bad_idat.png", "corrupt"),
        ("error_random.bin", "unsupportedFormat"),
        ("error_empty.png", "zeroSize"),
        ("error_huge_header.png", "tooManyPixels"),
        ("error_huge_screen.gif", "tooManyPixels"),
    ]


# ----------------------------------------------------------------------------------------------------------------
# Expected answers.


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resize_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """COMMON_SIZES, the image's own size, one-axis changes, an upscale, and the sizes around Pillow 13's choice of
    pass order: vertical first when both axes change and 2 * (width - new_width) < height - new_height."""
    sizes = COMMON_SIZES + [(width, height), (width, 37), (width + 1, height),
                            (max(1, width * 9 // 10), max(1, height // 4))]
    if width * height <= 250_000:
        sizes.append((2 * width + 3, 3 * height + 1))
    if width > 10 and height > 21:
        sizes += [(width - 10, height - 20), (width - 10, height - 21)]
    unique = []
    for size in sizes:
        if size not in unique:
            unique.append(size)
    return unique


def siglip_expectation(image: Image.Image, options: dict) -> dict:
    """transformers' answer for the decoded RGB pixels. The image is rebuilt from its pixels alone: transformers 5
    composites onto white any image whose ``info`` still names a transparent colour, and Loom's input is pixels."""
    image = Image.fromarray(np.asarray(image))
    processor = SiglipImageProcessorPil(**options)
    values = processor(images=image, return_tensors="np")["pixel_values"][0]
    assert values.dtype == np.float32 and values.shape[0] == 3
    manual = np.asarray(
        image.resize((options["size"]["width"], options["size"]["height"]), Image.Resampling.BICUBIC)
    ).astype(np.float64) * processor.rescale_factor
    manual = manual.astype(np.float32)
    mean = np.array(processor.image_mean, dtype=np.float32)
    std = np.array(processor.image_std, dtype=np.float32)
    manual = ((manual - mean) / std).transpose(2, 0, 1)
    assert np.array_equal(manual, values), "transformers' PIL path differs from the documented arithmetic"
    channels, height, width = values.shape
    points = [(0, 0, 0), (2, height - 1, width - 1)] + [
        (int(RNG.integers(0, channels)), int(RNG.integers(0, height)), int(RNG.integers(0, width)))
        for _ in range(SAMPLE_POINTS - 2)
    ]
    return {
        "configuration": options,
        "shape": list(values.shape),
        "sha256": sha256(np.ascontiguousarray(values).astype("<f4").tobytes()),
        "samples": [{"channel": c, "y": y, "x": x, "value": float(values[c, y, x])} for c, y, x in points],
    }


def describe_image(name: str, with_variant: bool) -> dict:
    with Image.open(OUT / name) as opened:
        file_format = opened.format.lower()
        source_mode = opened.mode
        image = opened.convert("RGB")
    pixels = np.asarray(image)
    entry = {
        "file": name,
        "format": file_format,
        "pillow_mode": source_mode,
        "width": image.width,
        "height": image.height,
        "rgb_sha256": sha256(pixels.tobytes()),
        "resize": [
            {"width": w, "height": h, "sha256": sha256(np.asarray(image.resize((w, h), Image.Resampling.BICUBIC)).tobytes())}
            for w, h in resize_sizes(image.width, image.height)
        ],
        "siglip": [siglip_expectation(image, SIGLIP)],
    }
    if with_variant:
        entry["siglip"].append(siglip_expectation(image, CLIP_LIKE))
    return entry


def describe_error(name: str, kind: str) -> dict:
    try:
        with Image.open(OUT / name) as image:
            image.convert("RGB")
    except Exception as error:  # noqa: BLE001 - every failure is recorded, whatever its type
        return {"file": name, "kind": kind, "pillow_error": f"{type(error).__name__}: {error}".replace(f"{OUT}/", "")}
    raise AssertionError(f"Pillow decoded {name}, which should fail")


def raw_conversions() -> list[dict]:
    """Pillow's convert("RGB") of small raw buffers in each mode a library caller may hand over."""
    conversions = []
    for mode, channels in [("RGBA", 4), ("L", 1), ("LA", 2), ("CMYK", 4)]:
        width, height = 16, 16
        data = bytes((i * 37 + (i // 7) * 11) % 256 for i in range(width * height * channels))
        rgb = Image.frombytes(mode, (width, height), data).convert("RGB").tobytes()
        conversions.append({"mode": mode, "width": width, "height": height, "input": data.hex(), "rgb": rgb.hex()})
    return conversions


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    write_photos()
    write_jpeg_edge_cases()
    write_png_edge_cases()
    write_webp_gif_edge_cases()
    errors = write_error_cases()
    error_names = {name for name, _ in errors}
    images = sorted(p.name for p in OUT.iterdir() if p.name not in error_names)
    variants = {"astronaut.jpg", "chelsea_cmyk_adobe.jpg", "wide_4000x20.jpg"}
    SiglipImageProcessorPil(**SIGLIP).save_pretrained(OUT)  # writes preprocessor_config.json
    expected = {
        "generator": "tools/reference/make_image_fixtures.py",
        "pillow": PIL.__version__,
        "transformers": transformers.__version__,
        "images": [describe_image(name, name in variants) for name in images],
        "errors": [describe_error(name, kind) for name, kind in errors],
        "raw_conversions": raw_conversions(),
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(images)} images, {len(errors)} broken files, {total / 1e6:.2f} MB to {OUT}")


if __name__ == "__main__":
    main()
