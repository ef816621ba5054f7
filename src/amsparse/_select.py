"""Backend selection (the yarl/propcache pattern, with python-zstandard's
explicit ``BACKEND``).

* ``AMSPARSE_NO_EXTENSIONS=1`` (any non-empty value but "0") forces the Python twin;
* on other interpreters than CPython the twin is used;
* otherwise the compiled ``_decode_c`` is imported.  If it is missing (an
  install from the pure-Python wheel, or a source build without a compiler)
  the twin is used and ``BACKEND`` says "python".  Set
  ``AMSPARSE_EXPECT_BACKEND=cython`` to turn that fallback into an ImportError
  (the wheel tests do this, so a wheel can never silently fall back).
"""

from __future__ import annotations

import os
import platform
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = ["BACKEND", "P1_BACKEND", "SCAN_BACKEND", "impl", "p1_impl", "scan_for", "scan_impl"]

if TYPE_CHECKING:
    from . import _decode_py as impl
else:
    impl: ModuleType

_forced = os.environ.get("AMSPARSE_NO_EXTENSIONS", "") not in ("", "0")

if TYPE_CHECKING:
    pass
elif _forced or platform.python_implementation() != "CPython":
    from . import _decode_py as impl
else:
    try:
        from . import _decode_c as impl
    except ImportError:
        from . import _decode_py as impl

BACKEND: str = impl.BACKEND

_expected = os.environ.get("AMSPARSE_EXPECT_BACKEND")
if _expected and _expected != BACKEND:
    raise ImportError(
        f"amsparse loaded the {BACKEND!r} backend but AMSPARSE_EXPECT_BACKEND={_expected!r}"
    )

# P1 / DSMR telegrams: the compiled _p1_c alongside _decode_c, same rules.
if TYPE_CHECKING:
    from . import _p1_py as p1_impl
elif impl.BACKEND != "cython":
    from . import _p1_py as p1_impl
else:
    try:
        from . import _p1_c as p1_impl
    except ImportError:
        from . import _p1_py as p1_impl

P1_BACKEND: str = p1_impl.BACKEND
if _expected and _expected != P1_BACKEND:
    raise ImportError(
        f"amsparse loaded the {P1_BACKEND!r} P1 decoder but AMSPARSE_EXPECT_BACKEND={_expected!r}"
    )

# The frame scanner (StreamDecoder, decode_batch): the compiled _scan_c with the
# compiled core, same rules.  Selection happens here only.
if TYPE_CHECKING:
    from . import _scan_py as scan_impl
elif impl.BACKEND != "cython":
    from . import _scan_py as scan_impl
else:
    try:
        from . import _scan_c as scan_impl
    except ImportError:
        from . import _scan_py as scan_impl

SCAN_BACKEND: str = "cython" if scan_impl.__name__.endswith("_scan_c") else "python"
if _expected and _expected != SCAN_BACKEND:
    raise ImportError(
        f"amsparse loaded the {SCAN_BACKEND!r} stream scanner but AMSPARSE_EXPECT_BACKEND={_expected!r}"
    )


def scan_for(backend: ModuleType) -> ModuleType:
    """The scanner that goes with a decoding backend module (the twin's with
    the twin, else the selected one)."""
    if backend.BACKEND == "python":
        from . import _scan_py

        return _scan_py
    return scan_impl
