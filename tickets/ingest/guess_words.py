"""The words `guess` knows: header names of our fields and spellings of priorities, statuses
and channels, in English, German, French and Italian (as help desks export them).

Each list is one string split on "|", so the tables stay readable. Pure: no Django.
"""

from __future__ import annotations


def _split(words: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in words.split("|") if w.strip())


# field -> (strong names, weak names, names that count only as the whole header). A header
# equal to a name matches more closely than one containing it; a strong name more than a weak.
_HEADERS = {
    "external_id": (
        "ticket id|ticket number|ticket no|ticket nr|incident id|incident number|issue key|"
        "case number|case id|request id|ticketnummer|ticket nummer|vorgangsnummer|"
        "numéro de ticket|id du ticket|n ticket|numero ticket|id ticket|numero del ticket|"
        "n° de ticket|no de ticket|n° incident|numéro d'incident|numéro de l'incident|"
        "référence du ticket|ticket-nr|nr ticket|meldungsnummer|störungsnummer|fallnummer|"
        "incidentnummer|n. ticket|numero richiesta|id richiesta|codice ticket|numero incidente",
        "issue id",
        "id|key|number|no|nr|ref|reference|#|ticket|incident|nummer|numéro|numero|référence|"
        "riferimento",
    ),
    "attribution": (
        "assignment group|group|team|queue|support group|resolver group|assigned group|gruppe|"
        "zuständige gruppe|supportgruppe|équipe|groupe|groupe d'affectation|file d'attente|"
        "gruppo|gruppo di assegnazione|squadra|coda|vendor|supplier|lieferant|fournisseur|"
        "fornitore",
        "component|components|department|abteilung|service|servizio",
        "",
    ),
    "priority": (
        "priority|priorität|prio|priorité|priorità|severity|schweregrad|gravité|gravità|sévérité",
        "urgency|dringlichkeit|urgence|urgenza",
        "",
    ),
    "status": ("status|state|statut|stato|zustand|état|ticket status|incident state", "", ""),
    "created_at": (
        "created|created at|created time|created date|creation date|date created|opened|"
        "opened at|open date|submitted|submitted at|reported|erstellt|erstellt am|"
        "erstellungsdatum|angelegt|eröffnet|créé|créé le|date de création|ouvert le|"
        "date d'ouverture|aperto|aperto il|data apertura|data di apertura|data creazione|"
        "data di creazione|creato|creato il",
        "",
        "",
    ),
    "resolved_at": (
        "resolved|resolved at|resolved time|resolved date|resolution date|solved|solved at|"
        "gelöst|gelöst am|behoben am|lösungsdatum|résolu|résolu le|date de résolution|risolto|"
        "risolto il|data risoluzione|data di risoluzione",
        "",
        "",
    ),
    "closed_at": (
        "closed|closed at|closed time|closed date|close date|geschlossen|geschlossen am|"
        "abgeschlossen am|fermé|fermé le|clos le|date de clôture|date de fermeture|chiuso|"
        "chiuso il|data chiusura|data di chiusura",
        "",
        "",
    ),
    "updated_at": (
        "updated|updated at|last updated|last update|last update time|last modified|modified|"
        "aktualisiert|geändert|"
        "geändert am|zuletzt geändert|mis à jour|modifié|date de mise à jour|aggiornato|"
        "ultimo aggiornamento|data aggiornamento",
        "",
        "",
    ),
    "technician": (
        "assigned to|assignee|agent|technician|bearbeiter|zugewiesen an|techniker|technicien|"
        "assigné à|agent assigné|tecnico|assegnatario|assegnato a|operatore",
        "",
        "",
    ),
    "category": (
        "category|kategorie|catégorie|categoria",
        "type|ticket type|typ|tipo|subcategory",
        "",
    ),
    "requester": (
        "requester|caller|reporter|requested by|requested for|contact|customer|melder|"
        "anfragender|antragsteller|kunde|demandeur|client|richiedente|segnalatore|chiamante|"
        "cliente",
        "opened by|full name",
        "",
    ),
    "channel": (
        "channel|source|contact type|origin|via|kanal|quelle|eingangskanal|canal|origine|"
        "canale|fonte",
        "",
        "",
    ),
    "title": (
        "subject|summary|short description|title|betreff|zusammenfassung|titel|"
        "kurzbeschreibung|sujet|objet|titre|résumé|oggetto|titolo|descrizione breve",
        "",
        "",
    ),
    "first_response_at": (
        "first response|first response at|initial response|initial response time|"
        "first responded at|first reply|erste antwort|"
        "première réponse|prima risposta",
        "",
        "",
    ),
    "survey_score": (
        "satisfaction|satisfaction score|satisfaction rating|csat|survey score|zufriedenheit|"
        "satisfaction client|soddisfazione",
        "rating|bewertung|note|valutazione",
        "",
    ),
    "survey_answered_at": ("survey answered|satisfaction date|rated at", "", ""),
    "sla_met": (
        "sla met|made sla|sla achieved|within sla|sla eingehalten|sla respecté|sla rispettato",
        "",
        "",
    ),
    "fcr": ("first contact resolution|fcr|resolved on first contact", "", ""),
    "reopen_count": (
        "reopen count|reopened|reopens|times reopened|reopened count|wiedereröffnet|réouvert|"
        "riaperto",
        "",
        "",
    ),
    "reassignment_count": (
        "reassignment count|reassignments|neuzuweisungen|réaffectations|riassegnazioni",
        "",
        "",
    ),
    "escalated": ("escalated|eskaliert|escaladé|escalato", "", ""),
}
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    f: (_split(strong), _split(weak), _split(whole))
    for f, (strong, weak, whole) in _HEADERS.items()
}

PRIORITIES = {
    "P1": _split(
        "critical|urgent|highest|blocker|very high|sehr hoch|kritisch|dringend|critique|"
        "très haute|urgente|critica|critico|molto alta|altissima|emergency|notfall"
    ),
    "P2": _split("high|hoch|haute|élevée|alta|alto|major|important|wichtig"),
    "P3": _split("medium|normal|moderate|mittel|normale|moyenne|media|medio|standard"),
    "P4": _split(
        "low|lowest|minor|trivial|planning|niedrig|sehr niedrig|gering|basse|faible|"
        "très basse|bassa|basso|molto bassa|planung"
    ),
}

STATUSES = {
    "new": _split(
        "new|open|opened|neu|offen|nouveau|ouvert|aperto|nuovo|to do|todo|backlog|registered|"
        "erfasst|waiting for triage"
    ),
    "assigned": _split("assigned|zugewiesen|assigné|affecté|assegnato"),
    "in_progress": _split(
        "in progress|work in progress|active|in bearbeitung|in arbeit|en cours|"
        "en cours de traitement|in corso|in lavorazione|waiting for support|"
        "under investigation|reopened"
    ),
    "pending_customer": _split(
        "pending|waiting for customer|waiting on customer|awaiting customer|awaiting user info|"
        "wartet auf kunde|wartet auf kunden|en attente du client|en attente client|"
        "in attesa del cliente|in attesa cliente"
    ),
    "on_hold": _split("on hold|hold|wartend|zurückgestellt|en attente|en pause|in attesa|sospeso"),
    "awaiting_third_party": _split(
        "waiting on third party|waiting for third party|awaiting third party|awaiting vendor|"
        "waiting for vendor|wartet auf dritte|en attente d'un tiers|in attesa di terzi"
    ),
    "resolved": _split("resolved|solved|done|fixed|gelöst|behoben|erledigt|résolu|risolto"),
    "closed": _split(
        "closed|geschlossen|abgeschlossen|fermé|clos|clôturé|chiuso|complete|completed"
    ),
    "cancelled": _split(
        "cancelled|canceled|storniert|abgebrochen|annulé|annullato|rejected|declined|withdrawn|"
        "won't do"
    ),
}

CHANNELS = {
    "phone": _split("phone|telephone|call|ivr|telefon|téléphone|telefono|anruf"),
    "email": _split("email|e-mail|mail|outbound email|courriel|posta elettronica"),
    "portal": _split(
        "portal|web|web form|self service|self-service|portail|portale|feedback widget|"
        "webformular|formulaire"
    ),
    "chat": _split("chat|live chat|messaging|messenger|teams|slack"),
    "walk_in": _split(
        "walk-in|walk in|in person|direct opening|vor ort|persönlich|en personne|sur place|"
        "di persona"
    ),
    "monitoring": _split("monitoring|event|alert|alarm|alerte|allarme|system"),
    "other": _split("other|sonstige|andere|autre|altro|altri"),
}

# Our fields by what they mean to a manager, for reasons and questions.
MEANINGS = {
    "external_id": "the ticket number",
    "attribution": "the team (what vendors are mapped from)",
    "priority": "the priority",
    "status": "the status",
    "created_at": "the created time",
    "resolved_at": "the resolved time",
    "closed_at": "the closed time",
    "updated_at": "the last-updated time",
    "technician": "the agent",
    "category": "the category",
    "requester": "the requester",
    "channel": "the channel",
    "title": "the subject",
    "first_response_at": "the first-response time",
    "survey_score": "the satisfaction score",
    "survey_answered_at": "the satisfaction survey's time",
    "sla_met": "whether the SLA was met",
    "fcr": "first-contact resolution",
    "reopen_count": "the reopen count",
    "reassignment_count": "the reassignment count",
    "escalated": "whether it was escalated",
}
