"""The face galleries of this process: one in-memory index per summit, for the face engine
in use, rebuilt when the summit's ``GalleryVersion`` stamp changes.

Every enrolment and deletion sets a new stamp in the database, in the same transaction, so
every worker process (each with its own memory) notices the change on its next scan.
"""

import threading

import numpy as np

from huiwu.checkin.faces import Engine
from huiwu.checkin.gallery import DISTANCES, Gallery
from huiwu.checkin.models import FaceDescriptor, GalleryVersion

_lock = threading.Lock()
# summit id -> (stamp, model hash, gallery)
_galleries: dict[int, tuple[int, str, Gallery]] = {}


def as_vector(blob: bytes | memoryview) -> np.ndarray:
    """A stored descriptor as the float32 vector the engine made."""
    return np.frombuffer(bytes(blob), dtype=np.float32)


def summit_gallery(summit_id: int, engine: Engine) -> Gallery:
    """The gallery of the summit's descriptors made by ``engine``'s model, current as of the
    stamp read at the start of the call."""
    stamp = (
        GalleryVersion.objects.filter(summit_id=summit_id).values_list("stamp", flat=True).first()
        or ""
    )
    with _lock:
        cached = _galleries.get(summit_id)
        if cached is not None and cached[:2] == (stamp, engine.model_hash):
            return cached[2]
        # Read after the stamp: a change committed meanwhile is loaded now, and loaded again
        # on the next call, never missed.
        gallery = Gallery(engine.dimension, DISTANCES[engine.name])
        rows = FaceDescriptor.objects.filter(
            registration__summit_id=summit_id, model_hash=engine.model_hash
        ).values_list("registration_id", "vector")
        for key, blob in rows.iterator(chunk_size=2000):
            gallery.add(key, as_vector(blob))
        _galleries[summit_id] = (stamp, engine.model_hash, gallery)
        return gallery
