"""``python manage.py demo [addrport] [--setup-only]``: a working local demo in one command.

Migrates, then creates (idempotently; re-running keeps existing data) the account "Demo MSP", the
user demo/demo (account admin; local use only), a PSA connection to the in-process ConnectWise
sandbox and a member mapping for demo to the sandbox member with the most open tickets, and a
ResolutionAssist session linked to one of that member's open tickets whose conversation (answered by
the offline assistant) mentions a second, separate problem, so the TaskLane shows a pending spin-off
ticket suggestion. Then it serves the app (default 127.0.0.1:8000).
"""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from assist import services
from assist.chat import OfflineAssistant
from assist.models import AssistSession
from psa.models import Account, MemberMapping, Membership, PSAConnection
from psa.providers.base import PSAError
from psa.sandbox import default_sandbox
from psa.tenancy import tenant_for_account
from tickets import service

DEMO_ACCOUNT = "Demo MSP"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
DEFAULT_ADDRPORT = "127.0.0.1:8000"
DEMO_SESSION_TITLE = "Outlook crashes on launch"
DEMO_SESSION_MESSAGE = (
    "Outlook crashes on launch for the CFO since this morning's Office update; safe mode opens fine. "
    "Separately, the printer on the 2nd floor shows offline for everyone."
)


class Command(BaseCommand):
    help = "Set up demo data (account, user demo/demo, sandbox PSA connection, member mapping) and run the server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT)
        parser.add_argument("--setup-only", action="store_true", help="Set up the demo data but do not serve")

    def handle(self, *args, addrport, setup_only, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.setup()
        self.stdout.write(self.style.WARNING(
            f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD} — for local use only; never expose this server."
        ))
        if not setup_only:
            call_command("runserver", addrport, use_reloader=False)

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

        connection = PSAConnection.objects.filter(account=account).first()
        if connection is None:
            connection = PSAConnection(account=account, site=PSAConnection.SANDBOX_SITE, company_id="sandbox",
                                       public_key="sandbox-public", client_id="resolutionflow-demo")
            connection.set_private_key("sandbox-private")
            connection.save()

        if not MemberMapping.objects.filter(account=account, user=user).exists():
            member = default_sandbox().members()[0]  # the member with the most open tickets
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
