"""On a phone, removing an Autotask ticket's primary resource asks who takes over, whatever RF_TEST_PSA says:
the drawer marks the primary, the question passes axe and fits 390 px, and the chosen resource becomes primary."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from psa.autotask_sandbox import API_INTEGRATION_CODE, API_SECRET, API_USERNAME
from tests.conftest import autotask_members
from tests.e2e.conftest import FIRST_LOAD_MS, TIMEOUT_MS, log_in, settled
from tests.e2e.test_autotask import at_sb  # noqa: F401 - the Autotask sandbox, reset around the test
from tests.e2e.test_responsive import check

pytestmark = pytest.mark.e2e

JSMITH = 101


def test_on_a_phone_removing_the_primary_asks_who_takes_over(browser, live_server, transactional_db, alice, account,
                                                            at_sb):  # noqa: F811 - the imported fixture
    from psa.models import MemberMapping, PSAConnection
    from psa.tenancy import tenant_for_account
    from tickets import service

    connection = PSAConnection(account=account, provider="autotask", site="sandbox", username=API_USERNAME,
                               integration_code=API_INTEGRATION_CODE)
    connection.set_private_key(API_SECRET)
    connection.save()
    MemberMapping.objects.create(account=account, user=alice, psa_member_id=JSMITH, identifier="jsmith",
                                 name="John Smith")
    tenant = tenant_for_account(account)
    ticket_id = service.search_tickets(tenant, service.TicketFilters(assigned=str(JSMITH))).items[0].id
    assigned = [r.member_id for r in service.list_resources(tenant, ticket_id)]
    for resource in [r for r in autotask_members(at_sb) if r["id"] not in assigned][:2]:
        service.add_resource(tenant, ticket_id, resource["id"])
    secondaries = service.list_resources(tenant, ticket_id)[1:]
    chosen = secondaries[-1]

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, bypass_csp=True,
                                  reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login/", timeout=FIRST_LOAD_MS)
    log_in(page, "alice", "pw-alice")
    page.goto(f"/tickets?ticket={ticket_id}")
    dialog = page.get_by_role("dialog", name=f"#{ticket_id}")
    expect(dialog).to_be_visible()
    resources = dialog.locator(f"#resources-{ticket_id}")
    expect(resources.locator("li.assignee").first).to_contain_text("John Smith")
    expect(resources.locator("li.assignee").first).to_contain_text("Primary")

    page.once("dialog", lambda confirm: confirm.accept())  # "Remove John Smith from ticket #N?"
    resources.get_by_role("button", name="Remove John Smith").click()
    expect(resources.get_by_role("alert")).to_contain_text("John Smith is this ticket's primary resource")
    question = resources.get_by_role("group", name="Who becomes primary?")
    expect(question.get_by_role("radio")).to_have_count(len(secondaries))
    check(page, "the drawer asking who becomes primary")

    question.get_by_role("radio", name=chosen.member_name).check()
    resources.get_by_role("button", name="Make primary and remove John Smith").click()
    expect(page.locator("#toasts")).to_contain_text(f"Member removed from #{ticket_id}")
    first = dialog.locator(f"#resources-{ticket_id} li.assignee").first
    expect(first).to_contain_text(chosen.member_name)
    expect(first).to_contain_text("Primary")
    expect(dialog.get_by_role("button", name="Remove John Smith")).to_have_count(0)
    settled(page)
    context.close()
