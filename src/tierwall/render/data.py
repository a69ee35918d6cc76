"""JSON and YAML output of any result with a ``to_dict``: the same content as the text view."""

from __future__ import annotations

import json

import yaml


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def render_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
