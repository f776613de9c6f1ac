"""The Anthropic SDK (about two seconds to import) is loaded only when the Anthropic engine is built: a
deployment on the offline engine never pays it, not even on its first parse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRESH_PROCESS = """
import os, sys
import django
django.setup()
import assist.chat, tickets.ai_parse, tickets.api, tickets.views
from psa.schemas import PSABoard, PSACompany
from tickets.ai_parse import ParseReference, engine_from_settings, resolve

companies = [PSACompany(id=250, name="Acme Corp", identifier="AcmeCorp")]
boards = [PSABoard(id=1, name="Service Desk")]
engine = engine_from_settings()
result = resolve(engine.extract("Acme Corp: printer jammed", companies, boards),
                 ParseReference(companies=companies, boards=boards))
loaded = [name for name in ("anthropic", "httpx2") if name in sys.modules]
print("offline parse:", engine.name, result.company_id, "loaded:", loaded)

from tickets.ai.anthropic_engine import AnthropicEngine
AnthropicEngine(api_key="sk-test", model="claude-test", timeout=5)
print("anthropic engine built, loaded:", "anthropic" in sys.modules)
"""


def test_the_offline_engine_never_imports_the_anthropic_sdk():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rf_project.settings", "ANTHROPIC_API_KEY": "", "RF_DOTENV": "off"}

    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "offline parse: offline 250 loaded: []",
        "anthropic engine built, loaded: True",  # the check sees the SDK when it is loaded
    ]
