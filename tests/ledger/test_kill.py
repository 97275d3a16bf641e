"""A publishing process killed with SIGKILL half-way leaves the previous version current and
complete, on both engines; the next publish works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

#: publishes ``n`` transfer orders scaled by ``factor``; with ``hook`` it says "inserted" once
#: the orders are written (the transaction still open) and waits to be killed
SCRIPT = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from chainlab.ledger import Ledger, publish
    url, n, factor, hook = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
    if hook:
        insert = publish._bulk_insert
        def stalled(conn, rows):
            insert(conn, rows)
            print("inserted", flush=True)
            time.sleep(120)
        publish._bulk_insert = stalled
    orders = pd.DataFrame({"type": "transfer", "product": "FG1", "from_site": "PLANT1",
                           "to_site": "DC1", "quantity": [factor * (i + 1) for i in range(n)],
                           "release_date": "2027-01-04", "due_date": "2027-01-11"})
    with Ledger(url) as led:
        print("publishing", flush=True)
        print(led.publish_orders(orders), flush=True)
""")


def publisher(url, n, factor, hook):
    return subprocess.Popen([sys.executable, "-c", SCRIPT, url, str(n), str(factor),
                             "1" if hook else "0"], stdout=subprocess.PIPE, text=True)


def orders(n, factor):
    import pandas as pd
    return pd.DataFrame({"type": "transfer", "product": "FG1", "from_site": "PLANT1",
                         "to_site": "DC1", "quantity": [factor * (i + 1) for i in range(n)],
                         "release_date": "2027-01-04", "due_date": "2027-01-11"})


def counts(led):
    with led.engine.connect() as conn:
        return (conn.execute(sa.text("SELECT count(*) FROM plan_versions")).scalar(),
                conn.execute(sa.text("SELECT count(*) FROM planned_orders")).scalar())


def test_killed_after_writing_orders_leaves_the_old_plan(tiny_led, database_url):
    tiny_led.publish_orders(orders(500, 1))
    assert counts(tiny_led) == (1, 500)
    p = publisher(database_url, 3000, 2, hook=True)
    try:
        lines = [p.stdout.readline() for _ in range(2)]
        assert lines[-1].strip() == "inserted", lines
        # the new version's orders are in the database, uncommitted: readers see the old one
        assert tiny_led.plan().id == 1 and counts(tiny_led) == (1, 500)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(30)
    assert p.returncode == -signal.SIGKILL
    plan = tiny_led.plan()
    assert (plan.id, plan.order_count, plan.current) == (1, 500, True)
    assert len(list(tiny_led.iter_orders())) == 500
    assert counts(tiny_led) == (1, 500)
    # the killed transaction held the publish lock; it is gone and the next publish works
    tiny_led.publish_orders(orders(700, 3))
    plan = tiny_led.plan()
    assert plan.id > 1 and plan.order_count == 700 and plan.previous_id == 1


def test_killed_at_any_moment_leaves_one_complete_version(tiny_led, database_url):
    """Killed at a few arbitrary moments of a bigger publish: the current version is always
    complete, whichever it is."""
    sizes = {tiny_led.publish_orders(orders(200, 1)).plan_version: 200}
    for i, delay in enumerate((0.5,)):
        n = 20_000 + i
        p = publisher(database_url, n, 2 + i, hook=False)
        assert p.stdout.readline().strip() == "publishing"
        time.sleep(delay)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(30)
        plan = tiny_led.plan()
        sizes.setdefault(plan.id, n)
        assert plan.order_count == sizes[plan.id]
        assert tiny_led.orders(plan.id, limit=1).orders  # readable
        with tiny_led.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT count(*) FROM planned_orders "
                                       "WHERE plan_version_id = :v"), {"v": plan.id}).scalar()
        assert got == sizes[plan.id]
