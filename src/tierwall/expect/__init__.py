"""Expectations: the ConnectivityTest format and the ``check`` runner."""

from .run import CaseResult, CheckReport, resolve_destinations, resolve_sources, run_cases
from .spec import API_VERSION, KIND, Case, EndpointSpec, endpoint_from_text, parse_tests

__all__ = ["API_VERSION", "KIND", "Case", "CaseResult", "CheckReport", "EndpointSpec", "endpoint_from_text",
           "parse_tests", "resolve_destinations", "resolve_sources", "run_cases"]
