#!/usr/bin/env python3
"""Generate golden vectors for the Blosc2 filter kernels and the BloscLZ decoder.

Everything is produced by the reference implementation, python-blosc2 4.14.1
(bundling c-blosc2 3.3.5); no reference source code is used or stored here.

filters/  one vector per (filter, typesize, meta, data) case:
  <name>.in    the chunk's input bytes (nbytes)
  <name>.out   the same chunk after the filter, block by block (nbytes)
  manifest.json  [{name, filter, typesize, meta, blocksize, nbytes, note}]
  The filtered bytes are read out of a real chunk: python-blosc2 compresses
  with codec ZLIB, splitmode NEVER_SPLIT (one stream per block) and that one
  filter in slot 0; this script parses the chunk (spec section 1.3) and
  inflates each block's stream. Block b of <name>.out is therefore exactly
  what c-blosc2's forward filter made of block b of <name>.in (DELTA's later
  blocks use block 0 of <name>.in as their reference).

blosclz/  BloscLZ streams cut out of real chunks (codec BLOSCLZ, no filters,
  NEVER_SPLIT):
  <name>.lz    one stream's payload (csize bytes)
  <name>.raw   what it decodes to (the block's input bytes)
  manifest.json  [{name, clevel, csize, size, literals, matches, extended,
                   far, overlapping, note}] (instruction counts from the
                   spec-only decoder below)

Checks made while generating: the chunk is not memcpyed (so the filter ran),
python-blosc2 decompresses it back to the input, spec-only Python models of
every filter agree with the extracted bytes, and a spec-only BloscLZ decoder
decodes every stream to the expected bytes. The feature counts show that the
corpus holds far matches, extended lengths and overlapping copies.

Deterministic: seeded generators and one compression thread.

Requirements: Python 3.11, numpy, blosc2==4.14.1.
Usage: python3 test-data/blosc2/make_filter_vectors.py
"""

import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np

import blosc2

HERE = os.path.dirname(os.path.abspath(__file__))
FILTERS_DIR = os.path.join(HERE, "filters")
BLOSCLZ_DIR = os.path.join(HERE, "blosclz")

F = blosc2.Filter
C = blosc2.Codec
blosc2.set_nthreads(1)

# --------------------------------------------------------------------------
# Chunk parsing (spec section 1)
# --------------------------------------------------------------------------


def compress(data, *, typesize, codec, filters, meta, blocksize, clevel=5):
    return blosc2.compress2(
        data, codec=codec, clevel=clevel, typesize=typesize, filters=filters,
        filters_meta=meta, splitmode=blosc2.SplitMode.NEVER_SPLIT,
        blocksize=blocksize, nthreads=1)


def parse_chunk(chunk):
    """(header fields, [per block: (csize, payload)]) of a regular v5 chunk."""
    version, _vlz, flags, ts = chunk[0], chunk[1], chunk[2], chunk[3]
    nbytes, blocksize, cbytes = struct.unpack_from("<iii", chunk, 4)
    assert version == 5, version
    assert flags & 0x05 == 0x05, "extended header"
    assert cbytes == len(chunk)
    assert chunk[0x1F] >> 4 & 7 == 0, "special chunk"
    assert not flags & 0x02, "memcpyed chunk: the filter did not run"
    assert flags & 0x10, "NEVER_SPLIT gives one stream per block"
    nblocks = -(-nbytes // blocksize)
    bstarts = struct.unpack_from("<%di" % nblocks, chunk, 32)
    blocks = []
    for b, start in enumerate(bstarts):
        bsize = blocksize if b < nblocks - 1 or nbytes % blocksize == 0 else nbytes % blocksize
        (csize,) = struct.unpack_from("<i", chunk, start)
        if csize < 0:
            payload = chunk[start + 4:start + 5]
        else:
            payload = chunk[start + 4:start + 4 + csize]
        blocks.append((bsize, csize, payload))
    return {"typesize": ts, "nbytes": nbytes, "blocksize": blocksize, "flags": flags}, blocks


def stream_bytes(bsize, csize, payload, inflate):
    """A block's (single) stream decoded per the csize rules of section 1.3."""
    if csize == 0:
        return bytes(bsize)
    if csize < 0:
        assert payload[0] & 1 and csize >= -255
        return bytes([(-csize) & 0xFF]) * bsize
    if csize == bsize:
        return bytes(payload)
    out = inflate(payload, bsize)
    assert len(out) == bsize
    return out


# --------------------------------------------------------------------------
# Spec-only models of the filters (section 3), to cross-check the extraction
# --------------------------------------------------------------------------


def model_shuffle(block, w):
    n = len(block) // w
    out = bytearray(block)
    for j in range(w):
        for i in range(n):
            out[j * n + i] = block[i * w + j]
    return bytes(out)


def model_bitshuffle(block, ts):
    n = (len(block) // ts) // 8 * 8
    out = bytearray(block)
    out[:n * ts] = bytes(n * ts)
    for i in range(n):
        for r in range(8 * ts):
            if block[i * ts + r // 8] >> (r % 8) & 1:
                p = r * n + i
                out[p // 8] |= 1 << (p % 8)
    return bytes(out)


def delta_unit(ts):
    return ts if ts in (1, 2, 4, 8) else 8 if ts % 8 == 0 else 1


def model_delta(block, ts, reference):
    w = delta_unit(ts)
    end = len(block) // w * w
    out = bytearray(block)
    for m in range(end):
        if reference is None:
            out[m] = block[m] ^ block[m - w] if m >= w else block[m]
        else:
            out[m] = block[m] ^ reference[m]
    return bytes(out)


def model_trunc(block, ts, meta):
    mbits = 23 if ts == 4 else 52
    p = meta - 256 if meta > 127 else meta
    z = mbits - p if p >= 0 else -p
    keep = ~((1 << z) - 1) & ((1 << (8 * ts)) - 1)
    out = bytearray(block)
    for off in range(0, len(block) // ts * ts, ts):
        v = int.from_bytes(block[off:off + ts], "little") & keep
        out[off:off + ts] = v.to_bytes(ts, "little")
    return bytes(out)


# --------------------------------------------------------------------------
# Filter vectors
# --------------------------------------------------------------------------


def smooth(count, ts, seed):
    """count elements of ts bytes: a slow random walk (compressible after any filter)."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(-3, 4, size=count).cumsum() + 1000
    out = bytearray()
    for v in steps.tolist():
        out += int(v & ((1 << min(8 * ts, 63)) - 1)).to_bytes(8, "little")[:min(ts, 8)]
        out += bytes(max(0, ts - 8))
    return bytes(out)


def noise(count, seed):
    return np.random.default_rng(seed).integers(0, 256, size=count, dtype=np.uint8).tobytes()


def floats(count, ts, seed):
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(0, 1, size=count)) * 1000
    return values.astype(np.float32 if ts == 4 else np.float64).tobytes()


def filtered_blocks(data, ts, filt, meta, blocksize):
    chunk = compress(data, typesize=ts, codec=C.ZLIB, filters=[filt], meta=[meta], blocksize=blocksize)
    header, blocks = parse_chunk(chunk)
    assert header["typesize"] == ts and header["nbytes"] == len(data)
    out = b"".join(stream_bytes(bsize, csize, payload, lambda p, n: zlib.decompress(p))
                   for bsize, csize, payload in blocks)
    assert len(out) == len(data)
    # TRUNC_PREC has no inverse: the reference decodes to the truncated bytes.
    assert blosc2.decompress2(chunk) == (out if filt == F.TRUNC_PREC else data)
    return header["blocksize"], out


def check_models(data, out, ts, filt, meta, blocksize):
    """Spec-only models reproduce the reference, block by block."""
    reference = data[:blocksize]
    for start in range(0, len(data), blocksize):
        block = data[start:start + blocksize]
        got = out[start:start + len(block)]
        if filt == F.SHUFFLE:
            want = model_shuffle(block, meta or ts)
        elif filt == F.BITSHUFFLE:
            want = model_bitshuffle(block, ts)
        elif filt == F.DELTA:
            want = model_delta(block, ts, None if start == 0 else reference)
        else:
            want = model_trunc(block, ts, meta)
        assert got == want, (filt, ts, meta, blocksize, start)


def filter_cases():
    """(name, filter, ts, meta, data, blocksize, note)."""
    cases = []
    # SHUFFLE: typesizes, metas (grouping widths), non-multiple block sizes and leftovers.
    # Block sizes stay multiples of ts: c-blosc2 3.3.5 cannot read back the
    # chunks it writes otherwise. The leftover block ends in a partial element.
    for ts in [1, 2, 3, 4, 5, 7, 8, 12, 16, 24, 255]:
        count = 2000 if ts == 1 else 700 if ts <= 4 else 300 if ts < 100 else 50
        data = smooth(count, ts, ts) + noise(ts // 2 + 3, ts)  # a partial element at the end
        for per in [256, 1000] if ts == 1 else [64, 200] if ts < 100 else [20]:
            blocksize = ts * per
            cases.append((f"shuffle_ts{ts}_bs{blocksize}", F.SHUFFLE, ts, 0, data, blocksize,
                          f"blocks of {per} elements; the leftover block ends in a partial element"))
    for ts, meta in [(4, 2), (8, 2), (8, 4), (12, 4), (4, 3), (16, 8), (8, 16)]:
        data = smooth(600, ts, 100 + meta) + noise(5, meta)
        cases.append((f"shuffle_ts{ts}_meta{meta}", F.SHUFFLE, ts, meta, data, ts * 100,
                      "meta != 0 sets the shuffle width"))
    # BITSHUFFLE: the spec's verified grid. Block 0 is compressible bulk; the
    # leftover block holds `count` elements plus a partial one (when ts > 1).
    for ts in [1, 2, 3, 4, 5, 7, 8, 12, 16]:
        for count in [8, 11, 16, 29, 64, 100, 257]:
            bulk_elems = max(count + 8, 2048 // ts)
            partial = noise(ts // 2, count) if ts > 1 else b""
            tail = noise(count * ts, ts * 1000 + count) + partial
            data = smooth(bulk_elems, ts, count) + tail
            blocksize = bulk_elems * ts
            cases.append((f"bitshuffle_ts{ts}_n{count}", F.BITSHUFFLE, ts, 0, data, blocksize,
                          f"leftover block: {count} random elements + {len(partial)} bytes"))
    # DELTA: block 0 and later blocks (reference = block 0 of the input), leftover block.
    for ts in [1, 2, 3, 4, 8, 12, 16]:
        blocksize = ts * 256
        data = smooth(256 * 3 + 77, ts, 7 * ts)
        cases.append((f"delta_ts{ts}", F.DELTA, ts, 0, data, blocksize,
                      "3 full blocks + a leftover of 77 elements"))
    # TRUNC_PREC: p = 10, 1, -3, +-(M-1), and M (keeps everything). No
    # partial element: c-blosc2 leaves those output bytes unwritten (garbage).
    for ts, mbits in [(4, 23), (8, 52)]:
        for p in [10, 1, -3, mbits - 1, -(mbits - 1), mbits]:
            data = floats(1000, ts, ts * 100 + p + 64)
            cases.append((f"trunc_ts{ts}_p{p}", F.TRUNC_PREC, ts, p, data, ts * 256,
                          f"p = {p}; 3 full blocks and a leftover"))
    return cases


def make_filters():
    shutil.rmtree(FILTERS_DIR, ignore_errors=True)
    os.makedirs(FILTERS_DIR)
    manifest = []
    names = {F.SHUFFLE: "shuffle", F.BITSHUFFLE: "bitshuffle", F.DELTA: "delta", F.TRUNC_PREC: "trunc_prec"}
    for name, filt, ts, meta, data, blocksize, note in filter_cases():
        actual_blocksize, out = filtered_blocks(data, ts, filt, meta, blocksize)
        assert actual_blocksize == blocksize, (name, actual_blocksize, blocksize)
        check_models(data, out, ts, filt, meta & 0xFF, blocksize)
        with open(os.path.join(FILTERS_DIR, name + ".in"), "wb") as f:
            f.write(data)
        with open(os.path.join(FILTERS_DIR, name + ".out"), "wb") as f:
            f.write(out)
        manifest.append({"name": name, "filter": names[filt], "typesize": ts, "meta": meta & 0xFF,
                         "blocksize": blocksize, "nbytes": len(data), "note": note})
    with open(os.path.join(FILTERS_DIR, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return len(manifest)


# --------------------------------------------------------------------------
# BloscLZ: a spec-only decoder (section 2.1) that also counts instructions
# --------------------------------------------------------------------------


class LZError(Exception):
    pass


def blosclz_decode(src, size):
    stats = {"literals": 0, "matches": 0, "extended": 0, "far": 0, "overlapping": 0}
    out = bytearray()
    n = len(src)
    if n == 0:
        if size:
            raise LZError("empty")
        return bytes(out), stats
    ip = 1
    ctrl = src[0] & 31
    while True:
        if ctrl < 32:
            cnt = ctrl + 1
            if ip + cnt > n or len(out) + cnt > size:
                raise LZError("literal overrun")
            out += src[ip:ip + cnt]
            ip += cnt
            stats["literals"] += 1
            if ip >= n:
                break
            ctrl = src[ip]
            ip += 1
            continue
        length = (ctrl >> 5) - 1
        hi = (ctrl & 31) << 8
        if length == 6:
            stats["extended"] += 1
            while True:
                if n - ip < 2:
                    raise LZError("extension overrun")
                e = src[ip]
                ip += 1
                length += e
                if e != 255:
                    break
        elif n - ip < 2:
            raise LZError("match overrun")
        lo = src[ip]
        ip += 1
        length += 3
        if lo == 255 and hi == 31 << 8:
            if n - ip < 2:
                raise LZError("far overrun")
            d = (src[ip] << 8 | src[ip + 1]) + 8192
            ip += 2
            stats["far"] += 1
        else:
            d = hi + lo + 1
        if len(out) + length > size or d > len(out):
            raise LZError("match out of range")
        if ip >= n:
            break  # the quirk: stop without performing this match
        ctrl = src[ip]
        ip += 1
        if d < length:
            stats["overlapping"] += 1
        start = len(out) - d
        for k in range(length):
            out.append(out[start + k])
        stats["matches"] += 1
    if len(out) != size:
        raise LZError("short output")
    return bytes(out), stats


def lz_datasets():
    """(label, data, blocksize): data BloscLZ compresses (random data it gives up on)."""
    rng = np.random.default_rng(2024)

    def rnd(k):
        return rng.integers(0, 256, size=k, dtype=np.uint8).tobytes()

    words = [b"alpha ", b"beta ", b"gamma ", b"delta ", b"swkas ", b"blosc ", b"chunk\n", b"0123456789"]
    text = b"".join(words[i] for i in rng.integers(0, len(words), size=6000))
    runs = rnd(100) + bytes(5000) + rnd(37) + b"A" * 70000 + rnd(200) + b"xy" * 3000 + rnd(11)
    # Random stretches repeated 20000+ bytes later: far matches (distance > 8191).
    r1, r2 = rnd(3000), rnd(2000)
    far = (r1 + b"ab" * 8500 + r1 + text[:20000] + r1 + r2 + text[:5000] + r2)[:65536]
    far2 = (text[:4000] + r1 + text[4000:24000] + r1 + bytes(20000) + r1)[:65536]
    near = b"".join(rnd(int(rng.integers(4, 40))) * int(rng.integers(1, 6)) for _ in range(1500))
    numbers = (np.arange(10000, dtype=np.uint64) * 7 + (np.arange(10000) % 13).astype(np.uint64)).tobytes()
    pattern = b"abc" * 5000 + b"abcd" * 3000 + rnd(50) + b"q" * 9
    half_random = b"".join(rnd(16) + bytes(16) for _ in range(128))
    mostly_literals = b"".join(rnd(100) + bytes([i]) * 12 for i in range(40))
    return [
        ("text", text, 16384),
        ("runs", runs, 1 << 17),
        ("far", far, 65536),
        ("far2", far2, 65536),
        ("near", near, 32768),
        ("numbers", numbers, 65536),
        ("pattern", pattern, 32768),
        ("half_random", half_random, 0),
        ("mostly_literals", mostly_literals, 0),
    ]


def make_blosclz():
    shutil.rmtree(BLOSCLZ_DIR, ignore_errors=True)
    os.makedirs(BLOSCLZ_DIR)
    manifest = []
    seen = set()
    totals = {"literals": 0, "matches": 0, "extended": 0, "far": 0, "overlapping": 0}
    for label, data, blocksize in lz_datasets():
        for clevel in [1, 9]:
            try:
                chunk = compress(data, typesize=1, codec=C.BLOSCLZ, filters=[F.NOFILTER], meta=[0],
                                 blocksize=blocksize, clevel=clevel)
            except RuntimeError:
                continue
            assert blosc2.decompress2(chunk) == data
            if chunk[2] & 0x02:
                continue  # memcpyed: no stream
            header, blocks = parse_chunk(chunk)
            offset = 0
            for b, (bsize, csize, payload) in enumerate(blocks):
                expected = data[offset:offset + bsize]
                offset += bsize
                if csize <= 0 or csize == bsize:
                    continue  # zeros, run or raw: not a BloscLZ stream
                if bytes(payload) in seen:
                    continue
                seen.add(bytes(payload))
                decoded, stats = blosclz_decode(bytes(payload), bsize)
                assert decoded == expected, (label, clevel, b)
                name = f"{label}_cl{clevel}_b{b}"
                with open(os.path.join(BLOSCLZ_DIR, name + ".lz"), "wb") as f:
                    f.write(payload)
                with open(os.path.join(BLOSCLZ_DIR, name + ".raw"), "wb") as f:
                    f.write(expected)
                for key in totals:
                    totals[key] += stats[key]
                manifest.append({"name": name, "clevel": clevel, "csize": csize, "size": bsize, **stats,
                                 "note": f"{label} data, block {b} of a {header['blocksize']}-byte-block chunk"})
    with open(os.path.join(BLOSCLZ_DIR, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    assert totals["far"] > 0 and totals["extended"] > 0 and totals["overlapping"] > 0, totals
    return len(manifest), totals


def main():
    assert blosc2.__version__ == "4.14.1", blosc2.__version__
    count = make_filters()
    print(f"filters: {count} vectors")
    lz_count, totals = make_blosclz()
    print(f"blosclz: {lz_count} streams, {totals}")


if __name__ == "__main__":
    sys.exit(main())
