"""Request and response bodies of the HTTP API, one module per resource and one family per
entity (``StockMoveCreate`` / ``StockMove``, ``PromiseCreate`` / ``Promise``, ...):

- :mod:`.common`: exact numbers, ids, the strict request base and the response base
  :class:`~.common.Record`, read from a domain object with ``Model.model_validate(obj)``;
- :mod:`.problems`: the RFC 9457 problem body;
- :mod:`.plans` (plans, their orders, publishing), :mod:`.stock_moves`, :mod:`.inventory`
  (on-hand, the trial balance), :mod:`.promises` (asking, answering, promises, commitments),
  :mod:`.atp` (ATP tables, tiers and quotas), :mod:`.scenarios`, :mod:`.web` (the key and the
  catalog the web page reads).

Quantities and amounts are JSON numbers: requests are parsed exactly (as decimals, never through
binary floats; strings are accepted too), responses print the ledger's decimal as a JSON number
(exact up to 15 significant digits; the CSV export prints every digit).
"""
