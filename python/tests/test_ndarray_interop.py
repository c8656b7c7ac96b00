"""N-d arrays against python-blosc2 4.14.1 and python-caterva 0.7.3, both directions.

(a) every golden file (test-data/b2nd/golden, made by make_golden.py) opens in swkas with the
    manifest's values, dtype, geometry, metalayers and vlmeta;
(b) files freshly written by python-blosc2 and caterva (a matrix of ndim 1-4 and 8, partial
    edges, dtypes, every codec and filter) read the same in swkas as in their writer;
(c) files swkas writes (the same matrix, constructors, metalayers, vlmeta, after updates and
    resizes) open in python-blosc2 with identical values and dtype;
(d) slices with steps (negative ones too) equal NumPy's, on arrays from all sides;
(e) each side updates the other's files and reads the other's updates back.

swkas writes only the "b2nd" metalayer (include/swkas.h has no caterva option), so caterva
0.7.3 cannot read files swkas creates (spec 5.2); what is promised for caterva is that swkas
reads caterva files, and that caterva still reads a contiguous caterva file after swkas
updated it in place. Values are compared as bytes (NaN, -0.0 and padding bytes included).
"""
import ast
import itertools
import json
import os
import pathlib
import random
import zlib

import blosc2
import caterva
import msgpack
import numpy as np
import pytest

import swkas

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "test-data" / "b2nd" / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())["files"]

CODECS = [0, 1, 2, 4, 5]
WRITABLE_CODECS = [1, 2, 4, 5]  # swkas decodes BloscLZ but does not write it (compress2 refuses it too)
NONE, SHUFFLE, BITSHUFFLE, DELTA, TRUNC = 0, 1, 2, 3, 4
FILTER_SETS = {
    "none": ([NONE], [0]),
    "shuffle": ([SHUFFLE], [0]),
    "bitshuffle": ([BITSHUFFLE], [0]),
    "delta": ([DELTA], [0]),
    "trunc": ([TRUNC], [20]),
    "delta_shuffle": ([DELTA, SHUFFLE], [0, 0]),
    "trunc_bitshuffle": ([TRUNC, BITSHUFFLE], [13, 0]),
}
GEOMS = [
    ((1000,), (300,), (64,)),
    ((37, 23), (10, 8), (4, 3)),
    ((7, 9, 11), (3, 4, 5), (2, 2, 2)),
    ((4, 5, 6, 7), (2, 3, 4, 5), (1, 2, 2, 3)),
    ((3, 2, 4, 2, 3, 2, 2, 3), (2, 2, 3, 1, 2, 2, 1, 2), (1, 1, 2, 1, 1, 2, 1, 1)),
    ((64, 64), (32, 32), (8, 8)),
    ((13,), (13,), (13,)),
    ((5, 300), (5, 128), (1, 128)),
]
DTYPES = ["|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f8", "<c8", "<c16", "|S7",
          ">i4", ">f8", "<U3"]
STRUCT = "[('a', '<i4'), ('b', '<f8'), ('c', 'S3')]"


def np_dtype(text):
    return np.dtype([tuple(f) for f in ast.literal_eval(text)]) if text.startswith("[") else np.dtype(text)


def make_values(seed, dtype, shape):
    """Compressible, non-trivial items of any dtype (deterministic)."""
    dt = np.dtype(dtype)
    rng = np.random.default_rng(zlib.crc32(repr((seed, dt.str, shape)).encode()))
    n = int(np.prod(shape, dtype=np.int64))
    if dt.names:
        out = np.zeros(n, dtype=dt)
        for name in dt.names:
            out[name] = make_values((seed, name), dt.fields[name][0], (n,))
        return out.reshape(shape)
    if dt.kind == "b":
        a = rng.random(n) < 0.3
    elif dt.kind in "iu":
        a = (np.arange(n) % 91 + rng.integers(0, 5, n)).astype(dt)
        if n > 3:
            a.flat[rng.integers(0, n, 2)] = [np.iinfo(dt).max, np.iinfo(dt).min]
    elif dt.kind == "f":
        a = (np.linspace(-40, 60, n) + rng.normal(0, 0.01, n)).astype(dt)
        if n > 5:
            a.flat[rng.integers(0, n, 3)] = [np.nan, -0.0, np.inf]
    elif dt.kind == "c":
        a = (np.linspace(0, 9, n) + 1j * np.round(rng.normal(0, 2, n), 2)).astype(dt)
    elif dt.kind == "S":
        a = np.array([bytes(rng.integers(97, 107, rng.integers(0, dt.itemsize + 1)).astype(np.uint8))
                      for _ in range(n)], dtype=dt)
    elif dt.kind == "U":
        a = np.array(["", "a", "\u00e9t\u00e9", "\u03a9x", "xyz"], dtype=dt)[rng.integers(0, 5, n)]
    else:
        raise ValueError(dt)
    return np.asarray(a, dtype=dt).reshape(shape)


def assert_same(got, expected):
    """Same dtype, shape and bytes."""
    got = np.asarray(got)
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expected).tobytes()


def assert_same_item(got, want):
    """Like assert_same, for a numpy scalar against a 0-d array (python-blosc2 returns 0-d arrays
    for a full integer index, swkas numpy scalars like NumPy; scalars drop the byte order and
    the itemsize of flexible dtypes, so they are compared in the array's dtype)."""
    want = np.asarray(want)
    if isinstance(got, np.generic) and want.ndim == 0:
        assert np.dtype(type(got)).kind == want.dtype.kind
        got = np.asarray(got, dtype=want.dtype)
    assert_same(got, want)


def sw_all(arr):
    return np.asarray(arr[...])


def b2_all(path):
    """python-blosc2's items of a file. They are decoded from the file's bytes in memory:
    python-blosc2 4.14.1 misreads some DELTA frames through blosc2.open (edge chunks; see
    test-data/b2nd/README.md), so its file read must agree except with DELTA."""
    ref = blosc2.open(str(path), mode="r")
    assert isinstance(ref, blosc2.NDArray)
    from_file = np.asarray(ref[()] if ref.ndim == 0 else ref[...])
    mem = blosc2.ndarray_from_cframe(pathlib.Path(path).read_bytes())
    from_bytes = np.asarray(mem[()] if mem.ndim == 0 else mem[...])
    if from_file.tobytes() != from_bytes.tobytes():
        assert DELTA in [f.value if hasattr(f, "value") else f for f in ref.schunk.cparams.filters], \
            "python-blosc2 reads the file and its bytes differently"
    return from_bytes


def cat_all(path, dtype):
    ref = caterva.open(str(path))
    return np.frombuffer(ref.to_buffer(), dtype=dtype).reshape(ref.shape)


def b2_cparams(codec, filters, fmeta, clevel=5):
    return blosc2.CParams(codec=blosc2.Codec(codec), clevel=clevel, filters=[blosc2.Filter(f) for f in filters],
                          filters_meta=list(fmeta), nthreads=1)


def sw_kwargs(codec, filters, fmeta, clevel=5):
    return dict(codec=swkas.Codec(codec), clevel=clevel, filters=[swkas.Filter(f) for f in filters],
                filtersmeta=list(fmeta), nthreads=1)


# ---------------------------------------------------------------------------
# (a) the golden corpus
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["name"] for e in MANIFEST])
def test_golden_file_opens_with_manifest_values(entry):
    path = GOLDEN / entry["path"]
    expected = np.load(GOLDEN / entry["values"], allow_pickle=False)
    dtype = np_dtype(entry["dtype"])
    with swkas.open(path, mode="r") as arr:
        assert arr.dtype == dtype
        assert arr.itemsize == entry["itemsize"]
        assert arr.ndim == entry["ndim"]
        assert arr.shape == tuple(entry["shape"])
        assert arr.chunks == tuple(entry["chunks"])
        assert arr.blocks == tuple(entry["blocks"])
        assert arr.nchunks == entry["nchunks"]
        assert int(arr.codec) == entry["codec"]
        assert arr.clevel == entry["clevel"]
        assert [int(f) for f in arr.filters] == entry["filters"]
        assert [int(m) & 0xFF for m in arr.filtersmeta] == entry["filters_meta"]
        assert list(arr.meta) == entry["meta_order"]
        assert {name: arr.meta[name] for name in arr.meta} == {k: bytes.fromhex(v) for k, v in entry["meta"].items()}
        expected_vl = {k: msgpack.unpackb(bytes.fromhex(v)) for k, v in entry["vlmeta_msgpack"].items()}
        assert dict(arr.vlmeta) == expected_vl
        assert arr.size == expected.size and arr.nbytes == expected.nbytes
        assert_same(sw_all(arr), expected)
        if entry["ndim"] == 0:
            assert_same(arr[()], expected[()])
        if entry["kind"] == "caterva-sparse":
            assert arr.readonly


def test_golden_manifest_covers_what_it_claims():
    kinds = {e["kind"] for e in MANIFEST}
    assert kinds == {"b2nd", "caterva", "caterva-sparse"}
    assert {e["ndim"] for e in MANIFEST} >= {0, 1, 2, 3, 4, 8}
    assert {e["codec"] for e in MANIFEST} == set(CODECS)
    assert {e["index_kind"] for e in MANIFEST} == {"memcpy", "blosclz", "value", None}
    assert all(sum(e["special_chunks"][k] for e in MANIFEST) for k in ("zeros", "nans", "uninit"))


def test_golden_spec6_example_reads_as_arange():
    for name in ("b2_spec6_f8_10x10.b2nd", "cat_spec6_f8_10x10.cat", "cat_sparse_spec6_f8_10x10.cat"):
        with swkas.open(GOLDEN / name, mode="r") as arr:
            got = sw_all(arr)
            if got.dtype.kind == "S":
                got = np.frombuffer(got.tobytes(), dtype="<f8").reshape(got.shape)
            assert_same(got, np.arange(100, dtype="<f8").reshape(10, 10))
            assert (GOLDEN / name).is_dir() or os.path.getsize(GOLDEN / name) in (1280, 1274)


# ---------------------------------------------------------------------------
# The matrix for (b) and (c)
# ---------------------------------------------------------------------------


def matrix():
    """Every codec x filter set, then every dtype, with geometries and dtypes in rotation."""
    cases = []
    rot = itertools.count()
    for codec, fname in itertools.product(CODECS, FILTER_SETS):
        k = next(rot)
        dtype = ["<f8", "<f4"][k % 2] if "trunc" in fname else DTYPES[k % len(DTYPES)]
        cases.append((f"{codec}-{fname}-{k}", GEOMS[k % len(GEOMS)], dtype, codec, fname, [5, 1, 9, 3][k % 4]))
    for k, dtype in enumerate(DTYPES + [STRUCT]):
        cases.append((f"dtype-{np_dtype(dtype).str if not dtype.startswith('[') else 'struct'}", GEOMS[(k + 3) % len(GEOMS)],
                      dtype, CODECS[k % 5], ["shuffle", "bitshuffle", "none", "delta_shuffle"][k % 4], 5))
    return cases


MATRIX = matrix()
MATRIX_IDS = [c[0] for c in MATRIX]


@pytest.mark.parametrize("case", MATRIX, ids=MATRIX_IDS)
def test_blosc2_written_reads_the_same_in_swkas(tmp_path, case):
    name, (shape, chunks, blocks), dtype, codec, fname, clevel = case
    filters, fmeta = FILTER_SETS[fname]
    data = make_values(name, np_dtype(dtype), shape)
    path = tmp_path / "a.b2nd"
    blosc2.asarray(data, urlpath=str(path), mode="w", chunks=chunks, blocks=blocks,
                   cparams=b2_cparams(codec, filters, fmeta, clevel))
    theirs = b2_all(path)
    if "trunc" not in fname:
        assert_same(theirs, data)
    with swkas.open(path, mode="r") as arr:
        assert (arr.shape, arr.chunks, arr.blocks, arr.dtype) == (shape, chunks, blocks, np_dtype(dtype))
        assert_same(sw_all(arr), theirs)


@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "sparse"])
@pytest.mark.parametrize("case", MATRIX, ids=MATRIX_IDS)
def test_caterva_written_reads_the_same_in_swkas(tmp_path, case, contiguous):
    name, (shape, chunks, blocks), dtype, codec, fname, clevel = case
    filters, fmeta = FILTER_SETS[fname]
    data = make_values(name, np_dtype(dtype), shape)
    path = tmp_path / "a.cat"
    caterva.asarray(data, urlpath=str(path), contiguous=contiguous, chunks=chunks, blocks=blocks,
                    codec=caterva.Codec(codec), clevel=clevel, filters=[caterva.Filter(f) for f in filters],
                    filtersmeta=list(fmeta), nthreads=1)
    itemsize = data.dtype.itemsize
    theirs = cat_all(path, f"S{itemsize}")
    if "trunc" not in fname:
        assert theirs.tobytes() == data.tobytes()
    with swkas.open(path) as arr:  # mode "a": a sparse directory opens read-only, a contiguous file not
        assert (arr.shape, arr.chunks, arr.blocks, arr.itemsize) == (shape, chunks, blocks, itemsize)
        assert arr.dtype == np.dtype(f"S{itemsize}")
        assert_same(sw_all(arr), theirs)
        assert arr.readonly == (not contiguous)


@pytest.mark.parametrize("case", MATRIX, ids=MATRIX_IDS)
def test_swkas_written_reads_the_same_in_blosc2(tmp_path, case):
    name, (shape, chunks, blocks), dtype, codec, fname, clevel = case
    filters, fmeta = FILTER_SETS[fname]
    data = make_values(name, np_dtype(dtype), shape)
    path = tmp_path / "a.b2nd"
    if codec not in WRITABLE_CODECS:
        with pytest.raises((ValueError, NotImplementedError)):
            swkas.asarray(data, urlpath=path, chunks=chunks, blocks=blocks, **sw_kwargs(codec, filters, fmeta))
        assert not path.exists()
        return
    with swkas.asarray(data, urlpath=path, chunks=chunks, blocks=blocks,
                       **sw_kwargs(codec, filters, fmeta, clevel)) as arr:
        ours = sw_all(arr)
    if "trunc" not in fname:
        assert_same(ours, data)
    ref = blosc2.open(str(path), mode="r")
    assert ref.dtype == np_dtype(dtype)
    assert (ref.shape, ref.chunks, ref.blocks) == (shape, chunks, blocks)
    assert_same(b2_all(path), ours)
    assert ref.schunk.cparams.codec.value == codec and ref.schunk.cparams.clevel == clevel
    if "trunc" in fname:
        # The same lossy filter as c-blosc2: each item is what python-blosc2 writing the same data
        # reads back, or the original item. A chunk that does not compress is stored memcpyed, which
        # keeps the unfiltered data (c-blosc2 does the same); whether that happens depends on the
        # codec library's output size, and python-blosc2 bundles other builds of them.
        theirs = tmp_path / "theirs.b2nd"
        blosc2.asarray(data, urlpath=str(theirs), mode="w", chunks=chunks, blocks=blocks,
                       cparams=b2_cparams(codec, filters, fmeta, clevel))
        truncated = b2_all(theirs)
        bits = "<u%d" % data.dtype.itemsize
        assert np.all((ours.view(bits) == truncated.view(bits)) | (ours.view(bits) == data.view(bits)))
    # and the file reopens in swkas
    with swkas.open(path, mode="r") as arr:
        assert_same(sw_all(arr), ours)


def test_swkas_file_is_not_a_caterva_file_but_copies_of_caterva_files_stay_honest(tmp_path):
    """swkas writes b2nd only: caterva 0.7.3 cannot read that (spec 5.2). A swkas copy of a
    caterva array opens in python-blosc2 as an NDArray; if it still carries a 'caterva'
    metalayer, that metalayer must describe the copy (else caterva would misread it)."""
    data = make_values("copy", "<i4", (37, 23))
    src = tmp_path / "src.cat"
    caterva.asarray(data, urlpath=str(src), contiguous=True, chunks=(10, 8), blocks=(4, 3))
    out = tmp_path / "copy.b2nd"
    with swkas.open(src, mode="r") as arr:
        with arr.copy(urlpath=out, chunks=(16, 16), blocks=(8, 4)) as c:
            assert c.chunks == (16, 16) and c.blocks == (8, 4)
            assert_same(sw_all(c), data.view("S4"))
            names = list(c.meta)
    ref = blosc2.open(str(out), mode="r")
    assert isinstance(ref, blosc2.NDArray) and ref.dtype == np.dtype("S4")
    assert b2_all(out).tobytes() == data.tobytes()
    if "caterva" in names:
        cref = caterva.open(str(out))
        assert (cref.shape, cref.chunks, cref.blocks) == ((37, 23), (16, 16), (8, 4))
        assert cref.to_buffer() == data.tobytes()


# ---------------------------------------------------------------------------
# (c) constructors, metalayers, vlmeta, updates and resizes, read by python-blosc2
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["<f8", "<i2", "|b1", "<c16", "|S5"])
def test_zeros_empty_full_read_by_blosc2(tmp_path, dtype):
    dt = np.dtype(dtype)
    shape, chunks, blocks = (31, 41), (10, 10), (5, 5)
    for ctor in ("zeros", "empty"):
        path = tmp_path / f"{ctor}.b2nd"
        with getattr(swkas, ctor)(shape, dtype=dt, urlpath=path, chunks=chunks, blocks=blocks) as arr:
            assert_same(sw_all(arr), np.zeros(shape, dt))
        assert_same(b2_all(path), np.zeros(shape, dt))
        assert os.path.getsize(path) < 1000  # special chunks, not stored zeros
    fill = np.array([b"abcde" if dt.kind == "S" else 3], dtype=dt)[0] if dt.kind != "b" else np.True_
    path = tmp_path / "full.b2nd"
    with swkas.full(shape, fill, dtype=dt, urlpath=path, chunks=chunks, blocks=blocks) as arr:
        assert_same(sw_all(arr), np.full(shape, fill, dt))
    assert_same(b2_all(path), np.full(shape, fill, dt))
    # caterva-style bytes fill value
    path = tmp_path / "fullbytes.b2nd"
    with swkas.full((7, 9), b"\x01\x02\x03", urlpath=path, chunks=(4, 4), blocks=(2, 2)) as arr:
        assert arr.dtype == np.dtype("S3")
    assert_same(b2_all(path), np.full((7, 9), b"\x01\x02\x03", "S3"))


def test_nan_full_and_ndim0_and_zero_size_read_by_blosc2(tmp_path):
    path = tmp_path / "nan.b2nd"
    with swkas.full((30, 20), np.nan, dtype="<f8", urlpath=path, chunks=(10, 10), blocks=(5, 5)):
        pass
    assert_same(b2_all(path), np.full((30, 20), np.nan))
    path = tmp_path / "zero_d.b2nd"
    with swkas.asarray(np.array(2.75), urlpath=path) as arr:
        assert arr.ndim == 0 and arr.shape == ()
        assert_same(arr[()], np.float64(2.75))
    assert_same(b2_all(path), np.array(2.75))
    path = tmp_path / "zero_size.b2nd"
    with swkas.zeros((0, 5), dtype="<f8", urlpath=path) as arr:
        assert arr.shape == (0, 5) and arr.nchunks == 0
    ref = blosc2.open(str(path), mode="r")
    assert ref.shape == (0, 5)
    assert_same(ref[...], np.zeros((0, 5)))


def test_user_meta_and_vlmeta_read_by_blosc2_and_back(tmp_path):
    path = tmp_path / "meta.b2nd"
    data = make_values("meta", "<i8", (15, 6))
    meta = {"m1": msgpack.packb({"a": 1}), "units": msgpack.packb("m/s"), "arr": msgpack.packb([1, 2, 3])}
    vlmeta = {"info": {"x": 1, "y": "str", "nested": [1.5, None, True]}, "n": 5, "s": "h\u00e9llo",
              "b": b"\x00\xff", "big": list(range(300))}
    with swkas.asarray(data, urlpath=path, chunks=(4, 4), blocks=(2, 2), meta=meta) as arr:
        for k, v in vlmeta.items():
            arr.vlmeta[k] = v
        assert dict(arr.vlmeta) == vlmeta
        assert list(arr.meta) == ["b2nd", "m1", "units", "arr"]
    ref = blosc2.open(str(path), mode="r")
    assert list(ref.schunk.meta.keys()) == ["b2nd", "m1", "units", "arr"]
    assert ref.schunk.meta["m1"] == {"a": 1} and ref.schunk.meta["units"] == "m/s"
    assert ref.schunk.meta["arr"] == [1, 2, 3]
    assert ref.vlmeta.getall() == vlmeta
    assert_same(ref[...], data)
    # python-blosc2 adds, replaces and deletes vlmeta; swkas sees it
    ref = blosc2.open(str(path), mode="a")
    ref.vlmeta["added"] = {"by": "blosc2"}
    ref.vlmeta["n"] = 6
    del ref.vlmeta["big"]
    ref.schunk.meta["units"] = "km/"  # same length
    del ref
    with swkas.open(path) as arr:
        want = {**vlmeta, "added": {"by": "blosc2"}, "n": 6}
        del want["big"]
        assert dict(arr.vlmeta) == want
        want.pop("added")
        assert arr.meta["units"] == msgpack.packb("km/")
        # and swkas changes them back; python-blosc2 sees it
        del arr.vlmeta["added"]
        arr.vlmeta["s"] = "x" * 1000
        arr.meta["units"] = msgpack.packb("m/s")
    ref = blosc2.open(str(path), mode="r")
    assert ref.vlmeta.getall() == {**want, "s": "x" * 1000}
    assert ref.schunk.meta["units"] == "m/s"
    assert_same(ref[...], data)


def test_meta_same_length_rule(tmp_path):
    path = tmp_path / "m.b2nd"
    with swkas.zeros((4,), dtype="<i4", urlpath=path, meta={"m": b"abc"}) as arr:
        with pytest.raises(ValueError):
            arr.meta["m"] = b"abcd"
        arr.meta["m"] = b"xyz"
        assert arr.meta["m"] == b"xyz"
    assert blosc2.open(str(path), mode="r")[...].tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("case", MATRIX[::3], ids=MATRIX_IDS[::3])
def test_swkas_updates_and_resizes_read_by_blosc2(tmp_path, case):
    """set_slice (whole chunks, partial chunks, steps, scalars) and resize, checked against a
    NumPy model after every step, in swkas and in python-blosc2."""
    name, (shape, chunks, blocks), dtype, codec, fname, clevel = case
    if codec not in WRITABLE_CODECS or "trunc" in fname:
        codec, fname = 5, "shuffle"
    filters, fmeta = FILTER_SETS[fname]
    dt = np_dtype(dtype)
    model = make_values(name, dt, shape)
    path = tmp_path / "u.b2nd"
    rng = random.Random(name)
    with swkas.asarray(model, urlpath=path, chunks=chunks, blocks=blocks,
                       **sw_kwargs(codec, filters, fmeta, clevel)) as arr:
        for step in range(6):
            key = random_key(rng, model.shape, allow_int=False)
            target = model[key]
            new = make_values((name, step), dt, target.shape)
            arr[key] = new
            model[key] = new
            if step == 2:
                # whole first chunk
                key = tuple(slice(0, min(c, s)) for c, s in zip(chunks, model.shape))
                new = make_values((name, "chunk"), dt, model[key].shape)
                arr[key] = new
                model[key] = new
            assert_same(sw_all(arr), model)
        assert_same(b2_all(path), model)
        # resize: grow every dimension (new items zero), then shrink the first
        grown = tuple(s + c // 2 + 1 for s, c in zip(model.shape, chunks))
        arr.resize(grown)
        bigger = np.zeros(grown, dt)
        bigger[tuple(slice(0, s) for s in model.shape)] = model
        model = bigger
        assert_same(sw_all(arr), model)
        assert_same(b2_all(path), model)
        key = tuple(slice(s - 1, s) for s in grown)
        new = make_values((name, "corner"), dt, model[key].shape)
        arr[key] = new
        model[key] = new
        shrunk = (max(1, grown[0] // 2),) + grown[1:]
        arr.resize(shrunk)
        model = model[: shrunk[0]].copy()
        assert_same(sw_all(arr), model)
        arr.vlmeta["after"] = "resize"
    ref = blosc2.open(str(path), mode="r")
    assert ref.shape == model.shape and ref.dtype == dt
    assert_same(b2_all(path), model)
    assert ref.vlmeta["after"] == "resize"
    b2nd = ref.schunk.meta["b2nd"]
    assert b2nd[2] == list(model.shape) and b2nd[3] == list(chunks) and b2nd[4] == list(blocks)


# ---------------------------------------------------------------------------
# (d) slices with steps, compared with NumPy
# ---------------------------------------------------------------------------


def random_key(rng, shape, allow_int=True, allow_negative_step=False):
    key = []
    for s in shape:
        r = rng.random()
        if allow_int and s and r < 0.15:
            key.append(rng.randrange(-s, s))
            continue
        start = rng.randrange(0, s + 1)
        stop = rng.randrange(start, s + 1)
        step = rng.choice([1, 1, 2, 3, 5]) if r < 0.8 else 1
        if allow_negative_step and rng.random() < 0.25:
            key.append(slice(stop - 1 if stop else None, start - 1 if start else None, -step))
        else:
            key.append(slice(start - s if rng.random() < 0.2 else start, stop, step))
    return tuple(key)


def fixed_keys(shape):
    nd = len(shape)
    keys = [(), Ellipsis, (slice(None, None, 2),) * nd, (slice(None, None, -1),) * nd,
            (slice(1, None, 3),) + (slice(None),) * (nd - 1), (Ellipsis, slice(None, None, 4)),
            (0,), (-1, Ellipsis), tuple(s // 2 for s in shape), tuple(-1 for _ in shape),
            (slice(5, 2),) + (slice(None),) * (nd - 1)]
    if nd >= 2:
        keys.append((slice(-3, None), Ellipsis, slice(None, None, -2)))
    return keys


def check_keys(arr, expected, seed, n=25):
    rng = random.Random(seed)
    keys = fixed_keys(expected.shape) + [random_key(rng, expected.shape, allow_negative_step=True)
                                         for _ in range(n)]
    for key in keys:
        want = expected[key]
        got = arr[key]
        if isinstance(want, np.ndarray):
            assert isinstance(got, np.ndarray), key
        assert_same(got, want)


SLICE_GOLDEN = [e for e in MANIFEST if e["ndim"] >= 1 and 0 not in e["shape"]][::2]


@pytest.mark.parametrize("entry", SLICE_GOLDEN, ids=[e["name"] for e in SLICE_GOLDEN])
def test_slices_with_steps_on_golden_files(entry):
    expected = np.load(GOLDEN / entry["values"], allow_pickle=False)
    with swkas.open(GOLDEN / entry["path"], mode="r") as arr:
        check_keys(arr, expected, entry["name"])


@pytest.mark.parametrize("case", MATRIX[::2], ids=MATRIX_IDS[::2])
def test_slices_with_steps_on_our_files_match_numpy_and_blosc2(tmp_path, case):
    name, (shape, chunks, blocks), dtype, codec, fname, clevel = case
    if codec not in WRITABLE_CODECS or "trunc" in fname:
        codec, fname = 1, "shuffle"
    data = make_values(name, np_dtype(dtype), shape)
    path = tmp_path / "s.b2nd"
    with swkas.asarray(data, urlpath=path, chunks=chunks, blocks=blocks, **sw_kwargs(codec, *FILTER_SETS[fname])) as arr:
        check_keys(arr, data, name)
    if DELTA in FILTER_SETS[fname][0]:
        # python-blosc2 4.14.1 slices DELTA arrays wrongly (partial-block reads; single items of an
        # in-memory DELTA array even hang), so it is no reference here; NumPy was, above.
        return
    ref = blosc2.open(str(path), mode="r")
    rng = random.Random(name)
    with swkas.open(path, mode="r") as arr:
        for _ in range(10):  # python-blosc2 honours (positive) steps too: same items
            key = random_key(rng, shape)
            assert_same_item(arr[key], ref[key])


def test_slices_on_blosc2_file_in_memory_and_from_cframe():
    data = make_values("cframe", "<f4", (37, 23))
    ref = blosc2.asarray(data, chunks=(10, 8), blocks=(4, 3))
    with swkas.from_cframe(ref.to_cframe()) as arr:
        check_keys(arr, data, "cframe")
        frame = arr.to_cframe()
    back = blosc2.ndarray_from_cframe(frame)
    assert_same(back[...], data)


# ---------------------------------------------------------------------------
# (e) each side updates the other's files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["<f8", "<i4", "|u1", "<c8", "|S7", "|b1"])
def test_blosc2_updates_our_file_and_we_update_theirs(tmp_path, dtype):
    dt = np.dtype(dtype)
    shape, chunks, blocks = (40, 30), (10, 10), (5, 5)
    model = make_values("upd" + dtype, dt, shape)
    model[10:20] = np.zeros((), dt)  # special chunks to turn regular
    path = tmp_path / "x.b2nd"
    with swkas.asarray(model, urlpath=path, chunks=chunks, blocks=blocks, codec=swkas.Codec.LZ4):
        pass
    rng = np.random.default_rng(1)
    for round_ in range(3):
        # python-blosc2 writes: a region, single items, a whole chunk of zeros, a special chunk made regular
        ref = blosc2.open(str(path), mode="a")
        writes = [(np.s_[3:17, 4:26], (14, 22)), (np.s_[10:20, 10:20], (10, 10)), (np.s_[30:40, 0:10], None)]
        for key, shp in writes:
            new = make_values(("b2", round_, str(key)), dt, shp) if shp else np.zeros((10, 10), dt)
            ref[key] = new
            model[key] = new
        for _ in range(10):
            i, j = int(rng.integers(0, 40)), int(rng.integers(0, 30))
            v = make_values(("item", round_, i, j), dt, (1,))
            ref[i, j] = v[0]
            model[i, j] = v[0]
        ref.vlmeta[f"b2_{round_}"] = round_
        del ref
        with swkas.open(path) as arr:
            assert_same(sw_all(arr), model)
            assert arr.vlmeta[f"b2_{round_}"] == round_
            # swkas writes: a strided region, a whole chunk, single items
            key = np.s_[1:39:3, 29:0:-2]
            new = make_values(("sw", round_), dt, model[key].shape)
            arr[key] = new
            model[key] = new
            arr[0:10, 20:30] = make_values(("sw chunk", round_), dt, (10, 10))
            model[0:10, 20:30] = make_values(("sw chunk", round_), dt, (10, 10))
            arr[-1, -1] = model[5, 5]
            model[-1, -1] = model[5, 5]
            arr.vlmeta[f"sw_{round_}"] = [round_]
            assert_same(sw_all(arr), model)
        assert_same(b2_all(path), model)
        ref = blosc2.open(str(path), mode="r")
        assert ref.vlmeta[f"sw_{round_}"] == [round_]
    # python-blosc2 resizes our (updated) file, swkas reads it and resizes back
    ref = blosc2.open(str(path), mode="a")
    ref.resize((45, 27))
    del ref
    grown = np.zeros((45, 27), dt)
    grown[:40] = model[:, :27]
    with swkas.open(path) as arr:
        assert arr.shape == (45, 27)
        assert_same(sw_all(arr), grown)
        arr.resize((40, 30))
    model[:, 27:] = np.zeros((), dt)
    assert_same(b2_all(path), model)


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["kind"] == "b2nd" and e["lossless"]
                                   and e["ndim"] >= 1 and 0 not in e["shape"]
                                   and not e["values_undefined_in_reference"]][::4],
                         ids=lambda e: e["name"])
def test_we_update_golden_blosc2_files_and_blosc2_reads_them(tmp_path, entry):
    """Copies of golden files (any codec, including BloscLZ frames, updated/resized frames)
    updated by swkas read back in python-blosc2."""
    import shutil
    path = tmp_path / "g.b2nd"
    shutil.copyfile(GOLDEN / entry["path"], path)
    model = np.load(GOLDEN / entry["values"], allow_pickle=False).copy()
    rng = random.Random(entry["name"])
    with swkas.open(path) as arr:
        for step in range(3):
            key = random_key(rng, model.shape, allow_int=False)
            new = make_values((entry["name"], step), model.dtype, model[key].shape)
            arr[key] = new
            model[key] = new
    assert_same(b2_all(path), model)
    ref = blosc2.open(str(path), mode="a")  # and python-blosc2 can go on updating it
    key = tuple(slice(0, 1) for _ in model.shape)
    new = make_values((entry["name"], "b2"), model.dtype, model[key].shape)
    ref[key] = new
    model[key] = new
    del ref
    with swkas.open(path, mode="r") as arr:
        assert_same(sw_all(arr), model)


@pytest.mark.parametrize("dtype", ["<f8", "<i2", "|S3"])
def test_we_update_caterva_files_and_caterva_reads_them(tmp_path, dtype):
    """A contiguous caterva file updated (and resized) by swkas stays a caterva file."""
    dt = np.dtype(dtype)
    model = make_values("cat" + dtype, dt, (37, 23))
    path = tmp_path / "c.cat"
    caterva.asarray(model, urlpath=str(path), contiguous=True, chunks=(10, 8), blocks=(4, 3))
    sdt = np.dtype(f"S{dt.itemsize}")
    with swkas.open(path) as arr:
        key = np.s_[2:30:2, 5:23]
        new = make_values("cat-upd", dt, model[key].shape)
        arr[key] = new.view(sdt)
        model[key] = new
        arr[0:10, 0:8] = np.zeros((10, 8), sdt)
        model[0:10, 0:8] = np.zeros((), dt)
        assert_same(sw_all(arr), model.view(sdt))
    assert cat_all(path, dt).tobytes() == model.tobytes()
    with swkas.open(path) as arr:
        arr.resize((40, 25))
    grown = np.zeros((40, 25), dt)
    grown[:37, :23] = model
    c = caterva.open(str(path))
    assert c.shape == (40, 25)
    assert cat_all(path, dt).tobytes() == grown.tobytes()
    # caterva writes again; swkas reads it
    c[0:4, 0:4] = np.full((4, 4), grown[5, 5], dt)
    grown[0:4, 0:4] = grown[5, 5]
    del c
    with swkas.open(path, mode="r") as arr:
        assert_same(sw_all(arr), grown.view(sdt))


def test_sparse_caterva_directory_is_read_only(tmp_path):
    path = tmp_path / "sp.cat"
    data = make_values("sp", "<i4", (20, 20))
    caterva.asarray(data, urlpath=str(path), chunks=(8, 8), blocks=(4, 4))
    assert path.is_dir()
    with swkas.open(path) as arr:
        assert arr.readonly
        with pytest.raises(ValueError):
            arr[0, 0] = b"\x00" * 4
        assert_same(sw_all(arr), data.view("S4"))
    assert cat_all(path, "<i4").tobytes() == data.tobytes()
