"""Fixtures shared by the command centre's tests."""

import pytest

from tests.command.factories import operator, record_events


@pytest.fixture
def events(monkeypatch):
    """The live events the code under test publishes, captured instead of sent."""
    return record_events(monkeypatch)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what it leaves for after the commit (the events, the queued task)."""

    def run(service, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(*args, **kwargs)

    return run


@pytest.fixture
def staff(db):
    """A command operator."""
    return operator()


@pytest.fixture(name="operator")
def operator_fixture(db):
    """A command operator, for the live pages' tests (named as they call the user)."""
    return operator()
