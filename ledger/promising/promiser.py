"""The promising algorithm: the answer to "can customer Y get these quantities by these
dates?", worked out on a :class:`ledger.promising.book.Book` (no SQL here).

How a line is answered (:class:`Promiser`):

1. **Sources.** ATP sources are the plants and DCs with a lane to the customer that carries the
   product; each ships ``lead`` days before delivery. CTP sources are the plants that make the
   product (``plan_routings``), straight to the customer or through a DC, with the production
   lead (output at the end of the producing bucket) and the transport legs.
2. **On time.** On the requested date ``R``: take ATP from the sources in order of cost per
   unit (ATP of the site on the ship date ``R - lead``, within the customer's tier quota), then
   CTP for what is still missing (spare hours of buckets that end early enough, latest first,
   and the components on hand or inbound at the plant by the bucket's start).
3. **Later.** What ATP and CTP cannot give by ``R`` comes on the earliest later date on which
   it can all arrive (the days on which supply, quotas or capacity change are the candidates).
   Without ``allow_partial`` the whole line comes on that date; with it, what is there by ``R``
   comes on ``R`` and the rest later. With ``ship_complete`` every line comes on one date, the
   earliest on which all can.
4. **Answer.** Each line lists what is promised (quantity, delivery date, ship date, source,
   kind atp/ctp, route), the reason (what set the date) and, when it is not as asked, the
   alternatives: the part that could come on time, other DCs, CTP.

The whole request is worked out on one book, so lines of one order never count the same units
or hours twice; each attempt runs on a fork of it and the book adopts the one that is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal

from chainlab.ledger.ctp import floor6
from chainlab.ledger.promising.book import Book, Source
from chainlab.ledger.promising.types import (
                                  ZERO,
                                  Alternative,
                                  Answer,
                                  LineAnswer,
                                  LineRequest,
                                  Part,
                                  PromiseRequest,
                                  SupplyKind,
)
from chainlab.ledger.types import QUANTUM
from chainlab.models.schema import SiteKind

DAY = dt.timedelta(days=1)
#: how far after the requested date a promise may be looked for, in days
HORIZON_DAYS = 3 * 366


@dataclass
class Allotment:
    """What one attempt to fill a line took: the promised parts, and a note on each source it
    drew on (the sentences of the line's reason)."""

    parts: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((p.quantity for p in self.parts), ZERO)


def answer(book: Book, req: PromiseRequest) -> Answer:
    """The answer to ``req`` on ``book``; what it promises stays taken in ``book``
    (``book.holds``)."""
    return Promiser(book, req.customer).answer(req)


class Promiser:
    """Works out the answer to a :class:`PromiseRequest` on a :class:`Book`."""

    def __init__(self, book: Book, customer: str):
        self.book = book
        self.customer = customer
        self._sources: dict[str, list[Source]] = {}

    # ------------------------------------------------------------ sources

    def atp_sources(self, product: str) -> list[Source]:
        """Plants and DCs with a lane to the customer, by cost per unit."""
        return sorted((Source(SupplyKind.ATP, ln.origin, (ln,))
                       for ln in self.book.statics.sources(self.customer, product)),
                      key=lambda s: (s.cost, s.lead, s.site))

    def sources(self, product: str) -> list[Source]:
        """ATP sources by cost per unit, then CTP sources by cost per unit."""
        if product in self._sources:
            return self._sources[product]
        st, book = self.book.statics, self.book
        atp = self.atp_sources(product)
        ctp = []
        for r in st.routings.get(product, ()):
            if not r.resource or r.hours_per_unit <= 0:
                continue  # without a resource there are no hours to promise
            for ln in st.lanes(r.plant, self.customer, product):
                ctp.append(Source(SupplyKind.CTP, r.plant, (ln,), r))
            for last in st.sources(self.customer, product):
                if last.origin == r.plant or st.kinds.get(last.origin) != SiteKind.DC:
                    continue
                for first in st.lanes(r.plant, last.origin, product):
                    ctp.append(Source(SupplyKind.CTP, r.plant, (first, last), r))
        ctp.sort(key=lambda s: (s.cost, s.lead, s.site))
        book.load({(s.site, product) for s in atp})
        self._sources[product] = atp + ctp
        return self._sources[product]

    def _ctp_ready(self, book: Book, product: str) -> None:
        """Load what CTP of ``product`` reads: spare hours, components at the plants."""
        book.load_capacity()
        keys = set()
        for r in book.statics.routings.get(product, ()):
            for comp, _ in book.statics.components(r.plant, product):
                keys.add((r.plant, comp))
        book.load(keys)

    # ------------------------------------------------------------ filling

    def fill(self, book: Book, product: str, day: dt.date, qty: Decimal,
             sources: list[Source] | None = None) -> Allotment:
        """Take up to ``qty`` of ``product`` delivered on ``day`` from ``sources`` (all by
        default), cheapest first, ATP before CTP; holds what it takes in ``book``."""
        out = Allotment()
        for src in sources if sources is not None else self.sources(product):
            left = qty - out.quantity
            if left <= 0:
                break
            ship = day - dt.timedelta(days=src.last_leg)
            if day - dt.timedelta(days=src.lead) < book.today:
                continue
            quota = book.quota_limit(product, ship)
            if quota is not None:
                left = min(left, quota)
                if left <= 0:
                    continue
            if src.kind is SupplyKind.ATP:
                avail = book.table(src.site, product).available(ship)
                take = min(left, avail)
                if take > 0:
                    book.take_stock(src.site, product, ship, take)
                    book.take_quota(product, ship, take)
                    out.parts.append(Part(take, day, ship, src.site, SupplyKind.ATP, src.route))
                    out.notes.append(f"ATP at {src.site}: {_q(take)} of {_q(avail)} available "
                                     f"to ship {ship}, {src.transit()}")
            else:
                self._fill_ctp(book, product, src, day, ship, left, out)
        return out

    def _fill_ctp(self, book: Book, product: str, src: Source, day: dt.date, ship: dt.date,
                  left: Decimal, out: Allotment) -> None:
        self._ctp_ready(book, product)
        r = src.routing
        ready_by = day - dt.timedelta(days=src.lead)
        cap = book.capacity
        comps = book.statics.components(r.plant, product)
        made = ZERO
        for b in reversed(cap.buckets(r.plant, r.resource)):
            if left - made <= 0:
                break
            ready = b.end + dt.timedelta(days=r.lead_days)
            if ready > ready_by or b.end <= book.today:
                continue
            free = cap.free(r.plant, r.resource, b, book.today)
            x = min(left - made, floor6(free / r.hours_per_unit))
            when = max(b.start, book.today)
            short = None
            for comp, per in comps:
                if per > 0:
                    have = book.table(r.plant, comp).available(when)
                    lim = floor6(have / per)
                    if lim < x:
                        x, short = lim, (comp, have)
            if x <= 0:
                continue
            hours = _ceil6(x * r.hours_per_unit)
            book.take_hours(r.plant, r.resource, b.start, hours)
            for comp, per in comps:
                if per > 0:
                    book.take_stock(r.plant, comp, when, _ceil6(x * per))
            made += x
            note = (f"CTP: {r.resource} at {r.plant} has {_q(free)} free hours in the "
                    f"{_bucket(b)} of {b.start}; makes {_q(x)} ({_q(hours)} h), ready {ready}, "
                    f"then {src.transit()}")
            if short is not None:
                note += f" (limited by {short[0]} at {r.plant}: {_q(short[1])} available)"
            out.notes.append(note)
        if made > 0:
            book.take_quota(product, ship, made)
            out.parts.append(Part(made, day, ship, r.plant, SupplyKind.CTP, src.route))

    # ------------------------------------------------------------ dates

    def candidates(self, book: Book, product: str, start: dt.date,
                   sources: list[Source] | None = None) -> list[dt.date]:
        """Delivery days from ``start`` on which what ``product`` can get may change."""
        days = {start}
        end = start + dt.timedelta(days=HORIZON_DAYS)

        def add(d: dt.date, later: dt.timedelta) -> None:
            # a day past the horizon is no candidate; adding to it could pass the last date
            # Python has (a quota or move stored before dates were held to the accepted range)
            if d <= end:
                days.add(d + later)

        for src in sources if sources is not None else self.sources(product):
            lead = dt.timedelta(days=src.lead)
            leg = dt.timedelta(days=src.last_leg)
            if src.kind is SupplyKind.ATP:
                t = book.table(src.site, product)
                first = max(start - leg, book.today)
                add(first, leg)
                for d in t.dates_after(first):
                    add(d, leg)
            else:
                self._ctp_ready(book, product)
                r = src.routing
                for b in book.capacity.buckets(r.plant, r.resource):
                    days.add(b.end + dt.timedelta(days=r.lead_days) + lead)
                for comp, _ in book.statics.components(r.plant, product):
                    t = book.table(r.plant, comp)
                    for d in t.dates_after(book.today):
                        b = book.capacity.bucket_at(r.plant, r.resource, d)
                        if b is not None:
                            days.add(b.end + dt.timedelta(days=r.lead_days) + lead)
            days.add(book.today + lead)
            for s, e, _ in book.quotas.periods.get(product, ()):
                add(s, leg)
                add(e, leg)
        return sorted(d for d in days if start <= d <= end)

    def earliest(self, book: Book, product: str, qty: Decimal, start: dt.date,
                 sources: list[Source] | None = None) -> tuple[dt.date, Book, Allotment] | None:
        """The first delivery day from ``start`` on which all of ``qty`` can come, with the
        fork of ``book`` that holds it."""
        days = self.candidates(book, product, start, sources)
        if not book.quotas.periods.get(product):
            # without quotas what can come on a day never falls as the day gets later (ATP
            # is cumulative, later days admit more buckets): search for the first day
            lo, hi = 0, len(days)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.fill(book.fork(), product, days[mid], qty, sources).quantity >= qty:
                    hi = mid
                else:
                    lo = mid + 1
            days = days[lo:lo + 1]
        for day in days:
            trial = book.fork()
            got = self.fill(trial, product, day, qty, sources)
            if got.quantity >= qty:
                return day, trial, got
        return None

    def most(self, book: Book, product: str, qty: Decimal, start: dt.date
             ) -> tuple[dt.date, Book, Allotment] | None:
        """The most of ``qty`` that can come on one day from ``start`` (the earliest such
        day), when all of it cannot."""
        best = None
        for day in self.candidates(book, product, start):
            trial = book.fork()
            got = self.fill(trial, product, day, qty)
            if got.quantity > 0 and (best is None or got.quantity > best[2].quantity):
                best = (day, trial, got)
        return best

    # ------------------------------------------------------------ answering

    def answer(self, req: PromiseRequest) -> Answer:
        book = self.book
        if req.ship_complete and len(req.lines) > 1:
            lines = self._ship_complete(req)
        else:
            lines = [self._line(i, ln, req.allow_partial) for i, ln in enumerate(req.lines)]
        return Answer(req.customer, book.tier, tuple(lines), req.ship_complete,
                      req.allow_partial, book.plan_id, book.today)

    def _line(self, i: int, ln: LineRequest, allow_partial: bool) -> LineAnswer:
        book, q, R = self.book, ln.quantity, ln.requested_date
        before = book.fork()
        trial = book.fork()
        on_time = self.fill(trial, ln.product, R, q)
        if on_time.quantity >= q:
            book.adopt(trial)
            return LineAnswer(i, ln.product, q, R, tuple(_merge(on_time.parts)),
                              _sentence(on_time.notes))
        why = self.shortfall(before, ln)
        if allow_partial:
            rest = q - on_time.quantity
            later = self.earliest(trial, ln.product, rest, R + DAY)
            if later is None:
                later = self.most(trial, ln.product, rest, R + DAY)
            parts, notes = list(on_time.parts), list(on_time.notes)
            if later is not None:
                day, trial, got = later
                parts += got.parts
                notes += got.notes
                why += f"; the rest on {day}" if got.quantity >= rest else \
                    f"; {_q(got.quantity)} more on {day}, no date for the last " \
                    f"{_q(rest - got.quantity)}"
            book.adopt(trial)
            return LineAnswer(i, ln.product, q, R, tuple(_merge(parts)),
                              _sentence([why] + notes),
                              tuple(self.alternatives(before, ln, parts)))
        later = self.earliest(book, ln.product, q, R + DAY)
        if later is None:
            return LineAnswer(i, ln.product, q, R, (), _sentence(
                [why, f"no date on which all {_q(q)} can arrive"]),
                tuple(self.alternatives(before, ln, [])))
        day, trial, got = later
        book.adopt(trial)
        return LineAnswer(i, ln.product, q, R, tuple(_merge(got.parts)),
                          _sentence([why + f"; all {_q(q)} can arrive on {day}"] + got.notes),
                          tuple(self.alternatives(before, ln, got.parts)))

    def _ship_complete(self, req: PromiseRequest) -> list[LineAnswer]:
        book = self.book
        target = max(ln.requested_date for ln in req.lines)
        day = target
        for _ in range(200):
            trial = book.fork()
            fills, failed = [], None
            for ln in req.lines:
                got = self.fill(trial, ln.product, day, ln.quantity)
                if got.quantity < ln.quantity:
                    failed = ln
                    break
                fills.append(got)
            if failed is None:
                base = book.fork()
                book.adopt(trial)
                out = []
                for i, (ln, got) in enumerate(zip(req.lines, fills)):
                    notes = list(got.notes)
                    alts: tuple = ()
                    if day > target:
                        notes.insert(0, f"shipped complete on {day}, when every line can "
                                        f"arrive; {self.shortfall(base, ln, target)}")
                        alts = tuple(self.alternatives(base, ln, got.parts))
                    elif day > ln.requested_date:
                        notes.insert(0, f"shipped complete with the other lines on {day}")
                    out.append(LineAnswer(i, ln.product, ln.quantity, ln.requested_date,
                                          tuple(_merge(got.parts)), _sentence(notes), alts))
                return out
            nxt = self.earliest(book.fork(), failed.product, failed.quantity, day + DAY)
            if nxt is None:
                break
            day = nxt[0]
        base = book.fork()
        return [LineAnswer(i, ln.product, ln.quantity, ln.requested_date, (), _sentence(
            ["the lines cannot all arrive on one date", self.shortfall(base, ln, target)]),
            tuple(self.alternatives(base, ln, [])))
            for i, ln in enumerate(req.lines)]

    # ------------------------------------------------------------ explaining

    def shortfall(self, book: Book, ln: LineRequest, day: dt.date | None = None) -> str:
        """Why ``ln`` cannot all come on ``day`` (default its requested date)."""
        day = day or ln.requested_date
        q, product = ln.quantity, ln.product
        srcs = self.sources(product)
        if not srcs:
            return (f"no plant or DC has a lane to {self.customer} for {product}"
                    if self.book.plan_id is not None else
                    "no plan has been published, so nothing is available to promise")
        why = []
        for src in [s for s in srcs if s.kind is SupplyKind.ATP][:3]:
            ship = day - dt.timedelta(days=src.last_leg)
            if day - dt.timedelta(days=src.lead) < book.today:
                why.append(f"{src.site} cannot deliver by {day}: {src.transit()} from "
                           f"{book.today}")
                continue
            t = book.table(src.site, product)
            have = t.available(ship)
            full = t.earliest(q, ship)
            if full is None:
                why.append(f"ATP at {src.site} has {_q(have)} to ship by {ship} and "
                           f"{_q(t.final)} once every planned receipt is in")
            else:
                what = t.receipts_on(full)
                when = f", when {what[0]} is due" if what else ""
                why.append(f"ATP at {src.site} has {_q(have)} to ship by {ship}, exhausted "
                           f"until {full}{when}")
        quota = book.quotas.usable(product, book.tier, day)
        if quota is not None:
            p = book.quotas.period(product, day)
            left = sum((x for _, x in quota), ZERO)
            if left < q:
                tier = book.tier if book.tier is not None else "(none: lowest)"
                why.append(f"tier {tier} may use {_q(left)} more of the {product} quota for "
                           f"{p[0]} to {p[1] - DAY}")
        ctp = [s for s in srcs if s.kind is SupplyKind.CTP]
        if ctp:
            fastest = min(ctp, key=lambda s: (s.lead, s.cost))
            why.append(self._ctp_shortfall(book, product, fastest, day))
        return "; ".join(why)

    def _ctp_shortfall(self, book: Book, product: str, src: Source, day: dt.date) -> str:
        self._ctp_ready(book, product)
        r = src.routing
        ready_by = day - dt.timedelta(days=src.lead)
        free, last = ZERO, None
        for b in book.capacity.buckets(r.plant, r.resource):
            if b.end + dt.timedelta(days=r.lead_days) <= ready_by and b.end > book.today:
                free += book.capacity.free(r.plant, r.resource, b, book.today)
                last = b
        if last is None:
            return (f"CTP: {r.resource} at {r.plant} has no bucket that ends in time to make "
                    f"{product} for {day} ({src.transit()})")
        text = (f"CTP: {r.resource} at {r.plant} has {_q(free)} free hours until {last.end} "
                f"(enough for {_q(floor6(free / r.hours_per_unit))} at {_q(r.hours_per_unit)} "
                f"h each)")
        for comp, per in book.statics.components(r.plant, product):
            have = book.table(r.plant, comp).available(max(last.start, book.today))
            text += f"; {comp} at {r.plant}: {_q(have)} for {_q(floor6(have / per))}" \
                if per > 0 else ""
        return text

    def alternatives(self, book: Book, ln: LineRequest, used: list[Part]) -> list[Alternative]:
        """Other ways to serve ``ln``: what can come on time, each other ATP source, CTP."""
        out: list[Alternative] = []
        q, R, product = ln.quantity, ln.requested_date, ln.product
        on_time = self.fill(book.fork(), product, R, q)
        if 0 < on_time.quantity < q:
            out.append(Alternative(on_time.quantity, R, _sources(on_time.parts),
                                   on_time.parts[0].kind,
                                   f"a partial quantity on the requested date "
                                   f"({_q(q - on_time.quantity)} short)"))
        used_sites = {p.source for p in used}
        srcs = self.sources(product)
        for src in [s for s in srcs if s.kind is SupplyKind.ATP][:4]:
            if src.site in used_sites:
                continue
            got = self.earliest(book, product, q, R, [src])
            if got is not None:
                out.append(Alternative(q, got[0], src.site, SupplyKind.ATP,
                                       f"all from {src.site} ({src.route})"))
        ctp = [s for s in srcs if s.kind is SupplyKind.CTP]
        if ctp and not any(p.kind is SupplyKind.CTP for p in used):
            got = self.earliest(book, product, q, R, ctp)
            if got is not None:
                out.append(Alternative(q, got[0], _sources(got[2].parts), SupplyKind.CTP,
                                       "all made to order (CTP)"))
        return out


def _merge(parts: list[Part]) -> list[Part]:
    """Parts of the same day, source, kind and route as one."""
    out: dict = {}
    for p in parts:
        k = (p.date, p.ship_date, p.source, p.kind, p.route)
        out[k] = replace(p, quantity=out[k].quantity + p.quantity) if k in out else p
    return sorted(out.values(), key=lambda p: (p.date, p.kind.value, p.source))


def _sources(parts: list[Part]) -> str:
    return "+".join(dict.fromkeys(p.source for p in parts))


def _sentence(notes: list[str]) -> str:
    return "; ".join(n for n in notes if n)


def _q(x: Decimal) -> str:
    """A quantity as people write it: 40, 2.5, 0.333333."""
    x = x.quantize(QUANTUM)
    s = format(x.normalize(), "f")
    return s


def _ceil6(x: Decimal) -> Decimal:
    return x.quantize(QUANTUM, rounding=ROUND_CEILING)


def _bucket(b) -> str:
    days = (b.end - b.start).days
    return {7: "week", 1: "day"}.get(days, "period")
