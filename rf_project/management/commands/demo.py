"""``python manage.py demo [addrport] [--setup-only] [--reset] [--state-file PATH] [--scale large]``: a working local demo in one command.

Migrates, then creates (idempotently; re-running keeps existing data) the account "Demo MSP", the
user demo/demo (account admin; local use only), a PSA connection to the in-process ConnectWise
sandbox and a member mapping for demo to the sandbox member with the most open tickets, and a
ResolutionAssist session linked to one of that member's open tickets whose conversation (answered by
the offline assistant) mentions a second, separate problem, so the TaskLane shows a pending spin-off
ticket suggestion. Then it serves the app (default 127.0.0.1:8000).

While it serves, the sandbox keeps its state (tickets, notes, statuses, assignees, companies and its id
counters) in ``cw-sandbox.json`` beside the SQLite database (else in the project directory; ``--state-file``
to choose), saved after every write, so a restart carries on where the last run stopped.
``--setup-only`` does not touch that file (the setup only reads the sandbox).

``--scale large`` serves an MSP of 5,000 companies, 300 members and 200,000 tickets instead (generated from the
seed in a few seconds at each start; its file, ``cw-sandbox-large.json``, keeps only what the demo changed).

``--reset`` starts fresh: the sandbox back to its seed (the file is deleted), and in every account connected
to the sandbox the records that name sandbox tickets are deleted: Assist sessions (their linked tickets and
spin-off tickets) and the JSON API's idempotency records (their ticket ids) -- a fresh sandbox hands those
ids to other tickets. Users, accounts, connections and member mappings stay (member ids are fixed by the
seed); the setup then links a new demo Assist session to a seed ticket.

``--psa autotask`` runs the same tour on the in-process Autotask sandbox (``psa.autotask_sandbox``: in memory
only, so it starts from its seed on every run): the demo account's connection becomes an Autotask one and demo
is mapped to the Autotask resource with the most open tickets. Switching the demo account from one PSA to the
other deletes its member mappings, Assist sessions and idempotency records (they name the other PSA's ids).
"""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assist import services
from assist.chat import OfflineAssistant
from assist.models import AssistSession
from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME, default_at_sandbox
from psa.autotask_sandbox.seed import COMPLETE as AUTOTASK_COMPLETE
from psa.models import Account, MemberMapping, Membership, PSAConnection
from psa.providers.base import PSAError
from psa.sandbox import SCALE_NAMES, default_sandbox
from psa.tenancy import tenant_for_account
from tickets import service
from tickets.models import IdempotencyRecord

DEMO_ACCOUNT = "Demo MSP"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
DEFAULT_ADDRPORT = "127.0.0.1:8000"
STATE_FILE_NAME = "cw-sandbox.json"
DEMO_SESSION_TITLE = "Outlook crashes on launch"
DEMO_SESSION_MESSAGE = (
    "Outlook crashes on launch for the CFO since this morning's Office update; safe mode opens fine. "
    "Separately, the printer on the 2nd floor shows offline for everyone."
)


def default_state_file(database: dict, base_dir, scale: str = "default") -> Path:
    """``cw-sandbox.json`` (``cw-sandbox-<scale>.json`` at another scale) beside a SQLite database file
    (``db.sqlite3``), else in the project directory."""
    file_name = STATE_FILE_NAME if scale == "default" else STATE_FILE_NAME.replace(".json", f"-{scale}.json")
    name = str(database.get("NAME") or "")
    if database.get("ENGINE") == "django.db.backends.sqlite3" and name and name != ":memory:" \
            and not name.startswith("file:"):
        return Path(name).resolve().parent / file_name
    return Path(base_dir) / file_name


def at_state_file(state_file: Path) -> Path:
    """The Autotask sandbox's state file, beside the ConnectWise sandbox's (``at-sandbox.json``)."""
    return state_file.with_name("at-" + state_file.name.removeprefix("cw-"))


class Command(BaseCommand):
    help = "Set up demo data (account, user demo/demo, sandbox PSA connection, member mapping) and run the server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT)
        parser.add_argument("--setup-only", action="store_true", help="Set up the demo data but do not serve")
        parser.add_argument("--reset", action="store_true",
                            help="Start fresh: the sandbox back to its seed data, and the Assist sessions and API "
                                 "idempotency records of accounts connected to the sandbox deleted")
        parser.add_argument("--psa", choices=["connectwise", "autotask"], default="connectwise",
                            help="Which PSA sandbox the demo account is connected to (default: connectwise)")
        parser.add_argument("--state-file", default=None,
                            help=f"Where the sandbox keeps its state (default: {STATE_FILE_NAME} beside the SQLite "
                                 f"database, else in the project directory)")
        parser.add_argument("--scale", choices=SCALE_NAMES, default="default",
                            help="The sandbox's size: default (23 companies, 640 tickets) or large (5,000 companies, "
                                 "300 members, 200,000 tickets)")

    def handle(self, *args, addrport, setup_only, reset, state_file, scale="default", **options):
        call_command("migrate", interactive=False, verbosity=0)
        default_sandbox(scale)  # the process-wide sandbox the app connects to, at this scale
        state_file = Path(state_file) if state_file else default_state_file(settings.DATABASES["default"],
                                                                            settings.BASE_DIR, scale)
        if reset:
            self.start_fresh(state_file)
        self.psa = options.get("psa") or "connectwise"
        if not setup_only:
            self.remember_sandbox(state_file)
        self.setup()
        self.stdout.write(self.style.WARNING(
            f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD} — for local use only; never expose this server."
        ))
        if not setup_only:
            call_command("runserver", addrport, use_reloader=False)

    def start_fresh(self, state_file: Path) -> None:
        """The sandbox back to its seed (its saved state deleted) and the records naming its tickets deleted."""
        try:
            state_file.unlink(missing_ok=True)
            at_state_file(state_file).unlink(missing_ok=True)
        except OSError as error:  # before anything else changes
            raise CommandError(f"Cannot delete the sandbox's saved state {state_file}: {error}") from error
        default_sandbox().reset()
        default_at_sandbox().reset()
        with transaction.atomic():
            accounts = Account.objects.filter(psa_connection__site=PSAConnection.SANDBOX_SITE)
            _, sessions = AssistSession.objects.filter(account__in=accounts).delete()
            _, records = IdempotencyRecord.objects.filter(account__in=accounts).delete()
        self.stdout.write(
            f"Reset: the ConnectWise sandbox is back to its seed data; deleted "
            f"{sessions.get(AssistSession._meta.label, 0)} Assist session(s) and "
            f"{records.get(IdempotencyRecord._meta.label, 0)} idempotency record(s) of accounts connected to it."
        )

    def remember_sandbox(self, state_file: Path) -> None:
        """From now on the process-wide sandbox (the one the demo serves) keeps its state in ``state_file``."""
        try:
            outcome = default_sandbox().remember_in(state_file)
        except OSError as error:
            raise CommandError(f"Cannot keep the ConnectWise sandbox's state in {state_file}: {error}") from error
        self.stdout.write(f"ConnectWise sandbox state: {state_file} (kept across restarts; "
                          f"`manage.py demo --reset` starts fresh).")
        if outcome == "unusable":  # the sandbox hands out its seed's next ids again
            self.stderr.write("The sandbox started from its seed data: Assist sessions and API idempotency records "
                              "that name tickets created before may now point at other tickets or none; "
                              "`manage.py demo --reset` deletes them.")
        if getattr(self, "psa", "connectwise") == "autotask":  # its sandbox's state beside the ConnectWise one's
            try:
                default_at_sandbox().remember_in(at_state_file(state_file))
            except OSError as error:
                raise CommandError(f"Cannot keep the Autotask sandbox's state in {at_state_file(state_file)}: "
                                   f"{error}") from error
            self.stdout.write(f"Autotask sandbox state: {at_state_file(state_file)} (kept across restarts).")

    def connect(self, account, psa: str) -> PSAConnection:
        """The demo account's sandbox connection to ``psa``; switching PSA drops what names the other's ids."""
        connection = PSAConnection.objects.filter(account=account).first()
        wanted = PSAConnection.Provider.AUTOTASK if psa == "autotask" else PSAConnection.Provider.CONNECTWISE
        if connection is not None and connection.provider == wanted:
            return connection
        if connection is not None:
            MemberMapping.objects.filter(account=account).delete()
            AssistSession.objects.filter(account=account).delete()
            IdempotencyRecord.objects.filter(account=account).delete()
            self.stdout.write(f"Switched the demo account to {wanted.label}: its member mappings, Assist sessions and "
                              "idempotency records (which named the other PSA's ids) were deleted.")
        else:
            connection = PSAConnection(account=account)
        connection.provider, connection.site, connection.zone_url = wanted, PSAConnection.SANDBOX_SITE, ""
        if wanted == PSAConnection.Provider.AUTOTASK:
            connection.username, connection.integration_code = API_USERNAME, API_INTEGRATION_CODE
            connection.set_private_key(API_SECRET)
        else:
            connection.company_id, connection.public_key = "sandbox", "sandbox-public"
            connection.client_id = "resolutionflow-demo"
            connection.set_private_key("sandbox-private")
        connection.save()
        return connection

    @staticmethod
    def busiest_member(connection) -> dict:
        """The sandbox member (Autotask: resource) with the most open tickets."""
        if not connection.is_autotask:
            return default_sandbox().members()[0]
        sb = default_at_sandbox()
        open_counts = Counter(t.get("assignedResourceID") for t in sb.state["tickets"].values()
                              if t["status"] != AUTOTASK_COMPLETE)
        resources = [r for r in sb.state["resources"].values() if sb.state["resource_roles"].get(str(r["id"]))]
        best = max(resources, key=lambda r: (open_counts[r["id"]], -r["id"]))
        name = " ".join(part for part in (best.get("firstName"), best.get("lastName")) if part)
        return {"id": best["id"], "identifier": best["userName"], "name": name or best["userName"]}

    psa = "connectwise"  # --psa

    @transaction.atomic
    def setup(self):
        account, _ = Account.objects.get_or_create(name=DEMO_ACCOUNT)
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo@example.com", "is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, defaults={"account": account, "role": Membership.Role.ADMIN})

        connection = self.connect(account, self.psa)

        if not MemberMapping.objects.filter(account=account, user=user).exists():
            member = self.busiest_member(connection)  # the member with the most open tickets
            MemberMapping.objects.get_or_create(
                account=account, psa_member_id=member["id"],
                defaults={"user": user, "identifier": member["identifier"], "name": member["name"]},
            )
        session = self.setup_assist_session(account, user)
        self.stdout.write(f"Demo account {account.name!r}: user {user.username}, PSA connection {connection}.")
        if session is not None:
            self.stdout.write(f"Assist session #{session.id} {session.title!r} (linked ticket "
                              f"#{session.linked_ticket_id or '-'}) has a spin-off suggestion in its TaskLane.")

    def setup_assist_session(self, account, user):
        """One Assist session with a linked ticket and a pending spin-off suggestion; created once, then kept
        as the engineer left it (a re-run never duplicates it nor re-adds a suggestion already used)."""
        session = AssistSession.objects.filter(account=account, user=user, title=DEMO_SESSION_TITLE).first()
        if session is None:
            session = services.create_session(account, user, DEMO_SESSION_TITLE)
        if session.linked_ticket_id is None:
            try:
                page = service.search_tickets(tenant_for_account(account, user), service.TicketFilters(assigned="me"),
                                              page=1, page_size=1)
            except (PSAError, service.NoPSAConnection, service.MemberMappingRequired) as error:
                self.stderr.write(f"Assist demo session: no linked ticket ({error}).")
            else:
                if page.items:
                    services.link_ticket(session, page.items[0].id, ticket=page.items[0])
        if not session.messages.exists():
            services.post_message(session, DEMO_SESSION_MESSAGE, engine=OfflineAssistant())
        return session
