"""swkas (Python) against the reference kastore package's engine="c", in one run.

    python3 bench/python_bench.py [--quick] [--reps N] [--dir DIR]

Rows (median of --reps runs, ours and the reference alternating; ratio =
reference time / our time, so > 1 means swkas is faster):
  dump 1 GiB           dump() of a dict of 8 float64 arrays (128 MiB each) to a path.
                       Ours replaces the file atomically and fsyncs it; the
                       reference truncates and writes in place without fsync.
  load + touch 1 GiB   load() of that file, then a reduction over every byte of
                       every array (np.bitwise_xor.reduce over uint64 views).
  load + 3 keys        load() of that file, then 3 arrays fetched (first and last
                       element read). The reference's C engine reads the whole file.
  100k keys dump       dump() of 100,000 keys of 1-10 int32 each.
  100k keys load       load() of that file and dict() of every array.
  100k keys dump+load  the two together (the issue's target row).
Both sides read from the page cache: every file is read once, untimed, first.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import kastore
import numpy as np

import swkas


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def touch(arrays):
    checksum = 0
    for array in arrays:
        checksum ^= int(np.bitwise_xor.reduce(array.view(np.uint64))) if array.nbytes % 8 == 0 else int(
            array.view(np.uint8).sum())
    return checksum


def compare(name, reference, ours, reps, target):
    ref_times, our_times = [], []
    for rep in range(reps):
        pair = [(reference, ref_times), (ours, our_times)]
        if rep % 2:
            pair.reverse()
        for function, times in pair:
            times.append(timed(function))
    ref, our = statistics.median(ref_times), statistics.median(our_times)
    ratio = ref / our if our > 0 else float("inf")
    verdict = "met" if ratio >= target else "MISSED"
    print("%-22s %10.4f s %10.4f s %9.2f   >= %-5g %s" % (name, ref, our, ratio, target, verdict), flush=True)
    return ref, our


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64 MiB and 20,000 keys, for a smoke run")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dir", default=None, help="scratch directory (default: a new one under $TMPDIR)")
    args = parser.parse_args()

    big_elements = (1 << 20) if args.quick else (1 << 24)  # per array; 8 arrays
    key_count = 20_000 if args.quick else 100_000
    scratch = tempfile.mkdtemp(prefix="swkas-pybench-", dir=args.dir)
    print("swkas %s (library %s) vs kastore %s engine=c; %d x %d float64, %d keys; median of %d"
          % (swkas.__version__, swkas.library_version, kastore.__version__, 8, big_elements, key_count, args.reps))
    print("%-22s %12s %12s %9s   %s" % ("row", "reference", "swkas", "ratio", "target"))
    try:
        rng = np.random.default_rng(1)
        big = {"array_%d" % i: rng.random(big_elements) for i in range(8)}
        ref_path, our_path = os.path.join(scratch, "ref.kas"), os.path.join(scratch, "ours.kas")

        compare("dump 1 GiB" if not args.quick else "dump 64 MiB",
                lambda: kastore.dump(big, ref_path, engine="c"), lambda: swkas.dump(big, our_path), args.reps, 1.0)
        with open(ref_path, "rb") as a, open(our_path, "rb") as b:
            assert a.read() == b.read(), "the two files differ"
        touch(kastore.load(ref_path, engine="c").values())  # warm the page cache

        def ref_touch():
            touch(kastore.load(ref_path, engine="c").values())

        def our_touch():
            with swkas.load(our_path) as store:
                touch(store.values())

        compare("load + touch every byte", ref_touch, our_touch, args.reps, 1.5)

        keys = ["array_1", "array_4", "array_7"]

        def ref_three():
            data = kastore.load(ref_path, engine="c")
            return [(data[k][0], data[k][-1]) for k in keys]

        def our_three():
            with swkas.load(our_path) as store:
                return [(store[k][0], store[k][-1]) for k in keys]

        assert ref_three() == our_three()
        compare("load + 3 keys", ref_three, our_three, args.reps, 100.0)
        del big

        many = {"key_%07d" % i: np.arange(i % 10 + 1, dtype=np.int32) for i in rng.permutation(key_count)}
        ref_many, our_many = os.path.join(scratch, "ref-many.kas"), os.path.join(scratch, "ours-many.kas")
        # The reference's writer is quadratic: one run each is plenty.
        label = "%dk keys" % (key_count // 1000)
        ref_dump, our_dump = compare(label + " dump", lambda: kastore.dump(many, ref_many, engine="c"),
                                     lambda: swkas.dump(many, our_many), 1, 20.0)
        with open(ref_many, "rb") as a, open(our_many, "rb") as b:
            assert a.read() == b.read(), "the two files differ"

        def our_load_all():
            with swkas.load(our_many) as store:
                return dict(store)

        ref_load, our_load = compare(label + " load + dict", lambda: kastore.load(ref_many, engine="c"),
                                     our_load_all, args.reps, 1.0)
        ratio = (ref_dump + ref_load) / (our_dump + our_load)
        print("%-22s %10.4f s %10.4f s %9.2f   >= %-5g %s" % (
            label + " dump + load", ref_dump + ref_load, our_dump + our_load, ratio, 20.0,
            "met" if ratio >= 20 else "MISSED"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
