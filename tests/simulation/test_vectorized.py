"""The vectorized path's building blocks against the NumPy functions they stand for, bit for
bit; a block of replications gives each replication the records it gets alone; the cheap
entity generators draw what :func:`streams.entity_rng` draws."""

import dataclasses

import numpy as np
import pytest
from sim_networks import policy_mix

from chainlab.simulation import SimOptions, fast
from chainlab.simulation.run import inputs, prepare
from chainlab.simulation.settle import group_interp, group_searchsorted, segmented_cumsum
from chainlab.simulation.streams import entity_rng, entity_rngs, replication_streams


def _groups(rng, n_groups, size, ties):
    """Sorted values in contiguous groups (ascending group ids with gaps), some repeated."""
    ids, vals = [], []
    for g in sorted(rng.choice(10 * n_groups, n_groups, replace=False)):
        k = int(rng.integers(1, size))
        v = np.cumsum(rng.exponential(1.0, k) * (rng.random(k) > ties))
        ids.append(np.full(k, g))
        vals.append(v)
    return np.concatenate(ids), np.concatenate(vals)


@pytest.mark.parametrize("seed", range(4))
def test_segmented_cumsum_is_cumsum_per_group(seed):
    rng = np.random.default_rng(seed)
    g, _ = _groups(rng, 30, 40, 0.0)
    v = rng.normal(size=len(g)) * 10.0 ** rng.integers(-8, 8, len(g))
    got = segmented_cumsum(v, g)
    want = np.concatenate([np.cumsum(v[g == k]) for k in np.unique(g)])
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("seed", range(6))
def test_group_interp_and_searchsorted_are_numpys_per_group(seed):
    rng = np.random.default_rng(seed)
    xg, xp = _groups(rng, 25, 30, 0.3 if seed % 2 else 0.0)  # with repeated points
    fp = np.cumsum(rng.exponential(2.0, len(xp))) * (rng.random(len(xp)) > 0.2)
    groups = np.unique(xg)
    qg = np.sort(rng.choice(groups, 400))
    hi = {k: xp[xg == k].max() for k in groups}
    # points left of, right of, on, and between the groups' points
    x = np.array([rng.uniform(-0.5, hi[k] + 0.5) for k in qg])
    on = rng.random(len(x)) < 0.3
    x[on] = [rng.choice(xp[xg == k]) for k in qg[on]]
    got = group_interp(qg, x, xg, xp, fp)
    want = np.array([np.interp(v, xp[xg == k], fp[xg == k]) for k, v in zip(qg, x)])
    assert got.tobytes() == want.tobytes()
    first = {k: int(np.flatnonzero(xg == k)[0]) for k in groups}
    for side in ("left", "right"):
        got = group_searchsorted(xg, xp, qg, x, side)
        want = [first[k] + np.searchsorted(xp[xg == k], v, side) for k, v in zip(qg, x)]
        np.testing.assert_array_equal(got, want)


def test_entity_rngs_draw_what_entity_rng_draws():
    keys = ["C1\x1fP1", "", "é\x1fx", "L7"] + [f"K{i}" for i in range(50)]
    for seed in (0, 7, 2 ** 63 + 5, 2 ** 130 + 1):
        for rep in replication_streams(seed, 3):
            for family in (1, 2):
                got = [g.standard_normal(4).tobytes() + g.poisson(9.0, 3).tobytes()
                       for g in entity_rngs(rep, family, keys)]
                want = []
                for k in keys:
                    g = entity_rng(rep, family, k)
                    want.append(g.standard_normal(4).tobytes() + g.poisson(9.0, 3).tobytes())
                assert got == want


@pytest.mark.parametrize("opts", [{}, {"unmet": "lost"}, {"order_lead_days": 2}],
                         ids=["backlog", "lost", "slack"])
def test_a_block_gives_each_replication_its_records_alone(opts):
    net = policy_mix(bucket="week")
    prep = prepare(net, options=SimOptions(replications=4, seed=3, engine="numpy", **opts))
    ctx = prep.ctx
    ins = [inputs(ctx, r) for r in range(4)]
    block = fast.run_block(ctx.model, [d for d, _ in ins], [lead for _, lead in ins],
                           ctx.options.order_lead_days)
    assert block[0].filled.sum() < ins[0][0].sum()  # some demand is not filled on the day
    for (d, lead), rec in zip(ins, block):
        alone = fast.run(ctx.model, d, lead, ctx.options.order_lead_days)
        for f in dataclasses.fields(rec):
            a, b = getattr(alone, f.name), getattr(rec, f.name)
            if isinstance(a, np.ndarray):
                assert a.tobytes() == b.tobytes(), f.name
            else:
                assert a == b, f.name
