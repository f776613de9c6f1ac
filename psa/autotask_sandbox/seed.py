"""Deterministic seed data for the Autotask sandbox: the same MSP as the ConnectWise sandbox, in Autotask's shape.

Names and ids are a contract tests rely on (README "Autotask (provider and sandbox)"): companies from 250
with the ConnectWise sandbox's names in the same order (``companyNumber`` = its identifier), company 0 the
MSP itself, one inactive company last; resources 101-111 with the ConnectWise sandbox's usernames (``jsmith``
...), the API user 199; queues 1-4 named as its boards plus 5 "Client Portal"; tickets from 1000. Statuses
and priorities follow a real Autotask database: status 1 New ... 5 Complete, priority 4 Critical (sorts
first), 1 High, 2 Medium (default), 3 Low.

Every entity carries every field of its Swagger model, ``null`` when unset, as Autotask sends them. Dates
are relative to ``now`` (the sandbox passes its build time floored to the hour): ages stay realistic.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from psa.autotask import schema

API_USERNAME = "rf-api@sandbox.example"
API_SECRET = "sandbox-secret"
API_INTEGRATION_CODE = "RFSANDBOXTRACKINGCODE"
API_RESOURCE_ID = 199

COMPANIES = [
    ("Acme Corp", "AcmeCorp"), ("Acme Dental", "AcmeDental"), ("Contoso Ltd", "Contoso"),
    ("Globex Corporation", "Globex"), ("Initech", "Initech"), ("Umbrella Health", "UmbrellaHealth"),
    ("Stark Logistics", "StarkLogistics"), ("Wayne Enterprises", "WayneEnt"), ("Wonka Foods", "WonkaFoods"),
    ("Hooli", "Hooli"), ("Pied Piper", "PiedPiper"), ("Northwind Traders", "Northwind"),
    ("Fabrikam Inc", "Fabrikam"), ("Tailspin Toys", "TailspinToys"), ("Blue Yonder Airlines", "BlueYonder"),
    ("Litware Inc", "Litware"), ("Adventure Works", "AdventureWorks"), ("Proseware", "Proseware"),
    ("Woodgrove Bank", "WoodgroveBank"), ("Coho Winery", "CohoWinery"),
    ("Lakeshore Dental Group", "LakeshoreDental"), ("Riverside Family Practice", "RiversideFP"),
    ("Summit Legal LLP", "SummitLegal"),
]
FIRST_COMPANY_ID = 250
OWNER_COMPANY = (0, "ResolutionFlow Sandbox MSP")
INACTIVE_COMPANY = ("Old Client Co", "OldClient")
PREMIUM = {"AcmeCorp", "Globex", "UmbrellaHealth", "WoodgroveBank", "SummitLegal", "StarkLogistics"}

# Roles (id, name): the service-desk roles a resource can work a ticket in.
ROLES = [(1, "Service Desk Technician"), (2, "Service Desk Lead"), (3, "Network Engineer"), (4, "Systems Engineer"),
         (5, "Security Analyst"), (6, "Project Engineer"), (7, "Service Coordinator"), (8, "Service Manager")]
ROLE_BY_NAME = {name: rid for rid, name in ROLES}
RESOURCES = [
    ("jsmith", "John", "Smith", "Service Desk Lead"), ("agarcia", "Ana", "Garcia", "Service Desk Technician"),
    ("mchen", "Michael", "Chen", "Network Engineer"), ("pwilliams", "Priya", "Williams", "Systems Engineer"),
    ("dnguyen", "David", "Nguyen", "Service Desk Technician"), ("kjohnson", "Kate", "Johnson", "Security Analyst"),
    ("rpatel", "Raj", "Patel", "Project Engineer"), ("lbrown", "Laura", "Brown", "Service Coordinator"),
    ("tokafor", "Tunde", "Okafor", "Network Engineer"), ("emartin", "Emma", "Martin", "Service Desk Technician"),
    ("swilson", "Sam", "Wilson", "Service Manager"),
]
FIRST_RESOURCE_ID = 101
RESOURCE_WEIGHTS = [9, 4, 3, 3, 4, 2, 2, 3, 2, 3, 0]  # jsmith gets the most work, swilson none

# Picklists: (value, label, sortOrder, isActive, isSystem, isDefault)
QUEUES = [(1, "Service Desk", 1, True, False, True), (2, "Network Operations", 2, True, False, False),
          (3, "Projects", 3, True, False, False), (4, "Security", 4, True, False, False),
          (5, "Client Portal", 5, True, True, False)]
STATUSES = [(1, "New", 1, True, True, True), (8, "In Progress", 2, True, False, False),
            (7, "Waiting Customer", 3, True, True, False), (9, "Waiting Materials", 4, True, False, False),
            (10, "Dispatched", 5, True, False, False), (11, "Escalate", 6, True, False, False),
            (12, "Waiting Vendor", 7, True, False, False), (13, "Waiting Approval", 8, True, False, False),
            (14, "On Hold", 9, False, False, False), (5, "Complete", 10, True, True, False)]
COMPLETE = 5
PRIORITIES = [(4, "Critical", 1, True, False, False), (1, "High", 2, True, False, False),
              (2, "Medium", 3, True, False, True), (3, "Low", 4, True, False, False)]
ISSUE_TYPES = [(1, "Hardware"), (2, "Software"), (3, "Network"), (4, "Security"), (5, "Account")]
SUB_ISSUE_TYPES = [(101, "Laptop", 1), (102, "Printer", 1), (103, "Server", 1), (201, "Microsoft 365", 2),
                   (202, "Line of business app", 2), (301, "Firewall", 3), (302, "Wi-Fi", 3), (303, "VPN", 3),
                   (401, "Phishing", 4), (402, "Endpoint alert", 4), (501, "Password reset", 5), (502, "New user", 5)]
TICKET_TYPES = [(1, "Service Request"), (2, "Incident"), (3, "Problem"), (4, "Change Request"), (5, "Alert")]
TICKET_CATEGORIES = [(1, "Standard", True), (3, "Alert", False)]
SOURCES = [(1, "Phone"), (2, "Email"), (4, "Client Portal"), (13, "Monitoring Alert")]
SLAS = [(1, "Standard SLA"), (2, "Premium SLA")]
NOTE_TYPES = [(1, "Task Summary", True, False), (2, "Task Detail", False, False), (3, "Task Notes", False, False),
              (13, "Workflow Rule Note - Task", False, True)]
# publish: 1 and 2 are known [M]; 3 is unverified [L], served so the provider's "anything but 1 is internal" shows.
PUBLISH = [(1, "All Autotask Users"), (2, "Internal Only"), (3, "Internal & Co-managed")]
CI_TYPES = [(1, "Workstation"), (2, "Laptop"), (3, "Server"), (4, "Firewall"), (5, "Switch"), (6, "Printer")]
RESPOND_MINUTES = {4: 15, 1: 60, 2: 240, 3: 480}

QUEUE_ISSUES = {1: [1, 2, 5], 2: [3], 3: [2, 1], 4: [4], 5: [1, 2, 5]}
SUMMARIES = {
    1: ["Outlook not syncing for {contact}", "Printer offline on 2nd floor", "Password reset for {contact}",
        "New laptop setup for {contact}", "Teams calls dropping audio", "Cannot map network drive S:",
        "OneDrive stuck on 'processing changes'", "Scanner to email not working", "Monitor flickering at front desk",
        "Excel crashes when opening shared workbook", "Add {contact} to distribution list",
        "QuickBooks license error", "Slow PC in reception", "Shared mailbox permissions for {contact}",
        "Browser pop-ups on {device}", "MFA prompt loop for {contact}", "Replace toner in {device}"],
    2: ["VPN drops every few minutes", "Firewall CPU at 95%", "Switch port flapping on {device}",
        "Wi-Fi dead zone in warehouse", "ISP circuit down at main office", "DNS resolution failures",
        "Backup job failed on {device}", "Disk space low on {device}", "Certificate expiring on {device}",
        "Site-to-site tunnel down", "High latency to cloud apps", "UPS on battery in server room"],
    3: ["Migrate file server to SharePoint", "Microsoft 365 tenant migration", "Deploy new firewall",
        "Windows 11 upgrade wave 2", "Onboard 5 new hires", "Replace core switch", "Intune enrollment rollout",
        "Server room cabling cleanup", "Upgrade line-of-business app", "Office move network build-out"],
    4: ["Phishing email reported by {contact}", "Suspicious sign-in from abroad", "EDR alert on {device}",
        "Quarterly access review", "Vulnerability scan findings", "Disable account for departed employee",
        "Possible ransomware on {device}", "Lost laptop reported by {contact}", "Impossible travel alert for {contact}"],
    5: ["Portal request: new starter for {contact}", "Portal request: software install on {device}",
        "Portal request: access to shared drive for {contact}"],
}
NOTE_TEXTS = {
    1: [("Called client", "Called {contact} and confirmed the issue."),
        ("Voicemail", "Left a voicemail for {contact}; will retry this afternoon."),
        ("Working again", "User reports it is working again after a restart."),
        ("Instructions sent", "Sent instructions by email.")],
    2: [("Event logs", "Checked event logs: repeated disconnects around 09:00."),
        ("Root cause", "Likely related to last week's update."),
        ("Vendor case", "Escalated to vendor support, case #{n}."),
        ("Parts", "Parts ordered, ETA two business days.")],
}
FIRST_NAMES = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia",
               "Logan", "Charlotte", "James", "Amelia", "Benjamin", "Harper", "Elijah", "Evelyn", "Henry"]
LAST_NAMES = ["Anderson", "Baker", "Carter", "Diaz", "Evans", "Foster", "Gray", "Hughes", "Irwin", "Jensen",
              "Kim", "Lopez", "Morgan", "Nash", "Ortiz", "Perry", "Quinn", "Reed", "Shaw", "Turner"]
CITIES = [("Springfield", "IL", "62701"), ("Portland", "OR", "97201"), ("Austin", "TX", "73301"),
          ("Columbus", "OH", "43004"), ("Denver", "CO", "80014"), ("Raleigh", "NC", "27601")]
DEVICE_KINDS = [(1, "WS", "Windows 11 Pro"), (2, "LT", "Windows 11 Pro"), (3, "SRV", "Windows Server 2022"),
                (4, "FW", "FortiOS 7.4"), (5, "SW", "Cisco IOS XE 17"), (6, "PRN", "Embedded")]


def iso(dt: datetime) -> str:
    """Autotask's date format as the sandbox writes it: UTC, milliseconds, ``Z`` (2022-era captures)."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def blank(entity: str) -> dict[str, Any]:
    """A record with every field of the entity's Swagger model, ``null`` (``[]`` for userDefinedFields)."""
    record: dict[str, Any] = dict.fromkeys(schema.properties(entity))
    if "userDefinedFields" in record:
        record["userDefinedFields"] = []
    return record


def picklist_values(rows, parent: dict[int, int] | None = None) -> list[dict]:
    out = []
    for row in rows:
        value, label = row[0], row[1]
        sort = row[2] if len(row) > 2 and isinstance(row[2], int) else 0
        active = row[3] if len(row) > 3 and isinstance(row[3], bool) else True
        system = row[4] if len(row) > 4 else False
        default = row[5] if len(row) > 5 else False
        out.append({"value": str(value), "label": label, "isDefaultValue": default, "sortOrder": sort,
                    "parentValue": str(parent[value]) if parent and value in parent else "",
                    "isActive": active, "isSystem": system})
    return out


def build_picklists() -> dict[str, dict[str, list[dict]]]:
    """entity -> field -> picklist values (``entityInformation/fields``)."""
    sub_parent = {value: parent for value, _, parent in SUB_ISSUE_TYPES}
    return {
        "Tickets": {
            "queueID": picklist_values(QUEUES),
            "status": picklist_values(STATUSES),
            "priority": picklist_values(PRIORITIES),
            "issueType": picklist_values([(v, label) for v, label in ISSUE_TYPES]),
            "subIssueType": picklist_values([(v, label) for v, label, _ in SUB_ISSUE_TYPES], sub_parent),
            "ticketType": picklist_values(TICKET_TYPES),
            "ticketCategory": picklist_values([(v, label, 0, True, False, d) for v, label, d in TICKET_CATEGORIES]),
            "source": picklist_values(SOURCES),
            "serviceLevelAgreementID": picklist_values(SLAS),
        },
        "TicketNotes": {
            "noteType": picklist_values([(v, label, 0, True, system, default) for v, label, default, system in NOTE_TYPES]),
            "publish": picklist_values(PUBLISH),
        },
        "ConfigurationItems": {"configurationItemType": picklist_values(CI_TYPES)},
        "Companies": {"companyType": picklist_values([(1, "Customer"), (3, "Prospect"), (4, "Owner"), (7, "Vendor")])},
    }


def _resource(rid: int, username: str, first: str, last: str, title: str, role: int | None, now: datetime) -> dict:
    r = blank("Resources")
    r.update(id=rid, userName=username, firstName=first, lastName=last, email=f"{username}@msp.example",
             title=title, isActive=True, resourceType="Employee", defaultServiceDeskRoleID=role, licenseType=1,
             userType=1, initials=(first[:1] + last[:1]).upper(), middleName="", officePhone="555-0100",
             dateFormat="MM/dd/yyyy", timeFormat="h:mm a", numberFormat="X,XXX.XX", payrollType=1,
             hireDate=iso(now - timedelta(days=400 + rid)), internalCost=45.0, emailTypeCode="PRIMARY")
    return r


def build_seed(seed: int, now: datetime, ticket_total: int = 640, open_target: int | None = None) -> dict:
    """The sandbox's whole state (plain JSON-able dicts) for ``seed``.

    ``ticket_total`` tickets, or, with ``open_target``, as many as it takes to have that many open ones
    (benchmarks: ``open_target=5000``)."""
    rng = random.Random(seed)
    state: dict[str, Any] = {"picklists": build_picklists(), "roles": dict(ROLES)}

    resources: dict[int, dict] = {}
    resource_roles: dict[int, list[int]] = {}
    for n, (username, first, last, title) in enumerate(RESOURCES):
        rid = FIRST_RESOURCE_ID + n
        role = ROLE_BY_NAME[title]
        resources[rid] = _resource(rid, username, first, last, title, role, now)
        resource_roles[rid] = sorted({role, ROLE_BY_NAME["Service Desk Technician"]})
    api = _resource(API_RESOURCE_ID, API_USERNAME, "ResolutionFlow", "API", "API User (system)", None, now)
    api.update(email=API_USERNAME, licenseType=7, resourceType="Employee")  # API-only user [L]: cannot be assigned
    resources[API_RESOURCE_ID] = api
    resource_roles[API_RESOURCE_ID] = []
    state["resources"], state["resource_roles"] = resources, {str(k): v for k, v in resource_roles.items()}
    assignable = [rid for rid in resources if rid != API_RESOURCE_ID]

    companies: dict[int, dict] = {}
    rows = [(OWNER_COMPANY[0], OWNER_COMPANY[1], "RFSandbox", 4, True)]
    rows += [(FIRST_COMPANY_ID + n, name, ident, 1, True) for n, (name, ident) in enumerate(COMPANIES)]
    rows.append((FIRST_COMPANY_ID + len(COMPANIES), INACTIVE_COMPANY[0], INACTIVE_COMPANY[1], 1, False))
    for cid, name, ident, ctype, active in rows:
        city, st, zipcode = CITIES[cid % len(CITIES)]
        c = blank("Companies")
        c.update(id=cid, companyName=name, companyNumber=ident, companyType=ctype, isActive=active,
                 phone=f"555-{200 + cid % 700:03d}-{1000 + cid:04d}", address1=f"{100 + cid} Main Street",
                 address2="", city=city, state=st, postalCode=zipcode, countryID=237, createDate=iso(now - timedelta(days=900 - cid)),
                 lastActivityDate=iso(now - timedelta(days=cid % 30)), ownerResourceID=FIRST_RESOURCE_ID,
                 webAddress=f"https://www.{ident.lower()}.example", isClientPortalActive=ctype == 1,
                 isTaskFireActive=False, isTaxExempt=False, isEnabledForComanaged=False, currencyID=1,
                 userDefinedFields=[], billToAddressToUse=1, invoiceTemplateID=102, quoteTemplateID=1,
                 invoiceEmailMessageID=1, quoteEmailMessageID=1, createdByResourceID=FIRST_RESOURCE_ID)
        c["lastTrackedModifiedDateTime"] = c["createDate"]
        companies[cid] = c
    state["companies"] = companies

    contacts: dict[int, dict] = {}
    configuration_items: dict[int, dict] = {}
    contact_id, ci_id = 30000, 5000
    for cid, company in companies.items():
        if cid == OWNER_COMPANY[0]:
            continue
        for k in range(rng.randint(2, 5)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            domain = company["companyNumber"].lower()
            ct = blank("Contacts")
            ct.update(id=contact_id, companyID=cid, firstName=first, lastName=last,
                      emailAddress=f"{first.lower()}.{last.lower()}@{domain}.example", phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                      mobilePhone="", isActive=1, primaryContact=k == 0, billingContact=False,
                      receivesEmailNotifications=True, isOptedOutFromBulkEmail=False,
                      createDate=iso(now - timedelta(days=rng.randint(100, 800))), title=rng.choice(["Office Manager", "Owner", "Accountant", "Receptionist", "IT Contact"]))
            ct["lastActivityDate"] = ct["lastModifiedDate"] = ct["createDate"]
            contacts[contact_id] = ct
            contact_id += 1
        for k in range(rng.randint(2, 6)):
            ctype, prefix, os_name = rng.choice(DEVICE_KINDS)
            ci = blank("ConfigurationItems")
            host = f"{company['companyNumber'][:6].upper()}-{prefix}-{k + 1:03d}"
            ci.update(id=ci_id, companyID=cid, configurationItemType=ctype, referenceTitle=host,
                      referenceNumber=rng.choice(["OptiPlex 7010", "Latitude 5440", "PowerEdge R650", "FortiGate 60F"]),
                      serialNumber=f"SN{rng.randint(10**7, 10**8 - 1)}", isActive=True, productID=1,
                      installDate=iso(now - timedelta(days=rng.randint(30, 1500))), rmmDeviceAuditHostname=host,
                      rmmDeviceAuditIPAddress=f"10.{cid % 250}.{k}.{rng.randint(2, 250)}",
                      rmmDeviceAuditOperatingSystem=os_name, rmmDeviceAuditLastUser=rng.choice(FIRST_NAMES).lower(),
                      createDate=iso(now - timedelta(days=rng.randint(30, 1500))), userDefinedFields=[])
            ci["lastModifiedTime"] = ci["createDate"]
            configuration_items[ci_id] = ci
            ci_id += 1
    state["contacts"], state["configuration_items"] = contacts, configuration_items

    contacts_by_company: dict[int, list[int]] = {}
    for ct in contacts.values():
        contacts_by_company.setdefault(ct["companyID"], []).append(ct["id"])
    cis_by_company: dict[int, list[int]] = {}
    for ci in configuration_items.values():
        cis_by_company.setdefault(ci["companyID"], []).append(ci["id"])
    client_ids = [cid for cid, c in companies.items() if cid != OWNER_COMPANY[0] and c["isActive"]]

    tickets: dict[int, dict] = {}
    notes: dict[int, dict] = {}
    secondaries: dict[int, dict] = {}
    note_id, secondary_id = 20000, 9000
    per_day: dict[str, int] = {}
    problems: list[int] = []
    open_count = 0
    n = 0
    total = ticket_total if open_target is None else None
    span = ticket_total if open_target is None else int(open_target * 1.3)
    while (n < total) if total is not None else (open_count < open_target):
        tid = 1000 + n
        queue = rng.choices([1, 2, 3, 4, 5], weights=[50, 20, 10, 15, 5])[0]
        cid = rng.choice(client_ids)
        contact = contacts[rng.choice(contacts_by_company[cid])]
        contact_name = f"{contact['firstName']} {contact['lastName']}"
        ci = configuration_items[rng.choice(cis_by_company[cid])]
        age = timedelta(minutes=int(max(span - n, 1) / span * 120 * 24 * 60 * rng.uniform(0.9, 1.0)) + 7)
        created = (now - age).replace(microsecond=rng.randint(0, 999) * 1000)
        closed = rng.random() < 0.2 and age > timedelta(hours=6)
        status = COMPLETE if closed else rng.choices([1, 8, 7, 9, 10, 11, 12, 13], weights=[25, 30, 12, 4, 6, 10, 8, 5])[0]
        priority = rng.choices([4, 1, 2, 3], weights=[5, 15, 60, 20])[0]
        issue = rng.choice(QUEUE_ISSUES[queue])
        subs = [v for v, _, parent in SUB_ISSUE_TYPES if parent == issue]
        summary = rng.choice(SUMMARIES[queue]).format(contact=contact_name, device=ci["referenceTitle"])
        day = created.strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        premium = companies[cid]["companyNumber"] in PREMIUM
        t = blank("Tickets")
        respond_due = created + timedelta(minutes=RESPOND_MINUTES[priority])
        t.update(
            id=tid, ticketNumber=f"T{day}.{per_day[day]:04d}", title=summary[:255],
            description=f"{summary}. Reported by {contact_name}.", companyID=cid, contactID=contact["id"],
            queueID=queue, status=status, priority=priority, issueType=issue, subIssueType=rng.choice(subs),
            ticketType=5 if queue == 2 and rng.random() < 0.3 else rng.choice([1, 2, 2]), ticketCategory=1,
            source=4 if queue == 5 else rng.choice([1, 2, 2, 13]), serviceLevelAgreementID=2 if premium else 1,
            createDate=iso(created), creatorResourceID=FIRST_RESOURCE_ID + 7, creatorType=1,
            dueDateTime=iso(created + timedelta(days=rng.randint(1, 10))), estimatedHours=float(rng.choice([0, 1, 2, 4])),
            hoursToBeScheduled=0.0, externalID="", purchaseOrderNumber="", resolution="",
            changeInfoField1="", changeInfoField2="", changeInfoField3="", changeInfoField4="", changeInfoField5="",
            firstResponseDueDateTime=iso(respond_due),
            resolutionPlanDueDateTime=iso(created + timedelta(minutes=RESPOND_MINUTES[priority] * 4)),
            resolvedDueDateTime=iso(created + timedelta(minutes=RESPOND_MINUTES[priority] * 12)),
            isAssignedToComanaged=False, isVisibleToComanaged=False, lastActivityPersonType=1,
            configurationItemID=ci["id"] if rng.random() < 0.4 else None, userDefinedFields=[],
        )
        if status != 1:
            t["firstResponseDateTime"] = iso(created + timedelta(minutes=rng.randint(3, RESPOND_MINUTES[priority] * 2)))
        if status in (7, 9, 10, 12, 13, COMPLETE):
            t["resolutionPlanDateTime"] = iso(created + timedelta(minutes=rng.randint(30, 600)))
        last = created + timedelta(minutes=rng.randint(0, 90))
        if closed:
            resolved = created + age * rng.uniform(0.3, 0.9)
            t["resolvedDateTime"] = t["completedDate"] = iso(resolved)
            t["resolution"] = "Resolved and confirmed with the client."
            t["serviceLevelAgreementHasBeenMet"] = rng.random() < 0.85
            last = max(last, resolved)
        t["lastActivityDate"] = t["lastTrackedModificationDateTime"] = iso(min(last, now))
        # assignment: primary (+ role) on ~80%, secondaries on a quarter of those
        if rng.random() < 0.8:
            primary = rng.choices(assignable, weights=RESOURCE_WEIGHTS)[0]
            t["assignedResourceID"], t["assignedResourceRoleID"] = primary, resources[primary]["defaultServiceDeskRoleID"]
            t["lastActivityResourceID"] = primary
            if closed:
                t["completedByResourceID"] = primary
            if rng.random() < 0.25:
                for extra in rng.sample([r for r in assignable[:10] if r != primary], k=rng.randint(1, 2)):
                    secondaries[secondary_id] = {"id": secondary_id, "ticketID": tid, "resourceID": extra,
                                                 "roleID": resources[extra]["defaultServiceDeskRoleID"]}
                    secondary_id += 1
        elif closed:
            t["completedByResourceID"] = FIRST_RESOURCE_ID
        # problems and their incidents
        if queue in (1, 2) and not closed and len(problems) < 8 and rng.random() < 0.03:
            t["ticketType"] = 3
            problems.append(tid)
        elif problems and not closed and rng.random() < 0.04:
            t["problemTicketId"] = rng.choice(problems)
            t["ticketType"] = 2
        tickets[tid] = t
        open_count += 0 if closed else 1
        # notes
        when = created
        for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]):
            when = min(when + timedelta(minutes=rng.randint(10, 600)), now)
            publish = rng.choices([1, 2, 3], weights=[50, 45, 5])[0]
            title, text = rng.choice(NOTE_TEXTS[1 if publish == 1 else 2])
            note = blank("TicketNotes")
            note.update(id=note_id, ticketID=tid, title=title,
                        description=text.format(contact=contact_name, n=rng.randint(10000, 99999)),
                        noteType=rng.choice([1, 2, 3]), publish=publish, createDateTime=iso(when),
                        lastActivityDate=iso(when), creatorResourceID=t.get("assignedResourceID") or FIRST_RESOURCE_ID)
            notes[note_id] = note
            note_id += 1
        n += 1
    state["tickets"], state["notes"], state["secondaries"] = tickets, notes, secondaries
    state["next_ids"] = {"tickets": 1000 + n, "notes": note_id, "secondaries": secondary_id}
    state["ticket_numbers"] = per_day
    return state
