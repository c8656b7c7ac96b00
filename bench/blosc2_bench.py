"""swkas's Blosc2 chunk engine against python-blosc2, in one run, on the same data.

    python3 bench/blosc2_bench.py [--mb 100] [--reps 5]

For each dataset (a float64 linspace and a random walk, --mb megabytes each),
each configuration (codec, filter, clevel 5, typesize 8, the same blocksize for
both) and 1 and 2 threads, the whole buffer is one chunk, compressed and
decompressed by both libraries (--reps runs each, alternating, medians). The
table gives both throughputs and their ratio (python-blosc2 time / swkas time,
so > 1 means swkas is faster), both compression ratios, and swkas's throughput
as a fraction of a memcpy of the same bytes (numpy.copyto into a preallocated
array) and of raw single-thread LZ4 (python-blosc2, LZ4 clevel 1, no filter).
The verdict compares the smaller of the compress and decompress ratios with the
target; a summary gives each configuration's worst ratios over the datasets.
"""
import argparse
import statistics
import sys
import time

import blosc2
import numpy as np

import swkas

CONFIGS = [
    ("LZ4 + SHUFFLE", swkas.Codec.LZ4, swkas.Filter.SHUFFLE, 1.0),
    ("ZSTD + SHUFFLE", swkas.Codec.ZSTD, swkas.Filter.SHUFFLE, 0.9),
    ("ZLIB + SHUFFLE", swkas.Codec.ZLIB, swkas.Filter.SHUFFLE, 0.9),
    ("LZ4 + BITSHUFFLE", swkas.Codec.LZ4, swkas.Filter.BITSHUFFLE, 0.7),
]
BLOCKSIZE = 512 * 1024  # c-blosc2's own choice for LZ4/ZSTD + SHUFFLE, clevel 5, typesize 8


def median_time(function, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_medians(functions, reps):
    """Median time of each function, run in turn, the order reversed every other rep."""
    times = [[] for _ in functions]
    for rep in range(reps):
        order = list(range(len(functions)))
        if rep % 2:
            order.reverse()
        for index in order:
            start = time.perf_counter()
            functions[index]()
            times[index].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    n = args.mb * 1024 * 1024 // 8
    datasets = {
        "linspace": np.linspace(0, 1, n),
        "random walk": np.cumsum(np.random.default_rng(1).normal(size=n)),
    }
    size_mb = n * 8 / 1e6
    print("swkas %s vs python-blosc2 %s (c-blosc2 %s); %.0f MB float64 per dataset, one chunk; clevel 5, "
          "typesize 8, blocksize %d; median of %d" % (swkas.__version__, blosc2.__version__,
                                                     blosc2.blosclib_version.split()[0], size_mb, BLOCKSIZE, args.reps))
    print("ratio = python-blosc2 time / swkas time (> 1: swkas faster); vs memcpy, vs LZ4 = swkas throughput as a "
          "fraction of memcpy's and of raw single-thread LZ4's")
    worst = {}
    for name, data in datasets.items():
        raw = data.tobytes()
        copy = np.empty_like(data)
        np.copyto(copy, data)  # touch the pages once
        memcpy = median_time(lambda: np.copyto(copy, data), max(args.reps, 5))
        target = bytearray(len(raw))
        lz4_raw = blosc2.compress2(raw, codec=blosc2.Codec.LZ4, clevel=1, filters=[], typesize=8, nthreads=1)
        lz4_c, lz4_d = paired_medians(
            [lambda: blosc2.compress2(raw, codec=blosc2.Codec.LZ4, clevel=1, filters=[], typesize=8, nthreads=1),
             lambda: blosc2.decompress2(lz4_raw, dst=target, nthreads=1)], args.reps)
        print("\n%s: memcpy %.0f MB/s; raw single-thread LZ4 compress %.0f MB/s, decompress %.0f MB/s"
              % (name, size_mb / memcpy, size_mb / lz4_c, size_mb / lz4_d))
        print("%-17s %3s | %-25s | %-25s | %-13s | %-11s | %-11s | %s"
              % ("", "", "compress MB/s", "decompress MB/s", "comp. ratio", "vs memcpy", "vs LZ4", ""))
        print("%-17s %3s | %7s %7s %9s | %7s %7s %9s | %6s %6s | %5s %5s | %5s %5s | %s"
              % ("config", "thr", "swkas", "blosc2", "ratio", "swkas", "blosc2", "ratio", "swkas", "blosc2",
                 "c", "d", "c", "d", "target"))
        for label, codec, filter_, target_ratio in CONFIGS:
            for threads in (1, 2):
                ours_kw = dict(codec=codec, clevel=5, typesize=8, filters=[filter_], blocksize=BLOCKSIZE,
                               nthreads=threads)
                ref_kw = dict(codec=blosc2.Codec(int(codec)), clevel=5, typesize=8,
                              filters=[blosc2.Filter(int(filter_))], blocksize=BLOCKSIZE, nthreads=threads)
                ours_chunk = swkas.compress2(raw, **ours_kw)
                ref_chunk = blosc2.compress2(raw, **ref_kw)
                assert blosc2.decompress2(ours_chunk) == raw and swkas.decompress2(ref_chunk) == raw
                oc, rc, od, rd = paired_medians(
                    [lambda: swkas.compress2(raw, **ours_kw), lambda: blosc2.compress2(raw, **ref_kw),
                     lambda: swkas.decompress2(ours_chunk, dst=target, nthreads=threads),
                     lambda: blosc2.decompress2(ref_chunk, dst=target, nthreads=threads)], args.reps)
                c_ratio, d_ratio = rc / oc, rd / od
                verdict = "met" if min(c_ratio, d_ratio) >= target_ratio else "MISSED"
                key = (label, threads)
                previous = worst.get(key, (c_ratio, d_ratio, target_ratio))
                worst[key] = (min(previous[0], c_ratio), min(previous[1], d_ratio), target_ratio)
                print("%-17s %3d | %7.0f %7.0f %9.2f | %7.0f %7.0f %9.2f | %6.2f %6.2f | %5.2f %5.2f | %5.2f %5.2f "
                      "| >= %.1f %s"
                      % (label, threads, size_mb / oc, size_mb / rc, c_ratio, size_mb / od, size_mb / rd, d_ratio,
                         len(raw) / len(ours_chunk), len(raw) / len(ref_chunk), memcpy / oc, memcpy / od,
                         lz4_c / oc, lz4_d / od, target_ratio, verdict))
    print("\nsummary: worst ratio over the datasets")
    print("%-17s %3s | %8s %8s | %s" % ("config", "thr", "compress", "decomp.", "target"))
    for (label, threads), (c_ratio, d_ratio, target_ratio) in worst.items():
        verdict = "met" if min(c_ratio, d_ratio) >= target_ratio else "MISSED"
        print("%-17s %3d | %8.2f %8.2f | >= %.1f %s" % (label, threads, c_ratio, d_ratio, target_ratio, verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
