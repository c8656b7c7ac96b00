"""swkas: named numerical arrays over libswkas (Swift), from Python.

The kastore API is available unchanged, so ``import swkas as kastore`` works
in existing code: ``load``, ``loads``, ``dump``, ``dumps``, ``get_include`` and
the exceptions. Loads from a path are memory-mapped (zero-copy, read-only
arrays); dumps to a path replace the file atomically.

Blosc2 chunks: ``compress2`` / ``decompress2`` with python-blosc2's keywords.

N-d arrays (chunked, compressed and persistent, as .b2nd files that
python-blosc2 opens; python-blosc2's and python-caterva's files open too):
``empty``, ``zeros``, ``full``, ``from_buffer``, ``asarray``, ``copy``,
``open``, ``remove``, ``from_cframe`` and ``NDArray``, with python-caterva
0.7.3's names and keywords plus NumPy dtypes and indexing::

    a = swkas.asarray(np.arange(100.0).reshape(10, 10), chunks=(4, 4), urlpath="a.b2nd")
    a[::-2, 3]               # a float64 NumPy array
    a.vlmeta["unit"] = "m"   # msgpack, as python-blosc2 stores it

Note that ``NDArray.size`` counts items (NumPy's meaning); python-caterva's
``size`` in bytes is ``nbytes`` here.
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
from ._ndarray import NDArray, asarray, copy, empty, from_buffer, from_cframe, full, open, remove, zeros
from .exceptions import (
    ArrayFormatError,
    FileFormatError,
    KastoreException,
    NotAnArrayError,
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
    "NDArray", "empty", "zeros", "full", "from_buffer", "asarray", "copy", "open", "remove", "from_cframe",
    "ArrayFormatError", "NotAnArrayError",
]
