"""Great-circle distances between sites, from their ``lat``/``lon`` (WGS84 degrees).

Network design limits which lanes may serve a customer by distance (``max_distance_km``) and
reports the distance of each assignment; both read the haversine formula here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.models.network import Network

#: mean Earth radius (IUGG), km
EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in km between points given in degrees (arrays of equal length; NaN
    where a coordinate is missing)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 \
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def lane_km(net: Network, lanes: pd.DataFrame | None = None) -> pd.Series:
    """Great-circle distance of each lane in km (NaN where an end has no lat/lon).

    ``lanes``: any frame with ``origin`` and ``destination`` site IDs (default the network's
    own lanes); the result has its index."""
    lanes = net.lanes if lanes is None else lanes
    s = net.sites

    def coord(end, c):
        return lanes[end].map(s[c]).to_numpy(dtype=float)

    km = great_circle_km(coord("origin", "lat"), coord("origin", "lon"),
                         coord("destination", "lat"), coord("destination", "lon"))
    return pd.Series(km, index=lanes.index)


__all__ = ["EARTH_RADIUS_KM", "great_circle_km", "lane_km"]
