"""Where the team's shared real data lives (labelled faces, conference schedules)."""

import os
from pathlib import Path

SHARED_DATA = Path(os.environ.get("HUIWU_SHARED_DATA", "/work/shared/data"))
FACES = SHARED_DATA / "faces"
FACES_EASTASIA = SHARED_DATA / "faces-eastasia"
SCHEDULES = SHARED_DATA / "schedules"
