"""Blosc2 chunks: compress2/decompress2 with python-blosc2's names, keywords
and enum values, so code written for one runs on the other. Every byte is
compressed and decompressed by libswkas."""
from __future__ import annotations

import ctypes
import enum
from typing import Any, Optional, Sequence, Union

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


_PARAMETERS = ("codec", "codec_meta", "clevel", "use_dict", "typesize", "nthreads", "blocksize", "splitmode",
               "filters", "filters_meta", "tuner")


def _buffer(src: Any) -> memoryview:
    view = memoryview(src)
    if not view.c_contiguous:
        raise ValueError("src must be a contiguous buffer")
    return view.cast("B")


def _address(view: memoryview) -> int:
    if view.nbytes == 0:
        return 0
    if view.readonly:
        return ctypes.cast(ctypes.c_char_p(view.tobytes()), ctypes.c_void_p).value or 0
    return ctypes.addressof(ctypes.c_char.from_buffer(view))


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
    view = _buffer(src)
    data = view if not view.readonly else bytes(view)
    source = ctypes.c_char_p(data) if isinstance(data, bytes) else _address(data)
    bound = _abi.swkas_chunk_compress_bound(view.nbytes)
    output = ctypes.create_string_buffer(bound)
    size = ctypes.c_size_t()
    _check(_abi.swkas_chunk_compress(ctypes.byref(params), source, view.nbytes, output, bound, ctypes.byref(size)))
    return output.raw[:size.value]


def _chunk_info(chunk: bytes) -> _abi.swkas_chunk_info_t:
    info = _abi.swkas_chunk_info_t()
    _check(_abi.swkas_chunk_info(chunk, len(chunk), ctypes.byref(info)))
    return info


def decompress2(src: Any, dst: Optional[Union[bytearray, Any]] = None, **kwargs: Any) -> Optional[bytes]:
    """Decompresses a Blosc2 (or Blosc1) chunk; into `dst` when given (and
    then returns None), else into new bytes. nthreads= is accepted."""
    nthreads = int(kwargs.pop("nthreads", (kwargs.pop("dparams", None) or {}).get("nthreads", 1)
                       if isinstance(kwargs.get("dparams"), dict) else 1))
    kwargs.pop("dparams", None)
    if kwargs:
        raise TypeError("unexpected keyword argument(s): %s" % ", ".join(sorted(kwargs)))
    chunk = bytes(_buffer(src))
    info = _chunk_info(chunk)
    size = ctypes.c_size_t()
    if dst is not None:
        target = _buffer(dst)
        if target.readonly or target.nbytes < info.nbytes:
            raise ValueError("dst must be writable and hold %d bytes" % info.nbytes)
        _check(_abi.swkas_chunk_decompress(chunk, len(chunk), _address(target), target.nbytes, nthreads,
                                           ctypes.byref(size)))
        return None
    output = ctypes.create_string_buffer(max(info.nbytes, 1))
    _check(_abi.swkas_chunk_decompress(chunk, len(chunk), output, info.nbytes, nthreads, ctypes.byref(size)))
    return output.raw[:size.value]
