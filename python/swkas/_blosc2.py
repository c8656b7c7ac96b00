"""Blosc2 chunks: compress2/decompress2 with python-blosc2's names, keywords
and enum values, so code written for one runs on the other. Every byte is
compressed and decompressed by libswkas."""
from __future__ import annotations

import ctypes
import enum
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _abi


class Codec(enum.IntEnum):
    """Compressors (python-blosc2's values). BLOSCLZ chunks are decoded only."""

    BLOSCLZ = 0
    LZ4 = 1
    LZ4HC = 2
    ZLIB = 4
    ZSTD = 5


class Filter(enum.IntEnum):
    """Filters of the six-slot pipeline (python-blosc2's values)."""

    NOFILTER = 0
    SHUFFLE = 1
    BITSHUFFLE = 2
    DELTA = 3
    TRUNC_PREC = 4


class SplitMode(enum.IntEnum):
    """Whether blocks are compressed as one stream or one per byte plane."""

    ALWAYS_SPLIT = 1
    NEVER_SPLIT = 2
    AUTO_SPLIT = 3
    FORWARD_COMPAT_SPLIT = 4


def _bytes_view(src: Any) -> np.ndarray:
    """A uint8 view of any contiguous buffer (read-only ones too), no copy."""
    view = memoryview(src)
    if not view.c_contiguous:
        raise ValueError("src must be a contiguous buffer")
    return np.frombuffer(view.cast("B") if view.ndim != 1 or view.format != "B" else view, dtype=np.uint8)


def _address(array: np.ndarray) -> int:
    return array.ctypes.data if array.size else 0


_PARAMETERS = ("codec", "codec_meta", "clevel", "use_dict", "typesize", "nthreads", "blocksize", "splitmode",
               "filters", "filters_meta", "tuner")


def _slots(values: Sequence[int], name: str) -> list:
    values = [int(v) for v in values]
    if len(values) > 6:
        raise ValueError("%s takes at most 6 values" % name)
    return values + [0] * (6 - len(values))  # left-aligned, as python-blosc2 does


def _cparams(kwargs: dict) -> _abi.swkas_cparams_t:
    options = dict(kwargs)
    cparams = options.pop("cparams", None)
    if cparams is not None:
        fields = cparams if isinstance(cparams, dict) else {name: getattr(cparams, name) for name in _PARAMETERS
                                                            if hasattr(cparams, name)}
        options = {**fields, **options}
    unknown = set(options) - set(_PARAMETERS)
    if unknown:
        raise TypeError("unexpected keyword argument(s): %s" % ", ".join(sorted(unknown)))
    if options.get("use_dict"):
        raise ValueError("dictionaries are not supported")
    if options.get("codec_meta", 0):
        raise ValueError("codec_meta is not supported")
    params = _abi.swkas_cparams_t()
    _abi.swkas_cparams_init(ctypes.byref(params))
    for name in ("codec", "clevel", "typesize", "nthreads", "blocksize", "splitmode"):
        if name in options:
            setattr(params, name, int(options[name]))
    if "filters" in options:
        params.filters[:] = _slots(options["filters"], "filters")
    if "filters_meta" in options:
        params.filters_meta[:] = [v & 0xFF for v in _slots(options["filters_meta"], "filters_meta")]
    return params


def _check(status: int) -> None:
    if status != 0:
        raise ValueError(_abi.strerror(status))


def compress2(src: Any, **kwargs: Any) -> bytes:
    """Compresses a bytes-like object into a Blosc2 chunk.

    Keywords are python-blosc2's CParams fields (codec, clevel, typesize,
    nthreads, blocksize, splitmode, filters, filters_meta) or cparams=.
    """
    params = _cparams(kwargs)
    source = _bytes_view(src)
    bound = _abi.swkas_chunk_compress_bound(source.size)
    output = np.empty(bound, dtype=np.uint8)  # uninitialised: compression fills what it returns
    size = ctypes.c_size_t()
    _check(_abi.swkas_chunk_compress(ctypes.byref(params), _address(source), source.size, _address(output), bound,
                                     ctypes.byref(size)))
    return output[:size.value].tobytes()


def _chunk_info(chunk: np.ndarray) -> _abi.swkas_chunk_info_t:
    info = _abi.swkas_chunk_info_t()
    _check(_abi.swkas_chunk_info(_address(chunk), chunk.size, ctypes.byref(info)))
    return info


def decompress2(src: Any, dst: Optional[Union[bytearray, Any]] = None, **kwargs: Any) -> Optional[bytes]:
    """Decompresses a Blosc2 (or Blosc1) chunk; into `dst` when given (and
    then returns None), else into new bytes. nthreads= (or dparams=) is accepted."""
    dparams = kwargs.pop("dparams", None)
    nthreads = kwargs.pop("nthreads", None)
    if nthreads is None:
        nthreads = dparams.get("nthreads", 1) if isinstance(dparams, dict) else getattr(dparams, "nthreads", 1)
    if kwargs:
        raise TypeError("unexpected keyword argument(s): %s" % ", ".join(sorted(kwargs)))
    chunk = _bytes_view(src)
    info = _chunk_info(chunk)
    size = ctypes.c_size_t()
    if dst is not None:
        view = memoryview(dst)
        if view.readonly or view.nbytes < info.nbytes:
            raise ValueError("dst must be writable and hold %d bytes" % info.nbytes)
        target = _bytes_view(dst)
        _check(_abi.swkas_chunk_decompress(_address(chunk), chunk.size, _address(target), target.size, int(nthreads),
                                           ctypes.byref(size)))
        return None
    output = np.empty(info.nbytes, dtype=np.uint8)
    _check(_abi.swkas_chunk_decompress(_address(chunk), chunk.size, _address(output), output.size, int(nthreads),
                                       ctypes.byref(size)))
    return output.tobytes()
