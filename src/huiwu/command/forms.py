"""The command centre's forms: a new incident (command staff), a broadcast, resolving or
cancelling an incident, and a report from a volunteer's phone.

Forms only parse what a person typed into the plain values the services take (``needs`` as
skill codes and ``"fr:2"`` language tokens); the rules (impossible coordinates, a venue of
another summit, a broadcast without its venue) are the services', whose sentence the view puts
next to the field at fault. Coordinates are therefore plain numbers here, without bounds.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiwu.command.models import Audience, IncidentKind, IncidentStatus, Priority
from huiwu.summit.models import Summit, Venue, Zone
from huiwu.volunteers.forms import LEVEL_CHOICES
from huiwu.volunteers.languages import language_choices
from huiwu.volunteers.models import Post, Skill

MAX_BROADCAST = 500
# What the map's point and the phone's position are typed as: decimal degrees.
COORDINATE = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})


class PostChoiceField(forms.ModelChoiceField):
    """Posts by name and venue (in the page's language): two venues may have a post of the same
    name."""

    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.venue}"


def _posts(summit: Summit):
    return Post.objects.filter(summit=summit).select_related("venue").order_by("venue", "pk")


class IncidentForm(forms.Form):
    """A new incident typed by command staff: what, how urgent, where (venue, zone, post, a
    point clicked on the map, words), what whoever goes must bring, and a photo."""

    # No type chosen in advance: an incident recorded in a hurry must not turn up as medical.
    kind = forms.ChoiceField(label=_("Type"), choices=[("", _("Choose …")), *IncidentKind.choices])
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.none(), required=False)
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none(), required=False)
    post = PostChoiceField(label=_("Post"), queryset=Post.objects.none(), required=False)
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        required=False,
        help_text=_("Where exactly, in words: “Hall 1, east door”."),
    )
    description = forms.CharField(
        label=pgettext_lazy("incident", "What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    skills = forms.MultipleChoiceField(
        label=_("Whoever goes needs"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    language = forms.ChoiceField(label=_("and speaks"), required=False)
    level = forms.TypedChoiceField(
        label=_("at level"),
        choices=LEVEL_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, widget=COORDINATE)
    lon = forms.FloatField(label=_("Longitude"), required=False, widget=COORDINATE)
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.filter(summit=summit).order_by("pk")
        self.fields["zone"].queryset = Zone.objects.filter(summit=summit).order_by("venue", "pk")
        self.fields["post"].queryset = _posts(summit)
        self.fields["language"].choices = [("", _("no language needed")), *language_choices()]

    def clean(self):
        data = super().clean()
        where = ("venue", "zone", "post", "place", "lat")
        if not self.errors and not any(data.get(field) not in (None, "") for field in where):
            raise forms.ValidationError(
                _("Say where: choose a venue, zone or post, click the map, or describe the place.")
            )
        return data

    def needs(self) -> list[str]:
        """The skill codes ticked, and the language as ``"fr:2"`` (level 1 when none given)."""
        data = self.cleaned_data
        needs = list(data.get("skills") or [])
        if data.get("language"):
            needs.append(f"{data['language']}:{data.get('level') or 1}")
        return needs

    def incident_data(self) -> dict:
        """The keyword arguments of ``services.report_incident``."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "priority": data["priority"],
            "venue": data.get("venue"),
            "zone": data.get("zone"),
            "post": data.get("post"),
            "lat": data.get("lat"),
            "lon": data.get("lon"),
            "place": data.get("place", ""),
            "description": data.get("description", ""),
            "needs": self.needs(),
            "photo": data.get("photo"),
        }


class StatusForm(forms.Form):
    """Move an incident on: resolve or cancel it, with a note of how or why. Any status is
    accepted here; the services refuse a step that skips the lifecycle, with their sentence."""

    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How it was resolved, or why it is cancelled: it goes into the record."),
    )


class BroadcastForm(forms.Form):
    """A message to the volunteers on duty: all of them, a venue's, a post's, or those who
    speak a language."""

    audience = forms.ChoiceField(label=pgettext_lazy("broadcast", "To"), choices=Audience.choices)
    venue = forms.ModelChoiceField(label=_("Venue"), queryset=Venue.objects.none(), required=False)
    post = PostChoiceField(label=_("Post"), queryset=Post.objects.none(), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    text = forms.CharField(
        label=_("Message"),
        max_length=MAX_BROADCAST,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_BROADCAST}),
    )

    def __init__(self, *args, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.filter(summit=summit).order_by("pk")
        self.fields["post"].queryset = _posts(summit)
        self.fields["language"].choices = [("", _("Choose a language")), *language_choices()]

    def broadcast_data(self) -> dict:
        """The keyword arguments of ``services.broadcast``."""
        data = self.cleaned_data
        return {
            "audience": data["audience"],
            "text": data["text"],
            "venue": data.get("venue"),
            "post": data.get("post"),
            "language": data.get("language", ""),
        }


class PhoneReportForm(forms.Form):
    """An incident a volunteer on duty reports from the phone: what, words, a photo from the
    camera, and where the phone is (filled by the page's script)."""

    kind = forms.ChoiceField(
        label=_("What is it?"), choices=[("", _("Choose …")), *IncidentKind.choices]
    )
    description = forms.CharField(
        label=_("Tell us more"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput)

    def report_data(self) -> dict:
        """The keyword arguments of ``services.report_from_phone``."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "description": data.get("description", ""),
            "photo": data.get("photo"),
            "lat": data.get("latitude"),
            "lon": data.get("longitude"),
            "accuracy": data.get("accuracy"),
        }
