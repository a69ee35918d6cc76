"""``python -m tierwall.cli``."""

from .main import main

main()
