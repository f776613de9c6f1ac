#!/usr/bin/env python
import os
import sys

from rf_project.python_version import require_supported_python

require_supported_python()  # before Django: on an old Python, one clear line instead of an ImportError deep inside


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rf_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
