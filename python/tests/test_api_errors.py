"""Error behaviour of the swkas Python API, compared with the reference kastore
0.3.6 package: malformed files (test-data/kastore/malformed), dump input
rules (spec section 4.4), the engine and file arguments, closed stores and EOF.
"""
import errno
import io
import json
import os
import pathlib

import kastore
import numpy as np
import pytest

import swkas

ROOT = pathlib.Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "test-data" / "kastore" / "malformed"
MANIFEST = json.loads((MALFORMED / "manifest.json").read_text())
BY_FILE = {entry["file"]: entry for entry in MANIFEST}

KASTORE_ERRORS = ("EOFError", "FileFormatError", "VersionTooOldError", "VersionTooNewError")
CODE_TO_CLASS = {
    -14: {"EOFError"},
    -6: {"VersionTooOldError"},
    -7: {"VersionTooNewError"},
    -8: {"FileFormatError"},
    -5: {"FileFormatError"},
    -4: {"FileFormatError", "MemoryError"},  # huge allocations: ours checks first (spec section 5)
    -2: {"FileFormatError", "MemoryError"},  # only next to a -4 (s22_file_size_2pow63_plus8)
}


def is_policy_file(name):
    """Files where spec sections 2.3/4.3 make ours reject what the reference accepts:
    unsorted or duplicate keys (r13_*) and zero-length keys (r10b_*)."""
    return name.startswith("r13_") or name.startswith("r10b_")


def involves_huge_allocation(entry):
    codes = []
    for mode in ("lazy", "read_all"):
        codes.append(entry["expected"][mode]["open"])
        codes.extend(entry["expected"][mode]["gets"])
    return -4 in codes


def outcome(module, path, read_all, how="path"):
    """('ok', {key: bytes}) or ('open'|'get', exception class name): loads, then
    forces the lazy access of every key."""
    try:
        if how == "path":
            store = module.load(str(path), read_all=read_all)
        else:
            store = module.load(io.BytesIO(pathlib.Path(path).read_bytes()), read_all=read_all)
    except Exception as error:  # noqa: BLE001 (any class is a result here)
        return "open", type(error).__name__
    try:
        data = {}
        for key in list(store.keys()):
            try:
                array = store[key]
            except Exception as error:  # noqa: BLE001
                return "get", type(error).__name__
            data[key] = (array.dtype.str, array.tobytes())
        assert len(store) == len(data)
        return "ok", data
    finally:
        store.close()


def expected_classes(entry, mode):
    expected = entry["expected"][mode]
    if involves_huge_allocation(entry):
        return CODE_TO_CLASS[-4]
    if expected["open"] != 0:
        return CODE_TO_CLASS[expected["open"]]
    failing = [code for code in expected["gets"] if code != 0]
    if failing:
        return CODE_TO_CLASS[failing[0]]
    return None


CASES = [pytest.param(entry["file"], mode, how, id="%s-%s-%s" % (entry["file"][:-4], mode, how))
         for entry in MANIFEST for mode in ("lazy", "read_all") for how in ("path", "bytesio")]


@pytest.mark.parametrize("name,mode,how", CASES)
def test_malformed_file_load_matches_reference(name, mode, how):
    """Load a path or a BytesIO (lazy or read_all) and read every key: ours raises the class
    the manifest's expected code maps to, and the class the reference's python engine raises
    on the same object wherever that is one of the contractual classes."""
    entry = BY_FILE[name]
    path = MALFORMED / name
    read_all = mode == "read_all"
    stage, ours = outcome(swkas, path, read_all, how)
    ref_stage, ref = outcome(kastore, path, read_all, how)
    allowed = expected_classes(entry, mode)
    if allowed is None:
        assert stage == "ok", "ours raised %s at %s; the file is readable (%s)" % (ours, stage, entry["description"])
        assert ref_stage == "ok"
        assert ours == ref  # same keys, dtypes and bytes as the reference's python engine
        return
    assert stage != "ok", "ours accepted it: %s" % entry["description"]
    assert ours in allowed, "ours raised %s, expected one of %s (%s)" % (ours, sorted(allowed), entry["description"])
    if is_policy_file(name):
        assert ours == "FileFormatError"
    elif ref_stage != "ok" and ref in KASTORE_ERRORS and not involves_huge_allocation(entry):
        # Where the reference's python engine raises one of the contractual classes, ours raises the same one.
        assert ours == ref, "reference raised %s, ours %s" % (ref, ours)
    # Exceptions of ours are ours, not the reference's.
    if ours not in ("EOFError", "MemoryError"):
        assert ours in dir(swkas)


@pytest.mark.parametrize("name", [entry["file"] for entry in MANIFEST if involves_huge_allocation(entry)])
def test_huge_allocation_files_fail_consistently(name):
    lazy = outcome(swkas, MALFORMED / name, False)
    read_all = outcome(swkas, MALFORMED / name, True)
    assert lazy[0] != "ok" and read_all[0] != "ok"
    assert lazy[1] == read_all[1]
    assert lazy[1] in ("FileFormatError", "MemoryError")


@pytest.mark.parametrize("name", sorted(name for name in BY_FILE if is_policy_file(name)))
def test_policy_files_rejected_by_every_entry_point(name):
    raw = (MALFORMED / name).read_bytes()
    with pytest.raises(swkas.FileFormatError):
        swkas.loads(raw)
    for read_all in (False, True):
        with pytest.raises(swkas.FileFormatError):
            swkas.load(str(MALFORMED / name), read_all=read_all)
        with pytest.raises(swkas.FileFormatError):
            swkas.load(io.BytesIO(raw), read_all=read_all)
        with open(MALFORMED / name, "rb") as f:
            with pytest.raises(swkas.FileFormatError):
                swkas.load(f, read_all=read_all)
    with pytest.raises(swkas.FileFormatError):
        swkas.load(str(MALFORMED / name), engine="c")


TRUNCATED_LAZY = [entry["file"] for entry in MANIFEST
                  if entry["file"].startswith("s22_") and not involves_huge_allocation(entry)]


@pytest.mark.parametrize("name", TRUNCATED_LAZY)
@pytest.mark.parametrize("how", ["path", "fd", "file", "bytesio"])
def test_lazy_load_of_truncated_file_serves_intact_arrays(name, how):
    """Spec 2.2 / 4.2: a lazy open reads only the header, descriptors and keys, so a
    truncated file opens; only the arrays past EOF fail (as with the reference)."""
    path = MALFORMED / name
    expected = BY_FILE[name]["expected"]["lazy"]
    assert expected["open"] == 0
    ref = kastore.load(str(path))
    opened = []
    if how == "path":
        store = swkas.load(str(path))
    elif how == "bytesio":
        ref = kastore.load(io.BytesIO(path.read_bytes()))
        store = swkas.load(io.BytesIO(path.read_bytes()))
    elif how == "fd":
        fd = os.open(path, os.O_RDONLY)
        opened.append(lambda: os.close(fd))
        store = swkas.load(fd)
    else:
        f = open(path, "rb")
        opened.append(f.close)
        store = swkas.load(f)
    try:
        assert list(store) == list(ref)
        for key, code in zip(list(ref), expected["gets"]):
            if code == 0:
                np.testing.assert_array_equal(store[key], ref[key])
                assert store[key].dtype == ref[key].dtype
            else:
                with pytest.raises(kastore.FileFormatError):
                    ref[key]
                with pytest.raises(swkas.FileFormatError):
                    store[key]
    finally:
        store.close()
        for close in opened:
            close()


@pytest.mark.parametrize("name", [entry["file"] for entry in MANIFEST])
def test_malformed_bytes_entry_points_agree(name):
    """loads, a file object and an fd (all read_all) raise what a read_all path load raises."""
    entry = BY_FILE[name]
    raw = (MALFORMED / name).read_bytes()
    allowed = expected_classes(entry, "read_all")

    def attempt(function):
        try:
            result = function()
        except Exception as error:  # noqa: BLE001
            return type(error).__name__
        if isinstance(result, swkas.Store):
            result = {key: result[key].tobytes() for key in result}
        return "ok"

    results = {"loads": attempt(lambda: swkas.loads(raw))}
    with open(MALFORMED / name, "rb") as f:
        results["file"] = attempt(lambda: swkas.load(f, read_all=True))
    fd = os.open(MALFORMED / name, os.O_RDONLY)
    try:
        results["fd"] = attempt(lambda: swkas.load(fd, read_all=True))
    finally:
        os.close(fd)
    for how, result in results.items():
        if allowed is None:
            assert result == "ok", (how, result)
        else:
            assert result in allowed, (how, result, sorted(allowed))


def test_ours_exceptions_hierarchy():
    for name in ("FileFormatError", "VersionTooOldError", "VersionTooNewError", "StoreClosedError"):
        cls = getattr(swkas, name)
        assert issubclass(cls, swkas.KastoreException)
        assert issubclass(cls, Exception)
        assert getattr(swkas.exceptions, name) is cls
    assert swkas.exceptions.KastoreException is swkas.KastoreException


# --- dump input rules (spec 4.4) --------------------------------------------------------------------------------

BAD_DATA = {
    "list_of_pairs": ([("a", [1])], TypeError),
    "none": (None, TypeError),
    "int": (3, TypeError),
    "str": ("abc", TypeError),
    "set": ({"a"}, TypeError),
}
BAD_KEYS = {"bytes": b"a", "int": 1, "tuple": ("a",), "none": None, "float": 1.5}
NOT_1D = {
    "scalar": 1, "float_scalar": 1.5, "2d": np.zeros((2, 2)), "2d_empty": np.zeros((0, 2)), "str": "abc",
    "none": None, "object": object(), "ragged": [[1], [1, 2]], "3d": np.zeros((1, 1, 1), np.int8),
    "0d_array": np.array(5, np.int32),
}
BAD_DTYPES = {
    "bool": np.array([True, False]), "float16": np.zeros(2, np.float16), "complex64": np.zeros(2, np.complex64),
    "complex128": np.zeros(2, np.complex128), "unicode": np.array(["x", "y"]), "bytes": np.array([b"x"]),
    "object": np.array([1, "x"], dtype=object), "datetime": np.array([1], "M8[s]"),
    "timedelta": np.array([1], "m8[s]"), "longdouble": np.zeros(2, np.longdouble), "bool_list": [True, False],
}


def attempt_dump(module, data, how, engine, tmp_path):
    try:
        if how == "dumps":
            module.dumps(data)
        elif how == "bytesio":
            module.dump(data, io.BytesIO(), engine=engine)
        else:
            module.dump(data, str(tmp_path / ("%s.kas" % module.__name__)), engine=engine)
    except Exception as error:  # noqa: BLE001
        return type(error)
    return None


@pytest.mark.parametrize("how", ["dumps", "bytesio", "path"])
@pytest.mark.parametrize("name", list(BAD_DATA))
def test_dump_non_mapping_is_type_error(tmp_path, name, how):
    data, cls = BAD_DATA[name]
    assert attempt_dump(kastore, data, how, "python", tmp_path) is cls
    assert attempt_dump(swkas, data, how, "python", tmp_path) is cls
    if how != "dumps":
        assert attempt_dump(swkas, data, how, "c", tmp_path) is cls


@pytest.mark.parametrize("how", ["dumps", "bytesio", "path"])
@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_dump_non_str_key_is_type_error(tmp_path, name, how):
    data = {"ok": np.zeros(1), BAD_KEYS[name]: np.zeros(2)}
    assert attempt_dump(kastore, data, how, "python", tmp_path) is TypeError
    assert attempt_dump(swkas, data, how, "python", tmp_path) is TypeError
    if how != "dumps":
        assert attempt_dump(swkas, data, how, "c", tmp_path) is TypeError
    if how == "path":
        assert attempt_dump(kastore, data, how, "c", tmp_path) is TypeError


@pytest.mark.parametrize("how", ["dumps", "bytesio", "path"])
def test_dump_empty_key_is_value_error(tmp_path, how):
    data = {"a": [1], "": [2]}
    assert attempt_dump(kastore, data, how, "python", tmp_path) is ValueError
    assert attempt_dump(swkas, data, how, "python", tmp_path) is ValueError
    if how != "dumps":
        assert attempt_dump(swkas, data, how, "c", tmp_path) is ValueError
    if how == "path":
        assert attempt_dump(kastore, data, how, "c", tmp_path) is ValueError


@pytest.mark.parametrize("how", ["dumps", "bytesio", "path"])
@pytest.mark.parametrize("name", list(NOT_1D))
def test_dump_not_1d_is_value_error(tmp_path, name, how):
    data = {"a": np.zeros(3), "b": NOT_1D[name]}
    assert attempt_dump(kastore, data, how, "python", tmp_path) is ValueError
    assert attempt_dump(swkas, data, how, "python", tmp_path) is ValueError
    if how != "dumps":
        assert attempt_dump(swkas, data, how, "c", tmp_path) is ValueError
    if how == "path":
        assert attempt_dump(kastore, data, how, "c", tmp_path) is ValueError


@pytest.mark.parametrize("how", ["dumps", "bytesio", "path"])
@pytest.mark.parametrize("name", list(BAD_DTYPES))
def test_dump_unsupported_dtype(tmp_path, name, how):
    data = {"a": np.zeros(3), "b": BAD_DTYPES[name]}
    assert attempt_dump(kastore, data, how, "python", tmp_path) is KeyError
    assert attempt_dump(swkas, data, how, "python", tmp_path) is KeyError
    if how != "dumps":
        assert attempt_dump(swkas, data, how, "c", tmp_path) is ValueError
    if how == "path":
        assert attempt_dump(kastore, data, how, "c", tmp_path) is ValueError


@pytest.mark.parametrize("name", [name for name in BAD_DTYPES if name != "bool_list"])
def test_dump_unsupported_dtype_key_error_names_the_dtype(name):
    value = BAD_DTYPES[name]
    with pytest.raises(KeyError) as ours:
        swkas.dumps({"a": value})
    with pytest.raises(KeyError) as ref:
        kastore.dumps({"a": value})
    assert ours.value.args == ref.value.args
    with pytest.raises(ValueError, match="Unsupported dtype"):
        swkas.dump({"a": value}, io.BytesIO(), engine="c")


def test_dump_to_bytesio_writes_nothing_on_invalid_data():
    buffer = io.BytesIO(b"prefix")
    buffer.seek(0, io.SEEK_END)
    with pytest.raises(ValueError):
        swkas.dump({"a": np.zeros(3), "b": np.zeros((2, 2))}, buffer)
    assert buffer.getvalue() == b"prefix"


# --- engine argument -----------------------------------------------------------------------------------------------

BAD_ENGINES = [None, {}, b"python", b"c", "C", "Python", " python", "py", "", 0, 1, ["c"]]


@pytest.mark.parametrize("engine", BAD_ENGINES, ids=repr)
def test_bad_engine_is_value_error(tmp_path, engine):
    good = tmp_path / "good.kas"
    swkas.dump({"a": [1]}, str(good))
    before = good.read_bytes()
    for module in (kastore, swkas):
        with pytest.raises(ValueError):
            module.load(str(good), engine=engine)
        with pytest.raises(ValueError):
            module.load(str(tmp_path / "missing.kas"), engine=engine)  # checked before the file
        with pytest.raises(ValueError):
            module.dump({"a": [1]}, str(tmp_path / "new.kas"), engine=engine)
        with pytest.raises(ValueError):
            module.dump({"a": [1]}, str(good), engine=engine)
        with pytest.raises(ValueError):
            module.load(io.BytesIO(before), engine=engine)
    assert good.read_bytes() == before
    assert not (tmp_path / "new.kas").exists()


# --- file argument rules ----------------------------------------------------------------------------------------


class ReadOnly:
    def __init__(self, data=b""):
        self._buffer = io.BytesIO(data)

    def read(self, *args):
        return self._buffer.read(*args)


NO_WRITE = {"object": object(), "reader": ReadOnly(), "float": 3.5, "none": None, "list": [], "dict": {}}


@pytest.mark.parametrize("name", list(NO_WRITE))
def test_file_without_write_attribute_is_type_error(name):
    target = NO_WRITE[name]
    for module in (kastore, swkas):
        with pytest.raises(TypeError):
            module.load(target)
        with pytest.raises(TypeError):
            module.load(target, read_all=True)
        with pytest.raises(TypeError):
            module.dump({"a": [1]}, target)
    with pytest.raises(TypeError):
        swkas.load(ReadOnly(swkas.dumps({"a": [1]})), read_all=True)


@pytest.mark.parametrize("fd", [-1, -2, -(2 ** 31)])
def test_negative_fd_is_value_error(fd):
    for module in (kastore, swkas):
        with pytest.raises(ValueError, match="negative file descriptor"):
            module.load(fd)
        with pytest.raises(ValueError, match="negative file descriptor"):
            module.load(fd, read_all=True)
        with pytest.raises(ValueError, match="negative file descriptor"):
            module.dump({"a": [1]}, fd)
    for engine in ("python", "c"):
        with pytest.raises(ValueError):
            swkas.load(fd, engine=engine)
        with pytest.raises(ValueError):
            swkas.dump({"a": [1]}, fd, engine=engine)


def test_bad_fd_is_oserror():
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.close(write_end)
    with pytest.raises(OSError) as info:
        swkas.load(read_end, read_all=True)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        swkas.dump({"a": [1]}, write_end)
    assert info.value.errno == errno.EBADF


@pytest.mark.parametrize("kind", ["str", "bytes", "pathlib"])
@pytest.mark.parametrize("engine", ["python", "c"])
def test_missing_file_and_directory(tmp_path, kind, engine):
    convert = {"str": str, "bytes": lambda p: os.fsencode(str(p)), "pathlib": pathlib.Path}[kind]
    missing = convert(tmp_path / "missing.kas")
    in_missing_dir = convert(tmp_path / "no_such_dir" / "x.kas")
    directory = convert(tmp_path)
    for module in (kastore, swkas):
        for read_all in (False, True):
            with pytest.raises(FileNotFoundError) as info:
                module.load(missing, read_all=read_all, engine=engine)
            assert info.value.errno == errno.ENOENT
            with pytest.raises(IsADirectoryError) as info:
                module.load(directory, read_all=read_all, engine=engine)
            assert info.value.errno == errno.EISDIR
        with pytest.raises(FileNotFoundError) as info:
            module.dump({"a": [1]}, in_missing_dir, engine=engine)
        assert info.value.errno == errno.ENOENT
        with pytest.raises(IsADirectoryError) as info:
            module.dump({"a": [1]}, directory, engine=engine)
        assert info.value.errno == errno.EISDIR
    assert not os.path.exists(tmp_path / "missing.kas")


def test_missing_file_error_names_the_file(tmp_path):
    missing = str(tmp_path / "missing.kas")
    with pytest.raises(FileNotFoundError) as info:
        swkas.load(missing)
    assert info.value.filename == missing


def test_dump_path_errors_take_precedence_over_data_errors(tmp_path):
    """Spec 5: the path is probed first (same errors, same precedence), then the data."""
    bad_data = {"a": np.zeros((2, 2))}
    for module in (kastore, swkas):
        with pytest.raises(FileNotFoundError):
            module.dump(bad_data, str(tmp_path / "nodir" / "x.kas"))
        with pytest.raises(IsADirectoryError):
            module.dump(bad_data, str(tmp_path))
    with pytest.raises(ValueError):
        swkas.dump(bad_data, str(tmp_path / "new.kas"))
    assert not (tmp_path / "new.kas").exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied(tmp_path):
    path = tmp_path / "secret.kas"
    swkas.dump({"a": [1]}, str(path))
    path.chmod(0)
    with pytest.raises(PermissionError):
        swkas.load(str(path))
    with pytest.raises(PermissionError):
        swkas.dump({"a": [1]}, str(path))


# --- closed stores --------------------------------------------------------------------------------------------------


def open_store(how, tmp_path):
    raw = swkas.dumps({"a": np.arange(3), "b": np.zeros(0, np.int8)})
    path = tmp_path / "closed.kas"
    path.write_bytes(raw)
    if how == "loads":
        return swkas.loads(raw), None
    if how == "path_lazy":
        return swkas.load(str(path)), None
    if how == "path_read_all":
        return swkas.load(str(path), read_all=True), None
    if how == "bytesio":
        return swkas.load(io.BytesIO(raw)), None
    if how == "file":
        f = open(path, "rb")
        return swkas.load(f), f.close
    fd = os.open(path, os.O_RDONLY)
    return swkas.load(fd), lambda: os.close(fd)


@pytest.mark.parametrize("how", ["loads", "path_lazy", "path_read_all", "bytesio", "file", "fd"])
def test_store_closed_error(tmp_path, how):
    store, cleanup = open_store(how, tmp_path)
    try:
        assert store["a"].tolist() == [0, 1, 2]
        store.close()
        with pytest.raises(swkas.StoreClosedError):
            store["a"]
        with pytest.raises(swkas.StoreClosedError):
            store["b"]
        with pytest.raises(swkas.StoreClosedError):
            list(store)
        with pytest.raises(swkas.StoreClosedError):
            iter(store)
        with pytest.raises(swkas.StoreClosedError):
            len(store)
        with pytest.raises(swkas.StoreClosedError):
            store.info("a")
        with pytest.raises(swkas.StoreClosedError):
            list(store.items())
        store.close()  # a second close is harmless
    finally:
        if cleanup:
            cleanup()


def test_store_closed_by_context_manager_matches_reference():
    raw = swkas.dumps({"a": np.arange(3)})
    for module in (kastore, swkas):
        with module.loads(raw) as store:
            assert len(store) == 1
        with pytest.raises(module.StoreClosedError):
            store["a"]
        with pytest.raises(module.StoreClosedError):
            len(store)
        with pytest.raises(module.StoreClosedError):
            store.info("a")
        with pytest.raises(module.StoreClosedError):
            list(store)


def test_missing_key_is_key_error():
    raw = swkas.dumps({"a": np.arange(3)})
    for module in (kastore, swkas):
        store = module.loads(raw)
        with pytest.raises(KeyError):
            store["b"]
        with pytest.raises(KeyError):
            store.info("b")
        assert store.get("b") is None
        store.close()


# --- EOF ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["python", "c"])
@pytest.mark.parametrize("read_all", [False, True])
def test_eof_on_empty_file(tmp_path, engine, read_all):
    path = tmp_path / "empty.kas"
    path.write_bytes(b"")
    for module in (kastore, swkas):
        with pytest.raises(EOFError):
            module.load(str(path), read_all=read_all, engine=engine)
        with open(path, "rb") as f:
            with pytest.raises(EOFError):
                module.load(f, read_all=read_all, engine=engine)
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(EOFError):
            swkas.load(fd, read_all=read_all, engine=engine)
    finally:
        os.close(fd)
    with pytest.raises(EOFError):
        swkas.load("/dev/null", read_all=read_all, engine=engine)


@pytest.mark.parametrize("read_all", [False, True])
def test_eof_on_empty_bytesio(read_all):
    for module in (kastore, swkas):
        with pytest.raises(EOFError):
            module.load(io.BytesIO(), read_all=read_all)
        with pytest.raises(EOFError):
            module.loads(b"")


def test_eof_on_empty_pipe():
    for module in (kastore, swkas):
        read_end, write_end = os.pipe()
        os.close(write_end)
        try:
            with pytest.raises(EOFError):
                module.load(read_end, read_all=True)
        finally:
            os.close(read_end)
        read_end, write_end = os.pipe()
        os.close(write_end)
        with os.fdopen(read_end, "rb") as f:
            with pytest.raises(EOFError):
                module.load(f, read_all=True)
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end, "rb", buffering=0) as f:
        with pytest.raises(EOFError):
            swkas.load(f, read_all=True)
        with pytest.raises(EOFError):
            swkas.load(f, read_all=True, engine="c")


def test_short_header_in_pipe_is_format_error():
    read_end, write_end = os.pipe()
    os.write(write_end, swkas.dumps({})[:30])
    os.close(write_end)
    try:
        with pytest.raises(swkas.FileFormatError):
            swkas.load(read_end, read_all=True)
    finally:
        os.close(read_end)


def test_undecodable_key_is_unicode_decode_error():
    raw = swkas.dumps({"é": np.zeros(1)}, key_encoding="latin-1")
    for module in (kastore, swkas):
        with pytest.raises(UnicodeDecodeError):
            store = module.loads(raw)
            list(store)


# --- an inflated header file_size in a stream ------------------------------------------------------------------


def inflated(file_size):
    raw = bytearray(swkas.dumps({"a": np.arange(3), "b": np.zeros(2, np.int8)}))
    raw[16:24] = file_size.to_bytes(8, "little")
    return bytes(raw)


@pytest.mark.parametrize("file_size", [2 ** 40, 2 ** 63, 2 ** 64 - 1], ids=["2^40", "2^63", "2^64-1"])
@pytest.mark.parametrize("how", ["bytesio", "pipe_file", "pipe_file_unbuffered", "pipe_fd"])
@pytest.mark.parametrize("read_all", [False, True])
def test_inflated_file_size_in_stream_is_format_error(file_size, how, read_all):
    """The header's file_size contradicts the layout (spec 2.1 row 11): the reference raises
    FileFormatError before reading any array, so must ours; reading file_size bytes first
    would allocate (MemoryError) or wait for data that never comes."""
    raw = inflated(file_size)
    if how == "pipe_fd" and not read_all:
        pytest.skip("a lazy load needs tell()")
    for module in (kastore, swkas):
        if module is kastore and how == "pipe_fd":
            continue
        if how == "bytesio":
            source, cleanup = io.BytesIO(raw), None
        else:
            read_end, write_end = os.pipe()
            os.write(write_end, raw)
            os.close(write_end)
            if how == "pipe_fd":
                source, cleanup = read_end, lambda: os.close(read_end)
            else:
                source = os.fdopen(read_end, "rb", buffering=0 if how.endswith("unbuffered") else -1)
                cleanup = source.close
        try:
            if how.startswith("pipe") and not read_all:
                with pytest.raises((OSError, module.FileFormatError)):  # tell() on a pipe, or the layout
                    module.load(source, read_all=read_all)
            else:
                with pytest.raises(module.FileFormatError):
                    module.load(source, read_all=read_all)
        finally:
            if cleanup:
                cleanup()


def test_c_engine_dump_rejects_a_store(tmp_path):
    """Spec 4.4: engine "c" needs a dict (or subclass); a Store is a TypeError, as with the reference."""
    raw = swkas.dumps({"a": np.arange(3)})

    class Sub(dict):
        pass

    for module in (kastore, swkas):
        store = module.loads(raw)
        path = str(tmp_path / ("%s.kas" % module.__name__))
        module.dump(store, path)  # the python engine takes any Mapping
        with pytest.raises(TypeError):
            module.dump(store, path, engine="c")
        module.dump(Sub(a=np.arange(3)), path, engine="c")
        store.close()
