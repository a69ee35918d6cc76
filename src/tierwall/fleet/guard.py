"""Every per-cluster job runs its body through :func:`guarded`: whatever goes wrong in one
cluster — unusable input, a usage error, even a bug — becomes that cluster's diagnostics and
never stops (or hides) the other clusters' results."""

from __future__ import annotations

import traceback
from typing import Callable

from ..errors import Diagnostics, InputError, Severity, TierwallError
from ..origin import Origin


def guarded(origin: Origin, diags: Diagnostics, body: Callable[[], None]) -> bool:
    """Run ``body``; ``True`` when it finished without any error diagnostic."""
    try:
        body()
        diags.raise_if_errors()
        return True
    except InputError:
        pass  # the diagnostics say why
    except TierwallError as exc:
        diags.error(origin, str(exc), "TW100")
    except Exception as exc:  # a bug must not hide the other clusters' results either
        where = traceback.extract_tb(exc.__traceback__)[-1]
        diags.error(origin, f"internal error in this cluster's job: {exc!r} at "
                            f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}", "TW100")
    return False


def reported(diags: Diagnostics) -> list[dict]:
    """Diagnostics as data, information notes left out (they are about every object read)."""
    return [d.to_dict() for d in diags.items if d.severity is not Severity.INFO]
