"""The secretariat's admin: the machinery every Huiwu admin shares, and the kernel's models.

``HuiwuModelAdmin`` is the base of every admin in the platform. It edits per-language texts side
by side, finds Chinese in them, asks the ``rules`` predicates about each object, and records
every write in our action log, which it shows on the object's page.
"""

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import rules
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst, smart_split, unescape_string_literal
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from i18nfield.fields import I18nCharField, I18nTextField
from i18nfield.forms import I18nTextarea, I18nTextInput

from huiwu.core.forms import AdminSignInForm
from huiwu.core.models import ActionLog, Membership, Organisation, Person
from huiwu.core.rules import is_forum_organiser_role, is_organiser, people_in_reach
from huiwu.core.services import actions_for, log_action

admin.site.site_header = _("Huiwu 会务 · Secretariat")
admin.site.site_title = _("Huiwu 会务 · Secretariat")
admin.site.index_title = _("Data and settings")
# Staff sign in with the limits on failed attempts of the site's own sign-in.
admin.site.login_form = AdminSignInForm


# --- Per-language texts ------------------------------------------------------------------------


class _LanguageColumns:
    """Puts each language's input under the language's name, in columns side by side."""

    def format_output(self, rendered_widgets, id_) -> str:
        names = dict(settings.LANGUAGES)
        shown = [code for code in self.locales if code in self.enabled_locales]
        columns = format_html_join(
            "",
            '<div class="i18n-language"><span class="i18n-language-name">{}</span>{}</div>',
            (
                (names.get(code, code), widget)
                for code, widget in zip(shown, rendered_widgets, strict=True)
            ),
        )
        return format_html('<div class="i18n-form-group" id="{}">{}</div>', id_ or "", columns)


class BilingualTextInput(_LanguageColumns, I18nTextInput):
    pass


class BilingualTextarea(_LanguageColumns, I18nTextarea):
    pass


FORMFIELD_OVERRIDES = {
    I18nCharField: {"widget": BilingualTextInput},
    I18nTextField: {"widget": BilingualTextarea},
    # Organisers paste addresses without a scheme; they are on the web's secure side today.
    models.URLField: {"assume_scheme": "https"},
}


def stored_forms(term: str) -> list[str]:
    """The ways ``term`` can appear in the stored text: as typed, and as django-i18nfield writes
    it into its JSON (``json.dumps`` escapes every non-ASCII character, 人 as ``\\u4eba``)."""
    escaped = json.dumps(term)[1:-1]
    return [term] if escaped == term else [term, escaped]


# --- Accounts ----------------------------------------------------------------------------------


class AccountField(forms.ModelChoiceField):
    """A user account chosen by typing its user name, so that the secretariat links people to
    accounts without needing access to the accounts themselves."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid_choice": _(
            "No account has this user name. Check the spelling, or create the account first "
            "under “Users”."
        ),
    }

    def __init__(self, **kwargs):
        user_model = get_user_model()
        super().__init__(
            queryset=user_model.objects.all(), to_field_name=user_model.USERNAME_FIELD, **kwargs
        )

    def prepare_value(self, value):
        # The form's initial value is the account's primary key, where submitted data is a
        # user name (always text): show the user name instead of the key.
        if value not in self.empty_values and not isinstance(value, str | models.Model):
            value = self.queryset.filter(pk=value).first() or value
        return super().prepare_value(value)


# --- Object-level permissions ------------------------------------------------------------------


def _object_allows(user, opts, action: str, obj) -> bool:
    """Whether the ``rules`` predicates let ``user`` do ``action`` on ``obj``.

    An action without its own predicate falls back on the predicate for changing the object:
    who may not manage a forum may neither view nor delete it. Models without predicates are
    governed by their model permissions alone.
    """
    for candidate in (action, "change"):
        perm = f"{opts.app_label}.{get_permission_codename(candidate, opts)}"
        if rules.perm_exists(perm):
            return user.has_perm(perm, obj)
    return True


def _permitted(user, opts, action: str, obj=None) -> bool:
    perm = f"{opts.app_label}.{get_permission_codename(action, opts)}"
    if not user.has_perm(perm):
        return False
    return obj is None or _object_allows(user, opts, action, obj)


# --- The base admin ----------------------------------------------------------------------------


class HuiwuModelAdmin(admin.ModelAdmin):
    """Every Huiwu admin: bilingual inputs, Chinese-aware search, object permissions from the
    rules predicates, and an action log entry for every addition, change and deletion."""

    formfield_overrides = FORMFIELD_OVERRIDES
    #: Show the object's action log on its page, to those who may read the log.
    show_action_log = True
    #: The model's additions and changes go through services that log them with what changed;
    #: the admin then logs only deletions, and leaves the rest to Django's own history.
    logged_by_service = False
    #: Names for what the action log records as changed beyond the model's fields.
    change_labels: Mapping[str, str] = {}

    class Media:
        css = {"all": ["core/admin.css"]}

    def get_ordering(self, request):
        # Stated explicitly, because the model's default ordering is dropped from the grouped
        # queries that counting columns (sessions per forum) make.
        return self.ordering or self.opts.ordering

    # Permissions: Django's admin asks for model permissions only; ask the predicates about
    # the object too, so that a co-organiser reaches only its own forums.
    def has_view_permission(self, request, obj=None) -> bool:
        return _permitted(request.user, self.opts, "view", obj) or _permitted(
            request.user, self.opts, "change", obj
        )

    def has_add_permission(self, request) -> bool:
        return _permitted(request.user, self.opts, "add")

    def has_change_permission(self, request, obj=None) -> bool:
        return _permitted(request.user, self.opts, "change", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _permitted(request.user, self.opts, "delete", obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.ForeignKey) and db_field.related_model is get_user_model():
            return AccountField(
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
                help_text=_("The user name the person logs in with."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Search: the per-language texts are JSON in which Chinese is escaped; look for both forms.
    def get_search_results(self, request, queryset, search_term):
        """Rows where every word of ``search_term`` occurs in one of the search fields (plain
        field paths, compared case-insensitively), whether typed in Chinese or in English."""
        search_fields = self.get_search_fields(request)
        if not (search_fields and search_term.strip()):
            return queryset, False
        words = []
        for word in smart_split(search_term):
            if word[0] in "\"'" and word[0] == word[-1] and len(word) > 1:
                word = unescape_string_literal(word)
            words.append(
                Q.create(
                    [
                        (f"{field}__icontains", form)
                        for field in search_fields
                        for form in stored_forms(word)
                    ],
                    connector=Q.OR,
                )
            )
        duplicates = any(lookup_spawns_duplicates(self.opts, field) for field in search_fields)
        return queryset.filter(*words), duplicates

    # The action log: Django's own history stays; ours records the same writes for the platform.
    def _log(self, request, obj, verb: str, message=None) -> None:
        # ``message`` is the admin's change message, which Django phrases in each language.
        log_action(
            obj,
            f"{obj._meta.model_name}.{verb}",
            by=request.user,
            data={"message": message} if message else {},
        )

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        if not self.logged_by_service:
            self._log(request, obj, "created", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if not self.logged_by_service:
            self._log(request, obj, "changed", message)
        return entry

    def log_deletions(self, request, queryset):
        # Called before the deletion, while the objects still have their keys.
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._log(request, obj, "deleted")
        return entries

    def save_formset(self, request, form, formset, change):
        """Save the inline rows; those of models with an admin of their own (a forum's sessions,
        a venue's rooms) also get their own action log entries."""
        if not self.admin_site.is_registered(formset.model):
            return super().save_formset(request, form, formset, change)
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                self._log(request, deleted.instance, "deleted")
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._log(request, obj, "created", [{"added": {}}])
        for obj, fields in formset.changed_objects:
            with translation.override(None):
                labels = [str(formset.forms[0].fields[name].label or name) for name in fields]
            self._log(request, obj, "changed", [{"changed": {"fields": labels}}])

    def _shows_action_log(self, request, obj) -> bool:
        return (
            self.show_action_log
            and obj is not None
            and request.user.has_perm("core.view_actionlog")
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._shows_action_log(request, obj):
            readonly.append("action_log")
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "action_log"]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if self._shows_action_log(request, obj):
            fieldsets.append((_("Action log"), {"fields": ["action_log"]}))
        return fieldsets

    @admin.display(description=_("What happened"))
    def action_log(self, obj) -> str:
        """The object's latest action log entries, newest first, with a link to all of them."""
        entries = list(actions_for(obj)[:20])
        if not entries:
            return _("Nothing has been recorded yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(entry.timestamp), "Y-m-d H:i"),
                    entry.actor or "—",
                    entry.action,
                    describe_action_data(entry.data, obj._meta.model, self.change_labels),
                )
                for entry in entries
            ),
        )
        everything = (
            reverse("admin:core_actionlog_changelist")
            + f"?content_type__id__exact={entries[0].content_type_id}&object_id={obj.pk}"
        )
        return format_html(
            '<table class="huiwu-action-log"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">{}</a></p>',
            capfirst(_("time")),
            capfirst(_("by")),
            capfirst(_("action")),
            capfirst(_("details")),
            rows,
            everything,
            _("The whole action log of this object"),
        )


def describe_action_data(
    data: dict,
    model: type[models.Model] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """An action log entry's details in the reader's language: what changed, from what to
    what (``{"changes": {field: [before, after]}}``, fields named after ``model``'s or by
    ``labels``), or the admin's change message (``{"message": [...]}``)."""
    if not data:
        return ""
    if isinstance(data.get("changes"), dict):
        return "; ".join(
            gettext("%(field)s: %(before)s → %(after)s")
            % {
                "field": _field_label(name, model, labels),
                "before": _value_shown(before, name, model),
                "after": _value_shown(after, name, model),
            }
            for name, (before, after) in data["changes"].items()
        )
    if "message" in data:
        # Django itself knows how to phrase and translate its change messages.
        return LogEntry(change_message=json.dumps(data["message"])).get_change_message()
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _model_field(name: str, model: type[models.Model] | None) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_label(
    name: str, model: type[models.Model] | None, labels: Mapping[str, str] | None
) -> str:
    if labels and name in labels:
        return capfirst(str(labels[name]))
    field = _model_field(name, model)
    return capfirst(str(getattr(field, "verbose_name", name)))


def _value_shown(value: Any, name: str, model: type[models.Model] | None) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict):
        # A text in several languages: each of them, the interface's languages first.
        order = [code for code, _name in settings.LANGUAGES]
        codes = sorted(value, key=lambda code: order.index(code) if code in order else len(order))
        return " / ".join(str(value[code]) for code in codes if value[code])
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(_model_field(name, model), models.DateTimeField) and isinstance(value, str):
        try:
            # Kept with the offset of the summit's time zone; shown as read there.
            return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


class ParentScopedInline(admin.options.InlineModelAdmin):
    """Inline rows that may be touched only by whoever may change the object they belong to.

    With ``own_permissions`` the row's model permissions are asked as well (a forum's sessions);
    without, the rows are part of their parent (a forum's hosts) and follow it alone.
    """

    formfield_overrides = FORMFIELD_OVERRIDES
    own_permissions = True

    def _parent_admin(self):
        return self.admin_site.get_model_admin(self.parent_model)

    def _own(self, request, action: str) -> bool:
        return not self.own_permissions or _permitted(request.user, self.opts, action)

    def has_view_permission(self, request, obj=None) -> bool:
        return (self._own(request, "view") or self._own(request, "change")) and (
            self._parent_admin().has_view_permission(request, obj)
        )

    def has_add_permission(self, request, obj=None) -> bool:
        parent = self._parent_admin()
        allowed = (
            parent.has_add_permission(request)
            if obj is None
            else parent.has_change_permission(request, obj)
        )
        return self._own(request, "add") and allowed

    def has_change_permission(self, request, obj=None) -> bool:
        return self._own(request, "change") and self._parent_admin().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._own(request, "delete") and self._parent_admin().has_change_permission(
            request, obj
        )


# --- The kernel's models -----------------------------------------------------------------------


@admin.register(Organisation)
class OrganisationAdmin(HuiwuModelAdmin):
    list_display = ["name", "short_name", "kind", "country", "forum_count", "people_count"]
    list_filter = ["kind", ("country", CountryFilter)]
    search_fields = ["name", "short_name", "website", "description"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "kind", "country", "website"]}),
        (_("Presentation"), {"fields": ["description"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                forum_count=Count("forum_roles", distinct=True),
                people_count=Count("people", distinct=True),
            )
        )

    @admin.display(description=_("forums"), ordering="forum_count")
    def forum_count(self, obj) -> int:
        return obj.forum_count

    @admin.display(description=_("people"), ordering="people_count")
    def people_count(self, obj) -> int:
        return obj.people_count

    def has_view_permission(self, request, obj=None) -> bool:
        # Co-organisers read institutions (to name a speaker's), never change them.
        return super().has_view_permission(request, obj) or is_forum_organiser_role(request.user)

    def get_model_perms(self, request) -> dict[str, bool]:
        # ...and do not find them among the things they manage.
        if not _permitted(request.user, self.opts, "view"):
            return {"add": False, "change": False, "delete": False, "view": False}
        return super().get_model_perms(request)


@admin.register(Person)
class PersonAdmin(HuiwuModelAdmin):
    list_display = ["name", "name_latin", "country", "organisation", "session_count"]
    list_filter = [("country", CountryFilter), "organisation__kind"]
    list_select_related = ["organisation"]
    search_fields = [
        "name",
        "name_latin",
        "email",
        "position",
        "organisation__name",
        "organisation__short_name",
    ]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["name", "name_latin", "country", "organisation", "email", "user"]}),
        (_("Presentation"), {"fields": ["position", "biography"]}),
    ]

    def get_queryset(self, request):
        people = super().get_queryset(request).annotate(session_count=Count("appearances"))
        if is_organiser(request.user):
            return people
        # A co-organiser sees the people it added and the speakers of its forums; the
        # ``rules`` predicates say the same of each person.
        return people.filter(pk__in=people_in_reach(request.user).values("pk"))

    @admin.display(description=_("sessions"), ordering="session_count")
    def session_count(self, obj) -> int:
        return obj.session_count

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if is_organiser(request.user):
            return fieldsets
        # Linking a person to a login is the secretariat's business.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "user"]})
            for name, options in fieldsets
        ]


@admin.register(Membership)
class MembershipAdmin(HuiwuModelAdmin):
    """Who acts for which institution: this is what opens a forum to its co-organisers."""

    list_display = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = [
        "user__username",
        "user__email",
        "organisation__name",
        "organisation__short_name",
    ]
    autocomplete_fields = ["organisation"]

    # The organiser role carries no model permission on memberships; granting them is the
    # secretariat's job, so the secretariat's predicate decides.
    def has_view_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user)

    def has_add_permission(self, request) -> bool:
        return is_organiser(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user)


@admin.register(ActionLog)
class ActionLogAdmin(HuiwuModelAdmin):
    """The audit trail, read-only: nobody edits or deletes what happened."""

    show_action_log = False
    list_display = ["timestamp", "actor", "action", "subject_link", "content_type"]
    list_filter = ["action", ("content_type", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["actor", "content_type"]
    search_fields = ["action", "object_repr", "object_id", "actor__username"]
    date_hierarchy = "timestamp"
    fields = ["timestamp", "actor", "action", "content_type", "subject_link", "details"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("object"), ordering="object_repr")
    def subject_link(self, entry: ActionLog) -> str:
        model = entry.content_type.model_class()
        if model is not None and self.admin_site.is_registered(model):
            try:
                url = reverse(
                    f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                    args=[entry.object_id],
                )
            except NoReverseMatch:
                return entry.object_repr
            return format_html('<a href="{}">{}</a>', url, entry.object_repr)
        return entry.object_repr

    @admin.display(description=_("details"))
    def details(self, entry: ActionLog) -> str:
        model = entry.content_type.model_class()
        labels = {}
        if model is not None and self.admin_site.is_registered(model):
            labels = getattr(self.admin_site.get_model_admin(model), "change_labels", {})
        return describe_action_data(entry.data, model, labels)


# --- Accounts ----------------------------------------------------------------------------------

admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(HuiwuModelAdmin, UserAdmin):
    """User accounts, which the secretariat opens for co-organisers' staff and gives roles
    (groups). Superuser status and single permissions stay with superusers, and so do
    superusers' own accounts: the secretariat cannot make itself more than it is."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
