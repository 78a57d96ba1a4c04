"""Limits on failed guesses (passwords, gate device tokens, personal links), counted in the cache.

A subject (an account, a client address) may fail ``attempts`` times in a window that opens
with its first failure; past that, every attempt is refused, even a right one, until the window
closes. Refused attempts are not counted, so a lock never outlives its window. The counters
live in Django's cache: local memory for one process, Redis when the platform is scaled out,
where ``add`` and ``incr`` are atomic across processes.
"""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from huiwu.core.middleware import API_PREFIX


@dataclass(frozen=True)
class Limit:
    """At most ``settings.<attempts>`` failures in ``settings.<minutes>`` for one subject.

    The numbers are read at each use, so that a deployment (or a test) can change them.
    """

    scope: str
    attempts: str
    minutes: str

    @property
    def most(self) -> int:
        return getattr(settings, self.attempts)

    @property
    def window(self) -> float:
        return getattr(settings, self.minutes) * 60


#: One account from one address (the subject is ``account_at``'s pair).
SIGN_IN_ACCOUNT = Limit("sign-in-account", "SIGN_IN_FAILURES_PER_ACCOUNT", "SIGN_IN_LOCK_MINUTES")
#: One account from everywhere: a guesser spread over many addresses.
SIGN_IN_ACCOUNT_TOTAL = Limit(
    "sign-in-account-total", "SIGN_IN_FAILURES_PER_ACCOUNT_TOTAL", "SIGN_IN_LOCK_MINUTES"
)
SIGN_IN_ADDRESS = Limit("sign-in-address", "SIGN_IN_FAILURES_PER_ADDRESS", "SIGN_IN_LOCK_MINUTES")
DEVICE_TOKEN = Limit("device-token", "TOKEN_FAILURES_PER_ADDRESS", "TOKEN_LOCK_MINUTES")
PERSONAL_LINK = Limit("personal-link", "TOKEN_FAILURES_PER_ADDRESS", "TOKEN_LOCK_MINUTES")


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind nginx, uvicorn has already replaced it with
    the client's, from X-Forwarded-For of the proxy it trusts (FORWARDED_ALLOW_IPS)."""
    return request.META.get("REMOTE_ADDR") or ""


def _key(limit: Limit, subject: str) -> str:
    # Hashed: any text fits a cache key, and no user name is kept in the cache.
    return f"throttle:{limit.scope}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}"


def _open_window(key: str, window: float, now: float) -> float | None:
    """When the subject's current window opened; None when it has none open."""
    start = cache.get(key)
    return start if start is not None and now < start + window else None


def wait_seconds(limit: Limit, subject: str) -> int:
    """Seconds before ``subject`` may try again; 0 while it is under the limit."""
    if not subject:
        return 0
    key, window, now = _key(limit, subject), limit.window, time.time()
    start = _open_window(key, window, now)
    if start is None or cache.get(f"{key}:{start!r}", 0) < limit.most:
        return 0
    return max(1, math.ceil(start + window - now))


def record_failure(limit: Limit, subject: str) -> int:
    """Count a failed attempt of ``subject``; returns its failures in the current window."""
    if not subject:
        return 0
    key, window, now = _key(limit, subject), limit.window, time.time()
    cache.add(key, now, timeout=math.ceil(window))
    start = _open_window(key, window, now)
    if start is None:  # the key outlived its window a moment (or vanished): open a new one
        start = now
        cache.set(key, start, timeout=math.ceil(window))
    # One counter per window, which outlives it: incr never meets a counter just expired.
    counter = f"{key}:{start!r}"
    cache.add(counter, 0, timeout=math.ceil(window) + 60)
    try:
        return cache.incr(counter)
    except ValueError:  # evicted by the local cache's culling: count afresh
        cache.set(counter, 1, timeout=math.ceil(window) + 60)
        return 1


def clear(limit: Limit, subject: str) -> None:
    """Forget the failures of ``subject`` (a successful sign-in)."""
    if subject:
        cache.delete(_key(limit, subject))


def minutes(seconds: int) -> int:
    """A wait in whole minutes (at least one), for the sentences that say when to try again."""
    return max(1, round(seconds / 60))


def _refusal(request: HttpRequest, message: str, seconds: int) -> HttpResponse:
    """A 429 with the sentence, as JSON under /api/ and as a page in the site's look
    otherwise, with the Retry-After header that clients and proxies understand."""
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "core/429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def limit_link_guesses(view: Callable) -> Callable:
    """For the pages opened by a secret in the address (a guest's personal link, an
    invitation): each 404 counts as a wrong guess from the client's address, and past the
    limit its wrong guesses are answered 429. A right link is always served: the secrets are
    far too long to guess, and a guest's e-badge must open whatever others on the same
    network did."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            if refusal := _missed_link(request):
                return refusal
            raise
        # An API endpoint answers with data, not a response.
        if isinstance(response, HttpResponse) and response.status_code == 404:
            return _missed_link(request) or response
        return response

    return guarded


def _missed_link(request: HttpRequest) -> HttpResponse | None:
    """Count a wrong link from the request's address; the 429 once the address is over its
    limit (the 404 stands until then)."""
    address = client_address(request)
    if not (seconds := wait_seconds(PERSONAL_LINK, address)):
        record_failure(PERSONAL_LINK, address)
        return None
    wait = minutes(seconds)
    message = ngettext(
        "Too many links that do not work were opened from your network. Try again in "
        "about %(minutes)d minute, with the whole address from the e-mail.",
        "Too many links that do not work were opened from your network. Try again in "
        "about %(minutes)d minutes, with the whole address from the e-mail.",
        wait,
    ) % {"minutes": wait}
    return _refusal(request, message, seconds)
