"""What the command centre listens to in the other apps (check-ins, duties, positions).

Each change is published to its summit's command group after its transaction commits, with
absolute values (a zone's count, not "one more") read then, outside the writer's transaction.
Positions arrive from every phone on duty every few seconds (1,260 phones every 30 s at the
2024 summit): their receiver reads nothing but, once per duty, who the phone belongs to.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from huiwu.checkin.models import ScanEvent
from huiwu.command import live, state
from huiwu.volunteers.models import DutyRecord
from huiwu.volunteers.signals import position_recorded


@receiver(post_save, sender=ScanEvent, dispatch_uid="command.checkin")
def scan_recorded(sender, instance: ScanEvent, created: bool, **kwargs) -> None:
    if created and not live.is_muted():
        # Counted once the scan commits: the gate's write transaction stays as short as it
        # was, and the counts are the committed ones.
        transaction.on_commit(lambda: _send_checkin(instance), robust=True)


def _send_checkin(scan: ScanEvent) -> None:
    data = state.checkin_event(scan)
    if data is not None:
        live.send_soon(live.command_group(scan.zone.summit_id), "checkin", scan.zone_id, data)


@receiver(post_save, sender=DutyRecord, dispatch_uid="command.duty")
def duty_changed(sender, instance: DutyRecord, **kwargs) -> None:
    state.forget_duty(instance.pk)
    if not live.is_muted():
        transaction.on_commit(lambda: _send_duty(instance), robust=True)


def _send_duty(duty: DutyRecord) -> None:
    event = state.duty_event(duty)
    if event is not None:
        summit_id, data = event
        live.send_now(live.command_group(summit_id), "duty", data)


@receiver(position_recorded, dispatch_uid="command.position")
def position_changed(sender, ping, **kwargs) -> None:
    event = state.position_event(ping)
    if event is not None:
        summit_id, data = event
        live.send_soon(live.command_group(summit_id), "position", data["volunteer"], data)
