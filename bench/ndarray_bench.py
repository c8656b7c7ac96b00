"""swkas N-d arrays against python-blosc2 NDArray and python-caterva, in one run, same parameters.

    python3 bench/ndarray_bench.py [--size 10000] [--reps 3] [--windows 200] [--dir DIR]

One float64 array of --size x --size items (default 10000 x 10000, 800 MB), chunks
1000 x 1000, blocks 100 x 100, LZ4 clevel 5 + SHUFFLE, for 1 and 2 threads. For each library:

  write     create the array from the NumPy array into a new contiguous file
  read      open the file and read every item into NumPy
  window    read a 100 x 100 window at a random position (latency; median of --windows)
  column    read one whole column at a random position (median of --windows // 10 + 1)
  set       overwrite one 1000 x 1000 chunk-aligned region at a random position of the open file
            with new values (the data there + a constant; median of --reps * 3)

Every row is the median of its runs; the libraries alternate inside each repetition, in an
order that flips every repetition. Ratios are library time / swkas time, so > 1 means swkas is
faster. Files go to --dir (default: a new temporary directory, removed at the end).
Results are checked (the values read equal the data written) outside the timed intervals.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import blosc2
import caterva
import numpy as np

import swkas

CODEC, CLEVEL = 1, 5  # LZ4
WINDOW = 100


def make_data(n):
    """A smooth field plus noise, quantized to 1/64 like digitized measurements: LZ4 + SHUFFLE
    compresses it about 4x (unquantized noise would give about 1.2x)."""
    rng = np.random.default_rng(42)
    x = np.sin(np.arange(n) / 50.0)
    y = np.cos(np.arange(n) / 70.0)
    data = np.add.outer(x, y) * 100.0
    data += rng.normal(0.0, 1.0, (n, n))
    np.round(data * 64.0, out=data)
    data /= 64.0
    return data


class Blosc2Side:
    name = "blosc2"

    def __init__(self, threads):
        self.threads = threads
        blosc2.set_nthreads(threads)
        self.cparams = blosc2.CParams(codec=blosc2.Codec.LZ4, clevel=CLEVEL, filters=[blosc2.Filter.SHUFFLE],
                                      filters_meta=[0], nthreads=threads)
        self.dparams = blosc2.DParams(nthreads=threads)

    def write(self, path, data, chunks, blocks):
        blosc2.asarray(data, urlpath=path, mode="w", chunks=chunks, blocks=blocks, cparams=self.cparams,
                       dparams=self.dparams)

    def open(self, path):
        # only dparams: cparams passed to open() replace the frame's (blocksize 0 = automatic), and
        # chunks written with them no longer match the b2nd blocks (reads then fail). Compression
        # threads come from the frame header, written with nthreads=threads.
        return blosc2.open(path, mode="a", dparams=self.dparams)

    def read_all(self, h):
        return h[...]

    def get(self, h, key):
        return h[key]

    def set(self, h, key, value):
        h[key] = value

    def close(self, h):
        del h

    def used_threads(self, h):
        return h.dparams.nthreads


class CatervaSide:
    name = "caterva"

    def __init__(self, threads):
        self.threads = threads

    def write(self, path, data, chunks, blocks):
        if os.path.exists(path):
            caterva.remove(path)
        caterva.asarray(data, urlpath=path, contiguous=True, chunks=chunks, blocks=blocks, codec=caterva.Codec.LZ4,
                        clevel=CLEVEL, filters=[caterva.Filter.SHUFFLE], filtersmeta=[0], nthreads=self.threads)

    def open(self, path):
        # caterva.open takes no parameters: its reads and writes use the library defaults (1 thread)
        return caterva.open(path)

    def read_all(self, h):
        return np.frombuffer(h.to_buffer(), dtype=np.float64).reshape(h.shape)

    def get(self, h, key):
        return h[key].view(np.float64)

    def set(self, h, key, value):
        h[key] = value

    def close(self, h):
        del h

    def used_threads(self, h):
        return 1


class SwkasSide:
    name = "swkas"
    #: fsync on creation and every update (swkas's default); --no-durable matches the references,
    #: which never fsync (updates stay atomic if the process dies).
    durable = True

    def __init__(self, threads):
        self.threads = threads

    def write(self, path, data, chunks, blocks):
        swkas.asarray(data, urlpath=path, mode="w", chunks=chunks, blocks=blocks, codec=swkas.Codec.LZ4,
                      clevel=CLEVEL, filters=[swkas.Filter.SHUFFLE], filtersmeta=[0], nthreads=self.threads,
                      durable=self.durable).close()

    def open(self, path):
        h = swkas.open(path, mode="a", durable=self.durable)
        h.nthreads = self.threads  # the frame stores no thread count worth trusting; set it per handle
        return h

    def read_all(self, h):
        return h[...]

    def get(self, h, key):
        return h[key]

    def set(self, h, key, value):
        h[key] = value

    def close(self, h):
        h.close()

    def used_threads(self, h):
        return h.nthreads


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run(args):
    n = args.size
    chunks = (min(1000, n), min(1000, n))
    blocks = (min(100, chunks[0]), min(100, chunks[1]))
    data = make_data(n)
    rng = np.random.default_rng(7)
    size_mb = data.nbytes / 1e6
    print("swkas %s (lib %s) vs python-blosc2 %s (c-blosc2 %s) vs python-caterva %s"
          % (swkas.__version__, swkas.library_version, blosc2.__version__, blosc2.blosclib_version.split()[0],
             caterva.__version__))
    print("float64 %d x %d (%.0f MB), chunks %s, blocks %s, LZ4 clevel %d + SHUFFLE; files in %s"
          % (n, n, size_mb, chunks, blocks, CLEVEL, args.dir))
    print("swkas %s" % ("fsyncs every write and set (durable, its default)" if SwkasSide.durable
                         else "skips fsync (--no-durable), as the references always do"))
    # The first large allocation a process touches pays for the kernel assembling huge pages
    # (about 2 s for 800 MB here); pay it once up front so it lands on no library's row. Later
    # fresh pages still cost each full read some page faults, varying run to run: use --reps.
    warm = np.empty_like(data)
    warm[...] = 0
    del warm
    rows = []
    for threads in (1, 2):
        sides = [Blosc2Side(threads), CatervaSide(threads), SwkasSide(threads)]
        paths = {s.name: os.path.join(args.dir, "bench_%s_%d.%s" % (s.name, threads, "cat" if s.name == "caterva"
                                                                       else "b2nd")) for s in sides}
        times = {s.name: {op: [] for op in ("write", "read", "window", "column", "set")} for s in sides}
        info = {}
        for rep in range(args.reps):
            order = sides if rep % 2 == 0 else sides[::-1]
            for side in order:
                path = paths[side.name]
                t, _ = timed(lambda: side.write(path, data, chunks, blocks))
                times[side.name]["write"].append(t)
                t, got = timed(lambda: side.read_all(side.open(path)))
                times[side.name]["read"].append(t)
                if rep == 0:
                    assert np.array_equal(got, data), side.name + ": full read differs"
                    info[side.name] = os.path.getsize(path)
                del got
        # windows, columns and sets on one open handle per library, positions shared by all
        nwin = args.windows
        win_pos = [(int(rng.integers(0, n - WINDOW + 1)), int(rng.integers(0, n - WINDOW + 1))) for _ in range(nwin)]
        col_pos = [int(rng.integers(0, n)) for _ in range(nwin // 10 + 1)]
        nchunk = n // chunks[0]
        set_pos = [(int(rng.integers(0, nchunk)) * chunks[0], int(rng.integers(0, nchunk)) * chunks[1])
                   for _ in range(args.reps * 3)]
        handles = {s.name: s.open(paths[s.name]) for s in sides}
        used = {s.name: s.used_threads(handles[s.name]) for s in sides}
        for k, (i, j) in enumerate(win_pos):
            for side in (sides if k % 2 == 0 else sides[::-1]):
                key = (slice(i, i + WINDOW), slice(j, j + WINDOW))
                t, got = timed(lambda: side.get(handles[side.name], key))
                times[side.name]["window"].append(t)
                if k < 5:
                    assert np.array_equal(got, data[key]), side.name + ": window differs"
        for k, j in enumerate(col_pos):
            for side in (sides if k % 2 == 0 else sides[::-1]):
                key = (slice(None), j)
                t, got = timed(lambda: side.get(handles[side.name], key))
                times[side.name]["column"].append(t)
                if k < 2:
                    assert np.array_equal(np.ravel(got), data[:, j]), side.name + ": column differs"
        for k, (i, j) in enumerate(set_pos):
            key = (slice(i, i + chunks[0]), slice(j, j + chunks[1]))
            value = data[key] + (k + 1) * 1000.0  # as compressible as the data, never a constant
            for side in (sides if k % 2 == 0 else sides[::-1]):
                t, _ = timed(lambda: side.set(handles[side.name], key, value))
                times[side.name]["set"].append(t)
        last_i, last_j = set_pos[-1]
        last_key = (slice(last_i, last_i + chunks[0]), slice(last_j, last_j + chunks[1]))
        for side in sides:
            got = side.get(handles[side.name], last_key)
            assert np.array_equal(got, data[last_key] + len(set_pos) * 1000.0), side.name + ": set region differs"
            side.close(handles[side.name])
        final_sizes = {s.name: os.path.getsize(paths[s.name]) for s in sides}
        for op in ("write", "read", "window", "column", "set"):
            med = {s.name: statistics.median(times[s.name][op]) for s in sides}
            rows.append((op, threads, med, len(times["swkas"][op]), used))
        print("\n%d thread(s): file sizes after write: %s; after the sets: %s; threads used for reading: %s"
              % (threads, ", ".join("%s %.1f MB" % (k, v / 1e6) for k, v in info.items()),
                 ", ".join("%s %.1f MB" % (k, v / 1e6) for k, v in final_sizes.items()),
                 ", ".join("%s %s" % kv for kv in used.items())))
        if not args.keep:
            for side in sides:
                if os.path.isdir(paths[side.name]):
                    shutil.rmtree(paths[side.name])
                elif os.path.exists(paths[side.name]):
                    os.remove(paths[side.name])
    print("\n%-7s %3s %5s | %12s %12s %12s | %9s %9s" % ("op", "thr", "runs", "blosc2", "caterva", "swkas",
                                                        "b2/swkas", "cat/swkas"))
    for op, threads, med, runs, _ in rows:
        def fmt(t):
            return "%9.2f ms" % (t * 1e3) if t < 1 else "%10.3f s" % t
        print("%-7s %3d %5d | %12s %12s %12s | %9.2f %9.2f" % (op, threads, runs, fmt(med["blosc2"]),
                                                                 fmt(med["caterva"]), fmt(med["swkas"]),
                                                                 med["blosc2"] / med["swkas"],
                                                                 med["caterva"] / med["swkas"]))
    print("\nratios: library time / swkas time (> 1: swkas faster). write/read throughput, swkas: "
          + ", ".join("%d thr %.0f / %.0f MB/s" % (thr, size_mb / med_w["swkas"], size_mb / med_r["swkas"])
                      for (_, thr, med_w, _, _), (_, _, med_r, _, _) in zip(rows[0::5], rows[1::5])))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000, help="items per side (default 10000)")
    parser.add_argument("--no-durable", action="store_true",
                        help="swkas skips fsync, as python-blosc2 and caterva always do (default: swkas fsyncs)")
    parser.add_argument("--reps", type=int, default=5, help="full writes/reads per library (default 5)")
    parser.add_argument("--windows", type=int, default=200, help="100 x 100 window reads per library")
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    args = parser.parse_args()
    if args.size < 100:
        parser.error("--size must be at least 100")
    SwkasSide.durable = not args.no_durable
    made = args.dir is None
    if made:
        args.dir = tempfile.mkdtemp(prefix="swkas-ndbench-")
    try:
        run(args)
    finally:
        if made and not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
