"""Full reads of one 10000 x 10000 float64 b2nd file (written by python-blosc2), python-blosc2
and swkas alternating read by read in one process after a warm-up allocation, so both meet the
same memory conditions. ndarray_bench.py's read row (write, then read, per library) swings by
seconds with the kernel's cost for fresh 800 MB arrays; this isolates the read. Prints every
read and the median ratio.

    python3 bench/ndarray_full_read.py [--size N] [--reps R] [--file PATH]
"""
import argparse
import os
import statistics
import tempfile
import time

import blosc2
import numpy as np

import swkas


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000, help="N x N float64 (default 10000)")
    parser.add_argument("--reps", type=int, default=5, help="reads per library and thread count (default 5)")
    parser.add_argument("--file", default=None, help="the file to write and read (default: a temporary one)")
    args = parser.parse_args()
    path = args.file or os.path.join(tempfile.mkdtemp(prefix="swkas-fullread-"), "data.b2nd")
    n = args.size
    data = np.random.default_rng(0).standard_normal((n, n)).cumsum(axis=1)
    chunk = min(1000, n)
    blosc2.asarray(data, chunks=(chunk, chunk), blocks=(min(100, chunk),) * 2, urlpath=path, mode="w",
                   cparams=blosc2.CParams(codec=blosc2.Codec.LZ4, clevel=5, filters=[blosc2.Filter.SHUFFLE]))
    # The first large allocation a process touches pays for assembling huge pages: pay it here.
    warm = np.empty_like(data)
    warm[...] = 0
    del warm
    for threads in (1, 2):
        theirs = blosc2.open(path, dparams=blosc2.DParams(nthreads=threads))
        ours = swkas.open(path, mode="r")
        ours.nthreads = threads
        times = {"blosc2": [], "swkas": []}
        for _ in range(args.reps):
            for name, array in (("blosc2", theirs), ("swkas", ours)):
                start = time.perf_counter()
                result = array[...]
                times[name].append(time.perf_counter() - start)
                assert np.array_equal(result, data), name
                del result
        med = {name: statistics.median(values) for name, values in times.items()}
        print("%d thread(s): blosc2 %s | swkas %s | median ratio blosc2/swkas %.2f"
              % (threads, " ".join("%.3f" % t for t in times["blosc2"]), " ".join("%.3f" % t for t in times["swkas"]),
                 med["blosc2"] / med["swkas"]))
    if not args.file:
        os.remove(path)
        os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    main()
