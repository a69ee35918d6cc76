"""``python -m tierwall``."""

from .cli.main import main

main()
