"""The schema of every network table: one list that reading, validation and the docs all use.

Each table of the network folder (CONTRACTS §1) is a :class:`Table` with its :class:`Field` s: the
column name, its type, its unit, whether it is required or its default, and what it means. The
README's data section is generated from this module (``chainlab schema --markdown``) and a test
keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Kind(str, Enum):
    """What kind of value a column holds."""

    STR = "text"
    FLOAT = "number"
    INT = "integer"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True)
class Field:
    """One column: ``name``, value ``kind``, ``unit``, ``required`` or ``default``, ``meaning``."""

    name: str
    kind: Kind
    meaning: str
    required: bool = False
    default: object = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    nonnegative: bool = False

    @property
    def default_text(self) -> str:
        if self.required:
            return "required"
        if self.default is None:
            return "blank"
        return str(self.default)


@dataclass(frozen=True)
class Table:
    """One table: its file stem, the key columns that identify a row, and its fields."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    meaning: str
    required_file: bool = False
    unique_key: bool = True

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class SiteKind(StrEnum):
    """What a site is (``sites.csv`` column ``kind``). A StrEnum: ``SiteKind.DC == "dc"`` and ``str(SiteKind.DC) == "dc"``, so
    the tables keep their text and code compares against names, not string literals."""

    SUPPLIER = "supplier"
    PLANT = "plant"
    DC = "dc"
    CUSTOMER = "customer"


class SiteStatus(StrEnum):
    """Whether a site exists or is a candidate for network design (``sites.csv`` ``status``)."""

    EXISTING = "existing"
    CANDIDATE = "candidate"


class Policy(StrEnum):
    """Inventory policy of a site and product (``inventory.csv`` ``policy``)."""

    BASE_STOCK = "base_stock"
    S_S = "s_S"
    R_Q = "r_Q"
    PLAN = "plan"


class Distribution(StrEnum):
    """How one bucket's demand varies around its mean (``demand.csv`` ``distribution``)."""

    #: exactly the mean (the default without ``sd``)
    FIXED = "fixed"
    #: normal with standard deviation ``sd`` (the default with it), truncated at 0
    NORMAL = "normal"
    POISSON = "poisson"
    #: gamma with mean ``quantity`` and standard deviation ``sd``
    GAMMA = "gamma"


SITE_KINDS = tuple(k.value for k in SiteKind)
SITE_STATUS = tuple(s.value for s in SiteStatus)
POLICIES = tuple(p.value for p in Policy)
DISTRIBUTIONS = tuple(d.value for d in Distribution)
BUCKETS = ("week", "day")
INTEGER_CHOICES = ("yes", "no")
#: units of measure that count pieces: products in them are planned in whole units when their
#: ``integer_quantities`` is blank
DISCRETE_UNITS = frozenset({"ea", "each", "pc", "pcs", "piece", "pieces", "unit", "units",
                            "box", "boxes", "case", "cases", "carton", "cartons", "pack",
                            "packs", "pallet", "pallets", "set", "sets", "kit", "kits",
                            "roll", "rolls", "bottle", "bottles", "bag", "bags", "can", "cans"})

_S, _F, _I, _D, _C = Kind.STR, Kind.FLOAT, Kind.INT, Kind.DATE, Kind.CHOICE


def _f(name, kind, meaning, *, required=False, default=None, unit="", choices=(), nonneg=False):
    return Field(name, kind, meaning, required, default, unit, tuple(choices), nonneg)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sites",
            (
                _f("id", _S, "unique site ID", required=True),
                _f("kind", _C, "what the site is", required=True, choices=SITE_KINDS),
                _f("name", _S, "display name"),
                _f("lat", _F, "latitude (WGS84)", unit="degrees"),
                _f("lon", _F, "longitude (WGS84)", unit="degrees"),
                _f("region", _S, "sales or planning region"),
                _f("status", _C, "existing site, or a candidate that network design may open",
                   default="existing", choices=SITE_STATUS),
                _f("fixed_cost", _F, "cost per period while the site is open", default=0.0,
                   unit="currency/period", nonneg=True),
                _f("open_cost", _F, "one-off cost of opening a candidate site", default=0.0,
                   unit="currency", nonneg=True),
                _f("capacity", _F, "throughput limit through a DC; blank = unlimited",
                   unit="units/period", nonneg=True),
            ),
            key=("id",),
            meaning="suppliers, plants, distribution centres and customers",
            required_file=True,
        ),
        Table(
            "products",
            (
                _f("id", _S, "unique product ID (finished goods and components alike)", required=True),
                _f("standard_cost", _F, "standard cost, the value of one unit in stock",
                   required=True, unit="currency/unit", nonneg=True),
                _f("name", _S, "display name"),
                _f("unit", _S, "unit of measure", default="ea"),
                _f("price", _F, "selling price", unit="currency/unit", nonneg=True),
                _f("holding_cost", _F, "cost of holding one unit for one period", default=0.0,
                   unit="currency/unit/period", nonneg=True),
                _f("integer_quantities", _C, "planned in whole units (yes) or any quantity "
                   "(no); blank = yes for a unit that counts pieces (ea, pcs, box, ...), no "
                   "for one that measures (kg, l, m, ...); used when a plan asks for it "
                   "(integer_quantities=None)", choices=INTEGER_CHOICES),
            ),
            key=("id",),
            meaning="finished goods and components",
            required_file=True,
        ),
        Table(
            "bom",
            (
                _f("product", _S, "the product made", required=True),
                _f("component", _S, "a product consumed to make it", required=True),
                _f("quantity", _F, "component units per product unit", required=True,
                   unit="units/unit", nonneg=True),
                _f("plant", _S, "the plant this recipe applies to; blank = every plant"),
            ),
            key=("product", "component", "plant"),
            meaning="bills of material",
        ),
        Table(
            "production",
            (
                _f("plant", _S, "plant that makes the product", required=True),
                _f("product", _S, "product made", required=True),
                _f("unit_cost", _F, "variable cost of making one unit", required=True,
                   unit="currency/unit", nonneg=True),
                _f("resource", _S, "resource (line) used; see resources.csv"),
                _f("hours_per_unit", _F, "resource hours per unit made", default=0.0,
                   unit="hours/unit", nonneg=True),
                _f("setup_cost", _F, "cost of each period in which the product is made",
                   default=0.0, unit="currency/setup", nonneg=True),
                _f("min_lot", _F, "smallest quantity per period when made at all", default=0.0,
                   unit="units", nonneg=True),
                _f("max_lot", _F, "most made per period; blank = only the capacity limits it",
                   unit="units", nonneg=True),
                _f("lot_multiple", _F, "what is made in a period is a whole number of these; "
                   "blank = any quantity", unit="units", nonneg=True),
                _f("setup_hours", _F, "resource hours each setup takes from its period",
                   default=0.0, unit="hours/setup", nonneg=True),
                _f("lead_time_days", _F, "days from the release of a production order to its "
                   "output; the components are used in the release period", default=0.0,
                   unit="days", nonneg=True),
            ),
            key=("plant", "product"),
            meaning="which plant can make which product, at what cost and on which resource",
        ),
        Table(
            "resources",
            (
                _f("plant", _S, "plant that owns the resource", required=True),
                _f("resource", _S, "resource (line, machine group) ID", required=True),
                _f("hours_per_period", _F, "available hours per period", required=True,
                   unit="hours/period", nonneg=True),
            ),
            key=("plant", "resource"),
            meaning="production resources and their hours",
        ),
        Table(
            "supply",
            (
                _f("supplier", _S, "supplier site", required=True),
                _f("product", _S, "product supplied", required=True),
                _f("unit_cost", _F, "purchase price", required=True, unit="currency/unit",
                   nonneg=True),
                _f("capacity_per_period", _F, "most the supplier can ship per period; blank = unlimited",
                   unit="units/period", nonneg=True),
                _f("lead_time_days", _F, "days from order to shipment", default=0.0, unit="days",
                   nonneg=True),
                _f("min_order", _F, "smallest order per period (summed over destinations) when "
                   "ordering at all", default=0.0, unit="units", nonneg=True),
                _f("order_multiple", _F, "what is ordered in a period is a whole number of "
                   "these; blank = any quantity", unit="units", nonneg=True),
            ),
            key=("supplier", "product"),
            meaning="what suppliers sell, at what price, capacity and lead time",
        ),
        Table(
            "lanes",
            (
                _f("origin", _S, "site shipped from", required=True),
                _f("destination", _S, "site shipped to", required=True),
                _f("cost_per_unit", _F, "transport cost per unit", required=True,
                   unit="currency/unit", nonneg=True),
                _f("product", _S, "the only product on this lane; blank = every product"),
                _f("mode", _S, "transport mode (truck, rail, ...)"),
                _f("lead_time_days", _F, "transit time", default=0.0, unit="days", nonneg=True),
                _f("lead_time_sd_days", _F, "standard deviation of the transit time", default=0.0,
                   unit="days", nonneg=True),
                _f("capacity_per_period", _F, "most units per period; blank = unlimited",
                   unit="units/period", nonneg=True),
                _f("fixed_cost", _F, "cost of each period the lane is used", default=0.0,
                   unit="currency/period", nonneg=True),
                _f("min_shipment", _F, "smallest shipment per period when used", default=0.0,
                   unit="units", nonneg=True),
            ),
            key=("origin", "destination", "product", "mode"),
            meaning="transport lanes between sites",
            required_file=True,
        ),
        Table(
            "inventory",
            (
                _f("site", _S, "site holding the stock", required=True),
                _f("product", _S, "product held", required=True),
                _f("on_hand", _F, "stock at the start of the first period", required=True,
                   unit="units", nonneg=True),
                _f("safety_stock", _F, "soft floor on stock", default=0.0, unit="units",
                   nonneg=True),
                _f("max_stock", _F, "most units the site may hold; blank = unlimited", unit="units",
                   nonneg=True),
                _f("policy", _C, "replenishment policy in simulation", default="plan",
                   choices=POLICIES),
                _f("reorder_point", _F, "reorder point s (s_S) or r (r_Q)", unit="units",
                   nonneg=True),
                _f("order_up_to", _F, "order-up-to level S (base_stock, s_S)", unit="units",
                   nonneg=True),
                _f("order_quantity", _F, "order quantity Q (r_Q)", unit="units", nonneg=True),
                _f("review_days", _F, "review period; blank = continuous review", unit="days",
                   nonneg=True),
            ),
            key=("site", "product"),
            meaning="starting stock and inventory policies",
        ),
        Table(
            "demand",
            (
                _f("customer", _S, "customer site", required=True),
                _f("product", _S, "product demanded", required=True),
                _f("date", _D, "any date; the demand counts in the bucket that contains it",
                   required=True),
                _f("quantity", _F, "mean demand", required=True, unit="units", nonneg=True),
                _f("sd", _F, "standard deviation of that bucket's demand", unit="units",
                   nonneg=True),
                _f("distribution", _C, "fixed without sd, normal with it; or poisson, gamma",
                   choices=DISTRIBUTIONS),
            ),
            key=("customer", "product", "date"),
            meaning="customer demand per bucket",
            unique_key=False,
        ),
        Table(
            "capacity_changes",
            (
                _f("site", _S, "site whose capacity changes", required=True),
                _f("start", _D, "first day of the change", required=True),
                _f("end", _D, "last day of the change (inclusive)", required=True),
                _f("scale", _F, "multiplier of the capacity on those days (0 = down)",
                   required=True, unit="factor", nonneg=True),
                _f("resource", _S, "only this resource of a plant; blank = the whole site"),
                _f("product", _S, "only this product of a supplier; blank = every product"),
            ),
            key=("site", "resource", "product", "start"),
            meaning="time windows in which a site, a plant's resource or a supplier's supply "
                    "runs at a fraction of its capacity (outages, slowdowns); what-if "
                    "scenarios write them",
        ),
    )
}

#: network.yaml keys: (key, meaning, required/default)
NETWORK_YAML: tuple[tuple[str, str, str], ...] = (
    ("name", "network name", "required"),
    ("currency", "currency of every cost", "USD"),
    ("calendar.bucket", "`week` or `day`", "required"),
    ("calendar.start", "ISO date of the first bucket", "required"),
    ("calendar.periods", "number of buckets", "required"),
)


def lane_id(origin: str, destination: str, product: str = "", mode: str = "") -> str:
    """The readable ID of a lane: ``ORIGIN>DEST`` plus ``/product`` and ``@mode`` when set."""
    lid = f"{origin}>{destination}"
    if product:
        lid += f"/{product}"
    if mode:
        lid += f"@{mode}"
    return lid


def markdown() -> str:
    """The data reference as Markdown: the README's data section is exactly this text."""
    out = ["`network.yaml`:", "", "| key | meaning | default |", "|---|---|---|"]
    out += [f"| `{k}` | {m} | {d} |" for k, m, d in NETWORK_YAML]
    for t in TABLES.values():
        need = "required file" if t.required_file else "optional file"
        out += ["", f"`{t.file}` ({need}): {t.meaning}.", ""]
        out += ["| column | type | unit | default | meaning |", "|---|---|---|---|---|"]
        for f in t.fields:
            kind = f.kind.value if not f.choices else " / ".join(f.choices)
            out.append(f"| `{f.name}` | {kind} | {f.unit} | {f.default_text} | {f.meaning} |")
    return "\n".join(out) + "\n"
