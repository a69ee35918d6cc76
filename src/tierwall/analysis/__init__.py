"""Analyses over the compiled model: lint (findings), diff (connectivity changes), views (get, explain)."""
