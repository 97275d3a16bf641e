"""The planning calendar: discrete buckets (week or day) with real dates at the boundaries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models.records import to_json

BUCKET_DAYS = {"week": 7, "day": 1}

#: the dates chainlab accepts in a request: a plan, a move or a promise three centuries wide is
#: a typo, and dates near the ends of the calendar (0001-01-01, 9999-12-31) would overflow the
#: date arithmetic of the horizons around them
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def out_of_range(day: dt.date) -> str | None:
    """Why ``day`` is not accepted (outside FIRST_DAY..LAST_DAY), or None when it is."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return (f"date {day.isoformat()} is outside the dates chainlab accepts "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})")


@dataclass(frozen=True)
class Calendar:
    """``periods`` buckets of ``bucket`` length starting on ``start``; period t covers
    [start + t*d, start + (t+1)*d) with d the bucket length in days."""

    bucket: str
    start: dt.date
    periods: int

    def __post_init__(self):
        if self.bucket not in BUCKET_DAYS:
            raise ValueError(f"bucket={self.bucket!r} must be 'week' or 'day'")
        if self.periods < 1:
            raise ValueError(f"periods={self.periods} must be >= 1")

    @property
    def days(self) -> int:
        """Length of one bucket in days."""
        return BUCKET_DAYS[self.bucket]

    @property
    def end(self) -> dt.date:
        """First day after the horizon."""
        return self.start + dt.timedelta(days=self.days * self.periods)

    def period_start(self, t: int) -> dt.date:
        return self.start + dt.timedelta(days=self.days * int(t))

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Start date of every bucket."""
        return pd.date_range(self.start, periods=self.periods, freq=f"{self.days}D")

    def period_of(self, dates) -> np.ndarray:
        """Bucket index of each date (may be < 0 or >= periods for dates outside the horizon)."""
        d = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]")
        offset = (d - np.datetime64(self.start, "D")).astype(np.int64)
        return np.floor_divide(offset, self.days)

    def to_buckets(self, days) -> np.ndarray:
        """Lead times in days to whole buckets, rounding half up (2 days in a week -> 0, 4 -> 1).

        Rounding (not ceiling) keeps short deliveries inside the bucket they ship in, which is
        how planners read weekly plans; the simulation uses the exact days.
        """
        arr = np.nan_to_num(np.asarray(days, dtype=float), nan=0.0)
        return np.floor(arr / self.days + 0.5).astype(np.int64)

    def as_dict(self) -> dict:
        """bucket, start (ISO date), periods: as in ``network.yaml``."""
        return to_json(self)
