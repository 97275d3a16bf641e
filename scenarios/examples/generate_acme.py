"""Generate the bundled example network "Acme" and its CRM history (seeded, deterministic).

Acme Power Tools makes cordless and outdoor power tools and sells them to 60 hardware and
building-supply customers in 60 real US metro areas. The network folder follows CONTRACTS §1 and
the CRM folder CONTRACTS §2:

* calendar: 26 weekly buckets from Monday 2027-01-04 (January to early July), USD;
* 4 suppliers of 6 components RM1..RM6 (steel parts, motors, Li-ion cells, ABS resin in kg,
  control boards, cartons); RM3 and RM4 are single-sourced, the others have two suppliers;
* 3 plants making 12 finished goods FG01..FG12 from a two-level BOM (finished good <- bought
  components; PLANT3 has its own FG02 recipe, which replaces the generic one there):
  PLANT1 Dayton OH (LINE1 drills and drivers, LINE2 battery packs and work lights),
  PLANT2 Memphis TN (LINE3, the outdoor line: leaf blower, hedge trimmer, string trimmer),
  PLANT3 Reno NV (LINE4 saws, grinder and sander; LINE5 a flex line that can also make the FG02
  drill kit and the FG12 battery pack, dearer than PLANT1);
* 5 existing DCs (DC_EAST Allentown PA, DC_SOUTHEAST McDonough GA, DC_CENTRAL Joliet IL,
  DC_SOUTHWEST Fort Worth TX, DC_WEST Ontario CA) with weekly throughput capacities of 1.35 x
  their regional peak and fixed costs per week in proportion, and one candidate for network
  design, DC_MOUNTAIN, a pay-per-use 3PL DC in Aurora CO (lower fixed cost, an opening cost);
* lanes supplier -> plant, plant -> DC (every pair) and DC -> customer (the customer's regional
  DC, the next nearest DC, and the candidate DC when within reach), priced and timed from road
  distance (1.2 x great-circle); long plant -> DC hauls also have a cheaper, slower,
  capacity-limited rail lane beside the truck lane, e.g. PLANT2 -> DC_WEST; SUP2 also ships resin
  RM4 to PLANT2 by rail;
* demand per customer x product x week (about a third of the pairs buy), seasonal: the outdoor
  products peak in weeks 10-18 (March to early May), so LINE3 at PLANT2 needs 5-20 % more hours
  than it has in those weeks (a pre-build problem) while it runs well under capacity on average
  and every other line has slack; small intermittent series are Poisson, the rest normal;
* CRM: two years of order history (2025-01-06 .. 2027-01-03) with trend, yearly seasonality
  (spring for outdoor products, the holidays for drill kits, battery packs and lights, autumn for
  the leaf blower), noise and lumpy intermittent series; and about 150 opportunities, 55 of
  them closed. The CRM's stage probabilities are optimistic against the stage win rates of the
  closed history (``last_open_stage``, an extra column, is the stage a closed opportunity was in
  when it closed). Each won opportunity has its order, carrying its ``opportunity_id``.

Run ``python scenarios/examples/generate_acme.py [--out DIR] [--seed N]``; the default writes
``scenarios/examples/acme`` with seed 2027. The same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

START = dt.date(2027, 1, 4)  # Monday of the first bucket
PERIODS = 26
HISTORY_START = dt.date(2025, 1, 6)  # Monday; history runs to the day before START
HISTORY_WEEKS = 104
ROAD_FACTOR = 1.2  # road km per great-circle km

# ------------------------------------------------------------------ master data

# id, name, city, state, lat, lon, region
SUPPLIERS = [
    ("SUP1", "Keystone Metal Works", "Reading", "PA", 40.3356, -75.9269, "East"),
    ("SUP2", "Gulf Coast Polymers", "Baytown", "TX", 29.7355, -94.9774, "South"),
    ("SUP3", "Great Lakes Components", "Milwaukee", "WI", 43.0389, -87.9065, "Central"),
    ("SUP4", "Pacific Cell & Motor", "Fremont", "CA", 37.5485, -121.9886, "West"),
]
PLANTS = [
    ("PLANT1", "Acme Dayton plant", "Dayton", "OH", 39.7589, -84.1916, "Central"),
    ("PLANT2", "Acme Memphis plant", "Memphis", "TN", 35.1495, -90.0490, "South"),
    ("PLANT3", "Acme Reno plant", "Reno", "NV", 39.5296, -119.8138, "West"),
]
# id, name, city, state, lat, lon, region, status, open_cost
DCS = [
    ("DC_EAST", "Allentown DC", "Allentown", "PA", 40.6023, -75.4714, "East", "existing", None),
    ("DC_SOUTHEAST", "McDonough DC", "McDonough", "GA", 33.4473, -84.1469, "South", "existing",
     None),
    ("DC_CENTRAL", "Joliet DC", "Joliet", "IL", 41.5250, -88.0817, "Central", "existing", None),
    ("DC_SOUTHWEST", "Fort Worth DC", "Fort Worth", "TX", 32.7555, -97.3308, "South", "existing",
     None),
    ("DC_WEST", "Ontario DC", "Ontario", "CA", 34.0633, -117.6509, "West", "existing", None),
    ("DC_MOUNTAIN", "Aurora 3PL DC", "Aurora", "CO", 39.7294, -104.8319, "West",
     "candidate", 5000),
]
# fixed cost per week per unit of weekly capacity: own DCs; the candidate is a pay-per-use 3PL
FIXED_COST_PER_CAPACITY = {"existing": 0.6, "candidate": 0.3}
REGIONAL_DC = {"East": "DC_EAST", "Central": "DC_CENTRAL", "West": "DC_WEST"}  # South: nearest
CANDIDATE_REACH_KM = 1500  # road km the candidate DC serves

# city, state, lat, lon, region, metro population (millions, approximate)
CITIES = [
    ("New York", "NY", 40.7128, -74.0060, "East", 19.5),
    ("Boston", "MA", 42.3601, -71.0589, "East", 4.9),
    ("Philadelphia", "PA", 39.9526, -75.1652, "East", 6.2),
    ("Washington", "DC", 38.9072, -77.0369, "East", 6.3),
    ("Baltimore", "MD", 39.2904, -76.6122, "East", 2.8),
    ("Pittsburgh", "PA", 40.4406, -79.9959, "East", 2.4),
    ("Buffalo", "NY", 42.8864, -78.8784, "East", 1.2),
    ("Hartford", "CT", 41.7658, -72.6734, "East", 1.2),
    ("Providence", "RI", 41.8240, -71.4128, "East", 1.7),
    ("Albany", "NY", 42.6526, -73.7562, "East", 0.9),
    ("Richmond", "VA", 37.5407, -77.4360, "East", 1.3),
    ("Rochester", "NY", 43.1566, -77.6088, "East", 1.1),
    ("Portland", "ME", 43.6591, -70.2568, "East", 0.6),
    ("Syracuse", "NY", 43.0481, -76.1474, "East", 0.7),
    ("Norfolk", "VA", 36.8508, -76.2859, "East", 1.8),
    ("Chicago", "IL", 41.8781, -87.6298, "Central", 9.4),
    ("Detroit", "MI", 42.3314, -83.0458, "Central", 4.3),
    ("Minneapolis", "MN", 44.9778, -93.2650, "Central", 3.7),
    ("St. Louis", "MO", 38.6270, -90.1994, "Central", 2.8),
    ("Kansas City", "MO", 39.0997, -94.5786, "Central", 2.2),
    ("Indianapolis", "IN", 39.7684, -86.1581, "Central", 2.1),
    ("Columbus", "OH", 39.9612, -82.9988, "Central", 2.1),
    ("Cleveland", "OH", 41.4993, -81.6944, "Central", 2.1),
    ("Cincinnati", "OH", 39.1031, -84.5120, "Central", 2.3),
    ("Milwaukee", "WI", 43.0389, -87.9065, "Central", 1.6),
    ("Omaha", "NE", 41.2565, -95.9345, "Central", 1.0),
    ("Des Moines", "IA", 41.5868, -93.6250, "Central", 0.7),
    ("Louisville", "KY", 38.2527, -85.7585, "Central", 1.3),
    ("Grand Rapids", "MI", 42.9634, -85.6681, "Central", 1.1),
    ("Madison", "WI", 43.0731, -89.4012, "Central", 0.7),
    ("Atlanta", "GA", 33.7490, -84.3880, "South", 6.1),
    ("Dallas", "TX", 32.7767, -96.7970, "South", 7.6),
    ("Houston", "TX", 29.7604, -95.3698, "South", 7.1),
    ("Miami", "FL", 25.7617, -80.1918, "South", 6.1),
    ("Tampa", "FL", 27.9506, -82.4572, "South", 3.2),
    ("Orlando", "FL", 28.5383, -81.3792, "South", 2.7),
    ("Charlotte", "NC", 35.2271, -80.8431, "South", 2.7),
    ("Nashville", "TN", 36.1627, -86.7816, "South", 2.0),
    ("New Orleans", "LA", 29.9511, -90.0715, "South", 1.3),
    ("San Antonio", "TX", 29.4241, -98.4936, "South", 2.6),
    ("Austin", "TX", 30.2672, -97.7431, "South", 2.3),
    ("Birmingham", "AL", 33.5186, -86.8104, "South", 1.1),
    ("Jacksonville", "FL", 30.3322, -81.6557, "South", 1.6),
    ("Raleigh", "NC", 35.7796, -78.6382, "South", 1.4),
    ("Oklahoma City", "OK", 35.4676, -97.5164, "South", 1.4),
    ("Los Angeles", "CA", 34.0522, -118.2437, "West", 13.0),
    ("San Francisco", "CA", 37.7749, -122.4194, "West", 4.7),
    ("Seattle", "WA", 47.6062, -122.3321, "West", 4.0),
    ("Portland", "OR", 45.5152, -122.6784, "West", 2.5),
    ("San Diego", "CA", 32.7157, -117.1611, "West", 3.3),
    ("Phoenix", "AZ", 33.4484, -112.0740, "West", 4.8),
    ("Denver", "CO", 39.7392, -104.9903, "West", 2.9),
    ("Las Vegas", "NV", 36.1699, -115.1398, "West", 2.3),
    ("Salt Lake City", "UT", 40.7608, -111.8910, "West", 1.3),
    ("Sacramento", "CA", 38.5816, -121.4944, "West", 2.4),
    ("San Jose", "CA", 37.3382, -121.8863, "West", 2.0),
    ("Albuquerque", "NM", 35.0844, -106.6504, "West", 0.9),
    ("Boise", "ID", 43.6150, -116.2023, "West", 0.8),
    ("Tucson", "AZ", 32.2226, -110.9747, "West", 1.0),
    ("Spokane", "WA", 47.6588, -117.4260, "West", 0.6),
]
CUSTOMER_TRADES = ["Hardware", "Tool Supply", "Building Supply", "Home Center",
                   "Contractor Supply", "Lumber & Hardware"]

# components: id, name, unit, standard_cost
COMPONENTS = [
    ("RM1", "Steel parts set", "ea", 6.40),
    ("RM2", "Brushless motor", "ea", 14.20),
    ("RM3", "Li-ion cell 18650", "ea", 2.35),
    ("RM4", "ABS resin", "kg", 2.10),
    ("RM5", "Control board", "ea", 8.90),
    ("RM6", "Carton and insert", "ea", 0.85),
]
# finished goods: id, name, base weekly demand of an average customer (2027 level),
# spring amplitude, spring half-width (days), holiday amplitude, autumn amplitude, growth/yr, margin
FINISHED = [
    ("FG01", "Drill/driver 12V", 30, 0.15, 60, 0.45, 0.0, 0.03, 1.75),
    ("FG02", "Drill/driver kit 18V", 45, 0.20, 60, 0.60, 0.0, 0.06, 1.70),
    ("FG03", "Impact driver 18V", 25, 0.15, 60, 0.35, 0.0, 0.08, 1.80),
    ("FG04", "Circular saw 7-1/4in", 14, 0.25, 60, 0.20, 0.0, 0.02, 1.65),
    ("FG05", "Jigsaw", 4, 0.20, 60, 0.25, 0.0, 0.00, 1.70),
    ("FG06", "Angle grinder 4-1/2in", 10, 0.10, 60, 0.15, 0.0, 0.04, 1.75),
    ("FG07", "Random orbital sander", 3.5, 0.25, 60, 0.30, 0.0, -0.02, 1.80),
    ("FG08", "Cordless leaf blower", 20, 1.80, 41, 0.10, 0.90, 0.09, 1.60),
    ("FG09", "Hedge trimmer", 12, 1.80, 41, 0.05, 0.0, 0.06, 1.60),
    ("FG10", "String trimmer", 20, 1.80, 41, 0.05, 0.0, 0.08, 1.65),
    ("FG11", "LED work light", 3, 0.10, 60, 0.50, 0.0, 0.05, 2.00),
    ("FG12", "Battery pack 18V 4Ah", 35, 0.20, 60, 0.55, 0.0, 0.10, 1.60),
]
SPRING_DOY, HOLIDAY_DOY, AUTUMN_DOY = 98, 335, 290  # centres of the seasonal bumps (day of year)

# product -> {component: quantity}; the generic recipe (plant blank)
BOM = {
    "FG01": {"RM2": 1, "RM4": 0.5, "RM5": 1, "RM6": 1},
    "FG02": {"RM2": 1, "RM3": 10, "RM4": 0.6, "RM5": 2, "RM6": 1},
    "FG03": {"RM2": 1, "RM4": 0.5, "RM5": 1, "RM6": 1},
    "FG04": {"RM1": 1, "RM2": 1, "RM4": 0.8, "RM5": 1, "RM6": 1},
    "FG05": {"RM1": 1, "RM2": 1, "RM4": 0.6, "RM6": 1},
    "FG06": {"RM1": 1, "RM2": 1, "RM4": 0.4, "RM6": 1},
    "FG07": {"RM2": 1, "RM4": 0.7, "RM6": 1},
    "FG08": {"RM2": 1, "RM4": 1.5, "RM5": 1, "RM6": 1},
    "FG09": {"RM1": 1, "RM2": 1, "RM4": 1.2, "RM6": 1},
    "FG10": {"RM1": 2, "RM2": 1, "RM4": 1, "RM6": 1},
    "FG11": {"RM3": 4, "RM4": 0.3, "RM5": 1, "RM6": 1},
    "FG12": {"RM3": 10, "RM4": 0.2, "RM5": 1, "RM6": 0.5},
}
# plant-specific recipes replace the generic one at that plant: Reno's older FG02 tooling uses a
# heavier housing and a steel clip
PLANT_BOM = {("FG02", "PLANT3"): {"RM1": 1, "RM2": 1, "RM3": 10, "RM4": 0.7, "RM5": 2, "RM6": 1}}

RESOURCES = [("PLANT1", "LINE1"), ("PLANT1", "LINE2"), ("PLANT2", "LINE3"), ("PLANT3", "LINE4"),
             ("PLANT3", "LINE5")]
# plant, product, resource, hours_per_unit, conversion cost per hour, setup_cost, min_lot
PRODUCTION = [
    ("PLANT1", "FG01", "LINE1", 0.10, 52, None, None),
    ("PLANT1", "FG02", "LINE1", 0.12, 52, None, None),
    ("PLANT1", "FG03", "LINE1", 0.11, 52, None, None),
    ("PLANT1", "FG11", "LINE2", 0.08, 48, 900, 300),
    ("PLANT1", "FG12", "LINE2", 0.06, 48, None, None),
    ("PLANT2", "FG08", "LINE3", 0.14, 46, None, None),
    ("PLANT2", "FG09", "LINE3", 0.12, 46, None, None),
    ("PLANT2", "FG10", "LINE3", 0.13, 46, None, None),
    ("PLANT3", "FG04", "LINE4", 0.16, 58, None, None),
    ("PLANT3", "FG05", "LINE4", 0.13, 58, None, None),
    ("PLANT3", "FG06", "LINE4", 0.12, 58, 1200, 250),
    ("PLANT3", "FG07", "LINE4", 0.10, 58, None, None),
    ("PLANT3", "FG02", "LINE5", 0.14, 62, None, None),
    ("PLANT3", "FG12", "LINE5", 0.07, 62, None, None),
]
BINDING = ("PLANT2", "LINE3")
BINDING_PEAK_RATIO = 1.15  # peak-week hours needed / hours available on the binding line
SLACK_PEAK_UTILISATION = {("PLANT1", "LINE1"): 0.80, ("PLANT1", "LINE2"): 0.70,
                          ("PLANT3", "LINE4"): 0.75}
FLEX_SHARE = 0.35  # LINE5 hours: this share of the peak hours FG02 + FG12 would need there

# supplier, component, price factor vs standard cost, share of the peak need it can ship
SUPPLY = [
    ("SUP1", "RM1", 0.97, 0.9), ("SUP1", "RM2", 1.04, 0.6),
    ("SUP2", "RM4", 0.98, 1.5), ("SUP2", "RM6", 1.02, 0.8),
    ("SUP3", "RM1", 1.03, 0.8), ("SUP3", "RM5", 0.99, 0.8), ("SUP3", "RM6", 0.97, 0.9),
    ("SUP4", "RM2", 0.96, 1.0), ("SUP4", "RM3", 1.00, 1.5), ("SUP4", "RM5", 1.01, 0.9),
]

# transport: mode -> (cost fixed per unit, cost per unit per road km, lead days fixed,
# road km per lead day, lead-time coefficient of variation)
FG_MODES = {
    "truck": (0.30, 0.0011, 1.0, 800.0, 0.20),
    "rail": (0.45, 0.0006, 4.0, 350.0, 0.35),
    "ltl": (0.90, 0.0040, 2.0, 650.0, 0.30),
}
DELIVERY_TRUCK = (0.50, 0.0020, 1.0, 800.0, 0.20)  # full truckloads to the largest customers
COMPONENT_TRUCK = (0.05, 0.00012, 1.0, 800.0, 0.20)  # per component unit
COMPONENT_RAIL = (0.04, 0.00005, 4.0, 350.0, 0.35)
RAIL_MIN_KM = 2500  # plant -> DC hauls at least this long also get a rail lane
RAIL_CAPACITY = 1500  # units per week of intermodal allotment

# policies per finished good at the DCs; outdoor products follow the plan
POLICY = {"FG01": "base_stock", "FG02": "base_stock", "FG03": "base_stock", "FG12": "base_stock",
          "FG04": "s_S", "FG06": "s_S", "FG05": "r_Q", "FG07": "r_Q", "FG11": "r_Q",
          "FG08": "plan", "FG09": "plan", "FG10": "plan"}
SERVICE_Z = 1.65  # 95 % cycle service
SPACE_LIMITED = ("DC_EAST", "PLANT2")  # sites with a max_stock per product

# CRM
STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
CRM_PROBABILITY = {"Prospecting": 0.10, "Qualification": 0.25, "Proposal": 0.50,
                   "Negotiation": 0.75, "Closed Won": 1.0, "Closed Lost": 0.0}
# closed opportunities by the stage they were in when they closed: (count, won)
CLOSED_BY_STAGE = {"Prospecting": (8, 0), "Qualification": (12, 2), "Proposal": (17, 5),
                   "Negotiation": (18, 10)}
N_OPEN = 95
OPEN_STAGE_SHARES = [0.25, 0.30, 0.25, 0.20]
PRICE_INDEX = {2025: 0.94, 2026: 0.97, 2027: 1.0}  # list price by year, 2027 = products.csv
CANCEL_RATE = 0.015
OPEN_FROM = dt.date(2026, 12, 31)  # run-rate orders placed from this day are not shipped yet


# how each file's columns are written (see write_csv); the column order is the file's
FORMATS = {
    "sites.csv": {"id": "str", "kind": "str", "name": "str", "lat": "n4", "lon": "n4",
                  "region": "str", "status": "str", "fixed_cost": "money", "open_cost": "money",
                  "capacity": "int"},
    "products.csv": {"id": "str", "standard_cost": "money", "name": "str", "unit": "str",
                     "price": "money", "holding_cost": "n4"},
    "bom.csv": {"product": "str", "component": "str", "quantity": "n2", "plant": "str"},
    "production.csv": {"plant": "str", "product": "str", "unit_cost": "money", "resource": "str",
                       "hours_per_unit": "n3", "setup_cost": "money", "min_lot": "int"},
    "resources.csv": {"plant": "str", "resource": "str", "hours_per_period": "int"},
    "supply.csv": {"supplier": "str", "product": "str", "unit_cost": "money",
                   "capacity_per_period": "int", "lead_time_days": "int"},
    "lanes.csv": {"origin": "str", "destination": "str", "cost_per_unit": "money",
                  "product": "str", "mode": "str", "lead_time_days": "int",
                  "lead_time_sd_days": "n1", "capacity_per_period": "int"},
    "inventory.csv": {"site": "str", "product": "str", "on_hand": "int", "safety_stock": "int",
                      "max_stock": "int", "policy": "str", "reorder_point": "int",
                      "order_up_to": "int", "order_quantity": "int", "review_days": "int"},
    "demand.csv": {"customer": "str", "product": "str", "date": "date", "quantity": "n2",
                   "sd": "n2", "distribution": "str"},
    "crm/orders.csv": {"order_id": "str", "customer": "str", "product": "str",
                       "order_date": "date", "quantity": "int", "requested_date": "date",
                       "unit_price": "money", "opportunity_id": "str", "status": "str"},
    "crm/opportunities.csv": {"opportunity_id": "str", "customer": "str", "product": "str",
                              "quantity": "int", "stage": "str", "created_date": "date",
                              "expected_close_date": "date", "status": "str",
                              "probability": "n2", "amount": "money", "closed_date": "date",
                              "expected_delivery_date": "date", "last_open_stage": "str"},
}


# ------------------------------------------------------------------ helpers


def road_km(lat1, lon1, lat2, lon2):
    """Road distance estimate: great-circle (haversine, R = 6371 km) times ROAD_FACTOR."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return ROAD_FACTOR * 2 * 6371.0 * np.arcsin(np.sqrt(a))


def season(doy, spring, half_width, holiday, autumn):
    """Seasonal index by day of year: 1 + a flat-topped spring bump + holiday and autumn bumps.

    The spring bump exp(-(d/w)^6) is flat for about +-0.7 w around SPRING_DOY, so the outdoor
    peak lasts weeks rather than days; the others are Gaussian with circular day distance.
    """
    doy = np.asarray(doy, dtype=float)

    def dist(centre):
        d = np.abs(doy - centre)
        return np.minimum(d, 365.0 - d)

    return (1.0 + spring * np.exp(-(dist(SPRING_DOY) / half_width) ** 6)
            + holiday * np.exp(-(dist(HOLIDAY_DOY) / 20.0) ** 2)
            + autumn * np.exp(-(dist(AUTUMN_DOY) / 25.0) ** 2))


def level(dates, product) -> np.ndarray:
    """Demand index of a finished good on the given dates: growth trend times season; 1 at START
    without season."""
    _, _, _, spring, width, holiday, autumn, growth, _ = FG[product]
    dates = pd.DatetimeIndex(dates)
    years = (dates - pd.Timestamp(START)).days.to_numpy() / 365.25
    return (1 + growth) ** years * season(dates.day_of_year, spring, width, holiday, autumn)


def ceil_to(x, step):
    return int(np.ceil(x / step - 1e-9) * step)


def lane_terms(km, terms):
    """(cost_per_unit, lead_time_days, lead_time_sd_days) of a haul of `km` road km."""
    fixed, per_km, lead_fixed, km_per_day, cv = terms
    lead = int(np.ceil(lead_fixed + km / km_per_day))
    return round(fixed + per_km * km, 2), lead, round(max(0.5, cv * lead), 1)


def _shortest(x: float, digits: int) -> str:
    text = f"{round(x, digits) + 0.0:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_csv(df: pd.DataFrame, path: Path, formats: dict[str, str]) -> None:
    """Write `df` with one format per column: 'str', 'date', 'money' (2 dp), 'int' or 'n1'..'n4'
    (rounded to 1..4 decimals, no trailing zeros).

    Blank (None/NaN) cells stay empty; the result is plain UTF-8 with '\\n' line ends.
    """
    out = pd.DataFrame(index=df.index)
    for col, fmt in formats.items():
        s = df[col] if col in df else pd.Series([None] * len(df), index=df.index)
        if fmt == "str":
            cells = [("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
                     for v in s]
        elif fmt == "date":
            cells = ["" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")
                     for v in s]
        elif fmt == "money":  # always two decimals
            cells = ["" if v is None or pd.isna(v) else f"{float(v):.2f}" for v in s]
        else:  # rounded to n decimals, written without trailing zeros
            digits = {"int": 0, "n1": 1, "n2": 2, "n3": 3, "n4": 4}[fmt]
            cells = ["" if v is None or pd.isna(v) else _shortest(float(v), digits) for v in s]
        out[col] = pd.Series(cells, index=df.index, dtype=object)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


FG = {row[0]: row for row in FINISHED}
WEEKS = pd.date_range(START, periods=PERIODS, freq="7D")  # Monday of each bucket


# ------------------------------------------------------------------ the network


def make_sites(rng) -> pd.DataFrame:
    rows = []
    for sid, name, city, st, lat, lon, region in SUPPLIERS + PLANTS:
        kind = "supplier" if sid.startswith("SUP") else "plant"
        rows.append({"id": sid, "kind": kind, "name": f"{name} ({city} {st})",
                     "lat": lat, "lon": lon, "region": region, "status": "existing"})
    for sid, name, city, st, lat, lon, region, status, open_cost in DCS:
        rows.append({"id": sid, "kind": "dc", "name": f"{name} ({city} {st})",
                     "lat": lat, "lon": lon, "region": region, "status": status,
                     "open_cost": open_cost})
    trades = rng.choice(CUSTOMER_TRADES, size=len(CITIES))
    for i, (city, st, lat, lon, region, pop) in enumerate(CITIES):
        rows.append({"id": f"CUST{i + 1:02d}", "kind": "customer",
                     "name": f"{city} {trades[i]} ({st})",
                     "lat": lat, "lon": lon, "region": region, "pop": pop})
    return pd.DataFrame(rows).set_index("id", drop=False)


def make_pairs(rng, sites) -> pd.DataFrame:
    """Which customer buys which product, and the weekly base rate of each pair (2027 level)."""
    cust = sites[sites.kind == "customer"]
    size = np.sqrt(cust["pop"].to_numpy())
    size = size / size.mean() * rng.lognormal(0.0, 0.25, len(cust))
    popularity = {"FG01": 0.45, "FG02": 0.55, "FG03": 0.40, "FG04": 0.35, "FG05": 0.25,
                  "FG06": 0.30, "FG07": 0.25, "FG08": 0.35, "FG09": 0.30, "FG10": 0.35,
                  "FG11": 0.25, "FG12": 0.45}
    rows = []
    for ci, c in enumerate(cust.index):
        p_buy = np.clip(np.array([popularity[p] for p in FG]) * (0.65 + 0.35 * size[ci]), 0.05, 0.9)
        buys = rng.random(len(FG)) < p_buy
        if buys.sum() < 2:  # every customer buys at least two products
            buys[rng.choice(len(FG), 2, replace=False)] = True
        for pi, p in enumerate(FG):
            if buys[pi]:
                base = FG[p][2] * size[ci] * rng.lognormal(-0.08, 0.4)
                rows.append({"customer": c, "product": p, "size": size[ci], "base": base})
    pairs = pd.DataFrame(rows)
    pairs["intermittent"] = pairs["base"] < 4.0
    # weekly noise (coefficient of variation) of regular series; Poisson for intermittent ones
    pairs["cv"] = np.round(rng.uniform(0.18, 0.40, len(pairs)), 2)
    return pairs


def make_demand(pairs) -> pd.DataFrame:
    """demand.csv: the mean of every pair in every week (Monday dates), its sd and distribution."""
    idx = {p: level(WEEKS + pd.Timedelta(days=3), p) for p in FG}  # mid-week season
    rows = []
    for r in pairs.itertuples():
        mean = np.round(r.base * idx[r.product], 2)
        for w, day in enumerate(WEEKS):
            m = float(mean[w])
            if r.intermittent:
                rows.append((r.customer, r.product, day, m, round(np.sqrt(m), 2), "poisson"))
            else:
                rows.append((r.customer, r.product, day, m, round(r.cv * m, 2), "normal"))
    return pd.DataFrame(rows, columns=["customer", "product", "date", "quantity", "sd",
                                       "distribution"])


def weekly_load(demand) -> pd.DataFrame:
    """Weekly demand per finished good (rows: week index, columns: product)."""
    d = demand.assign(week=(demand["date"] - pd.Timestamp(START)).dt.days // 7)
    return d.pivot_table(index="week", columns="product", values="quantity", aggfunc="sum",
                         fill_value=0.0).reindex(columns=list(FG), fill_value=0.0)


def make_production_and_resources(weekly):
    """production.csv rows and resources.csv hours sized from the demand.

    Hours: the binding line gets peak need / BINDING_PEAK_RATIO; the lines with slack get peak
    need / SLACK_PEAK_UTILISATION with every dual-sourced product at its cheaper plant (PLANT1);
    LINE5 gets FLEX_SHARE of what FG02 + FG12 would need there at peak.
    """
    prod = pd.DataFrame(PRODUCTION, columns=["plant", "product", "resource", "hours_per_unit",
                                             "rate", "setup_cost", "min_lot"])
    prod["unit_cost"] = (prod["hours_per_unit"] * prod["rate"] + 0.60).round(2)
    hours = {}
    for plant, res in RESOURCES:
        rows = prod[(prod.plant == plant) & (prod.resource == res)]
        need = sum(weekly[p] * h for p, h in zip(rows["product"], rows["hours_per_unit"]))
        if (plant, res) == BINDING:
            hours[(plant, res)] = int(round(need.max() / BINDING_PEAK_RATIO / 10) * 10)
        elif (plant, res) in SLACK_PEAK_UTILISATION:
            hours[(plant, res)] = ceil_to(need.max() / SLACK_PEAK_UTILISATION[(plant, res)], 10)
        else:
            hours[(plant, res)] = ceil_to(FLEX_SHARE * need.max(), 10)
    resources = pd.DataFrame([(pl, r, h) for (pl, r), h in hours.items()],
                             columns=["plant", "resource", "hours_per_period"])
    return prod, resources


def check_binding(weekly, prod, resources) -> dict:
    """Hours needed (primary plants) vs available per line and week; raises if the story of the
    example (one line short by 5-20 % in the peak, well under on average, others with slack)
    does not hold."""
    primary = prod.drop_duplicates("product", keep="first")  # PLANT1 before PLANT3 for FG02/FG12
    util = {}
    for r in resources.itertuples():
        rows = primary[(primary.plant == r.plant) & (primary.resource == r.resource)]
        need = sum((weekly[p] * h for p, h in zip(rows["product"], rows["hours_per_unit"])),
                   start=pd.Series(0.0, index=weekly.index))
        util[(r.plant, r.resource)] = need / r.hours_per_period
    b = util[BINDING]
    over = b[b > 1.0]
    ok = (1.05 <= b.max() <= 1.20 and b.mean() <= 0.80 and len(over) >= 4
          and all(9 <= w + 1 <= 19 for w in over.index)
          and all(u.max() <= 0.85 for k, u in util.items() if k != BINDING))
    if not ok:
        raise RuntimeError(f"capacity story does not hold for this seed: {BINDING} peak "
                           f"{b.max():.3f}, mean {b.mean():.3f}, weeks over {list(over.index + 1)}")
    return util


def make_products(prod) -> pd.DataFrame:
    comp_cost = {c: cost for c, _, _, cost in COMPONENTS}
    rows = [{"id": c, "name": name, "unit": unit, "standard_cost": cost, "price": None,
                 "holding_cost": round(cost * 0.25 / 52, 4)} for c, name, unit, cost in COMPONENTS]
    conv = prod.groupby("product")["unit_cost"].min()
    for p, row in FG.items():
        material = sum(q * comp_cost[c] for c, q in BOM[p].items())
        std = round(material + conv[p] + 1.50, 2)  # + plant overhead per unit
        rows.append({"id": p, "name": row[1], "unit": "ea", "standard_cost": std,
                         "price": round(np.ceil(std * row[8]) - 0.01, 2),
                         "holding_cost": round(std * 0.25 / 52, 4)})
    products = pd.DataFrame(rows)
    return products.set_index("id", drop=False).loc[list(FG) + [c[0] for c in COMPONENTS]]


def make_bom() -> pd.DataFrame:
    rows = [(p, c, q, None) for p, comps in BOM.items() for c, q in comps.items()]
    rows += [(p, c, q, plant) for (p, plant), comps in PLANT_BOM.items() for c, q in comps.items()]
    return pd.DataFrame(rows, columns=["product", "component", "quantity", "plant"])


def component_need(weekly, prod) -> pd.DataFrame:
    """Weekly component need per plant (rows: week; columns: (plant, component)), dual-sourced
    products split 85 / 15 between PLANT1 and PLANT3."""
    share = {}
    for p, grp in prod.groupby("product", sort=False):
        plants = list(grp["plant"])
        share.update({(pl, p): (1.0 if len(plants) == 1 else (0.85 if i == 0 else 0.15))
                      for i, pl in enumerate(plants)})
    out = {}
    for (pl, p), s in share.items():
        for c, q in PLANT_BOM.get((p, pl), BOM[p]).items():
            out[(pl, c)] = out.get((pl, c), 0.0) + s * q * weekly[p]
    return pd.DataFrame(out).sort_index(axis=1)


def make_supply(rng, need) -> pd.DataFrame:
    comp_cost = {c: cost for c, _, _, cost in COMPONENTS}
    peak = need.T.groupby(level=1).sum().T.max()  # peak weekly need per component
    rows = []
    for sup, c, factor, share in SUPPLY:
        rows.append({"supplier": sup, "product": c, "unit_cost": round(comp_cost[c] * factor, 2),
                         "capacity_per_period": ceil_to(share * peak[c], 100),
                         "lead_time_days": int(rng.integers(7, 22))})
    return pd.DataFrame(rows)


def make_lanes(sites, pairs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """lanes.csv, and each customer's regional ('home') DC for inventory sizing."""
    pos = sites[["lat", "lon"]]

    def km(a, b):
        return float(road_km(pos.at[a, "lat"], pos.at[a, "lon"],
                             pos.at[b, "lat"], pos.at[b, "lon"]))

    def lane(o, d, terms, mode, product=None, capacity=None):
        cost, lead, sd = lane_terms(km(o, d), terms)
        return {"origin": o, "destination": d, "product": product, "mode": mode,
                "cost_per_unit": cost, "lead_time_days": lead, "lead_time_sd_days": sd,
                "capacity_per_period": capacity}

    suppliers = [s[0] for s in SUPPLIERS]
    plants = [p[0] for p in PLANTS]
    dcs = [d[0] for d in DCS]
    existing = [d[0] for d in DCS if d[7] == "existing"]
    candidate = [d[0] for d in DCS if d[7] == "candidate"]
    rows = []
    for s in suppliers:
        for p in plants:
            rows.append(lane(s, p, COMPONENT_TRUCK, "truck"))
    rows.append(lane("SUP2", "PLANT2", COMPONENT_RAIL, "rail", product="RM4", capacity=20000))
    for p in plants:
        for d in dcs:
            rows.append(lane(p, d, FG_MODES["truck"], "truck"))
            if d in existing and km(p, d) >= RAIL_MIN_KM:
                rows.append(lane(p, d, FG_MODES["rail"], "rail", capacity=RAIL_CAPACITY))
    # customers: regional DC, next nearest existing DC, candidate DC within reach
    volume = pairs.groupby("customer")["base"].sum()
    big = set(volume[volume >= volume.quantile(0.75)].index)
    home = {}
    for c in sites.index[sites.kind == "customer"]:
        region = sites.at[c, "region"]
        dist = {d: km(d, c) for d in existing}
        south = [d for d in existing if sites.at[d, "region"] == "South"]
        h = REGIONAL_DC.get(region) or min(south, key=dist.get)
        second = min((d for d in existing if d != h), key=dist.get)
        home[c] = h
        serving = [h, second] + [d for d in candidate if km(d, c) <= CANDIDATE_REACH_KM]
        for d in serving:
            if c in big and d == h:
                rows.append(lane(d, c, DELIVERY_TRUCK, "truck"))
            else:
                rows.append(lane(d, c, FG_MODES["ltl"], "ltl"))
    lanes = pd.DataFrame(rows)
    return lanes, pd.Series(home, name="home_dc")


def make_inventory(rng, demand, home, need, supply, lanes) -> pd.DataFrame:
    """Starting stock and policy parameters, sized from the demand each site serves.

    Finished goods at the existing DCs (from their regional customers' demand), components at
    the plants (from the plant's component need). With mean weekly demand mu, its sd sigma, lead
    time L and review R in weeks: SS = z sigma sqrt(L + R); base_stock S = mu (L + R) + SS;
    s_S s = mu L + SS, S = s + 2 mu; r_Q r = mu L + SS, Q = 2 mu (rounded up to 10). Stock on
    hand starts at a random point of the replenishment cycle (between s and S, r and r + Q, or
    0.75-1.05 S); for `plan` rows, and for the outdoor products, it is 2-3.5 weeks of demand.
    """
    d = demand.merge(home.rename_axis("customer").reset_index(), on="customer")
    d["var"] = d["sd"] ** 2
    by_dc = d.groupby(["home_dc", "product", "date"]).agg(mean=("quantity", "sum"),
                                                          var=("var", "sum"))
    stats = by_dc.groupby(level=[0, 1]).agg(mu=("mean", "mean"), var=("var", "mean"))
    first4 = by_dc[by_dc.index.get_level_values("date") < WEEKS[4]]["mean"]
    first4 = first4.groupby(level=[0, 1]).mean()
    plant_dc_lead = lanes[lanes["mode"] == "truck"].set_index(["origin", "destination"])
    maker = {p: plant for plant, p, *_ in reversed(PRODUCTION)}  # the first (cheaper) plant
    rows = []
    for (dc, p), s in stats.iterrows():
        mu, sigma = s["mu"], np.sqrt(s["var"])
        lead_days = plant_dc_lead.loc[(maker[p], dc), "lead_time_days"]
        L, R = 1.0 + lead_days / 7.0, 1.0  # a week to make, then the haul; weekly review
        ss = SERVICE_Z * sigma * np.sqrt(L + R)
        row = {"site": dc, "product": p, "safety_stock": ceil_to(ss, 1), "policy": POLICY[p]}
        u = rng.uniform()  # where in its replenishment cycle the stock starts
        if POLICY[p] == "base_stock":
            top = ceil_to(mu * (L + R) + ss, 1)
            row.update(order_up_to=top, review_days=7, on_hand=round(top * (0.75 + 0.3 * u)))
        elif POLICY[p] == "s_S":
            s_ = ceil_to(mu * L + ss, 1)
            top = s_ + ceil_to(2 * mu, 10)
            row.update(reorder_point=s_, order_up_to=top, review_days=7,
                       on_hand=round(s_ + (top - s_) * u))
        elif POLICY[p] == "r_Q":
            rop, q = ceil_to(mu * L + ss, 1), ceil_to(2 * mu, 10)
            row.update(reorder_point=rop, order_quantity=q, on_hand=round(rop + q * u))
        else:  # plan: two to three and a half weeks of the opening demand
            row["on_hand"] = round(first4[(dc, p)] * (2.0 + 1.5 * u))
        if dc in SPACE_LIMITED and POLICY[p] != "plan":
            top = row.get("order_up_to") or row["reorder_point"] + row["order_quantity"]
            row["max_stock"] = ceil_to(max(1.6 * top, 1.2 * row["on_hand"]), 10)
        rows.append(row)
    lead = supply.groupby("product")["lead_time_days"].min()
    for (plant, c), series in need.items():
        mu = series.mean()
        L = (lead[c] + 3) / 7.0  # supplier lead time plus a few days on the road, in weeks
        ss = SERVICE_Z * 0.25 * mu * np.sqrt(L)
        rop, q = ceil_to(mu * L + ss, 10), ceil_to(2 * mu, 100)
        row = {"site": plant, "product": c, "on_hand": ceil_to(rop + q * rng.uniform(0.2, 1.0), 10),
                   "safety_stock": ceil_to(ss, 10), "policy": "r_Q", "reorder_point": rop,
                   "order_quantity": q}
        if plant in SPACE_LIMITED:
            row["max_stock"] = ceil_to(rop + q + 2 * series.max(), 100)
        rows.append(row)
    return pd.DataFrame(rows)


def dc_capacity(sites, demand, home) -> pd.Series:
    """Weekly throughput of each DC: 1.35 x the peak weekly demand of its regional customers;
    the candidate DC: 1.35 x the peak of the customers it would be nearest to."""
    d = demand.assign(dc=demand["customer"].map(home))
    peak = d.groupby(["dc", "date"])["quantity"].sum().groupby(level=0).max()
    cap = {dc: ceil_to(1.35 * peak[dc], 500) for dc in peak.index}
    cand = [x[0] for x in DCS if x[7] == "candidate"]
    for c in cand:
        near = [k for k in home.index
                if road_km(sites.at[k, "lat"], sites.at[k, "lon"], sites.at[c, "lat"],
                           sites.at[c, "lon"]) < road_km(sites.at[k, "lat"], sites.at[k, "lon"],
                                                         sites.at[home[k], "lat"],
                                                         sites.at[home[k], "lon"])]
        pk = d[d.customer.isin(near)].groupby("date")["quantity"].sum().max()
        cap[c] = ceil_to(1.35 * pk, 500)
    return pd.Series(cap)


# ------------------------------------------------------------------ the CRM


def _weekday(rng, monday, n=1):
    return [monday + dt.timedelta(days=int(k)) for k in rng.integers(0, 5, n)]


def make_run_rate_orders(rng, pairs, products, discount) -> pd.DataFrame:
    """Orders of the two years before START, from each pair's weekly demand.

    Regular series: weekly demand base x trend x season x lognormal noise (cv of the pair),
    ordered every 1, 2 or 4 weeks depending on volume. Intermittent series: in each week an
    order with probability p, of a lumpy size 1 + Poisson(lam), with p (1 + lam) = the mean.
    """
    # four weeks past the history, so the last orders (placed for the weeks ahead) are whole
    mondays = pd.date_range(HISTORY_START, periods=HISTORY_WEEKS + 4, freq="7D")
    idx = {p: level(mondays + pd.Timedelta(days=3), p) for p in FG}
    price = products["price"]
    rows = []
    for r in pairs.itertuples():
        mean = r.base * idx[r.product]
        if r.intermittent:
            lam = rng.uniform(2.0, 6.0)
            p_week = np.clip(mean[:HISTORY_WEEKS] / (1.0 + lam), 0.0, 0.9)
            hit = rng.random(HISTORY_WEEKS) < p_week
            qty = 1 + rng.poisson(lam, HISTORY_WEEKS)
            weeks = np.flatnonzero(hit)
            qtys = qty[weeks]
        else:
            sigma = np.sqrt(np.log(1 + r.cv ** 2))
            weekly = mean * rng.lognormal(-sigma ** 2 / 2, sigma, len(mean))
            every = 1 if r.base >= 120 else (2 if r.base >= 50 else 4)
            weeks = np.arange(int(rng.integers(0, every)), HISTORY_WEEKS, every)
            qtys = np.array([weekly[w:w + every].sum() for w in weeks])
            weeks, qtys = weeks[qtys >= 0.5], np.maximum(1, np.round(qtys[qtys >= 0.5]))
        days = _weekday(rng, HISTORY_START, len(weeks))
        for w, q, d0 in zip(weeks, qtys, days):
            order_date = d0 + dt.timedelta(days=7 * int(w))
            unit = price[r.product] * PRICE_INDEX[order_date.year] * discount[r.customer]
            rows.append({"customer": r.customer, "product": r.product, "order_date": order_date,
                         "quantity": int(q), "unit_price": round(unit, 2),
                         "opportunity_id": None})
    orders = pd.DataFrame(rows)
    orders["requested_date"] = [d + dt.timedelta(days=int(k)) for d, k in
                                zip(orders["order_date"], rng.integers(7, 22, len(orders)))]
    cancelled = rng.random(len(orders)) < CANCEL_RATE
    orders["status"] = np.where(cancelled, "cancelled",
                                np.where(orders["order_date"] >= OPEN_FROM, "open", "shipped"))
    return orders


def make_opportunities(rng, pairs, products, discount) -> pd.DataFrame:
    """About 150 opportunities: the closed history (won / lost by the stage they closed from, at
    rates well under the CRM's probabilities) and the open pipeline."""
    price = products["price"]
    customers = sorted(pairs["customer"].unique())
    size = pairs.groupby("customer")["size"].first().reindex(customers)
    weight = (size / size.sum()).to_numpy()
    base = pairs.set_index(["customer", "product"])["base"]
    bought = pairs.groupby("customer")["product"].apply(list)

    def pick():
        c = customers[int(rng.choice(len(customers), p=weight))]
        if rng.random() < 0.8:
            p = bought[c][int(rng.integers(len(bought[c])))]
            weekly = base[(c, p)]
        else:  # cross-sell of a product the customer does not buy yet
            p = list(FG)[int(rng.integers(len(FG)))]
            weekly = FG[p][2] * size[c]
        qty = max(100, ceil_to(weekly * rng.uniform(8.0, 26.0), 10))  # months of demand
        unit = price[p] * discount[c] * rng.uniform(0.85, 0.95)  # deal discount
        return c, p, qty, unit

    rows = []
    closed = [(stage, i < won) for stage, (n, won) in CLOSED_BY_STAGE.items() for i in range(n)]
    for stage, won in closed:
        c, p, qty, unit = pick()
        created = HISTORY_START + dt.timedelta(days=int(rng.integers(0, 600)))
        expected = created + dt.timedelta(days=int(rng.integers(30, 121)))
        u = rng.random()  # slippage: mostly late
        slip = (rng.integers(7, 76) if u < 0.65 else rng.integers(-6, 7) if u < 0.85
                else rng.integers(-20, -6))
        closed_date = max(created + dt.timedelta(days=7), expected + dt.timedelta(days=int(slip)))
        if closed_date >= START - dt.timedelta(days=3):  # would close after the history ends
            closed_date = START - dt.timedelta(days=int(rng.integers(4, 30)))
        unit = unit / PRICE_INDEX[2027] * PRICE_INDEX[closed_date.year]
        delivery = expected + dt.timedelta(days=int(rng.integers(14, 43)))
        rows.append({"customer": c, "product": p, "quantity": qty,
                     "stage": "Closed Won" if won else "Closed Lost", "created_date": created,
                     "expected_close_date": expected, "status": "won" if won else "lost",
                     "last_open_stage": stage, "amount": round(qty * unit, 2),
                     "closed_date": closed_date, "expected_delivery_date": delivery})
    stages = rng.choice(STAGES, size=N_OPEN, p=OPEN_STAGE_SHARES)
    for i, stage in enumerate(stages):
        c, p, qty, unit = pick()
        age = int(rng.integers(7, 60 + 45 * STAGES.index(stage)))  # later stages are older
        created = START - dt.timedelta(days=age)
        if i % 16 == 0:  # a few stale deals whose close date has already passed
            expected = START - dt.timedelta(days=int(rng.integers(3, 30)))
            expected = max(expected, created + dt.timedelta(days=14))
        else:
            expected = START + dt.timedelta(days=int(rng.integers(3, 200)))
        delivery = max(expected, START) + dt.timedelta(days=int(rng.integers(14, 43)))
        rows.append({"customer": c, "product": p, "quantity": qty, "stage": stage,
                     "created_date": created, "expected_close_date": expected, "status": "open",
                     "last_open_stage": None, "amount": round(qty * unit, 2),
                     "closed_date": None, "expected_delivery_date": delivery})
    opps = pd.DataFrame(rows).sort_values(["created_date", "customer", "product"], kind="stable")
    opps["opportunity_id"] = [f"OPP-{i + 1:04d}" for i in range(len(opps))]
    opps["probability"] = opps["stage"].map(CRM_PROBABILITY)
    return opps.reset_index(drop=True)


def make_orders(rng, pairs, products, opps, discount) -> pd.DataFrame:
    orders = make_run_rate_orders(rng, pairs, products, discount)
    won = opps[opps.status == "won"]
    from_opps = pd.DataFrame({
        "customer": won["customer"], "product": won["product"],
        "order_date": [d + dt.timedelta(days=int(k)) for d, k in
                    zip(won["closed_date"], rng.integers(0, 4, len(won)))],
        "quantity": won["quantity"], "unit_price": (won["amount"] / won["quantity"]).round(2),
        "opportunity_id": won["opportunity_id"]})
    from_opps["requested_date"] = [d + dt.timedelta(days=int(k)) for d, k in
                                   zip(from_opps["order_date"], rng.integers(7, 22, len(won)))]
    from_opps["status"] = np.where(from_opps["order_date"] >= OPEN_FROM, "open", "shipped")
    orders = pd.concat([orders, from_opps], ignore_index=True)
    orders = orders.sort_values(["order_date", "customer", "product", "quantity"], kind="stable")
    orders["order_id"] = [f"SO-{i + 1:06d}" for i in range(len(orders))]
    return orders.reset_index(drop=True)


# ------------------------------------------------------------------ main


def generate(out: Path, seed: int) -> dict:
    """Write the Acme network folder to `out` and its CRM folder to `out/crm`; returns a summary."""
    rng = np.random.default_rng(seed)
    sites = make_sites(rng)
    pairs = make_pairs(rng, sites)
    demand = make_demand(pairs)
    weekly = weekly_load(demand)
    prod, resources = make_production_and_resources(weekly)
    util = check_binding(weekly, prod, resources)
    products = make_products(prod)
    bom = make_bom()
    need = component_need(weekly, prod)
    supply = make_supply(rng, need)
    lanes, home = make_lanes(sites, pairs)
    inventory = make_inventory(rng, demand, home, need, supply, lanes)
    cap = dc_capacity(sites, demand, home)
    sites["capacity"] = sites["id"].map(cap)
    per_cap = sites["status"].map(FIXED_COST_PER_CAPACITY)
    sites["fixed_cost"] = (sites["capacity"] * per_cap / 100).round() * 100

    cust = sites.index[sites.kind == "customer"]
    discount = pd.Series(np.round(rng.uniform(0.82, 0.97, len(cust)), 3), index=cust)
    opps = make_opportunities(rng, pairs, products.set_index("id"), discount)
    orders = make_orders(rng, pairs, products.set_index("id"), opps, discount)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "network.yaml").write_text(
        "# Acme Power Tools example network; generated by generate_acme.py (edit that, not this)\n"
        "name: Acme\ncurrency: USD\ncalendar:\n  bucket: week\n"
        f"  start: {START.isoformat()}\n  periods: {PERIODS}\n", encoding="utf-8")
    tables = {"sites.csv": sites, "products.csv": products, "bom.csv": bom,
              "production.csv": prod, "resources.csv": resources, "supply.csv": supply,
              "lanes.csv": lanes, "inventory.csv": inventory, "demand.csv": demand,
              "crm/orders.csv": orders, "crm/opportunities.csv": opps}
    for name, df in tables.items():
        write_csv(df, out / name, FORMATS[name])
    b = util[BINDING]
    return {"sites": len(sites), "pairs": len(pairs), "demand_rows": len(demand),
            "orders": len(orders), "opportunities": len(opps),
            "binding": f"{BINDING[0]}/{BINDING[1]}", "peak": float(b.max()),
            "mean": float(b.mean())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "acme",
                        help="network folder to write (default: scenarios/examples/acme)")
    parser.add_argument("--seed", type=int, default=2027, help="random seed (default: 2027)")
    args = parser.parse_args(argv)
    s = generate(args.out, args.seed)
    print(f"wrote {args.out}: {s['sites']} sites, {s['pairs']} customer x product pairs, "
          f"{s['demand_rows']} demand rows, {s['orders']} orders, {s['opportunities']} "
          f"opportunities; {s['binding']} peak need {s['peak']:.0%} of its hours, "
          f"{s['mean']:.0%} on average")


if __name__ == "__main__":
    main()
