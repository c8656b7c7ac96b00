"""The kastore API (load, loads, dump, dumps, Store) over libswkas.

Every byte is parsed and written by the library: paths are memory-mapped
(swkas_open_mmap, zero-copy read-only arrays); descriptors and seekable file
objects are read through a stdio stream on a dup'ed descriptor; anything
else (BytesIO, buffered pipes and sockets) is framed with swkas_store_size and
handed to the library's in-memory reader.
"""
from __future__ import annotations

import collections
import collections.abc
import ctypes
import io
import os
import stat
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np

from . import _abi
from .exceptions import FileFormatError, StoreClosedError, VersionTooNewError, VersionTooOldError

PY_ENGINE = "python"
C_ENGINE = "c"
DEFAULT_KEY_ENCODING = "utf-8"

FileLike = Union[str, bytes, os.PathLike, int, Any]


class ValueInfo(NamedTuple):
    """What a store says about an array without reading it."""

    dtype: str
    shape: Tuple[int]
    size: int


def _check_engine(engine: Any) -> None:
    if not isinstance(engine, str) or engine not in (PY_ENGINE, C_ENGINE):
        raise ValueError("unknown engine")


def _raise_for(code: int, filename: Any = None) -> None:
    """Raises the exception the reference raises for a library error code."""
    if code == _abi.KAS_ERR_IO:
        error = ctypes.get_errno()
        if filename is not None:
            raise OSError(error, os.strerror(error), filename)
        raise OSError(error, os.strerror(error))
    if code == _abi.KAS_ERR_EOF:
        raise EOFError("End of file")
    if code == _abi.KAS_ERR_VERSION_TOO_OLD:
        raise VersionTooOldError()
    if code == _abi.KAS_ERR_VERSION_TOO_NEW:
        raise VersionTooNewError()
    if code == _abi.KAS_ERR_BAD_TYPE:
        raise FileFormatError("Unknown type")
    if code in (_abi.KAS_ERR_BAD_FILE_FORMAT, _abi.SWKAS_ERR_TRUNCATED):
        raise FileFormatError(_abi.strerror(code))
    if code == _abi.KAS_ERR_NO_MEMORY:
        raise MemoryError(_abi.strerror(code))
    raise ValueError("Error occured: %d: %s" % (code, _abi.strerror(code)))


class _Handle:
    """Owns one open kastore_t (and the stream or bytes it reads from)."""

    def __init__(self) -> None:
        self.store = _abi.kastore_t()
        self.is_open = False
        self.stream: Optional[int] = None  # a FILE* we opened on a dup'ed descriptor
        self.keepalive: Any = None  # bytes a memory reader borrows

    @property
    def ref(self):
        return ctypes.byref(self.store)

    def close(self) -> int:
        status = 0
        if self.is_open:
            self.is_open = False
            status = _abi.kastore_close(self.ref)
        if self.stream:
            stream, self.stream = self.stream, None
            _abi.fclose(stream)
        self.keepalive = None
        return status

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


class _Malloced:
    """A buffer the library handed over (KAS_GET_TAKES_OWNERSHIP); freed with its arrays."""

    def __init__(self, address: int) -> None:
        self.address = address

    def __del__(self) -> None:
        _abi.free(self.address)


def _wrap(address: int, count: int, dtype: np.dtype, owner: Any) -> np.ndarray:
    """A read-only numpy view of library memory that keeps `owner` alive."""
    buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(address)
    buffer._owner = owner  # the memory lives as long as any view of it
    # A read-only buffer: the flag cannot be turned back on (a mapping is
    # read-only, and loads() must never change the caller's bytes).
    return np.frombuffer(memoryview(buffer).toreadonly(), dtype=dtype, count=count)


# kaitem_t as numpy sees it (spec §3.3): the items table is read in one go.
_ITEM_DTYPE = np.dtype({
    "names": ["type", "key_len", "array_len", "key", "array", "array_start"],
    "formats": ["<i4", "<u8", "<u8", "<u8", "<u8", "<u8"],
    "offsets": [0, 8, 16, 24, 40, 56],
    "itemsize": 64,
})


class Store(collections.abc.Mapping):
    """A read-only mapping of a kastore store: keys in file order, arrays loaded
    on first access as read-only numpy arrays. A store loaded from a path is
    memory-mapped, and its arrays are views of the mapping (zero-copy); the
    mapping lives until the store is closed and its last array is gone."""

    def __init__(self, handle: _Handle, key_encoding: str, zero_copy: bool) -> None:
        self._handle: Optional[_Handle] = handle
        self._zero_copy = zero_copy
        self._cache: Dict[str, np.ndarray] = {}
        store = handle.store
        count = store.num_items
        table = np.zeros(0, dtype=_ITEM_DTYPE)
        if count:
            raw = ctypes.string_at(store.items, count * _ITEM_DTYPE.itemsize)
            table = np.frombuffer(raw, dtype=_ITEM_DTYPE)
        # Keys are packed back to back in file order: one copy, then slices.
        lengths = table["key_len"].astype(np.int64)
        ends = np.cumsum(lengths)
        key_bytes = ctypes.string_at(int(table["key"][0]), int(ends[-1])) if count else b""
        starts = (ends - lengths).tolist()
        self._keys: List[str] = [
            key_bytes[start:end].decode(key_encoding) for start, end in zip(starts, ends.tolist())]
        self._index: Dict[str, int] = {key: index for index, key in enumerate(self._keys)}
        self._types = table["type"].tolist()
        self._lengths = table["array_len"].tolist()
        # Zero-copy stores: one view of the whole store, sliced per key.
        self._view: Optional[np.ndarray] = None
        self._starts = table["array_start"].tolist()
        if zero_copy and count:
            base = int(table["array"][0]) - self._starts[0]
            self._view = _wrap(base, store.file_size, np.dtype(np.uint8), handle)

    def _check_open(self) -> _Handle:
        if self._handle is None:
            raise StoreClosedError()
        return self._handle

    def __getitem__(self, key: str) -> np.ndarray:
        handle = self._check_open()
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        index = self._index.get(key)
        if index is None:
            raise KeyError(key)
        dtype = _DTYPES[self._types[index]]
        length = self._lengths[index]
        if self._view is not None:
            start = self._starts[index]
            array = self._view[start:start + length * dtype.itemsize].view(dtype)
        else:
            address, length_out, type_code = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_int()
            status = _abi.swkas_get_at(handle.ref, index, ctypes.byref(address), ctypes.byref(length_out),
                                       ctypes.byref(type_code))
            if status != 0:
                _raise_for(status)
            array = _wrap(address.value or 0, length, dtype, _Malloced(address.value))
        self._cache[key] = array
        return array

    def __contains__(self, key: object) -> bool:
        self._check_open()
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        self._check_open()
        return iter(list(self._keys))

    def __len__(self) -> int:
        self._check_open()
        return len(self._keys)

    def info(self, key: str) -> ValueInfo:
        """The dtype, shape and byte size of an array, without reading it."""
        self._check_open()
        index = self._index.get(key)
        if index is None:
            raise KeyError(key)
        dtype = _DTYPES[self._types[index]]
        length = self._lengths[index]
        return ValueInfo(dtype=dtype.name, shape=(length,), size=length * dtype.itemsize)

    def close(self) -> None:
        """Releases what the store opened itself; never a caller's descriptor or file."""
        handle, self._handle = self._handle, None
        self._cache = {}
        self._view = None
        if handle is not None and not self._zero_copy:
            handle.close()  # arrays own their buffers: nothing else uses the handle

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "%d items" % len(self._keys)
        return "<swkas.Store %s>" % state


def _as_path(file: Any) -> Optional[bytes]:
    try:
        return os.fsencode(os.fspath(file))
    except TypeError:
        return None


def _fileno(file: Any) -> Optional[int]:
    """The descriptor behind a file object, or None (BytesIO and the like)."""
    try:
        return int(file.fileno())
    except (AttributeError, io.UnsupportedOperation, OSError, ValueError):
        return None


def _seekable(file: Any) -> bool:
    try:
        return bool(file.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _stream(fd: int, mode: bytes) -> int:
    """An unbuffered-on-read stdio stream over a duplicate of `fd`."""
    duplicate = os.dup(fd)
    stream = _abi.fdopen(duplicate, mode)
    if not stream:
        error = ctypes.get_errno()
        os.close(duplicate)
        raise OSError(error, os.strerror(error))
    if mode == b"rb":
        _abi.setvbuf(stream, None, _abi._IONBF, 0)  # never read past the store
    return stream


def _open_fd(fd: int, read_all: bool, key_encoding: str) -> Store:
    handle = _Handle()
    handle.stream = _stream(fd, b"rb")
    flags = _abi.KAS_GET_TAKES_OWNERSHIP | (_abi.KAS_READ_ALL if read_all else 0)
    status = _abi.kastore_openf(handle.ref, handle.stream, b"r", flags)
    if status != 0:
        handle.close()
        _raise_for(status)
    handle.is_open = True
    return Store(handle, key_encoding, zero_copy=False)


def _read_exactly(file: Any, count: int) -> bytes:
    """Up to `count` bytes from the object's read(), in bounded pieces (a
    header may claim far more than the stream holds)."""
    chunks = []
    while count > 0:
        chunk = file.read(min(count, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def _open_bytes(data: bytes, key_encoding: str) -> Store:
    handle = _Handle()
    handle.keepalive = data
    status = _abi.swkas_open_buffer(handle.ref, ctypes.c_char_p(data), len(data), 0)
    if status != 0:
        handle.close()
        _raise_for(status)
    handle.is_open = True
    return Store(handle, key_encoding, zero_copy=True)


def _read_framed(file: Any) -> Tuple[bytes, int]:
    """Reads one store through the object's own read(), framed by its header:
    the bytes (fewer when the stream ends early) and the size the header declares."""
    header = _read_exactly(file, 64)
    size = ctypes.c_size_t()
    status = _abi.swkas_store_size(header, len(header), ctypes.byref(size))
    if status != 0:
        _raise_for(status)
    return header + _read_exactly(file, size.value - len(header)), size.value


def _open_truncated(data: bytes, key_encoding: str) -> Store:
    """A lazy store over bytes that end before the store does: it opens, and
    only the arrays past the end fail, as kastore's lazy reader behaves. The
    library reads them from an anonymous in-memory file."""
    fd = os.memfd_create("swkas-truncated-store")
    try:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
        return _open_fd(fd, False, key_encoding)
    finally:
        os.close(fd)


def _open_path(path: bytes, read_all: bool, key_encoding: str) -> Store:
    """Memory-maps a complete regular file; FIFOs, devices and truncated
    files are read as streams instead, with kastore's semantics."""
    regular = False
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        pass
    # Only regular files are mapped: opening a FIFO twice would lose what a
    # writer sent to the first open, and block the second one.
    if regular:
        handle = _Handle()
        status = _abi.swkas_open_mmap(handle.ref, path, _abi.KAS_READ_ALL if read_all else 0)
        if status == 0:
            handle.is_open = True
            return Store(handle, key_encoding, zero_copy=True)
        if status != _abi.SWKAS_ERR_TRUNCATED:  # a truncated file is read as a stream, as kastore does
            _raise_for(status, os.fsdecode(path))
    elif not os.path.exists(path):
        _raise_for(_abi.swkas_open_mmap(_Handle().ref, path, 0), os.fsdecode(path))
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as error:
        raise OSError(error.errno, error.strerror, os.fsdecode(path)) from None
    try:
        return _open_fd(fd, read_all, key_encoding)
    finally:
        os.close(fd)


def _open(file: FileLike, read_all: bool, key_encoding: str) -> Store:
    path = _as_path(file)
    if path is not None:
        return _open_path(path, read_all, key_encoding)
    if isinstance(file, int):
        if file < 0:
            raise ValueError("negative file descriptor")
        return _open_fd(file, read_all, key_encoding)
    if not hasattr(file, "write"):
        raise TypeError("file must be a path, a file descriptor or a file object with a write attribute")
    # File objects are read through their own read(): their buffering stays
    # consistent, and they end exactly at the end of the store.
    data, declared = _read_framed(file)
    if len(data) < declared:
        if read_all:
            raise FileFormatError("File not in KAS format")
        return _open_truncated(data, key_encoding)
    return _open_bytes(data, key_encoding)


def load(file: FileLike, read_all: bool = False, key_encoding: str = DEFAULT_KEY_ENCODING,
         engine: str = PY_ENGINE) -> Union[Store, Dict[str, np.ndarray]]:
    """Loads a store from a path, a file descriptor or a file object.

    With engine="python" (the default) returns a lazy read-only Store; with
    engine="c", a dict of writable copies. read_all reads everything at once
    (needed for pipes and sockets; several stores can be read back to back).
    """
    _check_engine(engine)
    if engine == C_ENGINE:
        key_encoding = DEFAULT_KEY_ENCODING  # kastore's C engine always decodes UTF-8
    store = _open(file, read_all, key_encoding)
    if engine == C_ENGINE:
        try:
            return {key: np.array(store[key]) for key in store}
        finally:
            store.close()
    return store


def loads(data: Union[bytes, bytearray, memoryview], key_encoding: str = DEFAULT_KEY_ENCODING) -> Store:
    """Loads a store from bytes (zero-copy: arrays are views of `data`)."""
    if not isinstance(data, bytes):
        data = bytes(data)
    return _open_bytes(data, key_encoding)


#: kastore type code by (numpy kind, itemsize): np.longlong and friends map by size.
_TYPE_CODES = {(np.dtype(name).kind, np.dtype(name).itemsize): code for code, name in enumerate(_abi.TYPE_NAMES)}
_DTYPES = [np.dtype(name) for name in _abi.TYPE_NAMES]


def _type_code(dtype: np.dtype, engine: str) -> int:
    code = _TYPE_CODES.get((dtype.kind, dtype.itemsize))
    if code is not None:
        return code
    if engine == C_ENGINE:
        raise ValueError("Unsupported dtype.")
    raise KeyError(str(dtype))


def _put_all(handle: _Handle, data: Mapping, key_encoding: str, engine: str) -> List[np.ndarray]:
    """Validates and adds every item (borrowed, zero-copy); returns the arrays
    that must stay alive until the store is written."""
    if not isinstance(data, collections.abc.Mapping):
        raise TypeError("data must be a mapping of str keys to 1-D arrays")
    if engine == C_ENGINE:
        if not isinstance(data, dict):
            raise TypeError("data must be a dict")
        key_encoding = DEFAULT_KEY_ENCODING  # kastore's C engine always encodes UTF-8
    raw_keys, arrays, codes = [], [], []
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError("Keys must be unicode.")
        raw = key.encode(key_encoding)
        if not raw:
            raise ValueError("Empty keys not supported")
        array = np.asarray(value)
        if array.ndim != 1:
            raise ValueError("Only 1-D arrays are supported: %r has shape %s" % (key, array.shape))
        codes.append(_type_code(array.dtype, engine))
        if array.dtype.byteorder == ">" or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        raw_keys.append(raw)
        arrays.append(array)
    count = len(arrays)
    if count == 0:
        return arrays
    # One call adds everything (borrowed: the arrays stay alive until close).
    failed = ctypes.c_size_t()
    status = _abi.swkas_put_many(
        handle.ref, count, (ctypes.c_char_p * count)(*raw_keys), (ctypes.c_size_t * count)(*map(len, raw_keys)),
        (ctypes.c_void_p * count)(*[array.__array_interface__["data"][0] for array in arrays]),
        (ctypes.c_size_t * count)(*[array.size for array in arrays]), (ctypes.c_int * count)(*codes),
        _abi.KAS_BORROWS_ARRAY, ctypes.byref(failed))
    if status == _abi.KAS_ERR_DUPLICATE_KEY:
        raise ValueError("Duplicate key %r after encoding with %r" % (raw_keys[failed.value], key_encoding))
    if status != 0:
        _raise_for(status)
    return arrays


def _write_all(handle: _Handle, data: Mapping, key_encoding: str, engine: str, filename: Any = None) -> None:
    """Adds every item to an open writer and closes it, which writes the
    store; invalid data discards the writer, so nothing is written."""
    try:
        arrays = _put_all(handle, data, key_encoding, engine)
    except BaseException:
        handle.is_open = False
        _abi.swkas_discard(handle.ref)
        raise
    handle.is_open = False
    status = _abi.kastore_close(handle.ref)  # reads the borrowed arrays
    del arrays
    if status != 0:
        _raise_for(status, filename)


def _dump_fd(data: Mapping, fd: int, key_encoding: str, engine: str) -> None:
    handle = _Handle()
    handle.stream = _stream(fd, b"wb")
    try:
        status = _abi.kastore_openf(handle.ref, handle.stream, b"w", 0)
        if status != 0:
            _raise_for(status)
        handle.is_open = True
        _write_all(handle, data, key_encoding, engine)
        if _abi.fflush(handle.stream) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error))
    finally:
        handle.close()


def dump(data: Mapping, file: FileLike, key_encoding: str = DEFAULT_KEY_ENCODING,
         engine: str = PY_ENGINE) -> None:
    """Writes `data` (str keys, 1-D numeric arrays) as a store. A path is
    replaced atomically, and only if all of `data` is valid; descriptors and
    file objects are written at their current position."""
    _check_engine(engine)
    path = _as_path(file)
    if path is not None:
        handle = _Handle()
        status = _abi.kastore_open(handle.ref, path, b"w", 0)
        if status != 0:
            _raise_for(status, os.fsdecode(path))
        handle.is_open = True
        _write_all(handle, data, key_encoding, engine, os.fsdecode(path))
        return
    if isinstance(file, int):
        if file < 0:
            raise ValueError("negative file descriptor")
        _dump_fd(data, file, key_encoding, engine)
        return
    if not hasattr(file, "write"):
        raise TypeError("file must be a path, a file descriptor or a file object with a write attribute")
    fd = _fileno(file)
    if fd is None:
        file.write(dumps(data, key_encoding=key_encoding, engine=engine))
        return
    file.flush()
    if _seekable(file):
        file.seek(file.tell())
    _dump_fd(data, fd, key_encoding, engine)


def dumps(data: Mapping, key_encoding: str = DEFAULT_KEY_ENCODING, engine: str = PY_ENGINE) -> bytes:
    """The store's bytes."""
    _check_engine(engine)
    handle = _Handle()
    status = _abi.swkas_open_writer(handle.ref, 0)
    if status != 0:
        _raise_for(status)
    handle.is_open = True
    try:
        arrays = _put_all(handle, data, key_encoding, engine)
        address, size = ctypes.c_void_p(), ctypes.c_size_t()
        status = _abi.swkas_encode(handle.ref, ctypes.byref(address), ctypes.byref(size))
        if status != 0:
            _raise_for(status)
        try:
            return ctypes.string_at(address, size.value)
        finally:
            _abi.free(address)
            del arrays
    finally:
        handle.close()


def get_include() -> str:
    """The directory holding kastore.h and swkas.h for this installation."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "include")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(os.path.dirname(here)), "include")
