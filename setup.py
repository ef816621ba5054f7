"""Build script: the Cython extension and the generated built-in profiles.

* ``vendor_profiles/`` is regenerated into ``src/amsparse/_builtin_profiles.py``
  on every build (when the folder is present, i.e. from a checkout or sdist).
* The Cython core ``amsparse._decode_c`` is compiled on CPython.  Set
  ``AMSPARSE_NO_EXTENSIONS=1`` to build a pure-Python package (the
  ``py3-none-any`` wheel).  A build that should have the extension but cannot
  compile it fails loudly rather than shipping the fallback by surprise.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def _regenerate_profiles() -> None:
    if (ROOT / "vendor_profiles").is_dir() and (ROOT / "tools" / "gen_builtin_profiles.py").exists():
        subprocess.check_call([sys.executable, str(ROOT / "tools" / "gen_builtin_profiles.py")])


def _extensions():
    if os.environ.get("AMSPARSE_NO_EXTENSIONS", "") not in ("", "0"):
        return []
    if platform.python_implementation() != "CPython":
        return []
    pyx = ROOT / "src" / "amsparse" / "_decode_c.pyx"
    scan_pyx = ROOT / "src" / "amsparse" / "_scan_c.pyx"  # stream scanner (StreamDecoder)
    if not pyx.exists() and not scan_pyx.exists():
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    debug = os.environ.get("AMSPARSE_DEBUG_BUILD", "") not in ("", "0")
    extra = ["-O0", "-g"] if debug else ["-O3"]
    if os.environ.get("AMSPARSE_SANITIZE"):
        flags = ["-fsanitize=" + os.environ["AMSPARSE_SANITIZE"], "-fno-omit-frame-pointer", "-g"]
        extra = ["-O1"] + flags
    ext = Extension(
        "amsparse._decode_c",
        ["src/amsparse/_decode_c.pyx"],
        depends=["src/amsparse/_crc16.h"],
        extra_compile_args=extra if sys.platform != "win32" else [],
        extra_link_args=[f for f in extra if f.startswith("-fsanitize")] if sys.platform != "win32" else [],
    )
    exts = [ext] if pyx.exists() else []
    if scan_pyx.exists():
        exts.append(Extension(
            "amsparse._scan_c",
            ["src/amsparse/_scan_c.pyx"],
            depends=["src/amsparse/_crc16.h"],
            extra_compile_args=extra if sys.platform != "win32" else [],
            extra_link_args=[f for f in extra if f.startswith("-fsanitize")] if sys.platform != "win32" else [],
        ))
    p1_pyx = ROOT / "src" / "amsparse" / "_p1_c.pyx"  # P1 / DSMR telegrams (decode_telegram)
    if p1_pyx.exists():
        exts.append(Extension(
            "amsparse._p1_c",
            ["src/amsparse/_p1_c.pyx"],
            extra_compile_args=extra if sys.platform != "win32" else [],
            extra_link_args=[f for f in extra if f.startswith("-fsanitize")] if sys.platform != "win32" else [],
        ))
    return cythonize(
        exts,
        compiler_directives={
            "language_level": "3",
            "embedsignature": True,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "freethreading_compatible": True,
        },
        annotate=os.environ.get("AMSPARSE_ANNOTATE", "") not in ("", "0"),
    )


_regenerate_profiles()
setup(ext_modules=_extensions())
