#!/usr/bin/env python3
"""Generate the golden kastore corpus used by the swkas compatibility tests.

Every store is written twice with the reference implementation (PyPI
``kastore==0.3.6``): once with ``engine="c"`` (``<case>.c.kas``) and once
with ``engine="python"`` (``<case>.py.kas``). The two files must be
byte-identical; the script asserts this and keeps both.

Outputs (all in ``golden/`` next to this script):
  *.kas           the stores
  manifest.json   per file: its items in file (sorted) order and its sha256
  manifest.tsv    one line per item, for C consumers:
                    file  key_hex  type  length  data_hex
                  and for a zero-key store:
                    file  -  -1  0  -

Requirements: Python 3.11, numpy, kastore==0.3.6. The output is
deterministic: running the script twice produces identical files.

Usage: python3 test-data/kastore/make_golden.py
"""

import hashlib
import json
import os
import random
import struct
import sys

import numpy as np

import kastore

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "golden")

# Type codes, in order (format spec section 1.4).
DTYPES = [
    "int8", "uint8", "int16", "uint16", "int32",
    "uint32", "int64", "uint64", "float32", "float64",
]
TYPE_CODE = {name: code for code, name in enumerate(DTYPES)}

WORKED_EXAMPLE_SHA256 = (
    "8f32796ba98c0fffc8cd832d465f8fbb15ba811eed261e7b3644d1906d9f2671"
)

MAX_FILE_SIZE = 64 * 1024
# The many-keys store cannot fit in 64 KiB: 2000 descriptors alone are 128 KB.
LARGE_CASES = {"many_keys"}
MAX_TOTAL_SIZE = 2 * 1024 * 1024


def arr(values, dtype):
    """A little-endian numpy array of the given dtype."""
    return np.array(values, dtype=np.dtype(dtype).newbyteorder("<"))


def from_bits(bits, dtype):
    """Build a float array from raw integer bit patterns (exact payloads)."""
    if dtype == "float32":
        return np.array(bits, dtype="<u4").view("<f4")
    return np.array(bits, dtype="<u8").view("<f8")


# ---------------------------------------------------------------------------
# Cases. Each builder returns a dict {str key: 1-D numpy array}.
# ---------------------------------------------------------------------------


def case_empty():
    return {}


def case_worked_example():
    # Format spec section 1.7.
    return {
        "b": np.zeros(0, np.float32),
        "ab": np.array([7], np.uint8),
        "a": np.array([-1, 2], np.int32),
    }


def extreme_values(dtype):
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = [info.min, info.max, 0, 1, info.max - 1, info.min + 1, 42]
        if dt.kind == "i":
            vals += [-1, -42]
        return arr(vals, dtype)
    if dtype == "float32":
        bits = [
            0x00000000,  # +0.0
            0x80000000,  # -0.0
            0x3F800000,  # 1.0
            0xBF800000,  # -1.0
            0x7F800000,  # +inf
            0xFF800000,  # -inf
            0x7FC00000,  # quiet NaN
            0xFFC00001,  # negative NaN with payload
            0x00000001,  # smallest denormal
            0x007FFFFF,  # largest denormal
            0x80000001,  # negative smallest denormal
            0x00800000,  # smallest normal
            0x7F7FFFFF,  # max finite
            0xFF7FFFFF,  # lowest finite
            0x3DCCCCCD,  # 0.1f
            0x34000000,  # epsilon
        ]
        return from_bits(bits, dtype)
    bits = [
        0x0000000000000000,  # +0.0
        0x8000000000000000,  # -0.0
        0x3FF0000000000000,  # 1.0
        0xBFF0000000000000,  # -1.0
        0x7FF0000000000000,  # +inf
        0xFFF0000000000000,  # -inf
        0x7FF8000000000000,  # quiet NaN
        0xFFF8000000000123,  # negative NaN with payload
        0x0000000000000001,  # smallest denormal
        0x000FFFFFFFFFFFFF,  # largest denormal
        0x8000000000000001,  # negative smallest denormal
        0x0010000000000000,  # smallest normal
        0x7FEFFFFFFFFFFFFF,  # max finite
        0xFFEFFFFFFFFFFFFF,  # lowest finite
        0x3FB999999999999A,  # 0.1
        0x3CB0000000000000,  # epsilon
    ]
    return from_bits(bits, dtype)


def make_dtype_case(dtype):
    def build():
        return {dtype: extreme_values(dtype)}
    return build


def case_all_dtypes():
    return {f"{code}_{name}": extreme_values(name)
            for code, name in enumerate(DTYPES)}


def case_all_dtypes_empty():
    return {name: np.zeros(0, dtype=name) for name in DTYPES}


def case_last_array_empty():
    # "a" is 3 bytes, so the empty "b" starts at the next multiple of 8 and
    # the file ends in 5 bytes of padding.
    return {
        "a": arr([1, 2, 3], "uint8"),
        "b": np.zeros(0, np.float64),
    }


def case_ten_singletons():
    # key_0 .. key_9; the types run backwards so that the last key (key_9)
    # is int8 and the store is exactly 833 bytes.
    return {f"key_{j}": arr([j + 1], DTYPES[9 - j]) for j in range(10)}


def case_keys_unicode():
    return {
        "z": arr([1], "int8"),
        "é": arr([2], "int8"),          # C3 A9: sorts after "z"
        "ü": arr([3], "int16"),
        "中文": arr([4, 5], "int32"),
        "日本語/キー": arr([6.5], "float64"),
        "😀": arr([7], "uint64"),       # F0 9F 98 80
        "e\u0301": arr([8], "uint8"),  # "e" + combining acute (not NFC)
        "\u00ff": arr([9], "uint16"),
        "\U0010FFFF": arr([10], "uint32"),
    }


def case_keys_prefix():
    return {
        "a": arr([1], "int32"),
        "ab": arr([2], "int32"),
        "abc": arr([3], "int32"),
        "b": arr([4], "int32"),
        "abd": arr([5], "int32"),
        "aa": arr([6], "int32"),
    }


def case_keys_case():
    return {
        "a": arr([1], "uint8"),
        "Z": arr([2], "uint8"),
        "A": arr([3], "uint8"),
        "z": arr([4], "uint8"),
        "_": arr([5], "uint8"),
        "0": arr([6], "uint8"),
        "~": arr([7], "uint8"),
    }


def case_keys_punct():
    return {
        "a key with spaces": arr([1.5, 2.5], "float32"),
        "key/with:punct!?.,;'\"[]{}()<>@#$%^&*-+=|\\`": arr([1, 2], "int64"),
        " leading space": arr([3], "int16"),
        "trailing space ": arr([4], "int16"),
        "tab\there": arr([5], "uint16"),
        "new\nline": arr([6], "uint32"),
    }


def case_keys_nul():
    # In C a key is any non-empty byte string, NUL bytes included.
    return {
        "a": arr([1], "int8"),
        "a\x00": arr([2], "int8"),
        "a\x00b": arr([3], "int8"),
        "\x00": arr([4], "int8"),
    }


def case_key_long():
    long_key = "".join(chr(ord("a") + (j * 7) % 26) for j in range(1000))
    assert len(long_key) == 1000
    return {
        long_key: arr([1, 2, 3], "int32"),
        "short": arr([4], "int32"),
    }


def case_many_keys():
    rng = random.Random(20240601)
    data = {}
    for j in range(2000):
        dtype = DTYPES[j % 10]
        n = j % 4
        size = np.dtype(dtype).itemsize
        data[f"k{j:05d}"] = np.frombuffer(
            rng.randbytes(n * size), dtype=np.dtype(dtype).newbyteorder("<"))
    return data


def case_tskit_like():
    num_nodes, num_edges = 7, 6
    name = np.frombuffer(b"tskit.trees", dtype=np.int8)
    return {
        "format/name": name,
        "format/version": arr([12, 7], "uint32"),
        "sequence_length": arr([100.0], "float64"),
        "uuid": np.frombuffer(b"00000000-0000-4000-8000-000000000000",
                              dtype=np.int8),
        "nodes/time": arr([0, 0, 0, 0, 0.5, 1.25, 3.0], "float64"),
        "nodes/flags": arr([1, 1, 1, 1, 0, 0, 0], "uint32"),
        "nodes/population": arr([-1] * num_nodes, "int32"),
        "nodes/individual": arr([-1] * num_nodes, "int32"),
        "nodes/metadata": np.zeros(0, np.int8),
        "nodes/metadata_offset": arr([0] * (num_nodes + 1), "uint32"),
        "edges/left": arr([0, 0, 0, 0, 50, 50], "float64"),
        "edges/right": arr([100, 100, 50, 50, 100, 100], "float64"),
        "edges/parent": arr([4, 4, 5, 5, 6, 6], "int32"),
        "edges/child": arr([0, 1, 2, 3, 2, 3], "int32"),
        "edges/metadata": np.zeros(0, np.int8),
        "edges/metadata_offset": arr([0] * (num_edges + 1), "uint32"),
        "sites/position": arr([10.0, 60.0], "float64"),
        "sites/ancestral_state": np.frombuffer(b"AG", dtype=np.int8),
        "sites/ancestral_state_offset": arr([0, 1, 2], "uint32"),
        "mutations/site": arr([0, 1], "int32"),
        "mutations/node": arr([0, 5], "int32"),
        "mutations/derived_state": np.frombuffer(b"TC", dtype=np.int8),
        "mutations/derived_state_offset": arr([0, 1, 2], "uint32"),
        "mutations/parent": arr([-1, -1], "int32"),
        "provenances/timestamp": np.frombuffer(b"2024-01-01T00:00:00",
                                               dtype=np.int8),
        "provenances/timestamp_offset": arr([0, 19], "uint64"),
    }


KEY_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-. "
    "éüßøÅ中文字日本語한국😀🎉\u0301\u00a0"
)


def make_random_case(seed):
    def build():
        rng = random.Random(seed)
        data = {}
        num_keys = rng.randint(1, 25)
        while len(data) < num_keys:
            key_len = rng.randint(1, 12)
            key = "".join(rng.choice(KEY_ALPHABET) for _ in range(key_len))
            if key in data:
                continue
            dtype = rng.choice(DTYPES)
            n = rng.randint(0, 50)
            raw = rng.randbytes(n * np.dtype(dtype).itemsize)
            data[key] = np.frombuffer(raw,
                                      dtype=np.dtype(dtype).newbyteorder("<"))
        return data
    return build


CASES = [("empty", case_empty), ("worked_example", case_worked_example)]
CASES += [(f"dtype_{name}", make_dtype_case(name)) for name in DTYPES]
CASES += [
    ("all_dtypes", case_all_dtypes),
    ("all_dtypes_empty", case_all_dtypes_empty),
    ("last_array_empty", case_last_array_empty),
    ("ten_singletons", case_ten_singletons),
    ("keys_unicode", case_keys_unicode),
    ("keys_prefix", case_keys_prefix),
    ("keys_case", case_keys_case),
    ("keys_punct", case_keys_punct),
    ("keys_nul", case_keys_nul),
    ("key_long", case_key_long),
    ("many_keys", case_many_keys),
    ("tskit_like", case_tskit_like),
]
CASES += [(f"random_{j}", make_random_case(1000 + j)) for j in range(5)]


# ---------------------------------------------------------------------------
# Independent checks of the written bytes.
# ---------------------------------------------------------------------------


def expected_items(data):
    """Items in file order: sorted by UTF-8 key bytes (memcmp, shorter first)."""
    items = []
    for key, value in data.items():
        a = np.asarray(value)
        assert a.ndim == 1
        dtype = a.dtype.name
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        items.append({
            "key_bytes": key.encode("utf-8"),
            "key": key,
            "type": TYPE_CODE[dtype],
            "dtype": dtype,
            "length": int(a.shape[0]),
            "data": raw,
        })
    # Python's bytes ordering is exactly memcmp-then-shorter-first.
    items.sort(key=lambda it: it["key_bytes"])
    return items


def round_up8(x):
    return (x + 7) // 8 * 8


def check_layout(blob, items):
    """Parse blob ourselves and check it against the packing rules (spec 1.6)."""
    n = len(items)
    assert blob[:8] == b"\x89KAS\r\n\x1a\n"
    major, minor, num_items, file_size = struct.unpack_from("<HHIQ", blob, 8)
    assert (major, minor, num_items, file_size) == (1, 0, n, len(blob))
    assert blob[24:64] == bytes(40)
    off = 64 + 64 * n
    key_starts = []
    for it in items:
        key_starts.append(off)
        off += len(it["key_bytes"])
    array_starts = []
    for it in items:
        start = round_up8(off)
        assert blob[off:start] == bytes(start - off), "padding not zero"
        array_starts.append(start)
        off = start + len(it["data"])
    assert off == file_size
    for j, it in enumerate(items):
        d = 64 + 64 * j
        code = blob[d]
        assert blob[d + 1:d + 8] == bytes(7)
        ks, kl, as_, al = struct.unpack_from("<QQQQ", blob, d + 8)
        assert blob[d + 40:d + 64] == bytes(24)
        assert code == it["type"]
        assert (ks, kl) == (key_starts[j], len(it["key_bytes"]))
        assert (as_, al) == (array_starts[j], it["length"])
        assert blob[ks:ks + kl] == it["key_bytes"]
        nbytes = len(it["data"])
        assert blob[as_:as_ + nbytes] == it["data"]


def check_roundtrip(path, items):
    """Load with both reference engines and compare against the input."""
    for engine in ("c", "python"):
        loaded = kastore.load(path, engine=engine)
        try:
            keys = list(loaded.keys())
            if engine == "python":
                # File order; the Store iterates in file (sorted) order.
                assert keys == [it["key"] for it in items], (path, engine)
            else:
                assert sorted(k.encode() for k in keys) == \
                    [it["key_bytes"] for it in items], (path, engine)
            for it in items:
                a = loaded[it["key"]]
                assert a.dtype.name == it["dtype"]
                assert a.shape == (it["length"],)
                assert a.tobytes() == it["data"], (path, engine, it["key"])
        finally:
            if hasattr(loaded, "close"):
                loaded.close()


# ---------------------------------------------------------------------------


def format_manifest(manifest):
    """JSON text with one file per block and one item per line (compact, diffable)."""
    def dumps(obj):
        return json.dumps(obj, ensure_ascii=True, separators=(", ", ": "))

    blocks = []
    for entry in manifest:
        lines = ['{"file": ' + dumps(entry["file"]) + ', "items": [']
        lines.append(",\n".join("  " + dumps(it) for it in entry["items"]))
        lines.append('], "sha256": ' + dumps(entry["sha256"]) + "}")
        if not entry["items"]:
            lines = [lines[0] + lines[2]]
        blocks.append("\n".join(lines))
    text = "[\n" + ",\n".join(blocks) + "\n]\n"
    assert json.loads(text) == manifest
    return text


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # Remove stale outputs so the directory mirrors CASES exactly.
    for name in os.listdir(OUT_DIR):
        if name.endswith(".kas") or name.startswith("manifest."):
            os.remove(os.path.join(OUT_DIR, name))

    manifest = []
    tsv_lines = []
    total = 0
    for case, build in CASES:
        data = build()
        items = expected_items(data)

        # Insert in reverse-sorted order so that the writers' sort is exercised.
        shuffled = dict(sorted(data.items(),
                               key=lambda kv: kv[0].encode("utf-8"),
                               reverse=True))
        blobs = {}
        for suffix, engine in (("c", "c"), ("py", "python")):
            fname = f"{case}.{suffix}.kas"
            path = os.path.join(OUT_DIR, fname)
            kastore.dump(shuffled, path, engine=engine)
            with open(path, "rb") as f:
                blobs[suffix] = f.read()
        assert blobs["c"] == blobs["py"], f"{case}: engines differ"
        blob = blobs["c"]
        assert blob == kastore.dumps(data), f"{case}: dumps differs"

        check_layout(blob, items)
        digest = hashlib.sha256(blob).hexdigest()
        if case == "empty":
            assert len(blob) == 64
        if case == "worked_example":
            assert len(blob) == 280
            assert digest == WORKED_EXAMPLE_SHA256, digest
        if case == "ten_singletons":
            assert len(blob) == 833, len(blob)
        if case == "last_array_empty":
            assert blob.endswith(bytes(5))
        if case not in LARGE_CASES:
            assert len(blob) < MAX_FILE_SIZE, (case, len(blob))

        for suffix in ("c", "py"):
            fname = f"{case}.{suffix}.kas"
            check_roundtrip(os.path.join(OUT_DIR, fname), items)
            total += len(blob)
            manifest.append({
                "file": fname,
                "items": [
                    {
                        "key_hex": it["key_bytes"].hex(),
                        "key": it["key"],
                        "type": it["type"],
                        "dtype": it["dtype"],
                        "length": it["length"],
                        "data_hex": it["data"].hex(),
                    }
                    for it in items
                ],
                "sha256": digest,
            })
            if items:
                for it in items:
                    tsv_lines.append("\t".join([
                        fname, it["key_bytes"].hex(), str(it["type"]),
                        str(it["length"]), it["data"].hex() or "-",
                    ]))
            else:
                tsv_lines.append(f"{fname}\t-\t-1\t0\t-")

    assert total < MAX_TOTAL_SIZE, total

    with open(os.path.join(OUT_DIR, "manifest.json"), "w",
              encoding="ascii", newline="\n") as f:
        f.write(format_manifest(manifest))
    with open(os.path.join(OUT_DIR, "manifest.tsv"), "w",
              encoding="ascii", newline="\n") as f:
        f.write("\n".join(tsv_lines) + "\n")

    print(f"wrote {len(manifest)} golden files ({total} bytes) to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
