"""The command centre's pages, thin: they read through ``selectors``, write through
``services`` and ask the ``rules`` predicates.

- ``live``: the dashboard and the map (live over websockets);
- ``incidents``: incidents, dispatch, broadcasts, and the volunteer's side on the phone page;
- ``report``: the after-action report and its Excel export.
"""
