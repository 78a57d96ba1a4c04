"""What the volunteers app tells the apps built on it (the command centre's live map)."""

from django.dispatch import Signal

#: A volunteer's phone reported where it is: ``ping`` is the stored ``PositionPing`` (sent after
#: the write commits). Positions are written without ``save()``, so ``post_save`` never fires.
position_recorded = Signal()
