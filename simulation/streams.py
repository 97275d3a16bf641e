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


#: constants of NumPy's ``SeedSequence`` (the seed_seq_fe hash of O'Neill) and of ``PCG64``
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _M32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF
_PCG_MULT, _M128 = 0x2360ED051FC65DA44385DF649FCCF645, (1 << 128) - 1


def _words(n: int) -> list[int]:
    """``n`` as SeedSequence reads an int: its 32-bit words, least significant first."""
    out = [n & _M32]
    n >>= 32
    while n:
        out.append(n & _M32)
        n >>= 32
    return out


def _hashmix(value, hc: int):
    value = (value ^ hc) * (hc * _MULT_A & _M32) & _M32
    return value ^ (value >> 16), hc * _MULT_A & _M32


def _mix(x, y):
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ (r >> 16)


def _pcg_states(rep: np.random.SeedSequence, family: int, keys: list[str]) -> list[int] | None:
    """(state, inc) of the ``PCG64`` of :func:`entity_rng` for each key, computed for all keys
    at once: the entropy words of those seed sequences differ only in the last one (the
    key's CRC), so the hash of the words before it is shared. None when ``rep`` is not of the
    form this covers (an int entropy)."""
    if not isinstance(rep.entropy, int) or rep.pool_size != 4:
        return None
    run = _words(rep.entropy)
    run += [0] * max(0, 4 - len(run))
    prefix = run + [w for k in (*rep.spawn_key, family) for w in _words(int(k))]
    hc, mixer = _INIT_A, [0, 0, 0, 0]
    for i in range(4):
        mixer[i], hc = _hashmix(prefix[i], hc)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                h, hc = _hashmix(mixer[src], hc)
                mixer[dst] = _mix(mixer[dst], h)
    for w in prefix[4:]:
        for dst in range(4):
            h, hc = _hashmix(w, hc)
            mixer[dst] = _mix(mixer[dst], h)
    last = np.array([zlib.crc32(k.encode("utf-8")) for k in keys], dtype=np.uint64)
    pool = []
    for dst in range(4):
        h, hc = _hashmix(last, hc)
        pool.append(_mix(np.uint64(mixer[dst]), h))
    hc, words = _INIT_B, []
    for i in range(8):  # generate_state(4, uint64): 8 words of 32 bits
        v = (pool[i % 4] ^ np.uint64(hc)) * np.uint64(hc * _MULT_B & _M32) & np.uint64(_M32)
        hc = hc * _MULT_B & _M32
        words.append(v ^ (v >> np.uint64(16)))
    u = [(words[2 * k] | (words[2 * k + 1] << np.uint64(32))).tolist() for k in range(4)]
    out = []
    for s0, s1, i0, i1 in zip(*u):
        inc = ((((i0 << 64) | i1) << 1) | 1) & _M128
        out.append(((((inc + ((s0 << 64) | s1)) * _PCG_MULT) + inc) & _M128, inc))
    return out


def entity_rngs(rep: np.random.SeedSequence, family: int, keys: list[str]):
    """The generators of :func:`entity_rng` for ``keys``, one after the other: the same
    draws, made cheaply by setting the state of one ``PCG64`` per key (each is valid until
    the next is yielded). Checks the first key against :func:`entity_rng` and falls back to
    it when they differ."""
    states = _pcg_states(rep, family, keys) if keys else None
    if states is not None:
        bg = np.random.PCG64(0)
        bg.state = {"bit_generator": "PCG64", "state": {"state": states[0][0],
                                                        "inc": states[0][1]},
                    "has_uint32": 0, "uinteger": 0}
        if bg.random_raw() != entity_rng(rep, family, keys[0]).bit_generator.random_raw():
            states = None
    if states is None:
        for k in keys:
            yield entity_rng(rep, family, k)
        return
    gen = np.random.Generator(bg)
    for state, inc in states:
        bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                    "has_uint32": 0, "uinteger": 0}
        yield gen


def lead_times(rep: np.random.SeedSequence, lane_ids: list[str], mean: np.ndarray,
               sd: np.ndarray, days: int, scale: np.ndarray | None = None,
               extra: np.ndarray | None = None) -> np.ndarray:
    """Transit days of each lane for a departure on each day, shape (lanes, days).

    Days = max(0, N(mean, sd)) * scale + extra, rounded half up to whole days; ``scale`` and
    ``extra`` (lanes x days, from :class:`~simulation.options.LaneDelay`) default to 1 and 0.
    Lanes without ``sd`` draw nothing.
    """
    raw = np.repeat(np.asarray(mean, dtype=float)[:, None], days, axis=1)
    drawn = np.flatnonzero(np.asarray(sd) > 0)
    if len(drawn):
        z = np.empty((len(drawn), days))
        for j, rng in enumerate(entity_rngs(rep, LEAD_TIME, [lane_ids[k] for k in drawn])):
            rng.standard_normal(out=z[j])
        raw[drawn] = np.maximum(0.0, np.asarray(mean, dtype=float)[drawn, None]
                                + np.asarray(sd, dtype=float)[drawn, None] * z)
    if scale is not None:
        raw = raw * scale
    if extra is not None:
        raw = raw + extra
    return np.floor(raw + 0.5).astype(np.int64)
