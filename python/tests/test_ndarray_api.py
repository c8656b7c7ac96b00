"""Behaviour of the N-d array API (swkas.empty ... swkas.NDArray): constructors, properties, NumPy-style
indexing checked against NumPy, metalayers, resize, copy, frames, files and threads."""
import concurrent.futures
import copy as copy_module
import math
import os
import pathlib
import pickle
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import swkas

DTYPES = ["i1", "u1", "<i2", ">i4", "<u8", "<f2", "<f4", ">f8", "<c16", "|b1", "S5", "<U3", "<M8[ns]", "<m8[s]",
          [("a", "<i4"), ("b", "<f8"), ("c", "S3")]]


def sample(shape, dtype):
    """Deterministic non-trivial items of any dtype."""
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    raw = (np.arange(count * dtype.itemsize, dtype=np.uint64) * 2654435761 % 251).astype(np.uint8)
    items = raw.view(dtype) if dtype.kind not in "fcbUMm" else None
    if dtype.kind == "b":
        items = np.arange(count) % 3 == 0
    elif dtype.kind in "fc":
        items = (np.arange(count) * 1.25 - 7).astype(dtype)
    elif dtype.kind == "U":
        items = np.array(["x%d" % (i % 97) for i in range(count)], dtype=dtype)
    elif dtype.kind in "Mm":
        items = np.arange(count).astype(dtype)
    return np.asarray(items).reshape(shape)


def equal(a, b):
    """Same dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# Constructors ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("maker", [swkas.empty, swkas.zeros])
def test_empty_and_zeros_read_as_zero(maker):
    a = maker((5, 7), 3, chunks=(2, 4), blocks=(1, 2))
    assert a.dtype == np.dtype("S3") and a.itemsize == 3 and a.shape == (5, 7)
    assert a[...].tobytes() == bytes(105)
    b = maker((4, 3), dtype=np.float32)
    assert equal(b[...], np.zeros((4, 3), np.float32))


def test_constructors_need_an_item_size():
    with pytest.raises(TypeError):
        swkas.empty((3,))
    with pytest.raises(ValueError):
        swkas.empty((3,), 4, dtype=np.float64)
    with pytest.raises(ValueError):
        swkas.zeros((3,), 0)


def test_full_with_bytes_is_caterva_style():
    a = swkas.full((3, 4), b"ab\x00c", chunks=(2, 2), blocks=(1, 2))
    assert a.dtype == np.dtype("S4") and a.itemsize == 4
    assert a.to_buffer() == b"ab\x00c" * 12


@pytest.mark.parametrize("value, dtype, expected", [
    (7, np.int16, np.int16(7)),
    (2.5, np.float32, np.float32(2.5)),
    (np.float64(-1.5), None, np.float64(-1.5)),
    (3, None, np.asarray(3)[()]),
    (np.float64(1.0).tobytes(), np.float64, np.float64(1.0)),  # raw item bytes with a dtype
    (b"xy", "S2", np.bytes_(b"xy")),
])
def test_full_with_values(value, dtype, expected):
    a = swkas.full((4, 5), value, dtype=dtype)
    assert equal(a[...], np.full((4, 5), expected))


def test_full_checks_the_cast():
    with pytest.raises(TypeError):
        swkas.full((3,), 1.5, dtype=np.int32)
    with pytest.raises(OverflowError):
        swkas.full((3,), 300, dtype=np.uint8)


def test_from_buffer():
    data = np.arange(24, dtype="<i4")
    a = swkas.from_buffer(data.tobytes(), (4, 6), 4)
    assert a.dtype == np.dtype("S4") and a.to_buffer() == data.tobytes()
    b = swkas.from_buffer(bytearray(data.tobytes()), (2, 3, 4), dtype="<i4", chunks=(1, 2, 3))
    assert equal(b[...], data.reshape(2, 3, 4))
    c = swkas.from_buffer(memoryview(data.tobytes()), (48,), dtype="<u2", chunks=(5,))
    assert equal(c[...], data.view("<u2"))
    with pytest.raises(ValueError):
        swkas.from_buffer(b"12345", (2,), 2)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_asarray_keeps_dtype_and_items(dtype):
    items = sample((6, 5), dtype)
    a = swkas.asarray(items, chunks=(4, 3), blocks=(2, 2))
    assert a.dtype == items.dtype
    assert equal(a[...], items)
    assert equal(np.asarray(a), items)


@pytest.mark.parametrize("shape", [(), (0,), (0, 5), (5, 0, 3), (1,), (17,), (3, 1, 4), (2, 3, 2, 3)])
def test_asarray_shapes(shape):
    items = sample(shape, np.int64)
    a = swkas.asarray(items)
    assert a.shape == shape and a.ndim == len(shape) and a.size == items.size and a.nbytes == items.nbytes
    assert equal(a[...], items)
    assert a.to_buffer() == items.tobytes() == a.tobytes()


def test_asarray_of_non_contiguous_and_python_objects():
    items = np.arange(60.0).reshape(6, 10)[::2, ::-3]
    assert equal(swkas.asarray(items)[...], np.ascontiguousarray(items))
    assert equal(swkas.asarray([[1, 2], [3, 4]])[...], np.array([[1, 2], [3, 4]]))
    assert equal(swkas.asarray([1, 2], dtype=np.uint8)[...], np.array([1, 2], np.uint8))
    assert equal(swkas.asarray(swkas.asarray(items))[...], np.ascontiguousarray(items))


def test_unstorable_dtypes():
    with pytest.raises(TypeError):
        swkas.asarray(np.array([1, "a"], dtype=object))
    with pytest.raises(TypeError):
        swkas.empty((3,), dtype=np.dtype(("<f8", (2,))))


def test_chunks_and_blocks_are_chosen_when_omitted():
    a = swkas.asarray(np.arange(10000.0).reshape(100, 100))
    assert len(a.chunks) == 2 and len(a.blocks) == 2
    assert all(0 < b <= c for b, c in zip(a.blocks, a.chunks))
    b = swkas.asarray(np.arange(10000.0).reshape(100, 100), chunks=(30, 40))
    assert b.chunks == (30, 40) and all(0 < x <= c for x, c in zip(b.blocks, b.chunks))


def test_dimension_limits():
    shape = (1,) * 15
    a = swkas.zeros(shape, dtype=np.int8)
    assert a.shape == shape and a[(0,) * 15] == 0
    with pytest.raises(ValueError):
        swkas.zeros((1,) * 16, dtype=np.int8)


# Properties -----------------------------------------------------------------------------------------------------------

def test_geometry_properties():
    a = swkas.zeros((10, 11), dtype="<f8", chunks=(4, 5), blocks=(2, 5))
    assert a.shape == (10, 11) and a.chunks == (4, 5) and a.blocks == (2, 5)
    assert a.itemsize == 8 and a.ndim == 2 and a.size == 110 and a.nbytes == 880
    assert a.chunksize == 4 * 5 * 8 and a.blocksize == 2 * 5 * 8
    assert a.nchunks == 3 * 3
    assert len(a) == 10
    assert a.urlpath is None
    assert not a.readonly
    with pytest.raises(TypeError):
        len(swkas.zeros((), dtype="f8"))
    assert "(10, 11)" in repr(a) and "float64" in repr(a)


def test_compression_properties_are_right_aligned_like_caterva():
    a = swkas.zeros((10,), dtype="f4")
    assert a.codec == swkas.Codec.LZ4 and a.clevel == 5
    assert a.filters == [swkas.Filter.NOFILTER] * 5 + [swkas.Filter.SHUFFLE]
    b = swkas.zeros((10,), dtype="f4", codec=swkas.Codec.ZSTD, clevel=9,
                    filters=[swkas.Filter.DELTA, swkas.Filter.BITSHUFFLE], filtersmeta=[0, 0], nthreads=2)
    assert b.codec == swkas.Codec.ZSTD and b.clevel == 9 and b.nthreads == 2
    assert b.filters == [swkas.Filter.NOFILTER] * 4 + [swkas.Filter.DELTA, swkas.Filter.BITSHUFFLE]
    c = swkas.asarray(np.linspace(0, 1, 1000, dtype="f8"), filters=[swkas.Filter.TRUNC_PREC, swkas.Filter.SHUFFLE],
                      filtersmeta=[20, 0])
    assert c.filtersmeta[-2:] == [20, 0]
    assert np.allclose(c[...], np.linspace(0, 1, 1000), atol=1e-5)


@pytest.mark.parametrize("codec", [swkas.Codec.LZ4, swkas.Codec.LZ4HC, swkas.Codec.ZLIB, swkas.Codec.ZSTD])
@pytest.mark.parametrize("clevel", [0, 1, 9])
def test_codecs_round_trip(codec, clevel):
    items = np.arange(3000, dtype="<i8").reshape(30, 100) % 17
    a = swkas.asarray(items, chunks=(16, 64), blocks=(8, 16), codec=codec, clevel=clevel)
    assert a.codec == codec and a.clevel == clevel
    assert equal(a[...], items)


def test_cratio_and_info():
    items = np.zeros((100, 100), dtype="<f8")
    items[::7] = 1
    a = swkas.asarray(items, chunks=(32, 32), blocks=(16, 16))
    assert a.cratio > 1 and a.cbytes > 0
    assert a.cratio == pytest.approx(a.nchunks * 32 * 32 * 8 / a.cbytes)
    info = dict(a.info_items)
    for key in ("Type", "Itemsize", "Dtype", "Shape", "Chunks", "Blocks", "Comp. codec", "Comp. level",
                "Comp. filters", "Ratio blosc2", "Ratio caterva"):
        assert key in info
    assert info["Shape"] == "(100, 100)" and info["Dtype"] == "<f8" and info["Itemsize"] == "8"
    assert info["Comp. codec"] == "LZ4" and info["Comp. filters"] == "[SHUFFLE]"
    assert float(info["Ratio blosc2"].split()[0]) == pytest.approx(a.cratio, abs=0.01)
    caterva_ratio = a.nbytes / (a.cbytes + 32 * a.nchunks)
    assert float(info["Ratio caterva"].split()[0]) == pytest.approx(caterva_ratio, abs=0.01)
    assert "Ratio caterva" in repr(a.info) and "<table" in a.info._repr_html_()
    assert swkas.zeros((100,), dtype="f8").cratio == 0.0  # no chunk stored (python-blosc2 says 0 too)


def test_nthreads_can_change():
    items = sample((50, 60), "<i4")
    a = swkas.asarray(items, chunks=(20, 20), nthreads=3)
    assert a.nthreads == 3
    a.nthreads = 2
    assert a.nthreads == 2 and equal(a[...], items)
    with pytest.raises(ValueError):
        a.nthreads = 0


# Reading with NumPy's indexing ----------------------------------------------------------------------------------------

KEYS = [
    (), Ellipsis, 0, -1, 3, (2, 5), (-1, -1), (slice(None), 4), (Ellipsis, 2), (1, Ellipsis), (1, Ellipsis, 2),
    slice(2, 5), slice(None, None, 2), slice(None, None, -1), slice(7, 1, -2), slice(-3, None), slice(100, 200),
    slice(5, 2), (slice(1, 8, 3), slice(None, None, -4)), (slice(None, None, -1), -3), (slice(-1, -10, -1),),
    (np.int64(2), np.int32(-2)), (slice(0, 0), 1),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_matches_numpy(key):
    items = np.arange(9 * 10, dtype="<i4").reshape(9, 10) * 3 - 50
    a = swkas.asarray(items, chunks=(4, 3), blocks=(2, 2))
    result = a[key]
    expected = items[key]
    assert type(result) is type(expected)
    assert equal(result, expected)


def test_full_integer_index_gives_numpy_scalars():
    a = swkas.asarray(np.arange(12.0).reshape(3, 4))
    assert type(a[1, 2]) is np.float64 and a[1, 2] == 6.0
    b = swkas.asarray(np.array(5, dtype=np.uint16))
    assert type(b[()]) is np.uint16 and b[()] == 5
    assert isinstance(b[...], np.ndarray) and b[...].shape == ()
    c = swkas.full((2,), b"abc")
    assert c[0] == np.bytes_(b"abc")


@pytest.mark.parametrize("key, error", [
    ((0, 0, 0), IndexError), (10, IndexError), (-10, IndexError), ((0, 11), IndexError),
    ((Ellipsis, Ellipsis), IndexError), (True, IndexError), ([0, 1], IndexError), ("a", IndexError),
    (1.0, IndexError), (None, IndexError), (slice(None, None, 0), ValueError), (slice(0.5, 2), TypeError),
])
def test_bad_keys(key, error):
    a = swkas.zeros((9, 10), dtype="u1")
    with pytest.raises(error):
        a[key]
    with pytest.raises(error):
        a[key] = 1


@st.composite
def arrays_and_keys(draw):
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 7), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.integers(1, max(n, 1))) for n in shape)
    blocks = tuple(draw(st.integers(1, c)) for c in chunks)
    key = []
    for n in shape:
        if n and draw(st.booleans()):
            key.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            key.append(slice(draw(bound), draw(bound), draw(st.one_of(st.none(), st.integers(-4, 4).filter(bool)))))
    first = draw(st.integers(0, ndim))
    last = draw(st.integers(first, ndim))
    if draw(st.booleans()):
        key[first:last] = [Ellipsis]  # stands for those axes
    else:
        key = key[:last]  # trailing axes taken whole
    return shape, chunks, blocks, tuple(key)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_keys(), st.sampled_from(["<i2", ">f8", "S3"]))
def test_random_slices_read_and_write_like_numpy(case, dtype):
    shape, chunks, blocks, key = case
    model = sample(shape, dtype)
    a = swkas.asarray(model, chunks=chunks, blocks=blocks)
    assert equal(a[key], model[key])
    patch = sample(np.shape(model[key]), dtype)[::-1] if np.ndim(model[key]) else sample((1,), dtype)[0]
    model[key] = patch
    a[key] = patch
    assert equal(a[...], model)


# Writing --------------------------------------------------------------------------------------------------------------

def test_setitem_broadcasts_and_honours_steps():
    model = np.zeros((8, 9), dtype="<i8")
    a = swkas.asarray(model, chunks=(3, 4), blocks=(2, 2))
    for key, value in [((slice(None, None, 2), 1), 7), ((slice(None, None, -3), slice(2, 8, 2)), np.arange(3)),
                       ((Ellipsis, -1), np.arange(8)), (-2, np.arange(9) * 10), ((), 5)]:
        model[key] = value
        a[key] = value
        assert equal(a[...], model)


def test_setitem_casts_with_same_kind():
    a = swkas.zeros((4,), dtype=np.float32)
    a[:] = np.arange(4, dtype=np.int64)  # int -> float: same kind allowed
    a[0] = 2.5
    assert equal(a[...], np.array([2.5, 1, 2, 3], np.float32))
    b = swkas.zeros((4,), dtype=np.int16)
    with pytest.raises(TypeError):
        b[:] = np.arange(4.0)
    with pytest.raises(TypeError):
        b[0] = 1.5
    with pytest.raises(OverflowError):
        b[0] = 1 << 20
    with pytest.raises(ValueError):
        b[:2] = np.arange(3)
    assert equal(b[...], np.zeros(4, np.int16))


def test_setitem_with_raw_bytes_like_caterva():
    a = swkas.zeros((3, 4), 4)
    a[1:3, 1:3] = b"aaaabbbbccccdddd"
    assert a[1, 1] == b"aaaa" and a[2, 2] == b"dddd" and a[0, 0] == b""
    f = swkas.zeros((5,), dtype="<f8")
    f[::-2] = np.array([1.0, 2.0, 3.0]).tobytes()  # raw items, in the key's order
    assert equal(f[...], np.array([3.0, 0, 2.0, 0, 1.0]))
    with pytest.raises(TypeError):
        f[:2] = b"123"  # neither raw items nor castable


def test_array_protocol():
    items = np.arange(20, dtype=np.int32).reshape(4, 5)
    a = swkas.asarray(items)
    assert equal(np.asarray(a), items)
    assert equal(np.array(a, dtype=np.float64), items.astype(np.float64))
    assert np.sum(a) == items.sum()
    with pytest.raises(ValueError):
        a.__array__(copy=False)


# Metalayers -----------------------------------------------------------------------------------------------------------

def test_meta_mapping():
    a = swkas.zeros((4,), dtype="u1", meta={"m1": b"\x01\x02\x03", b"m2": bytearray(b"xy")})
    assert list(a.meta) == ["b2nd", "m1", "m2"]
    assert len(a.meta) == 3 and "m1" in a.meta and "nope" not in a.meta
    assert a.meta["m1"] == b"\x01\x02\x03" and a.meta[b"m2"] == b"xy" and a.meta.get("nope") is None
    a.meta["m1"] = b"abc"
    assert a.meta["m1"] == b"abc"
    with pytest.raises(ValueError):
        a.meta["m1"] = b"abcd"
    with pytest.raises(KeyError):
        a.meta["nope"]
    with pytest.raises(KeyError):
        a.meta["nope"] = b"abc"
    assert dict(a.meta)["m2"] == b"xy"
    assert isinstance(a.meta["b2nd"], bytes) and a.meta["b2nd"][0] == 0x97


@pytest.mark.parametrize("meta, error", [
    ({"m": 5}, TypeError), ({"b2nd": b"x"}, ValueError), ({"caterva": b"x"}, ValueError), ({"": b"x"}, ValueError),
    ({"x" * 32: b"x"}, ValueError), ({"a\0b": b"x"}, ValueError), ({b"\xff": b"x"}, ValueError),
    ({5: b"x"}, TypeError), ({"m%d" % i: b"x" for i in range(16)}, ValueError),
])
def test_meta_errors(meta, error):
    with pytest.raises(error):
        swkas.zeros((4,), dtype="u1", meta=meta)


VLMETA_VALUES = [0, -5, 2**40, 1.5, "text", "ünï", b"\x00bytes", None, True, [1, 2, [3]], {"a": 1, "b": [1.5]},
                 (1, "two", (3, 4)), np.int16(7), np.float32(2.5), complex(1, -2), {1, 2, 3},
                 np.arange(6, dtype="<i4").reshape(2, 3)]


def test_vlmeta_mapping():
    a = swkas.zeros((4,), dtype="u1")
    assert len(a.vlmeta) == 0 and list(a.vlmeta) == []
    for index, value in enumerate(VLMETA_VALUES):
        a.vlmeta["k%d" % index] = value
    assert len(a.vlmeta) == len(VLMETA_VALUES)
    for index, value in enumerate(VLMETA_VALUES):
        got = a.vlmeta["k%d" % index]
        if isinstance(value, np.ndarray):
            assert equal(got, value)
        else:
            assert got == value and type(got) is type(value.item() if isinstance(value, np.generic) else value)
    a.vlmeta["k0"] = "replaced"
    assert a.vlmeta["k0"] == "replaced"
    del a.vlmeta["k1"]
    assert "k1" not in a.vlmeta and len(a.vlmeta) == len(VLMETA_VALUES) - 1
    with pytest.raises(KeyError):
        del a.vlmeta["k1"]
    with pytest.raises(KeyError):
        a.vlmeta["missing"]
    with pytest.raises(TypeError):
        a.vlmeta["bad"] = object()
    assert list(a.vlmeta.getall()) == list(a.vlmeta)
    for bad in ("", "x" * 32):
        with pytest.raises(ValueError):
            a.vlmeta[bad] = 1
    for bad in (b"\xff\xfe", "\udcff"):  # names are UTF-8 text
        with pytest.raises(ValueError):
            a.vlmeta[bad] = 1
    a.vlmeta["ünï"] = 1
    assert a.vlmeta["ünï".encode()] == 1 and "ünï" in list(a.vlmeta)


def test_vlmeta_values_are_python_blosc2_compatible():
    blosc2 = pytest.importorskip("blosc2")
    values = [1, "x", [1, (2, 3)], {"a": (1,)}, np.float64(2.0), {4, 5}, complex(1, 2), b"raw", np.arange(4.0)]
    ours = swkas.zeros((4,), dtype="u1")
    theirs = blosc2.zeros((4,), dtype="u1")
    for index, value in enumerate(values):
        ours.vlmeta["v%d" % index] = value
        theirs.vlmeta["v%d" % index] = value
    read_by_blosc2 = blosc2.ndarray_from_cframe(ours.to_cframe(), copy=True)
    read_by_us = swkas.from_cframe(theirs.to_cframe())
    for index, value in enumerate(values):
        for reader in (read_by_blosc2, read_by_us):
            got = reader.vlmeta["v%d" % index]
            assert equal(got, value) if isinstance(value, np.ndarray) else got == value


# Resize, copy, slice --------------------------------------------------------------------------------------------------

def test_resize_grows_with_zeros_and_shrinks():
    items = np.arange(30, dtype="<i4").reshape(5, 6)
    a = swkas.asarray(items, chunks=(2, 4), blocks=(1, 2))
    a.resize((7, 9))
    expected = np.zeros((7, 9), "<i4")
    expected[:5, :6] = items
    assert a.shape == (7, 9) and equal(a[...], expected)
    a[6, 8] = 99
    a.resize((3, 2))
    assert equal(a[...], items[:3, :2])
    a.resize((0, 2))
    assert a.shape == (0, 2) and a[...].shape == (0, 2)
    with pytest.raises(ValueError):
        a.resize((3,))
    with pytest.raises(ValueError):
        a.resize((-1, 2))


def test_copy_changes_layout_and_keeps_metadata(tmp_path):
    items = sample((20, 30), "<f8")
    a = swkas.asarray(items, chunks=(8, 8), blocks=(4, 4), meta={"m": b"meta"})
    a.vlmeta["note"] = [1, 2]
    b = a.copy(chunks=(5, 30), codec=swkas.Codec.ZSTD, clevel=9)
    assert b.chunks == (5, 30) and b.codec == swkas.Codec.ZSTD and b.clevel == 9
    assert equal(b[...], items) and b.meta["m"] == b"meta" and b.vlmeta["note"] == [1, 2]
    c = swkas.copy(a, urlpath=tmp_path / "c.b2nd")
    assert c.urlpath == str(tmp_path / "c.b2nd") and c.chunks == a.chunks
    c.close()
    d = swkas.open(tmp_path / "c.b2nd")
    assert equal(d[...], items) and d.meta["m"] == b"meta" and d.vlmeta["note"] == [1, 2]
    e = a.copy()
    e[0, 0] = -1
    assert a[0, 0] == items[0, 0]
    with pytest.raises(TypeError):
        a.copy(meta={"x": b"1"})
    with pytest.raises(TypeError):
        a.copy(chunk=(1, 1))


def test_slice_makes_a_new_array():
    items = sample((10, 12), "<u2")
    a = swkas.asarray(items, chunks=(4, 4))
    s = a.slice((slice(2, 9, 3), 5), chunks=(2,))
    assert s.shape == (3,) and s.chunks == (2,) and equal(s[...], items[2:9:3, 5])
    assert equal(a.slice((1, 1))[...], np.asarray(items[1, 1]))


def test_pickle_and_copy_module_make_independent_copies(tmp_path):
    items = sample((6, 7), "<i8")
    a = swkas.asarray(items, chunks=(4, 4), urlpath=tmp_path / "p.b2nd")
    a.vlmeta["v"] = 1
    for other in (pickle.loads(pickle.dumps(a)), copy_module.copy(a), copy_module.deepcopy(a)):
        assert equal(other[...], items) and other.vlmeta["v"] == 1 and other.urlpath is None
        other[0, 0] = -1
        del other
    assert equal(a[...], items)


# Frames ---------------------------------------------------------------------------------------------------------------

def test_cframe_round_trip():
    items = sample((7, 9), ">i4")
    a = swkas.asarray(items, chunks=(3, 4), blocks=(2, 2), meta={"m": b"12"})
    a.vlmeta["v"] = {"x": 1}
    frame = a.to_cframe()
    assert isinstance(frame, bytes) and frame[2:10] == b"b2frame\0"
    b = swkas.from_cframe(frame)
    assert equal(b[...], items) and b.meta["m"] == b"12" and b.vlmeta["v"] == {"x": 1}
    assert b.chunks == a.chunks and b.blocks == a.blocks
    b[0, 0] = 5  # the copy is independent
    assert a[0, 0] == items[0, 0]
    assert swkas.from_cframe(memoryview(frame)).shape == (7, 9)


def test_unusable_dtype_in_a_file_reads_as_bytes():
    frame = swkas.asarray(np.arange(6.0)).to_cframe()
    assert frame.count(b"<f8") == 1
    with pytest.warns(RuntimeWarning, match="reading them as bytes"):
        a = swkas.from_cframe(frame.replace(b"<f8", b"|O8"))  # an object dtype must never be trusted
    assert a.dtype == np.dtype("S8") and a.to_buffer() == np.arange(6.0).tobytes()


@pytest.mark.filterwarnings("ignore:dtype")
def test_damaged_frames_raise():
    frame = swkas.asarray(np.arange(50.0).reshape(5, 10), chunks=(2, 4), blocks=(1, 2)).to_cframe()
    for size in range(0, len(frame), 7):
        with pytest.raises((swkas.ArrayFormatError, ValueError)):
            swkas.from_cframe(frame[:size])
    rng = np.random.default_rng(5)
    for _ in range(200):
        damaged = bytearray(frame)
        for position in rng.integers(0, len(frame), 3):
            damaged[position] = int(rng.integers(0, 256))
        try:
            b = swkas.from_cframe(bytes(damaged))
            b[...]
        except (ValueError, NotImplementedError, MemoryError):
            pass
    with pytest.raises(swkas.ArrayFormatError):
        swkas.from_cframe(b"not a frame at all" * 10)


# Files ----------------------------------------------------------------------------------------------------------------

def test_persistence_round_trip(tmp_path):
    path = tmp_path / "a.b2nd"
    items = sample((13, 7), "<f4")
    with swkas.asarray(items, chunks=(5, 5), blocks=(2, 5), urlpath=str(path), meta={"m": b"abc"}) as a:
        assert a.urlpath == str(path)
        a.vlmeta["unit"] = "m/s"
    assert path.is_file()
    with swkas.open(path) as b:
        assert equal(b[...], items) and b.chunks == (5, 5) and b.blocks == (2, 5)
        b[3:6, ::2] = -1
        b.meta["m"] = b"xyz"
        b.vlmeta["unit"] = ("km", 1)
        b.resize((15, 7))
        items = np.concatenate([items, np.zeros((2, 7), "<f4")])
        items[3:6, ::2] = -1
    with swkas.open(str(path), mode="r") as c:
        assert equal(c[...], items) and c.meta["m"] == b"xyz" and c.vlmeta["unit"] == ("km", 1)
        assert c.readonly
        for write in (lambda: c.__setitem__(0, 1), lambda: c.resize((1, 1)), lambda: c.vlmeta.__setitem__("x", 1),
                      lambda: c.meta.__setitem__("m", b"123"), lambda: c.vlmeta.__delitem__("unit")):
            with pytest.raises(ValueError):
                write()
        assert equal(c[...], items)


def test_creation_modes(tmp_path):
    path = tmp_path / "x.b2nd"
    swkas.zeros((3,), dtype="u1", urlpath=path).close()
    with pytest.raises(FileExistsError):
        swkas.zeros((3,), dtype="u1", urlpath=path)
    with swkas.full((4,), 7, dtype="u1", urlpath=path, mode="w") as a:
        assert a.shape == (4,)
    assert equal(swkas.open(path)[...], np.full(4, 7, "u1"))
    with pytest.raises(ValueError):
        swkas.zeros((3,), dtype="u1", urlpath=tmp_path / "y.b2nd", mode="r")
    with pytest.raises(ValueError):
        swkas.zeros((3,), dtype="u1", urlpath=tmp_path / "y.b2nd", contiguous=False)
    assert not (tmp_path / "y.b2nd").exists()
    with swkas.zeros((3,), dtype="u1", urlpath=tmp_path / "z.b2nd", contiguous=True) as z:
        assert z.shape == (3,)
    with pytest.raises(FileNotFoundError):
        swkas.zeros((3,), dtype="u1", urlpath=tmp_path / "missing" / "y.b2nd")


def test_open_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        swkas.open(tmp_path / "missing.b2nd")
    with pytest.raises(ValueError):
        swkas.open(tmp_path / "missing.b2nd", mode="w")
    junk = tmp_path / "junk.b2nd"
    junk.write_bytes(b"\x00" * 300)
    with pytest.raises(swkas.ArrayFormatError):
        swkas.open(junk)
    store = tmp_path / "store.kas"
    swkas.dump({"x": np.arange(3)}, store)
    with pytest.raises(swkas.ArrayFormatError):
        swkas.open(store)
    with pytest.raises((OSError, swkas.ArrayFormatError)):
        swkas.open(tmp_path)  # a directory that is not a caterva array
    for special in ("/dev/null", "/proc/self/status"):
        with pytest.raises(swkas.ArrayFormatError):
            swkas.open(special)


def test_remove(tmp_path):
    path = tmp_path / "r.b2nd"
    swkas.zeros((3,), dtype="u1", urlpath=path).close()
    swkas.remove(path)
    assert not path.exists()
    swkas.remove(path)  # missing: nothing to do, as in caterva
    directory = tmp_path / "sparse.cat"
    directory.mkdir()
    (directory / "chunks.b2frame").write_bytes(b"x")
    (directory / "00000000.chunk").write_bytes(b"y")
    swkas.remove(str(directory))
    assert not directory.exists()


def test_keyword_errors():
    for kwargs, error in [({"chunk": (2,)}, TypeError), ({"usedict": True}, ValueError),
                          ({"filters": [1] * 7}, ValueError), ({"filtersmeta": [0] * 7}, ValueError),
                          ({"clevel": 10}, ValueError), ({"clevel": -1}, ValueError), ({"chunks": (2, 2)}, ValueError),
                          ({"chunks": (4,), "blocks": (8,)}, ValueError), ({"chunks": (2**31,)}, ValueError),
                          ({"nthreads": 0}, ValueError), ({"codec": 99}, ValueError), ({"filters": [9]}, ValueError),
                          ({"mode": "x"}, ValueError), ({"codec": swkas.Codec.BLOSCLZ}, NotImplementedError),
                          ({"chunks": (1.5,)}, TypeError)]:
        with pytest.raises(error):
            swkas.zeros((10,), dtype="f8", **kwargs)
    for shape in [(-1,), (2**63,), (2.0,), None]:
        with pytest.raises((ValueError, TypeError)):
            swkas.zeros(shape, dtype="f8")


def test_closed_array():
    a = swkas.zeros((3,), dtype="u1")
    a.close()
    a.close()
    for use in (lambda: a[0], lambda: a.__setitem__(0, 1), lambda: a.to_cframe(), lambda: a.cratio,
                lambda: len(a.vlmeta), lambda: a.meta["b2nd"], lambda: a.resize((2,)), lambda: a.copy()):
        with pytest.raises(ValueError):
            use()
    assert a.shape == (3,)


def test_ndarray_cannot_wrap_arbitrary_handles():
    for args in [(), (12345, None), (None, None)]:
        with pytest.raises(TypeError):
            swkas.NDArray(*args)


def test_caterva_style_enums_and_pathlike(tmp_path):
    caterva = pytest.importorskip("caterva")
    a = swkas.zeros((10,), 8, codec=caterva.Codec.ZSTD, filters=[caterva.Filter.BITSHUFFLE],
                    urlpath=pathlib.Path(tmp_path) / "p.b2nd")
    assert a.codec == swkas.Codec.ZSTD and a.filters[-1] == swkas.Filter.BITSHUFFLE
    assert os.path.isfile(a.urlpath)


# Threads --------------------------------------------------------------------------------------------------------------

def test_concurrent_reads_of_one_array(tmp_path):
    items = sample((200, 150), "<f8")
    a = swkas.asarray(items, chunks=(32, 32), blocks=(8, 16), urlpath=tmp_path / "t.b2nd", nthreads=2)
    a.vlmeta["v"] = "value"
    rng = np.random.default_rng(1)
    keys = []
    for _ in range(400):
        r0, r1 = sorted(rng.integers(0, 201, 2))
        c0, c1 = sorted(rng.integers(0, 151, 2))
        keys.append((slice(r0, r1, int(rng.integers(1, 4))), slice(c1, c0, -int(rng.integers(1, 4)))))
    start = threading.Barrier(8)

    def work(part):
        start.wait()
        for key in keys[part::8]:
            assert equal(a[key], items[key])
            assert a.vlmeta["v"] == "value" and a.meta["b2nd"][0] == 0x97
        return len(a.to_cframe())

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        sizes = list(pool.map(work, range(8)))
    assert len(set(sizes)) == 1


def test_concurrent_reads_and_writes():
    a = swkas.zeros((64, 64), dtype="<i8", chunks=(16, 16), blocks=(8, 8))
    stop = threading.Event()
    errors = []

    def reader():
        while not stop.is_set():
            block = a[...]
            rows = set(np.unique(block.max(axis=1)))
            if not rows <= set(range(65)):
                errors.append(rows)

    def writer():
        for row in range(64):
            a[row] = row + 1
            a.vlmeta["row"] = row

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    writer()
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert equal(a[:, 0], np.arange(1, 65, dtype="<i8")) and a.vlmeta["row"] == 63


def test_close_waits_for_readers():
    items = sample((256, 256), "<f8")
    a = swkas.asarray(items, chunks=(64, 64), blocks=(16, 16))
    outcomes = []

    def reader():
        try:
            while True:
                assert equal(a[::3, ::-5], items[::3, ::-5])
        except ValueError as error:  # closed under us: an exception, never a crash
            outcomes.append(str(error))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    a.close()
    for thread in threads:
        thread.join()
    assert outcomes == ["operation on a closed array"] * 4


def test_durable_keyword(tmp_path):
    """durable=False skips fsync but keeps the same file and the same atomic updates."""
    path = tmp_path / "d.b2nd"
    with swkas.asarray(np.arange(20.0), urlpath=path, chunks=(8,), blocks=(4,), durable=False) as a:
        a[3:7] = -1.0
    with swkas.open(path, durable=False) as a:
        a[0] = 5.0
        expected = np.arange(20.0)
        expected[3:7] = -1.0
        expected[0] = 5.0
        np.testing.assert_array_equal(a[...], expected)
    with pytest.raises(TypeError):
        swkas.open(path, durable=False, bogus=1)
