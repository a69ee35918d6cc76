"""Enforcement back end: compile the model to nftables, and the network-namespace lab that
proves the kernel agrees with ``trace``."""
