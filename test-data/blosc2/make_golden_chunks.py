#!/usr/bin/env python3
"""Generate the golden Blosc2 chunk corpus (test-data/blosc2/chunks/).

Every chunk is written by the reference implementation: python-blosc2
4.14.1 (bundling c-blosc2 3.3.5) for Blosc2 (version 5) chunks, and
numcodecs 0.16.6 (bundling c-blosc 1.21) for Blosc1 (version 2) chunks.
No reference source code is used or stored here.

Outputs (in chunks/ next to this script):
  NNNN_<label>.chunk   one chunk per file, exactly cbytes long
  inputs/<name>.bin    the raw inputs / expected decoded bytes, stored once
  manifest.json        one entry per chunk (see README.md)

The script checks, for every chunk, that the reference decodes it to the
expected bytes (blosc2.decompress2 with nthreads=1; numcodecs as well for
version-2 chunks), and runs the spec-only parser of check_chunks.py over it.
A handful of chunks that c-blosc2 writes but cannot read back are kept with
"reference_decodes": false.

Deterministic: all data comes from seeded generators and compression runs
with one thread, so a second run rewrites identical files.

Requirements: Python 3.11, numpy, blosc2==4.14.1, numcodecs==0.16.6
(optional for check_chunks.py: lz4, zstandard).

Usage: python3 test-data/blosc2/make_golden_chunks.py
"""

import hashlib
import json
import os
import random
import shutil
import struct
import sys
import zlib

import numpy as np

import blosc2
import numcodecs
from numcodecs import blosc as ncblosc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to the corpus
sys.path.insert(0, HERE)
import check_chunks  # noqa: E402  (spec-only parser, same directory)

OUT = os.path.join(HERE, "chunks")
INPUTS = os.path.join(OUT, "inputs")

blosc2.set_nthreads(1)
ncblosc.set_nthreads(1)
ncblosc.use_threads = False

C = blosc2.Codec
F = blosc2.Filter
SM = blosc2.SplitMode
CODECS = [0, 1, 2, 4, 5]
CODEC_NAMES = {0: "BLOSCLZ", 1: "LZ4", 2: "LZ4HC", 4: "ZLIB", 5: "ZSTD"}
SPLIT_NAMES = {1: "ALWAYS", 2: "NEVER", 3: "AUTO", 4: "FORWARD_COMPAT"}
FILTER_NAMES = {0: "none", 1: "shuffle", 2: "bitshuffle", 3: "delta", 4: "trunc"}
TYPESIZES = [1, 2, 3, 4, 8, 12, 16]
LARGE = 196608  # 192 KiB: a multiple of 1, 2, 3, 4, 8, 12 and 16
SIZES = [0, 1, 7, 31, 32, 33, 100, 4101, LARGE]

# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

TS_FREE_KINDS = {"zeros", "random", "far"}


def _seed(*parts):
    return zlib.crc32("/".join(str(p) for p in parts).encode())


def _elements_to_bytes(vals, ts):
    """int64 element values -> ts-byte little-endian elements (sign-extended)."""
    v = np.asarray(vals, dtype=np.int64)
    b8 = v.astype("<i8").view(np.uint8).reshape(-1, 8)
    if ts <= 8:
        return b8[:, :ts].tobytes()
    ext = np.where(v < 0, 0xFF, 0x00).astype(np.uint8)[:, None].repeat(ts - 8, axis=1)
    return np.concatenate([b8, ext], axis=1).tobytes()


def make_data(kind, n, ts):
    rng = np.random.default_rng(_seed(kind, n, 0 if kind in TS_FREE_KINDS else ts))
    if n == 0:
        return b""
    cnt = -(-n // ts) if ts else n
    if kind == "zeros":
        return bytes(n)
    if kind == "random":
        return rng.bytes(n)
    if kind == "far":
        # A random 10000-byte segment repeated: BloscLZ far matches (distance > 8191).
        seg = rng.bytes(10000)
        return (seg * (n // 10000 + 1))[:n]
    if kind == "const":
        el = bytes(((0x11 * (k + 1)) + 3) & 0xFF for k in range(ts))
        return (el * cnt)[:n]
    if kind == "runs":
        out = []
        total = 0
        while total < cnt:
            ln = int(rng.integers(1, 300))
            out.append(np.full(ln, int(rng.integers(-40, 40)) * 1000 + int(rng.integers(0, 3)), np.int64))
            total += ln
        return _elements_to_bytes(np.concatenate(out)[:cnt], ts)[:n]
    if kind == "lowent":
        return _elements_to_bytes(rng.integers(0, 16, cnt), ts)[:n]
    if kind == "walk":
        steps = rng.integers(-3, 4, cnt).astype(np.int64)
        return _elements_to_bytes(np.cumsum(steps) + 1000000, ts)[:n]
    if kind == "smooth":
        if ts == 2:
            a = np.linspace(-1, 1, cnt, dtype=np.float16)
        elif ts == 4:
            a = np.linspace(0, 100, cnt, dtype=np.float32)
        elif ts == 8:
            a = np.linspace(-5, 5, cnt, dtype=np.float64)
        else:
            return _elements_to_bytes(np.arange(cnt) * 3 + 7, ts)[:n]
        return a.tobytes()[:n]
    if kind == "mixed":
        # byte 0 random (raw stream), byte 1 constant (run stream),
        # byte 2 slow ramp (codec stream), the rest zero (csize 0 streams).
        a = np.zeros((cnt, ts), np.uint8)
        a[:, 0] = rng.integers(0, 256, cnt)
        if ts > 1:
            a[:, 1] = 0x5A
        if ts > 2:
            a[:, 2] = (np.arange(cnt) // 37) & 0xFF
        return a.tobytes()[:n]
    if kind == "offsets":
        # int64 offsets as in a frame index (cumulative chunk sizes).
        return np.cumsum(rng.integers(100, 5000, cnt)).astype("<i8").tobytes()[:n]
    raise ValueError(kind)


KIND_FOR_TS = ["walk", "smooth", "runs", "lowent", "const", "mixed", "random", "zeros", "far"]


class Corpus:
    def __init__(self):
        self.entries = []
        self.inputs = {}  # name -> bytes
        self.by_content = {}  # sha -> name
        self.counter = 0

    def add_input(self, name, data):
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        if sha in self.by_content:
            return self.by_content[sha]
        if name in self.inputs:
            raise RuntimeError("input name clash " + name)
        self.inputs[name] = data
        self.by_content[sha] = name
        return name

    def input_for(self, kind, n, ts):
        data = make_data(kind, n, ts)
        name = "%s_n%d" % (kind, n) if kind in TS_FREE_KINDS else "%s_ts%d_n%d" % (kind, ts, n)
        return self.add_input("inputs/%s.bin" % name, data), data

    def add_chunk(self, label, chunk, entry, expected, reference_decodes=True):
        chunk = bytes(chunk)
        self.counter += 1
        fname = "%04d_%s.chunk" % (self.counter, label)
        if reference_decodes:
            h, s = check_chunks.analyze(chunk)  # spec-only parse; raises on violations
        else:
            h = check_chunks.parse_header(chunk)
            try:
                mine, _, s = check_chunks.decode(chunk)
                verdict = "decodes (%s)" % ("== input" if mine == expected else "!= input")
            except check_chunks.ChunkError as err:
                s, mine, verdict = None, None, "reject: %s" % err
        if reference_decodes:
            got = blosc2.decompress2(chunk, nthreads=1)
            if expected is not None:
                assert got == expected, "reference decode mismatch for " + fname
            else:
                assert len(got) == h["nbytes"]
        else:
            try:
                got = blosc2.decompress2(chunk, nthreads=1)
                result = "correct bytes" if got == expected else "wrong bytes, no error"
            except (ValueError, RuntimeError):
                got, result = None, "error"
            entry = dict(entry, reference_result=result)
            assert not h["memcpyed"], fname
            if result == "wrong bytes, no error":
                if mine is not None:
                    # DELTA tail case: deterministic, and the spec decoder reproduces it.
                    entry["reference_output"] = self.add_input("inputs/refout_%04d.bin" % self.counter, got)
                    verdict += ", == reference output" if mine == got else ", != reference output"
            if mine is None and result != "error":
                # c-blosc2 reads past what it wrote: the output is not reproducible.
                entry["reference_result"] = "no error, output garbled (not reproducible)"
            entry["spec_decoder"] = verdict
        e = {"file": fname}
        e.update(entry)
        e["header"] = check_chunks._hdr_subset(h)
        e["header"]["special_name"] = h["special_name"]
        e["structure"] = None if s is None else {
            "kind": s["kind"],
            "nblocks": s["nblocks"],
            "leftover": s["leftover"],
            "split": (not h["dont_split"]) if s["kind"] == "regular" else None,
            "streams": dict(sorted(s["streams"].items())),
        }
        e["reference_decodes"] = reference_decodes
        e["sha256"] = hashlib.sha256(chunk).hexdigest()
        self.entries.append((fname, chunk, e))
        return e

    # ---- producers ------------------------------------------------------

    def compress2(self, kind, n, ts, codec, clevel, filters, filters_meta=None, blocksize=0,
                  splitmode=3, notes="", label=None, expect_broken=False):
        filters = list(filters) + [0] * (6 - len(filters))
        filters_meta = list(filters_meta or [0] * 6) + [0] * (6 - len(filters_meta or [0] * 6))
        in_name, data = self.input_for(kind, n, ts)
        chunk = blosc2.compress2(data, codec=C(codec), clevel=clevel, typesize=ts,
                                 filters=[F(f) for f in filters], filters_meta=filters_meta,
                                 blocksize=blocksize, splitmode=SM(splitmode), nthreads=1)
        expected = data
        exp_name = None
        if 4 in filters and n and not check_chunks.parse_header(chunk)["memcpyed"]:
            slot = filters.index(4)
            expected = check_chunks.trunc_prec(data, ts, filters_meta[slot] & 0xFF)
            exp_name = self.add_input("inputs/%s_trunc%d.bin" % (in_name[7:-4], filters_meta[slot]), expected)
        flab = "+".join(FILTER_NAMES[f] for f in filters if f) or "none"
        if label is None:
            label = "%s_%s_ts%d_%s_n%d_cl%d_%s%s" % (
                CODEC_NAMES[codec].lower(), flab, ts, kind, n, clevel, SPLIT_NAMES[splitmode].lower(),
                "_bs%d" % blocksize if blocksize else "")
        entry = {
            "origin": "compress2",
            "input": in_name,
            "codec": codec,
            "codec_name": CODEC_NAMES[codec],
            "clevel": clevel,
            "typesize": ts,
            "filters": filters,
            "filters_meta": filters_meta,
            "blocksize": blocksize,
            "splitmode": splitmode,
            "data_kind": kind,
            "notes": notes,
        }
        if exp_name:
            entry["expected"] = exp_name
            entry["notes"] = (notes + " " if notes else "") + "TRUNC_PREC is lossy: decodes to 'expected' (spec 3.4)."
        return self.add_chunk(label, chunk, entry, expected, reference_decodes=not expect_broken)


# --------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------

FILTERSETS = [
    # (filters, filters_meta, typesizes allowed or None)
    ([0], [0], None),
    ([1], [0], None),
    ([0, 0, 0, 0, 0, 1], [0], None),
    ([2], [0], None),
    ([3], [0], None),
    ([1, 2], [0], None),
    ([2, 1], [0], None),
    ([3, 1], [0], None),
    ([1, 3], [0], None),
    ([4, 1], [10, 0], (4, 8)),
    ([4], [-3, 0], (4, 8)),  # p = -3, stored as two's complement 0xfd
    ([1], [2], (4, 8, 16)),  # SHUFFLE with meta: 2-byte groups
]


def build(cp):
    rnd = random.Random(20240917)

    # A. codec x filter set x typesize grid, other parameters drawn deterministically.
    grid_sizes = [100, 4101, 4101, 4101, 33, 12000, 4101, 100]
    grid_kinds = ["walk", "smooth", "runs", "lowent", "const", "mixed", "walk", "smooth", "lowent", "random"]
    for codec in CODECS:
        for fl, fm, tss in FILTERSETS:
            for ts in (tss or TYPESIZES):
                n = rnd.choice(grid_sizes)
                kind = rnd.choice(grid_kinds)
                if n == LARGE and kind in ("random", "far", "mixed"):
                    kind = "walk"
                if 4 in fl and kind in ("runs", "const", "far", "mixed"):
                    kind = "smooth"
                clevel = rnd.choice([1, 5, 9, 5, 1, 9, 3, 0])
                split = rnd.choice([3, 3, 1, 2, 1, 2, 4])
                bs = rnd.choice([0, 0, 0, 64 * ts, 100 * ts, 333 * ts, 1024 * ts])
                if n == LARGE and bs and bs < 4096:
                    bs = 0
                if 3 in fl:
                    n -= n % check_chunks.delta_width(ts)  # DELTA on a partial unit is broken upstream (set L)
                if 4 in fl:
                    n -= n % ts  # TRUNC_PREC garbles a trailing partial element upstream
                if bs >= n and n % ts:
                    bs = 0  # c-blosc2 would store blocksize = nbytes, not a multiple of ts: broken chunk
                cp.compress2(kind, n, ts, codec, clevel, fl, fm, bs, split,
                             notes="grid: codec x filters x typesize")

    # B. codec x clevel x splitmode on one compressible input (walk, f8-like, 32792 B).
    for codec in CODECS:
        for clevel in (0, 1, 5, 9):
            for split in ((1, 2, 3) if clevel else (CODECS.index(codec) % 3 + 1,)):
                cp.compress2("walk", 32792, 8, codec, clevel, [0, 0, 0, 0, 0, 1], None, 0, split,
                             notes="codec x clevel x splitmode, default filters (right-aligned SHUFFLE)")
        cp.compress2("walk", 32792, 8, codec, 5, [0, 0, 0, 0, 0, 1], None, 0, 4,
                     notes="FORWARD_COMPAT_SPLIT (behaves as AUTO)")

    # C. codec x every size class (default filters), typesize and kind rotating.
    kinds_c = ["walk", "smooth", "runs", "lowent", "mixed", "const", "random", "walk", "smooth"]
    for ci, codec in enumerate(CODECS):
        for si, n in enumerate(SIZES):
            ts = TYPESIZES[(ci + si) % len(TYPESIZES)]
            kind = kinds_c[(ci * 2 + si) % len(kinds_c)]
            if n == LARGE:
                kind, ts = ("smooth", 8) if ci % 2 else ("walk", 4)
            cp.compress2(kind, n, ts, codec, [5, 1, 9, 5, 1][ci], [1], None, 0, [3, 1, 2, 3, 1][ci],
                         notes="size class %d" % n)

    # D. Stream encodings: zero / run / raw / codec streams in one split block, per codec;
    #    plus all-zero input (a zeros special chunk from compress2) and constant input.
    for codec in CODECS:
        cp.compress2("mixed", 8192, 8, codec, 5, [1], None, 4096, 1,
                     notes="ALWAYS_SPLIT, ts 8 planes: random (raw), 0x5A (run), ramp (codec), zero (csize 0)")
        cp.compress2("mixed", 8200, 4, codec, 9, [1], None, 2048, 2,
                     notes="NEVER_SPLIT, leftover block of 8 bytes")
        cp.compress2("zeros", 4101, 1, codec, 5, [1], None, 0, 3,
                     notes="all-zero input: compress2 writes a zeros special chunk (kind 1) with stale codec/split flags")
        cp.compress2("const", 4104, 4, codec, 5, [1], None, 1024, 1,
                     notes="constant elements: every stream is a run (negative csize + token)")
        cp.compress2("random", 4101, 1, codec, 5, [0], None, 0, 3,
                     notes="incompressible: memcpyed with stale codec bits")
        cp.compress2("random", 4096, 8, codec, 9, [1], None, 1024, 1,
                     notes="incompressible, split: memcpyed")
        cp.compress2("walk", 4101, 4, codec, 0, [1], None, 0, 3, notes="clevel 0: memcpyed")

    # E. Blocksize not dividing nbytes, leftover blocks, non-multiple nbytes of typesize.
    for i, (ts, n, bs) in enumerate([(1, 4101, 1000), (2, 4101, 1024), (3, 4101, 999), (4, 4101, 1024),
                                     (8, 4101, 512), (12, 4101, 1200), (16, 4101, 1024), (8, 100, 0),
                                     (3, 100, 0), (16, 100, 0), (4, 20000, 4096), (8, 20003, 8192)]):
        codec = CODECS[i % 5]
        cp.compress2(["walk", "smooth", "lowent"][i % 3], n, ts, codec, 5, [1], None, bs, [3, 1, 2][i % 3],
                     notes="leftover block / nbytes not a multiple of typesize")

    # F. DELTA across several blocks (block 0 as the reference), in different slots.
    for i, (fl, ts) in enumerate([([3], 1), ([3], 2), ([3], 3), ([3], 4), ([3], 8), ([3], 12), ([3], 16),
                                  ([1, 3], 4), ([3, 1], 8), ([3, 2], 4), ([2, 3], 8), ([3, 1], 12),
                                  ([0, 0, 0, 0, 3, 1], 8), ([1, 3], 16)]):
        codec = CODECS[i % 5]
        cp.compress2(["walk", "smooth", "runs"][i % 3], 4104 if i % 2 else 8192, ts, codec, [5, 9, 1][i % 3],
                     fl, None, 256 * ts, [1, 2, 3][i % 3], notes="DELTA over several blocks")

    # G. BloscLZ stress: far matches, long runs (extended lengths), big blocks.
    cp.compress2("far", 65536, 1, 0, 9, [0], None, 65536, 2, notes="BloscLZ far matches (distance 10000)")
    cp.compress2("far", 40000, 1, 0, 5, [0], None, 0, 3, notes="BloscLZ far matches")
    cp.compress2("runs", 40000, 1, 0, 9, [0], None, 0, 2, notes="BloscLZ long matches (extended lengths)")
    cp.compress2("runs", 40000, 2, 0, 1, [2], None, 0, 2, notes="BloscLZ clevel 1 bitshuffled runs")
    cp.compress2("smooth", LARGE, 8, 0, 9, [1], None, 0, 2, notes="BloscLZ large, NEVER_SPLIT")

    # H. Index-style chunks: int64 offsets, BloscLZ clevel 5, ts 8, slot-5 SHUFFLE,
    #    NEVER_SPLIT, 16 KiB blocks (what c-blosc2 uses for the frame index).
    for nchunks in (1, 3, 9, 10, 50, 100, 1000, 2048, 2500, 5000):
        cp.compress2("offsets", 8 * nchunks, 8, 0, 5, [0, 0, 0, 0, 0, 1], None, 16384, 2,
                     notes="index-style chunk for %d chunks" % nchunks,
                     label="index_style_blosclz_%dchunks" % nchunks)
    add_frame_indexes(cp)

    # I. Special chunks from SChunk.fill_special / NDArray constructors.
    add_specials(cp)

    # J. Blosc1-API of python-blosc2 (blosc2.compress) still writes version-5 chunks.
    for codec, filt, ts in ((1, 1, 4), (0, 2, 8), (5, 0, 2), (4, 1, 12)):
        in_name, data = cp.input_for("walk", 4104, ts)
        chunk = blosc2.compress(data, typesize=ts, clevel=5, filter=F(filt), codec=C(codec))
        cp.add_chunk("blosc1api_%s_%s_ts%d" % (CODEC_NAMES[codec].lower(), FILTER_NAMES[filt], ts), chunk, {
            "origin": "blosc2.compress", "input": in_name, "codec": codec, "codec_name": CODEC_NAMES[codec],
            "clevel": 5, "typesize": ts, "filters": [0, 0, 0, 0, 0, filt], "filters_meta": [0] * 6,
            "blocksize": 0, "splitmode": 3, "data_kind": "walk",
            "notes": "blosc2.compress (Blosc1-style API): version-5 chunk, filter in slot 5"}, data)

    # K. Version-2 (Blosc1) chunks from numcodecs.
    add_blosc1(cp)

    # L. Chunks python-blosc2 writes although their header blocksize is not a multiple of the
    #    typesize. c-blosc2 then fails to decode them or silently returns wrong bytes; a reader
    #    following the spec rejects them (non-exact stream division or short codec output).
    for kind, n, ts, codec, fl, bs, split in (
            ("walk", 20000, 4, 0, [1], 1001, 3),   # explicit blocksize % ts != 0
            ("walk", 20000, 4, 1, [1], 4097, 3),
            ("lowent", 20000, 4, 5, [1], 33, 3),
            ("walk", 4101, 16, 0, [0], 16384, 2),  # blocksize >= nbytes, nbytes % ts != 0: no split
            ("walk", 4101, 2, 0, [1], 16384, 1),   # same, split: wrong bytes, no error
            ("walk", 4103, 3, 5, [0], 65536, 1),   # same; c-blosc2 happened to return the right bytes
            ("walk", 4101, 2, 5, [3], 0, 3),       # DELTA, nbytes % ts != 0: last partial unit garbled
            ("walk", 4103, 4, 5, [3], 1024, 1),
            ("walk", 4101, 8, 0, [1, 3], 1024, 2),
    ):
        cp.compress2(kind, n, ts, codec, 5, fl, None, bs, split, expect_broken=True,
                     label="broken_%s_ts%d_n%d_bs%d_%s" % (CODEC_NAMES[codec].lower(), ts, n, bs,
                                                           SPLIT_NAMES[split].lower()),
                     notes=("DELTA with nbytes %% delta width != 0: the trailing partial unit does not "
                            "round-trip (the spec decoder reproduces c-blosc2's output)" if 3 in fl else
                            "header blocksize %% typesize != 0 (requested %d for nbytes %d): python-blosc2 "
                            "writes it but it is not a valid chunk" % (bs, n)))


def add_frame_indexes(cp):
    """Real index chunks, cut out of cframes written by python-blosc2 (spec 4.1, 4.4, 4.6)."""
    cases = [(9, "walk"), (10, "walk"), (100, "walk"), (3000, "walk"), (12, "zeros"), (5, "value")]
    for nch, kind in cases:
        cpar = blosc2.CParams(typesize=8, nthreads=1, codec=C.LZ4, clevel=5)
        s = blosc2.SChunk(chunksize=64, cparams=cpar, contiguous=True)
        if kind == "zeros":
            s.fill_special(8 * nch, blosc2.SpecialValue.ZERO)
        elif kind == "value":
            s.fill_special(8 * nch, blosc2.SpecialValue.VALUE, value=7.0)
        else:
            data = make_data("walk", 64 * nch, 8)
            for i in range(nch):
                s.append_data(data[64 * i:64 * (i + 1)])
        frame = s.to_cframe()
        header_len = struct.unpack_from(">i", frame, 0x0B)[0]
        frame_len = struct.unpack_from(">Q", frame, 0x10)[0]
        cbytes = struct.unpack_from(">q", frame, 0x27)[0]
        trailer_len = struct.unpack_from(">I", frame, frame_len - 22)[0]
        idx = frame[header_len + cbytes:frame_len - trailer_len]
        dec = blosc2.decompress2(idx, nthreads=1)
        assert len(dec) == 8 * s.nchunks
        in_name = cp.add_input("inputs/frame_index_%s_%dchunks.bin" % (kind, s.nchunks), dec)
        cp.add_chunk("frame_index_%s_%dchunks" % (kind, s.nchunks), idx, {
            "origin": "cframe-index", "input": in_name, "codec": 0, "codec_name": "BLOSCLZ", "clevel": 5,
            "typesize": 8, "filters": [0, 0, 0, 0, 0, 1], "filters_meta": [0] * 6, "blocksize": 16384,
            "splitmode": 2, "data_kind": "frame-index",
            "notes": "index chunk cut from SChunk(%d chunks of %s).to_cframe(); parameters are c-blosc2's "
                     "internal ones (spec 4.4), not requested" % (s.nchunks, kind)}, dec)


def add_specials(cp):
    SV = blosc2.SpecialValue
    cases = [
        ("zeros", SV.ZERO, None, 4, 1000, 2500),
        ("zeros", SV.ZERO, None, 8, 1000, 1000),
        ("zeros", SV.ZERO, None, 1, 333, 333),
        ("nan", SV.NAN, None, 4, 1000, 2500),
        ("nan", SV.NAN, None, 8, 500, 1200),
        ("value", SV.VALUE, 3.5, 4, 1000, 2500),
        ("value", SV.VALUE, 3.5, 8, 1000, 1000),
        ("value", SV.VALUE, 7, 1, 4096, 4096),
        ("value", SV.VALUE, 0x1234, 2, 1000, 1000),
        ("value", SV.VALUE, b"\x01\x02\x03", 3, 1000, 1000),
        ("value", SV.VALUE, bytes(range(1, 13)), 12, 300, 300),
        ("value", SV.VALUE, bytes(range(16)), 16, 300, 300),
        ("uninit", SV.UNINIT, None, 4, 1000, 1000),
        ("uninit", SV.UNINIT, None, 8, 1000, 2500),
    ]
    for name, sv, value, ts, chunkitems, nitems in cases:
        s = blosc2.SChunk(chunksize=chunkitems * ts, cparams=blosc2.CParams(typesize=ts, nthreads=1))
        if value is None:
            s.fill_special(nitems, sv)
        else:
            s.fill_special(nitems, sv, value=value)
        # keep the first chunk and, if any, the short last chunk
        idxs = sorted({0, s.nchunks - 1})
        for i in idxs:
            chunk = s.get_chunk(i)
            nb = struct.unpack_from("<i", chunk, 4)[0]
            if name == "zeros":
                exp = bytes(nb)
            elif name == "nan":
                exp = np.full(nb // ts, np.nan, np.float32 if ts == 4 else np.float64).tobytes()
            elif name == "value":
                if isinstance(value, bytes):
                    vb = value
                elif isinstance(value, float):
                    vb = np.array([value], np.float32 if ts == 4 else np.float64).tobytes()
                else:
                    vb = int(value).to_bytes(ts, "little")
                exp = vb * (nb // ts)
            else:
                exp = None
            in_name = None
            if exp is not None:
                in_name = cp.add_input("inputs/special_%s_ts%d_n%d.bin" % (name, ts, nb), exp)
            cp.add_chunk("special_%s_ts%d_n%d" % (name, ts, nb), chunk, {
                "origin": "SChunk.fill_special", "input": in_name, "codec": 5, "codec_name": "ZSTD",
                "clevel": 5, "typesize": ts, "filters": [0, 0, 0, 0, 0, 1], "filters_meta": [0] * 6,
                "blocksize": 0, "splitmode": 3, "data_kind": "special-" + name,
                "notes": "SChunk(chunksize=%d).fill_special(%d, %s%s).get_chunk(%d)%s" % (
                    chunkitems * ts, nitems, sv.name, ", value=%r" % (value,) if value is not None else "", i,
                    "; content undefined (python-blosc2 returns whatever memory holds); we decode zeros"
                    if name == "uninit" else "")}, exp)
    # NDArray fills: blosc2.full keeps value chunks (kind 3), also full(nan) and an itemsize > 255.
    nd = [
        ("full_f8_7", lambda: blosc2.full((1000,), 7.0, dtype="f8"), np.full(1000, 7.0).tobytes(), 8),
        ("full_f4_nan", lambda: blosc2.full((1000,), np.nan, dtype="f4"),
         np.full(1000, np.nan, np.float32).tobytes(), 4),
        ("full_S300", lambda: blosc2.full((100,), b"x" * 300, dtype="S300"), b"x" * 30000, 300),
        ("zeros_f8", lambda: blosc2.zeros((1000,), dtype="f8"), bytes(8000), 8),
        ("nans_f8", lambda: blosc2.nans((1000,), dtype="f8"), np.full(1000, np.nan).tobytes(), 8),
        ("uninit_i4", lambda: blosc2.uninit((1000,), dtype="i4"), None, 4),
    ]
    for name, mk, exp, ts in nd:
        a = mk()
        chunk = a.schunk.get_chunk(0)
        in_name = cp.add_input("inputs/nd_%s.bin" % name, exp) if exp is not None else None
        cp.add_chunk("ndarray_%s" % name, chunk, {
            "origin": "NDArray.schunk.get_chunk", "input": in_name, "codec": 5, "codec_name": "ZSTD",
            "clevel": 1, "typesize": ts, "filters": [0, 0, 0, 0, 0, 1], "filters_meta": [0] * 6,
            "blocksize": 0, "splitmode": 3, "data_kind": "special-" + name,
            "notes": "blosc2.%s(...).schunk.get_chunk(0)%s" % (
                name.split("_")[0], "; itemsize 300 > 255 so the header typesize byte is 1, value length 300"
                if ts == 300 else "")}, exp)


def add_blosc1(cp):
    cnames = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]
    cn_to_codec = {"blosclz": 0, "lz4": 1, "lz4hc": 2, "zlib": 4, "zstd": 5}
    cases = []
    kinds = ["walk", "smooth", "runs", "lowent", "mixed"]
    for ci, cn in enumerate(cnames):
        for si, sh in enumerate((0, 1, 2)):
            ts = [4, 8, 2, 1, 16, 3, 12][(ci * 3 + si) % 7]
            cases.append((cn, sh, 5, ts, kinds[(ci + si) % 5], [4101, 20000, 100][(ci + si) % 3], 0))
    cases += [
        ("lz4", 1, 0, 4, "walk", 4101, 0),  # clevel 0: memcpyed
        ("blosclz", 1, 5, 4, "walk", 20, 0),  # < 32 bytes: memcpyed
        ("zstd", 1, 5, 4, "walk", 0, 0),  # empty
        ("lz4", 1, 5, 4, "zeros", 4000, 0),  # Blosc1 has no csize-0 streams
        ("zlib", 1, 9, 8, "random", 4096, 0),  # incompressible
        ("blosclz", 2, 5, 4, "walk", 4012, 1024),  # bitshuffle, leftover block of 235 elements (v2 quirk)
        ("lz4", 2, 5, 2, "smooth", 4106, 1024),  # bitshuffle, leftover 5 elements: quirk
        ("zstd", 2, 5, 8, "walk", 8192, 2048),  # bitshuffle, multiple blocks, no leftover
        ("lz4", 1, 9, 8, "smooth", LARGE, 0),  # large, default blocksize
        ("blosclz", 1, 5, 4, "walk", 20000, 4096),  # explicit blocksize, leftover
        ("zlib", 1, 5, 3, "runs", 4101, 999),  # ts 3, blocksize multiple of 3
        ("lz4", -1, 5, 1, "walk", 4101, 0),  # AUTOSHUFFLE on ts 1 -> bitshuffle
        ("zlib", 1, 5, 1, "runs", 4101, 0),  # shuffle flag with ts 1 (a no-op)
    ]
    for cn, sh, cl, ts, kind, n, bs in cases:
        in_name, data = cp.input_for(kind, n, ts)
        codec = numcodecs.Blosc(cname=cn, clevel=cl, shuffle=sh, blocksize=bs, typesize=ts)
        chunk = bytes(codec.encode(data))
        if n:  # numcodecs reports decoding 0 bytes as an error
            assert bytes(codec.decode(chunk)) == data
        filt = {0: 0, 1: 1, 2: 2, -1: (2 if ts == 1 else 1)}[sh]
        cp.add_chunk("v2_%s_%s_ts%d_%s_n%d_cl%d%s" % (cn, FILTER_NAMES[filt], ts, kind, n, cl,
                                                      "_bs%d" % bs if bs else ""), chunk, {
            "origin": "numcodecs.Blosc", "version": 2, "input": in_name, "codec": cn_to_codec[cn],
            "codec_name": CODEC_NAMES[cn_to_codec[cn]], "clevel": cl, "typesize": ts,
            "filters": [0, 0, 0, 0, 0, filt], "filters_meta": [0] * 6, "blocksize": bs,
            "splitmode": None, "data_kind": kind,
            "notes": "Blosc1 chunk: numcodecs %s Blosc(cname=%r, clevel=%d, shuffle=%d, blocksize=%d, typesize=%d)" % (
                numcodecs.__version__, cn, cl, sh, bs, ts)}, data)


def check_coverage(cp):
    """Assert the covering-subset requirements; return a printable summary."""
    from collections import defaultdict
    per = defaultdict(lambda: defaultdict(set))
    special = set()
    for _, _, e in cp.entries:
        h, st = e["header"], e["structure"]
        if h["special"]:
            special.add((h["special"], h["typesize"]))
        if e["origin"] != "compress2" or not e["reference_decodes"]:
            continue
        c = e["codec"]
        per[c]["clevel"].add(e["clevel"])
        per[c]["splitmode"].add(e["splitmode"])
        per[c]["size"].add(e["header"]["nbytes"] if e["header"]["nbytes"] in SIZES else None)
        per[c]["typesize"].add(e["typesize"])
        per[c]["filters"].add(tuple(e["filters"]))
        if st:
            per[c]["kind"].add(st["kind"] if st["kind"] != "regular" else
                               "regular-split" if st["split"] else "regular-unsplit")
            per[c]["streams"].update(st["streams"])
            if st["leftover"]:
                per[c]["kind"].add("leftover block")
    for c in CODECS:
        p = per[c]
        assert {0, 1, 5, 9} <= p["clevel"], (c, p["clevel"])
        assert {1, 2, 3} <= p["splitmode"], (c, p["splitmode"])
        assert set(SIZES) <= p["size"], (c, sorted(x for x in p["size"] if x is not None))
        assert set(TYPESIZES) <= p["typesize"], (c, p["typesize"])
        want = {tuple(list(f) + [0] * (6 - len(f))) for f, _, _ in FILTERSETS}
        assert want <= p["filters"], (c, want - p["filters"])
        assert {"memcpy", "regular-split", "regular-unsplit", "special-zeros", "leftover block"} <= p["kind"], (
            c, p["kind"])
        assert {"zero", "run", "raw", "codec"} <= p["streams"], (c, p["streams"])
    assert {(1, 4), (1, 8), (2, 4), (2, 8), (3, 4), (3, 8), (4, 4), (4, 8)} <= special, special


def main():
    assert blosc2.__version__ == "4.14.1", blosc2.__version__
    cp = Corpus()
    build(cp)
    check_coverage(cp)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(INPUTS)
    for name, data in cp.inputs.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    entries = []
    for fname, chunk, e in cp.entries:
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(chunk)
        e.setdefault("version", e["header"]["version"])
        entries.append(e)
    manifest = {
        "generator": "test-data/blosc2/make_golden_chunks.py",
        "reference": {"blosc2": blosc2.__version__, "c-blosc2": blosc2.blosclib_version.split()[0],
                      "numcodecs": numcodecs.__version__},
        "chunks": entries,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        # One chunk entry per line: compact, yet diff-friendly.
        f.write("{\n")
        for k in ("generator", "reference"):
            f.write(" %s: %s,\n" % (json.dumps(k), json.dumps(manifest[k], sort_keys=True)))
        f.write(' "chunks": [\n')
        f.write(",\n".join("  " + json.dumps(e, sort_keys=True) for e in entries))
        f.write("\n ]\n}\n")
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print("wrote %d chunks, %d inputs, %d bytes in %s" % (len(entries), len(cp.inputs), total, OUT))


if __name__ == "__main__":
    main()
