"""Fake cameras for the kiosk tests: Chromium plays a Y4M file as its webcam
(``--use-file-for-fake-video-capture``), so a real face photo becomes a live camera."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

WIDTH, HEIGHT = 640, 480
# Small shifts from frame to frame, as a person standing at a gate sways: the kiosk sends
# frames while the picture moves.
SWAY = [(0, 0), (3, 1), (6, 2), (3, 3), (0, 2), (-3, 1), (-6, 0), (-3, -1)]


def _i420(image: Image.Image) -> bytes:
    """One frame as planar YUV 4:2:0 (BT.601, full range as Chromium's reader expects)."""
    rgb = np.asarray(image, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (b - y) * 0.564 + 128
    v = (r - y) * 0.713 + 128

    def half(plane):
        return plane.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3))

    planes = [y, half(u), half(v)]
    return b"".join(np.clip(p, 0, 255).round().astype(np.uint8).tobytes() for p in planes)


def fake_camera(photo: Path, target: Path) -> Path:
    """Write ``target`` (.y4m): ``photo`` filling a 640x480 picture, swaying a little."""
    with Image.open(photo) as source:
        picture = ImageOps.exif_transpose(source).convert("RGB")
    # Fit the whole photo into the frame on a grey background: cropping could cut the face.
    margin = max(abs(dx) for dx, _dy in SWAY) * 2
    picture = ImageOps.contain(picture, (WIDTH - margin, HEIGHT - margin))
    frames = []
    for dx, dy in SWAY:
        frame = Image.new("RGB", (WIDTH, HEIGHT), (118, 118, 118))
        left = (WIDTH - picture.width) // 2 + dx
        top = (HEIGHT - picture.height) // 2 + dy
        frame.paste(picture, (left, top))
        frames.append(b"FRAME\n" + _i420(frame))
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode()
    target.write_bytes(header + b"".join(frames))
    return target
