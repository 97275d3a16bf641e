"""Random streams: one per replication from ``SeedSequence(seed).spawn(n)``, and inside a
replication one per entity, keyed by the entity's ID.

Keying the entity streams by ID rather than by position gives common random numbers across
scenarios: customer C's demand and lane L's transit times in replication r are the same draws
whatever else the scenario changes (sites opened or closed, demand scaled, other lanes added),
so differences between scenarios are differences of the network, not of the noise.
"""

from __future__ import annotations

import zlib

import numpy as np

#: stream families (the second word of an entity stream's spawn key)
DEMAND = 1
LEAD_TIME = 2


def root_entropy(seed: int | None) -> int:
    """The seed to record: ``seed`` itself, or fresh entropy when it is None."""
    return int(seed) if seed is not None else int(np.random.SeedSequence().entropy)


def replication_streams(seed: int, n: int) -> list[np.random.SeedSequence]:
    """Independent seed sequences of replications 0..n-1 (the r-th is the same for every n)."""
    return np.random.SeedSequence(seed).spawn(n)


def entity_rng(rep: np.random.SeedSequence, family: int, key: str) -> np.random.Generator:
    """The generator of one entity (a customer x product, a lane) in one replication: the
    child of ``rep`` with spawn key ``rep.spawn_key + (family, crc32(key))``."""
    h = zlib.crc32(key.encode("utf-8"))
    ss = np.random.SeedSequence(rep.entropy, spawn_key=tuple(rep.spawn_key) + (family, h))
    return np.random.Generator(np.random.PCG64(ss))


def lead_times(rep: np.random.SeedSequence, lane_ids: list[str], mean: np.ndarray,
               sd: np.ndarray, days: int, scale: np.ndarray | None = None,
               extra: np.ndarray | None = None) -> np.ndarray:
    """Transit days of each lane for a departure on each day, shape (lanes, days).

    Days = max(0, N(mean, sd)) * scale + extra, rounded half up to whole days; ``scale`` and
    ``extra`` (lanes x days, from :class:`~simulation.options.LaneDelay`) default to 1 and 0.
    Lanes without ``sd`` draw nothing.
    """
    raw = np.repeat(np.asarray(mean, dtype=float)[:, None], days, axis=1)
    for k, lid in enumerate(lane_ids):
        if sd[k] > 0:
            z = entity_rng(rep, LEAD_TIME, lid).standard_normal(days)
            raw[k] = np.maximum(0.0, mean[k] + sd[k] * z)
    if scale is not None:
        raw = raw * scale
    if extra is not None:
        raw = raw + extra
    return np.floor(raw + 0.5).astype(np.int64)
