"""Selector languages: Kubernetes label selectors (and, with the Calico dialect, Calico's)."""

from .labels import EVERYTHING, LabelSelector, Requirement, parse_label_selector

__all__ = ["EVERYTHING", "LabelSelector", "Requirement", "parse_label_selector"]
