"""A stock move dated after today over the API: ATP counts it from its date on (before, a
receipt dated 9999-12-31 or next month was stock today and ATP jumped), and ``GET
/v1/inventory`` gives the books' stock, or with ``as_of`` the stock as of a day. On both
engines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

D = Decimal
TODAY = dt.date.today()


def auth(keys, role):
    return {"Authorization": f"Bearer {keys[role]}"}


def test_a_receipt_posted_ahead_counts_from_its_date(client, keys):
    erp = auth(keys, "erp")
    ahead = (TODAY + dt.timedelta(days=30)).isoformat()
    for quantity, date in ((10, TODAY.isoformat()), (50, ahead)):
        r = client.post("/v1/stock-moves", headers=erp, json={
            "type": "receipt", "site": "DC1", "product": "FG1", "quantity": quantity,
            "date": date})
        assert r.status_code == 201, r.text
    [t] = client.get("/v1/atp", params={"product": "FG1", "site": "DC1"},
                     headers=auth(keys, "sales")).json()
    assert t["available_now"] == 10 and t["available_in_all"] == 60
    assert {d["date"]: d["supply"] for d in t["days"]} == {TODAY.isoformat(): 10, ahead: 50}
    assert [d["receipts"] for d in t["days"] if d["date"] == ahead] == \
        [[f"stock moves dated {ahead}"]]

    def on_hand(**params):
        r = client.get("/v1/inventory", params={"site": "DC1"} | params, headers=erp)
        assert r.status_code == 200, r.text
        return {row["product"]: row["on_hand"] for row in r.json()}

    assert on_hand() == {"FG1": 60}
    assert on_hand(as_of=TODAY.isoformat()) == {"FG1": 10}
    assert on_hand(as_of=ahead) == {"FG1": 60}
    r = client.get("/v1/inventory", params={"as_of": "9999-12-31"}, headers=erp)
    assert r.status_code == 422 and "as_of" in r.text and "1900-01-01 to 2199-12-31" in r.text
