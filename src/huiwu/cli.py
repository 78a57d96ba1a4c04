"""The ``huiwu`` command: ``huiwu demo | serve | worker | bench NAME`` and every Django
management command (``huiwu migrate``, ``huiwu createsuperuser`` …)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The data folder decides where settings put the database, so it is read before Django loads.
    for index, arg in enumerate(argv):
        if arg == "--data-dir" and index + 1 < len(argv):
            os.environ["HUIWU_DATA_DIR"] = argv[index + 1]
        elif arg.startswith("--data-dir="):
            os.environ["HUIWU_DATA_DIR"] = arg.split("=", 1)[1]
    if argv and not argv[0].startswith("-"):
        # Commands are spelt with hyphens on the command line (`huiwu purge-biometrics`), as
        # module names they have underscores.
        argv[0] = argv[0].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiwu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["huiwu", *argv])


if __name__ == "__main__":
    main()
