"""The guests' forms: the registration form and the delegation leader's rows of members.

Forms check what a guest typed and uploaded and collect every problem at once, each next to its
field; the rules themselves (ID-number shapes, dates around the summit, what a category requires)
live in ``services`` and ``validators`` and are only asked here.
"""

import copy
import uuid

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from PIL import Image

from huiwu.checkin.services import FaceRefused, portrait_descriptor, unusable_portrait
from huiwu.registration import services
from huiwu.registration.models import OptionalField, Registration
from huiwu.registration.validators import MAX_PHOTO_BYTES, MIN_PHOTO_SIDE, validate_portrait

SUBMIT = "submit"
CONSENT_CHOICES = [
    ("yes", _("I agree to face check-in")),
    ("no", _("I do not agree: I will show my QR code at the gates")),
]
CONSENT_VALUES = {"yes": True, "no": False}
# The fields each optional requirement of a category stands for.
REQUIRED_BY = {
    OptionalField.ORGANISATION: ["organisation_name"],
    OptionalField.POSITION: ["position"],
    OptionalField.ID_DOCUMENT: ["id_type", "id_number"],
    OptionalField.PHOTO: ["photo"],
    OptionalField.TRAVEL_DATES: ["arrival_date", "departure_date"],
    OptionalField.PHONE: ["phone"],
}
PHOTO_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def consent_value(answer: str | None) -> bool | None:
    return CONSENT_VALUES.get(answer or "")


def consent_answer(value: bool | None) -> str | None:
    return {True: "yes", False: "no"}.get(value)


def _country_choices() -> list[tuple[str, str]]:
    # Names in the page's language, sorted as readers of that language expect.
    return [("", _("Choose a country or region")), *countries]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RegistrationForm(forms.ModelForm):
    """A guest's own registration, new or being edited.

    ``submitting`` (the guest pressed "Submit") adds the checks of submission: what the
    category requires and the answer about face check-in. The photo is checked whole
    (``validate_portrait``) and renamed to a random name, so that a guest's file name never
    reaches the disk.
    """

    face_consent = forms.ChoiceField(
        label=_("Face check-in"),
        choices=CONSENT_CHOICES,
        widget=forms.RadioSelect,
        required=False,
    )
    forums = forms.MultipleChoiceField(
        label=_("Forums you would like to attend"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Registration
        fields = list(services.GUEST_FIELDS)
        field_classes = {"photo": forms.FileField}
        widgets = {
            "participation": forms.RadioSelect,
            "arrival_date": DateInput,
            "departure_date": DateInput,
            "photo": forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        labels = {
            "name": _("Name in your own script"),
            "name_latin": _("Name in Latin letters"),
            "email": _("E-mail"),
            "id_type": _("Identity document"),
            "id_number": _("Document number"),
            "arrival_date": _("Arrival date"),
            "departure_date": _("Departure date"),
            "photo": _("Portrait photo"),
        }
        help_texts = {
            "name": _("As in your passport or identity card, e.g. 李娜 or Jean Dupont."),
            "name_latin": _("As in the machine-readable line of your passport, e.g. LI Na."),
            "email": _("We write to this address about your registration."),
            "phone": _("With the country code, e.g. +86 571 8888 8888."),
            "id_number": _(
                "Passport: letters and digits as printed. Chinese identity card: 18 characters."
            ),
            "arrival_date": _("Only if you come on site."),
            "dietary": _("For example: vegetarian, halal, no nuts."),
            "accessibility": _("For example: wheelchair access, sign-language interpretation."),
            "language": _("The language of our e-mails to you."),
        }

    def __init__(self, *args, registration: Registration, forum_choices=(), **kwargs):
        kwargs.setdefault("instance", registration)
        super().__init__(*args, **kwargs)
        self.submitting = self.data.get("action") == SUBMIT
        self.fields["nationality"].choices = _country_choices()
        self.fields["id_type"].choices = [
            ("", _("Choose a document")),
            *self.fields["id_type"].choices[1:],
        ]
        self.fields["forums"].choices = [(str(key), label) for key, label in forum_choices]
        photo = self.fields["photo"]
        photo.required = False
        photo.help_text = _(
            "A recent colour photo of your face, as for a passport: JPEG, PNG or WebP, "
            "at least %(side)d pixels on each side, at most %(limit)d MB."
        ) % {"side": MIN_PHOTO_SIDE, "limit": MAX_PHOTO_BYTES // 1024 // 1024}
        for name in ("phone", "organisation_name", "position", "id_type", "id_number"):
            self.fields[name].required = False
        self.initial.setdefault("face_consent", consent_answer(registration.face_consent))
        # Asked of every category; the secretariat's own list adds to it.
        required = {"name", "name_latin", "nationality", "email"}
        for option in registration.category.required_fields:
            required.update(REQUIRED_BY.get(option, []))
        self.required_to_submit = required

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not isinstance(upload, UploadedFile):
            return None
        validate_portrait(upload)
        with Image.open(upload) as image:
            extension = PHOTO_EXTENSIONS[image.format]
        upload.seek(0)
        upload.name = f"{uuid.uuid4().hex}.{extension}"
        return upload

    def clean_face_consent(self) -> bool | None:
        return consent_value(self.cleaned_data.get("face_consent"))

    def guest_data(self) -> dict:
        """What the guest typed, for ``services.save_draft``; the stored photo stays unless a
        new one came."""
        data = {
            field: self.cleaned_data[field]
            for field in self.Meta.fields
            if field in self.cleaned_data
        }
        if not data.get("photo"):
            data.pop("photo", None)
        return data

    def clean(self):
        cleaned = super().clean()
        # The checks run on a copy: the registration itself changes only when it is saved.
        candidate = copy.copy(self.instance)
        for field, value in self.guest_data().items():
            setattr(candidate, field, value)
        if "face_consent" in cleaned:
            consent = cleaned["face_consent"]
            candidate.face_consent = consent if consent is not None else self.instance.face_consent
        self._check_face(candidate)
        try:
            services.check_registration(candidate, complete=self.submitting)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = field if field in self.fields else NON_FIELD_ERRORS
                if target != NON_FIELD_ERRORS and self.has_error(target):
                    continue  # the field's own message says it better
                for message in messages:
                    self.add_error(None if target == NON_FIELD_ERRORS else target, message)
        return cleaned

    def _check_face(self, candidate: Registration) -> None:
        """With face consent, the portrait (new, or the stored one when consent is newly
        given) must show exactly one usable face; the message says what to change."""
        if candidate.face_consent is not True or self.has_error("photo"):
            return
        upload = self.cleaned_data.get("photo")
        problem = None
        if upload:
            try:
                portrait_descriptor(upload.read())
            except FaceRefused as refused:
                problem = refused.message
            upload.seek(0)
        elif self.instance.face_consent is not True:
            problem = unusable_portrait(self.instance)
        if problem:
            self.add_error("photo", problem)

    def _post_clean(self):
        # ``services.check_registration`` in ``clean`` has checked the model's rules; the
        # instance itself is written only by ``services.save_draft``.
        pass


class MemberForm(forms.ModelForm):
    """One member of a delegation, as the leader types it in a row."""

    class Meta:
        model = Registration
        fields = ["name", "name_latin", "email", "position", "id_type", "id_number"]
        labels = {
            "name": _("Name in own script"),
            "name_latin": _("Name in Latin letters"),
            "email": _("E-mail"),
            "id_type": _("Identity document"),
            "id_number": _("Document number"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_type"].choices = [
            ("", _("Choose a document")),
            *self.fields["id_type"].choices[1:],
        ]
        for name in ("position", "id_type", "id_number"):
            self.fields[name].required = False

    def _post_clean(self):
        # The rules are checked by ``services.save_draft`` when the rows are saved.
        pass


MemberFormSet = forms.formset_factory(MemberForm, extra=5, max_num=30, validate_max=True)
