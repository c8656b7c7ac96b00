"""Crash safety of N-d array files: a writer process is SIGKILLed at random points.

include/swkas.h promises that set_slice, resize and vlmeta_set update a file so that after a
crash it holds either the old or the new values of the whole call, and that creation writes a
temporary file renamed into place (the target appears whole or not at all).

The updater test replays a deterministic sequence of operations (whole-chunk and multi-chunk
regions set to values unique to the operation, resizes, vlmeta sets). The writer reports each
operation before ("B i") and after ("D i") the call, with unbuffered writes to a pipe. After
each kill, the file must open in swkas and in python-blosc2 and hold exactly the state after
the last finished operation, or after the one in flight; the next writer continues from there.
"""
import importlib.util
import os
import pathlib
import random
import signal
import subprocess
import sys
import textwrap
import time

import blosc2
import numpy as np
import pytest

import swkas

ROOT = pathlib.Path(__file__).resolve().parents[2]

OPS_MODULE = textwrap.dedent('''
    """The operation sequence shared by the writer process and the test (pure functions of i)."""
    import random
    import sys

    import numpy as np

    BASE = (60, 60)
    GROWN = (70, 60)
    CHUNKS = (10, 10)
    BLOCKS = (5, 5)


    def initial():
        return np.arange(BASE[0] * BASE[1], dtype=np.int64).reshape(BASE)


    def op(i):
        r = i % 50
        if r == 24:
            return ("resize", GROWN)
        if r == 49:
            return ("resize", BASE)
        if i % 7 == 3:
            return ("vlmeta", {"i": i, "pad": "x" * (i % 40)})
        shape = GROWN if 25 <= r < 49 else BASE
        rng = random.Random(i)
        box = []
        for s, c in zip(shape, CHUNKS):
            n = s // c
            first = rng.randrange(n)
            count = rng.randint(1, min(4, n - first))
            box.append((first * c, (first + count) * c))
        return ("set", tuple(box), i)


    def values(box, i):
        shp = tuple(b - a for a, b in box)
        return np.arange(int(np.prod(shp)), dtype=np.int64).reshape(shp) + (i + 1) * 1_000_000


    def apply(state, i):
        """(array, vlmeta) after operation i."""
        arr, vl = state
        kind, *args = op(i)
        if kind == "resize":
            new = np.zeros(args[0], dtype=np.int64)
            common = tuple(slice(0, min(a, b)) for a, b in zip(arr.shape, args[0]))
            new[common] = arr[common]
            return new, vl
        if kind == "vlmeta":
            return arr, args[0]
        box, _ = args
        arr = arr.copy()
        arr[tuple(slice(a, b) for a, b in box)] = values(box, i)
        return arr, vl


    def writer(path, start):
        import os
        import swkas
        out = sys.stdout.fileno()
        with swkas.open(path) as a:
            os.write(out, b"R\\n")
            i = start
            while True:
                kind, *args = op(i)
                os.write(out, b"B %d\\n" % i)
                if kind == "resize":
                    a.resize(args[0])
                elif kind == "vlmeta":
                    a.vlmeta["gen"] = args[0]
                else:
                    box, _ = args
                    a[tuple(slice(x, y) for x, y in box)] = values(box, i)
                os.write(out, b"D %d\\n" % i)
                i += 1


    def creator(path, n, overwrite):
        import os
        import swkas
        data = np.random.default_rng(n).random((n, n))
        os.write(sys.stdout.fileno(), b"R\\n")
        import time
        t = time.monotonic()
        swkas.asarray(data, urlpath=path, chunks=(256, 256), blocks=(64, 64), mode="w" if overwrite else "a")
        os.write(sys.stdout.fileno(), b"D %f\\n" % (time.monotonic() - t))


    if __name__ == "__main__":
        if sys.argv[1] == "writer":
            writer(sys.argv[2], int(sys.argv[3]))
        else:
            creator(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
''')

KILLS = int(os.environ.get("SWKAS_CRASH_KILLS", "60"))
TIME_BUDGET = float(os.environ.get("SWKAS_CRASH_SECONDS", "45"))


@pytest.fixture(scope="module")
def ops_module(tmp_path_factory):
    path = tmp_path_factory.mktemp("crashops") / "crash_ops.py"
    path.write_text(OPS_MODULE)
    spec = importlib.util.spec_from_file_location("crash_ops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child_env():
    env = dict(os.environ)
    if os.environ.get("SWKAS_TEST_SOURCE"):
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "python"), env.get("PYTHONPATH", "")])
    return env


def start(ops_module, *args):
    # bufsize=0: readline must not read ahead, communicate() reads the pipe's descriptor directly
    proc = subprocess.Popen([sys.executable, ops_module.__file__, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env(), bufsize=0)
    line = proc.stdout.readline()
    if line != b"R\n":
        proc.kill()
        raise AssertionError(f"child did not start: {line!r} {proc.stderr.read().decode()[-2000:]}")
    return proc


def kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    return out.decode(), err.decode()


def read_swkas(path):
    with swkas.open(path, mode="r") as a:
        return np.asarray(a[...]), (a.vlmeta["gen"] if "gen" in a.vlmeta else None)


def read_blosc2(path):
    ref = blosc2.open(str(path), mode="r")
    from_file = np.asarray(ref[...])
    vl = ref.vlmeta.getall()
    return from_file, vl.get("gen")


def same(got, state):
    arr, vl = got
    want, want_vl = state
    return arr.shape == want.shape and arr.dtype == want.dtype and np.array_equal(arr, want) and vl == want_vl


def test_sigkill_during_updates_leaves_old_or_new_state(tmp_path, ops_module):
    path = tmp_path / "a.b2nd"
    m = ops_module
    with swkas.asarray(m.initial(), urlpath=path, chunks=m.CHUNKS, blocks=m.BLOCKS, codec=swkas.Codec.LZ4):
        pass
    index, state = 0, (m.initial(), None)
    rng = random.Random(20240611)
    t0 = time.monotonic()
    kills = in_flight = new_state_after_flight = 0
    while kills < KILLS and time.monotonic() - t0 < TIME_BUDGET:
        proc = start(m, "writer", path, index)
        time.sleep(rng.uniform(0.0, 0.35))
        out, err = kill(proc)
        kills += 1
        assert "Traceback" not in err, err[-3000:]
        begun = [int(x.split()[1]) for x in out.splitlines() if x.startswith("B ")]
        done = [int(x.split()[1]) for x in out.splitlines() if x.startswith("D ")]
        assert begun == list(range(index, index + len(begun))) and done == begun[:len(done)]
        # replay the finished operations
        for i in done:
            state = m.apply(state, i)
        index += len(done)
        candidates = [state]
        if len(begun) > len(done):  # killed during operation `index`
            in_flight += 1
            candidates.append(m.apply(state, index))
        ours = read_swkas(path)
        matched = [k for k, c in enumerate(candidates) if same(ours, c)]
        assert matched, (f"kill {kills}: after {len(done)} finished operations (next {index}: {m.op(index)[0]}), "
                         f"swkas reads neither the old nor the new state; shape {ours[0].shape}")
        theirs = read_blosc2(path)
        assert same(theirs, candidates[matched[0]]), f"kill {kills}: python-blosc2 reads another state than swkas"
        if matched[0] == 1:
            new_state_after_flight += 1
            state = candidates[1]
            index += 1
    print(f"\n{kills} kills, {index} operations, {in_flight} kills during an operation "
          f"({new_state_after_flight} of them had committed), file {os.path.getsize(path)} B, "
          f"directory {sorted(p.name for p in tmp_path.iterdir())}")
    assert kills >= min(KILLS, 20)
    assert in_flight >= min(5, kills // 4), "the kills never landed inside an operation"
    # the file is still a good citizen: python-blosc2 can update it, swkas compacts it
    ref = blosc2.open(str(path), mode="a")
    ref[0:10, 0:10] = np.full((10, 10), -1, np.int64)
    del ref
    arr, vl = state
    arr = arr.copy()
    arr[0:10, 0:10] = -1
    with swkas.open(path) as a:
        assert np.array_equal(a[...], arr)
        with a.copy(urlpath=tmp_path / "compact.b2nd") as c:
            assert np.array_equal(c[...], arr)
    assert os.path.getsize(tmp_path / "compact.b2nd") <= os.path.getsize(path)


@pytest.mark.parametrize("overwrite", [False, True], ids=["create", "overwrite"])
def test_sigkill_during_creation_never_leaves_a_partial_file(tmp_path, ops_module, overwrite):
    path = tmp_path / "new.b2nd"
    n = 1500
    expected = np.random.default_rng(n).random((n, n))
    old = np.arange(12.0).reshape(3, 4)
    # how long a creation takes here, to spread the kills over it
    proc = start(ops_module, "creator", tmp_path / "timing.b2nd", n, 0)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    duration = float(out.split()[1]) * 1.3
    rng = random.Random(7 + overwrite)
    outcomes = {"absent": 0, "old": 0, "new": 0}
    for k in range(8):
        if path.exists():
            swkas.remove(path)
        if overwrite:
            with swkas.asarray(old, urlpath=path):
                pass
        proc = start(ops_module, "creator", path, n, int(overwrite))
        time.sleep(rng.uniform(0.0, 2 * duration))
        out, err = kill(proc)
        assert "Traceback" not in err, err[-3000:]
        if not path.exists():
            assert not overwrite, "overwriting removed the old file"
            outcomes["absent"] += 1
            continue
        with swkas.open(path, mode="r") as a:
            got = np.asarray(a[...])
        ref = np.asarray(blosc2.open(str(path), mode="r")[...])
        assert got.tobytes() == ref.tobytes()
        if overwrite and got.shape == old.shape:
            assert np.array_equal(got, old)
            outcomes["old"] += 1
        else:
            assert np.array_equal(got, expected), "a partial or damaged file at the target path"
            outcomes["new"] += 1
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("new.b2nd", "timing.b2nd"))
    print(f"\noutcomes {outcomes}; creation takes {duration:.2f} s; other files left: {leftovers}")
    assert outcomes["absent" if not overwrite else "old"] >= 1, "no kill landed before the rename"
