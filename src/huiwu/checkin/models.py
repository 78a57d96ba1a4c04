"""Gate check-in: face descriptors, gate devices, scans and who is inside each zone.

A descriptor is biometric data: it is kept only with the guest's consent, one per registration,
together with the engine and model that computed it, since descriptors of different models are
never compared. Gate frames are never stored; a scan keeps its decision, not its picture.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huiwu.registration.models import Registration
from huiwu.summit.models import Summit, Zone, ZoneKind

# Zones where a face alone never opens the gate: the guest also shows the badge (verify mode).
HIGH_SECURITY_ZONES = {ZoneKind.VIP_LOUNGE}


class FaceDescriptor(models.Model):
    """The face descriptor of a guest who consented to face check-in, computed from the
    registration's portrait; the portrait itself is not copied."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="face_descriptor"
    )
    engine = models.CharField(_("face engine"), max_length=20)
    model_hash = models.CharField(_("model SHA-256"), max_length=64)
    vector = models.BinaryField()
    # The portrait's file name when it was computed: a new portrait needs a new descriptor.
    source = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("face descriptor")
        verbose_name_plural = _("face descriptors")

    def __str__(self) -> str:
        return f"{self.registration} ({self.engine})"


class GalleryVersion(models.Model):
    """Changed whenever a descriptor of the summit is added or deleted, so that every worker
    notices and reloads its in-memory gallery. A random stamp, not a counter: a counter can
    come back to a value a worker has cached (a rolled-back transaction, a rebuilt database),
    and a stale gallery could admit the wrong guest."""

    summit = models.OneToOneField(Summit, on_delete=models.CASCADE, related_name="+")
    stamp = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.summit}: {self.stamp}"


class Direction(models.TextChoices):
    IN = "in", _("Entry")
    OUT = "out", _("Exit")


class Mode(models.TextChoices):
    VERIFY = "verify", _("Badge or ID number and face (1:1)")
    IDENTIFY = "identify", _("Face only (1:N)")


class GateDevice(models.Model):
    """A camera tablet at a gate. It authenticates with a bearer token of which only the
    SHA-256 is stored; revoking the device stops the token at once."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="gate_devices"
    )
    name = models.CharField(_("name"), max_length=100)
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="gate_devices"
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.IN
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.VERIFY)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("gate device")
        verbose_name_plural = _("gate devices")
        ordering = ["summit", "name"]
        constraints = [
            models.UniqueConstraint(fields=["summit", "name"], name="unique_gate_device_name")
        ]

    def __str__(self) -> str:
        return self.name


class Method(models.TextChoices):
    FACE = "face", _("Face")
    QR = "qr", _("QR badge")
    MANUAL = "manual", _("Manual lane")
    OFFLINE = "offline", _("Offline QR")


class Decision(models.TextChoices):
    ADMIT = "admit", _("Admitted")
    DENY = "deny", _("Refused")
    NO_MATCH = "no_match", _("Not recognised")


class ScanEvent(models.Model):
    """One scan at a gate, recorded once however often the device retries: the device's
    idempotency key is unique per device, and the fingerprint of what was sent tells a retry
    from a different scan that reuses a key."""

    device = models.ForeignKey(
        GateDevice, on_delete=models.CASCADE, null=True, blank=True, related_name="scans"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("guest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scans",
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="scans"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    # The face distance of a face decision (lower is closer); never the descriptor.
    distance = models.FloatField(null=True, blank=True)
    # Whether the scan moved the guest in or out of the zone (occupancy counts these).
    moved = models.BooleanField(default=False)
    # An offline admit that the server's rules would have refused, for the security office.
    review = models.CharField(_("to review"), max_length=30, blank=True)
    captured_at = models.DateTimeField(_("captured at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["-captured_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "idempotency_key"], name="one_scan_per_device_key"
            )
        ]
        indexes = [
            models.Index(fields=["zone", "captured_at"]),
            models.Index(fields=["decision", "captured_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.zone} · {self.captured_at:%H:%M:%S}"


class Presence(models.Model):
    """Whether a guest is inside a zone now. One row per (zone, guest), locked while a scan
    changes it, so that twenty gates scanning the same guest at once let them in once."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="presences")
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="presences"
    )
    inside = models.BooleanField(default=False)
    # The capture time of the last scan that admitted the guest at this zone's gates; offline
    # scans older than it no longer change where the guest is.
    last_scan_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zone", "registration"], name="one_presence_per_zone")
        ]
        indexes = [models.Index(fields=["zone"], condition=Q(inside=True), name="inside_zone")]

    def __str__(self) -> str:
        return f"{self.registration} in {self.zone}: {self.inside}"
