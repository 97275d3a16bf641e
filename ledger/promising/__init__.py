"""Order promising: the answer to "can customer Y get these quantities by these dates?", and
promises that hold those quantities as sales-order commitments.

- :mod:`~ledger.promising.types`: the request, answer and promise records, enums and limits;
- :mod:`~ledger.promising.quotas`: allocation quotas by customer tier;
- :mod:`~ledger.promising.book`: the sources, supply and holds a request is worked out on,
  in memory;
- :mod:`~ledger.promising.promiser`: the algorithm (ATP, then CTP; partial, ship-complete,
  alternatives, reasons), no SQL;
- :mod:`~ledger.promising.store`: the SQL: check, lock, record, get, cancel, confirm, list.

:class:`ledger.Ledger` opens the transactions (``check``, ``promise``, ``get_promise``, ...).
"""

from chainlab.ledger.promising.book import Book, Hold, Source
from chainlab.ledger.promising.promiser import Allotment, Promiser
from chainlab.ledger.promising.quotas import Quota, Quotas
from chainlab.ledger.promising.types import (
                                  MAX_LINES,
                                  MAX_QUANTITY,
                                  MAX_QUOTE_MINUTES,
                                  Alternative,
                                  Answer,
                                  Commitment,
                                  Fill,
                                  LineAnswer,
                                  LineRequest,
                                  Part,
                                  PromiseConflict,
                                  PromiseRecord,
                                  PromiseRequest,
                                  PromiseStatus,
                                  SupplyKind,
)

__all__ = [
                                  "MAX_LINES",
                                  "MAX_QUANTITY",
                                  "MAX_QUOTE_MINUTES",
                                  "Allotment",
                                  "Alternative",
                                  "Answer",
                                  "Book",
                                  "Commitment",
                                  "Fill",
                                  "Hold",
                                  "LineAnswer",
                                  "LineRequest",
                                  "Part",
                                  "PromiseConflict",
                                  "PromiseRecord",
                                  "PromiseRequest",
                                  "PromiseStatus",
                                  "Promiser",
                                  "Quota",
                                  "Quotas",
                                  "Source",
                                  "SupplyKind",
]
