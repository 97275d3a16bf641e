"""The chart of accounts and the posting rule of every stock move.

Inventory is carried at standard cost, one asset account per stocking site (plant or DC). Each
move debits or credits its site's inventory by ``|delta| x standard cost`` and books the other
side to the account that explains it:

=============== ===================================== =========================================
move            on-hand                               entry
=============== ===================================== =========================================
receipt         +                                     Dr INV:site    Cr GRNI (received, not invoiced)
shipment        -                                     Dr COGS        Cr INV:site
transfer_out    -                                     Dr TRANSIT     Cr INV:site
transfer_in     +                                     Dr INV:site    Cr TRANSIT
production      + (output)                            Dr INV:site    Cr WIP (production absorption)
consumption     - (component issue)                   Dr WIP         Cr INV:site
adjustment      +/-                                   Dr INV:site    Cr INV_ADJ, or the reverse
opening         + (stock the ledger starts from)      Dr INV:site    Cr OPENING (equity)
=============== ===================================== =========================================

Opening moves are posted by publishing a plan with its network, once per site and product that
has no move yet (:func:`ledger.moves.post_opening_stock`); the stock the plan starts from is
owned, not owed, so its other side is equity.

A reversal negates ``delta``, which swaps the sides. A change of standard cost posts a
revaluation (INV:site against REVAL) so the inventory accounts keep equalling on-hand x standard
cost. Every entry balances, so the trial balance (all debits minus all credits) is zero.
"""

from __future__ import annotations

from decimal import Decimal

from chainlab.ledger.types import AccountKind, MoveType
from chainlab.models.schema import SiteKind

GRNI = "GRNI"
COGS = "COGS"
TRANSIT = "TRANSIT"
WIP = "WIP"
INV_ADJ = "INV_ADJ"
REVAL = "REVAL"
OPENING = "OPENING"

#: the accounts every ledger has: code -> (name, kind)
FIXED_ACCOUNTS = {
    GRNI: ("Goods received not invoiced", AccountKind.LIABILITY),
    COGS: ("Cost of goods sold", AccountKind.EXPENSE),
    TRANSIT: ("Inventory in transit", AccountKind.ASSET),
    WIP: ("Work in process (production absorption)", AccountKind.ASSET),
    INV_ADJ: ("Inventory adjustments", AccountKind.EXPENSE),
    REVAL: ("Inventory revaluation (standard cost changes)", AccountKind.EXPENSE),
    OPENING: ("Opening balance equity (stock the ledger started from)", AccountKind.EQUITY),
}

#: site kinds that hold stock (and so have an inventory account)
STOCKING_KINDS = (SiteKind.PLANT, SiteKind.DC)

#: the account on the other side of a move's inventory line
COUNTER_ACCOUNT = {
    MoveType.RECEIPT: GRNI, MoveType.SHIPMENT: COGS,
    MoveType.TRANSFER_OUT: TRANSIT, MoveType.TRANSFER_IN: TRANSIT,
    MoveType.PRODUCTION: WIP, MoveType.CONSUMPTION: WIP,
    MoveType.ADJUSTMENT: INV_ADJ, MoveType.OPENING: OPENING,
}


def inventory_account(site: str) -> str:
    """Code of a site's inventory account."""
    return f"INV:{site}"


def move_lines(type_: MoveType, site: str, delta: Decimal, value: Decimal
               ) -> list[tuple[str, Decimal, Decimal]]:
    """The (account, debit, credit) lines of a move with on-hand effect ``delta`` and amount
    ``value`` (>= 0): inventory is debited when stock comes in, credited when it goes out."""
    inv, other = inventory_account(site), COUNTER_ACCOUNT[type_]
    zero = Decimal(0)
    if delta > 0:
        return [(inv, value, zero), (other, zero, value)]
    return [(other, value, zero), (inv, zero, value)]
