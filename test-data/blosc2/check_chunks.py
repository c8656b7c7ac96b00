#!/usr/bin/env python3
"""Independent checker for the golden Blosc2 chunk corpus.

Everything here is written from the project's Blosc2 spec
(/work/shared/spec/blosc2.md), sections 1 (chunk format), 2 (codecs) and
3 (filters). Nothing is taken from c-blosc2 or python-blosc2 sources, and
python-blosc2 is not imported. The checker:

  * parses every chunk header (section 1, 1.1, 1.2, 1.4),
  * walks the body: special chunks, memcpyed chunks, bstarts and every
    stream's csize (section 1.3), asserting the structural invariants,
  * decodes the chunk with a reference decoder written from the spec
    (BloscLZ per 2.1, LZ4 / zlib / zstd through lz4, zlib and zstandard,
    filters per section 3) and compares it with the expected bytes
    recorded in chunks/manifest.json,
  * compares the parsed header with the one recorded in the manifest,
  * reports writer-side observations that the spec states as facts
    (AUTO split rule 1.5.3, the all-equal stream rule 1.5.4, memcpy rule
    1.5.1, codec parameters of section 2) and counts any mismatch.

Usage:
  python3 test-data/blosc2/check_chunks.py            # whole corpus
  python3 test-data/blosc2/check_chunks.py -v          # one line per chunk
  python3 test-data/blosc2/check_chunks.py FILE...     # just parse/decode files

Exit status 0 when every chunk passes the structural checks and decodes to
the expected bytes; informational observations never fail the run.

Optional modules: ``lz4`` and ``zstandard`` (PyPI). Without them LZ4 / ZSTD
streams are only checked structurally.
"""

import json
import math
import os
import struct
import sys
import zlib
from collections import Counter, defaultdict

import numpy as np

try:
    import lz4.block as _lz4block
except ImportError:  # pragma: no cover
    _lz4block = None
try:
    import zstandard as _zstd
except ImportError:  # pragma: no cover
    _zstd = None

HERE = os.path.dirname(os.path.abspath(__file__))
CHUNK_DIR = os.path.join(HERE, "chunks")

MAX_NBYTES = 2**31 - 1 - 32
MAX_BLOCKSIZE = 536866816

FMT_NAMES = {0: "BLOSCLZ", 1: "LZ4", 3: "ZLIB", 4: "ZSTD"}
# compcode (header 0x16) -> codec format (flags bits 5-7), section 2 table.
COMPCODE_TO_FMT = {0: 0, 1: 1, 2: 1, 4: 3, 5: 4}
SPECIAL_NAMES = {0: "none", 1: "zeros", 2: "nan", 3: "value", 4: "uninit"}

# Coverage counters filled by the decoders (reported by check_corpus).
COVERAGE = Counter()


class ChunkError(Exception):
    """A chunk violates a rule of the spec (a reader would reject it)."""


class NeedModule(Exception):
    """A codec stream cannot be decoded because a module is missing."""


def _req(cond, msg):
    if not cond:
        raise ChunkError(msg)


# --------------------------------------------------------------------------
# Section 1: header
# --------------------------------------------------------------------------

def parse_header(buf):
    """Parse the 16- or 32-byte chunk header (spec 1, 1.1, 1.2, 1.4)."""
    buf = bytes(buf)
    _req(len(buf) >= 16, "chunk shorter than 16 bytes")
    version, versionlz, flags, typesize = buf[0], buf[1], buf[2], buf[3]
    nbytes, blocksize, cbytes = struct.unpack_from("<iii", buf, 4)
    _req(2 <= version <= 5, "version %d not in 2..5" % version)
    extended = (flags & 0x05) == 0x05
    if version >= 3:
        _req(extended, "v%d chunk without the extended-header bits (flags 0x%02x)" % (version, flags))
    h = {
        "version": version,
        "versionlz": versionlz,
        "flags": flags,
        "typesize": typesize,
        "nbytes": nbytes,
        "blocksize": blocksize,
        "cbytes": cbytes,
    }
    fmt = flags >> 5
    h["codec_format"] = fmt
    h["memcpyed"] = bool(flags & 0x02)
    h["dont_split"] = bool(flags & 0x10)
    h["delta_flag"] = bool(flags & 0x08)
    if extended:
        _req(len(buf) >= 32, "extended header needs 32 bytes")
        h["header_len"] = 32
        h["filters"] = list(buf[0x10:0x16])
        h["compcode"] = buf[0x16]
        h["compcode_meta"] = buf[0x17]
        h["filters_meta"] = list(buf[0x18:0x1E])
        h["blosc2_flags2"] = buf[0x1E]
        h["blosc2_flags"] = buf[0x1F]
        if version == 3:
            # v3: force slot 5 (filter and meta) to 0 (spec 1.4).
            h["filters"][5] = 0
            h["filters_meta"][5] = 0
    else:
        # v2 (Blosc1): filters come from the flags byte (spec 1.4).
        h["header_len"] = 16
        filters = [0] * 6
        if flags & 0x01 and typesize > 1:
            filters[5] = 1
        elif flags & 0x04:
            filters[5] = 2
        if flags & 0x08:
            filters[4] = 3
        h["filters"] = filters
        h["filters_meta"] = [0] * 6
        h["compcode"] = {0: 0, 1: 1, 3: 4, 4: 5}.get(fmt, -1)
        h["compcode_meta"] = 0
        h["blosc2_flags2"] = 0
        h["blosc2_flags"] = 0
    h["special"] = (h["blosc2_flags"] >> 4) & 0x07
    h["special_name"] = SPECIAL_NAMES.get(h["special"], "reserved")
    return h


def validate_header(h, buflen):
    """Header-only read rules of spec 1, 1.1, 1.2."""
    _req(h["typesize"] != 0, "typesize 0")
    _req(0 <= h["nbytes"] <= MAX_NBYTES, "nbytes %d out of range" % h["nbytes"])
    _req(0 < h["blocksize"] <= MAX_BLOCKSIZE, "blocksize %d out of range" % h["blocksize"])
    _req(h["cbytes"] >= h["header_len"], "cbytes %d < header length" % h["cbytes"])
    _req(h["cbytes"] <= buflen, "cbytes %d beyond the buffer (%d)" % (h["cbytes"], buflen))
    _req(h["blosc2_flags2"] == 0, "blosc2_flags2 = 0x%02x" % h["blosc2_flags2"])
    b2 = h["blosc2_flags"]
    _req(not b2 & 0x01, "dictionary present")
    _req(not b2 & 0x02, "big-endian host bit")
    _req(not b2 & 0x08, "lazy chunk")
    _req(not b2 & 0x80, "instrumented chunk")
    _req(h["special"] <= 4, "special kind %d" % h["special"])
    if h["special"] == 0 and not h["memcpyed"]:
        _req(h["codec_format"] in FMT_NAMES, "codec format %d rejected" % h["codec_format"])
        if h["header_len"] == 32:
            _req(h["compcode"] in COMPCODE_TO_FMT, "compcode %d rejected" % h["compcode"])
        for f in h["filters"]:
            _req(f <= 4, "filter id %d rejected" % f)


# --------------------------------------------------------------------------
# Section 1.3: body walk
# --------------------------------------------------------------------------

def effective_blocksize(h):
    return min(h["blocksize"], h["nbytes"]) if h["nbytes"] > 0 else 0


def analyze(buf):
    """Walk the chunk body; return a structure summary. Raises ChunkError."""
    buf = bytes(buf)
    h = parse_header(buf)
    validate_header(h, len(buf))
    cb = h["cbytes"]
    hl = h["header_len"]
    s = {"kind": None, "nblocks": 0, "leftover": 0, "streams": Counter(), "blocks": []}
    if h["special"]:
        s["kind"] = "special-" + h["special_name"]
        if h["special"] in (1, 2, 4):
            _req(cb == 32, "special kind %d with cbytes %d != 32" % (h["special"], cb))
        if h["special"] == 2:
            _req(h["typesize"] in (4, 8), "NaN chunk with typesize %d" % h["typesize"])
        if h["special"] == 3:
            v = cb - 32
            _req(v > 0, "value chunk without a value")
            _req(h["nbytes"] % v == 0, "value length %d does not divide nbytes %d" % (v, h["nbytes"]))
            s["value_len"] = v
        return h, s
    if h["memcpyed"]:
        s["kind"] = "memcpy"
        _req(cb == h["nbytes"] + hl, "memcpyed cbytes %d != nbytes %d + %d" % (cb, h["nbytes"], hl))
        return h, s
    s["kind"] = "regular"
    nbytes = h["nbytes"]
    bsz = effective_blocksize(h)
    _req(nbytes > 0, "regular chunk with nbytes 0")
    nblocks = -(-nbytes // bsz)
    leftover = nbytes % bsz
    s["nblocks"] = nblocks
    s["leftover"] = leftover
    s["blocksize"] = bsz
    _req(hl + 4 * nblocks <= cb, "bstarts beyond cbytes")
    bstarts = struct.unpack_from("<%di" % nblocks, buf, hl)
    s["bstarts_increasing"] = all(bstarts[i] < bstarts[i + 1] for i in range(nblocks - 1))
    covered = [(hl, hl + 4 * nblocks)]
    ts = h["typesize"]
    for b, start in enumerate(bstarts):
        _req(hl + 4 * nblocks <= start < cb, "bstart[%d] = %d outside [%d, %d)" % (b, start, hl + 4 * nblocks, cb))
        bs = leftover if (leftover and b == nblocks - 1) else bsz
        nstreams = ts if (not h["dont_split"] and not (leftover and b == nblocks - 1)) else 1
        _req(bs % nstreams == 0, "block %d: %d bytes not divisible into %d streams" % (b, bs, nstreams))
        neb = bs // nstreams
        pos = start
        blk = []
        for j in range(nstreams):
            _req(pos + 4 <= cb, "block %d stream %d: csize beyond cbytes" % (b, j))
            csize = struct.unpack_from("<i", buf, pos)[0]
            if csize == 0:
                kind, end = "zero", pos + 4
            elif csize < 0:
                _req(csize >= -255, "csize %d < -255" % csize)
                _req(pos + 5 <= cb, "run token beyond cbytes")
                tok = buf[pos + 4]
                _req(tok & 1, "run token 0x%02x without bit 0" % tok)
                kind, end = "run", pos + 5
            elif csize == neb:
                kind, end = "raw", pos + 4 + csize
            else:
                kind, end = "codec", pos + 4 + csize
            _req(end <= cb, "block %d stream %d (csize %d) runs past cbytes" % (b, j, csize))
            blk.append((pos, csize, kind, neb))
            s["streams"][kind] += 1
            covered.append((pos, end))
            pos = end
        s["blocks"].append({"start": start, "bsize": bs, "nstreams": nstreams, "streams": blk})
    # Informational: does the union of bstarts and streams tile [hl, cbytes)?
    covered.sort()
    cur = hl
    gaps = overlaps = 0
    for a, e in covered:
        if a > cur:
            gaps += a - cur
        elif a < cur:
            overlaps += cur - a
        cur = max(cur, e)
    gaps += cb - cur if cb > cur else 0
    s["gap_bytes"] = gaps
    s["overlap_bytes"] = overlaps
    return h, s


# --------------------------------------------------------------------------
# Section 2: codecs
# --------------------------------------------------------------------------

def blosclz_decode(src, neb):
    """BloscLZ decoder exactly as spec 2.1 describes it."""
    n = len(src)
    out = bytearray()
    if n == 0:
        _req(neb == 0, "empty BloscLZ stream for %d bytes" % neb)
        return bytes(out)
    ip = 0
    ctrl = src[ip] & 0x1F
    ip += 1
    while True:
        if ctrl < 32:
            cnt = ctrl + 1
            _req(ip + cnt <= n and len(out) + cnt <= neb, "BloscLZ literal overrun")
            out += src[ip:ip + cnt]
            ip += cnt
            if ip >= n:
                break
            ctrl = src[ip]
            ip += 1
        else:
            ln = (ctrl >> 5) - 1
            hi = (ctrl & 31) << 8
            if ln == 6:
                while True:
                    _req(n - ip >= 2, "BloscLZ: truncated extended length")
                    e = src[ip]
                    ip += 1
                    ln += e
                    if e != 255:
                        break
                COVERAGE["blosclz extended-length matches"] += 1
            else:
                _req(n - ip >= 2, "BloscLZ: truncated match")
            lo = src[ip]
            ip += 1
            ln += 3
            if lo == 255 and hi == (31 << 8):
                _req(n - ip >= 2, "BloscLZ: truncated far distance")
                f = (src[ip] << 8) | src[ip + 1]
                ip += 2
                d = f + 8191 + 1
                COVERAGE["blosclz far matches"] += 1
            else:
                d = hi + lo + 1
            _req(len(out) + ln <= neb, "BloscLZ match overruns output")
            _req(d <= len(out), "BloscLZ distance %d > %d" % (d, len(out)))
            if ip >= n:
                COVERAGE["blosclz streams ending in a match (quirk 6)"] += 1
                break  # quirk: stop without performing this match
            ctrl = src[ip]
            ip += 1
            COVERAGE["blosclz matches"] += 1
            if d < ln:
                COVERAGE["blosclz overlapping matches"] += 1
            ref = len(out) - d
            for k in range(ln):
                out.append(out[ref + k])
    _req(len(out) == neb, "BloscLZ produced %d bytes, expected %d" % (len(out), neb))
    return bytes(out)


def codec_decode(fmt, payload, neb):
    if fmt == 0:
        return blosclz_decode(payload, neb)
    if fmt == 1:
        if _lz4block is None:
            raise NeedModule("lz4")
        try:
            out = _lz4block.decompress(payload, uncompressed_size=neb)
        except Exception as e:
            raise ChunkError("LZ4 stream: %s" % e)
    elif fmt == 3:
        _req(len(payload) >= 2 and payload[0] & 0x0F == 8 and ((payload[0] << 8) | payload[1]) % 31 == 0,
             "ZLIB stream without an RFC 1950 header (%s)" % payload[:2].hex())
        try:
            out = zlib.decompress(payload)
        except zlib.error as e:
            raise ChunkError("ZLIB stream: %s" % e)
    elif fmt == 4:
        if _zstd is None:
            raise NeedModule("zstandard")
        _req(payload[:4] == b"\x28\xb5\x2f\xfd", "ZSTD stream without frame magic")
        try:
            out = _zstd.ZstdDecompressor().decompress(payload, max_output_size=max(neb, 1))
        except Exception as e:
            raise ChunkError("ZSTD stream: %s" % e)
    else:
        raise ChunkError("codec format %d" % fmt)
    _req(len(out) == neb, "codec stream gave %d bytes, expected %d" % (len(out), neb))
    return out


# --------------------------------------------------------------------------
# Section 3: filters
# --------------------------------------------------------------------------

def shuffle(block, w):
    n = len(block) // w
    if w <= 1 or n == 0:
        return bytes(block)
    a = np.frombuffer(block, np.uint8, n * w).reshape(n, w)
    return a.T.tobytes() + bytes(block[n * w:])


def unshuffle(block, w):
    n = len(block) // w
    if w <= 1 or n == 0:
        return bytes(block)
    a = np.frombuffer(block, np.uint8, n * w).reshape(w, n)
    return a.T.tobytes() + bytes(block[n * w:])


def bitshuffle(block, ts):
    nel = (len(block) // ts) // 8 * 8
    if nel == 0:
        return bytes(block)
    a = np.frombuffer(block, np.uint8, nel * ts).reshape(nel, ts)
    bits = np.unpackbits(a, axis=1, bitorder="little")  # (nel, 8ts), column r = bit r
    rows = np.packbits(bits.T, axis=1, bitorder="little")  # (8ts, nel/8)
    return rows.tobytes() + bytes(block[nel * ts:])


def bitunshuffle(block, ts):
    nel = (len(block) // ts) // 8 * 8
    if nel == 0:
        return bytes(block)
    rows = np.frombuffer(block, np.uint8, nel * ts).reshape(8 * ts, nel // 8)
    bits = np.unpackbits(rows, axis=1, bitorder="little")  # (8ts, nel)
    a = np.packbits(bits.T, axis=1, bitorder="little")  # (nel, ts)
    return a.tobytes() + bytes(block[nel * ts:])


def delta_width(ts):
    if ts in (1, 2, 4, 8):
        return ts
    if ts % 8 == 0:
        return 8
    return 1


_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def delta_decode_block0(block, ts):
    w = delta_width(ts)
    cnt = len(block) // w
    a = np.frombuffer(block, _UINT[w], cnt).copy()
    a = np.bitwise_xor.accumulate(a) if cnt else a
    return a.tobytes() + bytes(block[cnt * w:])


def delta_decode_other(block, ts, ref):
    w = delta_width(ts)
    cnt = len(block) // w
    a = np.frombuffer(block, _UINT[w], cnt)
    r = np.frombuffer(ref, _UINT[w], cnt)
    return (a ^ r).tobytes() + bytes(block[cnt * w:])


def trunc_prec(data, ts, meta):
    """Forward TRUNC_PREC (spec 3.4) on whole elements; used for expectations."""
    m = {4: 23, 8: 52}[ts]
    p = meta - 256 if meta > 127 else meta
    z = m - p if p >= 0 else -p
    assert abs(p) <= m and z < m, "invalid TRUNC_PREC meta"
    n = len(data) // ts
    a = np.frombuffer(data, _UINT[ts], n)
    mask = _UINT[ts](~((1 << z) - 1) & ((1 << (8 * ts)) - 1))
    return (a & mask).tobytes() + bytes(data[n * ts:])


def unfilter_block(block, h, ref0):
    """Undo the filter pipeline, slots 5 -> 0 (spec 3)."""
    ts = h["typesize"]
    for slot in range(5, -1, -1):
        f = h["filters"][slot]
        meta = h["filters_meta"][slot]
        if f == 0 or f == 4:
            continue
        if f == 1:
            if meta and meta != ts:
                COVERAGE["shuffle with meta != typesize"] += 1
            block = unshuffle(block, meta if meta else ts)
        elif f == 2:
            if h["version"] == 2 and (len(block) // ts) % 8 != 0:
                COVERAGE["v2 bitshuffle blocks left unshuffled (quirk)"] += 1
                continue  # v2 quirk (spec 3.2)
            if (len(block) // ts) % 8 or len(block) % ts:
                COVERAGE["bitshuffle blocks with an untransformed tail"] += 1
            block = bitunshuffle(block, ts)
        elif f == 3:
            COVERAGE["delta blocks (block 0)" if ref0 is None else "delta blocks (block > 0)"] += 1
            block = delta_decode_block0(block, ts) if ref0 is None else delta_decode_other(block, ts, ref0)
        else:
            raise ChunkError("filter %d" % f)
    return block


# --------------------------------------------------------------------------
# Full decode
# --------------------------------------------------------------------------

def decode(buf, stats=None):
    """Decode a chunk with the spec-only reference decoder.

    stats (optional dict) collects per-stream observations: all-equal
    streams stored as codec/raw, and the decoded bytes of codec streams
    (for the encoder-parameter comparison)."""
    buf = bytes(buf)
    h, s = analyze(buf)
    nb = h["nbytes"]
    if h["special"]:
        k = h["special"]
        if k in (1, 4):
            return bytes(nb), h, s
        if k == 2:
            pat = b"\x00\x00\xc0\x7f" if h["typesize"] == 4 else b"\x00" * 6 + b"\xf8\x7f"
            _req(nb % len(pat) == 0, "NaN chunk nbytes not a multiple of ts")
            return pat * (nb // len(pat)), h, s
        v = buf[32:h["cbytes"]]
        return v * (nb // len(v)), h, s
    if h["memcpyed"]:
        return buf[h["header_len"]:h["header_len"] + nb], h, s
    fmt = h["codec_format"]
    blocks_out = [None] * s["nblocks"]
    has_delta = 3 in h["filters"]
    ref0 = None
    for b, blk in enumerate(s["blocks"]):
        parts = []
        for (pos, csize, kind, neb) in blk["streams"]:
            if kind == "zero":
                parts.append(bytes(neb))
            elif kind == "run":
                parts.append(bytes([(-csize) & 0xFF]) * neb)
            elif kind == "raw":
                raw = buf[pos + 4:pos + 4 + neb]
                parts.append(raw)
                if stats is not None and neb > 0 and raw.count(raw[:1]) == neb:
                    stats["equal_as_raw"] = stats.get("equal_as_raw", 0) + 1
            else:
                payload = buf[pos + 4:pos + 4 + csize]
                dec = codec_decode(fmt, payload, neb)
                parts.append(dec)
                if stats is not None:
                    if dec.count(dec[:1]) == neb:
                        stats["equal_as_codec"] = stats.get("equal_as_codec", 0) + 1
                    stats.setdefault("codec_streams", []).append((payload, dec))
        filtered = b"".join(parts)
        blocks_out[b] = unfilter_block(filtered, h, None if (b == 0 or not has_delta) else ref0)
        if b == 0:
            ref0 = blocks_out[0]
    out = b"".join(blocks_out)
    _req(len(out) == nb, "decoded %d bytes, expected %d" % (len(out), nb))
    return out, h, s


# --------------------------------------------------------------------------
# Writer-side observations (spec 1.5, 2)
# --------------------------------------------------------------------------

def predicted_auto_split(codec, clevel, filters, ts, blocksize):
    """Spec 1.5 rule 3 (c-blosc2 AUTO rule, with our extra divisibility)."""
    codec_ok = codec in (0, 1) or (codec == 5 and clevel <= 5)
    return bool(codec_ok and 1 in filters and ts <= 16 and blocksize // ts >= 32)


class Reencoder:
    """Re-encode decoded streams with the encoder parameters spec 2 states.

    Byte-identical output needs the same library versions c-blosc2 bundles
    (lz4 1.10.0, zlib-ng 2.3.3, zstd 1.5.x). By default the codecs are taken
    from the libblosc2.so shipped in the installed blosc2 wheel (loaded with
    ctypes, never imported as python-blosc2); otherwise from the lz4 /
    zstandard / zlib Python modules, whose library versions may differ."""

    def __init__(self):
        self.lib = None
        self.backend = "python modules"
        try:
            import ctypes
            import importlib.util
            spec = importlib.util.find_spec("blosc2")
            if spec and spec.submodule_search_locations:
                path = os.path.join(list(spec.submodule_search_locations)[0], "lib", "libblosc2.so")
                if os.path.exists(path):
                    self.lib = ctypes.CDLL(path)
                    self.ct = ctypes
                    self.lib.zlibng_version.restype = ctypes.c_char_p
                    v = self.lib.LZ4_versionNumber()
                    self.backend = "libblosc2.so (lz4 %d.%d.%d, zlib-ng %s)" % (
                        v // 10000, v // 100 % 100, v % 100, self.lib.zlibng_version().decode())
        except Exception:  # pragma: no cover
            self.lib = None
        if self.lib is None and _lz4block is not None:
            self.backend += " (python-lz4 library %s)" % __import__("lz4").library_version_string()

    def _lz4(self, dec, acc=None, hc=None):
        ct = self.ct
        bound = self.lib.LZ4_compressBound(len(dec))
        dst = ct.create_string_buffer(max(bound, 1))
        if hc is None:
            n = self.lib.LZ4_compress_fast(dec, dst, len(dec), bound, acc)
        else:
            n = self.lib.LZ4_compress_HC(dec, dst, len(dec), bound, hc)
        return dst.raw[:n] if n > 0 else None

    def _zlib(self, dec, level):
        ct = self.ct
        dl = ct.c_size_t(len(dec) * 2 + 128)
        dst = ct.create_string_buffer(dl.value)
        r = self.lib.zng_compress2(dst, ct.byref(dl), dec, ct.c_size_t(len(dec)), level)
        return dst.raw[:dl.value] if r == 0 else None

    def matches(self, codec, clevel, payload, dec):
        """True / False, or None if this codec cannot be re-encoded here."""
        if codec == 1:
            if self.lib is not None:
                return self._lz4(dec, acc=10 - clevel) == payload
            if _lz4block is not None:
                return _lz4block.compress(dec, mode="fast", acceleration=10 - clevel, store_size=False) == payload
        if codec == 2:
            if self.lib is not None:
                return self._lz4(dec, hc=clevel) == payload
            if _lz4block is not None:
                return _lz4block.compress(dec, mode="high_compression", compression=clevel,
                                          store_size=False) == payload
        if codec == 4:
            if self.lib is not None:
                return self._zlib(dec, clevel) == payload
            return zlib.compress(dec, clevel) == payload
        if codec == 5 and _zstd is not None:
            level = 22 if clevel == 9 else 2 * clevel - 1
            return _zstd.ZstdCompressor(level=level).compress(dec) == payload
        return None


CODEC_NAME_BY_COMPCODE = {0: "BLOSCLZ", 1: "LZ4", 2: "LZ4HC", 4: "ZLIB", 5: "ZSTD"}
FILTER_NAME = {1: "SHUFFLE", 2: "BITSHUFFLE", 3: "DELTA", 4: "TRUNC_PREC"}


def _size_class(n):
    for lim, name in ((0, "0"), (31, "1-31"), (32, "32"), (100, "33-100"), (4096, "101-4096"),
                      (65536, "4097-65536")):
        if n <= lim:
            return name
    return ">65536"


def _hdr_subset(h):
    keys = ("version", "flags", "typesize", "nbytes", "blocksize", "cbytes", "filters",
            "filters_meta", "compcode", "blosc2_flags", "special")
    return {k: h[k] for k in keys}


def check_corpus(verbose=False):
    with open(os.path.join(CHUNK_DIR, "manifest.json")) as f:
        manifest = json.load(f)
    entries = manifest["chunks"]
    failures = []
    obs = defaultdict(list)
    reenc = defaultdict(Counter)
    skipped = Counter()
    streams_total = Counter()
    cache = {}
    reencoder = Reencoder()
    summary = defaultdict(Counter)
    COVERAGE.clear()

    def load(name):
        if name not in cache:
            with open(os.path.join(CHUNK_DIR, name), "rb") as f:
                cache[name] = f.read()
        return cache[name]

    for e in entries:
        buf = load(e["file"])
        stats = {}
        try:
            out, h, s = decode(buf, stats)
        except NeedModule as m:
            skipped[str(m)] += 1
            try:
                h, s = analyze(buf)
                out = None
            except ChunkError as ce:
                failures.append((e["file"], "structure: %s" % ce))
                continue
        except ChunkError as ce:
            if e.get("reference_decodes", True):
                failures.append((e["file"], str(ce)))
            else:
                obs["upstream-unreadable chunks our spec decoder also rejects"].append("%s: %s" % (e["file"], ce))
            continue
        # Header recorded in the manifest must match this independent parse.
        mh = e["header"]
        ph = _hdr_subset(h)
        for k, v in ph.items():
            if mh.get(k) != v:
                failures.append((e["file"], "manifest header %s=%r, parsed %r" % (k, mh.get(k), v)))
        if len(buf) != h["cbytes"]:
            failures.append((e["file"], "file length %d != cbytes %d" % (len(buf), h["cbytes"])))
        # Expected content (for chunks c-blosc2 itself garbles: its output).
        exp_name = e.get("reference_output") or e.get("expected") or e.get("input")
        if out is not None:
            if exp_name is None:
                pass  # uninit: content undefined
            else:
                exp = load(exp_name)
                if out != exp:
                    nbad = sum(1 for a, b in zip(out, exp) if a != b) + abs(len(out) - len(exp))
                    failures.append((e["file"], "decoded bytes differ from %s (%d bytes differ)" % (exp_name, nbad)))
                elif not e.get("reference_decodes", True):
                    obs["upstream-garbled chunks: spec decoder reproduces c-blosc2's output"].append(
                        "%s (%s)" % (e["file"], e.get("notes", "")[:60]))
        streams_total.update(s["streams"])
        summary["version"][h["version"]] += 1
        summary["codec"][CODEC_NAME_BY_COMPCODE.get(h["compcode"], h["compcode"]) if h["special"] == 0
                         else "(special)"] += 1
        summary["filters"]["+".join(FILTER_NAME[f] for f in h["filters"] if f) or "none"] += 1
        summary["typesize"][h["typesize"]] += 1
        summary["chunk kind"][s["kind"] if s["kind"] != "regular" else
                              "regular " + ("split" if not h["dont_split"] else "unsplit")] += 1
        summary["nbytes class"][_size_class(h["nbytes"])] += 1
        if e.get("splitmode"):
            summary["splitmode requested"][e["splitmode"]] += 1
        if e.get("clevel") is not None:
            summary["clevel requested"][e["clevel"]] += 1
        # Observations against writer rules (v3-v5 only, not index-extracted chunks).
        origin = e.get("origin", "compress2")
        if h["version"] >= 3 and s["kind"] == "regular":
            if not s["bstarts_increasing"]:
                obs["bstarts not increasing"].append(e["file"])
            if s["gap_bytes"] or s["overlap_bytes"]:
                obs["body not tiled by bstarts+streams"].append(
                    "%s gaps %d overlaps %d" % (e["file"], s["gap_bytes"], s["overlap_bytes"]))
            for k in ("equal_as_raw", "equal_as_codec"):
                if stats.get(k):
                    obs["all-equal stream not written as csize 0 / run (%s)" % k].append(
                        "%s x%d" % (e["file"], stats[k]))
            if (h["compcode"] in COMPCODE_TO_FMT and COMPCODE_TO_FMT[h["compcode"]] != h["codec_format"]):
                obs["compcode/format mismatch"].append(e["file"])
            if origin == "compress2" and e.get("splitmode") in (3, 4) and s["nblocks"]:
                pred = predicted_auto_split(e["codec"], e["clevel"], h["filters"], h["typesize"],
                                            s["blocksize"])
                if pred != (not h["dont_split"]):
                    obs["AUTO split rule 1.5.3 mispredicts"].append(
                        "%s codec %d clevel %d ts %d bsize %d filters %s: predicted %s, flags 0x%02x" % (
                            e["file"], e["codec"], e["clevel"], h["typesize"], s["blocksize"],
                            h["filters"], "split" if pred else "no split", h["flags"]))
            if origin == "compress2" and e.get("clevel") is not None:
                for payload, dec in stats.get("codec_streams", []):
                    r = reencoder.matches(h["compcode"], e["clevel"], payload, dec)
                    if r is not None:
                        reenc[(h["compcode"], e["clevel"])][r] += 1
        if h["version"] >= 3 and origin == "compress2" and h["special"] == 0:
            memcpy_expected = e.get("clevel") == 0 or h["nbytes"] < 32
            if memcpy_expected and not h["memcpyed"]:
                obs["memcpy rule 1.5.1: expected memcpy, got regular"].append(e["file"])
            if h["memcpyed"] and not memcpy_expected:
                obs["memcpyed (data did not shrink)"].append("%s flags 0x%02x" % (e["file"], h["flags"]))
            if h["memcpyed"] and h["flags"] != 0x07:
                obs["memcpyed flags other than 0x07"].append("0x%02x" % h["flags"])
        if verbose:
            print("%-52s v%d %-16s flags 0x%02x ts %3d nbytes %7d bsize %7d cbytes %7d %s" % (
                e["file"], h["version"], s["kind"], h["flags"], h["typesize"], h["nbytes"],
                h["blocksize"], h["cbytes"], dict(s["streams"])))

    print("checked %d chunks" % len(entries))
    for k, c in summary.items():
        print("  %-20s %s" % (k + ":", ", ".join("%s: %d" % (a, b) for a, b in sorted(c.items(), key=str))))
    print("  %-20s %s" % ("stream kinds:", dict(streams_total)))
    print("  %-20s %s" % ("coverage:", ", ".join("%s: %d" % kv for kv in sorted(COVERAGE.items()))))
    if skipped:
        print("codec streams not decoded (module missing): %s" % dict(skipped))
    for k in sorted(obs):
        vals = obs[k]
        c = Counter(vals) if k == "memcpyed flags other than 0x07" else None
        if c:
            print("OBSERVATION %s: %s" % (k, dict(c)))
        else:
            print("OBSERVATION %s: %d%s" % (k, len(vals), "".join("\n    " + v for v in vals[:12])))
    if reenc:
        print("re-encoding codec streams with the spec 2 parameters via %s (True = byte-identical):"
              % reencoder.backend)
        names = {1: "LZ4", 2: "LZ4HC", 4: "ZLIB", 5: "ZSTD"}
        for (codec, cl), c in sorted(reenc.items()):
            print("    %-5s clevel %d: %s" % (names[codec], cl, dict(c)))
    if failures:
        print("FAILURES: %d" % len(failures))
        for f, m in failures:
            print("  %s: %s" % (f, m))
        return 1
    print("all chunks pass")
    return 0


def main(argv):
    verbose = "-v" in argv
    files = [a for a in argv if not a.startswith("-")]
    if not files:
        return check_corpus(verbose)
    rc = 0
    for path in files:
        with open(path, "rb") as f:
            buf = f.read()
        try:
            out, h, s = decode(buf)
            print("%s: %s, %s, decoded %d bytes, streams %s" % (
                path, s["kind"], {k: h[k] for k in ("version", "flags", "typesize", "nbytes", "blocksize",
                                                  "cbytes", "filters", "compcode", "special")},
                len(out), dict(s["streams"])))
        except (ChunkError, NeedModule) as e:
            print("%s: REJECT %s" % (path, e))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
