"""The face engine: decode a photo, find faces, align them and turn each into a descriptor.

Pure (no Django): bytes and numpy arrays in, numpy arrays and dataclasses out, so that it is
tested and benchmarked alone. Two engines share dlib's HOG detector and 5-point landmarks:

- ``arcface`` (default): an ArcFace-class 512-d ONNX model run by onnxruntime on a 112x112 crop
  aligned on the eye centres; distance = 1 - cosine.
- ``dlib``: dlib's own 128-d ResNet descriptor; Euclidean distance. Used automatically, with a
  warning, where the ONNX model file is absent.

Errors a guest or a gate can cause are ``FaceError`` with a stable ``code``; the Django layer
turns the code into a translated sentence.
"""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# The repository's copy of the model (the install step fetches it); the Django layer passes
# settings.FACE_MODEL_PATH instead.
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[3] / "models" / "fr_feature.onnx"

# --- Image decoding limits -------------------------------------------------------------------
# A registration photo from a phone is 2-12 MP and 1-8 MB; 40 MB is beyond any honest photo.
MAX_BYTES = 40 * 1024 * 1024
# Declared pixel count above which we refuse to decode at all (a decompression bomb: a small
# file that expands to gigabytes). 100 MP is above every phone and most cameras, so a genuine
# 50 MP photo is still accepted (and downscaled); the figure is also above Pillow's own warning
# level (89 MP), whose warning we replace by this check.
BOMB_PIXELS = 100_000_000
# Images are downscaled to at most this many pixels before anything else: a face that fills a
# tenth of a 2 MP photo still has ~140 px between the eyes, four times what the 112x112 crop
# needs, and detection time grows with the pixel count.
WORKING_PIXELS = 2_000_000
# The HOG detector (upsampled once) runs on a copy of at most this size: a 640x480 gate frame is
# used as it is (~0.25 s on one core); larger photos are shrunk for detection only, and the
# landmarks are then fitted on the working image. Faces smaller than ~40 px in this copy are
# not found, which for a 2 MP photo means faces under ~80 px: far below MIN_EYE_DISTANCE anyway.
DETECT_PIXELS = 800 * 600
DETECT_UPSAMPLE = 1

# --- ArcFace alignment (the template of the model's training crops) --------------------------
CROP_SIZE = 112
LEFT_EYE_TEMPLATE = (38.2946, 51.6963)
RIGHT_EYE_TEMPLATE = (73.5318, 51.5014)

# --- Enrolment quality (calibrated with bench/calibrate_faces.py on both shared face sets) ----
# Distance between the eye centres in working-image pixels. The template puts the eyes 35 px
# apart, so below ~24 px the crop is upscaled by half and more; the first photos of the known
# identities of both sets (those enrolled) all have >= 29 px.
MIN_EYE_DISTANCE = 24.0
# Variance of the Laplacian of the grey aligned crop. Every real photo of both sets scores
# >= 121 (median ~700); the same photos blurred with a Gaussian of sigma = eye distance / 16
# (the face still recognisable to a person, the skin texture gone) score <= 11. 40 sits between
# the two on a log scale.
MIN_SHARPNESS = 40.0
# Head turn: how far the nose lies from the eyes' perpendicular bisector, as a share of the
# eye distance. Every photo of both sets stays <= 0.33 (the most turned: eastasia
# michelle_chen_yan_xi/acf_114_2, a three-quarter view); a face turned further hides an eye.
MAX_YAW = 0.40
# A second face counts as "another person in the photo" when its box is at least this share of
# the largest one's width; smaller faces are bystanders far behind the guest.
COMPETING_FACE_SHARE = 0.5


class FaceError(Exception):
    """A photo or frame that cannot give a usable face descriptor.

    ``code`` is one of CODES; ``str(err)`` is an English sentence for developers.
    """

    CODES = (
        "not_an_image",
        "truncated",
        "too_large",
        "bomb",
        "no_face",
        "several_faces",
        "face_too_small",
        "too_blurred",
        "not_frontal",
    )

    def __init__(self, code: str, message: str):
        if code not in self.CODES:
            raise ValueError(f"Unknown face error code {code!r}.")
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Thresholds:
    """Distances (lower = closer) under which a probe is accepted."""

    verify: float  # 1:1, probe against the guest named by the QR badge or ID number
    identify: float  # 1:N, best candidate must be under this ...
    margin: float  # ... and the second-best at least this much further away


@dataclass(frozen=True)
class Face:
    """A detected face: box (left, top, right, bottom) and the 5 dlib landmarks, in pixels of the
    image it was found in."""

    box: tuple[int, int, int, int]
    landmarks: tuple[tuple[float, float], ...]

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    def eyes(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the eye in the image's left and right half (landmark pairs (0,1), (2,3))."""
        points = np.asarray(self.landmarks, dtype=np.float64)
        first, second = points[0:2].mean(axis=0), points[2:4].mean(axis=0)
        return (first, second) if first[0] <= second[0] else (second, first)


@dataclass(frozen=True)
class Quality:
    eye_distance: float  # pixels of the image the face was found in
    sharpness: float  # variance of the Laplacian of the aligned grey crop
    yaw: float  # nose offset from the eyes' bisector / eye distance


def load_image(data: bytes) -> np.ndarray:
    """Decode a photo into an RGB uint8 array (H, W, 3), upright (EXIF orientation applied),
    at most WORKING_PIXELS large. Raises FaceError(not_an_image | truncated | too_large | bomb).
    """
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) == 0:
        raise FaceError("not_an_image", "No image data.")
    if len(data) > MAX_BYTES:
        raise FaceError("too_large", f"The file has {len(data)} bytes, over {MAX_BYTES}.")
    try:
        with warnings.catch_warnings():
            # Our own BOMB_PIXELS check below replaces Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            pixels = image.width * image.height
            if pixels > BOMB_PIXELS:
                raise FaceError("bomb", f"The image declares {pixels} pixels, over {BOMB_PIXELS}.")
            if image.format == "JPEG" and pixels > WORKING_PIXELS:
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 50 MP photo then never
                # occupies 150 MB of memory.
                scale = (WORKING_PIXELS / pixels) ** 0.5
                image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
            image.load()
            image = ImageOps.exif_transpose(image)
            rgb = _to_rgb(image)
    except Image.DecompressionBombError as error:
        raise FaceError("bomb", str(error)) from None
    except UnidentifiedImageError:
        raise FaceError("not_an_image", "The data is not an image format we can read.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow reports a cut-off file as OSError("image file is truncated ...") or as a
        # broken data stream; other decoder failures mean the file is damaged the same way.
        raise FaceError(
            "truncated", f"The image could not be decoded completely: {error}"
        ) from None
    if rgb.width * rgb.height > WORKING_PIXELS:
        scale = (WORKING_PIXELS / (rgb.width * rgb.height)) ** 0.5
        size = (max(1, int(rgb.width * scale)), max(1, int(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(rgb, dtype=np.uint8)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode (grey, 16-bit grey, palette, RGBA, CMYK, ...) as 8-bit RGB; transparent
    parts become white, as the photo would appear on a web page."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16/32-bit grey: scale the used range to 0..255 instead of clipping at 255.
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
        image = Image.fromarray(scaled.round().astype(np.uint8), "L")
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def _image_from_bytes_or_array(data: bytes | np.ndarray) -> np.ndarray:
    return data if isinstance(data, np.ndarray) else load_image(data)


class _DlibParts(threading.local):
    """dlib objects per thread: its detector, predictor and network keep scratch buffers, so one
    instance must not be used by two threads at once."""

    def __init__(self):
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()
        )
        self.network = None  # dlib's ResNet, loaded on first use by the dlib engine only


_dlib = _DlibParts()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inverse_similarity(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with source = A @ crop + b, for the similarity that puts the eye centres ``left``
    and ``right`` (pixel indices) on the template points of the crop."""
    target_left, target_right = np.array(LEFT_EYE_TEMPLATE), np.array(RIGHT_EYE_TEMPLATE)
    source_vector, target_vector = right - left, target_right - target_left
    scale = np.linalg.norm(target_vector) / max(np.linalg.norm(source_vector), 1e-6)
    angle = np.arctan2(target_vector[1], target_vector[0]) - np.arctan2(
        source_vector[1], source_vector[0]
    )
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    inverse = np.array([[cos, sin], [-sin, cos]])
    return inverse, left - inverse @ target_left


class Engine(ABC):
    """Detection, landmarks, alignment and quality, common to both descriptors."""

    name: str
    model_hash: str
    dimension: int
    thresholds: Thresholds

    def detect(self, image: np.ndarray) -> list[Face]:
        """Every face dlib's HOG detector finds (upsampled once), largest first."""
        image = np.ascontiguousarray(image, dtype=np.uint8)  # dlib reads the buffer directly
        height, width = image.shape[:2]
        scale = min(1.0, (DETECT_PIXELS / (width * height)) ** 0.5)
        small = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
        rects = _dlib.detector(small, DETECT_UPSAMPLE)
        faces = []
        for rect in rects:
            box = dlib.rectangle(
                round(rect.left() / scale),
                round(rect.top() / scale),
                round(rect.right() / scale),
                round(rect.bottom() / scale),
            )
            shape = _dlib.predictor(image, box)
            faces.append(
                Face(
                    box=(box.left(), box.top(), box.right(), box.bottom()),
                    landmarks=tuple((float(p.x), float(p.y)) for p in shape.parts()),
                )
            )
        return sorted(faces, key=lambda face: face.width, reverse=True)

    def align(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 112x112 RGB crop with the eye centres on the ArcFace template points."""
        left, right = face.eyes()
        inverse, offset = _inverse_similarity(left, right)
        scale = 1.0 / np.linalg.norm(inverse[0])
        # Only the part of the photo the crop comes from is worked on.
        corners = np.array([[0, 0], [CROP_SIZE, 0], [0, CROP_SIZE], [CROP_SIZE, CROP_SIZE]]) - 0.5
        preimage = corners @ inverse.T + offset
        x0, y0 = np.floor(preimage.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(preimage.max(axis=0)).astype(int) + 2
        picture = Image.fromarray(image).crop((x0, y0, x1, y1))  # outside: black, as warpAffine
        left, right = left - (x0, y0), right - (x0, y0)
        if scale < 0.5:
            # Shrink with a proper filter first: the affine warp samples bilinearly and would
            # alias when it shrinks a large face by more than half.
            size = (
                max(1, round(picture.width * scale * 2)),
                max(1, round(picture.height * scale * 2)),
            )
            ratio = np.array([size[0] / picture.width, size[1] / picture.height])
            picture = picture.resize(size, Image.Resampling.BOX)
            left, right = (left + 0.5) * ratio - 0.5, (right + 0.5) * ratio - 0.5
        inverse, offset = _inverse_similarity(left, right)
        # Pillow maps continuous coordinates (pixel i spans [i, i + 1]); landmarks and template
        # are pixel indices (centre of pixel i at i): shift by half a pixel on both sides.
        shift = offset - inverse @ np.array([0.5, 0.5]) + 0.5
        coefficients = (*inverse[0], shift[0], *inverse[1], shift[1])
        crop = picture.transform(
            (CROP_SIZE, CROP_SIZE),
            Image.Transform.AFFINE,
            coefficients,
            resample=Image.Resampling.BILINEAR,
        )
        return np.asarray(crop, dtype=np.uint8)

    def quality(self, image: np.ndarray, face: Face) -> Quality:
        left, right = face.eyes()
        eye_distance = float(np.linalg.norm(right - left))
        grey = self.align(image, face).astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        laplacian = (
            grey[:-2, 1:-1]
            + grey[2:, 1:-1]
            + grey[1:-1, :-2]
            + grey[1:-1, 2:]
            - 4 * grey[1:-1, 1:-1]
        )
        axis = (right - left) / max(eye_distance, 1e-6)
        nose = np.asarray(face.landmarks[4]) - (left + right) / 2
        yaw = abs(float(nose @ axis)) / max(eye_distance, 1e-6)
        return Quality(eye_distance=eye_distance, sharpness=float(laplacian.var()), yaw=yaw)

    @abstractmethod
    def encode(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The descriptor of ``face`` (a float32 vector of ``dimension`` numbers)."""

    @abstractmethod
    def distances(self, probe: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The distance of ``probe`` to every row of ``matrix`` (lower = closer)."""


class ArcFaceEngine(Engine):
    name = "arcface"
    dimension = 512
    # 1 - cosine, from `huiwu bench calibrate_faces` on faces + faces-eastasia (36 + 87 genuine
    # probes, 3,212 impostor pairs, 190 strangers incl. leave-one-identity-out): closest impostor
    # 0.523 (faces-eastasia; 0.741 on faces), impostor sigma 0.12, strangers' margin p95 0.12.
    # At these values no stranger is admitted on either set; identify admits 77.8% / 64.4% of
    # genuine probes (faces / faces-eastasia), verify refuses 5.6% / 27.6%.
    thresholds = Thresholds(verify=0.46, identify=0.40, margin=0.12)

    def __init__(self, model_path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One thread per inference: a gate server answers many scans at once, each on its own
        # request thread, so parallelism comes from requests, not from inside one inference.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.model_hash = _sha256(model_path)
        # InferenceSession.run is thread-safe, so one session serves every thread.
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def encode(self, image: np.ndarray, face: Face) -> np.ndarray:
        crop = self.align(image, face).astype(np.float32)
        tensor = ((crop - 127.0) / 128.0).transpose(2, 0, 1)[np.newaxis]
        (output,) = self._session.run(["output"], {"input": np.ascontiguousarray(tensor)})
        vector = output[0].astype(np.float32)
        return vector / np.linalg.norm(vector)

    def distances(self, probe: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        return 1.0 - np.asarray(matrix, dtype=np.float32) @ np.asarray(probe, dtype=np.float32)


class DlibEngine(Engine):
    name = "dlib"
    dimension = 128
    # Euclidean, from `huiwu bench calibrate_faces` on the same sets: closest impostor 0.410
    # (faces-eastasia; 0.673 on faces), impostor sigma 0.10, strangers' margin p95 0.074. No
    # stranger is admitted, but identify admits only 19.4% / 12.6% of genuine probes and verify
    # refuses 75.0% / 65.5%: dlib's descriptor packs faces (East-Asian ones above all) too close
    # together for a safe threshold to admit many; it is the fallback, not the default.
    thresholds = Thresholds(verify=0.35, identify=0.30, margin=0.08)

    def __init__(self):
        self.model_hash = _sha256(Path(face_recognition_models.face_recognition_model_location()))

    def encode(self, image: np.ndarray, face: Face) -> np.ndarray:
        if _dlib.network is None:
            _dlib.network = dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()
            )
        shape = dlib.full_object_detection(
            dlib.rectangle(*face.box), [dlib.point(round(x), round(y)) for x, y in face.landmarks]
        )
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        return np.asarray(_dlib.network.compute_face_descriptor(pixels, shape), dtype=np.float32)

    def distances(self, probe: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        difference = np.asarray(matrix, dtype=np.float32) - np.asarray(probe, dtype=np.float32)
        return np.linalg.norm(difference, axis=1)


ENGINES = ("arcface", "dlib")


def get_engine(name: str | None = None, model_path: Path | None = None) -> Engine:
    """The engine called ``name`` (default arcface), built once per (name, model path).

    Without the ArcFace model file the dlib engine is returned, with a warning: descriptors carry
    the engine's model hash, so the two are never compared with each other.
    """
    name = name or "arcface"
    if name not in ENGINES:
        raise ValueError(f"Unknown face engine {name!r}; choose one of {', '.join(ENGINES)}.")
    if name == "arcface":
        path = Path(model_path or DEFAULT_MODEL_PATH).resolve()
        if not path.is_file():
            warnings.warn(
                f"The face model {path} is missing; falling back to dlib's descriptor. "
                "Run the install step of the README to fetch it.",
                RuntimeWarning,
                stacklevel=2,
            )
            return _build("dlib", None)
        return _build("arcface", path)
    return _build("dlib", None)


@cache
def _build(name: str, path: Path | None) -> Engine:
    return ArcFaceEngine(path) if name == "arcface" else DlibEngine()


def enrolment_descriptor(engine: Engine, data: bytes | np.ndarray) -> np.ndarray:
    """The descriptor of the one usable face of a registration photo.

    Raises FaceError: no_face, several_faces, face_too_small, too_blurred, not_frontal, or an
    image error of load_image.
    """
    image = _image_from_bytes_or_array(data)
    faces = engine.detect(image)
    if not faces:
        raise FaceError("no_face", "No face was found in the photo.")
    competing = [f for f in faces[1:] if f.width >= COMPETING_FACE_SHARE * faces[0].width]
    if competing:
        raise FaceError("several_faces", f"{len(competing) + 1} faces are in the photo.")
    face = faces[0]
    quality = engine.quality(image, face)
    if quality.eye_distance < MIN_EYE_DISTANCE:
        raise FaceError(
            "face_too_small",
            f"The eyes are {quality.eye_distance:.0f} px apart, under {MIN_EYE_DISTANCE:.0f}.",
        )
    if quality.yaw > MAX_YAW:
        raise FaceError("not_frontal", f"The head is turned (yaw {quality.yaw:.2f} > {MAX_YAW}).")
    if quality.sharpness < MIN_SHARPNESS:
        raise FaceError(
            "too_blurred",
            f"The face is blurred (sharpness {quality.sharpness:.0f} < {MIN_SHARPNESS}).",
        )
    return engine.encode(image, face)


def probe_descriptor(engine: Engine, data: bytes | np.ndarray) -> np.ndarray:
    """The descriptor of the largest face of a gate frame: the person at the front of the lane.

    Raises FaceError(no_face) or an image error of load_image.
    """
    image = _image_from_bytes_or_array(data)
    faces = engine.detect(image)
    if not faces:
        raise FaceError("no_face", "No face was found in the frame.")
    return engine.encode(image, faces[0])
