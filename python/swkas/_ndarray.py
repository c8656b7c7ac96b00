"""N-d arrays: chunked, compressed and persistent, stored as Blosc2 contiguous
frames with the "b2nd" metalayer (python-blosc2's .b2nd files).

The API mirrors python-caterva 0.7.3 (names, keywords, `meta`, `info`) and adds
NumPy integration: every array has a dtype, `arr[key]` returns a NumPy array
(steps, negative steps, negative indices, Ellipsis), `arr[key] = value`
broadcasts and casts like NumPy, and `vlmeta` stores msgpack values as
python-blosc2 does. python-blosc2 and python-caterva files (caterva's sparse
directories included) open too. Every byte is read and written by libswkas.
"""
from __future__ import annotations

import ast
import collections.abc
import contextlib
import ctypes
import enum
import errno
import html
import math
import operator
import os
import struct
import threading
import warnings
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import msgpack
import numpy as np

from . import _abi
from ._blosc2 import Codec, Filter, _address, _bytes_view
from .exceptions import ArrayFormatError, NotAnArrayError

PathLike = Union[str, bytes, "os.PathLike[Any]"]

_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1
_CREATE_KEYWORDS = frozenset({
    "chunks", "blocks", "urlpath", "contiguous", "mode", "codec", "clevel", "filters", "filtersmeta", "nthreads",
    "usedict", "meta", "durable"})


# --------------------------------------------------------------------------------------------------------------------
# Errors

_ERRORS = {
    _abi.KAS_ERR_NO_MEMORY: MemoryError,
    _abi.KAS_ERR_KEY_NOT_FOUND: KeyError,
    _abi.SWKAS_ERR_INDEX_OUT_OF_RANGE: IndexError,
    _abi.SWKAS_ERR_TRUNCATED: ArrayFormatError,
    _abi.SWKAS_ERR_BAD_CHUNK: ArrayFormatError,
    _abi.SWKAS_ERR_BAD_FRAME: ArrayFormatError,
    _abi.SWKAS_ERR_NOT_AN_ARRAY: NotAnArrayError,
    _abi.SWKAS_ERR_UNSUPPORTED: NotImplementedError,
}


def _check(code: int, path: Optional[bytes] = None) -> None:
    """Raises the Python exception for a library error code (no-op for success)."""
    if code >= 0:
        return
    filename = () if path is None else (os.fsdecode(path),)
    if code == _abi.KAS_ERR_IO:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), *filename) if number else OSError(_abi.strerror(code))
    if code == _abi.SWKAS_ERR_EXISTS:
        raise FileExistsError(errno.EEXIST, _abi.strerror(code), *filename)
    if code == _abi.KAS_ERR_ILLEGAL_OPERATION:
        raise ValueError("the array is read-only (opened with mode='r', or a caterva sparse directory)")
    raise _ERRORS.get(code, ValueError)(_abi.last_error_message() or _abi.strerror(code))


# --------------------------------------------------------------------------------------------------------------------
# Argument conversion

def _integers(values: Sequence[Any], name: str, low: int, high: int) -> List[int]:
    """Python ints from a sequence of integers, each in [low, high] (ctypes would wrap silently)."""
    result = []
    for value in values:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError("%s must be integers, not booleans" % name)
        number = operator.index(value)
        if not low <= number <= high:
            raise ValueError("%s must be in [%d, %d], got %d" % (name, low, high, number))
        result.append(number)
    return result


def _shape(shape: Any, name: str = "shape") -> Tuple[int, ...]:
    """A shape as a tuple of non-negative ints (an int is a 1-d shape)."""
    dims = _integers((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape), name, 0, _INT64_MAX)
    return tuple(dims)


def _path(urlpath: PathLike) -> bytes:
    return os.fsencode(os.fspath(urlpath))


def _name(name: Union[str, bytes]) -> bytes:
    """A metalayer name as the NUL-free UTF-8 bytes the C API takes (it keeps names as text)."""
    try:
        encoded = name.encode("utf-8") if isinstance(name, str) else name.decode("utf-8").encode("utf-8")
    except AttributeError:
        raise TypeError("names must be str or bytes, not %s" % type(name).__name__) from None
    except UnicodeError:
        raise ValueError("names must be valid UTF-8: %r" % (name,)) from None
    if b"\0" in encoded:
        raise ValueError("names cannot contain NUL characters")
    return encoded


def _enum_value(value: Any) -> int:
    """The integer of a swkas, python-blosc2 or python-caterva enum member (or a plain int)."""
    return value.value if isinstance(value, enum.Enum) else value


def _right_aligned(values: Sequence[Any], name: str, low: int) -> List[int]:
    """python-caterva's filter slots: the list fills the last len(values) of the 6 slots."""
    numbers = _integers([_enum_value(v) for v in values], name, low, 255)
    if len(numbers) > _abi.SWKAS_MAX_FILTERS:
        raise ValueError("%s takes at most %d values" % (name, _abi.SWKAS_MAX_FILTERS))
    return [0] * (_abi.SWKAS_MAX_FILTERS - len(numbers)) + [n & 0xFF for n in numbers]


def _known(kind: Callable[[int], Any], value: int) -> Any:
    """An enum member for a value from a file, or the bare int when the enum has no such member."""
    try:
        return kind(value)
    except ValueError:
        return value


def _user_dtype(itemsize: Optional[int], dtype: Any) -> np.dtype:
    """The dtype of a new array: `dtype`, or caterva's fixed-size bytes `|S{itemsize}`."""
    if dtype is None:
        if itemsize is None:
            raise TypeError("itemsize or dtype is required")
        return np.dtype("S%d" % _integers([itemsize], "itemsize", 1, _INT32_MAX)[0])
    result = np.dtype(dtype)
    if result.hasobject or result.subdtype is not None or result.itemsize == 0:
        raise TypeError("dtype %s cannot be stored: items must be fixed-size plain data" % result)
    if itemsize is not None and operator.index(itemsize) != result.itemsize:
        raise ValueError("itemsize %d does not match dtype %s (%d bytes)" % (itemsize, result, result.itemsize))
    return result


def _dtype_text(dtype: np.dtype) -> bytes:
    """The b2nd metalayer's dtype string: dtype.str, or repr(descr) for structured dtypes."""
    return (dtype.str if dtype.fields is None else repr(dtype.descr)).encode("utf-8")


def _file_dtype(text: Optional[bytes], itemsize: int) -> np.dtype:
    """The dtype a file declares, or `|S{itemsize}` when it declares none (caterva) or one we cannot use."""
    if text is not None:
        spelled = text.decode("utf-8", "replace")
        try:
            parsed = np.dtype(ast.literal_eval(spelled) if spelled.startswith("[") else spelled)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if parsed is not None and not parsed.hasobject and parsed.subdtype is None and parsed.itemsize == itemsize:
            return parsed
        warnings.warn("dtype %r does not describe the array's %d-byte items; reading them as bytes"
                      % (spelled[:80], itemsize), RuntimeWarning, stacklevel=3)
    return np.dtype("S%d" % itemsize)


def _fill(target: np.ndarray, value: Any) -> None:
    """Writes value into target: bytes-like values of exactly target.nbytes bytes are raw C-order items
    (python-caterva's convention); anything else is broadcast and cast with NumPy's same_kind rule."""
    if isinstance(value, (bytes, bytearray, memoryview)) and memoryview(value).nbytes == target.nbytes:
        target[...] = np.frombuffer(value, dtype=target.dtype).reshape(target.shape)
    else:
        np.copyto(target, value, casting="same_kind")


# --------------------------------------------------------------------------------------------------------------------
# Indexing

class _Selection(NamedTuple):
    """A key resolved against a shape: what the C API reads, and how to present it."""

    start: List[int]
    stop: List[int]
    step: List[int]
    counts: Tuple[int, ...]  # items per dimension, 1 for integer indices
    shape: Tuple[int, ...]  # the result's shape (integer indices dropped)
    flips: Tuple[int, ...]  # result axes read in reverse (negative steps)
    scalar: bool  # every dimension had an integer index (numpy returns a scalar)


_BAD_INDEX = "only integers, slices (`:`) and ellipsis (`...`) are valid indices"


def _select(key: Any, shape: Tuple[int, ...]) -> _Selection:
    items = key if isinstance(key, tuple) else (key,)
    ellipses = [i for i, item in enumerate(items) if item is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    given = len(items) - len(ellipses)
    if given > len(shape):
        raise IndexError("too many indices for array: array is %d-dimensional, but %d were indexed"
                         % (len(shape), given))
    if ellipses:
        at = ellipses[0]
        items = items[:at] + (slice(None),) * (len(shape) - given) + items[at + 1:]
    items = items + (slice(None),) * (len(shape) - len(items))
    start, stop, step, counts, result, flips = [], [], [], [], [], []
    for axis, (item, size) in enumerate(zip(items, shape)):
        if isinstance(item, slice):
            first, end, stride = item.indices(size)
            count = len(range(first, end, stride))
            if count == 0:
                first, last, stride = 0, -1, 1
            else:
                last = first + (count - 1) * stride
                if stride < 0:
                    first, last, stride = last, first, -stride
                    flips.append(len(result))
            start.append(first)
            stop.append(last + 1)
            step.append(stride)
            counts.append(count)
            result.append(count)
        else:
            if isinstance(item, (bool, np.bool_)):
                raise IndexError(_BAD_INDEX)
            try:
                index = operator.index(item)
            except TypeError:
                raise IndexError(_BAD_INDEX) from None
            if not -size <= index < size:
                raise IndexError("index %d is out of bounds for axis %d with size %d" % (index, axis, size))
            index %= size
            start.append(index)
            stop.append(index + 1)
            step.append(1)
            counts.append(1)
    return _Selection(start, stop, step, tuple(counts), tuple(result), tuple(flips),
                      not ellipses and not result)


def _oriented(buffer: np.ndarray, selection: _Selection) -> np.ndarray:
    """The read/write buffer (positive steps, C order) as the key presents it: a view."""
    view = buffer.reshape(selection.shape)
    if selection.flips:
        view = view[tuple(slice(None, None, -1) if axis in selection.flips else slice(None)
                          for axis in range(view.ndim))]
    return view


def _vector(values: Sequence[int]) -> Optional[ctypes.Array]:
    return (ctypes.c_int64 * len(values))(*values) if values else None


# --------------------------------------------------------------------------------------------------------------------
# vlmeta values: msgpack with python-blosc2's conventions

_EXT_COMPLEX = 44
_EXT_SET = 45
_EXT_NDARRAY = 46
_TUPLE_MARK = "__tuple__"


def _encode_extra(value: Any) -> Any:
    """msgpack's default hook: the types python-blosc2 stores beyond plain msgpack."""
    if isinstance(value, tuple):
        return [_TUPLE_MARK, *value]
    if isinstance(value, (np.bool_, np.integer, np.floating, np.bytes_, np.str_)):
        return value.item()
    if isinstance(value, (complex, np.complexfloating)):
        return msgpack.ExtType(_EXT_COMPLEX, struct.pack(">dd", value.real, value.imag))
    if isinstance(value, (set, frozenset)):
        return msgpack.ExtType(_EXT_SET, _pack(list(value)))
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        dtype = {"str": value.dtype.str} if value.dtype.fields is None else {"descr": value.dtype.descr}
        return msgpack.ExtType(_EXT_NDARRAY, _pack({"dtype": dtype, "shape": list(value.shape),
                                                    "data": value.tobytes()}))
    raise TypeError("cannot store a %s in vlmeta" % type(value).__name__)


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, default=_encode_extra, strict_types=True, use_bin_type=True)


def _list_hook(items: List[Any]) -> Any:
    return tuple(items[1:]) if items and isinstance(items[0], str) and items[0] == _TUPLE_MARK else items


def _descr(fields: Any) -> Any:
    """A structured dtype's descr after a msgpack round trip (tuples came back as lists)."""
    if isinstance(fields, (list, tuple)):
        return [tuple(_descr(part) if isinstance(part, (list, tuple)) else part for part in field)
                for field in fields]
    return fields


def _decode_ndarray(data: bytes) -> np.ndarray:
    payload = _unpack(data)
    spec = payload["dtype"]
    dtype = np.dtype(spec["str"] if "str" in spec else _descr(spec["descr"]))
    shape = tuple(_integers(payload["shape"], "shape", 0, _INT64_MAX))
    if dtype.hasobject or len(payload["data"]) != math.prod(shape) * dtype.itemsize:
        raise ValueError("malformed array value")
    return np.frombuffer(payload["data"], dtype=dtype).reshape(shape)


def _decode_extra(code: int, data: bytes) -> Any:
    """msgpack's ext hook: python-blosc2's passive extension types; others stay ExtType."""
    try:
        if code == _EXT_COMPLEX:
            return complex(*struct.unpack(">dd", data))
        if code == _EXT_SET:
            return set(_unpack(data))
        if code == _EXT_NDARRAY:
            return _decode_ndarray(data)
    except (ValueError, TypeError, KeyError, struct.error, msgpack.UnpackException) as error:
        raise ValueError("malformed vlmeta extension value (code %d): %s" % (code, error)) from None
    return msgpack.ExtType(code, data)


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, list_hook=_list_hook, ext_hook=_decode_extra, raw=False, strict_map_key=False)


# --------------------------------------------------------------------------------------------------------------------
# The handle and its lock

class _SharedLock:
    """Many readers or one writer, writers first. The library lets any number of threads read one handle,
    but a modifying call invalidates borrowed pointers and close() frees the handle: those wait for readers."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._readers = 0
        self._writers = 0  # waiting or writing
        self._writing = False

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._writers += 1
            try:
                self._condition.wait_for(lambda: not self._writing and not self._readers)
            except BaseException:  # interrupted while waiting: let the readers go on
                self._writers -= 1
                self._condition.notify_all()
                raise
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._writers -= 1
                self._condition.notify_all()


class _Geometry(NamedTuple):
    """What swkas_array_get_params says, converted once per open or resize."""

    shape: Tuple[int, ...]
    chunks: Tuple[int, ...]
    blocks: Tuple[int, ...]
    dtype: np.dtype
    codec: Any
    clevel: int
    filters: List[Any]
    filtersmeta: List[int]
    nthreads: int


def _read_params(handle: int) -> _abi.swkas_array_params_t:
    params = _abi.swkas_array_params_t()
    _check(_abi.swkas_array_get_params(handle, ctypes.byref(params)))
    return params


def _geometry(handle: int) -> _Geometry:
    params = _read_params(handle)
    ndim = params.ndim
    if not 0 <= ndim <= _abi.SWKAS_MAX_DIM:
        raise ArrayFormatError("the library reported %d dimensions" % ndim)
    cparams = params.cparams
    return _Geometry(
        tuple(params.shape[:ndim]), tuple(params.chunks[:ndim]), tuple(params.blocks[:ndim]),
        _file_dtype(params.dtype, params.itemsize), _known(Codec, cparams.codec), cparams.clevel,
        [_known(Filter, f) for f in cparams.filters], list(cparams.filters_meta), cparams.nthreads)


def _sized_output(function: Callable[..., int], handle: int) -> Tuple[ctypes.Array, int]:
    """Calls function(handle, buffer, size, &needed) twice: for the size (SWKAS_ERR_BUFFER_TOO_SMALL),
    then into a buffer of that size."""
    size = ctypes.c_size_t()
    code = function(handle, None, 0, ctypes.byref(size))
    if code != _abi.SWKAS_ERR_BUFFER_TOO_SMALL:
        _check(code)
    buffer = ctypes.create_string_buffer(size.value)
    _check(function(handle, buffer, size.value, ctypes.byref(size)))
    return buffer, size.value


def _names(handle: int, count_function: Callable[..., int], name_function: Callable[..., int]) -> List[str]:
    count = ctypes.c_size_t()
    _check(count_function(handle, ctypes.byref(count)))
    names = []
    for index in range(count.value):
        name = ctypes.c_char_p()
        _check(name_function(handle, index, ctypes.byref(name)))
        names.append((name.value or b"").decode("utf-8", "replace"))
    return names


def _value(handle: int, function: Callable[..., int], name: bytes) -> bytes:
    address = ctypes.c_void_p()
    size = ctypes.c_size_t()
    code = function(handle, name, ctypes.byref(address), ctypes.byref(size))
    if code == _abi.KAS_ERR_KEY_NOT_FOUND:
        raise KeyError(name.decode("utf-8"))
    _check(code)
    return ctypes.string_at(address.value, size.value) if size.value else b""


# --------------------------------------------------------------------------------------------------------------------
# Metalayers

class _Layers:
    """What Meta and VLMeta share: the array, and names and counts through a pair of C functions."""

    _count: Callable[..., int]
    _name_of: Callable[..., int]

    def __init__(self, array: "NDArray") -> None:
        self._array = array

    def __iter__(self) -> Iterator[str]:
        with self._array._reading() as handle:
            return iter(_names(handle, self._count, self._name_of))

    def __len__(self) -> int:
        count = ctypes.c_size_t()
        with self._array._reading() as handle:
            _check(self._count(handle, ctypes.byref(count)))
        return count.value

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, dict(self))


class Meta(_Layers, collections.abc.Mapping):
    """The fixed-size metalayers (python-caterva's `meta`): name -> bytes, "b2nd" or "caterva" first.
    A value can be replaced by one of the same length only."""

    _count = staticmethod(_abi.swkas_array_meta_count)
    _name_of = staticmethod(_abi.swkas_array_meta_name)

    def __getitem__(self, name: Union[str, bytes]) -> bytes:
        key = _name(name)
        with self._array._reading() as handle:
            return _value(handle, _abi.swkas_array_meta_get, key)

    def __setitem__(self, name: Union[str, bytes], value: Any) -> None:
        key = _name(name)
        data = _bytes_view(value)
        with self._array._writing() as handle:
            code = _abi.swkas_array_meta_set(handle, key, _address(data), data.size)
            if code == _abi.KAS_ERR_KEY_NOT_FOUND:
                raise KeyError("no metalayer %r (metalayers are added at creation only)" % name)
            if code == _abi.SWKAS_ERR_INVALID_ARGUMENT:
                raise ValueError("the length of a metalayer cannot change")
            _check(code)


class VLMeta(_Layers, collections.abc.MutableMapping):
    """Variable-length metalayers (python-blosc2's `vlmeta`): name -> any msgpack-able value,
    stored as python-blosc2 stores them (tuples, sets, complex numbers and NumPy arrays included)."""

    _count = staticmethod(_abi.swkas_array_vlmeta_count)
    _name_of = staticmethod(_abi.swkas_array_vlmeta_name)

    def __getitem__(self, name: Union[str, bytes]) -> Any:
        key = _name(name)
        with self._array._reading() as handle:
            data = _value(handle, _abi.swkas_array_vlmeta_get, key)
        try:
            return _unpack(data)
        except (ValueError, TypeError, msgpack.UnpackException) as error:
            raise ArrayFormatError("vlmeta %r is not valid msgpack: %s" % (name, error)) from None

    def __setitem__(self, name: Union[str, bytes], value: Any) -> None:
        key = _name(name)
        data = _pack(value)
        with self._array._writing() as handle:
            code = _abi.swkas_array_vlmeta_set(handle, key, data, len(data))
        if code == _abi.SWKAS_ERR_INVALID_ARGUMENT:
            raise ValueError("invalid vlmeta entry %r (names have 1 to 31 bytes)" % (name,))
        _check(code)

    def __delitem__(self, name: Union[str, bytes]) -> None:
        key = _name(name)
        with self._array._writing() as handle:
            code = _abi.swkas_array_vlmeta_delete(handle, key)
        if code == _abi.KAS_ERR_KEY_NOT_FOUND:
            raise KeyError(name)
        _check(code)

    def getall(self) -> Dict[str, Any]:
        """Every entry as a dict (python-blosc2's vlmeta.getall)."""
        return dict(self)


class Info:
    """What `NDArray.info` returns: the library's report (python-caterva's items, the dtype and both
    compression ratios), printed as text and shown as a table in notebooks."""

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def items(self) -> List[Tuple[str, str]]:
        """The report as (name, value) pairs."""
        pairs = (line.split(" : ", 1) for line in self.text.splitlines() if " : " in line)
        return [(name.strip(), value.strip()) for name, value in pairs]

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        rows = "".join('<tr><th style="text-align: left">%s</th><td style="text-align: left">%s</td></tr>'
                       % (html.escape(name), html.escape(value)) for name, value in self.items)
        return '<table class="swkas-info"><tbody>%s</tbody></table>' % rows


# --------------------------------------------------------------------------------------------------------------------
# The array

class _NewHandle(ctypes.c_void_p):
    """The out-parameter of a creating call: a swkas_array_t * that only the library can have filled in."""


class NDArray:
    """A chunked, compressed N-d array in memory or in a .b2nd file. Make one with empty(), zeros(),
    full(), from_buffer(), asarray(), copy(), open() or from_cframe().

    Indexing returns NumPy arrays of `dtype`. Note: `size` counts items as in NumPy and
    python-blosc2 (python-caterva's `size` is in bytes: that is `nbytes` here).
    Several threads may read one array at once; writes are serialized.
    """

    def __init__(self, handle: _NewHandle, urlpath: Optional[bytes]) -> None:
        """Takes ownership of a new swkas_array_t (internal: use the constructors)."""
        if not isinstance(handle, _NewHandle) or not handle.value:
            raise TypeError("NDArray objects are made by swkas.empty(), zeros(), full(), from_buffer(), asarray(), "
                            "copy(), open() or from_cframe()")
        self._handle: Optional[int] = handle.value
        self._lock = _SharedLock()
        self._urlpath = urlpath
        self._geometry = _geometry(handle.value)

    # Handle access -----------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self) -> Iterator[int]:
        with self._lock.shared():
            if self._handle is None:
                raise ValueError("operation on a closed array")
            yield self._handle

    @contextlib.contextmanager
    def _writing(self) -> Iterator[int]:
        with self._lock.exclusive():
            if self._handle is None:
                raise ValueError("operation on a closed array")
            yield self._handle

    def close(self) -> None:
        """Releases the array (waiting for reads in other threads); the file, if any, stays."""
        with self._lock.exclusive():
            handle, self._handle = self._handle, None
        _abi.swkas_array_free(handle)

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            _abi.swkas_array_free(handle)

    def __enter__(self) -> "NDArray":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _stats(self) -> _abi.swkas_array_stats_t:
        stats = _abi.swkas_array_stats_t()
        with self._reading() as handle:
            _check(_abi.swkas_array_get_stats(handle, ctypes.byref(stats)))
        return stats

    # Geometry and parameters --------------------------------------------------------------------------------------

    @property
    def shape(self) -> Tuple[int, ...]:
        """Items per dimension."""
        return self._geometry.shape

    @property
    def chunks(self) -> Tuple[int, ...]:
        """The chunk shape."""
        return self._geometry.chunks

    @property
    def blocks(self) -> Tuple[int, ...]:
        """The block shape (blocks partition each chunk)."""
        return self._geometry.blocks

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the items (`|S{itemsize}` for caterva files, which store none)."""
        return self._geometry.dtype

    @property
    def itemsize(self) -> int:
        """Bytes per item."""
        return self._geometry.dtype.itemsize

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._geometry.shape)

    @property
    def size(self) -> int:
        """Number of items, as in NumPy (python-caterva's `size` is in bytes: see `nbytes`)."""
        return math.prod(self._geometry.shape)

    @property
    def nbytes(self) -> int:
        """Bytes of the items, uncompressed (python-caterva's `size`)."""
        return self.size * self.itemsize

    @property
    def cbytes(self) -> int:
        """Compressed bytes of the chunks."""
        return self._stats().cbytes

    @property
    def cratio(self) -> float:
        """python-blosc2's compression ratio: uncompressed bytes of the chunks (edge padding included)
        over their compressed bytes, 0 when no chunk is stored. `info` also shows python-caterva's ratio."""
        stats = self._stats()
        return stats.frame_nbytes / stats.cbytes if stats.cbytes else 0.0

    @property
    def chunksize(self) -> int:
        """Bytes per chunk: prod(chunks) * itemsize."""
        return math.prod(self.chunks) * self.itemsize

    @property
    def blocksize(self) -> int:
        """Bytes per block: prod(blocks) * itemsize."""
        return math.prod(self.blocks) * self.itemsize

    @property
    def nchunks(self) -> int:
        """Number of chunks."""
        return self._stats().nchunks

    @property
    def codec(self) -> Any:
        """The codec new chunks are compressed with (a Codec)."""
        return self._geometry.codec

    @property
    def clevel(self) -> int:
        """The compression level (0-9)."""
        return self._geometry.clevel

    @property
    def filters(self) -> List[Any]:
        """The 6 filter slots (Filter values, applied first to last)."""
        return list(self._geometry.filters)

    @property
    def filtersmeta(self) -> List[int]:
        """The 6 filter parameters."""
        return list(self._geometry.filtersmeta)

    @property
    def nthreads(self) -> int:
        """Threads each chunk is compressed and decompressed with (settable; opened arrays start with 1)."""
        return self._geometry.nthreads

    @nthreads.setter
    def nthreads(self, nthreads: int) -> None:
        count = _integers([nthreads], "nthreads", 1, 256)[0]
        with self._writing() as handle:
            _check(_abi.swkas_array_set_nthreads(handle, count))
            self._geometry = _geometry(handle)

    @property
    def urlpath(self) -> Optional[str]:
        """The file (or caterva directory) holding the array; None in memory."""
        return None if self._urlpath is None else os.fsdecode(self._urlpath)

    @property
    def readonly(self) -> bool:
        """True when opened with mode='r' (or a caterva sparse directory): writes raise ValueError."""
        return bool(self._stats().readonly)

    @property
    def meta(self) -> Meta:
        """The fixed-size metalayers (name -> bytes)."""
        return Meta(self)

    @property
    def vlmeta(self) -> VLMeta:
        """The variable-length metalayers (name -> msgpack-able value)."""
        return VLMeta(self)

    @property
    def info(self) -> Info:
        """A report: type, itemsize, dtype, shape, chunks, blocks, codec, level, filters, and both ratios:
        "Ratio blosc2" is python-blosc2's (see `cratio`), "Ratio caterva" python-caterva's
        (nbytes / (cbytes + 32 per chunk))."""
        with self._reading() as handle:
            text, _ = _sized_output(_abi.swkas_array_info, handle)
        return Info(text.value.decode("utf-8", "replace"))

    @property
    def info_items(self) -> List[Tuple[str, str]]:
        """The items of `info` as (name, value) pairs."""
        return self.info.items

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        where = "in memory" if self._urlpath is None else "urlpath=%r" % self.urlpath
        return "<swkas.NDArray shape=%s dtype=%s %s>" % (self.shape, self.dtype, where)

    # Items ---------------------------------------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        """Items as a NumPy array of `dtype` (a NumPy scalar for a full integer index). Keys take integers
        (negative ones count from the end), slices with any step and one Ellipsis."""
        selection = _select(key, self.shape)
        buffer = np.empty(selection.counts, dtype=self.dtype)
        if buffer.size:
            with self._reading() as handle:
                _check(_abi.swkas_array_get_slice(
                    handle, _vector(selection.start), _vector(selection.stop), _vector(selection.step),
                    _address(buffer), buffer.nbytes))
        result = _oriented(buffer, selection)
        return result[()] if selection.scalar else result

    def __setitem__(self, key: Any, value: Any) -> None:
        """Writes value (broadcast like NumPy, cast with the same_kind rule; bytes of exactly the
        selection's size are raw items) into the selection of `key`."""
        selection = _select(key, self.shape)
        buffer = np.empty(selection.counts, dtype=self.dtype)
        _fill(_oriented(buffer, selection), value)
        if buffer.size:
            with self._writing() as handle:
                _check(_abi.swkas_array_set_slice(
                    handle, _vector(selection.start), _vector(selection.stop), _vector(selection.step),
                    _address(buffer), buffer.nbytes))

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        if copy is False:
            raise ValueError("an NDArray is always copied into a NumPy array")
        items = self[...]
        return items if dtype is None else items.astype(dtype)

    def to_buffer(self) -> bytes:
        """The items in C order as bytes (python-caterva's name)."""
        return self[...].tobytes()

    def tobytes(self) -> bytes:
        """The items in C order as bytes (NumPy's name)."""
        return self.to_buffer()

    def slice(self, key: Any, **kwargs: Any) -> "NDArray":
        """A new array holding self[key]; kwargs as for empty()."""
        return asarray(self[key], **kwargs)

    def copy(self, **kwargs: Any) -> "NDArray":
        """A compact copy with new chunks, blocks, compression or urlpath (kwargs as for empty(),
        except meta: metalayers and vlmeta are copied)."""
        if "meta" in kwargs:
            raise TypeError("copy() keeps the metalayers: meta cannot be given")
        path, flags = _storage(kwargs)
        output = _NewHandle()
        with self._reading() as handle:
            if set(kwargs) - {"urlpath", "mode", "contiguous"}:
                params = _read_params(handle)
                _apply(params, kwargs)
                pointer = ctypes.byref(params)
            else:
                pointer = None
            _check(_abi.swkas_array_copy(handle, pointer, path, flags, ctypes.byref(output)), path)
        return NDArray(output, path)

    def resize(self, newshape: Sequence[int]) -> None:
        """Changes the shape (same number of dimensions); new items read as zero."""
        shape = _shape(newshape, "newshape")
        if len(shape) != self.ndim:
            raise ValueError("newshape must have %d dimensions, got %d" % (self.ndim, len(shape)))
        with self._writing() as handle:
            _check(_abi.swkas_array_resize(handle, _vector(shape)))
            self._geometry = _geometry(handle)

    def __reduce__(self) -> Tuple[Callable[[bytes], "NDArray"], Tuple[bytes]]:
        """Pickling, copy.copy and copy.deepcopy give an in-memory copy (never a second owner of the handle)."""
        return from_cframe, (self.to_cframe(),)

    def to_cframe(self) -> bytes:
        """The array as a compact contiguous frame (the bytes of a .b2nd file)."""
        with self._reading() as handle:
            frame, size = _sized_output(_abi.swkas_array_to_cframe, handle)
        return frame.raw[:size]


# --------------------------------------------------------------------------------------------------------------------
# Parameters and constructors

def _storage(kwargs: Dict[str, Any]) -> Tuple[Optional[bytes], int]:
    """The urlpath and creation flags of the keywords (urlpath, contiguous, mode, durable)."""
    urlpath = kwargs.get("urlpath")
    path = None if urlpath is None else _path(urlpath)
    if path is not None and kwargs.get("contiguous", True) is False:
        raise ValueError("swkas writes contiguous frames only: contiguous=False (caterva's sparse directories) "
                         "can be opened but not created")
    mode = kwargs.get("mode", "a")
    if mode not in ("a", "w"):
        raise ValueError("mode must be 'a' (fail if the file exists) or 'w' (overwrite) to create an array, "
                         "got %r" % (mode,))
    flags = _abi.SWKAS_ARRAY_OVERWRITE if mode == "w" else 0
    if not kwargs.get("durable", True):
        flags |= _abi.SWKAS_ARRAY_NOT_DURABLE
    return path, flags


def _apply(params: _abi.swkas_array_params_t, kwargs: Dict[str, Any]) -> None:
    """Sets the chunking and compression keywords on params (blocks become automatic with new chunks)."""
    unknown = set(kwargs) - _CREATE_KEYWORDS
    if unknown:
        raise TypeError("unexpected keyword argument(s): %s" % ", ".join(sorted(unknown)))
    ndim = params.ndim
    if kwargs.get("chunks") is not None:
        params.chunks[:ndim] = _geometry_keyword(kwargs["chunks"], "chunks", ndim)
        params.blocks[:ndim] = [0] * ndim
    if kwargs.get("blocks") is not None:
        params.blocks[:ndim] = _geometry_keyword(kwargs["blocks"], "blocks", ndim)
    if kwargs.get("usedict"):
        raise ValueError("dictionaries (usedict=True) are not supported")
    cparams = params.cparams
    if "codec" in kwargs:
        cparams.codec = _integers([_enum_value(kwargs["codec"])], "codec", 0, 255)[0]
    if "clevel" in kwargs:
        cparams.clevel = _integers([kwargs["clevel"]], "clevel", 0, 9)[0]
    if "nthreads" in kwargs:
        cparams.nthreads = _integers([kwargs["nthreads"]], "nthreads", 1, _INT32_MAX)[0]
    if "filters" in kwargs:
        cparams.filters[:] = _right_aligned(kwargs["filters"], "filters", 0)
    if "filtersmeta" in kwargs:
        cparams.filters_meta[:] = _right_aligned(kwargs["filtersmeta"], "filtersmeta", -128)


def _geometry_keyword(values: Sequence[int], name: str, ndim: int) -> List[int]:
    numbers = _integers(values, name, 0, _INT32_MAX)
    if len(numbers) != ndim:
        raise ValueError("%s must have %d dimensions, got %d" % (name, ndim, len(numbers)))
    return numbers


def _create(shape: Any, dtype: np.dtype, kwargs: Dict[str, Any], function: Callable[..., int], *extra: Any) -> NDArray:
    """Builds swkas_array_params_t from the keywords and calls function(params, path, flags, *extra, &array)."""
    dims = _shape(shape)
    if len(dims) > _abi.SWKAS_MAX_WRITE_DIM:
        raise ValueError("arrays have at most %d dimensions, got %d" % (_abi.SWKAS_MAX_WRITE_DIM, len(dims)))
    path, flags = _storage(kwargs)
    params = _abi.swkas_array_params_t()
    _abi.swkas_array_params_init(ctypes.byref(params))
    params.ndim = len(dims)
    params.shape[:len(dims)] = dims
    params.itemsize = dtype.itemsize
    params.dtype = _dtype_text(dtype)
    _apply(params, kwargs)
    meta = dict(kwargs.get("meta") or {})
    names = [_name(name) for name in meta]
    values = []
    for name, value in meta.items():
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError("meta values must be bytes, got %s for %r" % (type(value).__name__, name))
        values.append(bytes(value))
    params.nmeta = len(names)
    params.meta_names = (ctypes.c_char_p * len(names))(*names)
    params.meta_values = (ctypes.c_void_p * len(values))(*[ctypes.cast(v, ctypes.c_void_p) for v in values])
    params.meta_sizes = (ctypes.c_size_t * len(values))(*[len(v) for v in values])
    output = _NewHandle()
    _check(function(ctypes.byref(params), path, flags, *extra, ctypes.byref(output)), path)
    return NDArray(output, path)


def empty(shape: Any, itemsize: Optional[int] = None, *, dtype: Any = None, **kwargs: Any) -> NDArray:
    """A new array whose items read as zero until written (python-caterva's empty).

    Keywords: chunks, blocks (automatic when omitted), urlpath (None: in memory), mode ('a': fail if
    urlpath exists, 'w': overwrite), contiguous (True only), codec (Codec.LZ4), clevel (5), filters
    ([Filter.SHUFFLE]), filtersmeta ([0]) (both right-aligned into 6 slots), nthreads (1), meta
    ({name: bytes}), durable (True: fsync on creation and every update; False: still atomic if the
    process dies, not if the machine loses power). Without dtype, items are `|S{itemsize}` bytes.
    """
    return _create(shape, _user_dtype(itemsize, dtype), kwargs, _abi.swkas_array_empty)


def zeros(shape: Any, itemsize: Optional[int] = None, *, dtype: Any = None, **kwargs: Any) -> NDArray:
    """A new array of zeros; keywords as for empty()."""
    return _create(shape, _user_dtype(itemsize, dtype), kwargs, _abi.swkas_array_zeros)


def full(shape: Any, fill_value: Any, *, dtype: Any = None, **kwargs: Any) -> NDArray:
    """A new array with every item equal to fill_value: bytes (python-caterva: itemsize = len, or raw
    item bytes with dtype=) or a value NumPy casts to dtype (default: the value's own dtype)."""
    if dtype is None:
        is_bytes = isinstance(fill_value, (bytes, bytearray, memoryview))
        dtype = "S%d" % memoryview(fill_value).nbytes if is_bytes else np.asarray(fill_value).dtype
    item = np.empty((), dtype=_user_dtype(None, dtype))
    _fill(item, fill_value)
    return _create(shape, item.dtype, kwargs, _abi.swkas_array_full, _address(item))


def from_buffer(buffer: Any, shape: Any, itemsize: Optional[int] = None, *, dtype: Any = None,
                **kwargs: Any) -> NDArray:
    """A new array holding the C-order items of a bytes-like buffer (exactly size * itemsize bytes)."""
    item_dtype = _user_dtype(itemsize, dtype)
    data = buffer.reshape(-1).view(np.uint8) if isinstance(buffer, np.ndarray) else _bytes_view(buffer)
    expected = math.prod(_shape(shape)) * item_dtype.itemsize
    if data.size != expected:
        raise ValueError("buffer holds %d bytes, the shape needs %d" % (data.size, expected))
    return _create(shape, item_dtype, kwargs, _abi.swkas_array_from_buffer, _address(data), data.size)


def asarray(obj: Any, *, dtype: Any = None, **kwargs: Any) -> NDArray:
    """A new array from anything NumPy converts (its dtype is kept); keywords as for empty()."""
    items = np.asarray(obj, dtype=dtype, order="C")
    return from_buffer(items, items.shape, dtype=items.dtype, **kwargs)


def copy(array: NDArray, **kwargs: Any) -> NDArray:
    """A compact copy of array (see NDArray.copy)."""
    return array.copy(**kwargs)


def open(urlpath: PathLike, mode: str = "a", durable: bool = True) -> NDArray:
    """Opens a b2nd (swkas, python-blosc2) or caterva (contiguous or sparse directory) array.
    mode 'r' opens read-only; a missing path raises FileNotFoundError. With durable=False,
    updates skip fsync: still atomic if the process dies, not if the machine loses power."""
    if mode not in ("r", "a"):
        raise ValueError("mode must be 'r' or 'a', got %r" % (mode,))
    path = _path(urlpath)
    output = _NewHandle()
    flags = (_abi.SWKAS_ARRAY_READONLY if mode == "r" else 0) | (0 if durable else _abi.SWKAS_ARRAY_NOT_DURABLE)
    _check(_abi.swkas_array_open(path, flags, ctypes.byref(output)), path)
    return NDArray(output, path)


def remove(urlpath: PathLike) -> None:
    """Removes an array's file or caterva directory; a missing path is not an error (as in caterva)."""
    path = _path(urlpath)
    try:
        _check(_abi.swkas_array_remove(path), path)
    except FileNotFoundError:
        pass


def from_cframe(cframe: Any) -> NDArray:
    """An in-memory array from the bytes of a contiguous frame (to_cframe() or a .b2nd file)."""
    data = _bytes_view(cframe)
    output = _NewHandle()
    _check(_abi.swkas_array_from_cframe(_address(data), data.size, ctypes.byref(output)))
    return NDArray(output, None)
