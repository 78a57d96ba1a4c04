"""The pure face engine on real photos of ``../shared/data/faces``: decoding of awkward and
hostile images, detection, alignment geometry, descriptors and the enrolment quality checks."""

import io
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from huiwu.checkin import faces
from huiwu.checkin.faces import Face, FaceError, enrolment_descriptor, load_image, probe_descriptor
from tests.shared_data import FACES

DATA = Path(__file__).parent / "data"
OBAMA = FACES / "barack_obama" / "obama.jpg"
# The checksum the install step pins for the npm package's model (check-in issue).
MODEL_SHA256 = "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"


@pytest.fixture(scope="module")
def arcface():
    return faces.get_engine("arcface")


@pytest.fixture(scope="module")
def dlib_engine():
    return faces.get_engine("dlib")


@pytest.fixture(scope="module")
def obama() -> Image.Image:
    return Image.open(OBAMA).convert("RGB")


@pytest.fixture(scope="module")
def obama_vector(arcface) -> np.ndarray:
    return enrolment_descriptor(arcface, OBAMA.read_bytes())


def encoded(image: Image.Image, format: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def cosine(a, b) -> float:
    return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` RGB pixels but carries almost no data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# --- Decoding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello, not a photo", b"%PDF-1.7\n" + b"x" * 500, "text"])
def test_load_image_refuses_what_is_not_an_image(data):
    with pytest.raises(FaceError) as error:
        load_image(data)
    assert error.value.code == "not_an_image"


@pytest.mark.parametrize("share", [0.3, 0.6, 0.95])
def test_load_image_refuses_a_truncated_jpeg(share):
    data = OBAMA.read_bytes()
    with pytest.raises(FaceError) as error:
        load_image(data[: int(len(data) * share)])
    assert error.value.code == "truncated"


@pytest.mark.parametrize("side", [12_000, 40_000])
def test_load_image_refuses_a_decompression_bomb(side):
    # 144 MP is over our own limit, 1.6 GP also over Pillow's: both are "bomb", never decoded.
    with pytest.raises(FaceError) as error:
        load_image(png_header_only(side, side))
    assert error.value.code == "bomb"


def test_load_image_refuses_a_file_over_the_size_limit():
    with pytest.raises(FaceError) as error:
        load_image(b"\xff\xd8" + bytes(faces.MAX_BYTES))
    assert error.value.code == "too_large"


def test_a_50_megapixel_photo_is_downscaled_and_still_enrols(arcface, obama, obama_vector):
    scale = (50_000_000 / (obama.width * obama.height)) ** 0.5
    huge = obama.resize((round(obama.width * scale), round(obama.height * scale)))
    data = encoded(huge, quality=80)
    del huge
    image = load_image(data)
    assert image.shape[0] * image.shape[1] <= faces.WORKING_PIXELS
    assert image.shape[0] / image.shape[1] == pytest.approx(obama.height / obama.width, rel=0.01)
    assert cosine(enrolment_descriptor(arcface, data), obama_vector) > 0.9


def test_a_photo_over_the_working_size_is_downscaled(obama):
    big = obama.resize((obama.width * 2, obama.height * 2))
    image = load_image(encoded(big, "PNG"))
    assert image.dtype == np.uint8
    assert image.shape[2] == 3
    assert faces.WORKING_PIXELS * 0.95 < image.shape[0] * image.shape[1] <= faces.WORKING_PIXELS


def sixteen_bit_grey(picture: Image.Image) -> bytes:
    values = np.asarray(picture.convert("L"), dtype=np.uint16) * 257
    return encoded(Image.fromarray(values), "PNG")


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda p: encoded(p.convert("L")), id="grey"),
        pytest.param(lambda p: encoded(p.convert("RGBA"), "PNG"), id="rgba"),
        pytest.param(lambda p: encoded(p.convert("P"), "PNG"), id="palette"),
        pytest.param(lambda p: encoded(p.convert("P"), "GIF"), id="gif"),
        pytest.param(lambda p: encoded(p.convert("CMYK")), id="cmyk"),
        pytest.param(sixteen_bit_grey, id="16-bit"),
        pytest.param(lambda p: encoded(p, "WEBP", quality=90), id="webp"),
        pytest.param(lambda p: encoded(p, "BMP"), id="bmp"),
    ],
)
def test_every_image_mode_decodes_to_rgb_and_enrols(arcface, obama, obama_vector, convert):
    data = convert(obama)
    image = load_image(data)
    assert image.shape == (obama.height, obama.width, 3)
    assert image.dtype == np.uint8
    assert cosine(enrolment_descriptor(arcface, data), obama_vector) > 0.9


def test_transparent_pixels_become_white():
    picture = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    assert load_image(encoded(picture, "PNG"))[0, 0].tolist() == [255, 255, 255]


@pytest.mark.parametrize(
    ("orientation", "stored"),
    [
        (6, Image.Transpose.ROTATE_90),  # shown after turning 90 degrees clockwise
        (8, Image.Transpose.ROTATE_270),
        (3, Image.Transpose.ROTATE_180),
    ],
)
def test_exif_orientation_is_applied(arcface, obama, obama_vector, orientation, stored):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(obama.transpose(stored), quality=95, exif=exif.tobytes())
    image = load_image(data)
    assert image.shape == (obama.height, obama.width, 3)
    assert cosine(enrolment_descriptor(arcface, data), obama_vector) > 0.95


# --- Alignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eye_distance", "angle"), [(35.2, 0.0), (60.0, 20.0), (140.0, -35.0), (400.0, 10.0)]
)
def test_alignment_puts_the_eye_centres_on_the_template(arcface, eye_distance, angle):
    """Two bright dots where the eyes are; after alignment they sit on the template points,
    whatever the size and tilt of the face (the large ones go through the pre-shrink)."""
    size = int(eye_distance * 3)
    centre = np.array([size / 2, size / 2])
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    left, right = centre - direction * eye_distance / 2, centre + direction * eye_distance / 2
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.zeros((size, size, 3), dtype=np.uint8)
    radius = eye_distance / 12
    for eye in (left, right):
        image[(xx - eye[0]) ** 2 + (yy - eye[1]) ** 2 <= radius**2] = 255
    # Landmarks: the two corners of each eye (their mean is the centre), the nose below.
    corner = direction * eye_distance / 8
    nose = centre + np.array([-direction[1], direction[0]]) * eye_distance * 0.6
    face = Face(
        box=(0, 0, size, size),
        landmarks=(
            tuple(right + corner),
            tuple(right - corner),
            tuple(left - corner),
            tuple(left + corner),
            tuple(nose),
        ),
    )
    crop = arcface.align(image, face).astype(np.float64).mean(axis=2)
    assert crop.shape == (faces.CROP_SIZE, faces.CROP_SIZE)
    yy, xx = np.mgrid[0 : faces.CROP_SIZE, 0 : faces.CROP_SIZE]
    for half, template in (
        (xx < 56, faces.LEFT_EYE_TEMPLATE),
        (xx >= 56, faces.RIGHT_EYE_TEMPLATE),
    ):
        weights = crop * half
        found = (
            float((weights * xx).sum() / weights.sum()),
            float((weights * yy).sum() / weights.sum()),
        )
        assert found == pytest.approx(template, abs=0.35)


def test_yaw_measures_how_far_the_nose_is_from_the_middle_of_the_eyes(arcface):
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    eyes = ((130, 80), (120, 80), (70, 80), (60, 80))  # eye centres at x=125 and x=65
    frontal = Face(box=(40, 40, 160, 160), landmarks=(*eyes, (95, 120)))
    turned = Face(box=(40, 40, 160, 160), landmarks=(*eyes, (125, 120)))
    assert arcface.quality(image, frontal).yaw == pytest.approx(0.0)
    assert arcface.quality(image, turned).yaw == pytest.approx(0.5)
    assert arcface.quality(image, frontal).eye_distance == pytest.approx(60.0)


# --- Descriptors --------------------------------------------------------------------------------


def test_arcface_descriptor_matches_the_stored_reference(obama_vector):
    """A wrong crop (eyes swapped, off by a few pixels, BGR input) changes the vector well
    beyond this tolerance."""
    vector = obama_vector
    assert vector.dtype == np.float32
    assert vector.shape == (512,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert cosine(vector, np.load(DATA / "arcface_obama.npy")) > 0.999


def test_dlib_descriptor_matches_the_stored_reference(dlib_engine):
    vector = enrolment_descriptor(dlib_engine, OBAMA.read_bytes())
    assert vector.shape == (128,)
    assert np.linalg.norm(vector - np.load(DATA / "dlib_obama.npy")) < 0.02


def test_a_shifted_crop_is_caught_by_the_reference(arcface):
    """The regression test is sensitive enough: moving the landmarks by 3 px fails it."""
    image = load_image(OBAMA.read_bytes())
    face = arcface.detect(image)[0]
    moved = Face(box=face.box, landmarks=tuple((x + 3, y) for x, y in face.landmarks))
    assert cosine(arcface.encode(image, moved), np.load(DATA / "arcface_obama.npy")) < 0.999


@pytest.mark.parametrize("engine_name", ["arcface", "dlib"])
def test_the_same_person_is_closer_than_another(engine_name):
    engine = faces.get_engine(engine_name)
    obama = enrolment_descriptor(engine, OBAMA.read_bytes())
    again = probe_descriptor(engine, (FACES / "barack_obama" / "obama2.jpg").read_bytes())
    biden = probe_descriptor(engine, (FACES / "joe_biden" / "biden.jpg").read_bytes())
    (same, other) = engine.distances(obama, np.stack([again, biden]))
    assert same < other
    assert other > engine.thresholds.verify  # never admitted as Obama


def test_engines_know_their_model(arcface, dlib_engine):
    assert (arcface.name, arcface.dimension, arcface.model_hash) == ("arcface", 512, MODEL_SHA256)
    assert (dlib_engine.name, dlib_engine.dimension) == ("dlib", 128)
    assert len(dlib_engine.model_hash) == 64
    assert dlib_engine.model_hash != arcface.model_hash


def test_get_engine_is_cached_and_defaults_to_arcface(arcface):
    assert faces.get_engine() is arcface
    assert faces.get_engine("arcface", faces.DEFAULT_MODEL_PATH) is arcface


def test_get_engine_falls_back_to_dlib_with_a_warning_when_the_model_is_missing(tmp_path):
    with pytest.warns(RuntimeWarning, match="falling back to dlib"):
        engine = faces.get_engine("arcface", tmp_path / "absent.onnx")
    assert engine.name == "dlib"


def test_get_engine_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="Unknown face engine"):
        faces.get_engine("eigenfaces")


def test_descriptors_are_the_same_when_computed_on_many_threads(arcface, dlib_engine):
    """Gate requests run on several threads: per-thread dlib objects, one shared ONNX session."""
    files = [OBAMA, FACES / "joe_biden" / "biden2.jpg"]
    # Frames of a gate camera's size keep the test short.
    images = [
        np.asarray(Image.fromarray(load_image(path.read_bytes())).reduce(2)) for path in files
    ]
    expected = {
        (engine.name, index): probe_descriptor(engine, image)
        for engine in (arcface, dlib_engine)
        for index, image in enumerate(images)
    }
    results, errors = {}, []

    def work(engine, index):
        try:
            results.setdefault((engine.name, index), []).append(
                probe_descriptor(engine, images[index])
            )
        except Exception as error:  # reported below with the others
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(engine, index))
        for _ in range(3)
        for engine in (arcface, dlib_engine)
        for index in range(len(images))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    for key, vectors in results.items():
        for vector in vectors:
            np.testing.assert_array_equal(vector, expected[key])
    assert len(results) == len(expected)


# --- Enrolment and probes ------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((FACES / "_no_face").iterdir()), ids=lambda p: p.name)
def test_a_photo_without_a_face_is_refused(arcface, path):
    for function in (enrolment_descriptor, probe_descriptor):
        with pytest.raises(FaceError) as error:
            function(arcface, path.read_bytes())
        assert error.value.code == "no_face"


@pytest.mark.parametrize("path", sorted((FACES / "_multi_face").iterdir()), ids=lambda p: p.name)
def test_a_photo_with_several_people_is_refused_for_enrolment(arcface, path):
    with pytest.raises(FaceError) as error:
        enrolment_descriptor(arcface, path.read_bytes())
    assert error.value.code == "several_faces"


def test_a_gate_frame_with_several_people_gives_the_largest_face(arcface):
    data = (FACES / "_multi_face" / "kit_with_rose.jpg").read_bytes()
    image = load_image(data)
    largest = arcface.detect(image)[0]
    np.testing.assert_array_equal(probe_descriptor(arcface, data), arcface.encode(image, largest))


def test_a_tiny_face_is_refused(arcface, obama):
    small = obama.resize((obama.width // 5, obama.height // 5), Image.Resampling.LANCZOS)
    with pytest.raises(FaceError) as error:
        enrolment_descriptor(arcface, encoded(small, quality=95))
    assert error.value.code == "face_too_small"


def test_a_blurred_photo_is_refused_and_the_sharp_one_accepted(arcface, obama):
    image = load_image(OBAMA.read_bytes())
    eyes = arcface.quality(image, arcface.detect(image)[0]).eye_distance
    blurred = obama.filter(ImageFilter.GaussianBlur(eyes / 16))
    with pytest.raises(FaceError) as error:
        enrolment_descriptor(arcface, encoded(blurred, quality=95))
    assert error.value.code == "too_blurred"
    assert enrolment_descriptor(arcface, encoded(obama, quality=95)).shape == (512,)


def test_a_turned_head_is_refused_as_not_frontal(arcface, obama, monkeypatch):
    """dlib's frontal detector itself misses heads turned beyond ~40 degrees, so the photo is
    simulated by squeezing the face's left half, and the limit lowered to what that gives."""
    image = load_image(OBAMA.read_bytes())
    nose = int(arcface.detect(image)[0].landmarks[4][0])
    squeezed = obama.crop((0, 0, nose, obama.height)).resize((nose // 4, obama.height))
    turned = Image.new("RGB", (squeezed.width + obama.width - nose, obama.height))
    turned.paste(squeezed, (0, 0))
    turned.paste(obama.crop((nose, 0, obama.width, obama.height)), (squeezed.width, 0))
    data = encoded(turned, quality=95)
    assert enrolment_descriptor(arcface, data).shape == (512,)
    monkeypatch.setattr(faces, "MAX_YAW", 0.2)
    with pytest.raises(FaceError) as error:
        enrolment_descriptor(arcface, data)
    assert error.value.code == "not_frontal"


def test_every_face_error_code_is_known():
    with pytest.raises(ValueError):
        FaceError("ugly", "not a code")
    assert FaceError("no_face", "x").code == "no_face"


@pytest.mark.parametrize("engine_name", ["arcface", "dlib"])
def test_an_array_in_any_memory_layout_gives_the_same_descriptor(engine_name):
    engine = faces.get_engine(engine_name)
    image = load_image((FACES / "eric_clapton" / "clapton-2.jpg").read_bytes())
    np.testing.assert_array_equal(
        probe_descriptor(engine, np.asfortranarray(image)), probe_descriptor(engine, image)
    )
