"""Forms every app shares: signing in, with limits on failed attempts."""

import logging

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from huiwu.core import throttle
from huiwu.core.services import log_action

logger = logging.getLogger(__name__)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, which refuses an account after too many failed attempts on it
    from one address (or, many more, from everywhere), and an address after too many from it,
    before any password is checked: while locked, even the right password is refused. Someone
    else's guesses from elsewhere do not lock a user out at once. A successful sign-in clears
    the account's failures."""

    def _limits(self, account: str, address: str) -> list[tuple[throttle.Limit, str]]:
        return [
            (throttle.SIGN_IN_ACCOUNT, f"{account}\n{address}"),
            (throttle.SIGN_IN_ACCOUNT_TOTAL, account),
            (throttle.SIGN_IN_ADDRESS, address),
        ]

    def clean(self):
        # Case-folded: "Alice" and "alice" share a count wherever the backend matches either.
        account = (self.cleaned_data.get("username") or "").strip().casefold()
        address = throttle.client_address(self.request) if self.request is not None else ""
        seconds = max(
            throttle.wait_seconds(limit, subject)
            for limit, subject in self._limits(account, address)
            if account or limit is throttle.SIGN_IN_ADDRESS
        )
        if seconds:
            wait = throttle.minutes(seconds)
            raise ValidationError(
                ngettext(
                    "Too many failed attempts to sign in: signing in is paused for your safety. "
                    "Try again in about %(minutes)d minute.",
                    "Too many failed attempts to sign in: signing in is paused for your safety. "
                    "Try again in about %(minutes)d minutes.",
                    wait,
                ),
                code="throttled",
                params={"minutes": wait},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:  # wrong credentials, not an account refused as it is
                self._count_failure(account, address)
            raise
        if self.user_cache is not None:
            for limit, subject in self._limits(account, address)[:2]:
                throttle.clear(limit, subject)
        return cleaned

    def _count_failure(self, account: str, address: str) -> None:
        """Count the failure; the one that locks an account goes to the account's audit trail."""
        for limit, subject in self._limits(account, address):
            if throttle.record_failure(limit, subject) != limit.most:
                continue
            if limit is throttle.SIGN_IN_ADDRESS:
                logger.warning("Sign-in locked for address %s", address)
                continue
            everywhere = limit is throttle.SIGN_IN_ACCOUNT_TOTAL
            logger.warning("Sign-in locked for account %r (last from %s)", account, address)
            user_model = get_user_model()
            user = user_model._default_manager.filter(
                **{f"{user_model.USERNAME_FIELD}__iexact": account}
            ).first()
            if user is not None:
                data = {"address": address, "everywhere": everywhere}
                log_action(user, "sign_in.locked", data=data)


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin's sign-in (staff only), with the same limits."""
