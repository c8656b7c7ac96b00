"""pytest runs against the installed swkas package (`pip install ./python`);
set SWKAS_TEST_SOURCE=1 to test the source tree (and .build/release/libswkas.so)."""
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
if os.environ.get("SWKAS_TEST_SOURCE"):
    sys.path.insert(0, str(ROOT / "python"))
