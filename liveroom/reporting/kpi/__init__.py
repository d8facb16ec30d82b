"""The mayor's KPIs: incident figures, officers' performance, and the page's dashboard."""

from liveroom.reporting.kpi.dashboard import PANELS_AT_ONCE, Dashboard, dashboard
from liveroom.reporting.kpi.figures import (
    AGE_BUCKETS,
    DIMENSIONS,
    Period,
    Scope,
    Times,
    backlog,
    bucket_name,
    hexbins,
    recurring,
    response_times,
    response_times_by,
    volumes,
)
from liveroom.reporting.kpi.officers import OfficerPerformance, officer_performance

__all__ = ["AGE_BUCKETS", "DIMENSIONS", "PANELS_AT_ONCE", "Dashboard", "OfficerPerformance",
           "Period", "Scope", "Times", "backlog", "bucket_name", "dashboard", "hexbins",
           "officer_performance", "recurring", "response_times",
           "response_times_by", "volumes"]
