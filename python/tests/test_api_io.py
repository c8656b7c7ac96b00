"""I/O behaviour of the swkas Python API: file objects, descriptors, pipes,
FIFOs, sockets, stores at an offset and back to back, read-only zero-copy
arrays over a memory mapping, atomic replace, and get_include(). Compared with
the reference kastore 0.3.6 wherever the reference supports the same thing.
"""
import filecmp
import gc
import io
import os
import pathlib
import socket
import stat
import subprocess
import sys
import threading

import kastore
import numpy as np
import pytest

import swkas

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = [pytest.param(kastore, id="reference"), pytest.param(swkas, id="swkas")]

STORES = [
    {"a": np.arange(5, dtype=np.int32), "b": np.zeros(0, np.float32), "é": np.array([1.5, -2.0])},
    {},
    {"x": np.arange(1000, dtype=np.uint64)},
    {"last_empty": np.zeros(0, np.int8), "first": np.array([7], np.uint8)},
    {"k%03d" % index: np.arange(index, dtype=np.int16) for index in range(40)},
]
RAW = [kastore.dumps(data) for data in STORES]


def same_mapping(actual, data):
    assert list(actual.keys()) == sorted(data.keys())
    for key, value in data.items():
        array = actual[key]
        assert array.dtype == value.dtype
        assert array.tobytes() == value.tobytes()


def mappings_of(path):
    """The (start, end) ranges of /proc/self/maps lines that map `path`."""
    target = os.path.realpath(path)
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].strip() == target:
                start, end = (int(value, 16) for value in fields[0].split("-"))
                ranges.append((start, end))
    return ranges


def data_pointer(array):
    return array.__array_interface__["data"][0]


def collect():
    for _ in range(3):
        gc.collect()


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs /proc/self/maps")


# --- file objects and descriptors -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("index", range(len(STORES)))
def test_file_object_roundtrip(tmp_path, module, index):
    path = tmp_path / "f.kas"
    with open(path, "wb") as f:
        swkas.dump(STORES[index], f)
        assert f.tell() == len(RAW[index])
    assert path.read_bytes() == RAW[index]
    for read_all in (False, True):
        with open(path, "rb") as f:
            store = module.load(f, read_all=read_all)
            same_mapping(store, STORES[index])
            store.close()
            assert not f.closed  # a caller's file object is never closed


@pytest.mark.parametrize("index", range(len(STORES)))
def test_bytesio_roundtrip(index):
    buffer = io.BytesIO()
    swkas.dump(STORES[index], buffer)
    assert buffer.getvalue() == RAW[index]
    assert buffer.tell() == len(RAW[index])
    for read_all in (False, True):
        buffer.seek(0)
        with swkas.load(buffer, read_all=read_all) as store:
            same_mapping(store, STORES[index])
        assert not buffer.closed


@pytest.mark.parametrize("index", range(len(STORES)))
def test_fd_roundtrip(tmp_path, index):
    path = tmp_path / "fd.kas"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        swkas.dump(STORES[index], fd)
        assert os.lseek(fd, 0, os.SEEK_CUR) == len(RAW[index])
    finally:
        os.close(fd)
    assert path.read_bytes() == RAW[index]
    for read_all in (False, True):
        for engine in ("python", "c"):
            fd = os.open(path, os.O_RDONLY)
            try:
                loaded = swkas.load(fd, read_all=read_all, engine=engine)
                same_mapping(loaded, STORES[index])
                if engine == "python":
                    loaded.close()
                os.fstat(fd)  # the caller's descriptor is still open
            finally:
                os.close(fd)


def test_dump_file_object_flushes_pending_writes(tmp_path):
    path = tmp_path / "pending.kas"
    for module in (kastore, swkas):
        with open(path, "wb") as f:
            f.write(b"HEAD")  # still in the BufferedWriter's buffer
            module.dump(STORES[0], f)
            f.write(b"TAIL")
        assert path.read_bytes() == b"HEAD" + RAW[0] + b"TAIL", module.__name__


@pytest.mark.parametrize("module", MODULES)
def test_dump_fd_at_offset(tmp_path, module):
    path = tmp_path / "offset.kas"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"prefix")
        module.dump(STORES[0], fd)
        assert os.lseek(fd, 0, os.SEEK_CUR) == 6 + len(RAW[0])
        os.write(fd, b"suffix")
    finally:
        os.close(fd)
    assert path.read_bytes() == b"prefix" + RAW[0] + b"suffix"


def test_dump_bytes_and_pathlib_paths(tmp_path):
    for target in (tmp_path / "p.kas", os.fsencode(str(tmp_path / "b.kas")), str(tmp_path / "s.kas")):
        swkas.dump(STORES[0], target)
        assert pathlib.Path(os.fsdecode(target)).read_bytes() == RAW[0]
        with swkas.load(target) as store:
            same_mapping(store, STORES[0])


# --- concatenated stores: tell() at each store's end -----------------------------------------------------------


def concatenated(tmp_path, prefix=b""):
    path = tmp_path / "concat.kas"
    path.write_bytes(prefix + b"".join(RAW))
    ends, offset = [], len(prefix)
    for raw in RAW:
        offset += len(raw)
        ends.append(offset)
    return path, ends


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("buffering", [-1, 0])
def test_file_object_read_all_back_to_back(tmp_path, module, buffering):
    path, ends = concatenated(tmp_path)
    with open(path, "rb", buffering=buffering) as f:
        for data, end in zip(STORES, ends):
            store = module.load(f, read_all=True)
            assert f.tell() == end
            same_mapping(store, data)
            store.close()
        with pytest.raises(EOFError):
            module.load(f, read_all=True)


def test_fd_read_all_back_to_back(tmp_path):
    path, ends = concatenated(tmp_path)
    fd = os.open(path, os.O_RDONLY)
    try:
        for data, end in zip(STORES, ends):
            with swkas.load(fd, read_all=True) as store:
                assert os.lseek(fd, 0, os.SEEK_CUR) == end
                same_mapping(store, data)
        with pytest.raises(EOFError):
            swkas.load(fd, read_all=True)
    finally:
        os.close(fd)


def test_bytesio_read_all_back_to_back():
    for module in (kastore, swkas):
        buffer = io.BytesIO(b"".join(RAW))
        offset = 0
        for data, raw in zip(STORES, RAW):
            with module.load(buffer, read_all=True) as store:
                offset += len(raw)
                assert buffer.tell() == offset
                same_mapping(store, data)
        with pytest.raises(EOFError):
            module.load(buffer, read_all=True)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("read_all", [False, True])
def test_store_in_the_middle_of_a_file(tmp_path, module, read_all):
    prefix = b"garbage before the store" * 3
    path, ends = concatenated(tmp_path, prefix)
    starts = [len(prefix)] + ends[:-1]
    for index in (0, 2, 4, 1):
        with open(path, "rb") as f:
            f.seek(starts[index])
            store = module.load(f, read_all=read_all)
            same_mapping(store, STORES[index])
            if read_all:
                assert f.tell() == ends[index]
            store.close()


@pytest.mark.parametrize("module", MODULES)
def test_file_object_read_all_after_buffered_reads(tmp_path, module):
    """The caller has read a prefix through the file object, so its buffer holds data
    past the prefix: the stores must still come back one after another, and tell()
    must end at each store's end."""
    prefix = b"PREFIX"
    path, ends = concatenated(tmp_path, prefix)
    with open(path, "rb") as f:
        assert f.read(len(prefix)) == prefix  # fills the BufferedReader's read-ahead
        for data, end in zip(STORES, ends):
            store = module.load(f, read_all=True)
            assert f.tell() == end
            same_mapping(store, data)
            store.close()
        with pytest.raises(EOFError):
            module.load(f, read_all=True)
        assert f.read() == b""


@pytest.mark.parametrize("module", MODULES)
def test_caller_reads_after_load(tmp_path, module):
    """After load(f, read_all=True), f.read() returns exactly the bytes after the store."""
    path = tmp_path / "tail.kas"
    path.write_bytes(b"HEAD" + RAW[0] + b"TAIL" * 1000)
    with open(path, "rb") as f:
        assert f.read(4) == b"HEAD"
        with module.load(f, read_all=True) as store:
            same_mapping(store, STORES[0])
        assert f.read() == b"TAIL" * 1000


@pytest.mark.parametrize("module", MODULES)
def test_dump_into_read_write_file_after_buffered_read(tmp_path, module):
    path = tmp_path / "rw.kas"
    path.write_bytes(b"0123456789" * 100)
    with open(path, "r+b") as f:
        assert f.read(10) == b"0123456789"
        module.dump(STORES[0], f)
        assert f.tell() == 10 + len(RAW[0])
        f.write(b"END")
    content = path.read_bytes()
    assert content[:10] == b"0123456789"
    assert content[10:10 + len(RAW[0])] == RAW[0]
    assert content[10 + len(RAW[0]):13 + len(RAW[0])] == b"END"
    assert len(content) == 1000


@pytest.mark.parametrize("module", MODULES)
def test_dump_into_append_mode_file(tmp_path, module):
    path = tmp_path / "append.kas"
    path.write_bytes(b"HEAD")
    with open(path, "ab") as f:
        module.dump(STORES[0], f)
        module.dump(STORES[3], f)
    assert path.read_bytes() == b"HEAD" + RAW[0] + RAW[3]


@pytest.mark.parametrize("read_all", [False, True])
def test_store_in_the_middle_of_a_file_fd(tmp_path, read_all):
    prefix = b"\x00" * 13
    path, ends = concatenated(tmp_path, prefix)
    starts = [len(prefix)] + ends[:-1]
    fd = os.open(path, os.O_RDONLY)
    try:
        for index in (4, 0, 2):
            os.lseek(fd, starts[index], os.SEEK_SET)
            with swkas.load(fd, read_all=read_all) as store:
                same_mapping(store, STORES[index])
            if read_all:
                assert os.lseek(fd, 0, os.SEEK_CUR) == ends[index]
    finally:
        os.close(fd)


@pytest.mark.parametrize("read_all", [False, True])
def test_store_in_the_middle_of_a_bytesio(read_all):
    prefix = b"12345"
    for module in (kastore, swkas):
        buffer = io.BytesIO(prefix + RAW[0] + RAW[2])
        buffer.seek(len(prefix))
        with module.load(buffer, read_all=read_all) as store:
            same_mapping(store, STORES[0])


# --- pipes, FIFOs and sockets ----------------------------------------------------------------------------------


def write_in_thread(function):
    errors = []

    def run():
        try:
            function()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


@pytest.mark.parametrize("writer", ["fd", "fdopen"])
@pytest.mark.parametrize("reader", ["fd", "fdopen", "fdopen_unbuffered"])
@pytest.mark.parametrize("module", MODULES)
def test_pipe_back_to_back(writer, reader, module):
    read_end, write_end = os.pipe()

    def produce():
        if writer == "fd":
            for data in STORES:
                module.dump(data, write_end)
            os.close(write_end)
        else:
            with os.fdopen(write_end, "wb") as f:
                for data in STORES:
                    module.dump(data, f)

    thread, errors = write_in_thread(produce)
    try:
        if reader == "fd":
            source, cleanup = read_end, lambda: os.close(read_end)
        else:
            f = os.fdopen(read_end, "rb", buffering=0 if reader == "fdopen_unbuffered" else -1)
            source, cleanup = f, f.close
        try:
            for data in STORES:
                store = module.load(source, read_all=True)
                same_mapping(store, data)
                store.close()
            with pytest.raises(EOFError):
                module.load(source, read_all=True)
        finally:
            cleanup()
    finally:
        thread.join(10)
    assert not errors


def test_pipe_c_engine_back_to_back():
    read_end, write_end = os.pipe()
    thread, errors = write_in_thread(lambda: (os.write(write_end, b"".join(RAW[:3])), os.close(write_end)))
    try:
        for data in STORES[:3]:
            loaded = swkas.load(read_end, read_all=True, engine="c")
            assert type(loaded) is dict
            same_mapping(loaded, data)
        with pytest.raises(EOFError):
            swkas.load(read_end, read_all=True, engine="c")
    finally:
        os.close(read_end)
        thread.join(10)
    assert not errors


def test_pipe_large_store():
    data = {"big": np.arange(300000, dtype=np.float64), "small": np.arange(3, dtype=np.int8)}
    raw = swkas.dumps(data)
    read_end, write_end = os.pipe()
    thread, errors = write_in_thread(lambda: (swkas.dump(data, write_end), os.close(write_end)))
    received = []
    try:
        with os.fdopen(read_end, "rb") as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                received.append(chunk)
    finally:
        thread.join(10)
    assert not errors
    assert b"".join(received) == raw


def test_lazy_load_of_pipe_is_os_error():
    for module in (kastore, swkas):
        read_end, write_end = os.pipe()
        os.write(write_end, RAW[0])
        os.close(write_end)
        try:
            with pytest.raises(OSError):
                module.load(read_end)
        finally:
            os.close(read_end)


@pytest.mark.parametrize("module", MODULES)
def test_socketpair_makefile_back_to_back(module):
    left, right = socket.socketpair()
    with left, right:
        def produce():
            with left.makefile("wb") as f:
                for data in STORES:
                    module.dump(data, f)
            left.shutdown(socket.SHUT_WR)

        thread, errors = write_in_thread(produce)
        try:
            with right.makefile("rb") as f:
                for data in STORES:
                    store = module.load(f, read_all=True)
                    same_mapping(store, data)
                    store.close()
                with pytest.raises(EOFError):
                    module.load(f, read_all=True)
        finally:
            thread.join(10)
        assert not errors


def test_socketpair_fileno():
    left, right = socket.socketpair()
    with left, right:
        thread, errors = write_in_thread(lambda: ([swkas.dump(data, left.fileno()) for data in STORES],
                                                  left.shutdown(socket.SHUT_WR)))
        try:
            for data in STORES:
                with swkas.load(right.fileno(), read_all=True) as store:
                    same_mapping(store, data)
            with pytest.raises(EOFError):
                swkas.load(right.fileno(), read_all=True)
        finally:
            thread.join(10)
        assert not errors


@pytest.mark.parametrize("module", MODULES)
def test_fifo_path(tmp_path, module):
    """A FIFO path: dump writes in place (not a regular file), read_all load reads the stream."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = {}
    thread, errors = write_in_thread(lambda: received.setdefault("raw", fifo.read_bytes()))
    module.dump(STORES[0], str(fifo))
    thread.join(10)
    assert not errors and received["raw"] == RAW[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    thread, errors = write_in_thread(lambda: fifo.write_bytes(RAW[0]))
    try:
        with module.load(str(fifo), read_all=True) as store:
            same_mapping(store, STORES[0])
    finally:
        thread.join(10)
    assert not errors


@pytest.mark.parametrize("module", ["kastore", "swkas"])
def test_dev_stdin_path_from_pipe(module):
    """`producer | python -c 'load("/dev/stdin", read_all=True)'` works with the reference."""
    code = ("import sys, %s as m\n"
            "s = m.load('/dev/stdin', read_all=True)\n"
            "print(sorted(s.keys()), s['a'].tolist())\n" % module)
    result = subprocess.run([sys.executable, "-c", code], input=RAW[0], capture_output=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "python")))
    assert result.returncode == 0, result.stderr.decode()[-500:]
    assert result.stdout.decode().strip() == "['a', 'b', 'é'] [0, 1, 2, 3, 4]"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("engine", ["python", "c"])
@pytest.mark.parametrize("how", ["path", "fd", "file"])
def test_dump_write_error_is_os_error(engine, how):
    """A failing write (ENOSPC) is an OSError with its errno, as with the reference's python engine."""
    import errno
    for module in (kastore, swkas):
        if module is kastore and engine == "c":
            continue  # the reference's C engine ignores the error
        with pytest.raises(OSError) as info:
            if how == "path":
                module.dump(STORES[2], "/dev/full", engine=engine)
            elif how == "fd":
                fd = os.open("/dev/full", os.O_WRONLY)
                try:
                    module.dump(STORES[2], fd, engine=engine)
                finally:
                    os.close(fd)
            else:
                with open("/dev/full", "wb") as f:
                    module.dump(STORES[2], f, engine=engine)
        assert info.value.errno == errno.ENOSPC


def test_dump_to_dev_null():
    for module in (kastore, swkas):
        module.dump(STORES[0], "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- read-only, zero-copy arrays -------------------------------------------------------------------------------


def load_variant(tmp_path, variant):
    """(store, cleanup) for one way of loading RAW[0]."""
    path = tmp_path / "ro.kas"
    path.write_bytes(RAW[0])
    if variant == "path_lazy":
        return swkas.load(str(path)), None
    if variant == "path_read_all":
        return swkas.load(str(path), read_all=True), None
    if variant == "loads":
        return swkas.loads(RAW[0]), None
    if variant == "bytesio":
        return swkas.load(io.BytesIO(RAW[0])), None
    if variant == "file":
        f = open(path, "rb")
        return swkas.load(f), f.close
    fd = os.open(path, os.O_RDONLY)
    return swkas.load(fd), lambda: os.close(fd)


@pytest.mark.parametrize("variant", ["path_lazy", "path_read_all", "loads", "bytesio", "file", "fd"])
def test_arrays_are_read_only(tmp_path, variant):
    store, cleanup = load_variant(tmp_path, variant)
    try:
        for key in store:
            array = store[key]
            assert array.flags.writeable is False
            with pytest.raises(ValueError):
                array[...] = 0
            if array.size:
                with pytest.raises(ValueError):
                    array[0] = 1
        array = store["a"]
        # As with the reference (np.frombuffer over bytes), the flag cannot be turned back on:
        # otherwise a write would hit a read-only mapping (SIGSEGV) or an immutable bytes object.
        with pytest.raises(ValueError):
            array.flags.writeable = True
        assert array.tolist() == [0, 1, 2, 3, 4]
    finally:
        store.close()
        if cleanup:
            cleanup()


def test_write_through_reenabled_flag_does_not_crash(tmp_path):
    """In a subprocess: re-enabling the flag on a path-loaded array and writing must not
    kill the interpreter (ours maps the file read-only)."""
    path = tmp_path / "crash.kas"
    path.write_bytes(RAW[0])
    code = ("import swkas\n"
            "s = swkas.load(%r)\n"
            "a = s['a']\n"
            "try:\n"
            "    a.flags.writeable = True\n"
            "    a[0] = 99\n"
            "except ValueError:\n"
            "    pass\n"
            "print('alive')\n" % str(path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "python")))
    assert result.returncode == 0 and result.stdout.strip() == b"alive", (result.returncode, result.stderr[-300:])
    assert path.read_bytes() == RAW[0]


def test_reference_arrays_are_read_only():
    store = kastore.loads(RAW[0])
    array = store["a"]
    assert array.flags.writeable is False
    with pytest.raises(ValueError):
        array.flags.writeable = True


def test_loads_never_modifies_the_callers_bytes():
    raw = bytes(bytearray(RAW[0]))  # a private object: bytes(RAW[0]) would be RAW[0] itself
    snapshot = bytes(bytearray(raw))
    store = swkas.loads(raw)
    array = store["a"]
    try:
        array.flags.writeable = True
        array[0] = 99
    except ValueError:
        pass
    assert raw == snapshot


@needs_proc
@pytest.mark.parametrize("read_all", [False, True])
def test_path_load_is_zero_copy(tmp_path, read_all):
    data = {"a": np.arange(1000, dtype=np.int64), "b": np.arange(10, dtype=np.float32), "z": np.zeros(0, np.int8)}
    path = tmp_path / "zero_copy.kas"
    swkas.dump(data, str(path))
    store = swkas.load(str(path), read_all=read_all)
    ranges = mappings_of(path)
    assert ranges, "the file is not memory-mapped"
    for key in ("a", "b"):
        pointer = data_pointer(store[key])
        assert any(start <= pointer and pointer + store[key].nbytes <= end for start, end in ranges), key
    as_dict = dict(store)
    for key in data:
        assert as_dict[key] is store[key] or np.shares_memory(as_dict[key], store[key]) or data[key].size == 0
        if data[key].size:
            assert data_pointer(as_dict[key]) == data_pointer(store[key])
    assert store["a"] is store["a"]
    store.close()


@needs_proc
def test_arrays_outlive_the_store_and_the_mapping_is_freed(tmp_path):
    data = {"a": np.arange(1000, dtype=np.int64), "b": np.arange(7, dtype=np.uint8)}
    path = tmp_path / "outlive.kas"
    swkas.dump(data, str(path))
    store = swkas.load(str(path))
    a, b = store["a"], store["b"]
    store.close()
    del store
    collect()
    assert mappings_of(path), "the mapping must live while arrays exist"
    assert a.tolist() == data["a"].tolist()
    assert b.tolist() == data["b"].tolist()
    assert a.sum() == data["a"].sum()
    del a
    collect()
    assert b.tolist() == data["b"].tolist()
    del b
    collect()
    assert mappings_of(path) == []


@needs_proc
def test_deleted_store_frees_the_mapping(tmp_path):
    path = tmp_path / "deleted.kas"
    swkas.dump(STORES[2], str(path))
    store = swkas.load(str(path))
    assert mappings_of(path)
    del store
    collect()
    assert mappings_of(path) == []
    store = swkas.load(str(path), read_all=True)
    store["x"]  # the cached array dies with the store
    del store
    collect()
    assert mappings_of(path) == []
    with swkas.load(str(path)) as store:
        store["x"]
    del store
    collect()
    assert mappings_of(path) == []


@needs_proc
def test_c_engine_path_load_copies_and_unmaps(tmp_path):
    path = tmp_path / "c_engine.kas"
    swkas.dump(STORES[2], str(path))
    loaded = swkas.load(str(path), engine="c")
    collect()
    assert mappings_of(path) == []
    assert loaded["x"].flags.writeable and loaded["x"].flags.owndata
    same_mapping(loaded, STORES[2])


def test_open_store_survives_atomic_replace(tmp_path):
    path = tmp_path / "replace.kas"
    swkas.dump({"a": np.arange(5)}, str(path))
    store = swkas.load(str(path))
    swkas.dump({"a": np.arange(5) * 10, "b": np.zeros(2)}, str(path))
    assert store["a"].tolist() == [0, 1, 2, 3, 4]
    assert list(store) == ["a"]
    store.close()
    with swkas.load(str(path)) as store:
        assert store["a"].tolist() == [0, 10, 20, 30, 40]


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@needs_proc
def test_unclosed_stores_release_descriptors_when_collected(tmp_path):
    path = tmp_path / "leak.kas"
    path.write_bytes(RAW[0])
    collect()
    baseline = open_fds()
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(50):
            os.lseek(fd, 0, os.SEEK_SET)
            store = swkas.load(fd)  # a stream on a dup'ed descriptor
            store["a"]
            with open(path, "rb") as f:
                swkas.load(f)["a"]
            swkas.load(str(path))["a"]
        del store
        collect()
        assert open_fds() == baseline + 1
        os.fstat(fd)
    finally:
        os.close(fd)
    assert mappings_of(path) == []


# --- atomic replace -------------------------------------------------------------------------------------------


def temp_files(directory):
    return [name for name in os.listdir(directory) if ".swkas-" in name or name.startswith(".")]


BAD_THIRD_VALUE = {
    "2d": np.zeros((2, 2)),
    "dtype": np.zeros(3, np.complex64),
    "scalar": 5,
}


@pytest.mark.parametrize("engine", ["python", "c"])
@pytest.mark.parametrize("bad", list(BAD_THIRD_VALUE))
def test_failed_dump_leaves_existing_file_intact(tmp_path, engine, bad):
    path = tmp_path / "victim.kas"
    swkas.dump(STORES[4], str(path))
    before = path.read_bytes()
    before_inode = os.stat(path).st_ino
    data = {"a": np.arange(3), "b": np.arange(4.0), "c": BAD_THIRD_VALUE[bad], "d": np.arange(2)}
    with pytest.raises((ValueError, KeyError)):
        swkas.dump(data, str(path), engine=engine)
    assert path.read_bytes() == before
    assert os.stat(path).st_ino == before_inode
    assert temp_files(tmp_path) == []
    assert os.listdir(tmp_path) == ["victim.kas"]


@pytest.mark.parametrize("engine", ["python", "c"])
def test_failed_dump_bad_key_leaves_existing_file_intact(tmp_path, engine):
    path = tmp_path / "victim.kas"
    swkas.dump(STORES[0], str(path))
    before = path.read_bytes()
    for data in ({"a": [1], "b": [2], 3: [3]}, {"a": [1], "b": [2], "": [3]}):
        with pytest.raises((TypeError, ValueError)):
            swkas.dump(data, str(path), engine=engine)
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["victim.kas"]


def test_failed_dump_new_path_creates_nothing(tmp_path):
    with pytest.raises(ValueError):
        swkas.dump({"a": [1], "b": [[1, 2]]}, str(tmp_path / "new.kas"))
    assert os.listdir(tmp_path) == []


def test_reference_failed_dump_truncates(tmp_path):
    """The behaviour ours improves on (spec section 5): the reference destroys the old file."""
    path = tmp_path / "victim.kas"
    kastore.dump(STORES[0], str(path))
    with pytest.raises(ValueError):
        kastore.dump({"a": [1], "b": [2], "c": np.zeros((2, 2))}, str(path))
    assert path.read_bytes() != RAW[0]


def test_dump_to_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        swkas.dump(STORES[0], str(tmp_path / "missing" / "x.kas"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("engine", ["python", "c"])
def test_dump_keeps_mode_bits(tmp_path, engine):
    path = tmp_path / "mode.kas"
    path.write_bytes(b"old content")
    os.chmod(path, 0o640)
    swkas.dump(STORES[0], str(path), engine=engine)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert path.read_bytes() == RAW[0]
    os.chmod(path, 0o604)
    swkas.dump(STORES[1], str(path), engine=engine)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o604
    assert temp_files(tmp_path) == []


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        swkas.dump(STORES[0], str(tmp_path / "new.kas"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.kas").st_mode) == 0o640
    kastore.dump(STORES[0], str(tmp_path / "ref.kas"))
    assert filecmp.cmp(tmp_path / "new.kas", tmp_path / "ref.kas", shallow=False)


def test_dump_replaces_larger_file_completely(tmp_path):
    path = tmp_path / "shrink.kas"
    swkas.dump(STORES[2], str(path))
    swkas.dump(STORES[1], str(path))
    assert path.read_bytes() == RAW[1]


def test_dump_through_symlink_updates_the_target(tmp_path):
    target = tmp_path / "target.kas"
    link = tmp_path / "link.kas"
    swkas.dump(STORES[0], str(target))
    link.symlink_to("target.kas")
    for module, index in ((kastore, 2), (swkas, 3)):
        module.dump(STORES[index], str(link))
        assert link.is_symlink(), module.__name__
        assert target.read_bytes() == RAW[index], module.__name__


# --- get_include ---------------------------------------------------------------------------------------------------


def test_get_include_has_our_headers():
    include = pathlib.Path(swkas.get_include())
    assert include.is_dir()
    for header in ("kastore.h", "swkas.h"):
        assert (include / header).is_file(), header
        assert filecmp.cmp(include / header, ROOT / "include" / header, shallow=False), header
    text = (include / "kastore.h").read_text()
    assert "kastore_open" in text and "KAS_READ_ALL" in text
