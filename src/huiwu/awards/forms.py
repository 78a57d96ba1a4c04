"""The forms of awards pages. They only parse what people typed; the rules (deadline, required
answers, file types and sizes, score ranges) are the services', whose refusals are shown next to
the field at fault."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from huiwu.awards.models import (
    FieldKind,
    FileType,
    Outcome,
    Programme,
    ProgrammeKind,
    Round,
    Submission,
)
from huiwu.core.i18n import localized

SEND = "send"


def _country_choices() -> list[tuple[str, str]]:
    return [("", _("Choose a country or region")), *countries]


def show_errors(form: forms.Form, error) -> None:
    """Put a service's refusal (``ValidationError`` by field, or a ``DomainError``) on the
    form, next to the field it names when the form has one."""
    if isinstance(error, ValidationError):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else f"answer_{name}"
            for message in messages:
                form.add_error(target if target in form.fields else None, message)
        return
    name = error.field
    if name and name not in form.fields and f"answer_{name}" in form.fields:
        name = f"answer_{name}"
    form.add_error(name if name in form.fields else None, error.message)


class SubmissionForm(forms.Form):
    """The programme's form: the fields every submission has, then the programme's own."""

    track = forms.ModelChoiceField(queryset=None, required=False, label=_("Track"))
    nominee = forms.CharField(
        label=_("Nominee"),
        required=False,
        max_length=200,
        help_text=_("The person or company you nominate."),
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    abstract = forms.CharField(
        label=_("Abstract"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        required=False,
        help_text=_("What it is, what is new, and what it has achieved (up to 5,000 characters)."),
    )
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    country = forms.ChoiceField(label=_("Country or region"), choices=(), required=False)

    def __init__(self, programme: Programme, *args, submission: Submission | None = None, **kw):
        if submission is not None and "initial" not in kw:
            kw["initial"] = {
                "track": submission.track_id,
                "nominee": submission.nominee,
                "title": submission.title,
                "abstract": submission.abstract,
                "organisation_name": submission.organisation_name,
                "country": submission.country.code if submission.country else "",
                **{f"answer_{k}": v for k, v in submission.answers.items()},
            }
        super().__init__(*args, **kw)
        self.programme = programme
        self.fields["track"].queryset = programme.tracks.all()
        self.fields["track"].empty_label = _("Choose a track")
        if not programme.tracks.exists():
            del self.fields["track"]
        if programme.kind != ProgrammeKind.AWARD:
            del self.fields["nominee"]
        self.fields["country"].choices = _country_choices()
        self.required_to_submit = {"track", "title", "abstract", "organisation_name", "country"}
        self.attached = {}
        if submission is not None:
            self.attached = {a.field.key: a for a in submission.attachments.select_related("field")}
        for spec in programme.fields.all():
            name = f"answer_{spec.key}"
            common = {
                "label": localized(spec.label),
                "required": False,
                "help_text": localized(spec.help_text),
            }
            if spec.kind == FieldKind.FILE:
                types = dict(FileType.choices)
                accepted = ", ".join(types[t] for t in spec.accepted_types)
                common["help_text"] = " ".join(
                    part
                    for part in (
                        common["help_text"],
                        str(
                            _("%(types)s, at most %(size)d MB.")
                            % {"types": accepted, "size": spec.max_size_mb}
                        ),
                    )
                    if part
                )
                field = forms.FileField(**common)
            elif spec.kind == FieldKind.LONG_TEXT:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), **common)
            elif spec.kind == FieldKind.URL:
                field = forms.CharField(widget=forms.URLInput, **common)
            else:
                field = forms.CharField(**common)
            self.fields[name] = field
            if spec.required:
                self.required_to_submit.add(name)

    def parts(self) -> tuple[dict, dict, dict]:
        """``(data, answers, files)`` for ``services.save_submission``."""
        data = {
            name: self.cleaned_data[name]
            for name in ("track", "nominee", "title", "abstract", "organisation_name", "country")
            if name in self.fields
        }
        answers, files = {}, {}
        for spec in self.programme.fields.all():
            value = self.cleaned_data.get(f"answer_{spec.key}")
            if spec.kind == FieldKind.FILE:
                if value:
                    files[spec.key] = value
            else:
                answers[spec.key] = value or ""
        return data, answers, files


class ExpertProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200)
    country = forms.ChoiceField(label=_("Country or region"), choices=())
    expertise = forms.CharField(
        label=_("Expertise"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What you know well, in your own words; it decides what you are asked to review."
        ),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, in Chinese or English."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices()


class ExpertDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    abstract = forms.CharField(
        label=_("Abstract"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")


class ConflictForm(forms.Form):
    organisation_name = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        help_text=_("Every submission from this organisation will be kept away from you."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ReviewForm(forms.Form):
    """One score per criterion of the round's rubric, and a comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )

    def __init__(self, round_: Round, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(round_.criteria.all())
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.CharField(
                label=localized(criterion.name),
                required=False,
                help_text=localized(criterion.description),
                widget=forms.NumberInput(
                    attrs={"min": criterion.min_score, "max": criterion.max_score, "step": "0.5"}
                ),
            )
        self.order_fields([*(f"score_{c.pk}" for c in self.criteria), "comment"])

    def scores(self) -> dict[str, str]:
        return {str(c.pk): self.cleaned_data.get(f"score_{c.pk}", "") for c in self.criteria}


class PairForm(forms.Form):
    ACTIONS = [("pin", _("Pin")), ("forbid", _("Forbid")), ("release", _("Release"))]
    expert = forms.ModelChoiceField(queryset=None, label=_("Expert"))
    submission = forms.ModelChoiceField(queryset=None, label=_("Submission"))
    action = forms.ChoiceField(choices=ACTIONS, label=_("Action"))

    def __init__(self, experts, submissions, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts
        self.fields["submission"].queryset = submissions


class ShortlistForm(forms.Form):
    top_n = forms.IntegerField(label=_("Best N per track"), required=False, min_value=1)
    threshold = forms.FloatField(label=_("or every score at least"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class AwardForm(forms.Form):
    reason = forms.CharField(label=_("Committee's reason"), max_length=2000)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    tier = forms.ModelChoiceField(queryset=None, required=False, label=_("Prize tier"))
    reason = forms.CharField(label=_("Reason"), max_length=2000)

    def __init__(self, programme: Programme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = programme.tiers.all()
