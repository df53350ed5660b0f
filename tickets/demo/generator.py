"""The demo's tickets: arrivals over the months (busy office hours, quiet weekends and holidays)
and each ticket's story as events, shaped by its vendor's quality dial and its technician's
skill, with the facts derived as an import would, and sometimes a survey answer."""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate

from django.conf import settings

from tickets.demo.arithmetic import UTC, clamp, goodness
from tickets.demo.profiles import FIRST_NAMES, LAST_NAMES
from tickets.demo.reference import Cast
from tickets.demo.writer import Event, MadeTicket
from tickets.models import Ticket
from tickets.services import ClockBook, ticket_apply_facts
from vendors import sla

DEMO_SOURCE = "demo"

PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (3, 12, 55, 30)
CATEGORIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "Access": (
        20,
        ("Password reset", "Account locked out", "Access to finance share", "MFA device lost"),
    ),
    "Software": (
        18,
        ("Excel crashes on open", "Install Visio", "Teams update failed", "Licence expired"),
    ),
    "Hardware": (
        16,
        ("Laptop will not boot", "Dock not detecting monitors", "Broken keyboard", "New laptop"),
    ),
    "Network": (
        14,
        ("VPN keeps dropping", "No network on 3rd floor", "Wi-Fi slow in meeting room"),
    ),
    "Email": (
        12,
        ("Mailbox full", "Outlook keeps asking for password", "Shared mailbox missing"),
    ),
    "Printing": (7, ("Printer offline", "Print jobs stuck in queue", "Toner replacement")),
    "Telephony": (6, ("Desk phone has no dial tone", "Voicemail not working")),
    "Security": (4, ("Suspicious email reported", "Antivirus alert on laptop")),
    "Onboarding": (3, ("New starter set-up", "Leaver: remove access")),
}
CHANNELS = ("portal", "email", "phone", "chat", "walk_in", "monitoring")
CHANNEL_WEIGHTS = (40, 25, 20, 10, 2, 3)
PAUSE_REASONS = ("pending_customer", "awaiting_third_party", "on_hold")
PAUSE_WEIGHTS = (60, 25, 15)

# Arrivals per local hour: a business-day hump with a lunch dip, a trickle at night.
WEEKDAY_HOURS = (0.15,) * 7 + (
    0.6,
    2.0,
    3.2,
    3.4,
    3.0,
    2.0,
    2.6,
    3.0,
    2.8,
    2.2,
    1.2,
    0.7,
    0.5,
    0.4,
    0.3,
    0.2,
    0.15,
)
WEEKEND_HOURS = (0.3,) * 8 + (0.8,) * 10 + (0.5,) * 6
WEEKEND_SHARE = 0.14  # a weekend day sees this share of a weekday's tickets

COMMENTS_GOOD = ("Quick and friendly, thanks!", "Sorted first time.", "Great service.")
COMMENTS_BAD = (
    "Took far too long.",
    "Had to chase twice.",
    "Problem came back the next day.",
    "Nobody told me what was happening.",
)


SIG_RESPONSE = 0.8  # lognormal spread of response times
SIG_RESOLUTION = 0.9  # and of resolution times


class TicketMaker:
    def __init__(self, rng: random.Random, cast: list[Cast], *, start, now, people: int) -> None:
        self.rng = rng
        self.cast = cast
        self.start, self.now = start, now
        self.span = (now - start).total_seconds()
        self.book = ClockBook()
        # priority -> (response minutes, resolution minutes, clock) per vendor, built once.
        self.targets = {c.vendor.pk: self.book.targets(c.contract.sla_policy_id) for c in cast}
        # Technicians by name per vendor, so a hand-over's facts name who answered without a
        # query per ticket.
        self.technician_ids = {
            c.vendor.pk: {t.obj.name: t.obj.pk for t in c.technicians} for c in cast
        }
        # The business calendar's holidays (P2 runs on it), for quieter arrivals.
        self.holidays = {pk: targets["P2"][2].holidays for pk, targets in self.targets.items()}
        self.priority_cum = list(accumulate(PRIORITY_WEIGHTS))
        self.categories = list(CATEGORIES)
        self.category_cum = list(accumulate(w for w, _ in CATEGORIES.values()))
        self.channel_cum = list(accumulate(CHANNEL_WEIGHTS))
        self.pause_cum = list(accumulate(PAUSE_WEIGHTS))
        self.weekday_cum = list(accumulate(WEEKDAY_HOURS))
        self.weekend_cum = list(accumulate(WEEKEND_HOURS))
        self.repeat_window = dt.timedelta(days=settings.REPEAT_WINDOW_DAYS)
        self.people = self._people(max(300, min(60_000, people // 15)))

    def _people(self, count: int) -> list[str]:
        """A few thousand requesters (about one per 15 tickets), as e-mail addresses."""
        pairs = [f"{f}.{s}".lower() for f in FIRST_NAMES for s in LAST_NAMES]
        self.rng.shuffle(pairs)
        return [
            f"{pairs[i % len(pairs)]}{'' if i < len(pairs) else i // len(pairs)}@corp.example"
            for i in range(count)
        ]

    @staticmethod
    def _pick(cum: Sequence[float], rng: random.Random) -> int:
        return bisect_right(cum, rng.random() * cum[-1])

    # Arrivals: a count per day (weekdays busier, volume growing a little), then times of day.

    def _busy(self, c: Cast, day: dt.date) -> float:
        """How busy the vendor's customers are on `day`: weekends and public holidays of its
        calendar are quiet."""
        quiet = day.weekday() >= 5 or day in self.holidays[c.vendor.pk]
        return WEEKEND_SHARE if quiet else 1.0

    def tickets(self, total: int) -> Iterator[MadeTicket]:
        rng = self.rng
        first = self.start.date()
        # A demo seeded part-way through a day holds that day up to the moment of seeding.
        elapsed = (self.now - self.start) / dt.timedelta(days=1)
        days = [first + dt.timedelta(days=i) for i in range(math.ceil(elapsed))]
        # Per day, the vendors' shares of that day's tickets, and the day's share of all.
        mixes = [
            list(accumulate(c.profile.share * self._busy(c, day) for c in self.cast))
            for day in days
        ]
        growth = 0.2 / max(len(days) - 1, 1)
        weights = [
            mix[-1] * (0.9 + growth * i) * rng.uniform(0.85, 1.15) for i, mix in enumerate(mixes)
        ]
        if elapsed % 1:
            weights[-1] *= elapsed % 1  # only the hours gone by of the last day
        cum = list(accumulate(weights))
        number, done = 0, 0
        for i, day in enumerate(days):
            upto = total if i == len(days) - 1 else round(total * cum[i] / cum[-1])
            count, done = upto - done, upto
            picks = [self.cast[self._pick(mixes[i], rng)] for _ in range(count)]
            arrivals = sorted((self._arrival(day, c), k) for k, c in enumerate(picks))
            for created, k in arrivals:
                number += 1
                yield self._ticket(number, created, picks[k])

    def _arrival(self, day: dt.date, c: Cast) -> dt.datetime:
        """A time on `day`, local to the vendor's desk, peaking in office hours."""
        rng = self.rng
        cum = self.weekday_cum if self._busy(c, day) == 1.0 else self.weekend_cum
        for _ in range(10):
            hour = self._pick(cum, rng)
            local = dt.datetime(
                day.year,
                day.month,
                day.day,
                hour,
                rng.randrange(60),
                rng.randrange(60),
                tzinfo=c.zone,
            )
            created = local.astimezone(UTC)
            # The local day straddles UTC days: keep inside [start, now).
            if self.start <= created < self.now:
                return created
        if day == self.now.date() and self.now.time() != dt.time(0):
            # Seeded part-way through today: the desk's hours may not have begun yet, so a
            # moment of the hours gone by rather than a pile-up just before `now`.
            since = max(self.start, dt.datetime.combine(day, dt.time(0), UTC))
            gone_by = (self.now - since).total_seconds()
            return since + dt.timedelta(seconds=int(gone_by * rng.random()))
        return min(max(created, self.start), self.now - dt.timedelta(seconds=1))

    def _requester(self, c: Cast, created: dt.datetime, g: float) -> tuple[str, str | None]:
        """Who asks; sometimes the same person again, in the same category, soon after their
        last ticket was resolved (a repeat). Returns (requester, category or None)."""
        rng = self.rng
        if c.recent and rng.random() < 0.015 + 0.04 * (1 - g):
            for _ in range(4):
                resolved, who, category = c.recent[rng.randrange(len(c.recent))]
                if resolved < created <= resolved + self.repeat_window:
                    return who, category
        # Skewed: a few people raise many tickets.
        return self.people[int(len(self.people) * rng.random() ** 1.7)], None

    def _ticket(self, number: int, created: dt.datetime, c: Cast) -> MadeTicket:
        rng, now, add = self.rng, self.now, sla.add_business_seconds
        t = (created - self.start).total_seconds() / self.span
        tech = c.technicians[self._pick(c.tech_cum, rng)]
        # One dial shapes every aspect of a ticket: the vendor's quality this month plus the
        # technician's skill; `g` is the same on a 0..1 scale for rates.
        z = c.quality(t) + tech.skill
        g = goodness(z)
        priority = PRIORITIES[self._pick(self.priority_cum, rng)]
        response_minutes, resolution_minutes, clock = self.targets[c.vendor.pk][priority]
        requester, category = self._requester(c, created, g)
        category = category or self.categories[self._pick(self.category_cum, rng)]
        title = rng.choice(CATEGORIES[category][1])
        if priority == "P1" and rng.random() < 0.4:
            channel = "monitoring"
        else:
            channel = CHANNELS[self._pick(self.channel_cum, rng)]

        # Durations are drawn in business seconds, so a night or a weekend is waited out.
        response_target = response_minutes * 60
        mu = math.log(response_target) - SIG_RESPONSE * (z + 0.3)
        response = int(clamp(rng.lognormvariate(mu, SIG_RESPONSE), 30, 20 * response_target))
        responded = add(clock, created, response)
        gap = int((responded - created).total_seconds())
        assigned = created + dt.timedelta(seconds=min(rng.randint(5, 300), max(1, gap // 2)))
        working = responded + dt.timedelta(seconds=rng.randint(0, 240))

        escalated = rng.random() < 0.05 + 0.19 * (1 - g) + (0.08 if priority == "P1" else 0)
        stalled = rng.random() < 0.002 + 0.01 * (1 - g)
        target = resolution_minutes * 60
        work = rng.lognormvariate(math.log(target) - SIG_RESOLUTION * z, SIG_RESOLUTION)
        if escalated:
            work *= rng.lognormvariate(math.log(1.7), 0.3)
        if stalled:
            work *= rng.uniform(3, 10)
        work = int(clamp(work, response + 900, 12 * target))

        def during(share: float) -> dt.datetime:
            """A moment of the work, `share` of the way through it in business time, so
            that hand-overs and replies happen while the desk is open."""
            lead = response + 241  # business seconds, enough to be after `working`
            return add(clock, created, lead + int((work - lead) * share))

        name = tech.obj.name
        events = [
            Event(created, "created", "", "new", requester, False),
            Event(assigned, "assigned", "", name, "Dispatch"),
            Event(responded, "responded", "", "", name),
            Event(working, "status_change", "assigned", "in_progress", name),
        ]
        pauses = []
        if rng.random() < 0.10 + 0.04 * (1 - g):
            # A pause while work is under way; the resolution moves out by its business time.
            reason = PAUSE_REASONS[self._pick(self.pause_cum, rng)]
            began = during(rng.uniform(0.15, 0.75))
            length = clamp(rng.lognormvariate(math.log(5 * 3600), 1.0), 600, 10 * 86_400)
            ended = began + dt.timedelta(seconds=int(length))
            pauses.append((began, ended))
            if reason == "on_hold":
                events.append(Event(began, "paused", "in_progress", "on_hold", name))
                events.append(Event(ended, "resumed", "on_hold", "in_progress", name))
            else:
                by_customer = reason == "pending_customer"
                events.append(Event(began, "status_change", "in_progress", reason, name))
                events.append(
                    Event(
                        ended,
                        "status_change",
                        reason,
                        "in_progress",
                        requester if by_customer else name,
                        not by_customer,
                    )
                )
        # The pause started before the work was done, so this lands after it ends.
        resolved = add(clock, created, work, pauses)
        handover = None
        if escalated:
            at = during(rng.uniform(0.1, 0.5))
            events.append(Event(at, "escalated", "L1", "L2", name))
            handover = at + dt.timedelta(seconds=60) if rng.random() < 0.45 else None
        elif rng.random() < 0.03 + 0.12 * (1 - g):
            handover = during(rng.uniform(0.05, 0.6))
        final = tech
        if handover is not None:
            while final is tech:
                final = c.technicians[self._pick(c.tech_cum, rng)]
            events.append(Event(handover, "assigned", name, final.obj.name, "Dispatch"))
        if rng.random() < 0.08 + 0.30 * (1 - g):
            # Back-and-forth with the requester: more than one reply spoils first contact.
            for _ in range(rng.randint(1, 3)):
                events.append(Event(during(rng.random()), "responded", "", "", name))
        events.append(Event(resolved, "resolved", "in_progress", "resolved", final.obj.name))
        if rng.random() < 0.01 + 0.09 * (1 - g):
            wait = clamp(rng.lognormvariate(math.log(20 * 3600), 0.8), 600, 4 * 86_400)
            reopened = resolved + dt.timedelta(seconds=int(wait))
            more = int(clamp(rng.lognormvariate(math.log(0.3 * target), 0.8), 600, 3 * target))
            resolved = add(clock, reopened, more)
            events.append(Event(reopened, "reopened", "resolved", "in_progress", requester, False))
            events.append(Event(resolved, "resolved", "in_progress", "resolved", final.obj.name))
        wait = clamp(rng.lognormvariate(math.log(2 * 86_400), 0.5), 3600, 5 * 86_400)
        closed = resolved + dt.timedelta(seconds=int(wait))
        events.append(Event(closed, "closed", "resolved", "closed", "Auto-close", False))

        # What had happened by `now`: later events are cut, which leaves the ticket open.
        events.sort(key=lambda e: e.at)  # stable: same-instant events keep their order
        if closed >= now:
            events = [e for e in events if e.at < now]
        status, resolved_at, closed_at, technician = "new", None, None, tech.obj
        for e in events:
            kind = e.kind
            if kind == "assigned":
                status = "assigned" if status == "new" else status
                technician = final.obj if e.new_value == final.obj.name else tech.obj
            elif kind in ("status_change", "paused", "resumed"):
                status = e.new_value
            elif kind == "resolved":
                status, resolved_at = "resolved", e.at
            elif kind == "reopened":
                status, resolved_at = "in_progress", None
            elif kind == "closed":
                status, closed_at = "closed", e.at

        ticket = Ticket(
            source=DEMO_SOURCE,
            external_id=f"DEMO-{number:06d}",
            source_version="1",
            vendor=c.vendor,
            contract=c.contract,
            technician=technician,
            priority=priority,
            category=category,
            requester=requester,
            channel=channel,
            status=status,
            title=title,
            created_at=created,
            first_response_at=responded if responded < now else None,
            resolved_at=resolved_at,
            closed_at=closed_at,
            response_target_minutes=response_minutes,
            resolution_target_minutes=resolution_minutes,
        )
        ticket_apply_facts(
            ticket,
            events,
            book=self.book,
            now=now,
            technicians=self.technician_ids[c.vendor.pk].get,
        )

        survey = None
        if resolved_at is not None:
            c.recent.append((resolved_at, requester, category))
            if rng.random() < 0.25 + 0.08 * g:
                delay = clamp(rng.lognormvariate(math.log(5 * 3600), 1.0), 120, 7 * 86_400)
                answered = resolved_at + dt.timedelta(seconds=int(delay))
                mean = 3.6 + 1.2 * g + c.profile.csat_shift
                mean -= 0.6 if ticket.resolution_met is False else 0
                mean -= 0.6 if ticket.reopen_count else 0
                score = int(clamp(round(rng.gauss(mean, 0.8)), 1, 5))
                comment = ""
                if rng.random() < 0.3:
                    comment = rng.choice(COMMENTS_GOOD if score >= 4 else COMMENTS_BAD)
                if answered < now:
                    survey = (score, comment, answered)
        return MadeTicket(ticket, events, survey)
