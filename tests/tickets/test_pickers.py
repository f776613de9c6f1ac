"""The typeahead pickers' items (issue 17): /tickets/pick/{company,contact,member,configuration}.

Each answers a few matches for the typed text as listbox options (or ``<option>``s), from one small PSA search
(companies, contacts, configurations) or the cached member list, never a whole list.
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qs

import pytest

from tickets.service.pick import PICK_LIMIT

pytestmark = pytest.mark.connectwise_only("the ConnectWise seed's ids and names, its call paths and its contacts' search")


def options(response) -> list[tuple[str, str]]:
    """(data-value, data-label) of each selectable option."""
    html = response.content.decode()
    return [(value, unescape(label)) for value, label in
            re.findall(r'<li role="option" id="[^"]+" class="pick-option" data-value="([^"]*)" data-label="([^"]*)"', html)]


def calls(sandbox) -> Counter:
    return Counter(f"{e.method} {e.path}" for e in sandbox.request_log)


@pytest.fixture
def picker(alice_client, alice_mapping, sandbox):
    sandbox.clear_log()
    return alice_client


def test_the_company_picker_lists_companies_whose_name_or_identifier_contains_the_text(picker):
    response = picker.get("/tickets/pick/company?q=dental")

    assert response.status_code == 200
    assert options(response) == [("251", "Acme Dental"), ("270", "Lakeshore Dental Group")]
    assert "AcmeDental" in response.content.decode()  # the identifier beside the name


def test_a_picker_search_is_one_small_page_asked_of_connectwise_with_the_text_escaped(picker, sandbox):
    picker.get("/tickets/pick/company", {"q": 'Acme" or name like "%'})

    assert calls(sandbox) == Counter({"GET /company/companies": 1})
    query = parse_qs(sandbox.request_log[0].query)
    assert int(query["pageSize"][0]) <= 25
    assert 'name like "%Acme\\" or name like \\"_%"' in query["conditions"][0]  # quoted; % and _ are no wildcards


def test_text_with_like_wildcards_finds_only_what_really_contains_it(picker, sandbox):
    sandbox.state["companies"][262]["name"] = "50% Off Printing"

    assert options(picker.get("/tickets/pick/company", {"q": "50%"})) == [("262", "50% Off Printing")]
    assert options(picker.get("/tickets/pick/company", {"q": "e_d"})) == []  # "_" is not "any character"


def test_without_text_the_company_picker_offers_the_first_page_by_name(picker):
    offered = options(picker.get("/tickets/pick/company"))

    assert len(offered) == PICK_LIMIT
    assert [label for _, label in offered] == sorted(label for _, label in offered)


def test_no_match_is_said_in_a_disabled_option(picker):
    html = picker.get("/tickets/pick/company?q=zzzz").content.decode()

    assert '<li role="option" id="pick-company-opt-none" class="pick-empty" aria-disabled="true">' \
           "No companies match “zzzz”</li>" in html


def test_option_ids_follow_the_input_they_belong_to(picker):
    html = picker.get("/tickets/pick/company?q=acme%20corp&for=nt-company").content.decode()

    assert 'id="nt-company-opt-250"' in html
    assert 'id="pick-company-opt-250"' in picker.get("/tickets/pick/company?q=acme%20corp&for=<x>").content.decode()


def test_the_contact_picker_searches_one_companys_contacts_by_first_and_last_name(picker, sandbox):
    contacts = [c for c in sandbox.state["contacts"].values() if c["company"]["id"] == 250]
    first = contacts[0]

    offered = options(picker.get("/tickets/pick/contact", {"company": 250,
                                                             "q": f"{first['firstName']} {first['lastName'][:3]}"}))
    everyone = options(picker.get("/tickets/pick/contact", {"company": 250}))

    assert (str(first["id"]), f"{first['firstName']} {first['lastName']}") in offered
    assert {value for value, _ in everyone} == {str(c["id"]) for c in contacts}
    assert all("company%2Fid+%3D+250" in e.query or "company/id = 250" in e.query for e in sandbox.request_log)


def test_the_member_picker_filters_the_cached_members_without_asking_connectwise(picker, sandbox, alice):
    picker.get("/tickets/pick/member")  # the member list, once
    sandbox.clear_log()

    offered = options(picker.get("/tickets/pick/member?q=an"))

    assert sandbox.request_log == []
    assert offered == [(str(m["id"]), m["name"]) for m in sandbox.state["members"].values()
                       if "an" in f"{m['name']} {m['identifier']}".lower()] == [("102", "Ana Garcia")]
    assert options(picker.get("/tickets/pick/member?q=jsmith")) == [("101", "John Smith")]
    assert options(picker.get("/tickets/pick/member?q=smith%20john")) == [("101", "John Smith")]  # every word


def test_the_member_picker_lists_resolutionflow_users_first(picker):
    offered = options(picker.get("/tickets/pick/member"))

    assert offered[0] == ("101", "John Smith")  # alice is mapped to jsmith
    assert "ResolutionFlow" in picker.get("/tickets/pick/member?q=john").content.decode()


def test_the_configuration_picker_searches_name_device_and_serial_of_one_company(picker, sandbox):
    config = next(c for c in sandbox.state["configurations"].values() if c["company"]["id"] == 252)

    by_name = options(picker.get("/tickets/pick/configuration", {"company": 252, "q": config["name"][-5:]}))
    by_serial = options(picker.get("/tickets/pick/configuration", {"company": 252, "q": config["serialNumber"]}))

    assert (str(config["id"]), config["name"]) in by_name
    assert by_serial == [(str(config["id"]), config["name"])]
    assert options(picker.get("/tickets/pick/configuration", {"company": 253, "q": config["serialNumber"]})) == []


def test_format_options_answers_datalist_options(picker):
    html = picker.get("/tickets/pick/company?q=acme&format=options").content.decode()

    assert '<option value="Acme Corp" data-id="250">AcmeCorp</option>' in html
    assert "<li" not in html


def test_a_psa_failure_is_said_where_the_user_looks(picker, sandbox):
    sandbox.inject("500", path=r"^/company/companies$")

    response = picker.get("/tickets/pick/company?q=acme")

    assert response.status_code == 200
    assert "Could not search companies" in response.content.decode()
    assert options(response) == []


def test_without_a_psa_connection_the_picker_says_so(bob_client, account):
    response = bob_client.get("/tickets/pick/company?q=acme")

    assert response.status_code == 200 and "No PSA connection" in response.content.decode()


def test_another_accounts_user_sees_their_own_accounts_data_only(charlie_client, other_connection):
    response = charlie_client.get("/tickets/pick/member?q=john")

    assert "ResolutionFlow" not in response.content.decode()  # charlie's account maps nobody


def test_pickers_need_a_signed_in_user(client, alice_mapping):
    response = client.get("/tickets/pick/company?q=acme")

    assert response.status_code == 302 and "/login" in response["Location"]


def test_text_is_cut_at_the_search_limit_and_the_page_never_exceeds_fifty_items(picker, sandbox):
    response = picker.get("/tickets/pick/company", {"q": "a" * 5000})

    assert response.status_code == 200
    assert len(parse_qs(sandbox.request_log[0].query)["conditions"][0]) < 600
    assert len(options(picker.get("/tickets/pick/member"))) <= 50


# --- the pickers as the pages use them (issue 17: tickets/combobox.html) -------------------------------------


def test_the_assigned_filters_picker_offers_all_me_and_unassigned_before_the_members(picker):
    offered = options(picker.get("/tickets/pick/member?fixed=assigned"))
    typed = options(picker.get("/tickets/pick/member?fixed=assigned&q=un"))

    assert offered[:4] == [("", "All"), ("me", "Me"), ("unassigned", "Unassigned"), ("101", "John Smith")]
    assert typed[0] == ("unassigned", "Unassigned")
    assert ("me", "Me") not in typed


def test_the_add_member_picker_leaves_out_the_members_already_assigned(picker):
    offered = options(picker.get("/tickets/pick/member?exclude=101,111&q="))

    assert {"101", "111"}.isdisjoint(value for value, _ in offered)
    assert ("102", "Ana Garcia") in offered


def _create(picker, **values):
    modal = picker.get("/tickets/new?tab=full", headers={"HX-Request": "true"}).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', modal).group(1)
    return picker.post("/tickets/new", {"action": "create", "tab": "full", "token": token, "summary": "Scanner offline",
                                        "board_id": 1, "status_id": 11, "priority_id": 3, **values},
                       headers={"HX-Request": "true"})


def test_a_company_chosen_in_the_new_ticket_picker_is_taken_by_its_id_without_a_name_search(picker, sandbox):
    sandbox.clear_log()

    response = _create(picker, company="Acme Dental", company_id=251)

    assert response.status_code == 204
    created = max(sandbox.state["tickets"])
    assert sandbox.state["tickets"][created]["company"]["id"] == 251
    assert not any("like" in parse_qs(e.query).get("conditions", [""])[0] for e in sandbox.request_log)


def test_a_company_id_that_does_not_name_the_typed_company_is_not_trusted(picker, sandbox):
    # The id says Acme Corp but the box says Acme Dental (typed after choosing): the name decides.
    assert _create(picker, company="Acme Dental", company_id=250).status_code == 204
    assert sandbox.state["tickets"][max(sandbox.state["tickets"])]["company"]["id"] == 251

    refused = _create(picker, company="", company_id=251)
    assert refused.status_code == 422
    assert "Company is required" in refused.content.decode()


def test_new_tickets_contact_picker_waits_for_a_company_then_the_contact_goes_with_the_ticket(picker, sandbox):
    waiting = picker.get("/tickets/pick/contact?within=company&company_id=&q=a").content.decode()
    contact = next(c for c in sandbox.state["contacts"].values() if c["company"]["id"] == 251)

    assert "Choose the company first" in waiting and options(picker.get("/tickets/pick/contact?within=company&q=a")) == []
    assert (str(contact["id"]), f"{contact['firstName']} {contact['lastName']}") in options(
        picker.get("/tickets/pick/contact", {"within": "company", "company_id": 251}))
    assert _create(picker, company="Acme Dental", company_id=251, contact_id=contact["id"]).status_code == 204
    assert sandbox.state["tickets"][max(sandbox.state["tickets"])]["contact"]["id"] == contact["id"]
