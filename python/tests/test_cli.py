"""The command line tools: `python -m swkas` and the native swkas-cli must print
exactly what `python -m kastore` (0.3.6) prints for ls, ls -l, ls -lH and dump
on every golden store; errors end with exit status 1 and a one-line message;
a closed pipe ends the tool quietly.

Running every command as its own `python -m` process would take minutes
(about 0.3 s of interpreter and numpy start-up each), so the command lists
run in a few driver processes per tool, which execute the module's __main__
with runpy once per command (fresh sys.argv, captured stdout and exit status).
One real `python -m` process per file and tool (rotating through ls, ls -l,
ls -lH and dump) checks that the driver does not hide a difference. The
native tool runs as a real process per command.
"""
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import kastore
import numpy as np
import pytest

import swkas

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "test-data" / "kastore" / "golden"
MALFORMED = ROOT / "test-data" / "kastore" / "malformed"
SIMULATED = ROOT / "test-data" / "example" / "simulated.trees"
NATIVE = ROOT / ".build" / "release" / "swkas-cli"
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "python"))

needs_native = pytest.mark.skipif(not os.access(NATIVE, os.X_OK), reason="swkas-cli is not built")

# Every golden file, deduplicated by content: <case>.c.kas and <case>.py.kas are byte-identical
# (checked below) and the tools never print the path, so one of each pair is run.
ALL_FILES = sorted(GOLDEN.glob("*.kas")) + [SIMULATED]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def distinct_files():
    seen, files = set(), []
    for path in ALL_FILES:
        key = digest(path)
        if key not in seen:
            seen.add(key)
            files.append(path)
    return files


FILES = distinct_files()
FILE_IDS = [path.name for path in FILES]


def dumpable_keys(path):
    store = kastore.load(str(path))
    try:
        return [key for key in store.keys() if not key.startswith("-") and "\x00" not in key and "\n" not in key]
    finally:
        store.close()


DUMP_SAMPLE = 200  # many_keys has 2000 look-alike keys; the reference needs ~8 ms per dump of it


def commands_for(path, sample=DUMP_SAMPLE):
    keys = dumpable_keys(path)
    if sample is not None and len(keys) > sample:
        step = len(keys) // sample
        keys = keys[::step] + [keys[-1]]
    return [["ls", str(path)], ["ls", "-l", str(path)], ["ls", "-lH", str(path)], ["ls", "--long", "--human-readable", str(path)]] + [
        ["dump", str(path), key] for key in keys]


DRIVER = r"""
import io, json, runpy, sys
module = sys.argv[1]
commands = json.loads(sys.stdin.read())
results = []
real_stdout, real_stderr = sys.stdout, sys.stderr
for argv in commands:
    out, err = io.BytesIO(), io.BytesIO()
    wout = io.TextIOWrapper(out, encoding=real_stdout.encoding, errors=real_stdout.errors, write_through=True)
    werr = io.TextIOWrapper(err, encoding=real_stderr.encoding, errors=real_stderr.errors, write_through=True)
    sys.stdout, sys.stderr = wout, werr
    sys.argv = [module] + argv
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException as error:
        print("Traceback: %r" % (error,), file=sys.stderr)
        code = 1
    wout.flush()
    werr.flush()
    wout.detach()
    werr.detach()
    sys.stdout, sys.stderr = real_stdout, real_stderr
    results.append([code, out.getvalue().hex(), err.getvalue().hex()])
real_stdout.write(json.dumps(results))
"""


def run_driver(module, commands):
    result = subprocess.run([sys.executable, "-c", DRIVER, module], input=json.dumps(commands).encode(),
                            capture_output=True, env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return [(code, bytes.fromhex(out), bytes.fromhex(err)) for code, out, err in json.loads(result.stdout)]


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, env=ENV, timeout=120, **kwargs)
    return result.returncode, result.stdout, result.stderr


POOL = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, 2 * (os.cpu_count() or 1)))


DRIVER_CHUNKS = 4  # driver processes per tool, run concurrently


@pytest.fixture(scope="module")
def driver_outputs():
    """{(module, file name): [(code, stdout, stderr) per command of commands_for(file)]}"""
    per_file = {path.name: commands_for(path) for path in FILES}
    chunks = [FILES[index::DRIVER_CHUNKS] for index in range(DRIVER_CHUNKS)]
    futures = {}
    for number, chunk in enumerate(chunks):
        commands = [argv for path in chunk for argv in per_file[path.name]]
        for module in ("kastore", "swkas"):
            futures[module, number] = POOL.submit(run_driver, module, commands)
    outputs = {}
    for (module, number), future in futures.items():
        results = future.result()
        for path in chunks[number]:
            count = len(per_file[path.name])
            outputs[module, path.name], results = results[:count], results[count:]
        assert results == []
    return outputs


def real_commands(path):
    """One real `python -m` process per file and tool, rotating through the commands."""
    index = FILES.index(path)
    keys = dumpable_keys(path)
    rotation = [["ls", "-lH", str(path)], ["ls", "-l", str(path)], ["ls", str(path)]]
    if keys:
        rotation.append(["dump", str(path), keys[len(keys) // 2]])
    return [rotation[index % len(rotation)]]


@pytest.fixture(scope="module")
def real_outputs():
    """{(tool, file name, argv tuple): (code, stdout, stderr)} from one real process per command."""
    futures = {}
    for path in FILES:
        for argv in real_commands(path):
            for tool in ("kastore", "swkas"):
                futures[tool, path.name, tuple(argv)] = POOL.submit(run, [sys.executable, "-m", tool] + argv)
    return {key: future.result() for key, future in futures.items()}


def test_golden_pairs_are_identical():
    for path in GOLDEN.glob("*.c.kas"):
        twin = path.with_name(path.name.replace(".c.kas", ".py.kas"))
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_subprocesses_use_the_source_tree():
    code, out, err = run([sys.executable, "-c", "import swkas; print(swkas.__file__)"])
    assert code == 0
    assert pathlib.Path(out.decode().strip()).resolve() == (ROOT / "python" / "swkas" / "__init__.py").resolve()


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_python_cli_matches_reference(driver_outputs, path):
    commands = commands_for(path)
    ours, ref = driver_outputs["swkas", path.name], driver_outputs["kastore", path.name]
    assert len(ours) == len(ref) == len(commands)
    for argv, (code, out, err), (ref_code, ref_out, ref_err) in zip(commands, ours, ref):
        assert ref_code == 0, (argv, ref_err)
        assert (code, out) == (ref_code, ref_out), (argv[:-1], argv[-1][:40], err.decode(errors="replace")[-500:])
        assert err == b"", argv


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_python_cli_real_process_matches_reference(real_outputs, driver_outputs, path):
    by_command = dict(zip(map(tuple, commands_for(path)), driver_outputs["kastore", path.name]))
    for argv in real_commands(path):
        ours = real_outputs["swkas", path.name, tuple(argv)]
        ref = real_outputs["kastore", path.name, tuple(argv)]
        assert ref[0] == 0, ref[2]
        assert ours[:2] == ref[:2], (argv, ours[2].decode(errors="replace")[-500:])
        assert ours[2] == b""
        assert by_command[tuple(argv)][:2] == ref[:2]  # the driver reproduces a real process


@needs_native
@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_native_cli_matches_reference(driver_outputs, path):
    full = commands_for(path)
    ref = dict(zip(map(tuple, full), driver_outputs["kastore", path.name]))
    commands = commands_for(path)
    results = list(POOL.map(lambda argv: run([str(NATIVE)] + argv), commands))
    for argv, (code, out, err) in zip(commands, results):
        ref_code, ref_out, _ = ref[tuple(argv)]
        assert (code, out) == (ref_code, ref_out), (argv[:-1], argv[-1][:40], err.decode(errors="replace")[-500:])
        assert err == b"", argv


TOOLS = [pytest.param([sys.executable, "-m", "swkas"], id="python"),
         pytest.param([str(NATIVE)], id="native", marks=needs_native)]


@pytest.mark.parametrize("tool", TOOLS)
def test_ls_of_truncated_store_matches_reference(tool):
    """ls only needs the keys: the reference lists a store whose arrays are truncated (spec 2.2),
    and dumps the arrays that are intact."""
    path = MALFORMED / "s22_trunc_last_byte.kas"
    for argv in (["ls", str(path)], ["ls", "-l", str(path)], ["dump", str(path), "a"]):
        ref = run([sys.executable, "-m", "kastore"] + argv)
        assert ref[0] == 0
        ours = run(tool + argv)
        assert ours[:2] == ref[:2], (argv, ours[2].decode(errors="replace")[-300:])


def test_empty_store_prints_nothing():
    path = GOLDEN / "empty.py.kas"
    for tool in ([sys.executable, "-m", "kastore"], [sys.executable, "-m", "swkas"]) + (
            ([str(NATIVE)],) if os.access(NATIVE, os.X_OK) else ()):
        for argv in (["ls", str(path)], ["ls", "-l", str(path)], ["ls", "-lH", str(path)]):
            assert run(tool + argv) == (0, b"", b""), (tool, argv)


# --- version, usage and errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(tool, flag):
    code, out, err = run(tool + [flag])
    assert code == 0
    assert re.fullmatch(rb"\S*swkas\S* \d+\.\d+\.\d+\S*\n", out), out
    assert swkas.__version__.encode() in out


@pytest.mark.parametrize("tool", TOOLS + [pytest.param([sys.executable, "-m", "kastore"], id="reference")])
def test_missing_subcommand_is_usage_error(tool):
    """Spec 4.6: a missing subcommand is an argparse error (exit status 2, usage on stderr)."""
    code, out, err = run(tool)
    assert code == 2
    assert b"usage" in err.lower()
    assert b"Traceback" not in err


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("argv", [["-v", "ls"], ["-vv", "ls", "-l"], ["--verbose", "ls", "-lH"],
                                  ["-v", "dump"]], ids=" ".join)
def test_verbose_option_before_subcommand(tool, argv):
    """Spec 4.6: `kastore [-v|--verbose ...] {ls,dump}`; logging goes to stderr, stdout is unchanged."""
    path = GOLDEN / "worked_example.py.kas"
    extra = ["a"] if argv[-1] == "dump" else []
    ref = run([sys.executable, "-m", "kastore"] + argv + [str(path)] + extra)
    assert ref[0] == 0
    ours = run(tool + argv + [str(path)] + extra)
    assert ours[:2] == ref[:2], ours[2].decode(errors="replace")[-300:]


def one_line_error(result):
    code, out, err = result
    assert code == 1, (code, err)
    assert out == b""
    assert b"Traceback" not in err
    text = err.decode(errors="replace")
    assert text.endswith("\n") and text.count("\n") == 1, text
    assert text.strip()
    return text


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad")
    (directory / "empty.kas").write_bytes(b"")
    (directory / "text.kas").write_bytes(b"this is not a kastore file at all, just text\n" * 3)
    return directory


ERROR_CASES = {
    "missing_file": lambda d: ["ls", str(d / "missing.kas")],
    "missing_file_dump": lambda d: ["dump", str(d / "missing.kas"), "a"],
    "missing_file_long": lambda d: ["ls", "-l", str(d / "missing.kas")],
    "directory": lambda d: ["ls", str(d)],
    "empty_file": lambda d: ["ls", str(d / "empty.kas")],
    "text_file": lambda d: ["ls", "-l", str(d / "text.kas")],
    "bad_magic": lambda d: ["ls", str(MALFORMED / "r04_bad_magic_byte0.kas")],
    "too_new": lambda d: ["ls", str(MALFORMED / "r05_major2.kas")],
    "too_old": lambda d: ["ls", str(MALFORMED / "r05_major0.kas")],
    "bad_type": lambda d: ["ls", str(MALFORMED / "r10a_type10_d0.kas")],
    "duplicate_keys": lambda d: ["ls", str(MALFORMED / "r13_duplicate_all.kas")],
    "bad_file_dump": lambda d: ["dump", str(d / "text.kas"), "a"],
    "missing_key": lambda d: ["dump", str(GOLDEN / "worked_example.py.kas"), "nope"],
    "missing_key_prefix": lambda d: ["dump", str(GOLDEN / "worked_example.py.kas"), "a\u00e9"],
    "truncated_array": lambda d: ["dump", str(MALFORMED / "s22_trunc_last_byte.kas"), "c"],
}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_exit_1_with_one_line(tool, case, bad_files):
    argv = ERROR_CASES[case](bad_files)
    one_line_error(run(tool + argv))


def test_reference_error_exit_status():
    """The reference ends in a traceback (spec 4.6) but also with status 1."""
    code, out, err = run([sys.executable, "-m", "kastore", "ls", "/nonexistent/x.kas"])
    assert code == 1 and b"Traceback" in err


# --- closed pipes ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_stores(tmp_path_factory):
    directory = tmp_path_factory.mktemp("big")
    keys = directory / "keys.kas"
    swkas.dump({"key_%07d" % index: np.zeros(1, np.int8) for index in range(100000)}, str(keys))
    array = directory / "array.kas"
    swkas.dump({"x": np.arange(1000000, dtype=np.int64)}, str(array))
    return {"keys": keys, "array": array}


def piped_to_head(tool, argv):
    command = " ".join(shlex.quote(part) for part in tool + argv) + " | head -1"
    result = subprocess.run(["sh", "-c", command], capture_output=True, env=ENV, timeout=120)
    return result.stdout, result.stderr


def assert_quiet(stdout, stderr, first_line):
    assert stdout == first_line
    assert b"Traceback" not in stderr
    assert b"Broken pipe" not in stderr and b"BrokenPipe" not in stderr
    assert stderr == b"", stderr[-500:]


@pytest.mark.parametrize("tool", TOOLS + [pytest.param([sys.executable, "-m", "kastore"], id="reference")])
@pytest.mark.parametrize("argv", [["ls"], ["ls", "-l"], ["ls", "-lH"]], ids=" ".join)
def test_ls_many_keys_into_head(tool, argv):
    path = GOLDEN / "many_keys.py.kas"
    first = run([sys.executable, "-m", "kastore"] + argv + [str(path)])[1].split(b"\n")[0] + b"\n"
    stdout, stderr = piped_to_head(tool, argv + [str(path)])
    assert_quiet(stdout, stderr, first)


@pytest.mark.parametrize("tool", TOOLS)
def test_big_output_into_head(tool, big_stores):
    stdout, stderr = piped_to_head(tool, ["ls", str(big_stores["keys"])])
    assert_quiet(stdout, stderr, b"key_0000000\n")
    stdout, stderr = piped_to_head(tool, ["ls", "-lH", str(big_stores["keys"])])
    assert_quiet(stdout, stderr, b"int8 1 1B key_0000000\n")
    stdout, stderr = piped_to_head(tool, ["dump", str(big_stores["array"]), "x"])
    assert_quiet(stdout, stderr, b"0\n")


HUMAN_SIZES = [0, 1, 999, 1000, 1023, 1024, 1025, 1075, 1076, 1126, 1280, 1536, 1792, 2304, 2816, 10239, 10240,
               102399, 1048524, 1048525, 1048575, 1048576, 1048577, 1310720, 3 * 1048576 + 524288]


@pytest.fixture(scope="module")
def sizes_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sizes") / "sizes.kas"
    data = {"s%08d" % size: np.zeros(size, np.int8) for size in HUMAN_SIZES}
    data["f64_1280"] = np.zeros(160, np.float64)  # 1280 bytes, 160 elements
    data["u16_odd"] = np.zeros(12345, np.uint16)
    swkas.dump(data, str(path))
    return path


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("argv", [["ls", "-lH"], ["ls", "-l"], ["ls", "--long", "-H"]], ids=" ".join)
def test_human_readable_size_boundaries(tool, argv, sizes_store):
    """naturalsize(gnu=True) formatting at the unit boundaries and on exact halves (1.25K, 1.75K, ...)."""
    ref = run([sys.executable, "-m", "kastore"] + argv + [str(sizes_store)])
    assert ref[0] == 0
    ours = run(tool + argv + [str(sizes_store)])
    assert ours[:2] == ref[:2]


def sparse_store(path, items):
    """Writes a valid store of zero-filled arrays without materialising them: the header,
    descriptors and keys, then a sparse extension to file_size (spec 1.6 layout).
    items: [(key bytes, type code, length)]."""
    item_size = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 8, 7: 8, 8: 4, 9: 8}
    items = sorted(items)
    offset = 64 + 64 * len(items)
    key_starts = []
    for key, _, _ in items:
        key_starts.append(offset)
        offset += len(key)
    array_starts = []
    for _, code, length in items:
        offset = (offset + 7) // 8 * 8
        array_starts.append(offset)
        offset += length * item_size[code]
    file_size = offset
    header = b"\x89KAS\r\n\x1a\n" + (1).to_bytes(2, "little") + (0).to_bytes(2, "little")
    header += len(items).to_bytes(4, "little") + file_size.to_bytes(8, "little") + bytes(40)
    descriptors = b""
    for (key, code, length), key_start, array_start in zip(items, key_starts, array_starts):
        descriptors += bytes([code]) + bytes(7) + key_start.to_bytes(8, "little") + len(key).to_bytes(8, "little")
        descriptors += array_start.to_bytes(8, "little") + length.to_bytes(8, "little") + bytes(24)
    with open(path, "wb") as f:
        f.write(header + descriptors + b"".join(key for key, _, _ in items))
        f.truncate(file_size)
    return path


@pytest.fixture(scope="module")
def huge_sparse_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sparse") / "huge.kas"
    sizes = [2 ** 30 - 1, 2 ** 30 - 52 * 1024, 2 ** 30 - 51 * 1024, 2 ** 30, 5 * 2 ** 30 + 2 ** 29,
             2 ** 40 - 1, 2 ** 40 + 2 ** 38]
    items = [(b"b%016d" % size, 1, size) for size in sizes]  # uint8: bytes == elements
    items.append((b"u64", 7, 2 ** 37 - 1))  # 2^40 - 8 bytes
    try:
        sparse_store(path, items)
    except OSError as error:  # a file system without sparse files or this file size
        if path.exists():
            path.unlink()
        pytest.skip("cannot create a sparse %s: %s" % (path, error))
    yield path
    path.unlink()  # 2 TB apparent size: never leave it behind


@pytest.mark.parametrize("tool", TOOLS)
def test_human_readable_sizes_of_huge_arrays(tool, huge_sparse_store):
    """G and T boundaries, on a sparse file the tools only need to list (ls reads no array)."""
    ref = run([sys.executable, "-m", "kastore", "ls", "-lH", str(huge_sparse_store)])
    assert ref[0] == 0, ref[2]
    ours = run(tool + ["ls", "-lH", str(huge_sparse_store)])
    assert ours[:2] == ref[:2], ours[2].decode(errors="replace")[-300:]
    ref_long = run([sys.executable, "-m", "kastore", "ls", "-l", str(huge_sparse_store)])
    assert run(tool + ["ls", "-l", str(huge_sparse_store)])[:2] == ref_long[:2]
