"""swkas: named numerical arrays over libswkas (Swift), from Python.

The kastore API is available unchanged, so ``import swkas as kastore`` works
in existing code: ``load``, ``loads``, ``dump``, ``dumps``, ``get_include`` and
the exceptions. Loads from a path are memory-mapped (zero-copy, read-only
arrays); dumps to a path replace the file atomically.
"""
from . import exceptions
from ._abi import swkas_version as _swkas_version
from ._blosc2 import Codec, Filter, SplitMode, compress2, decompress2
from ._kastore import (
    C_ENGINE,
    DEFAULT_KEY_ENCODING,
    PY_ENGINE,
    Store,
    ValueInfo,
    dump,
    dumps,
    get_include,
    load,
    loads,
)
from .exceptions import (
    FileFormatError,
    KastoreException,
    StoreClosedError,
    VersionTooNewError,
    VersionTooOldError,
)

__version__ = "0.1.0"
#: The version of the libswkas.so this package loaded.
library_version = _swkas_version().decode()

__all__ = [
    "C_ENGINE", "DEFAULT_KEY_ENCODING", "PY_ENGINE", "Store", "ValueInfo", "dump", "dumps", "get_include",
    "load", "loads", "exceptions", "KastoreException", "FileFormatError", "VersionTooOldError",
    "VersionTooNewError", "StoreClosedError", "__version__", "library_version",
    "Codec", "Filter", "SplitMode", "compress2", "decompress2",
]
