"""The mayor's KPIs: incident figures, officers' performance, and the page's dashboard."""

from liveroom.services.kpi.dashboard import Dashboard, dashboard
from liveroom.services.kpi.figures import (
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
    volumes,
)
from liveroom.services.kpi.officers import OfficerPerformance, officer_performance

__all__ = ["AGE_BUCKETS", "DIMENSIONS", "Dashboard", "OfficerPerformance", "Period", "Scope",
           "Times", "backlog", "bucket_name", "dashboard", "hexbins", "officer_performance",
           "recurring", "response_times", "volumes"]
