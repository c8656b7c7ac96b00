#!/usr/bin/env python3
"""Generate the golden N-d array corpus (test-data/b2nd/golden/).

Every array file is written by a reference implementation:
python-blosc2 4.14.1 (bundling c-blosc2 3.3.5) for `.b2nd` files, and
python-caterva 0.7.3 for `.cat` files, both contiguous frames and sparse
directories (caterva's default). No reference source code is used or stored.

Outputs (in golden/ next to this script):
  <name>.b2nd, <name>.cat   contiguous frames
  <name>.cat/               caterva sparse directories (chunks.b2frame + %08X.chunk)
  values/<name>.npy         the expected items, shared between files with equal items
  manifest.json             one entry per file (see README.md)

The expected values are what the reference reads back (for lossy
TRUNC_PREC files too), checked against the source data for lossless files.
Every frame is also parsed by the spec-only parser below (spec sections 4 and
5), which checks the structure and records the index kind, the special
chunks and the metalayers in the manifest; the coverage requirements (index
kinds, special offsets, moved chunks, codecs, filters, dtypes, ndims) are
asserted at the end. The section 6 worked example is checked byte for byte
against the spec's dump (apart from the nthreads field).

Deterministic: seeded data, nthreads=1 everywhere; a second run writes
byte-identical files (ZLIB/ZSTD bytes depend on the libraries bundled in the
wheels).

Requirements: Python 3.11, numpy, blosc2==4.14.1, caterva==0.7.3, msgpack.
Usage: python3 test-data/b2nd/make_golden.py
"""

import hashlib
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np

import blosc2
import caterva
import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
VALUES = os.path.join(OUT, "values")

blosc2.set_nthreads(1)

B = blosc2.Codec
BF = blosc2.Filter
CC = caterva.Codec
CF = caterva.Filter
CODEC_NAMES = {0: "blosclz", 1: "lz4", 2: "lz4hc", 4: "zlib", 5: "zstd"}
FILTER_NAMES = {0: "none", 1: "shuffle", 2: "bitshuffle", 3: "delta", 4: "trunc"}

# ---------------------------------------------------------------------------
# Spec-only frame parser (spec sections 4.1-4.8, 5.1-5.2)
# ---------------------------------------------------------------------------


class FrameError(Exception):
    pass


def _u8(b, o):
    return b[o]


def _be(fmt, b, o):
    return struct.unpack_from(">" + fmt, b, o)[0]


def _expect(b, o, marker, what):
    if b[o] != marker:
        raise FrameError(f"{what}: expected 0x{marker:02x} at 0x{o:x}, got 0x{b[o]:02x}")


def _chunk_cbytes(b, o):
    return struct.unpack_from("<i", b, o + 12)[0]


def _chunk_info(b, o):
    """(version, flags, typesize, nbytes, blocksize, cbytes, blosc2_flags)"""
    nbytes, blocksize, cbytes = struct.unpack_from("<iii", b, o + 4)
    return dict(version=b[o], flags=b[o + 2], typesize=b[o + 3], nbytes=nbytes,
                blocksize=blocksize, cbytes=cbytes, blosc2_flags=b[o + 31] if b[o + 2] & 0x05 == 0x05 else 0)


def parse_frame(b, sparse=False):
    """Parse a contiguous frame (or a sparse directory's chunks.b2frame)."""
    f = {}
    _expect(b, 0, 0x9E, "header fixarray(14)")
    if b[1:10] != b"\xa8b2frame\x00":
        raise FrameError("bad magic")
    _expect(b, 0x0A, 0xD2, "header_len")
    f["header_len"] = hl = _be("i", b, 0x0B)
    _expect(b, 0x0F, 0xCF, "frame_len")
    f["frame_len"] = fl = _be("Q", b, 0x10)
    if fl > len(b) or hl > fl:
        raise FrameError("frame_len/header_len out of range")
    _expect(b, 0x18, 0xA4, "flags")
    f["general_flags"], f["frame_type"], f["codec_flags"], f["other_flags"] = b[0x19:0x1D]
    if f["general_flags"] & 0x30 != 0x10 or f["general_flags"] & 0x80:
        raise FrameError("offset width / VL block bits")
    if f["frame_type"] != (1 if sparse else 0):
        raise FrameError(f"frame_type {f['frame_type']}")
    f["nbytes"] = _be("q", b, 0x1E)
    f["cbytes"] = _be("q", b, 0x27)
    f["typesize"] = _be("i", b, 0x30)
    f["blocksize"] = _be("i", b, 0x35)
    f["chunksize"] = _be("i", b, 0x3A)
    # c-blosc2 marks an empty frame (chunksize 0, e.g. shape (0, 5)) as a
    # version-3 variable-chunk frame (general_flags 0x53); a frame with data never
    if f["general_flags"] & 0x40 and f["nbytes"] != 0:
        raise FrameError("variable-chunk frame with data")
    f["nthreads_c"] = _be("h", b, 0x3F)
    f["nthreads_d"] = _be("h", b, 0x42)
    f["has_vl"] = {0xC2: False, 0xC3: True}[b[0x44]]
    if b[0x45:0x47] != b"\xd8\x06":
        raise FrameError("fixext16 of the filters")
    f["filters"] = list(b[0x47:0x4D])
    f["udcodec"] = b[0x4D]
    f["codec_meta"] = b[0x4E]
    f["filters_meta"] = list(b[0x4F:0x55])
    compcode = f["codec_flags"] & 0x0F
    f["codec"] = f["udcodec"] if compcode == 6 else compcode
    f["clevel"] = f["codec_flags"] >> 4
    # metalayers
    _expect(b, 0x57, 0x93, "metalayers fixarray(3)")
    _expect(b, 0x58, 0xCD, "metalayers map size")
    _expect(b, 0x5B, 0xDE, "metalayers map")
    n = _be("H", b, 0x5C)
    o = 0x5E
    metas = []
    for _ in range(n):
        if b[o] & 0xE0 != 0xA0:
            raise FrameError("metalayer name")
        L = b[o] & 0x1F
        name = b[o + 1:o + 1 + L].decode()
        o += 1 + L
        _expect(b, o, 0xD2, "metalayer offset")
        off = _be("i", b, o + 1)
        o += 5
        _expect(b, off, 0xC6, "metalayer value")
        ln = _be("I", b, off + 1)
        metas.append((name, bytes(b[off + 5:off + 5 + ln])))
    f["meta"] = metas
    # trailer
    if b[fl - 23] != 0xCE:
        raise FrameError("no 0xce at frame_len-23")
    tl = _be("I", b, fl - 22)
    ts = fl - tl
    if b[ts] != 0x94 or b[ts + 1] not in (0, 1) or b[ts + 2] != 0x93 or b[ts + 3] != 0xCD:
        raise FrameError("trailer start")
    _expect(b, ts + 6, 0xDE, "vlmeta map")
    n = _be("H", b, ts + 7)
    o = ts + 9
    vl = []
    for _ in range(n):
        L = b[o] & 0x1F
        name = b[o + 1:o + 1 + L].decode()
        o += 1 + L
        _expect(b, o, 0xD2, "vlmeta offset")
        off = ts + _be("i", b, o + 1)
        o += 5
        _expect(b, off, 0xC6, "vlmeta value")
        ln = _be("I", b, off + 1)
        chunk = bytes(b[off + 5:off + 5 + ln])
        vl.append((name, blosc2.decompress2(chunk)))
    f["vlmeta"] = vl
    f["trailer_len"] = tl
    # index
    nb, cs = f["nbytes"], f["chunksize"]
    nchunks = 0 if nb == 0 else -(-nb // cs)
    f["nchunks"] = nchunks
    offsets = []
    if nchunks:
        io = hl if sparse else hl + f["cbytes"]
        ic = _chunk_info(b, io)
        if io + ic["cbytes"] != ts:
            raise FrameError("index chunk does not end at the trailer")
        if ic["nbytes"] != 8 * nchunks:
            raise FrameError("index nbytes")
        f["index_chunk"] = ic
        if (ic["blosc2_flags"] >> 4) & 7 == 3:
            f["index_kind"] = "value"
        elif ic["flags"] & 0x02:
            f["index_kind"] = "memcpy"
        else:
            f["index_kind"] = {0: "blosclz", 1: "lz4"}.get(ic["flags"] >> 5, "other")
        raw = blosc2.decompress2(bytes(b[io:io + ic["cbytes"]]))
        offsets = list(struct.unpack(f"<{nchunks}q", raw))
    f["offsets"] = offsets
    special = {"zeros": 0, "nans": 0, "uninit": 0}
    regular = []
    for i, off in enumerate(offsets):
        if off < 0:
            kind = (off >> 56) & 0xFF
            name = {0x81: "zeros", 0x82: "nans", 0x84: "uninit"}.get(kind)
            if name is None or off & ((1 << 56) - 1):
                raise FrameError(f"special offset {off:#x}")
            special[name] += 1
        else:
            regular.append((i, off))
    f["special"] = special
    if not sparse:
        total = 0
        for i, off in regular:
            ci = _chunk_info(b, hl + off)
            if off + ci["cbytes"] > f["cbytes"]:
                raise FrameError(f"chunk {i} outside the chunks region")
            total += ci["cbytes"]
        offs = [off for _, off in regular]
        f["moved"] = offs != sorted(offs) or total != f["cbytes"]
        f["value_chunks"] = sum(1 for _, off in regular if (_chunk_info(b, hl + off)["blosc2_flags"] >> 4) & 7 == 3)
    return f


def parse_nd_meta(name, raw):
    v = msgpack.unpackb(raw)
    if name == "b2nd":
        ver, nd, shape, chunks, blocks, fmt, dtype = v
        return dict(ndim=nd, shape=shape, chunks=chunks, blocks=blocks, dtype=dtype)
    ver, nd, shape, chunks, blocks = v
    return dict(ndim=nd, shape=shape, chunks=chunks, blocks=blocks)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def iv(x):
    """The integer value of a blosc2/caterva enum member (not IntEnums) or an int."""
    return x.value if hasattr(x, "value") else int(x)


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def make_values(name, dtype, shape):
    """Compressible but non-trivial data of any dtype."""
    rng = rng_for(name)
    dt = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.names:
        a = np.zeros(n, dtype=dt)
        for k, fname in enumerate(dt.names):
            sub = make_values(f"{name}/{fname}", dt.fields[fname][0], (n,))
            a[fname] = sub
        return a.reshape(shape)
    kind = dt.kind
    if kind == "b":
        a = rng.random(n) < 0.3
    elif kind in "iu":
        info = np.iinfo(dt)
        base = np.arange(n, dtype=np.int64) % 97 + rng.integers(-3, 4, n)
        if kind == "u":
            base = np.abs(base)
        a = base.astype(dt)
        # a few extreme values
        if n > 4:
            a.flat[rng.integers(0, n, 3)] = [info.min, info.max, info.max // 2]
    elif kind == "f":
        a = (np.linspace(-50, 50, n) + rng.normal(0, 0.01, n)).astype(dt)
        if n > 6:
            a.flat[rng.integers(0, n, 2)] = [np.inf, -0.0]
    elif kind == "c":
        a = (np.linspace(0, 10, n) + 1j * np.round(rng.normal(0, 3, n), 2)).astype(dt)
    elif kind == "S":
        alphabet = np.frombuffer(b"abcdefghij0123 ", dtype=np.uint8)
        raw = alphabet[rng.integers(0, len(alphabet), n * dt.itemsize)].reshape(n, dt.itemsize)
        lens = rng.integers(0, dt.itemsize + 1, n)
        raw[np.arange(dt.itemsize)[None, :] >= lens[:, None]] = 0
        a = raw.copy().view(dt).reshape(n)
    elif kind == "U":
        words = np.array(["", "a", "ab", "abc", "\u00e9t\u00e9", "\u03a9", "x1"], dtype=dt)
        a = words[rng.integers(0, len(words), n)]
    else:
        raise ValueError(dt)
    return np.asarray(a).reshape(shape)


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

ENTRIES = []
_VALUE_FILES = {}


def _save_values(name, arr):
    arr = np.array(arr, order="C", copy=True)  # ascontiguousarray would make 0-d arrays 1-d
    data = arr.dtype.str.encode() + repr(arr.shape).encode() + arr.tobytes()
    if arr.dtype.names:
        data = repr(arr.dtype.descr).encode() + data
    key = hashlib.sha256(data).hexdigest()
    if key not in _VALUE_FILES:
        rel = f"values/{name}.npy"
        np.save(os.path.join(OUT, rel), arr, allow_pickle=False)
        _VALUE_FILES[key] = rel
    return _VALUE_FILES[key]


def _jsonable(v):
    if isinstance(v, bytes):
        return {"$bytes": v.hex()}
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _dir_size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    return os.path.getsize(path)


def record(name, relpath, kind, writer, how, expected, *, source=None, lossless=True, notes=None,
           reference_undefined=False):
    """Parse the file, cross-check it against the reference and the expected
    values, and append its manifest entry."""
    path = os.path.join(OUT, relpath)
    sparse = os.path.isdir(path)
    frame_path = os.path.join(path, "chunks.b2frame") if sparse else path
    with open(frame_path, "rb") as fh:
        raw = fh.read()
    fr = parse_frame(raw, sparse=sparse)
    metas = dict(fr["meta"])
    if kind == "b2nd":
        nd = parse_nd_meta("b2nd", metas["b2nd"])
        if fr["meta"][0][0] != "b2nd":
            raise AssertionError("b2nd must be the first metalayer")
    else:
        nd = parse_nd_meta("caterva", metas["caterva"])
    dtype = nd.get("dtype", f"|S{fr['typesize']}")
    exp = np.asarray(expected)
    file_read_wrong = False
    if kind != "b2nd":
        # caterva keeps no dtype: items are fixed-size bytes
        exp = np.frombuffer(np.ascontiguousarray(expected).tobytes(), dtype=dtype).reshape(tuple(nd["shape"]))
    # cross-checks against the reference readers
    if kind == "b2nd":
        ref = blosc2.open(frame_path)
        got = ref[()] if ref.ndim == 0 else ref[...]
        if tuple(ref.shape) != tuple(nd["shape"]) or ref.dtype != np.dtype(eval_dtype(dtype)):
            raise AssertionError(f"{name}: reference geometry mismatch")
        if not reference_undefined and np.asarray(b2_read(frame_path)).tobytes() != exp.tobytes():
            raise AssertionError(f"{name}: python-blosc2 reads other values than expected")
        if not reference_undefined and np.asarray(got).tobytes() != exp.tobytes():
            if 3 not in fr["filters"]:
                raise AssertionError(f"{name}: python-blosc2 reads the file and its bytes differently")
            file_read_wrong = True
        vl_ref = {k: ref.vlmeta[k] for k in ref.vlmeta.getall()} if fr["vlmeta"] else {}
    else:
        ref = caterva.open(path)
        if tuple(ref.shape) != tuple(nd["shape"]) or ref.itemsize != fr["typesize"]:
            raise AssertionError(f"{name}: caterva geometry mismatch")
        if not reference_undefined and ref.to_buffer() != exp.tobytes():
            raise AssertionError(f"{name}: caterva reads other values than expected")
        vl_ref = {}
    if source is not None and lossless and np.asarray(source).tobytes() != np.asarray(expected).tobytes():
        raise AssertionError(f"{name}: lossless file does not round-trip")
    if fr["typesize"] != np.dtype(eval_dtype(dtype)).itemsize:
        raise AssertionError(f"{name}: typesize")
    vlmeta = {k: msgpack.unpackb(v) for k, v in fr["vlmeta"]}
    if vl_ref and vl_ref != vlmeta:
        raise AssertionError(f"{name}: vlmeta {vl_ref} != {vlmeta}")
    entry = {
        "name": name,
        "path": relpath,
        "kind": kind if not sparse else "caterva-sparse",
        "writer": writer,
        "how": how,
        "dtype": dtype,
        "itemsize": fr["typesize"],
        "ndim": nd["ndim"],
        "shape": nd["shape"],
        "chunks": nd["chunks"],
        "blocks": nd["blocks"],
        "codec": fr["codec"],
        "clevel": fr["clevel"],
        "filters": fr["filters"],
        "filters_meta": fr["filters_meta"],
        "meta": {k: v.hex() for k, v in fr["meta"]},
        "meta_order": [k for k, _ in fr["meta"]],
        "vlmeta_msgpack": {k: v.hex() for k, v in fr["vlmeta"]},
        "vlmeta": _jsonable(vlmeta),
        "values": _save_values(name, exp),
        "values_undefined_in_reference": reference_undefined,
        "reference_file_read_wrong": file_read_wrong,
        "lossless": lossless,
        "nchunks": fr["nchunks"],
        "index_kind": fr.get("index_kind"),
        "special_chunks": fr["special"],
        "value_chunks": fr.get("value_chunks"),
        "moved_chunks": fr.get("moved"),
        "general_flags": fr["general_flags"],
        "frame_len": fr["frame_len"],
        "size": _dir_size(path),
    }
    if kind != "b2nd":
        entry["source_dtype"] = np.asarray(expected).dtype.str
    if notes:
        entry["notes"] = notes
    ENTRIES.append(entry)
    return entry, fr, raw


def eval_dtype(s):
    if s.startswith("["):
        import ast
        return [tuple(x) for x in ast.literal_eval(s)]
    return s


def b2_read(path):
    """python-blosc2's items of the frame file, decoded from the file's bytes in memory.

    b2_read(path) is not used for expected values: python-blosc2 4.14.1 misreads some
    DELTA frames through a file (edge chunks with partial blocks; the same bytes decode right
    in memory), see record()."""
    with open(path, "rb") as fh:
        arr = blosc2.ndarray_from_cframe(fh.read())
    return arr[()] if arr.ndim == 0 else arr[...]


def b2_cparams(codec=B.LZ4, clevel=5, filters=(BF.SHUFFLE,), filters_meta=None, splitmode=None):
    kw = dict(codec=codec, clevel=clevel, filters=list(filters),
              filters_meta=list(filters_meta) if filters_meta is not None else [0] * len(filters), nthreads=1)
    if splitmode is not None:
        kw["splitmode"] = splitmode
    return blosc2.CParams(**kw)


def b2_write(name, data, *, chunks=None, blocks=None, meta=None, vlmeta=None, lossless=True, notes=None, **cp):
    rel = f"{name}.b2nd"
    path = os.path.join(OUT, rel)
    kw = dict(urlpath=path, mode="w", cparams=b2_cparams(**cp), dparams=blosc2.DParams(nthreads=1))
    if chunks is not None:
        kw["chunks"] = chunks
    if blocks is not None:
        kw["blocks"] = blocks
    if meta is not None:
        kw["meta"] = meta
    arr = blosc2.asarray(data, **kw)
    for k, v in (vlmeta or {}).items():
        arr.vlmeta[k] = v
    del arr
    got = b2_read(path)
    how = (f"blosc2.asarray(data, chunks={chunks}, blocks={blocks}, cparams={_cp_desc(cp)}"
           + (f", meta={meta!r}" if meta else "") + ")" + (f"; vlmeta {sorted(vlmeta)}" if vlmeta else ""))
    return record(name, rel, "b2nd", "blosc2", how, got, source=data, lossless=lossless, notes=notes)


def _cp_desc(cp):
    d = dict(codec=CODEC_NAMES[iv(cp.get("codec", B.LZ4))], clevel=cp.get("clevel", 5),
             filters=[FILTER_NAMES[iv(x)] for x in cp.get("filters", (BF.SHUFFLE,))])
    if cp.get("filters_meta"):
        d["filters_meta"] = list(cp["filters_meta"])
    if cp.get("splitmode") is not None:
        d["splitmode"] = iv(cp["splitmode"])
    return d


def cat_write(name, data, *, chunks, blocks, contiguous=True, meta=None, itemsize=None, lossless=True, notes=None,
              codec=CC.LZ4, clevel=5, filters=(CF.SHUFFLE,), filtersmeta=None):
    rel = f"{name}.cat"
    path = os.path.join(OUT, rel)
    kw = dict(chunks=chunks, blocks=blocks, urlpath=path, contiguous=contiguous, codec=codec, clevel=clevel,
              filters=list(filters), filtersmeta=list(filtersmeta) if filtersmeta else [0] * len(filters),
              nthreads=1)
    if meta is not None:
        kw["meta"] = meta
    data = np.ascontiguousarray(data)
    if itemsize is None:
        caterva.asarray(data, **kw)
    else:
        caterva.from_buffer(data.tobytes(), data.shape, itemsize, **kw)
    back = caterva.open(path)
    got = np.frombuffer(back.to_buffer(), dtype=data.dtype).reshape(data.shape)
    how = (f"caterva.{'asarray' if itemsize is None else 'from_buffer'}(data, chunks={chunks}, blocks={blocks}, "
           f"contiguous={contiguous}, codec={CODEC_NAMES[iv(codec)]}, clevel={clevel}, "
           f"filters={[FILTER_NAMES[iv(x)] for x in filters]}" + (f", filtersmeta={filtersmeta}" if filtersmeta else "")
           + (f", meta={meta!r}" if meta else "") + ")")
    return record(name, rel, "caterva", "caterva", how, got, source=data, lossless=lossless, notes=notes)


# ---------------------------------------------------------------------------
# The spec section 6 worked example
# ---------------------------------------------------------------------------

SPEC6_DUMP = """
0000: 9ea86232 6672616d 6500d200 0000a5cf 00000000 00000500 a4120051 02d30000
0020: 00000000 0480d300 00000000 0003d0d2 00000008 d2000000 20d20000 0080d100
0040: 01d10002 c2d80601 00000000 00010000 00000000 00000093 cd0011de 0001a462
0060: 326e64d2 0000006b dc0001c6 00000035 97000292 d3000000 00000000 0ad30000
0080: 00000000 000a92d2 00000004 d2000000 0492d200 000002d2 00000002 00db0000
00a0: 00033c66 38050135 08800000 00200000 00770000 00010000 00000001 00000000
00c0: 00000000 00300000 00410000 00520000 00640000 000d0000 001f0001 000570f0
00e0: 2426003f 40400d00 00001f00 01000570 08282a40 4040400e 0000001f 00010004
0100: 8034353e 3f404040 400f0000 001f0001 00039080 36374040 40404040 05013508
0120: 80000000 20000000 7a000000 01000000 00000100 00000000 00000000 30000000
0140: 42000000 54000000 67000000 0e000000 1f000100 04801014 2c2e4040 40400e00
0160: 00001f00 01000480 181c3031 40404040 0f000000 1f000100 03908038 39414140
0180: 4040400f 0000001f 00010003 90803a3b 42424040 40400501 35088000 00002000
01a0: 00005d00 00000100 00000000 01000000 00000000 00003000 00004200 00004600
01c0: 00005900 00000e00 00001f00 01000480 20223233 40404040 00000000 0f000000
01e0: 1f000100 0390803c 3d434340 40404000 00000005 01350880 00000020 00000084
0200: 00000001 00000000 00010000 00000000 00000030 00000045 0000005a 0000006f
0220: 00000011 0000001f 00010001 b0800080 44444949 40404040 11000000 1f000100
0240: 01b08000 8045454a 4a404040 40110000 001f0001 0001b080 80c04e4e 51514040
0260: 40401100 00001f00 010001b0 8000404f 4f525240 40404005 01350880 00000020
0280: 00000085 00000001 00000000 00010000 00000000 00000030 00000045 0000005a
02a0: 0000006f 00000011 0000001f 00010001 b0800080 46464b4b 40404040 11000000
02c0: 1f000100 01b08000 8047474c 4c404040 40110000 001f0001 0001b040 80c05050
02e0: 52524040 40401200 00001f00 010000c0 80c00040 50505353 40404040 05013508
0300: 80000000 20000000 62000000 01000000 00000100 00000000 00000000 30000000
0320: 45000000 49000000 5e000000 11000000 1f000100 01b08000 8048484d 4d404040
0340: 40000000 00110000 001f0001 0001b040 80c05151 53534040 40400000 00000501
0360: 35088000 00002000 00006300 00000100 00000000 01000000 00000000 00003000
0380: 00004500 00005b00 00005f00 00001100 00001f00 010001b0 4080c054 54565640
03a0: 40404012 0000001f 00010000 c080c000 40545457 57404040 40000000 00000000
03c0: 00050135 08800000 00200000 00630000 00010000 00000001 00000000 00000000
03e0: 00300000 00450000 005b0000 005f0000 00110000 001f0001 0001b040 80c05555
0400: 57574040 40401200 00001f00 010000c0 80c00040 55555858 40404040 00000000
0420: 00000000 05013508 80000000 20000000 51000000 01000000 00000100 00000000
0440: 00000000 30000000 45000000 49000000 4d000000 11000000 1f000100 01b04080
0460: c0565658 58404040 40000000 00000000 00000000 00050117 08480000 00480000
0480: 00680000 00000000 00000100 00000000 00000000 00000000 00000000 00770000
04a0: 00000000 00f10000 00000000 004e0100 00000000 00d20100 00000000 00570200
04c0: 00000000 00b90200 00000000 001c0300 00000000 007f0300 00000000 00940193
04e0: cd0006de 0000dc00 00ce0000 0023d800 00000000 00000000 00000000 00000000
"""


def spec6_bytes():
    out = bytearray()
    for line in SPEC6_DUMP.strip().splitlines():
        addr, hexpart = line.split(":", 1)
        assert int(addr, 16) == len(out)
        out += bytes.fromhex(hexpart.replace(" ", ""))
    assert len(out) == 1280
    return bytes(out)


def check_spec6(b2_raw, cat_raw):
    want = bytearray(spec6_bytes())
    got = bytearray(b2_raw)
    if len(got) != 1280:
        raise AssertionError(f"spec 6: python-blosc2 wrote {len(got)} B, not 1280")
    # 0x42-0x43: nthreads_d (blosc2.nthreads of the writing machine; the spec's is 2, ours 1)
    want[0x42:0x44] = got[0x42:0x44] = b"\x00\x00"
    diff = [i for i in range(1280) if want[i] != got[i]]
    if diff:
        raise AssertionError(f"spec 6: bytes differ at {[hex(i) for i in diff[:16]]}")
    # caterva's version: 1274 B, header_len 159, same streams and index, right-aligned filters
    if len(cat_raw) != 1274:
        raise AssertionError(f"spec 6: caterva wrote {len(cat_raw)} B, not 1274")
    cf = parse_frame(cat_raw)
    bf = parse_frame(b2_raw)
    if cf["header_len"] != 159 or cf["cbytes"] != bf["cbytes"] or cf["offsets"] != bf["offsets"]:
        raise AssertionError("spec 6: caterva frame layout")
    if cf["other_flags"] != 0 or cf["filters"] != [0, 0, 0, 0, 0, 1]:
        raise AssertionError("spec 6: caterva flags/filters")
    for off in bf["offsets"]:
        c = bytearray(cat_raw[159 + off:159 + off + _chunk_cbytes(cat_raw, 159 + off)])
        b = bytearray(b2_raw[165 + off:165 + off + _chunk_cbytes(b2_raw, 165 + off)])
        c[0x10:0x16] = b[0x10:0x16] = b""
        if c != b:
            raise AssertionError("spec 6: caterva chunk streams differ")
    if cat_raw[159 + cf["cbytes"]:] != b2_raw[165 + bf["cbytes"]:]:
        raise AssertionError("spec 6: caterva index/trailer differ")


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------

INT_DTYPES = ["|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8"]
STRUCT = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "S3")])


def blosc2_corpus():
    # section 6 worked example
    a = np.arange(100, dtype=np.float64).reshape(10, 10)
    e, _, b2_raw = b2_write("b2_spec6_f8_10x10", a, chunks=(4, 4), blocks=(2, 2), codec=B.LZ4, clevel=5,
                            filters=[BF.SHUFFLE], notes="spec section 6 worked example (1280 B)")
    # ndim 0
    b2_write("b2_ndim0_f8", np.array(3.5), codec=B.ZSTD)
    b2_write("b2_ndim0_i2", np.array(-1234, dtype="<i2"), codec=B.LZ4)
    # ndim 1..4 and 8, partial edge chunks and blocks, many chunk/block shapes
    geoms = [
        ((1000,), (300,), (64,)),
        ((1,), (1,), (1,)),
        ((257,), (257,), (16,)),
        ((100,), (33,), (33,)),
        ((37, 23), (10, 8), (4, 3)),
        ((10, 10), (10, 10), (10, 10)),
        ((64, 64), (32, 32), (8, 8)),
        ((5, 300), (5, 128), (1, 128)),
        ((1, 50), (1, 7), (1, 2)),
        ((7, 9, 11), (3, 4, 5), (2, 2, 2)),
        ((20, 20, 20), (10, 10, 10), (10, 10, 5)),
        ((4, 5, 6, 7), (2, 3, 4, 5), (1, 2, 2, 3)),
        ((3, 2, 4, 2, 3, 2, 2, 3), (2, 2, 3, 1, 2, 2, 1, 2), (1, 1, 2, 1, 1, 2, 1, 1)),
    ]
    codecs = [B.BLOSCLZ, B.LZ4, B.LZ4HC, B.ZLIB, B.ZSTD]
    for k, (shape, chunks, blocks) in enumerate(geoms):
        nm = f"b2_geom_{len(shape)}d_{'x'.join(map(str, shape))}"
        dt = ["<f8", "<i4", "<u2", "|i1", "<f4"][k % 5]
        b2_write(nm, make_values(nm, dt, shape), chunks=chunks, blocks=blocks, codec=codecs[k % 5])
    # every dtype
    dtypes = INT_DTYPES + ["<f4", "<f8", "|b1", "<c8", "<c16", "|S7", ">i4", ">f8", "<U3", "|S300", STRUCT]
    for k, dt in enumerate(dtypes):
        dts = np.dtype(dt).str if not isinstance(dt, np.dtype) or not dt.names else "struct"
        tag = dts.replace("<", "le").replace(">", "be").replace("|", "")
        nm = f"b2_dtype_{tag}"
        shape, chunks, blocks = ((23, 17), (10, 8), (4, 3)) if np.dtype(dt).itemsize < 64 else ((9, 5), (4, 4), (2, 2))
        b2_write(nm, make_values(nm, dt, shape), chunks=chunks, blocks=blocks, codec=codecs[k % 5])
    # every codec x filter set (3-d, partial edges)
    filter_sets = [
        ("none", [BF.NOFILTER], [0]),
        ("shuffle", [BF.SHUFFLE], [0]),
        ("bitshuffle", [BF.BITSHUFFLE], [0]),
        ("delta", [BF.DELTA], [0]),
        ("trunc", [BF.TRUNC_PREC], [20]),
        ("delta_shuffle", [BF.DELTA, BF.SHUFFLE], [0, 0]),
        ("trunc_bitshuffle", [BF.TRUNC_PREC, BF.BITSHUFFLE], [12, 0]),
        ("shuffle_bitshuffle", [BF.SHUFFLE, BF.BITSHUFFLE], [0, 0]),
        ("rightaligned_shuffle", [0, 0, 0, 0, 0, BF.SHUFFLE], [0] * 6),
    ]
    for codec in codecs:
        for k, (fname, filters, fmeta) in enumerate(filter_sets):
            nm = f"b2_{CODEC_NAMES[iv(codec)]}_{fname}"
            dt = "<f4" if "trunc" in fname and codec in (B.LZ4, B.ZLIB) else ("<f8" if (k + iv(codec)) % 2 or "trunc" in fname else "<i4")
            src_name = f"b2_codecfilter_{dt}"
            data = make_values(src_name, dt, (12, 10, 7))
            b2_write(nm, data, chunks=(5, 6, 4), blocks=(2, 3, 2), codec=codec, filters=filters, filters_meta=fmeta,
                     clevel=[5, 1, 9, 3, 6][iv(codec) % 5], lossless="trunc" not in fname)
    # DELTA over edge chunks with partial blocks: python-blosc2 4.14.1 misreads this file
    # through blosc2.open (it decodes right from memory)
    _, f, _ = b2_write("b2_delta_edge_i8", np.arange(693, dtype="<i8").reshape(7, 9, 11) * 3, chunks=(3, 4, 5),
                       blocks=(2, 2, 2), codec=B.LZ4, filters=[BF.DELTA],
                       notes="blosc2.open(path)[...] returns wrong items for this file; the frame bytes are right")
    assert ENTRIES[-1]["reference_file_read_wrong"]
    # clevel 0 (memcpyed chunks), clevel 9, split modes, one block per chunk
    data = make_values("b2_levels", "<f8", (40, 30))
    b2_write("b2_clevel0", data, chunks=(16, 16), blocks=(8, 8), codec=B.LZ4, clevel=0)
    b2_write("b2_clevel9_zstd", data, chunks=(16, 16), blocks=(8, 8), codec=B.ZSTD, clevel=9)
    b2_write("b2_split_always", data, chunks=(20, 30), blocks=(20, 30), codec=B.ZSTD,
             splitmode=blosc2.SplitMode.ALWAYS_SPLIT)
    b2_write("b2_split_never", data, chunks=(20, 30), blocks=(20, 30), codec=B.LZ4,
             splitmode=blosc2.SplitMode.NEVER_SPLIT)
    # user metalayers and vlmeta
    b2_write("b2_meta_vlmeta", make_values("b2_meta", "<i8", (15, 6)), chunks=(4, 4), blocks=(2, 2),
             meta={"m1": {"a": 1}, "units": "m/s", "arr": [1, 2, 3], "empty": {}},
             vlmeta={"info": {"x": 1, "y": "str", "nested": [1.5, None, True]}, "n": 5, "s": "h\u00e9llo",
                     "f": -2.25, "b": b"\x00\x01\xff", "big": list(range(300))})
    b2_write("b2_vlmeta_only", make_values("b2_vl", "<f4", (33,)), chunks=(10,), blocks=(5,),
             vlmeta={"description": "vlmeta without user metalayers", "version": [1, 2]})
    # many chunks: >= 10 (BloscLZ index) and exactly 9 (memcpyed index)
    big = make_values("b2_many", "<i2", (100, 100))
    e10, f10, _ = b2_write("b2_chunks100", big, chunks=(10, 10), blocks=(5, 5), codec=B.LZ4)
    assert f10["index_kind"] == "blosclz" and f10["index_chunk"]["flags"] == 0x15, f10["index_chunk"]
    e9, f9, _ = b2_write("b2_chunks9", big[:30, :30], chunks=(10, 10), blocks=(5, 5), codec=B.LZ4)
    assert f9["index_kind"] == "memcpy" and f9["index_chunk"]["flags"] == 0x17 and f9["nchunks"] == 9, f9
    e10b, f10b, _ = b2_write("b2_chunks10", big[:20, :50], chunks=(10, 10), blocks=(5, 5), codec=B.ZSTD)
    assert f10b["nchunks"] == 10
    # special constructors
    cp = dict(urlpath=None, mode="w", cparams=b2_cparams(codec=B.ZSTD), dparams=blosc2.DParams(nthreads=1))

    def special(name, ctor, *args, undefined=False, **kw):
        rel = f"{name}.b2nd"
        path = os.path.join(OUT, rel)
        arr = ctor(*args, **{**cp, "urlpath": path, **kw})
        del arr
        got = b2_read(path)
        if undefined:
            got = np.zeros(got.shape, dtype=got.dtype)
        args_desc = ", ".join(repr(a) for a in args)
        kw_desc = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        return record(name, rel, "b2nd", "blosc2", f"blosc2.{ctor.__name__}({args_desc}, {kw_desc})", got,
                      reference_undefined=undefined,
                      notes="uninit chunks: python-blosc2 returns whatever memory holds; swkas reads zeros"
                      if undefined else None)

    _, f, _ = special("b2_zeros_f8", blosc2.zeros, (30, 40), dtype="<f8", chunks=(10, 10), blocks=(5, 5))
    assert f["special"]["zeros"] == 12 and f["index_kind"] == "value"
    _, f, _ = special("b2_zeros_9chunks", blosc2.zeros, (30, 30), dtype="<i4", chunks=(10, 10), blocks=(5, 5))
    assert f["special"]["zeros"] == 9
    _, f, _ = special("b2_empty_f4", blosc2.empty, (25, 7), dtype="<f4", chunks=(5, 7), blocks=(5, 2))
    assert f["special"]["zeros"] == 5
    _, f, _ = special("b2_nans_f8", blosc2.nans, (30, 40), dtype="<f8", chunks=(10, 10), blocks=(5, 5))
    assert f["special"]["nans"] == 12 and f["index_kind"] == "value"
    _, f, _ = special("b2_nans_f4", blosc2.nans, (17,), dtype="<f4", chunks=(5,), blocks=(5,))
    assert f["special"]["nans"] == 4
    _, f, _ = special("b2_uninit_f8", blosc2.uninit, (30, 20), dtype="<f8", chunks=(10, 10), blocks=(5, 5),
                      undefined=True)
    assert f["special"]["uninit"] == 6
    _, f, _ = special("b2_full_f8", blosc2.full, (30, 40), 2.5, dtype="<f8", chunks=(10, 10), blocks=(5, 5))
    assert f["value_chunks"] == 12
    _, f, _ = special("b2_full_i2", blosc2.full, (31, 41), -7, dtype="<i2", chunks=(10, 10), blocks=(5, 5))
    assert f["value_chunks"] == 20
    _, f, _ = special("b2_full_S3", blosc2.full, (6, 5), b"abc", chunks=(4, 4), blocks=(2, 2))
    # zeros, then some chunks written (mix of special and regular chunks)
    path = os.path.join(OUT, "b2_zeros_partial.b2nd")
    z = blosc2.zeros((30, 40), dtype="<f8", chunks=(10, 10), blocks=(5, 5), **{**cp, "urlpath": path})
    z[3:17, 12:25] = make_values("b2_zp", "<f8", (14, 13))
    z[25:30, 35:40] = np.nan
    del z
    _, f, _ = record("b2_zeros_partial", "b2_zeros_partial.b2nd", "b2nd", "blosc2",
                     "blosc2.zeros((30,40), chunks=(10,10), blocks=(5,5)); o[3:17,12:25] = data; o[25:,35:] = nan",
                     b2_read(path))
    assert f["special"]["zeros"] == 7 and f["nchunks"] == 12
    # resized by python-blosc2
    path = os.path.join(OUT, "b2_resized.b2nd")
    r = blosc2.asarray(make_values("b2_resized", "<i4", (20, 30)), chunks=(7, 8), blocks=(3, 4),
                       **{**cp, "urlpath": path})
    r.resize((25, 17))
    r[20:25, 0:17] = 5
    r.resize((33, 40))
    del r
    record("b2_resized", "b2_resized.b2nd", "b2nd", "blosc2",
           "asarray((20,30), chunks=(7,8), blocks=(3,4)); resize((25,17)); o[20:25,:17]=5; resize((33,40))",
           b2_read(path))
    # updated in place (reopened, chunks grow, shrink, become special, special become regular)
    path = os.path.join(OUT, "b2_updated.b2nd")
    base = make_values("b2_updated", "<f8", (40, 30))
    base[10:20, :] = 0
    blosc2.asarray(base, chunks=(10, 10), blocks=(5, 5), **{**cp, "urlpath": path})
    u = blosc2.open(path, mode="a")
    rng = rng_for("b2_updated_writes")
    u[10:20, 10:20] = rng.normal(size=(10, 10))  # special -> regular (appended)
    u[0:10, 0:10] = 1.0  # regular -> smaller
    u[30:40, 20:30] = 0.0  # regular -> special
    u[0:10, 20:30] = rng.normal(size=(10, 10)) * 1e6  # regular -> larger (later chunks move)
    for _ in range(40):
        i, j = rng.integers(0, 40), rng.integers(0, 30)
        u[i, j] = float(rng.integers(-100, 100))
    del u
    _, f, _ = record("b2_updated", "b2_updated.b2nd", "b2nd", "blosc2",
                     "asarray((40,30), chunks=(10,10), blocks=(5,5)); reopen mode='a'; region and element writes",
                     b2_read(path), notes="frame updated in place by c-blosc2: chunks out of order")
    assert f["moved"], f["offsets"]
    # zero-size array
    path = os.path.join(OUT, "b2_zerosize_0x5.b2nd")
    blosc2.zeros((0, 5), dtype="<f8", **{**cp, "urlpath": path})
    _, f, _ = record("b2_zerosize_0x5", "b2_zerosize_0x5.b2nd", "b2nd", "blosc2", "blosc2.zeros((0, 5))",
                     np.zeros((0, 5)))
    assert f["nchunks"] == 0
    return b2_raw


def caterva_corpus():
    a = np.arange(100, dtype=np.float64).reshape(10, 10)
    _, _, cat_raw = cat_write("cat_spec6_f8_10x10", a, chunks=(4, 4), blocks=(2, 2),
                              notes="the caterva version of the spec section 6 example (1274 B)")
    cat_write("cat_sparse_spec6_f8_10x10", a, chunks=(4, 4), blocks=(2, 2), contiguous=False)
    codecs = [CC.BLOSCLZ, CC.LZ4, CC.LZ4HC, CC.ZLIB, CC.ZSTD]
    geoms = [
        ((1000,), (300,), (64,)),
        ((37, 23), (10, 8), (4, 3)),
        ((7, 9, 11), (3, 4, 5), (2, 2, 2)),
        ((4, 5, 6, 7), (2, 3, 4, 5), (1, 2, 2, 3)),
        ((3, 2, 4, 2, 3, 2, 2, 3), (2, 2, 3, 1, 2, 2, 1, 2), (1, 1, 2, 1, 1, 2, 1, 1)),
    ]
    for k, (shape, chunks, blocks) in enumerate(geoms):
        for contiguous in (True, False):
            nm = f"cat_{'' if contiguous else 'sparse_'}geom_{len(shape)}d"
            dt = ["<f8", "<i4", "<u2", "|i1", "<c16"][k]
            cat_write(nm, make_values(f"cat_geom_{k}", dt, shape), chunks=chunks, blocks=blocks,
                      contiguous=contiguous, codec=codecs[(k + contiguous) % 5])
    # itemsizes (caterva keeps no dtype)
    for k, dt in enumerate(["|u1", "<i2", "<f4", "<i8", "<c16", "|S3", "|b1"]):
        nm = f"cat_itemsize{np.dtype(dt).itemsize}_{np.dtype(dt).kind}"
        cat_write(nm, make_values(nm, dt, (19, 11)), chunks=(8, 5), blocks=(3, 2), contiguous=bool(k % 2),
                  codec=codecs[k % 5], itemsize=np.dtype(dt).itemsize if k % 3 == 0 else None)
    # every codec, every filter
    data = make_values("cat_cf", "<f8", (12, 10, 7))
    for codec in codecs:
        cat_write(f"cat_{CODEC_NAMES[iv(codec)]}_shuffle", data, chunks=(5, 6, 4), blocks=(2, 3, 2), codec=codec,
                  contiguous=iv(codec) % 2 == 0)
    fsets = [("none", [CF.NOFILTER], None), ("bitshuffle", [CF.BITSHUFFLE], None), ("delta", [CF.DELTA], None),
             ("trunc", [CF.TRUNC_PREC], [15]), ("delta_shuffle", [CF.DELTA, CF.SHUFFLE], None),
             ("trunc_bitshuffle", [CF.TRUNC_PREC, CF.BITSHUFFLE], [10, 0])]
    for k, (fname, filters, fmeta) in enumerate(fsets):
        cat_write(f"cat_{'sparse_' if k % 2 else ''}lz4_{fname}", data, chunks=(5, 6, 4), blocks=(2, 3, 2),
                  filters=filters, filtersmeta=fmeta, contiguous=not k % 2, codec=codecs[k % 5],
                  lossless="trunc" not in fname)
    # user metalayers
    cat_write("cat_meta", make_values("cat_meta", "<i4", (15, 6)), chunks=(4, 4), blocks=(2, 2),
              meta={"m1": b"abc", "bin": bytes(range(16)), "packed": msgpack.packb({"a": 1})})
    cat_write("cat_sparse_meta", make_values("cat_meta", "<i4", (15, 6)), chunks=(4, 4), blocks=(2, 2),
              contiguous=False, meta={"m1": b"abc"})
    # many chunks / 9 chunks
    big = make_values("cat_many", "<i2", (100, 100))
    _, f, _ = cat_write("cat_chunks100", big, chunks=(10, 10), blocks=(5, 5))
    assert f["index_kind"] == "blosclz", f["index_chunk"]
    _, f, _ = cat_write("cat_chunks9", big[:30, :30], chunks=(10, 10), blocks=(5, 5))
    assert f["index_kind"] == "memcpy" and f["nchunks"] == 9
    cat_write("cat_sparse_chunks100", big, chunks=(10, 10), blocks=(5, 5), contiguous=False)

    # constructors: empty, zeros, full
    def ctor(name, fn, *args, contiguous=True, **kw):
        rel = f"{name}.cat"
        path = os.path.join(OUT, rel)
        fn(*args, urlpath=path, contiguous=contiguous, nthreads=1, **kw)
        back = caterva.open(path)
        got = np.frombuffer(back.to_buffer(), dtype=f"S{back.itemsize}").reshape(back.shape)
        return record(name, rel, "caterva", "caterva", f"caterva.{fn.__name__}{args!r} {kw!r}", got)

    _, f, _ = ctor("cat_empty", caterva.empty, (30, 40), 8, chunks=(10, 10), blocks=(5, 5))
    assert f["special"]["zeros"] == 12
    _, f, _ = ctor("cat_zeros", caterva.zeros, (30, 30), 4, chunks=(10, 10), blocks=(5, 5))
    assert f["special"]["zeros"] == 9
    ctor("cat_sparse_zeros", caterva.zeros, (30, 40), 2, chunks=(10, 10), blocks=(5, 5), contiguous=False)
    _, f, _ = ctor("cat_full", caterva.full, (31, 41), b"\x01\x02\x03", chunks=(10, 10), blocks=(5, 5))
    assert f["value_chunks"] == 20
    ctor("cat_sparse_full", caterva.full, (17, 9), struct.pack("<d", 2.5), chunks=(5, 5), blocks=(5, 5),
         contiguous=False)
    ctor("cat_zerosize_0x5", caterva.zeros, (0, 5), 8, chunks=(0, 5), blocks=(0, 5))
    # resized and updated in place by caterva
    path = os.path.join(OUT, "cat_resized.cat")
    c = caterva.asarray(make_values("cat_resized", "<i4", (10, 7)), chunks=(4, 4), blocks=(2, 2), urlpath=path,
                        contiguous=True, nthreads=1)
    c.resize((12, 9))
    c.resize((6, 13))
    del c
    back = caterva.open(path)
    record("cat_resized", "cat_resized.cat", "caterva", "caterva",
           "caterva.asarray((10,7) i4, chunks=(4,4), blocks=(2,2)); resize((12,9)); resize((6,13))",
           np.frombuffer(back.to_buffer(), dtype="<i4").reshape(back.shape))
    path = os.path.join(OUT, "cat_updated.cat")
    base = make_values("cat_updated", "<f8", (40, 30))
    caterva.asarray(base, chunks=(10, 10), blocks=(5, 5), urlpath=path, contiguous=True, nthreads=1)
    u = caterva.open(path)
    rng = rng_for("cat_updated_writes")
    u[0:10, 0:10] = np.ones((10, 10))
    u[0:10, 20:30] = rng.normal(size=(10, 10)) * 1e6
    u[30:40, 20:30] = np.zeros((10, 10))
    u[10:20, 10:20] = rng.normal(size=(10, 10))
    del u
    back = caterva.open(path)
    _, f, _ = record("cat_updated", "cat_updated.cat", "caterva", "caterva",
                     "caterva.asarray((40,30) f8, chunks=(10,10), blocks=(5,5)); reopen; region writes",
                     np.frombuffer(back.to_buffer(), dtype="<f8").reshape(back.shape))
    return cat_raw


def check_coverage():
    b2 = [e for e in ENTRIES if e["kind"] == "b2nd"]
    cat = [e for e in ENTRIES if e["kind"] != "b2nd"]
    assert {e["ndim"] for e in b2} >= {0, 1, 2, 3, 4, 8}
    assert {e["ndim"] for e in cat} >= {1, 2, 3, 4, 8}
    assert {e["codec"] for e in b2} == {0, 1, 2, 4, 5} == {e["codec"] for e in cat}
    for entries in (b2, cat):
        assert {f for e in entries for f in e["filters"]} == {0, 1, 2, 3, 4}
        assert {e["index_kind"] for e in entries} >= {"memcpy", "blosclz", "value", None}
        assert any(e["moved_chunks"] for e in entries)
        assert any(e["value_chunks"] for e in entries)
        assert any(e["special_chunks"]["zeros"] for e in entries)
        assert any(e["shape"] and 0 in e["shape"] for e in entries)
    assert any(e["special_chunks"]["nans"] for e in b2) and any(e["special_chunks"]["uninit"] for e in b2)
    assert {e["kind"] for e in cat} == {"caterva", "caterva-sparse"}
    want = set(INT_DTYPES) | {"<f4", "<f8", "|b1", "<c8", "<c16", "|S7", ">i4"}
    assert want <= {e["dtype"] for e in b2}
    assert any(e["dtype"].startswith("[") for e in b2)
    assert any(len(e["meta"]) > 1 for e in b2) and any(e["vlmeta"] for e in b2)
    assert any(len(e["meta"]) > 1 for e in cat)
    assert any(any(s % c for s, c in zip(e["shape"], e["chunks"]) if c) for e in b2)
    assert any(any(c % b for c, b in zip(e["chunks"], e["blocks"]) if b) for e in b2)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(VALUES)
    b2_raw = blosc2_corpus()
    cat_raw = caterva_corpus()
    check_spec6(b2_raw, cat_raw)
    check_coverage()
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    manifest = {
        "generator": "test-data/b2nd/make_golden.py",
        "reference": {"blosc2": blosc2.__version__, "c-blosc2": blosc2.blosclib_version,
                      "caterva": caterva.__version__, "numpy": np.__version__, "msgpack": msgpack.version},
        "files": ENTRIES,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        fh.write('{"generator": %s,\n "reference": %s,\n "files": [\n' % (
            json.dumps(manifest["generator"]), json.dumps(manifest["reference"])))
        fh.write(",\n".join("  " + json.dumps(e, sort_keys=False) for e in ENTRIES))
        fh.write("\n ]}\n")
    total += os.path.getsize(os.path.join(OUT, "manifest.json"))
    print(f"{len(ENTRIES)} files ({sum(e['kind'] == 'b2nd' for e in ENTRIES)} b2nd, "
          f"{sum(e['kind'] == 'caterva' for e in ENTRIES)} caterva contiguous, "
          f"{sum(e['kind'] == 'caterva-sparse' for e in ENTRIES)} caterva sparse), "
          f"{len(_VALUE_FILES)} value files, {total} bytes in total")
    if total > 4_000_000:
        raise SystemExit("corpus larger than 4 MB")


if __name__ == "__main__":
    main()
