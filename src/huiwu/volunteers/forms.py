"""The volunteers' forms: the application (phone first), and the office's scoring, interviews,
selection runs, manual assignments, training attendance and trajectory ranges.

Forms turn what a person typed into the plain data the services take (``languages`` as
``[{"code", "level"}]``, ``availability`` as ``[{"date", "from", "to"}]``); the rules themselves
(impossible availability, unknown language codes, quotas that cannot be met) are checked by
``services`` and their messages put next to the field at fault by the view.
"""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huiwu.registration.forms import RegistrationForm
from huiwu.registration.validators import MAX_PHOTO_BYTES, MIN_PHOTO_SIDE
from huiwu.volunteers.languages import LEVELS, language_choices
from huiwu.volunteers.models import Application, InterviewRound, Skill, University

LANGUAGE_ROWS = 4
QUOTA_ROWS = 6
DEFAULT_FROM, DEFAULT_TO = dt.time(8, 0), dt.time(18, 0)
LEVEL_CHOICES = [("", _("Level")), *((str(level), label) for level, label in LEVELS.items())]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class ApplicationForm(forms.ModelForm):
    """A student's application. Languages come as rows of (language, level); availability as
    one row per summit day (ticked, from, to); the consent to location on duty is a separate
    box that is never ticked in advance."""

    skills = forms.MultipleChoiceField(
        label=_("Skills"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    password = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "With your e-mail address and this password you sign in to follow your application "
            "and, once selected, to sign in and out on duty."
        ),
        min_length=8,
        max_length=128,
    )
    location_consent = forms.BooleanField(
        label=_("I agree that my position is recorded while I am signed in on duty."),
        required=False,
    )

    class Meta:
        model = Application
        fields = [
            "name",
            "gender",
            "phone",
            "email",
            "university",
            "student_number",
            "experience",
            "tshirt_size",
            "emergency_name",
            "emergency_phone",
            "photo",
        ]
        field_classes = {"photo": forms.FileField}
        widgets = {
            "photo": forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "emergency_phone": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "experience": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "name": _("Full name"),
            "phone": _("Mobile phone"),
            "email": _("E-mail"),
            "student_number": _("Student number"),
            "experience": _("Volunteering experience"),
            "tshirt_size": _("T-shirt size"),
            "emergency_name": _("Emergency contact"),
            "emergency_phone": _("Emergency contact's phone"),
            "photo": _("Photo"),
        }
        help_texts = {
            "name": _("As on your student card."),
            "phone": _("We call or text this number about your application and your shifts."),
            "student_number": _("As on your student card; one application per student."),
            "experience": _("Conferences, sports events, community service … and what you did."),
            "emergency_name": _("Someone we can call if something happens to you on duty."),
        }

    def __init__(self, *args, summit, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.summit = summit
        if account is not None:
            # Applying with the account the student is signed in with: no new password.
            del self.fields["password"]
        self.fields["university"].queryset = University.objects.order_by("short_name")
        self.fields["university"].empty_label = _("Choose your university")
        self.fields["gender"].choices = [
            ("", _("Prefer not to say")),
            *self.fields["gender"].choices[1:],
        ]
        self.fields["tshirt_size"].choices = [
            ("", _("Choose a size")),
            *self.fields["tshirt_size"].choices[1:],
        ]
        self.fields["tshirt_size"].required = True
        photo = self.fields["photo"]
        photo.required = False
        photo.help_text = _(
            "A recent photo of your face for your volunteer pass: JPEG, PNG or WebP, at least "
            "%(side)d pixels on each side, at most %(limit)d MB."
        ) % {"side": MIN_PHOTO_SIDE, "limit": MAX_PHOTO_BYTES // 1024 // 1024}
        codes = [("", _("Choose a language")), *language_choices()]
        for index in range(LANGUAGE_ROWS):
            self.fields[f"language_{index}"] = forms.ChoiceField(
                label=_("Language"), choices=codes, required=False
            )
            self.fields[f"level_{index}"] = forms.ChoiceField(
                label=_("Level"), choices=LEVEL_CHOICES, required=False
            )
        for day in summit.days:
            key = day.isoformat()
            self.fields[f"day_{key}"] = forms.BooleanField(label=day, required=False)
            self.fields[f"from_{key}"] = forms.TimeField(
                label=_("From"), initial=DEFAULT_FROM, widget=TimeInput, required=False
            )
            self.fields[f"to_{key}"] = forms.TimeField(
                label=_("To"), initial=DEFAULT_TO, widget=TimeInput, required=False
            )
        # Shown as required next to their labels, as on the guests' form.
        self.required_to_submit = {
            name for name, field in self.fields.items() if field.required
        } | {"languages", "availability"}

    # --- Rows for the template ---------------------------------------------------------------
    def language_rows(self) -> list[tuple]:
        return [(self[f"language_{i}"], self[f"level_{i}"]) for i in range(LANGUAGE_ROWS)]

    def day_rows(self) -> list[tuple]:
        return [
            (
                day,
                self[f"day_{day.isoformat()}"],
                self[f"from_{day.isoformat()}"],
                self[f"to_{day.isoformat()}"],
            )
            for day in self.summit.days
        ]

    # --- Cleaning -------------------------------------------------------------------------------
    # The guests' check of a portrait: decoded whole, renamed so that the student's own file
    # name never reaches the disk.
    clean_photo = RegistrationForm.clean_photo

    def clean(self):
        cleaned = super().clean()
        languages = []
        for index in range(LANGUAGE_ROWS):
            code, level = cleaned.get(f"language_{index}"), cleaned.get(f"level_{index}")
            if code and not level:
                self.add_error(f"level_{index}", _("Choose your level in this language."))
            elif level and not code:
                self.add_error(f"language_{index}", _("Choose the language of this level."))
            elif code:
                languages.append({"code": code, "level": int(level)})
        if not languages and not self.has_error("languages"):
            self.add_error(None, _("Tell us at least one language you speak, with your level."))
        cleaned["languages"] = languages
        availability = []
        for day in self.summit.days:
            key = day.isoformat()
            if not cleaned.get(f"day_{key}"):
                continue
            start, end = cleaned.get(f"from_{key}"), cleaned.get(f"to_{key}")
            if start is None or end is None:
                self.add_error(f"from_{key}", _("Give the hours you are free on this day."))
                continue
            availability.append(
                {"date": key, "from": start.strftime("%H:%M"), "to": end.strftime("%H:%M")}
            )
        if not availability:
            self.add_error(None, _("Tick at least one day on which you can serve."))
        cleaned["availability"] = availability
        return cleaned

    def _post_clean(self):
        # The application is checked and written by ``services.apply``.
        pass

    def application_data(self) -> dict:
        """What the student typed, as ``services.apply`` takes it (the consent and the password
        go to it apart)."""
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if not data.get("photo"):
            data.pop("photo", None)
        data["skills"] = list(self.cleaned_data.get("skills") or [])
        data["languages"] = self.cleaned_data["languages"]
        data["availability"] = self.cleaned_data["availability"]
        return data


# --- The office -------------------------------------------------------------------------------
class ScoreForm(forms.Form):
    rubric_score = forms.DecimalField(
        label=_("Rubric score (0 to 100)"), min_value=0, max_value=100, decimal_places=2
    )


class InterviewForm(forms.Form):
    round = forms.TypedChoiceField(
        label=_("Round"), choices=InterviewRound.choices, coerce=int, widget=forms.HiddenInput
    )
    score = forms.DecimalField(
        label=_("Interview score (0 to 100)"), min_value=0, max_value=100, decimal_places=2
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


QUOTA_KINDS = [
    ("", _("No quota")),
    ("university", _("University")),
    ("language", _("Language")),
    ("post_type", _("Post type")),
]


class SelectionForm(forms.Form):
    """N, the reserve ratio and up to ``QUOTA_ROWS`` quotas, each (kind, value, minimum,
    maximum, and for a language the level bar)."""

    size = forms.IntegerField(label=_("Volunteers to select"), min_value=1, max_value=100_000)
    reserve_ratio = forms.DecimalField(
        label=_("Reserve (share of N)"),
        min_value=0,
        max_value=1,
        decimal_places=2,
        initial=0.2,
        help_text=_("0.2 keeps 20 % more on a reserve list, to fill in for drop-outs."),
    )

    def __init__(self, *args, value_choices: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        values = [("", _("Choose"))]
        for kind, choices in value_choices.items():
            values += [(f"{kind}:{value}", label) for value, label in choices]
        for index in range(QUOTA_ROWS):
            self.fields[f"kind_{index}"] = forms.ChoiceField(
                label=_("Quota"), choices=QUOTA_KINDS, required=False
            )
            self.fields[f"value_{index}"] = forms.ChoiceField(
                label=_("Which"), choices=values, required=False
            )
            self.fields[f"minimum_{index}"] = forms.IntegerField(
                label=_("At least"), min_value=0, required=False
            )
            self.fields[f"maximum_{index}"] = forms.IntegerField(
                label=_("At most"), min_value=0, required=False
            )
            self.fields[f"min_level_{index}"] = forms.TypedChoiceField(
                label=_("Level at least"),
                choices=LEVEL_CHOICES[1:],
                coerce=int,
                initial="1",
                required=False,
            )

    def quota_rows(self) -> list[list]:
        return [
            [
                self[f"{name}_{index}"]
                for name in ("kind", "value", "minimum", "maximum", "min_level")
            ]
            for index in range(QUOTA_ROWS)
        ]

    def clean(self):
        cleaned = super().clean()
        quotas = []
        for index in range(QUOTA_ROWS):
            kind = cleaned.get(f"kind_{index}")
            if not kind:
                continue
            picked = cleaned.get(f"value_{index}") or ""
            picked_kind, _sep, value = picked.partition(":")
            if picked_kind != kind or not value:
                self.add_error(f"value_{index}", _("Choose a value of the quota's kind."))
                continue
            minimum = cleaned.get(f"minimum_{index}") or 0
            maximum = cleaned.get(f"maximum_{index}")
            if maximum is not None and maximum < minimum:
                self.add_error(f"maximum_{index}", _("The maximum is below the minimum."))
                continue
            quota = {"kind": kind, "value": value, "minimum": minimum, "maximum": maximum}
            if kind == "language":
                quota["min_level"] = cleaned.get(f"min_level_{index}") or 1
            quotas.append(quota)
        cleaned["quotas"] = quotas
        return cleaned


class TrajectoryForm(forms.Form):
    """A time range in the summit's local time; by default the last three hours."""

    start = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end = forms.DateTimeField(
        label=_("To"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    MAX_RANGE = dt.timedelta(days=3)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", _("The end must come after the start."))
            elif end - start > self.MAX_RANGE:
                self.add_error("end", _("Show at most three days at once."))
        return cleaned

    @classmethod
    def default_range(cls, tz) -> dict:
        # The end is the next whole minute, so that a position sent just now is in the range.
        now = timezone.localtime(timezone.now() + dt.timedelta(minutes=1), tz).replace(
            second=0, microsecond=0
        )
        fmt = "%Y-%m-%dT%H:%M"
        return {"start": (now - dt.timedelta(hours=3)).strftime(fmt), "end": now.strftime(fmt)}


class CorrectionForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours (negative to take away)"), min_value=-24, max_value=24, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ImportForm(forms.Form):
    """A university's list of applicants; checked first (nothing written) unless the office
    asks to import it."""

    university = forms.ModelChoiceField(
        label=_("University"),
        queryset=University.objects.order_by("short_name"),
        required=False,
        help_text=_("For rows that name no university."),
    )
    file = forms.FileField(label=_("List of applicants (CSV or Excel)"))
    write = forms.BooleanField(
        label=_("Import the good rows now (otherwise only check the list)"), required=False
    )
