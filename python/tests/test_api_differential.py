"""Differential tests of the swkas Python API (load, loads, dump, dumps, Store)
against the reference kastore 0.3.6 package, on hypothesis-generated stores.

Ours must write the same bytes as the reference (both engines), read the
reference's bytes back unchanged, and present the same mapping (key order,
len, info) as the reference's Store.
"""
import io
import os
import tempfile

import hypothesis
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import kastore
import numpy as np
import pytest

import swkas

DTYPE_NAMES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64")
DTYPES = [np.dtype(name) for name in DTYPE_NAMES]

SETTINGS = hypothesis.settings(
    max_examples=150, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
FEW = hypothesis.settings(
    max_examples=40, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))

# Keys: any encodable text (NUL and non-ASCII included), plus keys built from a
# few shared prefixes so that prefix ordering ("a" < "ab" < "b") is exercised.
PREFIXES = ["", "a", "ab", "é", "z", "Z", "\u00ff", "\u4e2d", "\U0001f600", "a\x00"]
any_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12)
prefixed = st.builds(lambda p, s: p + s, st.sampled_from(PREFIXES),
                     st.text(alphabet="ab\x00é\U0001f600Zz", min_size=0, max_size=3))
keys = st.one_of(any_text, prefixed).filter(lambda k: len(k) > 0)


@st.composite
def arrays(draw, dtypes=st.sampled_from(DTYPES)):
    dtype = draw(dtypes)
    length = draw(st.one_of(st.just(0), st.integers(0, 40)))
    return draw(hnp.arrays(dtype, length))


stores = st.dictionaries(keys, arrays(), min_size=0, max_size=12)


def same_array(actual, expected):
    """Equal dtype, shape and bytes (NaN payloads and -0.0 included)."""
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(expected.dtype).newbyteorder("=")
    assert actual.shape == expected.shape
    assert actual.tobytes() == np.ascontiguousarray(expected, dtype=actual.dtype).tobytes()


def same_mapping(actual, data):
    assert sorted(actual.keys()) == sorted(data.keys())
    for key, value in data.items():
        same_array(actual[key], np.asarray(value))


def canonical(data):
    """The reference's view of a dict: arrays in native little-endian form."""
    return {key: np.asarray(value).astype(np.asarray(value).dtype.newbyteorder("<")) for key, value in data.items()}


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as directory:
        yield directory


@SETTINGS
@hypothesis.given(data=stores)
def test_dumps_equals_reference(data):
    expected = kastore.dumps(data)
    assert swkas.dumps(data) == expected
    assert swkas.dumps(data, engine="c") == expected
    # Insertion order does not matter.
    assert swkas.dumps(dict(reversed(list(data.items())))) == expected


@SETTINGS
@hypothesis.given(data=stores)
def test_dump_path_equals_reference_c_engine(workdir, data):
    ours, ref = os.path.join(workdir, "ours.kas"), os.path.join(workdir, "ref.kas")
    kastore.dump(data, ref, engine="c")
    with open(ref, "rb") as f:
        expected = f.read()
    assert expected == kastore.dumps(data)
    for engine in ("python", "c"):
        swkas.dump(data, ours, engine=engine)
        with open(ours, "rb") as f:
            assert f.read() == expected, engine


@SETTINGS
@hypothesis.given(data=stores)
def test_ours_reads_reference_bytes(workdir, data):
    raw = kastore.dumps(data)
    path = os.path.join(workdir, "ref_written.kas")
    with open(path, "wb") as f:
        f.write(raw)
    with swkas.loads(raw) as store:
        same_mapping(store, data)
    for read_all in (False, True):
        with swkas.load(path, read_all=read_all) as store:
            same_mapping(store, data)
        with swkas.load(io.BytesIO(raw), read_all=read_all) as store:
            same_mapping(store, data)
    loaded = swkas.load(path, engine="c")
    assert type(loaded) is dict
    same_mapping(loaded, data)


@SETTINGS
@hypothesis.given(data=stores)
def test_reference_reads_our_bytes(workdir, data):
    path = os.path.join(workdir, "ours_written.kas")
    swkas.dump(data, path)
    for read_all in (False, True):
        store = kastore.load(path, read_all=read_all, engine="python")
        same_mapping(store, data)
        store.close()
    same_mapping(kastore.load(path, engine="c"), data)
    same_mapping(kastore.loads(swkas.dumps(data)), data)


@SETTINGS
@hypothesis.given(data=stores)
def test_mapping_interface_matches_reference(data):
    raw = kastore.dumps(data)
    ref = kastore.loads(raw)
    ours = swkas.loads(raw)
    assert list(ours) == list(ref)
    assert list(ours.keys()) == list(ref.keys())
    assert list(ours.keys()) == sorted(data.keys())  # code-point order == UTF-8 byte order
    assert len(ours) == len(ref) == len(data)
    assert [key for key, _ in ours.items()] == [key for key, _ in ref.items()]
    for (key, value), (ref_key, ref_value) in zip(ours.items(), ref.items()):
        assert key == ref_key
        same_array(value, ref_value)
    for key in data:
        assert key in ours
        mine, theirs = ours.info(key), ref.info(key)
        assert isinstance(mine.dtype, str)
        assert (mine.dtype, tuple(mine.shape), mine.size) == (theirs.dtype, tuple(theirs.shape), theirs.size)
        assert mine.shape == (len(data[key]),)
    for missing in ("\x01missing", "not a key" * 3):
        if missing not in data:
            assert missing not in ours
            with pytest.raises(KeyError):
                ours[missing]
            with pytest.raises(KeyError):
                ref[missing]
    ref.close()
    ours.close()


@FEW
@hypothesis.given(data=stores)
def test_c_engine_returns_writable_copies(workdir, data):
    path = os.path.join(workdir, "c_engine.kas")
    swkas.dump(data, path)
    before = open(path, "rb").read()
    for read_all in (False, True):
        loaded = swkas.load(path, read_all=read_all, engine="c")
        reference = kastore.load(path, read_all=read_all, engine="c")
        assert type(loaded) is dict and type(reference) is dict
        assert list(loaded.keys()) == list(reference.keys())
        same_mapping(loaded, data)
        for key, value in loaded.items():
            assert isinstance(value, np.ndarray)
            assert value.flags.writeable
            assert value.flags.c_contiguous
            assert value.dtype == reference[key].dtype
            if value.size:
                value[0] = value[-1]
    assert open(path, "rb").read() == before  # the copies are not views of the file
    with swkas.load(path) as store:
        same_mapping(store, data)


@FEW
@hypothesis.given(data=stores)
def test_load_of_dict_store_roundtrip(data):
    """A Store is a Mapping: dumping it writes the same bytes."""
    raw = swkas.dumps(data)
    with swkas.loads(raw) as store:
        assert swkas.dumps(store) == raw
        assert swkas.dumps(dict(store)) == raw


def test_zero_keys():
    expected = bytes.fromhex("894b41530d0a1a0a0100000000000000" "4000000000000000") + bytes(40)
    assert kastore.dumps({}) == expected
    assert swkas.dumps({}) == expected
    assert swkas.dumps({}, engine="c") == expected
    with swkas.loads(expected) as store:
        assert len(store) == 0 and list(store) == []
    buffer = io.BytesIO()
    swkas.dump({}, buffer)
    assert buffer.getvalue() == expected


def test_worked_example_sha256():
    import hashlib
    data = {"b": np.zeros(0, np.float32), "ab": np.array([7], np.uint8), "a": np.array([-1, 2], np.int32)}
    raw = swkas.dumps(data)
    assert len(raw) == 280
    assert hashlib.sha256(raw).hexdigest() == "8f32796ba98c0fffc8cd832d465f8fbb15ba811eed261e7b3644d1906d9f2671"


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_NAMES)
def test_every_dtype_extremes(dtype):
    if dtype.kind == "f":
        info = np.finfo(dtype)
        values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, info.max, info.min, info.tiny, info.smallest_subnormal],
                          dtype=dtype)
    else:
        info = np.iinfo(dtype)
        values = np.array([info.min, info.max, 0, 1], dtype=dtype)
    data = {"x": values, "empty": np.zeros(0, dtype)}
    raw = kastore.dumps(data)
    assert swkas.dumps(data) == raw
    with swkas.loads(raw) as store:
        same_mapping(store, data)
        assert store["x"].dtype == dtype
        assert store["empty"].dtype == dtype


# --- non-native byte order, longlong and lists -------------------------------------------------------------------

NON_NATIVE = [np.dtype(">" + code) for code in ("i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8")]


@SETTINGS
@hypothesis.given(data=st.dictionaries(keys, arrays(st.sampled_from(NON_NATIVE + DTYPES)), max_size=6))
def test_non_native_byte_order_stored_as_little_endian_values(data):
    expected = kastore.dumps(canonical(data))
    assert swkas.dumps(data) == expected
    assert swkas.dumps(data, engine="c") == expected
    with swkas.loads(expected) as store:
        for key, value in data.items():
            np.testing.assert_array_equal(store[key], value)


@pytest.mark.parametrize("engine", ["python", "c"])
def test_big_endian_concrete_values(tmp_path, engine):
    data = {"i": np.array([1, 2], ">i4"), "f": np.array([1.5, -2.25], ">f8")}
    path = tmp_path / "be.kas"
    swkas.dump(data, str(path), engine=engine)
    with swkas.load(str(path)) as store:
        assert store["i"].dtype == np.dtype("<i4")
        assert store["i"].tolist() == [1, 2]
        assert store["f"].dtype == np.dtype("<f8")
        assert store["f"].tolist() == [1.5, -2.25]
    ref = kastore.load(str(path))
    assert ref["i"].tolist() == [1, 2]  # not [16777216, 33554432] as the reference C engine writes
    assert ref["f"].tolist() == [1.5, -2.25]
    assert path.read_bytes() == kastore.dumps({"i": np.array([1, 2], "<i4"), "f": np.array([1.5, -2.25], "<f8")})


@pytest.mark.parametrize("engine", ["python", "c"])
@pytest.mark.parametrize("ctype,name", [
    (np.longlong, "int64"), (np.ulonglong, "uint64"), (np.intc, "int32"), (np.uintc, "uint32"),
    (np.short, "int16"), (np.ushort, "uint16"), (np.byte, "int8"), (np.ubyte, "uint8"),
    (np.single, "float32"), (np.double, "float64"), (np.intp, "int64"), (np.uintp, "uint64"),
])
def test_platform_types_accepted(tmp_path, ctype, name, engine):
    values = np.array([1, 2, 3], dtype=ctype)
    expected = kastore.dumps({"a": values.astype(name)})
    path = tmp_path / "x.kas"
    swkas.dump({"a": values}, str(path), engine=engine)
    assert path.read_bytes() == expected
    assert swkas.dumps({"a": values}, engine=engine) == expected
    with swkas.load(str(path)) as store:
        assert store["a"].dtype == np.dtype(name)


@pytest.mark.parametrize("value,dtype", [
    ([1, 2], "int64"), ([], "float64"), ((), "float64"), ([1.5, 2], "float64"), ((3, 4), "int64"),
    (range(4), "int64"), ([2 ** 63], "uint64"), ([-1, 2 ** 62], "int64"), (np.arange(3, dtype=np.uint16), "uint16"),
])
def test_lists_convert_as_numpy_does(value, dtype):
    assert np.array(value).dtype == np.dtype(dtype)
    expected = kastore.dumps({"k": np.array(value)})
    assert swkas.dumps({"k": value}) == expected
    assert swkas.dumps({"k": value}, engine="c") == expected
    assert kastore.dumps({"k": value}) == expected
    with swkas.loads(expected) as store:
        assert store["k"].dtype == np.dtype(dtype)
        assert store["k"].tolist() == list(value)


def test_non_contiguous_input():
    base = np.arange(20, dtype=np.int32)
    data = {"strided": base[::3], "reversed": base[::-1]}
    expected = kastore.dumps({key: np.ascontiguousarray(value) for key, value in data.items()})
    assert swkas.dumps(data) == expected
    assert swkas.dumps(data, engine="c") == expected


def test_key_order_examples():
    data = {key: np.array([index], np.int8) for index, key in enumerate(["b", "a", "ab", "Z", "é", "z", "a\x00", "\U0001f600"])}
    raw = swkas.dumps(data)
    assert raw == kastore.dumps(data)
    with swkas.loads(raw) as store:
        assert list(store) == ["Z", "a", "a\x00", "ab", "b", "z", "é", "\U0001f600"]


def test_more_than_65535_keys():
    """The reference python writer packs num_items as u16; ours does not (spec section 5)."""
    data = {"k%06d" % index: np.zeros(0, np.int8) for index in range(70000)}
    raw = swkas.dumps(data)
    with swkas.loads(raw) as store:
        assert len(store) == 70000
        assert list(store)[-1] == "k069999"
    assert len(kastore.loads(raw)) == 70000


def test_key_encoding_argument():
    data = {"é": np.array([1], np.int8)}
    raw = swkas.dumps(data, key_encoding="latin-1")
    assert raw == kastore.dumps(data, key_encoding="latin-1")
    with swkas.loads(raw, key_encoding="latin-1") as store:
        assert list(store) == ["é"]
    ref = kastore.loads(raw, key_encoding="latin-1")
    assert list(ref) == ["é"]


def test_loads_accepts_bytearray_and_memoryview():
    data = {"a": np.arange(5, dtype=np.float32)}
    raw = swkas.dumps(data)
    for buffer in (bytearray(raw), memoryview(raw)):
        with swkas.loads(buffer) as store:
            same_mapping(store, data)


def test_module_names_match_reference():
    assert (swkas.PY_ENGINE, swkas.C_ENGINE, swkas.DEFAULT_KEY_ENCODING) == (
        kastore.PY_ENGINE, kastore.C_ENGINE, kastore.DEFAULT_KEY_ENCODING) == ("python", "c", "utf-8")
    assert isinstance(swkas.__version__, str) and swkas.__version__
    for name in ("load", "loads", "dump", "dumps", "get_include", "KastoreException", "FileFormatError",
                 "VersionTooOldError", "VersionTooNewError", "StoreClosedError"):
        assert hasattr(swkas, name), name
        assert hasattr(kastore, name), name


def test_c_engine_load_ignores_key_encoding(tmp_path):
    """Spec 4.1: engine="c" decodes keys as UTF-8 whatever key_encoding says (as the reference)."""
    path = str(tmp_path / "utf8.kas")
    swkas.dump({"é": np.arange(2), "a": np.zeros(1)}, path)
    expected = list(kastore.load(path, engine="c", key_encoding="latin-1").keys())
    assert expected == ["a", "é"]
    assert list(swkas.load(path, engine="c", key_encoding="latin-1").keys()) == expected
    # The python engine honours it, in both packages.
    assert list(swkas.load(path, key_encoding="latin-1")) == list(kastore.load(path, key_encoding="latin-1")) == [
        "a", "Ã©"]


def test_c_engine_dump_ignores_key_encoding(tmp_path):
    """The reference's C engine always writes UTF-8 keys."""
    data = {"é": np.arange(2)}
    ours, ref = str(tmp_path / "ours.kas"), str(tmp_path / "ref.kas")
    kastore.dump(data, ref, engine="c", key_encoding="latin-1")
    swkas.dump(data, ours, engine="c", key_encoding="latin-1")
    assert open(ours, "rb").read() == open(ref, "rb").read() == kastore.dumps(data)
