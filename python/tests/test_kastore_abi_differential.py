"""Randomised differential tests of libswkas's kastore C ABI (through ctypes)
against the reference kastore 0.3.6 package, both engines, in both directions.
"""
import ctypes
import os
import tempfile

import hypothesis
import hypothesis.strategies as st
import kastore
import numpy as np
import pytest

from swkas import _abi

DTYPES = [np.dtype(name) for name in _abi.TYPE_NAMES]


def ours_encode(data):
    """Serializes {str: array} with swkas_open_writer + kastore_put + swkas_encode."""
    store = _abi.kastore_t()
    assert _abi.swkas_open_writer(ctypes.byref(store), 0) == 0
    try:
        for key, array in data.items():
            raw = key.encode("utf-8")
            array = np.ascontiguousarray(array)
            code = _abi.TYPE_NAMES.index(array.dtype.name)
            status = _abi.kastore_put(ctypes.byref(store), raw, len(raw), array.ctypes.data, array.size, code, 0)
            assert status == 0, _abi.strerror(status)
        buffer, size = ctypes.c_void_p(), ctypes.c_size_t()
        assert _abi.swkas_encode(ctypes.byref(store), ctypes.byref(buffer), ctypes.byref(size)) == 0
        try:
            return ctypes.string_at(buffer, size.value)
        finally:
            _abi.free(buffer)
    finally:
        assert _abi.kastore_close(ctypes.byref(store)) == 0


def ours_write_file(data, path):
    """Writes {str: array} with kastore_open(path, "w")."""
    store = _abi.kastore_t()
    assert _abi.kastore_open(ctypes.byref(store), os.fsencode(path), b"w", 0) == 0
    for key, array in data.items():
        raw = key.encode("utf-8")
        array = np.ascontiguousarray(array)
        code = _abi.TYPE_NAMES.index(array.dtype.name)
        assert _abi.kastore_put(ctypes.byref(store), raw, len(raw), array.ctypes.data, array.size, code, 0) == 0
    assert _abi.kastore_close(ctypes.byref(store)) == 0


def ours_read(store):
    """{str: array} of an open reader, walked with swkas_item / swkas_get_at."""
    result = {}
    for index in range(store.num_items):
        key, key_len = ctypes.c_void_p(), ctypes.c_size_t()
        type_code, length = ctypes.c_int(), ctypes.c_size_t()
        assert _abi.swkas_item(ctypes.byref(store), index, ctypes.byref(key), ctypes.byref(key_len),
                               ctypes.byref(type_code), ctypes.byref(length)) == 0
        array = ctypes.c_void_p()
        assert _abi.swkas_get_at(ctypes.byref(store), index, ctypes.byref(array), ctypes.byref(length),
                                 ctypes.byref(type_code)) == 0
        dtype = DTYPES[type_code.value]
        raw = ctypes.string_at(array, length.value * dtype.itemsize)
        result[ctypes.string_at(key, key_len.value).decode("utf-8")] = np.frombuffer(raw, dtype=dtype)
    return result


def ours_load_bytes(data):
    store = _abi.kastore_t()
    buffer = ctypes.create_string_buffer(data, len(data))
    status = _abi.swkas_open_buffer(ctypes.byref(store), buffer, len(data), 0)
    assert status == 0, _abi.strerror(status)
    try:
        return ours_read(store)
    finally:
        _abi.kastore_close(ctypes.byref(store))


def ours_load_file(path, opener, flags):
    store = _abi.kastore_t()
    if opener == "mmap":
        status = _abi.swkas_open_mmap(ctypes.byref(store), os.fsencode(path), flags)
    else:
        status = _abi.kastore_open(ctypes.byref(store), os.fsencode(path), b"r", flags)
    assert status == 0, _abi.strerror(status)
    try:
        return ours_read(store)
    finally:
        assert _abi.kastore_close(ctypes.byref(store)) == 0


def assert_same(expected, actual):
    assert list(expected.keys()) == list(actual.keys())
    for key in expected:
        a, b = np.asarray(expected[key]), np.asarray(actual[key])
        assert a.dtype == b.dtype, key
        assert a.tobytes() == b.tobytes(), key


# Keys: a small alphabet (so prefixes are shared) mixed with arbitrary text.
key_text = st.one_of(
    st.text(alphabet="abAZ_é€😀/", min_size=1, max_size=6),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
)


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    length = draw(st.integers(0, 24))
    raw = draw(st.binary(min_size=length * dtype.itemsize, max_size=length * dtype.itemsize))
    return np.frombuffer(raw, dtype=dtype).copy()


stores = st.dictionaries(key_text, arrays(), max_size=12)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(stores)
def test_encode_matches_reference_and_reads_back(data):
    reference = kastore.dumps(data)
    with tempfile.TemporaryDirectory() as tmp:
        c_path = os.path.join(tmp, "c.kas")
        kastore.dump(data, c_path, engine="c")
        with open(c_path, "rb") as f:
            assert f.read() == reference
        ours = ours_encode(data)
        assert ours == reference
        ours_path = os.path.join(tmp, "ours.kas")
        ours_write_file(data, ours_path)
        with open(ours_path, "rb") as f:
            assert f.read() == reference
        # Ours reads the reference's files, every way it can.
        expected = {k: data[k] for k in sorted(data, key=lambda k: k.encode("utf-8"))}
        assert_same(expected, ours_load_bytes(reference))
        for opener, flags in (("open", 0), ("open", _abi.KAS_READ_ALL), ("mmap", 0)):
            assert_same(expected, ours_load_file(c_path, opener, flags))
        # The reference reads ours, with both engines.
        assert_same(expected, dict(kastore.loads(ours)))
        for engine in ("python", "c"):
            assert_same(expected, dict(kastore.load(ours_path, engine=engine)))


def test_zero_keys():
    assert ours_encode({}) == kastore.dumps({})
    assert ours_load_bytes(kastore.dumps({})) == {}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_every_type_extremes(dtype):
    if dtype.kind == "f":
        values = np.array([0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).max, np.finfo(dtype).tiny], dtype=dtype)
    else:
        info = np.iinfo(dtype)
        values = np.array([info.min, info.max, 0, 1], dtype=dtype)
    data = {"x": values, "y": np.zeros(0, dtype=dtype)}
    assert ours_encode(data) == kastore.dumps(data)
    assert_same(data, ours_load_bytes(kastore.dumps(data)))


def test_many_keys_with_shared_prefixes():
    data = {"k" * (i % 7 + 1) + str(i): np.arange(i % 5, dtype=np.int32) for i in range(5000)}
    assert ours_encode(data) == kastore.dumps(data)
