"""The project's settings plus the change proposed in docs/readme/performance.md (benchmarks only).

``bench/run.py --proposed`` runs the app with this module, to measure the proposal before it is made:
the cached template loader. With an explicit ``loaders`` list Django does not add
``django.template.loaders.cached.Loader`` by itself, so every request re-reads and re-parses its
templates (about half of the list partial's server time).
"""

from rf_project.settings import *  # noqa: F403
from rf_project.settings import TEMPLATES

TEMPLATES[0]["OPTIONS"]["loaders"] = [
    (
        "template_partials.loader.Loader",
        [
            (
                "django.template.loaders.cached.Loader",
                ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
            )
        ],
    )
]
