"""The check-in side of changes to a registration, wherever they are made (guest pages, the
secretariat's queue, the admin, the API): a descriptor exists only while the guest consents,
has a portrait and is registered; a new portrait or a submission enrols the face."""

from functools import partial

from django.db import transaction

from huiwu.checkin import services


def follow_registration(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if not services.may_hold_descriptor(instance):
        # At once, in the transaction that withdrew the consent, the photo or the registration.
        reason = "consent_withdrawn" if instance.face_consent is not True else "no_longer_needed"
        services.delete_descriptor(instance, reason=reason)
    elif services.needs_enrolment(instance):
        # Computing a face takes a moment: after the commit, outside the write lock.
        transaction.on_commit(partial(services.enrol_after_commit, instance.pk))
