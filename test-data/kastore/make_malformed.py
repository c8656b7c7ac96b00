#!/usr/bin/env python3
"""Generate the malformed / edge-case kastore corpus and record the reference's results.

Every file starts from a valid store written by the reference implementation
(PyPI ``kastore==0.3.6``) and then has specific bytes changed, removed or
appended, so that every read check of the format spec (section 2.1, rows 2 to
13, and section 2.2) is exercised. Valid edge cases are included too
(``valid_*``).

Each file is then opened with the reference C library (``.build-ref/
libkastore_ref.so``, built by ``scripts/build-reference-kastore.sh``) through
ctypes, in lazy mode (flags 0) and with ``KAS_READ_ALL`` (flags 1). For each
mode we record the return code of ``kastore_open(path, "r", flags)`` and, if
the open succeeded, the return code of ``kastore_get`` on the key of every
item ``items[j]`` in index order; then the store is closed. Every probe runs in
its own subprocess, so a crash in the reference cannot take this script down.

Outputs (in ``malformed/`` next to this script):
  *.kas           the corpus
  manifest.json   [{"file", "description", "lazy": {"open", "gets"},
                    "read_all": {...}, "expected": {"lazy": ..., "read_all": ...},
                    "ours_differs": null | reason}]
                  "lazy"/"read_all" are the reference's observed results;
                  "expected" is what swkas must return (it equals the
                  reference except where the spec says ours differs).
  manifest.tsv    one line per file, for C consumers:
                    file  lazy_open  lazy_gets  read_all_open  read_all_gets
                  (expected values; gets comma-separated, or "-" if none)

Usage: python3 test-data/kastore/make_malformed.py
"""

import ctypes
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(HERE, "malformed")
REF_LIB = os.path.join(ROOT, ".build-ref", "libkastore_ref.so")
BUILD_SCRIPT = os.path.join(ROOT, "scripts", "build-reference-kastore.sh")

KAS_READ_ALL = 1
KAS_ERR_IO = -2
KAS_ERR_NO_MEMORY = -4
KAS_ERR_BAD_FILE_FORMAT = -5

U64_MAX = 2**64 - 1


# ---------------------------------------------------------------------------
# Reference probe (runs in a child process; uses only ctypes).
# ---------------------------------------------------------------------------


class KaItem(ctypes.Structure):
    # Spec section 3.3: 64 bytes, 4 bytes of padding after `type`.
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


class KaStore(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_int),
        ("mode", ctypes.c_int),
        ("file_version", ctypes.c_int * 2),
        ("num_items", ctypes.c_size_t),
        ("items", ctypes.POINTER(KaItem)),
        ("file", ctypes.c_void_p),
        ("file_size", ctypes.c_size_t),
        ("file_offset", ctypes.c_long),
        ("key_read_buffer", ctypes.c_void_p),
    ]


assert ctypes.sizeof(KaItem) == 64 and ctypes.sizeof(KaStore) == 64


def probe(lib_path, path, flags):
    lib = ctypes.CDLL(lib_path)
    lib.kastore_open.argtypes = [ctypes.POINTER(KaStore), ctypes.c_char_p,
                                 ctypes.c_char_p, ctypes.c_int]
    lib.kastore_open.restype = ctypes.c_int
    lib.kastore_get.argtypes = [
        ctypes.POINTER(KaStore), ctypes.c_char_p, ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
        ctypes.POINTER(ctypes.c_int)]
    lib.kastore_get.restype = ctypes.c_int
    lib.kastore_close.argtypes = [ctypes.POINTER(KaStore)]
    lib.kastore_close.restype = ctypes.c_int

    store = KaStore()
    ret = lib.kastore_open(ctypes.byref(store), os.fsencode(path), b"r", flags)
    gets = []
    if ret == 0:
        keys = []
        for j in range(store.num_items):
            item = store.items[j]
            keys.append(ctypes.string_at(item.key, item.key_len))
        for key in keys:
            array = ctypes.c_void_p()
            array_len = ctypes.c_size_t()
            type_ = ctypes.c_int()
            gets.append(lib.kastore_get(
                ctypes.byref(store), key, len(key), ctypes.byref(array),
                ctypes.byref(array_len), ctypes.byref(type_)))
    lib.kastore_close(ctypes.byref(store))
    return {"open": ret, "gets": gets}


def run_probe(path, flags):
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--probe", REF_LIB, path,
         str(flags)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        return {"open": None, "gets": [],
                "crash": f"exit status {proc.returncode}"}
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------
# Building blocks.
# ---------------------------------------------------------------------------


def ref_dumps(data):
    """A valid store written by the reference (both engines must agree)."""
    import tempfile

    import kastore

    blob = kastore.dumps(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.kas")
        kastore.dump(data, path, engine="c")
        with open(path, "rb") as f:
            assert f.read() == blob
    return blob


def desc(j):
    return 64 + 64 * j


# Field offsets inside an item descriptor.
TYPE, KEY_START, KEY_LEN, ARRAY_START, ARRAY_LEN = 0, 8, 16, 24, 32


class Store:
    """A mutable byte image of a store with helpers for patching fields."""

    def __init__(self, blob):
        self.b = bytearray(blob)

    def u8(self, off, v):
        self.b[off] = v
        return self

    def u16(self, off, v):
        struct.pack_into("<H", self.b, off, v)
        return self

    def u32(self, off, v):
        struct.pack_into("<I", self.b, off, v)
        return self

    def u64(self, off, v):
        struct.pack_into("<Q", self.b, off, v)
        return self

    def get64(self, off):
        return struct.unpack_from("<Q", self.b, off)[0]

    def major(self, v):
        return self.u16(8, v)

    def minor(self, v):
        return self.u16(10, v)

    def n(self, v):
        return self.u32(12, v)

    def file_size(self, v):
        return self.u64(16, v)

    def fs(self):
        return self.get64(16)

    def d(self, j, field, v):
        if field == TYPE:
            return self.u8(desc(j), v)
        return self.u64(desc(j) + field, v)

    def dget(self, j, field):
        if field == TYPE:
            return self.b[desc(j)]
        return self.get64(desc(j) + field)

    def put(self, off, data):
        self.b[off:off + len(data)] = data
        return self

    def truncate(self, size):
        del self.b[size:]
        return self

    def append(self, data):
        self.b += data
        return self

    def bytes(self):
        return bytes(self.b)


def build_bases():
    import numpy as np

    bases = {}
    # Spec section 1.7 worked example, 280 bytes:
    #   d0 "a"  int32 [-1, 2] key 0x100 array 0x108
    #   d1 "ab" uint8 [7]     key 0x101 array 0x110
    #   d2 "b"  float32 []    key 0x103 array 0x118 (= file_size)
    bases["ex"] = ref_dumps({
        "b": np.zeros(0, np.float32),
        "ab": np.array([7], np.uint8),
        "a": np.array([-1, 2], np.int32),
    })
    assert len(bases["ex"]) == 280
    bases["empty"] = ref_dumps({})
    assert len(bases["empty"]) == 64
    # Three 1-byte keys, int32 arrays: keys at 0x100..0x102, arrays at
    # 0x108 (12 B), 0x118 (8 B), 0x120 (4 B); file_size 0x124 = 292.
    bases["abc"] = ref_dumps({
        "a": np.array([1, 2, 3], np.int32),
        "b": np.array([4, 5], np.int32),
        "c": np.array([6], np.int32),
    })
    assert len(bases["abc"]) == 292
    # Two 1-byte keys, float64 then uint16: keys 0xc0, 0xc1; arrays 0xc8
    # (16 B) and 0xd8 (6 B); file_size 0xde = 222.
    bases["xy"] = ref_dumps({
        "x": np.array([1.5, -2.5], np.float64),
        "y": np.array([1, 2, 3], np.uint16),
    })
    assert len(bases["xy"]) == 222
    # Keys of different lengths, used for ordering tests.
    bases["a_ab"] = ref_dumps({
        "a": np.array([1], np.int8), "ab": np.array([2], np.int8)})
    bases["Z_a"] = ref_dumps({
        "Z": np.array([1], np.int8), "a": np.array([2], np.int8)})
    bases["z_e"] = ref_dumps({
        "z": np.array([1], np.int8), "é": np.array([2], np.int8)})
    # Last array empty: "a" uint8[3] at 0xc8, "b" float64[] at 0xd0 = file_size,
    # so the file ends in 5 padding bytes.
    bases["pad_end"] = ref_dumps({
        "a": np.array([1, 2, 3], np.uint8), "b": np.zeros(0, np.float64)})
    assert len(bases["pad_end"]) == 0xD0
    return bases


def raw_store(n, file_size, descriptors, tail):
    """Hand-made image: header, descriptors (type, ks, kl, as, al), then tail."""
    s = Store(bytes(64 + 64 * n))
    s.put(0, b"\x89KAS\r\n\x1a\n").major(1).minor(0).n(n).file_size(file_size)
    for j, (t, ks, kl, as_, al) in enumerate(descriptors):
        s.d(j, TYPE, t).d(j, KEY_START, ks).d(j, KEY_LEN, kl)
        s.d(j, ARRAY_START, as_).d(j, ARRAY_LEN, al)
    s.append(tail)
    return s.bytes()


# ---------------------------------------------------------------------------
# The corpus.
# ---------------------------------------------------------------------------


def build_cases(bases):
    """Returns a list of (name, description, bytes, differs) tuples.

    `differs` is None, or (reason, expected) where expected is
    {"lazy": {...}, "read_all": {...}} for swkas; otherwise the expected
    result is the reference's.
    """
    ex, empty, abc, xy = bases["ex"], bases["empty"], bases["abc"], bases["xy"]
    cases = []

    def add(name, description, data, differs=None):
        if isinstance(data, Store):
            data = data.bytes()
        cases.append((name, description, data, differs))

    def E(blob=ex):
        return Store(blob)

    reject13 = (
        "spec 2.3 / 2.1 row 13: ours rejects unsorted and duplicate keys with "
        "KAS_ERR_BAD_FILE_FORMAT in both modes; the reference opens them",
        {"lazy": {"open": -5, "gets": []},
         "read_all": {"open": -5, "gets": []}})

    def huge_n_differs(reason):
        return (reason, {"lazy": {"open": -5, "gets": []},
                         "read_all": {"open": -5, "gets": []}})

    # --- valid baselines -----------------------------------------------------
    add("valid_worked_example", "unchanged spec 1.7 worked example (valid)", ex)
    add("valid_empty_store", "unchanged empty store, 64 bytes (valid)", empty)

    # --- row 2: zero bytes ---------------------------------------------------
    add("r02_empty_file", "row 2: 0-byte file -> KAS_ERR_EOF", b"")

    # --- row 3: short header -------------------------------------------------
    for k in (1, 7, 8, 12, 16, 24, 32, 63):
        add(f"r03_short_header_{k:02d}",
            f"row 3: only the first {k} bytes of a valid header", ex[:k])
    add("r03_short_header_empty_store_63",
        "row 3: empty store missing its last header byte", empty[:63])

    # --- row 4: magic --------------------------------------------------------
    for i in range(8):
        s = E()
        s.u8(i, s.b[i] ^ 0x01)
        add(f"r04_bad_magic_byte{i}", f"row 4: magic byte {i} xor 0x01", s)
    add("r04_bad_magic_zeros", "row 4: magic all zero bytes",
        E().put(0, bytes(8)))
    add("r04_bad_magic_nul_byte3", "row 4: magic byte 3 replaced by NUL",
        E().u8(3, 0))
    add("r04_bad_magic_and_major2",
        "row 4 before row 5: bad magic and major version 2 -> bad format",
        E().u8(1, ord("k")).major(2))
    add("r04_bad_magic_empty_store", "row 4: empty store with bad magic byte 7",
        Store(empty).u8(7, 0x0B))

    # --- row 5: version ------------------------------------------------------
    add("r05_major0", "row 5: major version 0 -> VERSION_TOO_OLD",
        E().major(0))
    add("r05_major2", "row 5: major version 2 -> VERSION_TOO_NEW",
        E().major(2))
    add("r05_major_ffff", "row 5: major version 0xffff -> VERSION_TOO_NEW",
        E().major(0xFFFF))
    add("r05_major_0100", "row 5: major version 0x100 (byte-swapped 1) -> TOO_NEW",
        E().major(0x100))
    add("r05_major0_file_size0",
        "row 5 before row 6: major 0 and file_size 0 -> VERSION_TOO_OLD",
        E().major(0).file_size(0))
    add("r05_major2_file_size1",
        "row 5 before row 6: major 2 and file_size 1 -> VERSION_TOO_NEW",
        E().major(2).file_size(1))
    add("r05_major2_n0_bad_file_size",
        "row 5 before row 7: empty store, major 2, file_size 65 -> TOO_NEW",
        Store(empty).major(2).file_size(65))
    add("r05_major2_huge_n",
        "row 5 before row 8: major 2 and n = 0xffffffff -> TOO_NEW",
        E().major(2).n(0xFFFFFFFF))
    add("r05_major0_truncated",
        "row 5 before row 9: major 0, file cut after the header -> TOO_OLD",
        E().major(0).truncate(64))
    add("valid_minor1", "minor version 1 is ignored (valid)", E().minor(1))
    add("valid_minor_ffff", "minor version 0xffff is ignored (valid)",
        E().minor(0xFFFF))
    add("valid_empty_store_minor7", "empty store with minor version 7 (valid)",
        Store(empty).minor(7))

    # --- row 6: file_size < 64 -----------------------------------------------
    add("r06_file_size0", "row 6: n=3, file_size 0", E().file_size(0))
    add("r06_file_size63", "row 6: n=3, file_size 63", E().file_size(63))
    add("r06_empty_store_file_size0", "row 6: n=0, file_size 0",
        Store(empty).file_size(0))
    add("r06_empty_store_file_size63", "row 6: n=0, file_size 63",
        Store(empty).file_size(63))

    # --- row 7: n == 0 -------------------------------------------------------
    add("r07_n0_file_size65", "row 7: n=0, file_size 65 (65 bytes on disk)",
        Store(empty).file_size(65).append(b"\x00"))
    add("r07_n0_file_size128", "row 7: n=0, file_size 128, 64 bytes on disk",
        Store(empty).file_size(128))
    add("r07_n0_of_worked_example",
        "row 7: worked example with n set to 0 (file_size 280)", E().n(0))
    add("r07_n0_file_size_max", "row 7: n=0, file_size 2^64-1",
        Store(empty).file_size(U64_MAX))
    add("valid_empty_store_trailing",
        "n=0 store followed by 200 garbage bytes (valid; only 64 bytes read)",
        Store(empty).append(bytes(range(200))))

    # --- row 8: 64 + 64n > file_size -----------------------------------------
    add("r08_n4", "row 8: worked example with n=4 (64+256 > 280)", E().n(4))
    add("r08_n1000", "row 8: worked example with n=1000", E().n(1000))
    add("r08_n_ffffffff",
        "row 8: n = 0xffffffff, file_size 280 (reference allocates first)",
        E().n(0xFFFFFFFF),
        huge_n_differs("spec 5 (huge n): ours checks row 8 before allocating "
                       "and returns KAS_ERR_BAD_FILE_FORMAT"))
    add("r08_n_80000000",
        "row 8: n = 0x80000000, file_size 280 (reference allocates first)",
        E().n(0x80000000),
        huge_n_differs("spec 5 (huge n): ours checks row 8 before allocating "
                       "and returns KAS_ERR_BAD_FILE_FORMAT"))
    add("r08_n1_file_size64", "row 8: n=1 but file_size 64",
        Store(empty).n(1).append(bytes(72)))
    add("r08_n3_file_size255",
        "row 8: worked example with file_size 255 (64+192 = 256 > 255)",
        E().file_size(255))

    # --- row 9: truncated descriptors ----------------------------------------
    add("r09_trunc_desc_header_only", "row 9: worked example cut at 64 bytes",
        E().truncate(64))
    add("r09_trunc_desc_mid0", "row 9: cut in the middle of descriptor 0",
        E().truncate(96))
    add("r09_trunc_desc_after0", "row 9: cut after descriptor 0 of 3",
        E().truncate(128))
    add("r09_trunc_desc_last_byte", "row 9: last descriptor byte missing",
        E().truncate(255))
    add("r09_trunc_desc_n1000",
        "row 9: n=1000 and file_size 2^40, only 280 bytes on disk",
        E().n(1000).file_size(2**40))

    # --- row 10(a): bad type -------------------------------------------------
    add("r10a_type10_d0", "row 10a: descriptor 0 type 10", E().d(0, TYPE, 10))
    add("r10a_type255_d0", "row 10a: descriptor 0 type 255", E().d(0, TYPE, 255))
    add("r10a_type10_d2", "row 10a: last descriptor type 10", E().d(2, TYPE, 10))
    add("r10a_type128_d1", "row 10a: descriptor 1 type 128 (sign bit)",
        E().d(1, TYPE, 128))
    add("r10a_type10_d0_keylen0_d1",
        "row 10 order: d0 type 10, d1 key_len 0 -> BAD_TYPE",
        E().d(0, TYPE, 10).d(1, KEY_LEN, 0))
    add("r10a_type255_d0_all_bad",
        "row 10 order: d0 type 255 with key_start/array_len 2^64-1 -> BAD_TYPE",
        E().d(0, TYPE, 255).d(0, KEY_START, U64_MAX).d(0, ARRAY_LEN, U64_MAX))
    add("r10_keylen0_d0_type255_d1",
        "row 10 order: d0 key_len 0 before d1 type 255 -> bad format",
        E().d(0, KEY_LEN, 0).d(1, TYPE, 255))
    add("r10_keystart_d0_type10_d1",
        "row 10 order: d0 key_start 2^64-1 before d1 type 10 -> bad format",
        E().d(0, KEY_START, U64_MAX).d(1, TYPE, 10))
    add("r10_arraylen_d0_type10_d2",
        "row 10 order: d0 array_len 2^64-1 before d2 type 10 -> bad format",
        E().d(0, ARRAY_LEN, U64_MAX).d(2, TYPE, 10))
    add("r10_packing_d0_type10_d1",
        "row 10 before row 11: d0 key_start off by one, d1 type 10 -> BAD_TYPE",
        E().d(0, KEY_START, 0x101).d(1, TYPE, 10))
    add("r10a_type_int32_to_int64",
        "row 11: d0 int32 -> int64 changes the array size, packing breaks",
        E().d(0, TYPE, 6))
    add("valid_type_same_size",
        "d0 int32 -> float32 and d1 uint8 -> int8 keep the layout (valid)",
        E().d(0, TYPE, 8).d(1, TYPE, 0))

    # --- row 10(b): key_len 0 ------------------------------------------------
    add("r10b_keylen0_d0", "row 10b: descriptor 0 key_len 0",
        E().d(0, KEY_LEN, 0))
    add("r10b_keylen0_d2", "row 10b: last descriptor key_len 0",
        E().d(2, KEY_LEN, 0))
    add("r10b_keylen0_single",
        "row 10b: single item with key_len 0 and otherwise packed layout",
        raw_store(1, 136, [(1, 128, 0, 128, 8)], bytes(8)))

    # --- row 10(c): key range ------------------------------------------------
    fs = 0x118
    add("r10c_keystart_gt_file_size", "row 10c: d0 key_start = file_size+1",
        E().d(0, KEY_START, fs + 1))
    add("r10c_keystart_eq_file_size", "row 10c: d2 key_start = file_size",
        E().d(2, KEY_START, fs))
    add("r10c_keystart_max", "row 10c: d1 key_start 2^64-1",
        E().d(1, KEY_START, U64_MAX))
    add("r10c_keystart_2pow63", "row 10c: d0 key_start 2^63",
        E().d(0, KEY_START, 2**63))
    add("r10c_keylen_max", "row 10c: d0 key_len 2^64-1",
        E().d(0, KEY_LEN, U64_MAX))
    add("r10c_keylen_past_end",
        "row 10c: d2 key_len = file_size - key_start + 1",
        E().d(2, KEY_LEN, fs - 0x103 + 1))
    add("r10c_key_wrap",
        "row 10c: d0 key_start 0x100, key_len 2^64-0xff (start+len wraps to 1)",
        E().d(0, KEY_LEN, 2**64 - 0xFF))
    add("r10c_key_wrap_to_zero",
        "row 10c: d0 key_start 0x100, key_len 2^64-0x100 (start+len wraps to 0)",
        E().d(0, KEY_LEN, 2**64 - 0x100))
    add("r10c_keylen_to_end",
        "row 11: d2 key_len = file_size - key_start passes 10c, packing fails",
        E().d(2, KEY_LEN, fs - 0x103))

    # --- row 10(d): array range ----------------------------------------------
    add("r10d_arraystart_gt_file_size",
        "row 10d: d0 array_start = file_size+8", E().d(0, ARRAY_START, fs + 8))
    add("r10d_arraystart_max", "row 10d: d0 array_start 2^64-8",
        E().d(0, ARRAY_START, 2**64 - 8))
    add("r10d_arraystart_eq_file_size_len1",
        "row 10d: d2 (float32) at file_size with array_len 1",
        E().d(2, ARRAY_LEN, 1))
    add("r10d_arraylen_max", "row 10d: d0 array_len 2^64-1",
        E().d(0, ARRAY_LEN, U64_MAX))
    add("r10d_arraylen_past_end",
        "row 10d: d1 (uint8 at 0x110) array_len 9 > file_size - array_start",
        E().d(1, ARRAY_LEN, 9))
    add("r10d_arraylen_wrap_int32",
        "row 10d: d0 int32 array_len 2^62+2 (len*4 wraps to 8 = real size)",
        E().d(0, ARRAY_LEN, 2**62 + 2))
    add("r10d_arraylen_wrap_int32_zero",
        "row 10d: d2 float32 array_len 2^62 (len*4 wraps to 0)",
        E().d(2, ARRAY_LEN, 2**62))
    add("r10d_arraylen_wrap_float64",
        "row 10d: d0 float64 array_len 2^61+2 (len*8 wraps to 16 = real size)",
        Store(xy).d(0, ARRAY_LEN, 2**61 + 2))
    add("r10d_arraylen_wrap_uint16",
        "row 10d: d1 uint16 array_len 2^63+3 (len*2 wraps to 6 = real size)",
        Store(xy).d(1, ARRAY_LEN, 2**63 + 3))
    add("valid_arraylen_into_padding",
        "d1 uint8 array_len 1 -> 8: the padding becomes data, layout still "
        "packed (valid)", E().d(1, ARRAY_LEN, 8))

    # --- row 11: packing ------------------------------------------------------
    add("r11_keystart_d1_plus1", "row 11: d1 key_start + 1",
        E().d(1, KEY_START, 0x102))
    add("r11_keystart_d0_minus1", "row 11: d0 key_start - 1",
        E().d(0, KEY_START, 0xFF))
    add("r11_keystart_d0_d1_swapped",
        "row 11: d0 and d1 key_start swapped",
        E().d(0, KEY_START, 0x101).d(1, KEY_START, 0x100))
    add("r11_keylen_d0_plus1_shifts",
        "row 11: d0 key_len 2 (d1 key_start no longer packed)",
        E().d(0, KEY_LEN, 2))
    add("r11_arraystart_d0_unaligned",
        "row 11: d0 array_start 0x104 (right after keys, not 8-aligned)",
        E().d(0, ARRAY_START, 0x104))
    add("r11_arraystart_d0_plus8", "row 11: d0 array_start + 8",
        E().d(0, ARRAY_START, 0x110))
    add("r11_arraystart_d1_minus8", "row 11: d1 array_start - 8",
        E().d(1, ARRAY_START, 0x108))
    add("r11_arraystart_d2_empty_moved",
        "row 11: empty d2 array_start 0x110 instead of 0x118",
        E().d(2, ARRAY_START, 0x110))
    add("r11_arrays_swapped", "row 11: d0 and d1 array_start swapped",
        E().d(0, ARRAY_START, 0x110).d(1, ARRAY_START, 0x108))
    add("r11_file_size_plus1", "row 11: file_size 281 (layout ends at 280)",
        E().file_size(fs + 1))
    add("r11_file_size_plus8_on_disk",
        "row 11: file_size 288 and 288 bytes on disk (layout ends at 280)",
        E().file_size(fs + 8).append(bytes(8)))
    add("r11_file_size_2pow63", "row 11: file_size 2^63 (layout ends at 280)",
        E().file_size(2**63))
    add("r11_file_size_max", "row 11: file_size 2^64-1 (layout ends at 280)",
        E().file_size(U64_MAX))
    add("r11_file_size_minus1",
        "row 10d: file_size 279 (last empty array at 280)",
        E().file_size(fs - 1))
    add("r11_file_size_minus8", "row 10d: file_size 272",
        E().file_size(fs - 8))
    add("r11_file_size_into_padding",
        "row 10d: pad-ended store, file_size cut to the end of the data",
        Store(bases["pad_end"]).file_size(0xCB))
    # A packed layout whose round-up wraps past 2^64: n=1, key_start 128,
    # key_len 2^64-131 (keys end at 2^64-3), the round-up to 8 wraps to 0,
    # array_start 0, uint8 array_len 2^64-1, file_size 2^64-1.
    add("r11_roundup_wraps",
        "row 11: key end 2^64-3 rounds up past 2^64 to 0 = array_start "
        "(wrap must be a format error)",
        raw_store(1, U64_MAX, [(1, 128, 2**64 - 131, 0, U64_MAX)],
                  b"key" + bytes(13)),
        ("spec 2.1 rows 10/11: a round-up that would wrap is a format error; "
         "the reference's layout check wraps to 0, accepts it, then fails the "
         "key-block malloc (2^64-128 bytes) with KAS_ERR_NO_MEMORY",
         {"lazy": {"open": -5, "gets": []},
          "read_all": {"open": -5, "gets": []}}))

    # --- row 12: key block -----------------------------------------------------
    add("r12_trunc_keys_none", "row 12: cut right after the descriptors",
        E().truncate(0x100))
    add("r12_trunc_keys_mid", "row 12: cut inside the keys",
        E().truncate(0x102))
    add("r12_trunc_key_padding",
        "row 12: keys complete, padding before the first array cut",
        E().truncate(0x106))
    add("r12_trunc_keys_long",
        "row 12: one 5000-byte key, file cut after 300 bytes",
        raw_store(1, 128 + 5000, [(1, 128, 5000, 5128, 0)],
                  b"k" * (300 - 128)))
    add("r12_huge_key_block",
        "row 12: packed layout with a 2^63-byte key (key block allocation fails)",
        raw_store(1, 2**63 + 128, [(1, 128, 2**63, 2**63 + 128, 0)],
                  b"k" * 64))

    # --- section 2.2 / row 14: truncated arrays --------------------------------
    add("s22_trunc_at_first_array",
        "2.2: file ends at items[0].array_start; lazy open ok, gets fail",
        E().truncate(0x108))
    add("s22_trunc_mid_first_array",
        "2.2: file cut inside the first array", E().truncate(0x10C))
    add("s22_trunc_in_padding",
        "2.2: cut inside the padding after d1's array (lazy gets all ok, "
        "READ_ALL chunk short)", E().truncate(0x111))
    add("s22_trunc_last_byte",
        "2.2: last byte of the last array missing", Store(abc).truncate(291))
    add("s22_trunc_pad_end_store",
        "2.2: pad-ended store missing its trailing padding (empty last array)",
        Store(bases["pad_end"]).truncate(0xCB))
    # Spec 2.2 example: 200 bytes on disk, file_size 2^63+8; array 0 uint64
    # with (2^63-200)/8 elements at 200, array 1 one uint64 at 2^63.
    n0 = (2**63 - 200) // 8
    add("s22_file_size_2pow63_plus8",
        "2.2 example: file_size 2^63+8, lazy get of key 1 (array_start 2^63) "
        "-> KAS_ERR_IO",
        raw_store(2, 2**63 + 8,
                  [(7, 192, 1, 200, n0), (7, 193, 1, 2**63, 1)],
                  b"ab" + bytes(6)))
    add("valid_trailing_garbage", "store followed by 32 garbage bytes (valid)",
        E().append(b"garbage!" * 4))
    add("valid_trailing_second_store",
        "store followed by another store (valid; only the first is read)",
        E().append(abc))

    # --- ignored fields ---------------------------------------------------------
    add("valid_reserved_header", "header reserved bytes 24..63 all 0xff (valid)",
        E().put(24, b"\xff" * 40))
    s = E()
    for j in range(3):
        s.put(desc(j) + 1, b"\xaa" * 7).put(desc(j) + 40, b"\x55" * 24)
    add("valid_reserved_descriptors",
        "descriptor reserved bytes 1..7 and 40..63 nonzero (valid)", s)
    add("valid_padding_nonzero",
        "key padding and array padding bytes nonzero (valid)",
        E().put(0x104, b"\xee" * 4).put(0x111, b"\xdd" * 7))
    s = E().minor(3).put(24, bytes(range(1, 41))).put(0x104, b"PADS")
    for j in range(3):
        s.put(desc(j) + 1, bytes(range(j + 1, j + 8)))
    s.append(b"\x89KAS trailing")
    add("valid_everything_ignored",
        "minor 3, reserved, padding nonzero, trailing bytes together (valid)", s)

    # --- row 13 (ours only): key order ---------------------------------------
    add("r13_unsorted_reversed", "row 13: keys c, b, a (arrays follow descriptors)",
        Store(abc).put(0x100, b"cba"), reject13)
    add("r13_unsorted_last_two", "row 13: keys a, c, b",
        Store(abc).put(0x100, b"acb"), reject13)
    add("r13_unsorted_first_two", "row 13: keys b, a, c",
        Store(abc).put(0x100, b"bac"), reject13)
    s = Store(bases["a_ab"])
    ks = s.dget(0, KEY_START)
    s.put(ks, b"aba").d(0, KEY_LEN, 2).d(1, KEY_START, ks + 2).d(1, KEY_LEN, 1)
    add("r13_unsorted_prefix", "row 13: keys \"ab\" then \"a\" (longer first)",
        s, reject13)
    s = Store(bases["Z_a"])
    s.put(s.dget(0, KEY_START), b"aZ")
    add("r13_unsorted_case", "row 13: keys \"a\" then \"Z\"", s, reject13)
    s = Store(bases["z_e"])
    ks = s.dget(0, KEY_START)
    s.put(ks, "éz".encode()).d(0, KEY_LEN, 2).d(1, KEY_START, ks + 2)
    s.d(1, KEY_LEN, 1)
    add("r13_unsorted_utf8",
        "row 13: keys \"é\" (c3 a9) then \"z\" (unsigned compare required)",
        s, reject13)
    add("r13_duplicate_all", "row 13: keys a, a, a", Store(abc).put(0x100, b"aaa"),
        reject13)
    add("r13_duplicate_first_two", "row 13: keys a, a, c",
        Store(abc).put(0x100, b"aac"), reject13)
    add("r13_duplicate_last_two", "row 13: keys a, b, b",
        Store(abc).put(0x100, b"abb"), reject13)
    add("r13_duplicate_types", "row 13: keys x (float64), x (uint16)",
        Store(xy).put(0xC0, b"xx"), reject13)
    add("r13_duplicate_truncated_arrays",
        "row 13 before any array read: keys a, a, c with arrays cut off",
        Store(abc).put(0x100, b"aac").truncate(0x108), reject13)

    names = [c[0] for c in cases]
    assert len(names) == len(set(names))
    return cases


# ---------------------------------------------------------------------------


def fmt_gets(gets):
    return ",".join(str(g) for g in gets) if gets else "-"


def ensure_reference():
    if not os.path.exists(REF_LIB):
        subprocess.run(["bash", BUILD_SCRIPT], check=True,
                       stdout=subprocess.DEVNULL)
    if not os.path.exists(REF_LIB):
        sys.exit(f"error: {REF_LIB} not built")


def main():
    ensure_reference()
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in os.listdir(OUT_DIR):
        if name.endswith(".kas") or name.startswith("manifest."):
            os.remove(os.path.join(OUT_DIR, name))

    cases = build_cases(build_bases())
    manifest = []
    tsv = []
    total = 0
    for name, description, data, differs in cases:
        fname = name + ".kas"
        path = os.path.join(OUT_DIR, fname)
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
        assert len(data) < 4096, (name, len(data))
        lazy = run_probe(path, 0)
        read_all = run_probe(path, KAS_READ_ALL)
        observed = {"lazy": lazy, "read_all": read_all}
        if "crash" in lazy or "crash" in read_all:
            print(f"warning: reference crashed on {fname}: {observed}",
                  file=sys.stderr)
        if differs is None:
            expected = {"lazy": {"open": lazy["open"], "gets": lazy["gets"]},
                        "read_all": {"open": read_all["open"],
                                     "gets": read_all["gets"]}}
            ours_differs = None
        else:
            ours_differs, expected = differs
            if observed == expected:
                # The reference happened to agree (e.g. allocation succeeded).
                ours_differs = None
        manifest.append({
            "file": fname,
            "description": description,
            "size": len(data),
            "lazy": lazy,
            "read_all": read_all,
            "expected": expected,
            "ours_differs": ours_differs,
        })
        tsv.append("\t".join([
            fname,
            str(expected["lazy"]["open"]), fmt_gets(expected["lazy"]["gets"]),
            str(expected["read_all"]["open"]),
            fmt_gets(expected["read_all"]["gets"]),
        ]))

    with open(os.path.join(OUT_DIR, "manifest.json"), "w", encoding="ascii",
              newline="\n") as f:
        f.write("[\n" + ",\n".join(
            json.dumps(e, ensure_ascii=True) for e in manifest) + "\n]\n")
    with open(os.path.join(OUT_DIR, "manifest.tsv"), "w", encoding="ascii",
              newline="\n") as f:
        f.write("\n".join(tsv) + "\n")
    print(f"wrote {len(manifest)} malformed/edge-case files ({total} bytes) "
          f"to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--probe":
        print(json.dumps(probe(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        sys.exit(0)
    sys.exit(main())
