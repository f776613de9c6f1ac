"""Deterministic seed data for the ConnectWise sandbox (an MSP of realistic size).

Names and ids are a contract other code and tests rely on (README: "The ConnectWise sandbox" > "Seed data"):
companies from 250, members from 101, boards 1-4 with statuses ``board*10 + 1..7``,
priorities 1-4, schedule types 4/5/6, tickets from 1000. Dates are relative to ``now``
(the sandbox passes the build time floored to the hour), so ages stay realistic.

Every reference names its record the same way everywhere: an id has one name (``SERVICE_LOCATIONS``,
``SOURCES``, ``WORK_TYPES``, ... are fixed id -> name tables). The state holds no hrefs: ``link`` adds
ConnectWise's ``_info`` ``<kind>_href`` to each reference of an object as it is served.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

API_MEMBER = "APIMember"
API_PREFIX = "/v4_6_release/apis/3.0"  # the base path every href starts with (absolute per request: app.py)

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

MEMBERS = [
    ("jsmith", "John", "Smith", "Service Desk Lead"), ("agarcia", "Ana", "Garcia", "Service Desk Technician"),
    ("mchen", "Michael", "Chen", "Network Engineer"), ("pwilliams", "Priya", "Williams", "Systems Engineer"),
    ("dnguyen", "David", "Nguyen", "Service Desk Technician"), ("kjohnson", "Kate", "Johnson", "Security Analyst"),
    ("rpatel", "Raj", "Patel", "Project Engineer"), ("lbrown", "Laura", "Brown", "Service Coordinator"),
    ("tokafor", "Tunde", "Okafor", "Network Engineer"), ("emartin", "Emma", "Martin", "Service Desk Technician"),
    ("swilson", "Sam", "Wilson", "Service Manager"),
]
FIRST_MEMBER_ID = 101
# Relative chance of being assigned; jsmith gets the most work, swilson none at all.
MEMBER_WEIGHTS = [9, 4, 3, 3, 4, 2, 2, 3, 2, 3, 0]

BOARDS = [(1, "Service Desk"), (2, "Network Operations"), (3, "Projects"), (4, "Security")]
STATUS_NAMES = ["New", "In Progress", "Waiting on Client", "Scheduled", "Escalated", "Resolved", "Closed"]
CLOSED_STATUSES = {"Resolved", "Closed"}
ESCALATION = {"New": "NotResponded", "In Progress": "Responded", "Waiting on Client": "ResolutionPlan",
              "Scheduled": "ResolutionPlan", "Escalated": "Responded", "Resolved": "Resolved", "Closed": "NoEscalation"}
BOARD_TYPES = {
    1: ["Incident", "Service Request", "Problem", "How-to"],
    2: ["Outage", "Monitoring Alert", "Change", "Maintenance"],
    3: ["Onboarding", "Migration", "Deployment", "Upgrade"],
    4: ["Phishing", "Vulnerability", "Access Review", "Incident Response"],
}

# (id, name, sortOrder, level, color, defaultFlag). The spec's Priority.color is an enum of
# colour names, so the sandbox uses those (hex codes would fail schema validation).
PRIORITIES = [
    (1, "Priority 1 - Emergency Response", 1, "Critical", "Red", False),
    (2, "Priority 2 - Quick Response", 2, "High", "Orange", False),
    (3, "Priority 3 - Normal Response", 6, "Medium", "Blue", True),
    (4, "Priority 4 - Schedule Maintenance", 8, "Low", "Green", False),
]
PRIORITY_HEX = {1: "#d32f2f", 2: "#f57c00", 3: "#1976d2", 4: "#689f38"}
SEVERITY = {1: "High", 2: "High", 3: "Medium", 4: "Low"}
RESPOND_TARGET = {1: 15, 2: 60, 3: 240, 4: 480}

SCHEDULE_TYPES = [(4, "Service", "S"), (5, "Sales", "C"), (6, "Opportunity", "O")]
SLAS = [(1, "Standard SLA"), (2, "Premium SLA")]
# Fixed id -> name tables: a reference names the same record the same way on every ticket.
SERVICE_LOCATIONS = [(1, "On-Site"), (2, "Remote"), (3, "In-house")]
SOURCES = [(1, "Email"), (2, "Phone"), (3, "Portal")]

# Time: work types (id, name, billTime, rateType, rate, overallDefaultFlag, utilizationFlag) and work roles
# (id, name, hourlyRate). The role sets the rate, the type modifies it and carries the default billability.
WORK_TYPES = [
    (1, "Regular", "Billable", "Multiplier", 1.0, True, True),
    (2, "After Hours", "Billable", "Multiplier", 1.5, False, True),
    (3, "Travel", "Billable", "Multiplier", 0.5, False, False),
    (4, "Internal", "DoNotBill", "Multiplier", 0.0, False, False),
    (5, "Warranty", "NoCharge", "Multiplier", 1.0, False, True),
]
WORK_ROLES = [
    (1, "Service Desk Technician", 95.0), (2, "Service Desk Lead", 110.0), (3, "Network Engineer", 135.0),
    (4, "Systems Engineer", 135.0), (5, "Security Analyst", 150.0), (6, "Project Engineer", 140.0),
    (7, "Service Coordinator", 75.0), (8, "Service Manager", 120.0),
]
# Board subtypes and items (ids ``100 + (board-1)*10 + k`` and ``200 + ...``). A subtype is allowed under
# the board's types listed in its typeAssociationIds; typeSubTypeItemAssociations lists each allowed
# (type, subtype) once without an item and once with one item.
BOARD_SUBTYPES = {
    1: ["Email", "Hardware", "Software", "Account", "Printing"],
    2: ["Firewall", "Switching", "Wireless", "Internet", "Backup"],
    3: ["Microsoft 365", "Server", "Network", "Endpoint"],
    4: ["Email Security", "Endpoint Security", "Identity", "Compliance"],
}
BOARD_ITEMS = {
    1: ["Outlook", "Teams", "OneDrive", "Printer", "Laptop"],
    2: ["FortiGate", "Catalyst", "Access Point", "ISP Circuit"],
    3: ["Tenant", "File Server", "Core Switch"],
    4: ["Mailbox", "EDR Agent", "Azure AD"],
}
PREMIUM = {"AcmeCorp", "Globex", "UmbrellaHealth", "WoodgroveBank", "SummitLegal", "StarkLogistics"}

FIRST_NAMES = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia",
               "Logan", "Charlotte", "James", "Amelia", "Benjamin", "Harper", "Elijah", "Evelyn", "Henry",
               "Grace", "Daniel", "Chloe", "Samuel", "Zoe", "Owen", "Nora", "Caleb", "Leah", "Isaac"]
LAST_NAMES = ["Anderson", "Baker", "Carter", "Diaz", "Evans", "Foster", "Gray", "Hughes", "Irwin", "Jensen",
              "Kim", "Lopez", "Morgan", "Nash", "Ortiz", "Perry", "Quinn", "Reed", "Shaw", "Turner", "Usman",
              "Vega", "Walsh", "Young", "Zimmer", "Brooks", "Coleman", "Duncan", "Ellis", "Fischer"]
CITIES = [("Springfield", "IL", "62701"), ("Portland", "OR", "97201"), ("Austin", "TX", "73301"),
          ("Columbus", "OH", "43004"), ("Denver", "CO", "80014"), ("Raleigh", "NC", "27601"),
          ("Madison", "WI", "53703"), ("Tampa", "FL", "33601")]

DEVICE_KINDS = [("Workstation", "WS", "Windows 11 Pro"), ("Laptop", "LT", "Windows 11 Pro"),
                ("Server", "SRV", "Windows Server 2022"), ("Firewall", "FW", "FortiOS 7.4"),
                ("Switch", "SW", "Cisco IOS XE 17"), ("Printer", "PRN", "Embedded")]
DEVICE_MODELS = {"Workstation": "OptiPlex 7010", "Laptop": "Latitude 5440", "Server": "PowerEdge R650",
                 "Firewall": "FortiGate 60F", "Switch": "Catalyst 9200", "Printer": "LaserJet M507"}
CONFIG_TYPES = {kind: 70 + i for i, (kind, _, _) in enumerate(DEVICE_KINDS)}

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
}
NOTE_TEXTS = {
    "discussion": ["Called {contact} and confirmed the issue.", "Left a voicemail for {contact}; will retry this afternoon.",
                   "User reports it is working again after a restart.", "Waiting on the client to confirm a time for the visit.",
                   "Sent instructions by email."],
    "internal": ["Checked event logs: repeated disconnects around 09:00.", "Likely related to last week's update.",
                 "Escalated to vendor support, case #{n}.", "Remote session done; cleared cached credentials.",
                 "Parts ordered, ETA two business days."],
    "resolution": ["Issue resolved; confirmed with {contact}.", "Replaced the faulty hardware; tested OK.",
                   "Applied the fix and verified with the user.", "Reconfigured the device and documented the change."],
}


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def member_ref(member: dict) -> dict:
    return {"id": member["id"], "identifier": member["identifier"], "name": member["name"]}


# --- hrefs ---------------------------------------------------------------------------------------
# ConnectWise gives every reference an ``_info`` with its record's URL under ``<kind>_href``
# (``board_href``, ``status_href``, ``company_href``, ``member_href``, ... as in a real ticket; the key of
# each kind here is the one ConnectWise uses where a real response shows it, else ``<field>_href``).
# Templates: ``{id}`` the reference's id, ``{board}``/``{company}`` the id of the object's board/company.
_BOARD_CHILD = {"status": ("status_href", "/service/boards/{board}/statuses/{id}"),
                "type": ("type_href", "/service/boards/{board}/types/{id}"),
                "subType": ("subType_href", "/service/boards/{board}/subtypes/{id}"),
                "item": ("item_href", "/service/boards/{board}/items/{id}"),
                "team": ("team_href", "/service/boards/{board}/teams/{id}")}
_COMMON = {
    "board": ("board_href", "/service/boards/{id}"),
    "company": ("company_href", "/company/companies/{id}"),
    "contact": ("contact_href", "/company/contacts/{id}"),
    "site": ("site_href", "/company/companies/{company}/sites/{id}"),
    "priority": ("priority_href", "/service/priorities/{id}"),
    "owner": ("member_href", "/system/members/{id}"),
    "member": ("member_href", "/system/members/{id}"),
    "serviceLocation": ("location_href", "/service/locations/{id}"),
    "source": ("source_href", "/service/sources/{id}"),
    "sla": ("sla_href", "/service/SLAs/{id}"),
    "currency": ("currency_href", "/finance/currencies/{id}"),
    "location": ("location_href", "/system/locations/{id}"),
    "department": ("department_href", "/system/departments/{id}"),
    "workType": ("workType_href", "/time/workTypes/{id}"),
    "workRole": ("workRole_href", "/time/workRoles/{id}"),
    "agreement": ("agreement_href", "/finance/agreements/{id}"),
    "ticket": ("ticket_href", "/service/tickets/{id}"),
    "mergedParentTicket": ("ticket_href", "/service/tickets/{id}"),
    "country": ("country_href", "/company/countries/{id}"),
}
HREFS: dict[str, dict[str, tuple[str, str]]] = {
    "tickets": {**_COMMON, **_BOARD_CHILD},
    "entries": {**_COMMON, "where": ("location_href", "/service/locations/{id}"),
                "status": ("status_href", "/schedule/statuses/{id}"), "type": ("type_href", "/schedule/types/{id}"),
                "span": ("span_href", "/schedule/spans/{id}")},
    "notes": _COMMON,
    "all_notes": _COMMON,
    "time_entries": _COMMON,
    "members": {**_COMMON, "securityRole": ("securityRole_href", "/system/securityRoles/{id}"),
                "timeZone": ("timeZoneSetup_href", "/system/timeZoneSetups/{id}")},
    "boards": _COMMON,
    "statuses": _COMMON,
    "types": _COMMON,
    "subtypes": _COMMON,
    "items": _COMMON,
    "associations": {**_COMMON, **_BOARD_CHILD},
    "companies": {**_COMMON, "status": ("status_href", "/company/companies/statuses/{id}"),
                  "types": ("type_href", "/company/companies/types/{id}"),
                  "site": ("site_href", "/company/companies/{self}/sites/{id}"),
                  "defaultContact": ("contact_href", "/company/contacts/{id}")},
    "contacts": _COMMON,
    "configurations": {**_COMMON, "type": ("type_href", "/company/configurations/types/{id}"),
                       "status": ("status_href", "/company/configurations/statuses/{id}"),
                       "manufacturer": ("manufacturer_href", "/procurement/manufacturers/{id}")},
}
# Per collection: (field, href key, template, what besides the id the template needs: 0 nothing, 1 the
# object's board id, 2 its company id, 3 its own id).
_PLANS = {collection: tuple((fld, key, template, 1 if "{board}" in template else 2 if "{company}" in template
                             else 3 if "{self}" in template else 0) for fld, (key, template) in table.items())
          for collection, table in HREFS.items()}
_info_cache: dict[tuple, dict] = {}  # one ``_info`` dict per href, shared by every answer that carries it


def _info_for(key: str, template: str, ref_id: int, needs: int, obj: dict) -> dict | None:
    """The ``_info`` of one reference of ``obj`` (shared: never edit it), or None when the board/company it
    sits under is unknown (no href rather than a wrong one)."""
    if needs:
        if needs == 3:
            where = obj.get("id")
        else:
            parent = obj.get("board" if needs == 1 else "company")
            where = parent.get("id") if type(parent) is dict else None
        if type(where) is not int:
            return None
        cache_key = (template, ref_id, where)
    else:
        where, cache_key = None, (template, ref_id)
    info = _info_cache.get(cache_key)
    if info is None:
        if len(_info_cache) > 100_000:
            _info_cache.clear()
        info = _info_cache[cache_key] = {key: API_PREFIX + template.format(id=ref_id, board=where, company=where,
                                                                             self=where)}
    return info


def link(collection: str, obj: dict, only: set[str] | frozenset[str] | None = None) -> dict:
    """``obj`` (an object of ``collection``) as served: each reference with its ``_info`` href (only the
    top-level fields in ``only``, when given: what a ``fields=`` answer keeps). A copy where anything is
    added; ``obj`` itself when nothing is. The state never holds hrefs: they are made per answer (absolute
    per request in app.py), so saved states stay small and a record edited in place still gets them."""
    plan = _PLANS.get(collection)
    if plan is None:
        return obj
    out = None
    for fld, key, template, needs in plan:
        value = obj.get(fld)
        if value is None or (only is not None and fld not in only):
            continue
        if type(value) is dict:
            ref_id = value.get("id")
            info = _info_for(key, template, ref_id, needs, obj) if type(ref_id) is int else None
            if info is not None:
                if out is None:
                    out = obj.copy()
                ref = value.copy()
                ref["_info"] = info
                out[fld] = ref
        elif type(value) is list and value and type(value[0]) is dict:
            refs = []
            for ref in value:
                ref_id = ref.get("id") if type(ref) is dict else None
                info = _info_for(key, template, ref_id, needs, obj) if type(ref_id) is int else None
                refs.append({**ref, "_info": info} if info is not None else ref)
            if out is None:
                out = obj.copy()
            out[fld] = refs
    return out if out is not None else obj


def build_seed(seed: int, now: datetime) -> dict:
    """Return the full sandbox state (plain JSON-able dicts) for ``seed``."""
    rng = random.Random(seed)
    state: dict = {}

    members = {}
    for i, (ident, first, last, title) in enumerate(MEMBERS):
        mid = FIRST_MEMBER_ID + i
        members[mid] = {
            "id": mid, "identifier": ident, "firstName": first, "lastName": last, "name": f"{first} {last}",
            "title": title, "licenseClass": "F", "inactiveFlag": False,
            "officeEmail": f"{ident}@resolutionflow-msp.example", "primaryEmail": f"{ident}@resolutionflow-msp.example",
            "defaultEmail": "Office", "officePhone": f"555-01{i:02d}", "defaultPhone": "Office",
            "hireDate": iso(now - timedelta(days=400 + 97 * i)),
            "securityRole": {"id": 63, "name": "Technician"}, "dailyCapacity": 8.0,
            **_member_zone(i),
            "workRole": dict(_ROLE_REFS[title]), "workType": dict(_WORK_TYPE_REFS[1]),
            "_info": {"lastUpdated": iso(now - timedelta(days=30)), "updatedBy": API_MEMBER},
        }
    state["members"] = members
    state["work_types"] = {
        wid: {"id": wid, "name": name, "billTime": bill, "rateType": rate_type, "rate": rate, "hoursMin": 0.0,
              "hoursMax": 0.0, "roundBillHoursTo": 0.25, "inactiveFlag": False, "overallDefaultFlag": default,
              "activityDefaultFlag": default, "utilizationFlag": utilization, "costMultiplier": 1.0,
              "_info": {"lastUpdated": iso(now - timedelta(days=300)), "updatedBy": API_MEMBER}}
        for wid, name, bill, rate_type, rate, default, utilization in WORK_TYPES
    }
    state["work_roles"] = {
        rid: {"id": rid, "name": name, "hourlyRate": rate, "inactiveFlag": False, "locationIds": [2],
              "_info": {"lastUpdated": iso(now - timedelta(days=300)), "updatedBy": API_MEMBER}}
        for rid, name, rate in WORK_ROLES
    }

    boards, statuses, types = {}, {}, {}
    for bid, bname in BOARDS:
        boards[bid] = {
            "id": bid, "name": bname, "location": {"id": 2, "name": "Head Office"},
            "department": {"id": 10, "name": "Services"}, "inactiveFlag": False, "projectFlag": bid == 3,
            "_info": {"lastUpdated": iso(now - timedelta(days=200)), "updatedBy": API_MEMBER},
        }
        for i, sname in enumerate(STATUS_NAMES, start=1):
            sid = bid * 10 + i
            statuses[sid] = {
                "id": sid, "name": sname, "board": {"id": bid, "name": bname}, "sortOrder": i,
                "displayOnBoard": sname != "Closed", "inactive": False, "closedStatus": sname in CLOSED_STATUSES,
                "timeEntryNotAllowed": sname in CLOSED_STATUSES, "defaultFlag": sname == "New",
                "escalationStatus": ESCALATION[sname], "customerPortalFlag": True, "parentId": bid,
                "_info": {"lastUpdated": iso(now - timedelta(days=200)), "updatedBy": API_MEMBER},
            }
        for k, tname in enumerate(BOARD_TYPES[bid]):
            tid = 50 + (bid - 1) * 4 + k + 1
            types[tid] = {
                "id": tid, "name": tname, "category": "Proactive" if bid == 3 else "Reactive",
                "defaultFlag": k == 0, "inactiveFlag": False, "requestForChangeFlag": tname == "Change",
                "board": {"id": bid, "name": bname}, "parentId": bid,
                "_info": {"lastUpdated": iso(now - timedelta(days=200)), "updatedBy": API_MEMBER},
            }
    state["boards"], state["statuses"], state["types"] = boards, statuses, types
    state["subtypes"], state["items"], state["associations"] = _board_choices(boards, types, now)

    state["priorities"] = {
        pid: {"id": pid, "name": name, "color": color, "sortOrder": sort, "defaultFlag": default,
              "urgencySortOrder": str(sort), "level": level,
              "_info": {"lastUpdated": iso(now - timedelta(days=300)), "updatedBy": API_MEMBER}}
        for pid, name, sort, level, color, default in PRIORITIES
    }
    state["schedule_types"] = {
        tid: {"id": tid, "name": name, "identifier": ident, "systemFlag": True,
              "_info": {"lastUpdated": iso(now - timedelta(days=300)), "updatedBy": API_MEMBER}}
        for tid, name, ident in SCHEDULE_TYPES
    }

    # companies, contacts, configurations
    companies, contacts, configs = {}, {}, {}
    contact_id, config_id = 500, 3000
    used_names: set[tuple[str, str]] = set()
    for i, (name, ident) in enumerate(COMPANIES):
        cid = FIRST_COMPANY_ID + i
        city, state_code, zip_code = CITIES[i % len(CITIES)]
        domain = ident.lower() + ".example"
        company = {
            "id": cid, "identifier": ident, "name": name, "status": {"id": 1, "name": "Active"},
            "addressLine1": f"{100 + 17 * i} Main Street", "city": city, "state": state_code, "zip": zip_code,
            "country": {"id": 1, "identifier": "US", "name": "United States"},
            "phoneNumber": f"555-2{i:02d}0", "website": f"www.{domain}", "deletedFlag": False,
            "types": [{"id": 1, "name": "Client"}], "site": {"id": 1000 + cid, "name": "Main"},
            "dateAcquired": iso(now - timedelta(days=700 + 11 * i)),
            "_info": {"lastUpdated": iso(now - timedelta(days=60 + i)), "updatedBy": API_MEMBER,
                      "dateEntered": iso(now - timedelta(days=700 + 11 * i))},
        }
        company_contacts = []
        for _ in range(rng.randint(2, 5)):
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if (first, last) not in used_names:
                    used_names.add((first, last))
                    break
            email = f"{first.lower()}.{last.lower()}@{domain}"
            phone = f"555-{rng.randint(300, 899)}-{rng.randint(1000, 9999)}"
            contacts[contact_id] = {
                "id": contact_id, "firstName": first, "lastName": last,
                "company": {"id": cid, "identifier": ident, "name": name},
                "title": rng.choice(["Office Manager", "Accountant", "Director", "Receptionist", "Engineer", "Owner"]),
                "inactiveFlag": False, "defaultPhoneType": "Direct", "defaultPhoneNbr": phone,
                "defaultFlag": not company_contacts,
                "communicationItems": [
                    {"id": contact_id * 10 + 1, "type": {"id": 1, "name": "Email"}, "value": email,
                     "defaultFlag": True, "communicationType": "Email"},
                    {"id": contact_id * 10 + 2, "type": {"id": 2, "name": "Direct"}, "value": phone,
                     "defaultFlag": True, "communicationType": "Phone"},
                ],
                "_info": {"lastUpdated": iso(now - timedelta(days=90)), "updatedBy": API_MEMBER},
            }
            company_contacts.append(contact_id)
            contact_id += 1
        first_contact = contacts[company_contacts[0]]
        company["defaultContact"] = {"id": first_contact["id"],
                                     "name": f"{first_contact['firstName']} {first_contact['lastName']}"}
        companies[cid] = company
        for n in range(rng.randint(2, 6)):
            kind, code, os_info = rng.choice(DEVICE_KINDS)
            device = f"{ident[:6].upper()}-{code}-{n + 1:02d}"
            configs[config_id] = {
                "id": config_id, "name": device, "type": {"id": CONFIG_TYPES[kind], "name": kind},
                "status": {"id": 2, "name": "Active"}, "company": {"id": cid, "identifier": ident, "name": name},
                "contact": {"id": first_contact["id"], "name": company["defaultContact"]["name"]},
                "deviceIdentifier": device, "serialNumber": f"SN{rng.randint(10**7, 10**8 - 1)}",
                "modelNumber": DEVICE_MODELS[kind],
                "ipAddress": f"10.{i}.{rng.randint(0, 9)}.{rng.randint(2, 250)}",
                "macAddress": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                "osType": os_info.split(" ")[0], "osInfo": os_info, "activeFlag": True, "billFlag": False,
                "installationDate": iso(now - timedelta(days=rng.randint(100, 1500))),
                "warrantyExpirationDate": iso(now + timedelta(days=rng.randint(-200, 900))),
                "manufacturer": {"id": 1 + DEVICE_KINDS.index((kind, code, os_info)), "name": kind + " vendor"},
                "_info": {"lastUpdated": iso(now - timedelta(days=rng.randint(1, 90))), "updatedBy": API_MEMBER},
            }
            if kind in ("Workstation", "Laptop"):
                login = contacts[rng.choice(company_contacts)]
                configs[config_id]["lastLoginName"] = f"{ident.upper()}\\{login['firstName'].lower()}"
            config_id += 1
    state["companies"], state["contacts"], state["configurations"] = companies, contacts, configs

    # tickets, notes, schedule entries
    tickets: dict[int, dict] = {}
    notes: dict[int, list[dict]] = {}
    ticket_configs: dict[int, list[int]] = {}
    entries: dict[int, dict] = {}
    note_id, entry_id = 20000, 7000
    company_ids = list(companies)
    member_ids = list(members)
    configs_by_company: dict[int, list[int]] = {}
    for cfg in configs.values():
        configs_by_company.setdefault(cfg["company"]["id"], []).append(cfg["id"])
    contacts_by_company: dict[int, list[int]] = {}
    for c in contacts.values():
        contacts_by_company.setdefault(c["company"]["id"], []).append(c["id"])

    ticket_total = 640
    for n in range(ticket_total):
        tid = 1000 + n
        bid = rng.choices([1, 2, 3, 4], weights=[55, 20, 10, 15])[0]
        company = companies[rng.choice(company_ids)]
        contact = contacts[rng.choice(contacts_by_company[company["id"]])]
        contact_name = f"{contact['firstName']} {contact['lastName']}"
        cfg_ids = configs_by_company[company["id"]]
        device = configs[rng.choice(cfg_ids)]["deviceIdentifier"]
        # older tickets have lower ids: ages run from ~120 days down to minutes
        age = timedelta(minutes=int((ticket_total - n) / ticket_total * 120 * 24 * 60 * rng.uniform(0.9, 1.0)) + 7)
        entered = now - age
        closed = rng.random() < 0.2 and age > timedelta(hours=6)
        sname = rng.choice(["Resolved", "Closed"]) if closed else rng.choices(
            ["New", "In Progress", "Waiting on Client", "Scheduled", "Escalated"], weights=[25, 30, 15, 15, 15])[0]
        status = statuses[bid * 10 + 1 + STATUS_NAMES.index(sname)]
        pid = rng.choices([1, 2, 3, 4], weights=[5, 15, 60, 20])[0]
        prio = state["priorities"][pid]
        ttype = types[50 + (bid - 1) * 4 + rng.randint(1, 4)]
        summary = rng.choice(SUMMARIES[bid]).format(contact=contact_name, device=device)
        sla = SLAS[1] if company["identifier"] in PREMIUM else SLAS[0]
        responded = entered + timedelta(minutes=rng.randint(3, RESPOND_TARGET[pid] * 2)) if sname != "New" else None
        resolved = entered + (age * rng.uniform(0.3, 0.9)) if closed else None
        last_updated = max(x for x in (entered, responded, resolved) if x) + timedelta(minutes=rng.randint(0, 90))
        last_updated = min(last_updated, now)
        updater = members[rng.choice(member_ids[:10])]["identifier"]
        in_sla = rng.random() < 0.85
        ticket = {
            "id": tid, "summary": summary[:100], "recordType": "ServiceTicket",
            "board": {"id": bid, "name": boards[bid]["name"]},
            "status": {"id": status["id"], "name": status["name"], "sort": status["sortOrder"]},
            "company": {"id": company["id"], "identifier": company["identifier"], "name": company["name"]},
            "site": dict(company["site"]), "siteName": company["site"]["name"],
            "contact": {"id": contact["id"], "name": contact_name}, "contactName": contact_name,
            "contactPhoneNumber": contact["defaultPhoneNbr"],
            "contactEmailAddress": contact["communicationItems"][0]["value"],
            "type": {"id": ttype["id"], "name": ttype["name"]},
            "priority": {"id": pid, "name": prio["name"], "sort": prio["sortOrder"], "level": prio["level"]},
            "serviceLocation": _ref(rng.choice(SERVICE_LOCATIONS)), "source": _ref(rng.choice(SOURCES)),
            "severity": SEVERITY[pid], "impact": rng.choice(["Low", "Medium", "High"]) if pid <= 2 else "Low",
            "budgetHours": float(rng.choice([0, 1, 2, 4])), "actualHours": round(rng.uniform(0, 6), 2),
            "approved": True, "customerUpdatedFlag": rng.random() < 0.1, "closedFlag": closed,
            "automaticEmailContactFlag": False, "automaticEmailResourceFlag": False, "automaticEmailCcFlag": False,
            "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
            "hasChildTicket": False, "hasMergedChildTicketFlag": False,
            "sla": {"id": sla[0], "name": sla[1]},
            "slaStatus": ("Resolved" if closed else "Waiting" if sname == "Waiting on Client"
                          else f"Respond by {iso(entered + timedelta(minutes=RESPOND_TARGET[pid]))}" if sname == "New"
                          else f"Resolve by {iso(entered + timedelta(minutes=RESPOND_TARGET[pid] * 12))}"),
            "isInSla": in_sla,
            "respondMinutes": int((responded - entered).total_seconds() // 60) if responded else 0,
            "resPlanMinutes": rng.randint(30, 600) if sname not in ("New", "In Progress") else 0,
            "resolveMinutes": int((resolved - entered).total_seconds() // 60) if resolved else 0,
            "currency": {"id": 7, "symbol": "$", "currencyCode": "USD", "name": "US Dollars"},
            "_info": {"lastUpdated": iso(last_updated), "updatedBy": updater,
                      "dateEntered": iso(entered), "enteredBy": updater},
        }
        if responded:
            ticket["dateResponded"] = iso(responded)
            ticket["respondedBy"] = updater
        if sname in ("Waiting on Client", "Scheduled") or closed:
            ticket["dateResplan"] = iso((responded or entered) + timedelta(minutes=ticket["resPlanMinutes"] or 30))
        if resolved:
            ticket["dateResolved"] = iso(resolved)
            ticket["closedDate"] = iso(resolved)
            ticket["closedBy"] = updater
            ticket["resolvedBy"] = updater
        if rng.random() < 0.05:
            ticket["requiredDate"] = iso(entered + timedelta(days=rng.randint(1, 14)))
        tickets[tid] = ticket

        # assignments (schedule entries of type S)
        k = rng.choices([0, 1, 2], weights=[15, 65, 20])[0]
        assigned: list[int] = []
        while len(assigned) < k:
            mid = rng.choices(member_ids, weights=MEMBER_WEIGHTS)[0]
            if mid not in assigned:
                assigned.append(mid)
        if assigned and rng.random() < 0.8:
            ticket["owner"] = member_ref(members[assigned[0]])
        # a few tickets also carry a finished (done) entry for someone else: it must not count
        done_extra = []
        if rng.random() < 0.08:
            mid = rng.choices(member_ids, weights=MEMBER_WEIGHTS)[0]
            if mid not in assigned:
                done_extra.append(mid)
        for mid, done in [(m, False) for m in assigned] + [(m, True) for m in done_extra]:
            start = entered + timedelta(hours=rng.randint(1, 48))
            entries[entry_id] = make_entry(entry_id, tid, f"{company['name']} / {ticket['summary']}",
                                           members[mid], state["schedule_types"][4], start,
                                           start + timedelta(hours=1), done, entered, updater)
            entry_id += 1

        # notes
        ticket_notes = []
        when = entered
        plan = [("discussion", True)] + [(rng.choice(["discussion", "internal"]), False)
                                         for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0])]
        if closed:
            plan.append(("resolution", False))
        for kind, initial in plan:
            author = members[assigned[0]] if assigned and not initial else None
            text = (f"{summary}. Reported by {contact_name}." if initial
                    else rng.choice(NOTE_TEXTS[kind]).format(contact=contact_name, n=rng.randint(10000, 99999)))
            ticket_notes.append(make_note(note_id, tid, text, kind, author, when,
                                          contact=ticket["contact"] if initial else None))
            note_id += 1
            when = min(when + timedelta(minutes=rng.randint(10, 600)), now)
        notes[tid] = ticket_notes

        if rng.random() < 0.4:
            ticket_configs[tid] = rng.sample(cfg_ids, k=min(len(cfg_ids), rng.randint(1, 2)))

    # a handful of sales activities (type C) so type filters matter
    for n in range(8):
        start = now - timedelta(days=n * 3)
        entries[entry_id] = make_entry(entry_id, 90001 + n, f"Quarterly business review #{n + 1}",
                                       members[member_ids[n % 10]], state["schedule_types"][5], start,
                                       start + timedelta(hours=1), False, start, API_MEMBER)
        entry_id += 1

    # parent / child links: children point at an older ticket of the same company
    by_company: dict[int, list[int]] = {}
    for t in tickets.values():
        by_company.setdefault(t["company"]["id"], []).append(t["id"])
    for tid in rng.sample(sorted(tickets), 24):
        older = [o for o in by_company[tickets[tid]["company"]["id"]] if o < tid and "parentTicketId" not in tickets[o]]
        if older and not tickets[tid]["hasChildTicket"]:
            parent = rng.choice(older)
            tickets[tid]["parentTicketId"] = parent
            tickets[parent]["hasChildTicket"] = True

    state["tickets"], state["notes"], state["ticket_configurations"], state["entries"] = (
        tickets, notes, ticket_configs, entries)
    state["time_entries"] = _seed_time_entries(seed, state, now)
    state["next_ids"] = {"ticket": 1000 + ticket_total, "note": note_id, "entry": entry_id,
                         "company": FIRST_COMPANY_ID + len(COMPANIES),
                         "time_entry": max(state["time_entries"], default=FIRST_TIME_ENTRY_ID - 1) + 1}
    for ticket in tickets.values():
        recompute_resources(state, ticket["id"])
    return state


FIRST_TIME_ENTRY_ID = 40000
_ROLE_REFS = {name: {"id": rid, "name": name} for rid, name, _ in WORK_ROLES}
_WORK_TYPE_REFS = {wid: {"id": wid, "name": name} for wid, name, *_ in WORK_TYPES}


# Members' own time zones (ConnectWise's time zone setups): some members set one, some leave it empty
# (the first member, which the demo and the tests map to the first user, has none).
MEMBER_ZONES = [None, (1, "US Eastern"), (3, "US Central"), (5, "US Pacific"), None, (1, "US Eastern")]


def _member_zone(index: int) -> dict:
    zone = MEMBER_ZONES[index % len(MEMBER_ZONES)]
    return {"timeZone": {"id": zone[0], "name": zone[1]}} if zone else {}


def _ref(pair: tuple[int, str]) -> dict:
    return {"id": pair[0], "name": pair[1]}


def _board_choices(boards: dict, types: dict, now: datetime) -> tuple[dict, dict, dict]:
    """Subtypes, items and the allowed (type, subtype, item) combinations of every board (no randomness)."""
    info = {"lastUpdated": iso(now - timedelta(days=200)), "updatedBy": API_MEMBER}
    subtypes, items, associations = {}, {}, {}
    assoc_id = 1
    for bid, board in boards.items():
        board_ref = {"id": bid, "name": board["name"]}
        type_ids = sorted(t["id"] for t in types.values() if t["board"]["id"] == bid)
        for k, name in enumerate(BOARD_SUBTYPES[bid]):
            sid = 100 + (bid - 1) * 10 + k + 1
            allowed = type_ids if k % 2 == 0 else type_ids[:2]  # even subtypes under every type, odd ones under two
            subtypes[sid] = {"id": sid, "name": name, "inactiveFlag": False, "typeAssociationIds": allowed,
                             "addAllTypesFlag": False, "removeAllTypesFlag": False, "board": dict(board_ref),
                             "parentId": bid, "_info": dict(info)}
        for k, name in enumerate(BOARD_ITEMS[bid]):
            iid = 200 + (bid - 1) * 10 + k + 1
            items[iid] = {"id": iid, "name": name, "inactiveFlag": False, "board": dict(board_ref), "parentId": bid,
                          "_info": dict(info)}
        board_items = [i for i in items.values() if i["board"]["id"] == bid]
        for sub in (s for s in subtypes.values() if s["board"]["id"] == bid):
            for n, tid in enumerate(sub["typeAssociationIds"]):
                item = board_items[(sub["id"] + n) % len(board_items)]
                for with_item in (None, item):
                    row = {"id": assoc_id, "type": {"id": tid, "name": types[tid]["name"]},
                           "subType": {"id": sub["id"], "name": sub["name"]}, "board": dict(board_ref),
                           "_info": dict(info)}
                    if with_item:
                        row["item"] = {"id": with_item["id"], "name": with_item["name"]}
                    associations[assoc_id] = row
                    assoc_id += 1
    return subtypes, items, associations


def _seed_time_entries(seed: int, state: dict, now: datetime) -> dict:
    """Time worked on tickets someone is (or was) scheduled on and that are past New: one entry by the first
    scheduled member (two members' on closed tickets). Each ticket's actualHours is the sum of its entries (0 without). Its own random stream,
    so the rest of the seed does not move when this changes."""
    rng = random.Random(seed * 7919 + 11)
    entries_by_ticket: dict[int, list[dict]] = {}
    for entry in state["entries"].values():
        if entry["type"]["identifier"] == "S":
            entries_by_ticket.setdefault(entry["objectId"], []).append(entry)
    time_entries: dict[int, dict] = {}
    next_id = FIRST_TIME_ENTRY_ID
    for ticket in state["tickets"].values():
        ticket["actualHours"] = 0.0
        scheduled = entries_by_ticket.get(ticket["id"], [])
        if not scheduled or ticket["status"]["name"] == "New":
            continue
        for entry in scheduled[: 2 if ticket["closedFlag"] else 1]:
            member = state["members"][entry["member"]["id"]]
            start = datetime.strptime(entry["dateStart"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=now.tzinfo)
            hours = rng.choice([0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
            work_type = state["work_types"][rng.choices([1, 2, 3, 5], weights=[80, 8, 7, 5])[0]]
            time_entries[next_id] = make_time_entry(
                state, next_id, ticket, member, work_type, start, start + timedelta(hours=hours),
                rng.choice(NOTE_TEXTS["internal"]).format(n=rng.randint(10000, 99999)), min(start + timedelta(hours=hours), now))
            next_id += 1
        recompute_actual_hours(state, ticket["id"], time_entries)
    return time_entries


def make_time_entry(state: dict, entry_id: int, ticket: dict, member: dict, work_type: dict, start: datetime,
                    end: datetime, notes: str, entered: datetime, *, billable: str | None = None,
                    work_role: dict | None = None) -> dict:
    """A time entry charged to a service ticket, its defaults as ConnectWise fills them (inferred: the
    member's work role sets the rate, the work type multiplies it and gives the billability)."""
    role = work_role or state["work_roles"].get((member.get("workRole") or {}).get("id")) or \
        next(iter(state["work_roles"].values()))
    hours = round((end - start).total_seconds() / 3600, 2)
    option = billable or work_type["billTime"]
    return {
        "id": entry_id, "company": dict(ticket["company"]), "companyType": "Client",
        "chargeToId": ticket["id"], "chargeToType": "ServiceTicket", "member": member_ref(member),
        "locationId": 2, "businessUnitId": 10, "workType": {"id": work_type["id"], "name": work_type["name"]},
        "workRole": {"id": role["id"], "name": role["name"]}, "timeStart": iso(start), "timeEnd": iso(end),
        "hoursDeduct": 0.0, "actualHours": hours, "billableOption": option, "notes": notes, "internalNotes": "",
        "addToDetailDescriptionFlag": False, "addToInternalAnalysisFlag": False, "addToResolutionFlag": False,
        "emailResourceFlag": False, "emailContactFlag": False, "emailCcFlag": False,
        "hoursBilled": hours if option == "Billable" else 0.0, "invoiceHours": hours if option == "Billable" else 0.0,
        "enteredBy": member["identifier"], "dateEntered": iso(entered),
        "hourlyRate": rate_for(role, work_type), "status": "Open",
        "_info": {"lastUpdated": iso(entered), "updatedBy": member["identifier"]},
    }


def rate_for(role: dict, work_type: dict) -> float:
    """The hourly rate: the work role's, adjusted by the work type (Multiplier, AdjAmount or Custom)."""
    base = float(role.get("hourlyRate") or 0)
    rate = float(work_type.get("rate") or 0)
    kind = work_type.get("rateType")
    if kind == "Multiplier":
        return round(base * rate, 2)
    if kind == "AdjAmount":
        return round(base + rate, 2)
    return round(rate, 2)


def recompute_actual_hours(state: dict, ticket_id: int, time_entries: dict | None = None) -> None:
    """``ticket.actualHours`` = the hours of the time entries charged to it."""
    ticket = state["tickets"].get(ticket_id)
    if ticket is None:
        return
    entries = state["time_entries"] if time_entries is None else time_entries
    ticket["actualHours"] = round(sum(e.get("actualHours") or 0 for e in entries.values()
                                      if e.get("chargeToId") == ticket_id
                                      and e.get("chargeToType") in ("ServiceTicket", "ProjectTicket")), 2)


def make_entry(entry_id, object_id, name, member, stype, start, end, done, entered, updated_by) -> dict:
    return {
        "id": entry_id, "objectId": object_id, "name": name, "member": member_ref(member),
        "where": _ref(SERVICE_LOCATIONS[0]), "dateStart": iso(start), "dateEnd": iso(end),
        "status": {"id": 2, "name": "Firm"},
        "type": {"id": stype["id"], "identifier": stype["identifier"]},
        "span": {"id": 1, "identifier": "None"},
        "doneFlag": done, "acknowledgedFlag": False, "ownerFlag": False, "meetingFlag": False,
        "allowScheduleConflictsFlag": True, "addMemberToProjectFlag": False,
        "hours": round((end - start).total_seconds() / 3600, 2),
        "_info": {"lastUpdated": iso(entered), "updatedBy": updated_by, "dateEntered": iso(entered)},
    }


def make_note(note_id, ticket_id, text, kind, member, when, contact=None, created_by=None) -> dict:
    note = {
        "id": note_id, "ticketId": ticket_id, "text": text,
        "detailDescriptionFlag": kind == "discussion", "internalAnalysisFlag": kind == "internal",
        "resolutionFlag": kind == "resolution", "issueFlag": False,
        "customerUpdatedFlag": False, "processNotifications": False,
        "dateCreated": iso(when), "createdBy": member["identifier"] if member else (created_by or API_MEMBER),
        "internalFlag": kind == "internal", "externalFlag": kind != "internal",
        "_info": {"lastUpdated": iso(when), "updatedBy": member["identifier"] if member else (created_by or API_MEMBER)},
    }
    if member:
        note["member"] = member_ref(member)
    if contact:
        note["contact"] = dict(contact)
    return note


def recompute_resources(state: dict, ticket_id: int, entries=None) -> None:
    """``ticket.resources`` = identifiers of the ticket's non-done type-S entries, in entry order (``entries``:
    the ones to look at, when the caller knows which can be the ticket's; default: all of them)."""
    ticket = state["tickets"].get(ticket_id)
    if ticket is None:
        return
    idents: list[str] = []
    for entry in state["entries"].values() if entries is None else entries:
        if (entry["objectId"] == ticket_id and entry["type"]["identifier"] == "S" and not entry["doneFlag"]
                and entry.get("member")):
            ident = entry["member"]["identifier"]
            if ident not in idents:
                idents.append(ident)
    if idents:
        ticket["resources"] = ", ".join(idents)
    else:
        ticket.pop("resources", None)
