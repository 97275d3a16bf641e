"""The network model: component tables with one schema, file I/O (CSV folder, Excel), the
calendar, validation, CRM data and demand, and the error hierarchy.

``models`` imports none of chainlab's other packages.
"""

from chainlab.models.calendar import Calendar
from chainlab.models.errors import (
                           BackendUnavailable,
                           ChainlabError,
                           Issue,
                           NotFoundError,
                           Severity,
                           SolverError,
                           ValidationError,
)
from chainlab.models.network import Network
from chainlab.models.schema import TABLES, Policy, SiteKind, SiteStatus, lane_id
from chainlab.models.validation import Report, check, validate

__all__ = ["BackendUnavailable", "Calendar", "ChainlabError", "Issue", "Network", "NotFoundError",
           "Policy", "Report", "Severity", "SiteKind", "SiteStatus", "SolverError", "TABLES",
           "ValidationError", "check", "lane_id", "validate"]
