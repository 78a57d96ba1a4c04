"""SQLite with one writing transaction at a time per process, handed out in turn.

Every transaction already starts with ``BEGIN IMMEDIATE`` (settings), so SQLite admits one
writer at a time. But SQLite's busy handler lets waiters sleep ever longer, so under a crowd of
concurrent requests a newcomer often overtakes one that has waited for seconds, until the
latter gives up with "database is locked". Queueing the threads of this process on a lock
before ``BEGIN IMMEDIATE`` serves them in turn instead; SQLite's own locking still orders this
process against others (the task worker).
"""

import threading

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self):
        timeout = self.settings_dict["OPTIONS"].get("timeout", 30)
        if not _writer.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
