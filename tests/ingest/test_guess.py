"""The column guesser (`tickets.ingest.guess`) on the exports help desks really write: their
headers and values as documented (ServiceNow's incident list, Jira's CSV, Zendesk's and
Freshdesk's exports) and German, French and Italian ones; every guess asserted, and what it
must leave open (ambiguous dates, two created columns, unknown priorities, empty files)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tickets.ingest import mapping
from tickets.ingest.guess import guess_mapping, suggest
from tickets.ingest.guess_times import time_patterns


def table(text: str, delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    header, *rows = [
        [cell.strip() for cell in line.split(delimiter)] for line in text.strip().splitlines()
    ]
    return header, rows


def settled(header, rows, *, time_zone="UTC", **answers) -> dict:
    guess = guess_mapping(header, rows, **answers)
    assert guess.questions == []
    return guess.mapping(time_zone=time_zone).to_dict()


def mapped(columns, *, time_format, priorities, statuses, channels=None, time_zone="UTC"):
    return {
        "columns": columns,
        "priorities": priorities,
        "statuses": statuses,
        "channels": channels or {},
        "time_format": time_format,
        "time_zone": time_zone,
        "delimiter": None,
        "sheet": None,
        "default_priority": "",
        "survey_scale": 5,
    }


# --- the vendors' exports ----------------------------------------------------------------------

# ServiceNow's incident list exported as CSV (display values): Number, Opened, Short
# description, Caller, Priority "1 - Critical", State, Category, Assignment group, Assigned to,
# Resolved, Closed, Updated, plus Urgency, Impact, Opened by, Resolved by, Made SLA ...
SERVICENOW = """
Number,Opened,Short description,Caller,Priority,State,Category,Assignment group,Assigned to,Resolved,Resolved by,Closed,Updated,Opened by,Urgency,Impact,Contact type,Made SLA,Reassignment count,Reopen count
INC0010001,2026-11-03 14:05:11,Email down,Ann Lee,1 - Critical,Closed,Network,Acme Support,Bob Ray,2026-11-03 16:00:00,Bob Ray,2026-11-06 16:00:02,2026-11-06 16:00:02,Ann Lee,1 - High,1 - High,Phone,true,0,0
INC0010002,2026-11-13 09:00:00,VPN drops,Cy Ng,2 - High,Resolved,Network,Acme Support,Bob Ray,2026-11-13 12:30:00,Bob Ray,,2026-11-13 12:30:00,Cy Ng,2 - Medium,1 - High,Self-service,true,1,0
INC0010003,2026-11-14 10:00:00,New laptop,Di Ho,3 - Moderate,In Progress,Hardware,Globex Desk,Eve Yu,,,,2026-11-14 11:00:00,Di Ho,2 - Medium,3 - Low,Email,false,2,1
INC0010004,2026-11-15 08:00:00,Password,Al Bo,4 - Low,New,Software,Globex Desk,,,,,2026-11-15 08:00:00,Al Bo,3 - Low,3 - Low,Walk-in,,0,0
INC0010005,2026-11-16 08:00:00,Ideas,Al Bo,5 - Planning,On Hold,Inquiry / Help,Globex Desk,Eve Yu,,,,2026-11-16 09:00:00,Al Bo,3 - Low,3 - Low,Self-service,,0,0
"""  # noqa: E501 (exports have long rows)


def test_a_servicenow_incident_list_is_guessed_field_by_field():
    header, rows = table(SERVICENOW)
    guess = guess_mapping(header, rows)

    assert settled(header, rows) == mapped(
        {
            "external_id": "Number",
            "attribution": "Assignment group",
            "priority": "Priority",
            "status": "State",
            "created_at": "Opened",
            "resolved_at": "Resolved",
            "closed_at": "Closed",
            "updated_at": "Updated",
            "technician": "Assigned to",
            "category": "Category",
            "requester": "Caller",
            "channel": "Contact type",
            "title": "Short description",
            "sla_met": "Made SLA",
            "reopen_count": "Reopen count",
            "reassignment_count": "Reassignment count",
        },
        time_format="iso",
        priorities={
            "1 - Critical": "P1",
            "2 - High": "P2",
            "3 - Moderate": "P3",
            "4 - Low": "P4",
            "5 - Planning": "P4",
        },
        statuses={
            "Closed": "closed",
            "Resolved": "resolved",
            "In Progress": "in_progress",
            "New": "new",
            "On Hold": "on_hold",
        },
        channels={
            "Self-service": "portal",
            "Phone": "phone",
            "Email": "email",
            "Walk-in": "walk_in",
        },
    )
    reasons = {f: g.reason for f, g in guess.columns.items() if g.column}
    assert reasons["attribution"] == (
        "header 'Assignment group' means the team (what vendors are mapped from)"
    )
    assert reasons["priority"] == (
        "header 'Priority' means the priority (a closer match than 'Urgency')"
    )
    assert reasons["requester"] == (
        "header 'Caller' means the requester (a closer match than 'Opened by')"
    )
    assert guess.time.reason == (
        "every time in 'Opened', 'Resolved', 'Closed', 'Updated' reads as ISO 8601"
    )
    assert [(v.value, v.rows, v.suggestion) for v in guess.values["channel"]] == [
        ("Self-service", 2, "portal"),
        ("Email", 1, "email"),
        ("Phone", 1, "phone"),
        ("Walk-in", 1, "walk_in"),
    ]
    assert guess.settled == list(mapping.REQUIRED_FIELDS)


# Jira Service Management's "Export Excel CSV (all fields)": Issue key and Issue id, Status,
# Priority Highest..Lowest, Created/Updated/Resolved as dd/MMM/yy h:mm a, the team in a custom
# field, Jira's Component/s and Status Category beside them.
JIRA = """
Summary,Issue key,Issue id,Issue Type,Status,Status Category,Priority,Resolution,Assignee,Reporter,Created,Updated,Resolved,Component/s,Custom field (Team),Custom field (Satisfaction rating),Custom field (Satisfaction date)
Printer jams,HD-101,10101,Service Request,Resolved,Done,Medium,Done,Alice Tech,bob@customer.example,20/Nov/26 4:30 PM,23/Nov/26 11:00 AM,23/Nov/26 10:15 AM,Printers,Acme Support,5,23/Nov/26 12:00 PM
VPN drops,HD-102,10102,Incident,In Progress,In Progress,High,,Carol Tech,dan@customer.example,01/Nov/26 9:00 AM,01/Nov/26 10:30 AM,,Network,Acme Support,,
Server down,HD-103,10103,Incident,Closed,Done,Highest,Done,Alice Tech,eve@customer.example,02/Nov/26 8:00 AM,02/Nov/26 11:00 AM,02/Nov/26 10:00 AM,Servers,Globex Desk,4,02/Nov/26 12:00 PM
New mouse,HD-104,10104,Service Request,Waiting for customer,In Progress,Low,,,fay@customer.example,03/Nov/26 1:00 PM,03/Nov/26 2:00 PM,,,Globex Desk,,
Typo on wiki,HD-105,10105,Task,Open,To Do,Lowest,,,gus@customer.example,04/Nov/26 11:59 AM,04/Nov/26 11:59 AM,,,Globex Desk,,
"""  # noqa: E501 (exports have long rows)


def test_a_jira_csv_is_guessed_field_by_field():
    header, rows = table(JIRA)
    guess = guess_mapping(header, rows)

    assert settled(header, rows) == mapped(
        {
            "external_id": "Issue key",
            "attribution": "Custom field (Team)",
            "priority": "Priority",
            "status": "Status",
            "created_at": "Created",
            "resolved_at": "Resolved",
            "updated_at": "Updated",
            "technician": "Assignee",
            "category": "Issue Type",
            "requester": "Reporter",
            "title": "Summary",
            "survey_score": "Custom field (Satisfaction rating)",
            "survey_answered_at": "Custom field (Satisfaction date)",
        },
        time_format="%d/%b/%y %I:%M %p",
        priorities={"Medium": "P3", "High": "P2", "Highest": "P1", "Low": "P4", "Lowest": "P4"},
        statuses={
            "Resolved": "resolved",
            "In Progress": "in_progress",
            "Closed": "closed",
            "Waiting for customer": "pending_customer",
            "Open": "new",
        },
    )
    assert guess.columns["external_id"].reason == (
        "header 'Issue key' means the ticket number (a closer match than 'Issue id')"
    )
    assert guess.columns["attribution"].reason == (
        "header 'Custom field (Team)' names the team (what vendors are mapped from) "
        "(a closer match than 'Component/s')"
    )
    assert guess.time.format == "%d/%b/%y %I:%M %p"


# Zendesk Support's CSV export: Id, Requester, Group, Assignee, Subject, Status, Priority
# Urgent/High/Normal/Low, Via, Created at, Solved at ... with their offsets.
ZENDESK = """
Summation column,Id,Requester,Requester id,Requester email,Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,Updated at,Assigned at,Solved at,Satisfaction Score,Group stations,Assignee stations,Reopens,Replies,First reply time in minutes,Full resolution time in minutes,One-touch
1,1001,Bob Customer,501,bob@customer.example,Alice Tech,Acme Support,Printer jams,printer,solved,normal,Web form,incident,2026-11-16 10:00:00 +0000,2026-11-17 12:05:00 +0000,2026-11-16 10:05:00 +0000,2026-11-17 12:00:00 +0000,Good,1,1,0,1,30,1560,true
1,1002,Dan Customer,502,dan@customer.example,Carol Tech,Acme Support,VPN drops,vpn,open,high,Email,incident,2026-11-02 09:00:00 +0000,2026-11-02 11:00:00 +0000,2026-11-02 09:40:00 +0000,,Unoffered,2,3,0,2,15,,false
1,1003,Eve Customer,503,eve@customer.example,,Globex Desk,Server down,server,pending,urgent,Phone,problem,2026-11-03 08:00:00 +0000,2026-11-03 09:00:00 +0000,,,Offered,1,0,1,1,5,,false
1,1004,Fay Customer,504,fay@customer.example,Alice Tech,Globex Desk,Mouse,,closed,low,Chat,question,2026-11-04 08:00:00 +0000,2026-11-09 09:00:00 +0000,2026-11-04 08:10:00 +0000,2026-11-04 09:00:00 +0000,Bad,1,1,0,1,10,60,true
1,1005,Gus Customer,505,gus@customer.example,,Globex Desk,Typo,,new,normal,Web form,task,2026-11-05 08:00:00 +0000,2026-11-05 08:00:00 +0000,,,Unoffered,1,0,0,0,,,
"""  # noqa: E501 (exports have long rows)


def test_a_zendesk_csv_is_guessed_field_by_field():
    header, rows = table(ZENDESK)
    guess = guess_mapping(header, rows)

    assert settled(header, rows) == mapped(
        {
            "external_id": "Id",
            "attribution": "Group",
            "priority": "Priority",
            "status": "Status",
            "created_at": "Created at",
            "resolved_at": "Solved at",
            "updated_at": "Updated at",
            "technician": "Assignee",
            "category": "Ticket type",
            "requester": "Requester",
            "channel": "Via",
            "title": "Subject",
            "reopen_count": "Reopens",
        },
        time_format="iso",
        priorities={"normal": "P3", "high": "P2", "low": "P4", "urgent": "P1"},
        statuses={
            "closed": "closed",
            "new": "new",
            "open": "new",
            "pending": "pending_customer",
            "solved": "resolved",
        },
        channels={"Web form": "portal", "Chat": "chat", "Email": "email", "Phone": "phone"},
    )
    # A column of words ("Good", "Unoffered") is no satisfaction score.
    assert guess.columns["survey_score"].column == ""
    assert guess.columns["attribution"].reason == (
        "header 'Group' means the team (what vendors are mapped from) "
        "(a closer match than 'Group stations')"
    )


# Freshdesk's ticket export: Ticket ID, Subject, Status, Priority, Source, Type, Agent, Group,
# Created time, Resolved time, Closed time, Last update time, Initial response time, and its
# durations in hours beside them.
FRESHDESK = """
Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,Resolved time,Closed time,Last update time,Initial response time,Time tracked,First response time (in hrs),Resolution time (in hrs),Agent interactions,Customer interactions,Resolution status,First response status,Tags,Survey results,Product,Full name
4711,Printer jams,Closed,Medium,Portal,Incident,Alice Tech,Acme Support,2026-11-16 10:00:00,2026-11-17 10:00:00,2026-11-16 12:00:00,2026-11-18 12:00:00,2026-11-18 12:00:00,2026-11-16 10:20:00,00:30,0.33,2.0,2,1,Within SLA,Within SLA,printer,Awesome,Office,Bob Customer
4712,VPN drops,Open,High,Email,Incident,Carol Tech,Acme Support,2026-11-02 09:00:00,2026-11-02 17:00:00,,,2026-11-02 11:00:00,2026-11-02 09:40:00,01:00,0.67,,1,1,,Within SLA,vpn,,Office,Dan Customer
4713,Server down,Pending,Urgent,Phone,Problem,,Globex Desk,2026-11-03 08:00:00,2026-11-03 12:00:00,,,2026-11-03 09:00:00,,00:00,,,0,1,,,server,,Hosting,Eve Customer
4714,Mouse,Resolved,Low,Chat,Question,Alice Tech,Globex Desk,2026-11-04 08:00:00,2026-11-06 08:00:00,2026-11-04 09:00:00,,2026-11-04 09:00:00,2026-11-04 08:10:00,00:15,0.17,1.0,1,1,Within SLA,Within SLA,,Neutral,Office,Fay Customer
4715,Laptop,Waiting on Third Party,Medium,Feedback Widget,Service Task,,Globex Desk,2026-11-05 08:00:00,2026-11-07 08:00:00,,,2026-11-05 08:00:00,,00:00,,,0,1,,,,,Office,Gus Customer
"""  # noqa: E501 (exports have long rows)


def test_a_freshdesk_export_is_guessed_field_by_field():
    header, rows = table(FRESHDESK)
    guess = guess_mapping(header, rows)

    assert settled(header, rows) == mapped(
        {
            "external_id": "Ticket ID",
            "attribution": "Group",
            "priority": "Priority",
            "status": "Status",
            "created_at": "Created time",
            "resolved_at": "Resolved time",
            "closed_at": "Closed time",
            "updated_at": "Last update time",
            "technician": "Agent",
            "category": "Type",
            "requester": "Full name",
            "channel": "Source",
            "title": "Subject",
            "first_response_at": "Initial response time",
        },
        time_format="iso",
        priorities={"Medium": "P3", "High": "P2", "Low": "P4", "Urgent": "P1"},
        statuses={
            "Closed": "closed",
            "Open": "new",
            "Pending": "pending_customer",
            "Resolved": "resolved",
            "Waiting on Third Party": "awaiting_third_party",
        },
        channels={
            "Chat": "chat",
            "Email": "email",
            "Feedback Widget": "portal",
            "Phone": "phone",
            "Portal": "portal",
        },
    )
    # "First response time (in hrs)" holds durations, not times: not the first response.
    assert guess.columns["first_response_at"].reason == (
        "header 'Initial response time' means the first-response time"
    )


# --- European exports: their languages, day-first times -------------------------------------------

GERMAN = """
Ticketnummer;Betreff;Erstellt am;Gelöst am;Geschlossen am;Priorität;Status;Gruppe;Bearbeiter;Kategorie;Melder;Kanal
T-1001;Drucker defekt;03.11.2026 14:05;03.11.2026 16:35;05.11.2026 09:00;Sehr hoch;Geschlossen;Acme Support;Anna Berg;Hardware;Max Muster;Telefon
T-1002;VPN bricht ab;13.11.2026 08:00;13.11.2026 09:30;;Hoch;Gelöst;Acme Support;Anna Berg;Netzwerk;Eva Klein;E-Mail
T-1003;Neuer Laptop;14.11.2026 10:00;;;Mittel;In Bearbeitung;Globex Desk;Jan Roth;Hardware;Max Muster;Portal
T-1004;Passwort;15.11.2026 11:15;;;Niedrig;Wartend;Globex Desk;;Zugang;Eva Klein;Telefon
T-1005;Idee;16.11.2026 12:00;;;Niedrig;Neu;Globex Desk;;Sonstiges;Max Muster;E-Mail
"""  # noqa: E501 (exports have long rows)


def test_a_german_export_is_guessed_with_its_day_first_times():
    header, rows = table(GERMAN, ";")
    guess = guess_mapping(header, rows)

    assert settled(header, rows, time_zone="Europe/Berlin") == mapped(
        {
            "external_id": "Ticketnummer",
            "attribution": "Gruppe",
            "priority": "Priorität",
            "status": "Status",
            "created_at": "Erstellt am",
            "resolved_at": "Gelöst am",
            "closed_at": "Geschlossen am",
            "technician": "Bearbeiter",
            "category": "Kategorie",
            "requester": "Melder",
            "channel": "Kanal",
            "title": "Betreff",
        },
        time_format="%d.%m.%Y %H:%M",
        priorities={"Niedrig": "P4", "Hoch": "P2", "Mittel": "P3", "Sehr hoch": "P1"},
        statuses={
            "Geschlossen": "closed",
            "Gelöst": "resolved",
            "In Bearbeitung": "in_progress",
            "Neu": "new",
            "Wartend": "on_hold",
        },
        channels={"E-Mail": "email", "Telefon": "phone", "Portal": "portal"},
        time_zone="Europe/Berlin",
    )
    assert guess.columns["attribution"].reason == (
        "header 'Gruppe' means the team (what vendors are mapped from)"
    )
    assert guess.time.reason == (
        "every time in 'Erstellt am', 'Gelöst am', 'Geschlossen am' reads as %d.%m.%Y %H:%M "
        "(day first, 24-hour), e.g. '13.11.2026 08:00'"
    )


FRENCH = """
Numéro;Sujet;Date de création;Date de résolution;Date de clôture;Priorité;Statut;Équipe;Technicien;Catégorie;Demandeur;Canal
INC-1;Imprimante en panne;03/11/2026 14:05;03/11/2026 16:35;05/11/2026 09:00;Critique;Fermé;Acme Support;Léa Martin;Matériel;Paul Durand;Téléphone
INC-2;VPN coupé;13/11/2026 08:00;13/11/2026 09:30;;Haute;Résolu;Acme Support;Léa Martin;Réseau;Julie Petit;Courriel
INC-3;Nouveau portable;14/11/2026 10:00;;;Moyenne;En cours;Globex Desk;Hugo Blanc;Matériel;Paul Durand;Portail
INC-4;Mot de passe;15/11/2026 11:15;;;Basse;En attente;Globex Desk;;Accès;Julie Petit;Téléphone
INC-5;Suggestion;16/11/2026 12:00;;;Basse;Nouveau;Globex Desk;;Autre;Paul Durand;Courriel
"""  # noqa: E501 (exports have long rows)


def test_a_french_export_is_guessed_with_its_day_first_times():
    header, rows = table(FRENCH, ";")

    assert settled(header, rows, time_zone="Europe/Paris") == mapped(
        {
            "external_id": "Numéro",
            "attribution": "Équipe",
            "priority": "Priorité",
            "status": "Statut",
            "created_at": "Date de création",
            "resolved_at": "Date de résolution",
            "closed_at": "Date de clôture",
            "technician": "Technicien",
            "category": "Catégorie",
            "requester": "Demandeur",
            "channel": "Canal",
            "title": "Sujet",
        },
        time_format="%d/%m/%Y %H:%M",
        priorities={"Basse": "P4", "Critique": "P1", "Haute": "P2", "Moyenne": "P3"},
        statuses={
            "En attente": "on_hold",
            "En cours": "in_progress",
            "Fermé": "closed",
            "Nouveau": "new",
            "Résolu": "resolved",
        },
        channels={"Courriel": "email", "Téléphone": "phone", "Portail": "portal"},
        time_zone="Europe/Paris",
    )


ITALIAN = """
Numero;Oggetto;Data apertura;Data risoluzione;Data chiusura;Priorità;Stato;Gruppo;Tecnico;Categoria;Richiedente;Canale
1001;Stampante guasta;03/11/2026 14:05:00;03/11/2026 16:35:00;05/11/2026 09:00:00;Critica;Chiuso;Acme Support;Luca Rossi;Hardware;Marco Bianchi;Telefono
1002;VPN instabile;13/11/2026 08:00:00;13/11/2026 09:30:00;;Alta;Risolto;Acme Support;Luca Rossi;Rete;Giulia Verdi;Email
1003;Nuovo portatile;14/11/2026 10:00:00;;;Media;In corso;Globex Desk;Sara Neri;Hardware;Marco Bianchi;Portale
1004;Password;15/11/2026 11:15:00;;;Bassa;In attesa;Globex Desk;;Accesso;Giulia Verdi;Telefono
1005;Proposta;16/11/2026 12:00:00;;;Bassa;Aperto;Globex Desk;;Altro;Marco Bianchi;Email
"""  # noqa: E501 (exports have long rows)


def test_an_italian_export_is_guessed_with_its_day_first_times_and_seconds():
    header, rows = table(ITALIAN, ";")

    assert settled(header, rows, time_zone="Europe/Rome") == mapped(
        {
            "external_id": "Numero",
            "attribution": "Gruppo",
            "priority": "Priorità",
            "status": "Stato",
            "created_at": "Data apertura",
            "resolved_at": "Data risoluzione",
            "closed_at": "Data chiusura",
            "technician": "Tecnico",
            "category": "Categoria",
            "requester": "Richiedente",
            "channel": "Canale",
            "title": "Oggetto",
        },
        time_format="%d/%m/%Y %H:%M:%S",
        priorities={"Bassa": "P4", "Alta": "P2", "Critica": "P1", "Media": "P3"},
        statuses={
            "Aperto": "new",
            "Chiuso": "closed",
            "In attesa": "on_hold",
            "In corso": "in_progress",
            "Risolto": "resolved",
        },
        channels={"Email": "email", "Telefono": "phone", "Portale": "portal"},
        time_zone="Europe/Rome",
    )


@pytest.mark.parametrize(
    ("value", "patterns"),
    [
        ("2026-11-03T14:05:00Z", {"iso"}),
        ("2026-11-03 14:05:00 +0100", {"iso"}),
        ("2026/11/03 14:05", {"%Y/%m/%d %H:%M"}),
        ("13.11.2026 14:05:09", {"%d.%m.%Y %H:%M:%S"}),
        ("11/13/2026 2:05 PM", {"%m/%d/%Y %I:%M %p"}),
        ("03-11-26 14:05", {"%d-%m-%y %H:%M", "%m-%d-%y %H:%M"}),
        ("03/11/2026", {"%d/%m/%Y", "%m/%d/%Y"}),
        ("20/Nov/26 4:30 PM", {"%d/%b/%y %I:%M %p"}),
        ("Acme Support", set()),
        ("45m", set()),
    ],
)
def test_time_formats_are_read_off_the_values(value, patterns):
    assert time_patterns(value) == patterns


def test_month_first_times_with_a_12_hour_clock_are_recognised():
    header = ["Ticket ID", "Team", "Priority", "Status", "Created"]
    rows = [
        ["1", "Acme", "High", "Open", "11/13/2026 2:05 PM"],
        ["2", "Acme", "Low", "Closed", "11/03/2026 9:15 AM"],
    ]
    guess = guess_mapping(header, rows)
    assert guess.time.format == "%m/%d/%Y %I:%M %p"
    assert guess.questions == []


@pytest.mark.parametrize(
    ("value", "ours"),
    [
        ("Critical", "P1"),
        ("Urgent", "P1"),
        ("1", "P1"),
        ("Sehr hoch", "P1"),
        ("Critique", "P1"),
        ("Critica", "P1"),
        ("High", "P2"),
        ("2", "P2"),
        ("Hoch", "P2"),
        ("Haute", "P2"),
        ("Alta", "P2"),
        ("P3", "P3"),
        ("3 - Moderate", "P3"),
        ("Sev 4", "P4"),
        ("Gold", ""),
    ],
)
def test_priorities_are_suggested_in_four_languages(value, ours):
    assert suggest("priority", value) == ours


# --- what it must not guess -----------------------------------------------------------------------


def test_ambiguous_dates_are_asked_about_naming_the_column_and_the_values():
    header = ["Ticket ID", "Team", "Priority", "Status", "Created"]
    rows = [
        ["1", "Acme", "High", "Open", "03/11/2026 14:05"],
        ["2", "Acme", "Low", "Closed", "04/11/2026 09:00"],
        ["3", "Acme", "Low", "Closed", "04/12/2026 10:00"],
    ]
    guess = guess_mapping(header, rows)

    assert guess.time.format == ""
    assert [(q.topic, q.text, q.choices) for q in guess.questions] == [
        (
            "time_format",
            "the dates in 'Created' could be day first or month first (no day above 12 in the "
            "sample, e.g. '03/11/2026 14:05', '04/11/2026 09:00', '04/12/2026 10:00')",
            ("%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"),
        )
    ]
    with pytest.raises(ValueError, match="still open: the dates in 'Created' could be"):
        guess.mapping()
    # Answered, it reads them day first.
    answered = guess_mapping(header, rows, time_format="%d/%m/%Y %H:%M")
    assert answered.mapping().time_format == "%d/%m/%Y %H:%M"


def test_two_equally_good_created_columns_are_left_open_naming_both():
    header = ["Ticket ID", "Team", "Priority", "Status", "Created", "Opened"]
    rows = [["1", "Acme", "High", "Open", "2026-11-03 14:05", "2026-11-03 14:06"]]
    guess = guess_mapping(header, rows)

    assert guess.columns["created_at"].column == ""
    assert guess.columns["created_at"].competing == ("Created", "Opened")
    assert [(q.topic, q.text) for q in guess.questions] == [
        (
            "created_at",
            "the created time (created_at): columns 'Created' and 'Opened' both look like the "
            "created time, equally closely; say which one",
        )
    ]
    assert guess.settled == [f for f in mapping.REQUIRED_FIELDS if f != "created_at"]
    answered = guess_mapping(header, rows, columns={"created_at": "Opened"})
    assert answered.mapping().columns["created_at"] == "Opened"
    assert answered.columns["created_at"].reason == "given"


def test_of_two_created_columns_the_closer_header_wins_and_says_so():
    header = ["Ticket ID", "Team", "Priority", "Status", "Created", "Created on (UTC)"]
    rows = [["1", "Acme", "High", "Open", "2026-11-03 14:05", "2026-11-03 13:05"]]
    guess = guess_mapping(header, rows)

    assert guess.columns["created_at"].column == "Created"
    assert guess.columns["created_at"].reason == (
        "header 'Created' means the created time (a closer match than 'Created on (UTC)')"
    )


def test_an_empty_file_is_refused_and_a_header_alone_has_no_rows_to_import():
    with pytest.raises(ValueError, match="the file is empty: it has no header row"):
        guess_mapping([], [])

    guess = guess_mapping(["Ticket ID", "Team", "Priority", "Status", "Created"], [])
    assert guess.settled == list(mapping.REQUIRED_FIELDS)  # the header alone names them
    assert [q.text for q in guess.questions] == ["the file has a header but no data rows"]
    with pytest.raises(ValueError, match="no data rows"):
        guess.mapping()


def test_unknown_priorities_are_listed_with_their_rows_and_the_accepted_values():
    header = ["Ticket ID", "Team", "Priority", "Status", "Created"]
    rows = [
        ["1", "Acme", "Gold", "Open", "2026-11-03 14:05"],
        ["2", "Acme", "Gold", "Open", "2026-11-03 14:05"],
        ["3", "Acme", "Silver", "Open", "2026-11-03 14:05"],
        ["4", "Acme", "High", "Open", "2026-11-03 14:05"],
    ]
    guess = guess_mapping(header, rows)

    assert [(v.value, v.rows, v.suggestion) for v in guess.values["priority"]] == [
        ("Gold", 2, ""),
        ("High", 1, "P2"),
        ("Silver", 1, ""),
    ]
    assert [q.text for q in guess.questions] == [
        "priority values in 'Priority' not understood: 'Gold' (2 rows), 'Silver' (1 row); "
        "accepted: P1, P2, P3, P4"
    ]
    answered = guess_mapping(header, rows, values={"priority": {"gold": "P1", "Silver": "P2"}})
    assert answered.mapping().priorities == {"Gold": "P1", "High": "P2", "Silver": "P2"}


def test_a_file_without_a_team_column_says_so_and_columns_given_must_exist():
    header = ["Ticket ID", "Priority", "Status", "Created"]
    rows = [["1", "High", "Open", "2026-11-03 14:05"]]
    guess = guess_mapping(header, rows)
    assert [q.text for q in guess.questions] == [
        "the team (what vendors are mapped from) (attribution): no column looks like the team "
        "(what vendors are mapped from)"
    ]
    with pytest.raises(ValueError, match="attribution: the file has no column 'Team'"):
        guess_mapping(header, rows, columns={"attribution": "Team"})


def test_columns_no_header_names_are_guessed_from_their_values():
    header = ["Ref", "Desk", "Level", "Where", "When"]
    rows = [
        ["101", "Acme", "Urgent", "Open", "2026-11-03 14:05"],
        ["102", "Acme", "Low", "Closed", "2026-11-04 14:05"],
    ]
    guess = guess_mapping(header, rows, columns={"attribution": "Desk"})

    assert {f: (g.column, g.reason) for f, g in guess.columns.items() if g.column} == {
        "external_id": ("Ref", "header 'Ref' means the ticket number"),
        "attribution": ("Desk", "given"),
        "priority": ("Level", "values look like priorities: Urgent, Low"),
        "status": ("Where", "values look like statuses: Open, Closed"),
        "created_at": ("When", "'When' is the only other column of times"),
    }
    assert guess.questions == []


def test_spreadsheet_dates_need_no_format_and_a_repeated_column_is_read_first():
    header = ["Key", "Team", "Priority", "Status", "Created", "Team"]
    rows = [
        ["HD-1", "Acme", "High", "Open", datetime(2026, 11, 3, 14, 5), "Other"],
        ["HD-2", "Acme", "Low", "Done", datetime(2026, 11, 4, 9, 0), ""],
    ]
    guess = guess_mapping(header, rows)

    assert guess.time.format == "iso"
    assert guess.time.reason == "the time cells are spreadsheet dates"
    assert guess.columns["attribution"].column == "Team"
    assert guess.columns["created_at"].reason == "header 'Created' means the created time"
    assert guess.questions == []


def test_a_time_column_with_values_that_are_no_times_is_asked_about_naming_them():
    header = ["Ticket ID", "Team", "Priority", "Created"]
    rows = [["1", "Acme", "High", f"2026-11-0{day} 14:05"] for day in range(1, 6)]
    rows.append(["6", "Acme", "High", "soon"])
    guess = guess_mapping(header, rows)

    assert guess.columns["created_at"].column == "Created"
    assert [(q.topic, q.text) for q in guess.questions] == [
        (
            "time_format",
            "cannot tell the time format of 'Created': values that are not times: 'soon'",
        )
    ]


def test_a_french_ticket_number_header_written_with_the_numero_sign_is_understood():
    header, rows = table(
        """
N° de ticket;Date de création;Groupe d'affectation;Priorité
T-1;03/11/26 09:15;Support N1;Haute
T-2;14/11/26 10:02;Support N2;Basse
""",
        delimiter=";",
    )
    guess = guess_mapping(header, rows)

    assert guess.columns["external_id"].column == "N° de ticket"
    assert guess.columns["external_id"].reason == "header 'N° de ticket' means the ticket number"
    assert guess.time.format == "%d/%m/%y %H:%M"
    assert guess.questions == []


def test_a_column_of_distinct_ids_is_the_ticket_number_when_no_header_says_so():
    header = ["Vorgang", "Gruppe", "Prio", "Erstellt"]
    rows = [
        ["INC-1001", "Service Desk", "Hoch", "03.11.2026 09:15"],
        ["INC-1002", "Service Desk", "Mittel", "13.11.2026 10:02"],
        ["SR#88", "Netzwerk", "Hoch", "14.11.2026 14:30"],
    ]
    guess = guess_mapping(header, rows)

    assert (guess.columns["external_id"].column, guess.columns["external_id"].reason) == (
        "Vorgang",
        "values of 'Vorgang' are distinct ids, like 'INC-1001'",
    )
    assert guess.questions == []
