"""The ``tierwall`` command line: a click group in ``main``, one module per verb in ``commands``."""
