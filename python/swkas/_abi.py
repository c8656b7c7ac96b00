"""ctypes bindings of libswkas.so: the structs and functions of kastore.h and swkas.h.

Everything else in the package goes through this module. The library is
looked up, in order, at $SWKAS_LIBRARY, inside the installed package
(swkas/_lib/libswkas.so), and in a source checkout's .build/release.
"""
from __future__ import annotations

import ctypes
import os
import pathlib

_here = pathlib.Path(__file__).resolve().parent


def _library_path() -> str:
    candidates = []
    if os.environ.get("SWKAS_LIBRARY"):
        candidates.append(pathlib.Path(os.environ["SWKAS_LIBRARY"]))
    candidates.append(_here / "_lib" / "libswkas.so")
    candidates.append(_here.parent.parent / ".build" / "release" / "libswkas.so")
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise ImportError(
        "libswkas.so not found (looked at: %s); install the package with pip or set SWKAS_LIBRARY"
        % ", ".join(str(c) for c in candidates))


LIBRARY_PATH = _library_path()
lib = ctypes.CDLL(LIBRARY_PATH, use_errno=True)
libc = ctypes.CDLL(None, use_errno=True)

# Constants (kastore.h / swkas.h).
KAS_ERR_GENERIC = -1
KAS_ERR_IO = -2
KAS_ERR_BAD_MODE = -3
KAS_ERR_NO_MEMORY = -4
KAS_ERR_BAD_FILE_FORMAT = -5
KAS_ERR_VERSION_TOO_OLD = -6
KAS_ERR_VERSION_TOO_NEW = -7
KAS_ERR_BAD_TYPE = -8
KAS_ERR_EMPTY_KEY = -9
KAS_ERR_DUPLICATE_KEY = -10
KAS_ERR_KEY_NOT_FOUND = -11
KAS_ERR_ILLEGAL_OPERATION = -12
KAS_ERR_TYPE_MISMATCH = -13
KAS_ERR_EOF = -14
KAS_ERR_BAD_FLAGS = -15
SWKAS_ERR_INDEX_OUT_OF_RANGE = -101
SWKAS_ERR_NULL_ARGUMENT = -102
SWKAS_ERR_TRUNCATED = -103
SWKAS_ERR_BAD_CHUNK = -110
SWKAS_ERR_UNSUPPORTED = -111
SWKAS_ERR_INVALID_ARGUMENT = -112
SWKAS_ERR_BUFFER_TOO_SMALL = -113
SWKAS_ERR_EXISTS = -120
SWKAS_ERR_NOT_AN_ARRAY = -121
SWKAS_ERR_BAD_FRAME = -122

KAS_READ_ALL = 1
KAS_GET_TAKES_OWNERSHIP = 2
KAS_BORROWS_ARRAY = 256
KAS_READ = 1
KAS_WRITE = 2
SWKAS_MAX_FILTERS = 6
SWKAS_MAX_DIM = 16
SWKAS_MAX_WRITE_DIM = 15
SWKAS_ARRAY_OVERWRITE = 1
SWKAS_ARRAY_NOT_DURABLE = 2
SWKAS_ARRAY_READONLY = 4

#: numpy dtype name of each kastore type code.
TYPE_NAMES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64")


class kaitem_t(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("key_len", ctypes.c_size_t),
        ("array_len", ctypes.c_size_t),
        ("key", ctypes.c_void_p),
        ("borrowed_array", ctypes.c_void_p),
        ("array", ctypes.c_void_p),
        ("key_start", ctypes.c_size_t),
        ("array_start", ctypes.c_size_t),
    ]


class kastore_t(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_int),
        ("mode", ctypes.c_int),
        ("file_version", ctypes.c_int * 2),
        ("num_items", ctypes.c_size_t),
        ("items", ctypes.POINTER(kaitem_t)),
        ("file", ctypes.c_void_p),
        ("file_size", ctypes.c_size_t),
        ("file_offset", ctypes.c_long),
        ("key_read_buffer", ctypes.c_void_p),
    ]


class kas_version_t(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int)]


class swkas_cparams_t(ctypes.Structure):
    _fields_ = [
        ("codec", ctypes.c_int),
        ("clevel", ctypes.c_int),
        ("typesize", ctypes.c_int),
        ("blocksize", ctypes.c_int),
        ("filters", ctypes.c_uint8 * 6),
        ("filters_meta", ctypes.c_uint8 * 6),
        ("nthreads", ctypes.c_int),
        ("splitmode", ctypes.c_int),
    ]


class swkas_chunk_info_t(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_int),
        ("flags", ctypes.c_int),
        ("typesize", ctypes.c_int),
        ("nbytes", ctypes.c_size_t),
        ("blocksize", ctypes.c_size_t),
        ("cbytes", ctypes.c_size_t),
        ("codec", ctypes.c_int),
        ("filters", ctypes.c_uint8 * 6),
        ("filters_meta", ctypes.c_uint8 * 6),
        ("special", ctypes.c_int),
        ("memcpyed", ctypes.c_int),
        ("split", ctypes.c_int),
    ]


class swkas_array_params_t(ctypes.Structure):
    _fields_ = [
        ("ndim", ctypes.c_int),
        ("shape", ctypes.c_int64 * SWKAS_MAX_DIM),
        ("chunks", ctypes.c_int32 * SWKAS_MAX_DIM),
        ("blocks", ctypes.c_int32 * SWKAS_MAX_DIM),
        ("itemsize", ctypes.c_int32),
        ("dtype", ctypes.c_char_p),
        ("cparams", swkas_cparams_t),
        ("nmeta", ctypes.c_int),
        ("meta_names", ctypes.POINTER(ctypes.c_char_p)),
        ("meta_values", ctypes.POINTER(ctypes.c_void_p)),
        ("meta_sizes", ctypes.POINTER(ctypes.c_size_t)),
    ]


class swkas_array_stats_t(ctypes.Structure):
    _fields_ = [
        ("nitems", ctypes.c_int64),
        ("nbytes", ctypes.c_int64),
        ("frame_nbytes", ctypes.c_int64),
        ("cbytes", ctypes.c_int64),
        ("nchunks", ctypes.c_int64),
        ("chunk_nbytes", ctypes.c_int64),
        ("block_nbytes", ctypes.c_int64),
        ("frame_size", ctypes.c_int64),
        ("has_b2nd", ctypes.c_int),
        ("has_caterva", ctypes.c_int),
        ("readonly", ctypes.c_int),
        ("in_memory", ctypes.c_int),
    ]


_store_p = ctypes.POINTER(kastore_t)
_c = ctypes.c_char_p
_vp = ctypes.c_void_p
_size = ctypes.c_size_t
_int = ctypes.c_int


def _declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


kastore_open = _declare("kastore_open", _int, _store_p, _c, _c, _int)
kastore_openf = _declare("kastore_openf", _int, _store_p, _vp, _c, _int)
kastore_close = _declare("kastore_close", _int, _store_p)
kastore_get = _declare(
    "kastore_get", _int, _store_p, _c, _size, ctypes.POINTER(_vp), ctypes.POINTER(_size), ctypes.POINTER(_int))
kastore_contains = _declare("kastore_contains", _int, _store_p, _c, _size)
kastore_put = _declare("kastore_put", _int, _store_p, _c, _size, _vp, _size, _int, _int)
kastore_oput = _declare("kastore_oput", _int, _store_p, _c, _size, _vp, _size, _int, _int)
kas_strerror = _declare("kas_strerror", _c, _int)
kas_version = _declare("kas_version", kas_version_t)
swkas_version = _declare("swkas_version", _c)
swkas_strerror = _declare("swkas_strerror", _c, _int)
swkas_last_error_message = _declare("swkas_last_error_message", _c)
swkas_open_mmap = _declare("swkas_open_mmap", _int, _store_p, _c, _int)
swkas_open_buffer = _declare("swkas_open_buffer", _int, _store_p, _vp, _size, _int)
swkas_open_writer = _declare("swkas_open_writer", _int, _store_p, _int)
swkas_encode = _declare("swkas_encode", _int, _store_p, ctypes.POINTER(_vp), ctypes.POINTER(_size))
swkas_item = _declare(
    "swkas_item", _int, _store_p, _size, ctypes.POINTER(_vp), ctypes.POINTER(_size), ctypes.POINTER(_int),
    ctypes.POINTER(_size))
swkas_get_at = _declare(
    "swkas_get_at", _int, _store_p, _size, ctypes.POINTER(_vp), ctypes.POINTER(_size), ctypes.POINTER(_int))
swkas_type_size = _declare("swkas_type_size", _int, _int)
swkas_discard = _declare("swkas_discard", _int, _store_p)
swkas_put_many = _declare(
    "swkas_put_many", _int, _store_p, _size, ctypes.POINTER(_c), ctypes.POINTER(_size), ctypes.POINTER(_vp),
    ctypes.POINTER(_size), ctypes.POINTER(_int), _int, ctypes.POINTER(_size))
swkas_set_durable = _declare("swkas_set_durable", _int, _store_p, _int)
swkas_cparams_init = _declare("swkas_cparams_init", None, ctypes.POINTER(swkas_cparams_t))
swkas_chunk_compress_bound = _declare("swkas_chunk_compress_bound", _size, _size)
swkas_chunk_compress = _declare(
    "swkas_chunk_compress", _int, ctypes.POINTER(swkas_cparams_t), _vp, _size, _vp, _size, ctypes.POINTER(_size))
swkas_chunk_decompress = _declare(
    "swkas_chunk_decompress", _int, _vp, _size, _vp, _size, _int, ctypes.POINTER(_size))
swkas_chunk_getitems = _declare(
    "swkas_chunk_getitems", _int, _vp, _size, _size, _size, _vp, _size, _int, ctypes.POINTER(_size))
swkas_chunk_info = _declare("swkas_chunk_info", _int, _vp, _size, ctypes.POINTER(swkas_chunk_info_t))
swkas_store_size = _declare("swkas_store_size", _int, _vp, _size, ctypes.POINTER(_size))

_params_p = ctypes.POINTER(swkas_array_params_t)
_array = _vp  # swkas_array_t *, opaque
_array_out = ctypes.POINTER(_vp)
_i64_p = ctypes.POINTER(ctypes.c_int64)
swkas_array_params_init = _declare("swkas_array_params_init", None, _params_p)
swkas_array_empty = _declare("swkas_array_empty", _int, _params_p, _c, _int, _array_out)
swkas_array_zeros = _declare("swkas_array_zeros", _int, _params_p, _c, _int, _array_out)
swkas_array_full = _declare("swkas_array_full", _int, _params_p, _c, _int, _vp, _array_out)
swkas_array_from_buffer = _declare("swkas_array_from_buffer", _int, _params_p, _c, _int, _vp, _size, _array_out)
swkas_array_open = _declare("swkas_array_open", _int, _c, _int, _array_out)
swkas_array_from_cframe = _declare("swkas_array_from_cframe", _int, _vp, _size, _array_out)
swkas_array_to_cframe = _declare("swkas_array_to_cframe", _int, _array, _vp, _size, ctypes.POINTER(_size))
swkas_array_copy = _declare("swkas_array_copy", _int, _array, _params_p, _c, _int, _array_out)
swkas_array_set_nthreads = _declare("swkas_array_set_nthreads", _int, _array, _int)
swkas_array_free = _declare("swkas_array_free", None, _array)
swkas_array_remove = _declare("swkas_array_remove", _int, _c)
swkas_array_get_params = _declare("swkas_array_get_params", _int, _array, _params_p)
swkas_array_get_stats = _declare("swkas_array_get_stats", _int, _array, ctypes.POINTER(swkas_array_stats_t))
swkas_array_info = _declare("swkas_array_info", _int, _array, _vp, _size, ctypes.POINTER(_size))
swkas_array_get_slice = _declare("swkas_array_get_slice", _int, _array, _i64_p, _i64_p, _i64_p, _vp, _size)
swkas_array_set_slice = _declare("swkas_array_set_slice", _int, _array, _i64_p, _i64_p, _i64_p, _vp, _size)
swkas_array_resize = _declare("swkas_array_resize", _int, _array, _i64_p)
swkas_array_meta_count = _declare("swkas_array_meta_count", _int, _array, ctypes.POINTER(_size))
swkas_array_meta_name = _declare("swkas_array_meta_name", _int, _array, _size, ctypes.POINTER(_c))
swkas_array_meta_get = _declare("swkas_array_meta_get", _int, _array, _c, ctypes.POINTER(_vp), ctypes.POINTER(_size))
swkas_array_meta_set = _declare("swkas_array_meta_set", _int, _array, _c, _vp, _size)
swkas_array_vlmeta_count = _declare("swkas_array_vlmeta_count", _int, _array, ctypes.POINTER(_size))
swkas_array_vlmeta_name = _declare("swkas_array_vlmeta_name", _int, _array, _size, ctypes.POINTER(_c))
swkas_array_vlmeta_get = _declare(
    "swkas_array_vlmeta_get", _int, _array, _c, ctypes.POINTER(_vp), ctypes.POINTER(_size))
swkas_array_vlmeta_set = _declare("swkas_array_vlmeta_set", _int, _array, _c, _vp, _size)
swkas_array_vlmeta_delete = _declare("swkas_array_vlmeta_delete", _int, _array, _c)

free = libc.free
free.restype = None
free.argtypes = [_vp]
fdopen = libc.fdopen
fdopen.restype = _vp
fdopen.argtypes = [_int, _c]
fclose = libc.fclose
fclose.restype = _int
fclose.argtypes = [_vp]
fflush = libc.fflush
fflush.restype = _int
fflush.argtypes = [_vp]
setvbuf = libc.setvbuf
setvbuf.restype = _int
setvbuf.argtypes = [_vp, _vp, _int, _size]
_IONBF = 2


def strerror(code: int) -> str:
    """The library's message for an error code."""
    return swkas_strerror(code).decode("utf-8", "replace")


def last_error_message() -> str:
    """The library's detailed message for this thread's last failed call."""
    return swkas_last_error_message().decode("utf-8", "replace")
