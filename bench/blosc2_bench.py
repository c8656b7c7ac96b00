"""swkas's Blosc2 chunk engine against python-blosc2, in one run, on the same data.

    python3 bench/blosc2_bench.py [--mb 100] [--reps 5]

For each dataset (a float64 linspace and a random walk, --mb megabytes each),
each configuration (codec, filter, clevel 5, typesize 8, the same blocksize for
both) and 1 and 2 threads: compression and decompression throughput of both
(median of --reps runs, alternating), the ratios (swkas / python-blosc2, so
> 1 means swkas is faster), both compression ratios, and swkas's throughput as
a fraction of a raw memcpy and of raw single-thread LZ4 (python-blosc2 with
clevel 1, no filter: the library's own LZ4 path) on the same machine.
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
    print("swkas %s vs python-blosc2 %s; %.0f MB float64 per dataset; clevel 5, typesize 8, blocksize %d; "
          "median of %d" % (swkas.__version__, blosc2.__version__, size_mb, BLOCKSIZE, args.reps))
    for name, data in datasets.items():
        raw = data.tobytes()
        target = bytearray(len(raw))
        memcpy = median_time(lambda: target.__setitem__(slice(None), raw), args.reps)
        lz4_raw = blosc2.compress2(raw, codec=blosc2.Codec.LZ4, clevel=1, filters=[], typesize=8, nthreads=1)
        lz4_c = median_time(lambda: blosc2.compress2(raw, codec=blosc2.Codec.LZ4, clevel=1, filters=[],
                                                     typesize=8, nthreads=1), args.reps)
        lz4_d = median_time(lambda: blosc2.decompress2(lz4_raw, nthreads=1), args.reps)
        print("\n%s: memcpy %.0f MB/s; raw single-thread LZ4 compress %.0f MB/s, decompress %.0f MB/s"
              % (name, size_mb / memcpy, size_mb / lz4_c, size_mb / lz4_d))
        print("%-17s %3s | %9s %9s %6s | %9s %9s %6s | %7s %7s | %s"
              % ("config", "thr", "c swkas", "c blosc2", "ratio", "d swkas", "d blosc2", "ratio", "cr swk",
                 "cr b2", "target / swkas vs memcpy, LZ4"))
        for label, codec, filter_, target_ratio in CONFIGS:
            for threads in (1, 2):
                ours_kw = dict(codec=codec, clevel=5, typesize=8, filters=[filter_], blocksize=BLOCKSIZE,
                               nthreads=threads)
                ref_kw = dict(codec=blosc2.Codec(int(codec)), clevel=5, typesize=8,
                              filters=[blosc2.Filter(int(filter_))], blocksize=BLOCKSIZE, nthreads=threads)
                ours_chunk = swkas.compress2(raw, **ours_kw)
                ref_chunk = blosc2.compress2(raw, **ref_kw)
                assert blosc2.decompress2(ours_chunk) == raw and swkas.decompress2(ref_chunk) == raw
                oc, rc = [], []
                od, rd = [], []
                for rep in range(args.reps):
                    pairs = [(lambda: swkas.compress2(raw, **ours_kw), oc), (lambda: blosc2.compress2(raw, **ref_kw), rc),
                             (lambda: swkas.decompress2(ours_chunk, dst=target, nthreads=threads), od),
                             (lambda: blosc2.decompress2(ref_chunk, dst=target, nthreads=threads), rd)]
                    if rep % 2:
                        pairs = [pairs[1], pairs[0], pairs[3], pairs[2]]
                    for function, times in pairs:
                        start = time.perf_counter()
                        function()
                        times.append(time.perf_counter() - start)
                oc, rc, od, rd = (statistics.median(t) for t in (oc, rc, od, rd))
                c_ratio, d_ratio = rc / oc, rd / od
                verdict = "met" if min(c_ratio, d_ratio) >= target_ratio else "MISSED"
                print("%-17s %3d | %7.0f/s %7.0f/s %6.2f | %7.0f/s %7.0f/s %6.2f | %7.2f %7.2f | >= %.1f %s; "
                      "c %.2f memcpy %.2f LZ4, d %.2f memcpy %.2f LZ4"
                      % (label, threads, size_mb / oc, size_mb / rc, c_ratio, size_mb / od, size_mb / rd, d_ratio,
                         len(raw) / len(ours_chunk), len(raw) / len(ref_chunk), target_ratio, verdict,
                         memcpy / oc, lz4_c / oc, memcpy / od, lz4_d / od))
    return 0


if __name__ == "__main__":
    sys.exit(main())
