import pathlib
import sys

# Tests run against the source tree's package (and .build/release/libswkas.so)
# unless the package is installed.
ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
