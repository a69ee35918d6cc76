"""tierwall: offline trace, check and analysis of tiered Kubernetes network policy."""

__version__ = "0.1.0"
