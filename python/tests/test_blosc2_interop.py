"""Blosc2 chunks against python-blosc2 4.14.1, both directions, bytes compared:
chunks swkas writes decode in python-blosc2 to the input, and chunks
python-blosc2 writes decode in swkas to the same bytes python-blosc2 gets."""
import itertools
import random

import blosc2
import numpy as np
import pytest

import swkas

CODECS = [swkas.Codec.LZ4, swkas.Codec.LZ4HC, swkas.Codec.ZLIB, swkas.Codec.ZSTD]
FILTER_SETS = [[], [swkas.Filter.SHUFFLE], [swkas.Filter.BITSHUFFLE], [swkas.Filter.DELTA],
               [swkas.Filter.SHUFFLE, swkas.Filter.BITSHUFFLE], [swkas.Filter.DELTA, swkas.Filter.SHUFFLE]]
TYPESIZES = [1, 2, 3, 4, 8, 12, 16]
SIZES = [0, 1, 7, 31, 32, 33, 1000, 4101, 65536 + 13, 3 * 1024 * 1024 + 5]
CLEVELS = [0, 1, 5, 9]
SPLITS = [swkas.SplitMode.ALWAYS_SPLIT, swkas.SplitMode.NEVER_SPLIT, swkas.SplitMode.AUTO_SPLIT]
KINDS = ["runs", "zeros", "constant", "random", "smooth", "walk"]


def make_data(kind, size, seed):
    rng = np.random.default_rng(seed)
    if kind == "zeros":
        return bytes(size)
    if kind == "constant":
        return (b"\x2a\x07\x00\xff" * (size // 4 + 1))[:size]
    if kind == "random":
        return rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    if kind == "runs":
        return np.repeat(rng.integers(0, 256, size // 50 + 1, dtype=np.uint8), 50)[:size].tobytes()
    if kind == "smooth":
        return np.linspace(0, 1000, size // 8 + 1).tobytes()[:size]
    return np.cumsum(rng.normal(size=size // 8 + 1)).tobytes()[:size]


def cases():
    """Every codec x filter set x typesize, each with sizes, levels, split
    modes and data kinds drawn in rotation, plus a seeded random sample."""
    chosen = []
    rotation = itertools.count()
    for codec, filters, typesize in itertools.product(CODECS, FILTER_SETS, TYPESIZES):
        for _ in range(2):
            k = next(rotation)
            chosen.append((codec, filters, typesize, SIZES[k % len(SIZES)], CLEVELS[k % len(CLEVELS)],
                           SPLITS[k % len(SPLITS)], KINDS[k % len(KINDS)]))
    rng = random.Random(7)
    for _ in range(200):
        chosen.append((rng.choice(CODECS), rng.choice(FILTER_SETS), rng.choice(TYPESIZES), rng.choice(SIZES),
                       rng.choice(CLEVELS), rng.choice(SPLITS), rng.choice(KINDS)))
    return chosen


def delta_unusable(filters, typesize, size):
    # c-blosc2 cannot decode DELTA over a partial last unit; swkas refuses to write it.
    unit = typesize if typesize in (1, 2, 4, 8) else (8 if typesize % 8 == 0 else 1)
    return swkas.Filter.DELTA in filters and size % unit != 0


@pytest.mark.parametrize("codec,filters,typesize,size,clevel,split,kind", cases(),
                         ids=lambda v: getattr(v, "name", str(v)))
def test_both_directions(codec, filters, typesize, size, clevel, split, kind):
    data = make_data(kind, size, seed=size + typesize)
    options = dict(codec=codec, clevel=clevel, typesize=typesize, filters=filters, splitmode=split)
    reference_options = dict(codec=blosc2.Codec(int(codec)), clevel=clevel, typesize=typesize,
                             filters=[blosc2.Filter(int(f)) for f in filters], splitmode=blosc2.SplitMode(int(split)),
                             nthreads=1)
    if delta_unusable(filters, typesize, size):
        with pytest.raises(ValueError):
            swkas.compress2(data, **options)
        return
    ours = swkas.compress2(data, **options)
    assert swkas.compress2(data, nthreads=2, **options) == ours  # threads never change the bytes
    assert len(ours) <= size + 32
    assert blosc2.decompress2(ours) == data
    assert swkas.decompress2(ours) == data
    theirs = blosc2.compress2(data, **reference_options)
    for threads in (1, 2):
        assert swkas.decompress2(theirs, nthreads=threads) == data


@pytest.mark.parametrize("typesize,meta", [(4, 10), (4, 1), (4, -3), (8, 20), (8, -50), (8, 51)])
def test_trunc_prec_matches_reference(typesize, meta):
    data = np.linspace(-3, 7, 40000).astype(np.float32 if typesize == 4 else np.float64).tobytes()
    filters = [swkas.Filter.TRUNC_PREC, swkas.Filter.SHUFFLE]
    ours = swkas.compress2(data, typesize=typesize, filters=filters, filters_meta=[meta & 0xFF, 0])
    theirs = blosc2.compress2(data, typesize=typesize, filters=[blosc2.Filter.TRUNC_PREC, blosc2.Filter.SHUFFLE],
                              filters_meta=[meta, 0], nthreads=1)
    assert blosc2.decompress2(ours) == blosc2.decompress2(theirs) == swkas.decompress2(theirs)


def test_default_parameters_match_python_blosc2():
    data = np.arange(100000, dtype=np.float64).tobytes()
    ours, theirs = swkas.compress2(data), blosc2.compress2(data, nthreads=1)
    # Same header (codec, typesize, nbytes, blocksize, flags, filters); cbytes
    # depends on the zstd build, so it may differ by a few bytes.
    assert ours[:12] == theirs[:12] and ours[16:32] == theirs[16:32]
    assert blosc2.decompress2(ours) == data


def test_decompress2_into_dst_and_errors():
    data = np.arange(1000, dtype=np.int32).tobytes()
    chunk = swkas.compress2(data, typesize=4)
    target = bytearray(len(data))
    assert swkas.decompress2(chunk, dst=target) is None and bytes(target) == data
    with pytest.raises(ValueError):
        swkas.decompress2(b"garbage" * 10)
    with pytest.raises(ValueError):
        swkas.compress2(data, codec=swkas.Codec.BLOSCLZ)  # decoded only
    with pytest.raises(ValueError):
        swkas.compress2(data, clevel=10)
    with pytest.raises(TypeError):
        swkas.compress2(data, bogus=1)
    assert [c.value for c in swkas.Codec] == [0, 1, 2, 4, 5]
    assert swkas.SplitMode.AUTO_SPLIT == blosc2.SplitMode.AUTO_SPLIT.value
