"""The sandbox at MSP scale: generated reference data and a compact "genome" per ticket (issue 17).

``CWSandbox(scale="large")`` serves about 5,000 companies, 20,000 contacts, 12,500 configurations, 300 members,
12 boards and 200,000 tickets. Held as dicts the way the default seed is, that would be gigabytes; so the
reference data (members, boards, companies, contacts, configurations…) are dicts as usual, but a ticket is one
row of plain values (:data:`GENOME`: board, status, company, assignees, dates, summary…). Everything else about
it is *derived* when it is served, deterministically, from the row and a random stream of its own
(:func:`ticket_rng`): the full ticket (:func:`materialize_ticket`) and its family (:func:`family_of`): schedule
entries (every assigned ticket; done once closed), notes and time entries (tickets entered in the last
``recent_days`` only, as an MSP's recent work) and configuration links. ``store.World`` keeps the rows in SQLite,
indexed for the queries ConnectWise answers from SQL Server, and keeps what writes change as ordinary dicts.

The first records are the default seed's (companies from 250 with Acme Corp first, members from 101 with jsmith
first, boards 1-4 and their statuses ``board*10 + 1..7``, priorities 1-4), so prompts, tests and the benchmarks
that name them work at both scales. A :class:`Scale` of other sizes serves tests (``Scale.sized(tickets=5000)``).
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .seed import (
    API_MEMBER,
    BOARD_ITEMS,
    BOARD_SUBTYPES,
    BOARD_TYPES,
    BOARDS,
    CITIES,
    CLOSED_STATUSES,
    COMPANIES,
    CONFIG_TYPES,
    DEVICE_KINDS,
    DEVICE_MODELS,
    ESCALATION,
    FIRST_COMPANY_ID,
    FIRST_MEMBER_ID,
    FIRST_NAMES,
    LAST_NAMES,
    MEMBER_WEIGHTS,
    MEMBERS,
    NOTE_TEXTS,
    PREMIUM,
    PRIORITIES,
    RESPOND_TARGET,
    SCHEDULE_TYPES,
    SERVICE_LOCATIONS,
    SEVERITY,
    SLAS,
    SOURCES,
    STATUS_NAMES,
    SUMMARIES,
    WORK_ROLES,
    WORK_TYPES,
    iso,
    make_entry,
    make_note,
    make_time_entry,
    member_ref,
)

FIRST_TICKET_ID = 1000
# Ids of the derived records: a function of the ticket id, so a record is found from its id alone.
ENTRY_BASE, ENTRIES_PER_TICKET = 10_000_000, 4  # schedule entries (at most 3 assignees, one done extra)
NOTE_BASE, NOTES_PER_TICKET = 20_000_000, 8
TIME_BASE, TIMES_PER_TICKET = 40_000_000, 2
# Counters for records created through the API start above every derived id.
NEXT_ENTRY_ID, NEXT_NOTE_ID, NEXT_TIME_ENTRY_ID = 11_000_000, 30_000_000, 41_000_000


@dataclass(frozen=True)
class Scale:
    """How big a generated sandbox is. ``contacts``/``configurations`` are per company (inclusive ranges)."""

    name: str
    companies: int
    members: int
    boards: int
    tickets: int
    years: float = 5.0  # the tickets' history
    recent_days: int = 60  # tickets entered this recently carry notes and time entries
    contacts: tuple[int, int] = (2, 6)
    configurations: tuple[int, int] = (1, 4)

    @classmethod
    def sized(cls, **sizes) -> Scale:
        """The large scale with some sizes changed (tests: ``Scale.sized(tickets=5000, companies=300)``)."""
        return replace(LARGE, name="custom", **sizes)


LARGE = Scale("large", companies=5000, members=300, boards=12, tickets=200_000)
SCALES = {"large": LARGE}
SCALE_NAMES = ("default", *SCALES)


def scale_named(scale: str | Scale | None) -> Scale | None:
    """The :class:`Scale` for ``scale`` (None for the default seed); a ValueError names the choices."""
    if scale is None or isinstance(scale, Scale):
        return scale
    name = str(scale).strip().lower()
    if name == "default":
        return None
    if name not in SCALES:
        raise ValueError(f"unknown sandbox scale {scale!r}; expected one of {', '.join(SCALE_NAMES)}")
    return SCALES[name]


# --- reference data ----------------------------------------------------------------------------------

# Boards 5-12 borrow types, subtypes, items and summaries from one of the first four (their "template").
EXTRA_BOARDS = [("Help Desk Tier 2", 1), ("Cloud Services", 2), ("Backup & Recovery", 2), ("Field Services", 1),
                ("Onboarding", 3), ("Procurement", 3), ("Managed Print", 1), ("Compliance", 4)]
BOARD_WEIGHTS = [55, 20, 10, 15, 6, 5, 4, 4, 3, 2, 2, 2]
# Generated client names ("Harbor Dental Group", "Pinefield Plumbing LLC").
NAME_FIRST = ["Harbor", "Pine", "Cedar", "Silver", "Oak", "Maple", "Granite", "Eagle", "Falcon", "Bright", "Iron",
              "Crystal", "Golden", "Prairie", "Liberty", "Willow", "Aspen", "Birch", "Copper", "Lantern", "Beacon",
              "Anchor", "Keystone", "Heritage", "Pioneer", "Sterling", "Trinity", "Legacy", "Vista", "Horizon",
              "Juniper", "Summitview", "Redwood", "Bluewater", "Ironbridge", "Oakhurst", "Stonegate", "Fairview"]
NAME_TAIL = ["wood", "field", "ton", "ville", "gate", "brook", "ridge", "haven", "crest", "dale"]
NAME_TRADE = ["Dental", "Legal", "Logistics", "Foods", "Bank", "Winery", "Health", "Works", "Traders", "Toys",
              "Motors", "Plumbing", "Roofing", "Realty", "Clinic", "Insurance", "Accounting", "Bakery", "Farms",
              "Labs", "Studios", "Veterinary", "Pharmacy", "Construction", "Architects", "Brewing", "Hotel",
              "Credit Union", "Orthodontics", "Chiropractic", "Engineering", "Supply", "Electric", "Landscaping",
              "Family Practice", "Property Management", "Auto Repair", "Wealth Advisors", "Marine", "Printing"]
NAME_SUFFIX = ["", "", "", "Inc", "LLC", "Ltd", "Group", "Corp", "Co", "Partners"]
MEMBER_FIRST = ["Alex", "Blake", "Casey", "Dana", "Eli", "Farah", "Gina", "Hugo", "Ivan", "Jade", "Kiran", "Lena",
                "Marco", "Nadia", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Yara",
                "Zane", "Bruno", "Clara", "Dmitri", "Elena", "Felix"]
TITLES = [name for _, name, _ in WORK_ROLES]
_ROLES = {name: {"id": rid, "name": name} for rid, name, _ in WORK_ROLES}


def board_template(board_id: int) -> int:
    """The first-four board whose types, subtypes, items and summaries board ``board_id`` uses."""
    return board_id if board_id <= 4 else EXTRA_BOARDS[board_id - 5][1]


def _info(when: datetime) -> dict:
    return {"lastUpdated": iso(when), "updatedBy": API_MEMBER}


def build_reference(seed: int, now: datetime, scale: Scale) -> dict:
    """Every collection but the tickets' families, as plain dicts (the shape ``seed.build_seed`` gives them)."""
    rng = random.Random(seed * 7_919 + 17)
    state: dict = {}
    state["members"] = _members(scale, now)
    state["work_types"] = {
        wid: {"id": wid, "name": name, "billTime": bill, "rateType": rate_type, "rate": rate, "hoursMin": 0.0,
              "hoursMax": 0.0, "roundBillHoursTo": 0.25, "inactiveFlag": False, "overallDefaultFlag": default,
              "activityDefaultFlag": default, "utilizationFlag": utilization, "costMultiplier": 1.0,
              "_info": _info(now - timedelta(days=300))}
        for wid, name, bill, rate_type, rate, default, utilization in WORK_TYPES}
    state["work_roles"] = {
        rid: {"id": rid, "name": name, "hourlyRate": rate, "inactiveFlag": False, "locationIds": [2],
              "_info": _info(now - timedelta(days=300))}
        for rid, name, rate in WORK_ROLES}
    _boards(state, scale, now)
    state["priorities"] = {
        pid: {"id": pid, "name": name, "color": color, "sortOrder": sort, "defaultFlag": default,
              "urgencySortOrder": str(sort), "level": level, "_info": _info(now - timedelta(days=300))}
        for pid, name, sort, level, color, default in PRIORITIES}
    state["schedule_types"] = {
        tid: {"id": tid, "name": name, "identifier": ident, "systemFlag": True,
              "_info": _info(now - timedelta(days=300))}
        for tid, name, ident in SCHEDULE_TYPES}
    _companies(state, scale, now, rng)
    return state


def _members(scale: Scale, now: datetime) -> dict:
    """The default seed's eleven, then generated engineers (unique identifiers: first initial + last name)."""
    people = [(ident, first, last, title) for ident, first, last, title in MEMBERS]
    used = {ident for ident, *_ in people}
    n = 0
    while len(people) < scale.members:
        first = MEMBER_FIRST[n % len(MEMBER_FIRST)]
        last = LAST_NAMES[(n // len(MEMBER_FIRST) * 7 + n) % len(LAST_NAMES)]
        ident = (first[0] + last).lower()
        suffix = 2
        while ident in used:
            ident = f"{(first[0] + last).lower()}{suffix}"
            suffix += 1
        used.add(ident)
        people.append((ident, first, last, TITLES[n % len(TITLES)]))
        n += 1
    members = {}
    for i, (ident, first, last, title) in enumerate(people[: scale.members]):
        mid = FIRST_MEMBER_ID + i
        members[mid] = {
            "id": mid, "identifier": ident, "firstName": first, "lastName": last, "name": f"{first} {last}",
            "title": title, "licenseClass": "F", "inactiveFlag": False,
            "officeEmail": f"{ident}@resolutionflow-msp.example", "primaryEmail": f"{ident}@resolutionflow-msp.example",
            "defaultEmail": "Office", "officePhone": f"555-{100 + i:04d}", "defaultPhone": "Office",
            "hireDate": iso(now - timedelta(days=400 + 97 * (i % 40))),
            "securityRole": {"id": 63, "name": "Technician"}, "dailyCapacity": 8.0,
            "timeZone": {"id": 1, "name": "US Eastern"},
            "workRole": dict(_ROLES[title]), "workType": {"id": 1, "name": "Regular"},
            "_info": _info(now - timedelta(days=30)),
        }
    return members


def member_weights(members: dict) -> list[int]:
    """Relative chance of being assigned, per member in id order: the default seed's eleven (swilson none),
    then a mix in which one in six generated engineers (managers, sales engineers) gets no tickets."""
    weights = []
    for i, mid in enumerate(sorted(members)):
        weights.append(MEMBER_WEIGHTS[i] * 3 if i < len(MEMBER_WEIGHTS) else (0, 2, 3, 4, 5, 8)[(mid * 7) % 6])
    return weights


def _boards(state: dict, scale: Scale, now: datetime) -> None:
    names = list(BOARDS) + [(5 + i, name) for i, (name, _) in enumerate(EXTRA_BOARDS)]
    boards, statuses, types, subtypes, items, associations = {}, {}, {}, {}, {}, {}
    info = _info(now - timedelta(days=200))
    assoc_id = 1
    for bid, bname in names[: scale.boards]:
        template = board_template(bid)
        ref = {"id": bid, "name": bname}
        boards[bid] = {"id": bid, "name": bname, "location": {"id": 2, "name": "Head Office"},
                       "department": {"id": 10, "name": "Services"}, "inactiveFlag": False,
                       "projectFlag": template == 3, "_info": dict(info)}
        for i, sname in enumerate(STATUS_NAMES, start=1):
            sid = bid * 10 + i
            statuses[sid] = {
                "id": sid, "name": sname, "board": dict(ref), "sortOrder": i, "displayOnBoard": sname != "Closed",
                "inactive": False, "closedStatus": sname in CLOSED_STATUSES,
                "timeEntryNotAllowed": sname in CLOSED_STATUSES, "defaultFlag": sname == "New",
                "escalationStatus": ESCALATION[sname], "customerPortalFlag": True, "parentId": bid, "_info": dict(info)}
        type_ids = []
        for k, tname in enumerate(BOARD_TYPES[template]):
            tid = 50 + (bid - 1) * 4 + k + 1
            type_ids.append(tid)
            types[tid] = {"id": tid, "name": tname, "category": "Proactive" if template == 3 else "Reactive",
                          "defaultFlag": k == 0, "inactiveFlag": False, "requestForChangeFlag": tname == "Change",
                          "board": dict(ref), "parentId": bid, "_info": dict(info)}
        board_subtypes = []
        for k, name in enumerate(BOARD_SUBTYPES[template]):
            sid = 1000 + bid * 10 + k + 1
            allowed = type_ids if k % 2 == 0 else type_ids[:2]
            subtypes[sid] = {"id": sid, "name": name, "inactiveFlag": False, "typeAssociationIds": allowed,
                             "addAllTypesFlag": False, "removeAllTypesFlag": False, "board": dict(ref),
                             "parentId": bid, "_info": dict(info)}
            board_subtypes.append(subtypes[sid])
        board_items = []
        for k, name in enumerate(BOARD_ITEMS[template]):
            iid = 2000 + bid * 10 + k + 1
            items[iid] = {"id": iid, "name": name, "inactiveFlag": False, "board": dict(ref), "parentId": bid,
                          "_info": dict(info)}
            board_items.append(items[iid])
        for sub in board_subtypes:
            for n, tid in enumerate(sub["typeAssociationIds"]):
                item = board_items[(sub["id"] + n) % len(board_items)]
                for with_item in (None, item):
                    row = {"id": assoc_id, "type": {"id": tid, "name": types[tid]["name"]},
                           "subType": {"id": sub["id"], "name": sub["name"]}, "board": dict(ref), "_info": dict(info)}
                    if with_item:
                        row["item"] = {"id": with_item["id"], "name": with_item["name"]}
                    associations[assoc_id] = row
                    assoc_id += 1
    state.update(boards=boards, statuses=statuses, types=types, subtypes=subtypes, items=items,
                 associations=associations)


def _company_names(scale: Scale, rng: random.Random) -> list[tuple[str, str]]:
    """The default seed's companies, then generated unique (name, identifier) pairs."""
    out = list(COMPANIES)
    names = {name.casefold() for name, _ in out}
    idents = {ident.casefold() for _, ident in out}
    while len(out) < scale.companies:
        first = rng.choice(NAME_FIRST)
        if rng.random() < 0.4:
            first += rng.choice(NAME_TAIL)
        name = " ".join(filter(None, [first, rng.choice(NAME_TRADE), rng.choice(NAME_SUFFIX)]))
        if name.casefold() in names:
            continue
        base = "".join(ch for ch in name if ch.isalnum())[:22]
        ident, n = base, 2
        while ident.casefold() in idents:
            ident, n = f"{base}{n}", n + 1
        names.add(name.casefold())
        idents.add(ident.casefold())
        out.append((name, ident))
    return out[: scale.companies]


def _companies(state: dict, scale: Scale, now: datetime, rng: random.Random) -> None:
    companies, contacts, configs = {}, {}, {}
    contact_id, config_id = 500, 3000
    for i, (name, ident) in enumerate(_company_names(scale, rng)):
        cid = FIRST_COMPANY_ID + i
        city, state_code, zip_code = CITIES[i % len(CITIES)]
        domain = ident.lower() + ".example"
        company = {
            "id": cid, "identifier": ident, "name": name, "status": {"id": 1, "name": "Active"},
            "addressLine1": f"{100 + 17 * (i % 500)} Main Street", "city": city, "state": state_code, "zip": zip_code,
            "country": {"id": 1, "identifier": "US", "name": "United States"},
            "phoneNumber": f"555-{2000 + i:04d}", "website": f"www.{domain}", "deletedFlag": False,
            "types": [{"id": 1, "name": "Client"}], "site": {"id": 1000 + cid, "name": "Main"},
            "dateAcquired": iso(now - timedelta(days=700 + 11 * (i % 300))),
            "_info": {"lastUpdated": iso(now - timedelta(days=60 + i % 300)), "updatedBy": API_MEMBER,
                      "dateEntered": iso(now - timedelta(days=700 + 11 * (i % 300)))},
        }
        company_contacts: list[int] = []
        emails: set[str] = set()
        for _ in range(rng.randint(*scale.contacts)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@{domain}"
            n = 2
            while email in emails:
                email, n = f"{first.lower()}.{last.lower()}{n}@{domain}", n + 1
            emails.add(email)
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
                "_info": _info(now - timedelta(days=90)),
            }
            company_contacts.append(contact_id)
            contact_id += 1
        first_contact = contacts[company_contacts[0]]
        company["defaultContact"] = {"id": first_contact["id"],
                                     "name": f"{first_contact['firstName']} {first_contact['lastName']}"}
        companies[cid] = company
        for n in range(rng.randint(*scale.configurations)):
            kind, code, os_info = DEVICE_KINDS[rng.randrange(len(DEVICE_KINDS))]
            device = f"{ident[:6].upper()}-{code}-{n + 1:02d}"
            configs[config_id] = {
                "id": config_id, "name": device, "type": {"id": CONFIG_TYPES[kind], "name": kind},
                "status": {"id": 2, "name": "Active"}, "company": {"id": cid, "identifier": ident, "name": name},
                "contact": {"id": first_contact["id"], "name": company["defaultContact"]["name"]},
                "deviceIdentifier": device, "serialNumber": f"SN{rng.randint(10**7, 10**8 - 1)}",
                "modelNumber": DEVICE_MODELS[kind], "ipAddress": f"10.{i % 250}.{rng.randint(0, 9)}.{rng.randint(2, 250)}",
                "macAddress": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                "osType": os_info.split(" ")[0], "osInfo": os_info, "activeFlag": True, "billFlag": False,
                "installationDate": iso(now - timedelta(days=rng.randint(100, 1500))),
                "warrantyExpirationDate": iso(now + timedelta(days=rng.randint(-200, 900))),
                "manufacturer": {"id": 1 + DEVICE_KINDS.index((kind, code, os_info)), "name": kind + " vendor"},
                "_info": _info(now - timedelta(days=rng.randint(1, 90))),
            }
            if kind in ("Workstation", "Laptop"):
                login = contacts[rng.choice(company_contacts)]
                configs[config_id]["lastLoginName"] = f"{ident.upper()}\\{login['firstName'].lower()}"
            config_id += 1
    state["companies"], state["contacts"], state["configurations"] = companies, contacts, configs


# --- the tickets' genome -------------------------------------------------------------------------------

# One row per ticket: what its queries filter on and what its derived records need. Times are epoch seconds.
GENOME = ("id", "board_id", "status_id", "priority_id", "company_id", "contact_id", "type_id", "owner_id",
          "closed", "entered", "responded", "resolved", "last_updated", "summary", "assignees", "parent_id",
          "has_child", "updater_id", "device")
OPEN_STATUSES = ["New", "In Progress", "Waiting on Client", "Scheduled", "Escalated"]
OPEN_WEIGHTS = [25, 30, 15, 15, 15]


def open_chance(age_days: float) -> float:
    """How likely a ticket this old is still open: most of an MSP's history is closed."""
    if age_days < 3:
        return 0.6
    if age_days < 14:
        return 0.35
    if age_days < 60:
        return 0.12
    return 0.01


def generate_genome(seed: int, now: datetime, scale: Scale, reference: dict):
    """Yield the ticket rows (tuples in :data:`GENOME` order), oldest first, deterministically. Companies get
    tickets in a long tail (a few clients raise most of them), engineers by weight (some none)."""
    rng = random.Random(seed * 104_729 + 3)
    n_total = scale.tickets
    company_ids = sorted(reference["companies"])
    ranks = list(range(1, len(company_ids) + 1))
    rng.shuffle(ranks)
    company_pick = rng.choices(company_ids, weights=[1.0 / (r + 20) for r in ranks], k=n_total)
    board_ids = sorted(reference["boards"])
    board_pick = rng.choices(board_ids, weights=BOARD_WEIGHTS[: len(board_ids)], k=n_total)
    priority_pick = rng.choices([1, 2, 3, 4], weights=[5, 15, 60, 20], k=n_total)
    member_ids = sorted(reference["members"])
    weights = member_weights(reference["members"])
    member_cum = list(itertools.accumulate(weights))
    assignee_count = rng.choices([0, 1, 2], weights=[15, 65, 20], k=n_total)
    updaters = [mid for mid, w in zip(member_ids, weights, strict=True) if w]
    contacts_by_company: dict[int, list[int]] = {}
    for contact in reference["contacts"].values():
        contacts_by_company.setdefault(contact["company"]["id"], []).append(contact["id"])
    devices_by_company: dict[int, list[str]] = {}
    for cfg in reference["configurations"].values():
        devices_by_company.setdefault(cfg["company"]["id"], []).append(cfg["deviceIdentifier"])
    contact_names = {cid: f"{c['firstName']} {c['lastName']}" for cid, c in reference["contacts"].items()}
    span = scale.years * 365 * 86400
    now_s = int(now.timestamp())
    recent_by_company: dict[int, list[int]] = {}
    children: dict[int, int] = {}
    rows = []
    random_ = rng.random

    def between(low: int, high: int) -> int:  # randint without its per-call checks (200,000 tickets)
        return low + int(random_() * (high - low + 1))

    def pick(seq):
        return seq[int(random_() * len(seq))]

    open_cum = list(itertools.accumulate(OPEN_WEIGHTS))
    status_offset = {name: 1 + i for i, name in enumerate(STATUS_NAMES)}
    for n in range(n_total):
        tid = FIRST_TICKET_ID + n
        age = int(span * (n_total - n) / n_total * (0.97 + 0.03 * random_())) + 420
        entered = now_s - age
        closed = random_() >= open_chance(age / 86400) and age > 6 * 3600
        bid = board_pick[n]
        template = board_template(bid)
        sname = ("Resolved" if random_() < 0.5 else "Closed") if closed else \
            OPEN_STATUSES[bisect.bisect(open_cum, random_() * open_cum[-1])]
        status_id = bid * 10 + status_offset[sname]
        pid = priority_pick[n]
        company_id = company_pick[n]
        contact_id = pick(contacts_by_company[company_id])
        type_id = 50 + (bid - 1) * 4 + between(1, len(BOARD_TYPES[template]))
        device = pick(devices_by_company.get(company_id) or ["PC-01"])
        summary = pick(SUMMARIES[template]).format(contact=contact_names[contact_id], device=device)[:100]
        responded = entered + between(3, RESPOND_TARGET[pid] * 2) * 60 if sname != "New" else None
        resolved = entered + min(int(age * (0.3 + 0.6 * random_())), between(3600, 14 * 86400)) if closed else None
        latest = max(entered, responded or 0, resolved or 0)
        last_updated = min(latest + between(0, 90) * 60, now_s)
        assigned: list[int] = []
        while len(assigned) < assignee_count[n]:
            mid = member_ids[bisect.bisect(member_cum, random_() * member_cum[-1])]
            if mid not in assigned:
                assigned.append(mid)
        owner = assigned[0] if assigned and random_() < 0.8 else None
        parent = None
        earlier = recent_by_company.setdefault(company_id, [])
        if earlier and random_() < 0.004:
            parent = pick(earlier)
            if parent in children:
                parent = None  # one level of bundles: a child is never a parent
            else:
                children[tid] = parent
        earlier.append(tid)
        if len(earlier) > 5:
            del earlier[0]
        rows.append((tid, bid, status_id, pid, company_id, contact_id, type_id, owner, int(closed), entered,
                     responded, resolved, last_updated, summary, ",".join(map(str, assigned)), parent, 0,
                     pick(updaters), device))
    parents = set(children.values())
    has_child = GENOME.index("has_child")
    for i, row in enumerate(rows):
        if row[0] in parents:
            rows[i] = row[:has_child] + (1,) + row[has_child + 1:]
    return rows


# --- a ticket and its family, derived from its row -----------------------------------------------------------


def ticket_rng(seed: int, ticket_id: int) -> random.Random:
    """The random stream of one ticket's derived details (the same every time it is served)."""
    return random.Random(seed * 1_000_003 + ticket_id)


def _when(epoch: int | None) -> str | None:
    return None if epoch is None else iso(datetime.fromtimestamp(epoch, UTC))


class Materializer:
    """Builds the served records of base tickets from their genome rows (read-only use of ``reference``)."""

    def __init__(self, seed: int, now: datetime, scale: Scale, reference: dict):
        self.seed, self.now, self.scale, self.ref = seed, now, scale, reference
        self.recent_since = int((now - timedelta(days=scale.recent_days)).timestamp())
        self.premium = {c["id"] for c in reference["companies"].values() if c["identifier"] in PREMIUM}
        self._configs_by_company: dict[int, list[int]] | None = None

    def configs_by_company(self) -> dict[int, list[int]]:
        if self._configs_by_company is None:
            out: dict[int, list[int]] = {}
            for cfg in self.ref["configurations"].values():
                out.setdefault(cfg["company"]["id"], []).append(cfg["id"])
            self._configs_by_company = out
        return self._configs_by_company

    def ticket(self, row: tuple) -> dict:
        """The ticket a genome row describes, shaped as the default seed's tickets (without its family's
        contributions: ``resources`` and ``actualHours`` are set by :meth:`family`)."""
        (tid, bid, status_id, pid, company_id, contact_id, type_id, owner_id, closed, entered, responded, resolved,
         last_updated, summary, assignees, parent_id, has_child, updater_id, _device) = row
        ref = self.ref
        rng = ticket_rng(self.seed, tid)
        board, status, prio = ref["boards"][bid], ref["statuses"][status_id], ref["priorities"][pid]
        company, contact = ref["companies"][company_id], ref["contacts"][contact_id]
        contact_name = f"{contact['firstName']} {contact['lastName']}"
        ttype = ref["types"][type_id]
        sla = SLAS[1] if company_id in self.premium else SLAS[0]
        updater = ref["members"][updater_id]["identifier"]
        entered_iso = _when(entered)
        sname = status["name"]
        res_plan = rng.randint(30, 600) if sname not in ("New", "In Progress") else 0
        ticket = {
            "id": tid, "summary": summary, "recordType": "ServiceTicket",
            "board": {"id": bid, "name": board["name"]},
            "status": {"id": status_id, "name": sname, "sort": status["sortOrder"]},
            "company": {"id": company_id, "identifier": company["identifier"], "name": company["name"]},
            "site": dict(company["site"]), "siteName": company["site"]["name"],
            "contact": {"id": contact_id, "name": contact_name}, "contactName": contact_name,
            "contactPhoneNumber": contact["defaultPhoneNbr"],
            "contactEmailAddress": contact["communicationItems"][0]["value"],
            "type": {"id": type_id, "name": ttype["name"]},
            "priority": {"id": pid, "name": prio["name"], "sort": prio["sortOrder"], "level": prio["level"]},
            "serviceLocation": dict(zip(("id", "name"), SERVICE_LOCATIONS[rng.randrange(3)], strict=True)),
            "source": dict(zip(("id", "name"), SOURCES[rng.randrange(3)], strict=True)),
            "severity": SEVERITY[pid], "impact": rng.choice(["Low", "Medium", "High"]) if pid <= 2 else "Low",
            "budgetHours": float(rng.choice([0, 1, 2, 4])), "actualHours": 0.0,
            "approved": True, "customerUpdatedFlag": rng.random() < 0.1, "closedFlag": bool(closed),
            "automaticEmailContactFlag": False, "automaticEmailResourceFlag": False, "automaticEmailCcFlag": False,
            "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
            "hasChildTicket": bool(has_child), "hasMergedChildTicketFlag": False,
            "sla": {"id": sla[0], "name": sla[1]},
            "slaStatus": ("Resolved" if closed else "Waiting" if sname == "Waiting on Client"
                          else f"Respond by {_when(entered + RESPOND_TARGET[pid] * 60)}" if sname == "New"
                          else f"Resolve by {_when(entered + RESPOND_TARGET[pid] * 12 * 60)}"),
            "isInSla": rng.random() < 0.85,
            "respondMinutes": (responded - entered) // 60 if responded else 0,
            "resPlanMinutes": res_plan,
            "resolveMinutes": (resolved - entered) // 60 if resolved else 0,
            "currency": {"id": 7, "symbol": "$", "currencyCode": "USD", "name": "US Dollars"},
            "_info": {"lastUpdated": _when(last_updated), "updatedBy": updater, "dateEntered": entered_iso,
                      "enteredBy": updater},
        }
        if responded:
            ticket["dateResponded"] = _when(responded)
            ticket["respondedBy"] = updater
        if sname in ("Waiting on Client", "Scheduled") or closed:
            ticket["dateResplan"] = _when((responded or entered) + (res_plan or 30) * 60)
        if resolved:
            ticket["dateResolved"] = ticket["closedDate"] = _when(resolved)
            ticket["closedBy"] = ticket["resolvedBy"] = updater
        if rng.random() < 0.05:
            ticket["requiredDate"] = _when(entered + rng.randint(1, 14) * 86400)
        if owner_id is not None:
            ticket["owner"] = member_ref(ref["members"][owner_id])
        if parent_id is not None:
            ticket["parentTicketId"] = parent_id
        members = [int(m) for m in assignees.split(",") if m]
        if members and not closed:
            ticket["resources"] = ", ".join(ref["members"][m]["identifier"] for m in members)
        plan = self._time_plan(row)
        if plan:
            ticket["actualHours"] = round(sum(hours for hours, _, _ in plan), 2)
        return ticket

    def _time_plan(self, row: tuple) -> list[tuple[float, int, int]]:
        """(hours, work type id, note number) of each time entry of a recent ticket past New that someone is
        (or was) scheduled on: one by the first scheduled member (two members' on closed tickets)."""
        tid, status_id, closed, entered, assignees = row[0], row[2], row[8], row[9], row[14]
        if entered < self.recent_since or not assignees or self.ref["statuses"][status_id]["name"] == "New":
            return []
        rng = random.Random(self.seed * 1_000_037 + tid)
        count = min(2 if closed else 1, assignees.count(",") + 1)
        return [(rng.choice([0.25, 0.5, 0.75, 1.0, 1.5, 2.0]), rng.choices([1, 2, 3, 5], weights=[80, 8, 7, 5])[0],
                 rng.randint(10000, 99999)) for _ in range(count)]

    def family(self, row: tuple, ticket: dict) -> dict:
        """The records that hang off ``ticket`` (built by :meth:`ticket` from ``row``): ``entries`` and
        ``time_entries`` (id -> record), ``notes`` and ``configurations`` (lists)."""
        tid, closed, entered, assignees = row[0], row[8], row[9], row[14]
        ref = self.ref
        rng = random.Random(self.seed * 1_000_033 + tid)
        members = [ref["members"][int(m)] for m in assignees.split(",") if m]
        entered_dt = datetime.fromtimestamp(entered, UTC)
        updater = ticket["_info"]["updatedBy"]
        name = f"{ticket['company']['name']} / {ticket['summary']}"
        entries = {}
        for k, member in enumerate(members):
            start = entered_dt + timedelta(hours=rng.randint(1, 48))
            eid = ENTRY_BASE + tid * ENTRIES_PER_TICKET + k
            entries[eid] = make_entry(eid, tid, name, member, ref["schedule_types"][4], start,
                                      start + timedelta(hours=1), bool(closed), entered_dt, updater)
        family = {"entries": entries, "time_entries": {}, "notes": [], "configurations": []}
        recent = entered >= self.recent_since
        for k, ((hours, work_type_id, n), entry) in enumerate(zip(self._time_plan(row), entries.values(), strict=False)):
            start = datetime.strptime(entry["dateStart"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            end = start + timedelta(hours=hours)
            te_id = TIME_BASE + tid * TIMES_PER_TICKET + k
            family["time_entries"][te_id] = make_time_entry(
                ref, te_id, ticket, ref["members"][entry["member"]["id"]], ref["work_types"][work_type_id], start,
                end, NOTE_TEXTS["internal"][n % len(NOTE_TEXTS["internal"])].format(n=n), min(end, self.now))
        if recent:
            contact_name = ticket["contactName"]
            plan = [("discussion", True)] + [(rng.choice(["discussion", "internal"]), False)
                                             for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0])]
            if closed:
                plan.append(("resolution", False))
            when = entered_dt
            for k, (kind, initial) in enumerate(plan[:NOTES_PER_TICKET]):
                author = members[0] if members and not initial else None
                text = (f"{ticket['summary']}. Reported by {contact_name}." if initial
                        else rng.choice(NOTE_TEXTS[kind]).format(contact=contact_name, n=rng.randint(10000, 99999)))
                family["notes"].append(make_note(NOTE_BASE + tid * NOTES_PER_TICKET + k, tid, text, kind, author, when,
                                                 contact=ticket["contact"] if initial else None))
                when = min(when + timedelta(minutes=rng.randint(10, 600)), self.now)
        if rng.random() < 0.4:
            cfg_ids = self.configs_by_company().get(ticket["company"]["id"], [])
            if cfg_ids:
                family["configurations"] = rng.sample(cfg_ids, k=min(len(cfg_ids), rng.randint(1, 2)))
        return family


def entry_owner(entry_id: int) -> tuple[int, int] | None:
    """(ticket id, position) of a derived schedule entry id, None for any other id."""
    return _owner(entry_id, ENTRY_BASE, ENTRIES_PER_TICKET, NEXT_ENTRY_ID)


def note_owner(note_id: int) -> tuple[int, int] | None:
    return _owner(note_id, NOTE_BASE, NOTES_PER_TICKET, NEXT_NOTE_ID)


def time_entry_owner(entry_id: int) -> tuple[int, int] | None:
    return _owner(entry_id, TIME_BASE, TIMES_PER_TICKET, NEXT_TIME_ENTRY_ID)


def _owner(record_id, base: int, per: int, end: int) -> tuple[int, int] | None:
    if type(record_id) is not int or not base <= record_id < end:
        return None
    return divmod(record_id - base, per)
