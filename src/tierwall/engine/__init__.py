"""Compile a model against an inventory, and evaluate flows through it."""

from .compile import CompiledCluster, StagePlan, compile_cluster
from .flow import Endpoint, Flow, Request, endpoint_for_ip, endpoint_for_pod, resolve_flows, service_endpoints
from .result import TRACE_FORMAT, Decision, PathTrace, RuleStep, SideTrace, StageStep, TraceResult
from .trace import trace, trace_flow

__all__ = ["CompiledCluster", "Decision", "Endpoint", "Flow", "PathTrace", "Request", "RuleStep", "SideTrace",
           "StagePlan", "StageStep", "TRACE_FORMAT", "TraceResult", "compile_cluster", "endpoint_for_ip",
           "endpoint_for_pod", "resolve_flows", "service_endpoints", "trace", "trace_flow"]
