"""The manual lane's form: which zone and direction the staff member works, whom they look for,
and (when checking a guest in or out) which guest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huiwu.checkin.models import Direction
from huiwu.registration.models import Registration
from huiwu.summit.models import Summit, Zone, ZoneKind

SEARCH_MAX_LENGTH = 100


class LaneForm(forms.Form):
    """The lane's settings and the search; bound from GET (search) or POST (check-in)."""

    zone = forms.ModelChoiceField(
        label=_("Zone"),
        queryset=Zone.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of this summit's zones.")},
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        initial=Direction.IN,
        widget=forms.RadioSelect,
    )
    q = forms.CharField(
        label=_("Name or identity document number"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        strip=True,
    )

    def __init__(self, *args, summit: Summit, **kwargs):
        super().__init__(*args, **kwargs)
        self.summit = summit
        zones = list(Zone.objects.filter(summit=summit).order_by("kind", "id"))
        self.fields["zone"].queryset = Zone.objects.filter(pk__in=[zone.pk for zone in zones])
        if not self.is_bound and zones and self.initial.get("zone") not in {z.pk for z in zones}:
            # The lane a staff member last worked (the view passes it), else the main hall.
            main = [zone for zone in zones if zone.kind == ZoneKind.MAIN_HALL]
            self.initial["zone"] = (main or zones)[0].pk


class CheckinForm(LaneForm):
    """Check one guest in or out by hand."""

    guest = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"invalid": _("Choose a guest from the search results.")},
    )

    def clean_guest(self) -> Registration:
        registration = (
            Registration.objects.select_related("category", "summit")
            .filter(summit=self.summit, public_id=self.cleaned_data["guest"])
            .first()
        )
        if registration is None:
            raise forms.ValidationError(_("There is no such guest at this summit."))
        return registration
