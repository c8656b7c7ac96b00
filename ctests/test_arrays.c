/* The N-d array API of swkas.h (swkas_array_*): creation in memory and in
 * files for 0-d to 15-d arrays, strided slices checked against a naive C
 * model, updates, resizes, frames, copies with every codec and filter,
 * metalayers and vlmeta, read-only handles, every error path, damaged
 * files, and concurrent readers (and a writer) on one handle. */
#include "testutil.h"

#include <kastore.h>
#include <swkas.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* A naive model: C-order items, strided selections.                  */

static uint64_t
rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ULL;
}

static int64_t
rng_below(uint64_t *state, int64_t n)
{
    return n <= 0 ? 0 : (int64_t) (rng_next(state) % (uint64_t) n);
}

static int64_t
product(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) {
        n *= shape[d];
    }
    return n;
}

/* Items of a selection (per axis in n[] when n is not NULL). */
static size_t
sel_count(int ndim, const int64_t *start, const int64_t *stop, const int64_t *step, int64_t *n)
{
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        int64_t s = step ? step[d] : 1;
        int64_t k = (stop[d] - start[d] + s - 1) / s;
        if (n) {
            n[d] = k;
        }
        count *= (size_t) k;
    }
    return count;
}

/* Copies a selection of the C-order array arr out to buf (to_buf) or from
 * buf into arr, one item at a time. */
static void
ref_copy(unsigned char *arr, int ndim, const int64_t *shape, size_t itemsize, const int64_t *start,
    const int64_t *stop, const int64_t *step, unsigned char *buf, int to_buf)
{
    int64_t n[SWKAS_MAX_DIM], idx[SWKAS_MAX_DIM] = { 0 };
    size_t count = sel_count(ndim, start, stop, step, n);
    for (size_t k = 0; k < count; k++) {
        int64_t lin = 0;
        for (int d = 0; d < ndim; d++) {
            lin = lin * shape[d] + start[d] + idx[d] * (step ? step[d] : 1);
        }
        if (to_buf) {
            memcpy(buf + k * itemsize, arr + (size_t) lin * itemsize, itemsize);
        } else {
            memcpy(arr + (size_t) lin * itemsize, buf + k * itemsize, itemsize);
        }
        for (int d = ndim - 1; d >= 0; d--) {
            if (++idx[d] < n[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}

/* Deterministic item bytes that differ from item to item. */
static unsigned char *
pattern(size_t nitems, size_t itemsize, unsigned seed)
{
    unsigned char *data = malloc(nitems * itemsize + 1);
    for (size_t i = 0; i < nitems; i++) {
        for (size_t j = 0; j < itemsize; j++) {
            data[i * itemsize + j] = (unsigned char) ((i * 7 + j * 13 + seed) ^ (i >> 8) ^ (j * i >> 3));
        }
    }
    return data;
}

/* A smooth float64 signal with full mantissas. */
static double *
smooth(size_t n)
{
    double *values = malloc(n * sizeof(double) + 1);
    for (size_t i = 0; i < n; i++) {
        values[i] = (double) i / 3.0 + (double) (i % 11) * 0.7071;
    }
    return values;
}

/* ------------------------------------------------------------------ */
/* Geometries.                                                        */

typedef struct {
    const char *name;
    int ndim;
    int64_t shape[SWKAS_MAX_DIM];
    int32_t chunks[SWKAS_MAX_DIM];
    int32_t blocks[SWKAS_MAX_DIM];
    int32_t itemsize;
    const char *dtype;
} geom_t;

static const geom_t geoms[] = {
    { "0-d", 0, { 0 }, { 0 }, { 0 }, 8, "<f8" },
    { "1-d edge", 1, { 100 }, { 30 }, { 7 }, 4, "<i4" },
    { "1-d itemsize 3", 1, { 50 }, { 16 }, { 5 }, 3, "|S3" },
    { "1-d itemsize 300", 1, { 20 }, { 8 }, { 3 }, 300, "|S300" },
    { "2-d spec", 2, { 10, 10 }, { 4, 4 }, { 2, 2 }, 8, "<f8" },
    { "2-d edge", 2, { 37, 23 }, { 10, 7 }, { 3, 4 }, 2, "<u2" },
    { "3-d", 3, { 7, 9, 11 }, { 3, 4, 5 }, { 2, 3, 2 }, 1, "|u1" },
    { "4-d no dtype", 4, { 4, 5, 6, 7 }, { 2, 3, 4, 5 }, { 1, 2, 3, 2 }, 8, NULL },
    { "15-d", 15, { 2, 1, 3, 2, 1, 2, 1, 2, 3, 1, 2, 1, 2, 1, 2 },
        { 1, 1, 2, 2, 1, 1, 1, 2, 2, 1, 1, 1, 2, 1, 1 }, { 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1 }, 2,
        "<i2" },
    { "zero-size", 2, { 0, 5 }, { 2, 2 }, { 1, 1 }, 8, "<f8" },
    { "one chunk", 2, { 6, 6 }, { 6, 6 }, { 6, 6 }, 4, "<f4" },
};
#define NGEOMS (sizeof geoms / sizeof geoms[0])

static void
params_of(const geom_t *g, swkas_array_params_t *p)
{
    swkas_array_params_init(p);
    p->ndim = g->ndim;
    for (int d = 0; d < g->ndim; d++) {
        p->shape[d] = g->shape[d];
        p->chunks[d] = g->chunks[d];
        p->blocks[d] = g->blocks[d];
    }
    p->itemsize = g->itemsize;
    p->dtype = g->dtype;
}

static size_t
nbytes_of(const geom_t *g)
{
    return (size_t) product(g->ndim, g->shape) * (size_t) g->itemsize;
}

/* Reads every item (NULL on error, with the code in *err). */
static unsigned char *
read_all(const swkas_array_t *a, size_t *nbytes, int *err)
{
    swkas_array_params_t p;
    int ret = swkas_array_get_params(a, &p);
    *err = ret;
    if (ret != 0) {
        return NULL;
    }
    int64_t start[SWKAS_MAX_DIM] = { 0 };
    size_t n = (size_t) product(p.ndim, p.shape) * (size_t) p.itemsize;
    unsigned char *buf = malloc(n + 1);
    ret = swkas_array_get_slice(a, start, p.shape, NULL, buf, n);
    *err = ret;
    if (ret != 0) {
        free(buf);
        return NULL;
    }
    *nbytes = n;
    return buf;
}

/* The array holds exactly the items of expected (shape from its params). */
static void
check_values(const swkas_array_t *a, const void *expected, size_t expected_size)
{
    size_t n = 0;
    int err = 0;
    unsigned char *got = read_all(a, &n, &err);
    CHECK_INT(err, 0);
    if (got != NULL) {
        CHECK_BUF(got, n, expected, expected_size);
    }
    free(got);
}

static void
check_geometry(const swkas_array_t *a, const geom_t *g)
{
    swkas_array_params_t p;
    REQUIRE_INT(swkas_array_get_params(a, &p), 0);
    CHECK_INT(p.ndim, g->ndim);
    for (int d = 0; d < g->ndim; d++) {
        CHECK_INT(p.shape[d], g->shape[d]);
        if (g->chunks[d] != 0) {
            CHECK_INT(p.chunks[d], g->chunks[d]);
            CHECK_INT(p.blocks[d], g->blocks[d]);
        }
    }
    CHECK_INT(p.itemsize, g->itemsize);
    REQUIRE(p.dtype != NULL);
    if (g->dtype != NULL) {
        CHECK_STR(p.dtype, g->dtype);
    } else {
        char s[32];
        snprintf(s, sizeof s, "|S%d", (int) g->itemsize);
        CHECK_STR(p.dtype, s);
    }
    CHECK_INT(p.nmeta, 0);
    CHECK_PTR_EQ(p.meta_names, NULL);

    swkas_array_stats_t st;
    REQUIRE_INT(swkas_array_get_stats(a, &st), 0);
    int64_t nitems = product(g->ndim, g->shape);
    CHECK_INT(st.nitems, nitems);
    CHECK_INT(st.nbytes, nitems * g->itemsize);
    CHECK_INT(st.has_b2nd, 1);
    CHECK_INT(st.has_caterva, 0);
    CHECK_INT(st.readonly, 0);
    int64_t nchunks = 1, chunk_items = 1, block_items = 1;
    for (int d = 0; d < g->ndim; d++) {
        int64_t c = g->chunks[d], b = g->blocks[d];
        nchunks *= c == 0 ? 0 : (g->shape[d] + c - 1) / c;
        chunk_items *= b == 0 ? 0 : (c + b - 1) / b * b;
        block_items *= b;
    }
    CHECK_INT(st.nchunks, nchunks);
    if (nitems > 0) {
        CHECK_INT(st.chunk_nbytes, chunk_items * g->itemsize);
        CHECK_INT(st.block_nbytes, block_items * g->itemsize);
        CHECK_INT(st.frame_nbytes, nchunks * chunk_items * g->itemsize);
    } else {
        CHECK_INT(st.frame_nbytes, 0);
        CHECK_INT(st.cbytes, 0);
    }
    CHECK(st.cbytes >= 0 && st.cbytes < st.frame_size);
}

enum { MK_EMPTY, MK_ZEROS, MK_FULL, MK_BUFFER };
static const char *const mk_names[] = { "empty", "zeros", "full", "from_buffer" };

static int
make(int kind, const swkas_array_params_t *p, const char *path, int flags, const void *fill, const void *buf,
    size_t size, swkas_array_t **a)
{
    switch (kind) {
    case MK_EMPTY:
        return swkas_array_empty(p, path, flags, a);
    case MK_ZEROS:
        return swkas_array_zeros(p, path, flags, a);
    case MK_FULL:
        return swkas_array_full(p, path, flags, fill, a);
    default:
        return swkas_array_from_buffer(p, path, flags, buf, size, a);
    }
}

/* ------------------------------------------------------------------ */
/* Creation.                                                          */

static void
test_params_init(void)
{
    swkas_array_params_t p;
    memset(&p, 0xab, sizeof p);
    swkas_array_params_init(&p);
    CHECK_INT(p.ndim, 0);
    for (int d = 0; d < SWKAS_MAX_DIM; d++) {
        CHECK_INT(p.shape[d], 0);
        CHECK_INT(p.chunks[d], 0);
        CHECK_INT(p.blocks[d], 0);
    }
    CHECK_INT(p.itemsize, 8);
    CHECK_PTR_EQ(p.dtype, NULL);
    CHECK_INT(p.cparams.codec, SWKAS_CODEC_LZ4);
    CHECK_INT(p.cparams.clevel, 5);
    for (int i = 0; i < SWKAS_MAX_FILTERS - 1; i++) {
        CHECK_INT(p.cparams.filters[i], SWKAS_FILTER_NOFILTER);
        CHECK_INT(p.cparams.filters_meta[i], 0);
    }
    CHECK_INT(p.cparams.filters[5], SWKAS_FILTER_SHUFFLE);
    CHECK_INT(p.cparams.filters_meta[5], 0);
    CHECK_INT(p.cparams.nthreads, 1);
    CHECK_INT(p.cparams.splitmode, SWKAS_SPLIT_AUTO);
    CHECK_INT(p.nmeta, 0);
    CHECK_PTR_EQ(p.meta_names, NULL);
    CHECK_PTR_EQ(p.meta_values, NULL);
    CHECK_PTR_EQ(p.meta_sizes, NULL);
    swkas_array_params_init(NULL); /* no crash */
}

static void
test_create_every_kind(void)
{
    for (size_t gi = 0; gi < NGEOMS; gi++) {
        const geom_t *g = &geoms[gi];
        size_t nitems = (size_t) product(g->ndim, g->shape), nbytes = nbytes_of(g);
        unsigned char *data = pattern(nitems, (size_t) g->itemsize, (unsigned) gi);
        unsigned char *zeros = calloc(nbytes + 1, 1);
        unsigned char *fill = malloc((size_t) g->itemsize);
        unsigned char *filled = malloc(nbytes + 1);
        for (int j = 0; j < g->itemsize; j++) {
            fill[j] = (unsigned char) (0xa0 + j * 3);
        }
        for (size_t i = 0; i < nitems; i++) {
            memcpy(filled + i * (size_t) g->itemsize, fill, (size_t) g->itemsize);
        }
        swkas_array_params_t p;
        params_of(g, &p);
        for (int kind = MK_EMPTY; kind <= MK_BUFFER; kind++) {
            const unsigned char *expected = kind == MK_FULL ? filled : kind == MK_BUFFER ? data : zeros;
            for (int in_file = 0; in_file < 2; in_file++) {
                char path[4096];
                snprintf(path, sizeof path, "%s", tu_path("create.b2nd"));
                tu_context("%s %s %s", g->name, mk_names[kind], in_file ? "file" : "memory");
                swkas_array_t *a = NULL;
                int ret = make(kind, &p, in_file ? path : NULL, in_file ? SWKAS_ARRAY_OVERWRITE : 0, fill, data,
                    nbytes, &a);
                CHECK_INT(ret, 0);
                if (ret != 0) {
                    continue;
                }
                check_geometry(a, g);
                check_values(a, expected, nbytes);
                swkas_array_stats_t st;
                CHECK_INT(swkas_array_get_stats(a, &st), 0);
                CHECK_INT(st.in_memory, !in_file);
                size_t fsize = 0;
                CHECK_INT(swkas_array_to_cframe(a, NULL, 0, &fsize), SWKAS_ERR_BUFFER_TOO_SMALL);
                CHECK_INT((int64_t) fsize, st.frame_size);
                if (in_file) {
                    CHECK_INT(tu_file_size(path), st.frame_size);
                }
                swkas_array_free(a);
                if (in_file) {
                    a = NULL;
                    CHECK_INT(swkas_array_open(path, 0, &a), 0);
                    if (a != NULL) {
                        check_geometry(a, g);
                        check_values(a, expected, nbytes);
                        CHECK_INT(swkas_array_get_stats(a, &st), 0);
                        CHECK_INT(st.in_memory, 0);
                    }
                    swkas_array_free(a);
                    CHECK_INT(swkas_array_remove(path), 0);
                    CHECK_INT(tu_file_size(path), -1);
                }
            }
        }
        free(data);
        free(zeros);
        free(fill);
        free(filled);
    }
    tu_context_clear();
}

/* An all-zero array costs a few bytes per chunk (special chunks). */
static void
test_empty_is_small(void)
{
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = 1000;
    p.shape[1] = 1000;
    p.chunks[0] = 100;
    p.chunks[1] = 100;
    p.blocks[0] = 20;
    p.blocks[1] = 50;
    p.dtype = "<f8";
    for (int kind = MK_EMPTY; kind <= MK_ZEROS; kind++) {
        swkas_array_t *a = NULL;
        REQUIRE_INT(make(kind, &p, NULL, 0, NULL, NULL, 0, &a), 0);
        swkas_array_stats_t st;
        CHECK_INT(swkas_array_get_stats(a, &st), 0);
        CHECK_INT(st.nchunks, 100);
        CHECK(st.frame_size < 100 * 64 + 1024);
        int64_t start[2] = { 95, 195 }, stop[2] = { 105, 205 };
        double buf[100];
        memset(buf, 0xff, sizeof buf);
        CHECK_INT(swkas_array_get_slice(a, start, stop, NULL, buf, sizeof buf), 0);
        double zeros[100] = { 0 };
        CHECK_MEM(buf, zeros, sizeof buf);
        swkas_array_free(a);
    }
}

/* All-zero chunks and blocks in the parameters are chosen automatically. */
static void
test_automatic_chunks(void)
{
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 3;
    p.shape[0] = 30;
    p.shape[1] = 200;
    p.shape[2] = 70;
    p.itemsize = 4;
    p.dtype = "<i4";
    size_t nitems = 30 * 200 * 70;
    unsigned char *data = pattern(nitems, 4, 9);
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * 4, &a), 0);
    swkas_array_params_t got;
    CHECK_INT(swkas_array_get_params(a, &got), 0);
    for (int d = 0; d < 3; d++) {
        CHECK(got.chunks[d] >= 1);
        CHECK(got.blocks[d] >= 1);
        CHECK(got.blocks[d] <= got.chunks[d]);
    }
    check_values(a, data, nitems * 4);
    swkas_array_free(a);

    /* Chunks given, blocks all 0: blocks chosen inside the chunks. */
    p.chunks[0] = 7;
    p.chunks[1] = 50;
    p.chunks[2] = 33;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * 4, &a), 0);
    CHECK_INT(swkas_array_get_params(a, &got), 0);
    for (int d = 0; d < 3; d++) {
        CHECK_INT(got.chunks[d], p.chunks[d]);
        CHECK(got.blocks[d] >= 1 && got.blocks[d] <= got.chunks[d]);
    }
    check_values(a, data, nitems * 4);
    swkas_array_free(a);
    free(data);
}

/* The b2nd metalayer is spec section 5.1's bytes; its shape follows resizes. */
static void
test_b2nd_metalayer_bytes(void)
{
    static const unsigned char expected[53] = { 0x97, 0x00, 0x02, 0x92, 0xd3, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xd3, 0,
        0, 0, 0, 0, 0, 0, 0x0a, 0x92, 0xd2, 0, 0, 0, 4, 0xd2, 0, 0, 0, 4, 0x92, 0xd2, 0, 0, 0, 2, 0xd2, 0, 0, 0, 2,
        0x00, 0xdb, 0, 0, 0, 3, '<', 'f', '8' };
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    size_t count = 0, size = 0;
    const char *name = NULL;
    const void *value = NULL;
    CHECK_INT(swkas_array_meta_count(a, &count), 0);
    CHECK_UINT(count, 1);
    CHECK_INT(swkas_array_meta_name(a, 0, &name), 0);
    CHECK_STR(name, "b2nd");
    CHECK_INT(swkas_array_meta_get(a, "b2nd", &value, &size), 0);
    CHECK_BUF(value, size, expected, sizeof expected);
    int64_t shape[2] = { 13, 17 };
    CHECK_INT(swkas_array_resize(a, shape), 0);
    unsigned char resized[53];
    memcpy(resized, expected, sizeof resized);
    resized[12] = 13;
    resized[21] = 17;
    CHECK_INT(swkas_array_meta_get(a, "b2nd", &value, &size), 0);
    CHECK_BUF(value, size, resized, sizeof resized);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* Slices.                                                            */

static void
random_selection(uint64_t *rng, int ndim, const int64_t *shape, int64_t *start, int64_t *stop, int64_t *step)
{
    for (int d = 0; d < ndim; d++) {
        int64_t a = rng_below(rng, shape[d] + 1), b = rng_below(rng, shape[d] + 1);
        if (a > b) {
            int64_t t = a;
            a = b;
            b = t;
        }
        if (rng_below(rng, 8) == 0) {
            a = 0;
            b = shape[d];
        }
        start[d] = a;
        stop[d] = b;
        int64_t r = rng_below(rng, 10);
        step[d] = r < 4 ? 1 : r < 9 ? 1 + rng_below(rng, 4) : shape[d] + 2;
    }
}

static void
check_random_slices(const swkas_array_t *a, const unsigned char *model, int ndim, const int64_t *shape,
    size_t itemsize, uint64_t *rng, int rounds)
{
    size_t cap = (size_t) product(ndim, shape) * itemsize + 16;
    unsigned char *got = malloc(cap), *want = malloc(cap);
    for (int r = 0; r < rounds; r++) {
        int64_t start[SWKAS_MAX_DIM], stop[SWKAS_MAX_DIM], step[SWKAS_MAX_DIM];
        random_selection(rng, ndim, shape, start, stop, step);
        int use_null_step = rng_below(rng, 4) == 0;
        if (use_null_step) {
            for (int d = 0; d < ndim; d++) {
                step[d] = 1;
            }
        }
        size_t n = sel_count(ndim, start, stop, step, NULL) * itemsize;
        ref_copy((unsigned char *) model, ndim, shape, itemsize, start, stop, step, want, 1);
        memset(got, 0x5a, cap);
        int ret = swkas_array_get_slice(a, start, stop, use_null_step ? NULL : step, got, n);
        if (ret != 0 || memcmp(got, want, n) != 0 || got[n] != 0x5a) {
            char desc[512];
            int off = 0;
            for (int d = 0; d < ndim && off < 400; d++) {
                off += snprintf(desc + off, sizeof desc - (size_t) off, "[%lld:%lld:%lld]", (long long) start[d],
                    (long long) stop[d], (long long) step[d]);
            }
            tu_context("selection %s", ndim ? desc : "()");
            CHECK_INT(ret, 0);
            CHECK_MEM(got, want, n);
            CHECK(got[n] == 0x5a); /* nothing written past the selection */
            break;
        }
    }
    free(got);
    free(want);
}

static void
test_get_slice_random(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    for (size_t gi = 0; gi < NGEOMS; gi++) {
        const geom_t *g = &geoms[gi];
        size_t nitems = (size_t) product(g->ndim, g->shape);
        unsigned char *data = pattern(nitems, (size_t) g->itemsize, (unsigned) gi + 100);
        swkas_array_params_t p;
        params_of(g, &p);
        swkas_array_t *a = NULL;
        tu_context("%s", g->name);
        REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * (size_t) g->itemsize, &a), 0);
        check_random_slices(a, data, g->ndim, g->shape, (size_t) g->itemsize, &rng, g->ndim == 0 ? 3 : 400);
        swkas_array_free(a);
        free(data);
    }
    tu_context_clear();
}

/* Every codec and filter set reads the same slices (block selection with DELTA). */
static void
test_get_slice_codecs(void)
{
    const int codecs[] = { SWKAS_CODEC_LZ4, SWKAS_CODEC_LZ4HC, SWKAS_CODEC_ZLIB, SWKAS_CODEC_ZSTD };
    const uint8_t filter_sets[][2] = { { 0, 0 }, { 0, SWKAS_FILTER_SHUFFLE }, { 0, SWKAS_FILTER_BITSHUFFLE },
        { 0, SWKAS_FILTER_DELTA }, { SWKAS_FILTER_DELTA, SWKAS_FILTER_SHUFFLE } };
    uint64_t rng = 12345;
    const geom_t *g = &geoms[5];
    size_t nitems = (size_t) product(g->ndim, g->shape);
    unsigned char *data = pattern(nitems, 2, 77);
    for (size_t c = 0; c < 4; c++) {
        for (size_t f = 0; f < 5; f++) {
            swkas_array_params_t p;
            params_of(g, &p);
            p.cparams.codec = codecs[c];
            p.cparams.filters[4] = filter_sets[f][0];
            p.cparams.filters[5] = filter_sets[f][1];
            tu_context("codec %d filters %d %d", codecs[c], filter_sets[f][0], filter_sets[f][1]);
            swkas_array_t *a = NULL;
            REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * 2, &a), 0);
            check_random_slices(a, data, g->ndim, g->shape, 2, &rng, 60);
            swkas_array_free(a);
        }
    }
    tu_context_clear();
    free(data);
}

static void
test_get_slice_edges(void)
{
    const geom_t *g = &geoms[4];
    size_t nitems = 100;
    unsigned char *data = pattern(nitems, 8, 5);
    swkas_array_params_t p;
    params_of(g, &p);
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * 8, &a), 0);
    unsigned char buf[1024];

    /* An empty selection writes nothing (even with a zero-size buffer). */
    int64_t start[2] = { 3, 4 }, stop[2] = { 3, 9 }, step[2] = { 1, 2 };
    memset(buf, 0x77, sizeof buf);
    CHECK_INT(swkas_array_get_slice(a, start, stop, step, buf, 0), 0);
    CHECK(buf[0] == 0x77);
    /* A larger buffer than needed is fine; only the selection is written. */
    start[0] = 9;
    stop[0] = 10;
    CHECK_INT(swkas_array_get_slice(a, start, stop, step, buf, sizeof buf), 0);
    unsigned char want[24];
    ref_copy(data, 2, g->shape, 8, start, stop, step, want, 1);
    CHECK_MEM(buf, want, 24);
    CHECK(buf[24] == 0x77);
    /* The spec's example: [::2, 1] is 5 items. */
    int64_t s0[2] = { 0, 1 }, e0[2] = { 10, 2 }, st0[2] = { 2, 1 };
    CHECK_INT(swkas_array_get_slice(a, s0, e0, st0, buf, 40), 0);
    for (int i = 0; i < 5; i++) {
        CHECK_MEM(buf + i * 8, data + (size_t) (i * 2 * 10 + 1) * 8, 8);
    }
    /* Steps larger than the extent take the first item only. */
    int64_t s1[2] = { 2, 3 }, e1[2] = { 10, 10 }, st1[2] = { 100, 1000 };
    CHECK_INT(swkas_array_get_slice(a, s1, e1, st1, buf, 8), 0);
    CHECK_MEM(buf, data + (2 * 10 + 3) * 8, 8);
    swkas_array_free(a);
    free(data);

    /* ndim 0 takes NULL vectors. */
    params_of(&geoms[0], &p);
    double v = 3.25, out = 0;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, &v, 8, &a), 0);
    CHECK_INT(swkas_array_get_slice(a, NULL, NULL, NULL, &out, 8), 0);
    CHECK(out == 3.25);
    double nv = -1.5;
    CHECK_INT(swkas_array_set_slice(a, NULL, NULL, NULL, &nv, 8), 0);
    CHECK_INT(swkas_array_get_slice(a, NULL, NULL, NULL, &out, 8), 0);
    CHECK(out == -1.5);
    CHECK_INT(swkas_array_get_slice(a, NULL, NULL, NULL, &out, 7), SWKAS_ERR_BUFFER_TOO_SMALL);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* Updates.                                                           */

static void
set_slice_session(const geom_t *g, int in_file, uint64_t *rng)
{
    size_t itemsize = (size_t) g->itemsize, nitems = (size_t) product(g->ndim, g->shape);
    size_t nbytes = nitems * itemsize;
    unsigned char *model = pattern(nitems, itemsize, 3);
    unsigned char *buf = malloc(nbytes + 16);
    char path[4096];
    snprintf(path, sizeof path, "%s", tu_path("set.b2nd"));
    swkas_array_params_t p;
    params_of(g, &p);
    swkas_array_t *a = NULL;
    tu_context("set_slice %s %s", g->name, in_file ? "file" : "memory");
    REQUIRE_INT(swkas_array_from_buffer(&p, in_file ? path : NULL, in_file ? SWKAS_ARRAY_OVERWRITE : 0, model, nbytes, &a), 0);
    for (int r = 0; r < 40; r++) {
        int64_t start[SWKAS_MAX_DIM], stop[SWKAS_MAX_DIM], step[SWKAS_MAX_DIM];
        random_selection(rng, g->ndim, g->shape, start, stop, step);
        size_t n = sel_count(g->ndim, start, stop, step, NULL) * itemsize;
        for (size_t i = 0; i < n; i++) {
            buf[i] = (unsigned char) rng_next(rng);
        }
        int ret = swkas_array_set_slice(a, start, stop, step, buf, n);
        CHECK_INT(ret, 0);
        if (ret != 0) {
            break;
        }
        ref_copy(model, g->ndim, g->shape, itemsize, start, stop, step, buf, 0);
        if (r % 8 == 7) {
            check_values(a, model, nbytes);
        }
    }
    check_values(a, model, nbytes);
    check_random_slices(a, model, g->ndim, g->shape, itemsize, rng, 50);
    if (in_file) {
        swkas_array_stats_t grown;
        CHECK_INT(swkas_array_get_stats(a, &grown), 0);
        CHECK_INT(tu_file_size(path), grown.frame_size);
        swkas_array_free(a);
        a = NULL;
        REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
        check_geometry(a, g);
        check_values(a, model, nbytes);
        /* The copy is compact. */
        swkas_array_t *c = NULL;
        char cpath[4096];
        snprintf(cpath, sizeof cpath, "%s", tu_path("set-compact.b2nd"));
        CHECK_INT(swkas_array_copy(a, NULL, cpath, SWKAS_ARRAY_OVERWRITE, &c), 0);
        if (c != NULL) {
            check_values(c, model, nbytes);
            CHECK(tu_file_size(cpath) <= tu_file_size(path));
        }
        swkas_array_free(c);
        unlink(cpath);
    }
    /* A frame round trip keeps the updated values. */
    size_t fsize = 0;
    CHECK_INT(swkas_array_to_cframe(a, NULL, 0, &fsize), SWKAS_ERR_BUFFER_TOO_SMALL);
    unsigned char *frame = malloc(fsize);
    CHECK_INT(swkas_array_to_cframe(a, frame, fsize, &fsize), 0);
    swkas_array_t *b = NULL;
    CHECK_INT(swkas_array_from_cframe(frame, fsize, &b), 0);
    if (b != NULL) {
        check_values(b, model, nbytes);
    }
    swkas_array_free(b);
    free(frame);
    swkas_array_free(a);
    if (in_file) {
        CHECK_INT(swkas_array_remove(path), 0);
    }
    free(model);
    free(buf);
    tu_context_clear();
}

static void
test_set_slice(void)
{
    uint64_t rng = 777;
    const size_t which[] = { 1, 2, 4, 5, 6, 7, 8 };
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        for (int in_file = 0; in_file < 2; in_file++) {
            set_slice_session(&geoms[which[i]], in_file, &rng);
        }
    }
}

/* Writing into special chunks (empty/full) and a NOT_DURABLE file. */
static void
test_set_slice_into_special_chunks(void)
{
    swkas_array_params_t p;
    params_of(&geoms[5], &p);
    const geom_t *g = &geoms[5];
    size_t nitems = (size_t) product(2, g->shape);
    unsigned char *model = calloc(nitems * 2, 1);
    unsigned char fill[2] = { 0x34, 0x12 };
    for (int kind = MK_EMPTY; kind <= MK_FULL; kind++) {
        const char *path = tu_path("special.b2nd");
        swkas_array_t *a = NULL;
        REQUIRE_INT(make(kind, &p, path, SWKAS_ARRAY_OVERWRITE | SWKAS_ARRAY_NOT_DURABLE, fill, NULL, 0, &a), 0);
        for (size_t i = 0; i < nitems; i++) {
            if (kind == MK_FULL) {
                memcpy(model + 2 * i, fill, 2);
            } else {
                model[2 * i] = model[2 * i + 1] = 0;
            }
        }
        int64_t start[2] = { 5, 6 }, stop[2] = { 25, 20 }, step[2] = { 3, 2 };
        size_t n = sel_count(2, start, stop, step, NULL);
        unsigned char *buf = pattern(n, 2, 11);
        CHECK_INT(swkas_array_set_slice(a, start, stop, step, buf, n * 2), 0);
        ref_copy(model, 2, g->shape, 2, start, stop, step, buf, 0);
        check_values(a, model, nitems * 2);
        swkas_array_free(a);
        REQUIRE_INT(swkas_array_open(path, SWKAS_ARRAY_NOT_DURABLE, &a), 0);
        check_values(a, model, nitems * 2);
        swkas_array_free(a);
        free(buf);
    }
    free(model);
}

/* ------------------------------------------------------------------ */
/* Resize.                                                            */

static void
expect_resized(unsigned char *out, const unsigned char *old, int ndim, const int64_t *old_shape,
    const int64_t *new_shape, size_t itemsize)
{
    size_t n = (size_t) product(ndim, new_shape);
    memset(out, 0, n * itemsize + 1);
    int64_t start[SWKAS_MAX_DIM] = { 0 }, stop[SWKAS_MAX_DIM];
    for (int d = 0; d < ndim; d++) {
        stop[d] = old_shape[d] < new_shape[d] ? old_shape[d] : new_shape[d];
    }
    size_t common = sel_count(ndim, start, stop, NULL, NULL);
    unsigned char *tmp = malloc(common * itemsize + 1);
    ref_copy((unsigned char *) old, ndim, old_shape, itemsize, start, stop, NULL, tmp, 1);
    ref_copy(out, ndim, new_shape, itemsize, start, stop, NULL, tmp, 0);
    free(tmp);
}

static void
resize_session(const geom_t *g, int in_file)
{
    size_t itemsize = (size_t) g->itemsize;
    int ndim = g->ndim;
    int64_t shape[SWKAS_MAX_DIM];
    memcpy(shape, g->shape, sizeof shape);
    size_t nitems = (size_t) product(ndim, shape);
    unsigned char *model = pattern(nitems, itemsize, 21);
    char path[4096];
    snprintf(path, sizeof path, "%s", tu_path("resize.b2nd"));
    swkas_array_params_t p;
    params_of(g, &p);
    swkas_array_t *a = NULL;
    tu_context("resize %s %s", g->name, in_file ? "file" : "memory");
    REQUIRE_INT(swkas_array_from_buffer(
        &p, in_file ? path : NULL, in_file ? SWKAS_ARRAY_OVERWRITE : 0, model, nitems * itemsize, &a), 0);
    /* grow, shrink, grow past the shrunk area, shrink to zero size, grow */
    int64_t factors[][2] = { { 3, 2 }, { 1, 3 }, { 5, 4 }, { 0, 1 }, { 3, 4 } };
    for (size_t step = 0; step < 5; step++) {
        int64_t next[SWKAS_MAX_DIM];
        for (int d = 0; d < ndim; d++) {
            next[d] = (d % 2 == 0) ? g->shape[d] * factors[step][0] / factors[step][1]
                                   : g->shape[d] + (int64_t) step * 2 - 3;
            if (next[d] < 0) {
                next[d] = 0;
            }
        }
        size_t n = (size_t) product(ndim, next);
        unsigned char *expected = malloc(n * itemsize + 1);
        expect_resized(expected, model, ndim, shape, next, itemsize);
        int ret = swkas_array_resize(a, next);
        CHECK_INT(ret, 0);
        if (ret != 0) {
            free(expected);
            break;
        }
        free(model);
        model = expected;
        memcpy(shape, next, sizeof shape);
        swkas_array_stats_t st;
        CHECK_INT(swkas_array_get_stats(a, &st), 0);
        CHECK_INT(st.nitems, (int64_t) n);
        swkas_array_params_t got;
        CHECK_INT(swkas_array_get_params(a, &got), 0);
        CHECK_MEM(got.shape, next, (size_t) ndim * sizeof(int64_t));
        check_values(a, model, n * itemsize);
        /* writes into the grown area */
        if (n > 0) {
            int64_t start[SWKAS_MAX_DIM], stop[SWKAS_MAX_DIM];
            for (int d = 0; d < ndim; d++) {
                start[d] = next[d] - 1;
                stop[d] = next[d];
            }
            unsigned char item[16];
            memset(item, (int) (0x40 + step), sizeof item);
            CHECK_INT(swkas_array_set_slice(a, start, stop, NULL, item, itemsize), 0);
            ref_copy(model, ndim, shape, itemsize, start, stop, NULL, item, 0);
            check_values(a, model, n * itemsize);
        }
    }
    if (in_file) {
        swkas_array_free(a);
        a = NULL;
        REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
        check_values(a, model, (size_t) product(ndim, shape) * itemsize);
        CHECK_INT(swkas_array_remove(path), 0);
    }
    swkas_array_free(a);
    free(model);
    tu_context_clear();
}

static void
test_resize(void)
{
    const size_t which[] = { 1, 4, 5, 6, 7 };
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        for (int in_file = 0; in_file < 2; in_file++) {
            resize_session(&geoms[which[i]], in_file);
        }
    }
    /* The exact case of the brief: 10x10, shrink to 5x3, grow to 12x12. */
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i + 1;
    }
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data, &a), 0);
    int64_t small[2] = { 5, 3 }, big[2] = { 12, 12 };
    CHECK_INT(swkas_array_resize(a, small), 0);
    CHECK_INT(swkas_array_resize(a, big), 0);
    double got[144], want[144] = { 0 };
    for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 3; j++) {
            want[i * 12 + j] = data[i * 10 + j];
        }
    }
    int64_t zero[2] = { 0, 0 };
    CHECK_INT(swkas_array_get_slice(a, zero, big, NULL, got, sizeof got), 0);
    CHECK_MEM(got, want, sizeof got);
    /* Resizing keeps ndim; negative sizes are refused. */
    int64_t bad[2] = { -1, 4 };
    CHECK_INT(swkas_array_resize(a, bad), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_INT(swkas_array_resize(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_slice(a, zero, big, NULL, got, sizeof got), 0);
    CHECK_MEM(got, want, sizeof got);
    swkas_array_free(a);
    /* ndim 0: NULL shape, value kept. */
    params_of(&geoms[0], &p);
    double v = 9.5, out = 0;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, &v, 8, &a), 0);
    CHECK_INT(swkas_array_resize(a, NULL), 0);
    CHECK_INT(swkas_array_get_slice(a, NULL, NULL, NULL, &out, 8), 0);
    CHECK(out == 9.5);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* Frames and copies.                                                 */

static void
test_cframe_round_trip(void)
{
    const geom_t *g = &geoms[5];
    size_t nitems = (size_t) product(2, g->shape);
    unsigned char *data = pattern(nitems, 2, 44);
    const char *names[] = { "user" };
    const void *values[] = { "\x81\xa1\x61\x01" };
    size_t sizes[] = { 4 };
    swkas_array_params_t p;
    params_of(g, &p);
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, nitems * 2, &a), 0);
    CHECK_INT(swkas_array_vlmeta_set(a, "note", "\xa5hello", 6), 0);

    size_t need = 0, got_size = 0;
    CHECK_INT(swkas_array_to_cframe(a, NULL, 0, &need), SWKAS_ERR_BUFFER_TOO_SMALL);
    REQUIRE(need > 87);
    unsigned char *frame = malloc(need + 8);
    got_size = 0;
    CHECK_INT(swkas_array_to_cframe(a, frame, need - 1, &got_size), SWKAS_ERR_BUFFER_TOO_SMALL);
    CHECK_UINT(got_size, need);
    CHECK_INT(swkas_array_to_cframe(a, frame, need + 8, &got_size), 0);
    CHECK_UINT(got_size, need);
    CHECK_MEM(frame + 2, "b2frame", 8);
    swkas_array_stats_t st;
    CHECK_INT(swkas_array_get_stats(a, &st), 0);
    CHECK(st.frame_size >= (int64_t) need); /* the live frame grew through the vlmeta update */

    swkas_array_t *b = NULL;
    REQUIRE_INT(swkas_array_from_cframe(frame, need, &b), 0);
    memset(frame, 0, need); /* the bytes were copied */
    check_values(b, data, nitems * 2);
    check_geometry(b, g);
    const void *v = NULL;
    size_t vs = 0;
    CHECK_INT(swkas_array_meta_get(b, "user", &v, &vs), 0);
    CHECK_BUF(v, vs, "\x81\xa1\x61\x01", 4);
    CHECK_INT(swkas_array_vlmeta_get(b, "note", &v, &vs), 0);
    CHECK_BUF(v, vs, "\xa5hello", 6);
    CHECK_INT(swkas_array_get_stats(b, &st), 0);
    CHECK_INT(st.in_memory, 1);
    /* The copy in memory is writable. */
    int64_t start[2] = { 0, 0 }, stop[2] = { 1, 1 };
    unsigned char item[2] = { 1, 2 };
    CHECK_INT(swkas_array_set_slice(b, start, stop, NULL, item, 2), 0);
    memcpy(data, item, 2);
    check_values(b, data, nitems * 2);
    swkas_array_free(b);

    /* A file's bytes open as a frame too. */
    const char *path = tu_path("frame.b2nd");
    swkas_array_t *c = NULL;
    REQUIRE_INT(swkas_array_copy(a, NULL, path, 0, &c), 0);
    size_t flen = 0;
    unsigned char *file = tu_read_file(path, &flen);
    REQUIRE(file != NULL);
    swkas_array_t *d = NULL;
    CHECK_INT(swkas_array_from_cframe(file, flen, &d), 0);
    if (d != NULL) {
        unsigned char *orig = pattern(nitems, 2, 44);
        check_values(d, orig, nitems * 2);
        free(orig);
    }
    swkas_array_free(d);
    swkas_array_free(c);
    free(file);
    swkas_array_free(a);
    free(frame);
    free(data);
    unlink(path);
}

static void
check_approx(const swkas_array_t *a, const double *values, size_t n, double rel)
{
    double *got = malloc(n * sizeof(double) + 1);
    int64_t start[2] = { 0, 0 };
    swkas_array_params_t p;
    REQUIRE_INT(swkas_array_get_params(a, &p), 0);
    CHECK_INT(swkas_array_get_slice(a, start, p.shape, NULL, got, n * sizeof(double)), 0);
    size_t bad = 0, differ = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = got[i] - values[i];
        if (diff < 0) {
            diff = -diff;
        }
        double mag = values[i] < 0 ? -values[i] : values[i];
        if (diff > mag * rel) {
            bad++;
        }
        if (got[i] != values[i]) {
            differ++;
        }
    }
    CHECK_UINT(bad, 0);
    CHECK(differ > 0); /* it is lossy */
    free(got);
}

static void
test_copy(void)
{
    const int codecs[] = { SWKAS_CODEC_LZ4, SWKAS_CODEC_LZ4HC, SWKAS_CODEC_ZLIB, SWKAS_CODEC_ZSTD };
    const uint8_t filter_sets[][2] = { { 0, 0 }, { 0, SWKAS_FILTER_SHUFFLE }, { 0, SWKAS_FILTER_BITSHUFFLE },
        { 0, SWKAS_FILTER_DELTA }, { SWKAS_FILTER_DELTA, SWKAS_FILTER_BITSHUFFLE } };
    size_t n = 37 * 23;
    double *values = smooth(n);
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = 37;
    p.shape[1] = 23;
    p.chunks[0] = 10;
    p.chunks[1] = 10;
    p.blocks[0] = 5;
    p.blocks[1] = 5;
    p.dtype = "<f8";
    const char *names[] = { "m" };
    const void *mvalues[] = { "abc" };
    size_t msizes[] = { 3 };
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = mvalues;
    p.meta_sizes = msizes;
    swkas_array_t *src = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, values, n * 8, &src), 0);
    REQUIRE_INT(swkas_array_vlmeta_set(src, "v", "xyz", 3), 0);

    /* NULL params keep everything. */
    swkas_array_t *same = NULL;
    REQUIRE_INT(swkas_array_copy(src, NULL, NULL, 0, &same), 0);
    swkas_array_params_t a, b;
    CHECK_INT(swkas_array_get_params(src, &a), 0);
    CHECK_INT(swkas_array_get_params(same, &b), 0);
    CHECK_INT(b.ndim, 2);
    CHECK_MEM(b.shape, a.shape, sizeof a.shape);
    CHECK_MEM(b.chunks, a.chunks, sizeof a.chunks);
    CHECK_MEM(b.blocks, a.blocks, sizeof a.blocks);
    CHECK_INT(b.cparams.codec, a.cparams.codec);
    CHECK_MEM(b.cparams.filters, a.cparams.filters, SWKAS_MAX_FILTERS);
    CHECK_STR(b.dtype, "<f8");
    check_values(same, values, n * 8);
    swkas_array_free(same);

    for (size_t c = 0; c < 4; c++) {
        for (size_t f = 0; f < 5; f++) {
            swkas_array_params_t q;
            swkas_array_params_init(&q);
            q.ndim = 2;
            q.chunks[0] = 16;
            q.chunks[1] = 9;
            q.blocks[0] = 5;
            q.blocks[1] = 4;
            q.cparams.codec = codecs[c];
            q.cparams.clevel = (int) (c + f) % 10;
            q.cparams.filters[4] = filter_sets[f][0];
            q.cparams.filters[5] = filter_sets[f][1];
            tu_context("copy codec %d filters %d %d", codecs[c], filter_sets[f][0], filter_sets[f][1]);
            int to_file = (c + f) % 3 == 0;
            const char *path = tu_path("copy.b2nd");
            swkas_array_t *copy = NULL;
            int ret = swkas_array_copy(src, &q, to_file ? path : NULL, to_file ? SWKAS_ARRAY_OVERWRITE : 0, &copy);
            CHECK_INT(ret, 0);
            if (ret != 0) {
                continue;
            }
            if (to_file) {
                swkas_array_free(copy);
                copy = NULL;
                REQUIRE_INT(swkas_array_open(path, SWKAS_ARRAY_READONLY, &copy), 0);
            }
            check_values(copy, values, n * 8);
            swkas_array_params_t got;
            CHECK_INT(swkas_array_get_params(copy, &got), 0);
            CHECK_INT(got.shape[0], 37);
            CHECK_INT(got.shape[1], 23);
            CHECK_INT(got.chunks[0], 16);
            CHECK_INT(got.chunks[1], 9);
            CHECK_INT(got.blocks[0], 5);
            CHECK_INT(got.blocks[1], 4);
            CHECK_INT(got.cparams.codec, codecs[c]);
            CHECK_INT(got.cparams.clevel, q.cparams.clevel);
            CHECK_INT(got.cparams.filters[4], filter_sets[f][0]);
            CHECK_INT(got.cparams.filters[5], filter_sets[f][1]);
            CHECK_STR(got.dtype, "<f8");
            const void *v = NULL;
            size_t vs = 0;
            CHECK_INT(swkas_array_meta_get(copy, "m", &v, &vs), 0);
            CHECK_BUF(v, vs, "abc", 3);
            CHECK_INT(swkas_array_vlmeta_get(copy, "v", &v, &vs), 0);
            CHECK_BUF(v, vs, "xyz", 3);
            swkas_array_free(copy);
        }
    }
    tu_context_clear();

    /* TRUNC_PREC keeps 20 mantissa bits of float64. */
    swkas_array_params_t q;
    swkas_array_params_init(&q);
    q.ndim = 2;
    q.chunks[0] = 20;
    q.chunks[1] = 23;
    q.blocks[0] = 4;
    q.blocks[1] = 23;
    q.cparams.codec = SWKAS_CODEC_ZSTD;
    q.cparams.filters[4] = SWKAS_FILTER_TRUNC_PREC;
    q.cparams.filters_meta[4] = 20;
    q.cparams.filters[5] = SWKAS_FILTER_SHUFFLE;
    swkas_array_t *t = NULL;
    CHECK_INT(swkas_array_copy(src, &q, NULL, 0, &t), 0);
    if (t != NULL) {
        check_approx(t, values, n, 1.0 / (1 << 19));
        swkas_array_params_t got;
        CHECK_INT(swkas_array_get_params(t, &got), 0);
        CHECK_INT(got.cparams.filters[4], SWKAS_FILTER_TRUNC_PREC);
        CHECK_INT(got.cparams.filters_meta[4], 20);
    }
    swkas_array_free(t);
    /* TRUNC_PREC precision 0 is invalid. */
    q.cparams.filters_meta[4] = 0;
    t = NULL;
    CHECK_INT(swkas_array_copy(src, &q, NULL, 0, &t), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_PTR_EQ(t, NULL);
    /* Invalid geometry for the copy. */
    swkas_array_params_init(&q);
    q.ndim = 2;
    q.chunks[0] = 4;
    q.chunks[1] = 4;
    q.blocks[0] = 8;
    q.blocks[1] = 2;
    CHECK_INT(swkas_array_copy(src, &q, NULL, 0, &t), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_array_free(src);

    /* float32 TRUNC_PREC with 10 bits. */
    float f32[500];
    double f64[500];
    for (int i = 0; i < 500; i++) {
        f32[i] = (float) i / 7.0f + 0.1f;
        f64[i] = f32[i];
    }
    swkas_array_params_init(&p);
    p.ndim = 1;
    p.shape[0] = 500;
    p.chunks[0] = 128;
    p.blocks[0] = 32;
    p.itemsize = 4;
    p.dtype = "<f4";
    p.cparams.filters[0] = SWKAS_FILTER_TRUNC_PREC;
    p.cparams.filters_meta[0] = 10;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, f32, sizeof f32, &t), 0);
    float got32[500];
    int64_t s0 = 0, e0 = 500;
    CHECK_INT(swkas_array_get_slice(t, &s0, &e0, NULL, got32, sizeof got32), 0);
    size_t bad = 0, differ = 0;
    for (int i = 0; i < 500; i++) {
        double diff = (double) got32[i] - f64[i];
        if (diff < 0) {
            diff = -diff;
        }
        if (diff > f64[i] / 512.0) {
            bad++;
        }
        differ += got32[i] != f32[i];
    }
    CHECK_UINT(bad, 0);
    CHECK(differ > 0);
    swkas_array_free(t);
    free(values);
}

/* ------------------------------------------------------------------ */
/* Metalayers and vlmeta.                                             */

static void
test_meta(void)
{
    const char *names[] = { "alpha", "beta" };
    const void *values[] = { "\x81\xa1\x61\x01", "0123456789" };
    size_t sizes[] = { 4, 10 };
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    p.nmeta = 2;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    for (int in_file = 0; in_file < 2; in_file++) {
        const char *path = in_file ? tu_path("meta.b2nd") : NULL;
        tu_context("meta %s", in_file ? "file" : "memory");
        swkas_array_t *a = NULL;
        REQUIRE_INT(swkas_array_zeros(&p, path, in_file ? SWKAS_ARRAY_OVERWRITE : 0, &a), 0);
        size_t count = 0, size = 0;
        const char *name = NULL;
        const void *value = NULL;
        CHECK_INT(swkas_array_meta_count(a, &count), 0);
        CHECK_UINT(count, 3);
        CHECK_INT(swkas_array_meta_name(a, 0, &name), 0);
        CHECK_STR(name, "b2nd");
        CHECK_INT(swkas_array_meta_name(a, 1, &name), 0);
        CHECK_STR(name, "alpha");
        CHECK_INT(swkas_array_meta_name(a, 2, &name), 0);
        CHECK_STR(name, "beta");
        CHECK_INT(swkas_array_meta_name(a, 3, &name), SWKAS_ERR_INDEX_OUT_OF_RANGE);
        CHECK_INT(swkas_array_meta_get(a, "alpha", &value, &size), 0);
        CHECK_BUF(value, size, values[0], 4);
        CHECK_INT(swkas_array_meta_get(a, "beta", &value, &size), 0);
        CHECK_BUF(value, size, values[1], 10);
        CHECK_INT(swkas_array_meta_get(a, "gamma", &value, &size), KAS_ERR_KEY_NOT_FOUND);

        CHECK_INT(swkas_array_meta_set(a, "beta", "ABCDEFGHIJ", 10), 0);
        CHECK_INT(swkas_array_meta_get(a, "beta", &value, &size), 0);
        CHECK_BUF(value, size, "ABCDEFGHIJ", 10);
        CHECK_INT(swkas_array_meta_set(a, "beta", "short", 5), SWKAS_ERR_INVALID_ARGUMENT);
        CHECK_INT(swkas_array_meta_set(a, "beta", "ABCDEFGHIJK", 11), SWKAS_ERR_INVALID_ARGUMENT);
        CHECK_INT(swkas_array_meta_get(a, "beta", &value, &size), 0);
        CHECK_BUF(value, size, "ABCDEFGHIJ", 10);
        CHECK_INT(swkas_array_meta_set(a, "gamma", "x", 1), KAS_ERR_KEY_NOT_FOUND);
        /* The array's own metalayer is not writable, even with the same size. */
        const void *b2nd = NULL;
        size_t b2nd_size = 0;
        CHECK_INT(swkas_array_meta_get(a, "b2nd", &b2nd, &b2nd_size), 0);
        unsigned char copy[256];
        REQUIRE(b2nd_size <= sizeof copy);
        memcpy(copy, b2nd, b2nd_size);
        unsigned char changed[256];
        memcpy(changed, copy, b2nd_size);
        changed[12] = 11; /* shape[0] 10 -> 11 */
        CHECK_INT(swkas_array_meta_set(a, "b2nd", changed, b2nd_size), SWKAS_ERR_INVALID_ARGUMENT);
        CHECK_INT(swkas_array_meta_get(a, "b2nd", &b2nd, &b2nd_size), 0);
        CHECK_BUF(b2nd, b2nd_size, copy, 53);
        swkas_array_params_t got;
        CHECK_INT(swkas_array_get_params(a, &got), 0);
        CHECK_INT(got.shape[0], 10);
        CHECK_INT(got.nmeta, 0);
        if (in_file) {
            swkas_array_free(a);
            a = NULL;
            REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
            CHECK_INT(swkas_array_meta_count(a, &count), 0);
            CHECK_UINT(count, 3);
            CHECK_INT(swkas_array_meta_get(a, "beta", &value, &size), 0);
            CHECK_BUF(value, size, "ABCDEFGHIJ", 10);
            CHECK_INT(swkas_array_meta_get(a, "alpha", &value, &size), 0);
            CHECK_BUF(value, size, values[0], 4);
            CHECK_INT(swkas_array_remove(path), 0);
        }
        swkas_array_free(a);
    }
    tu_context_clear();
}

static void
test_meta_creation_rules(void)
{
    swkas_array_params_t p;
    params_of(&geoms[1], &p);
    const void *values[16];
    size_t sizes[16];
    char bufs[16][40];
    const char *names[16];
    for (int i = 0; i < 16; i++) {
        snprintf(bufs[i], sizeof bufs[i], "layer%02d", i);
        names[i] = bufs[i];
        values[i] = "v";
        sizes[i] = 1;
    }
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    swkas_array_t *a = NULL;
    const char *path = tu_path("metarules.b2nd");

    /* 15 user metalayers plus b2nd fill the 16 slots; 16 do not fit. */
    p.nmeta = 15;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    size_t count = 0;
    if (a != NULL) {
        CHECK_INT(swkas_array_meta_count(a, &count), 0);
        CHECK_UINT(count, 16);
    }
    swkas_array_free(a);
    a = NULL;
    p.nmeta = 16;
    CHECK_INT(swkas_array_zeros(&p, path, 0, &a), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_PTR_EQ(a, NULL);
    CHECK_INT(tu_file_size(path), -1); /* nothing written */

    p.nmeta = 2;
    const char *bad_names[] = { "b2nd", "caterva", "", "0123456789012345678901234567890X" };
    for (int i = 0; i < 4; i++) {
        names[1] = bad_names[i];
        tu_context("metalayer name \"%s\"", bad_names[i]);
        CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_INVALID_ARGUMENT);
    }
    tu_context_clear();
    names[1] = "0123456789012345678901234567890"; /* 31 bytes */
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    swkas_array_free(a);
    a = NULL;
    names[1] = names[0]; /* duplicate */
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_INVALID_ARGUMENT);
    names[1] = bufs[1];
    /* NULL vectors with nmeta > 0. */
    p.meta_names = NULL;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_NULL_ARGUMENT);
    p.meta_names = names;
    p.meta_sizes = NULL;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_NULL_ARGUMENT);
    p.meta_sizes = sizes;
    p.nmeta = -1;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_INVALID_ARGUMENT);
}

static void
test_vlmeta(void)
{
    for (int in_file = 0; in_file < 2; in_file++) {
        const char *path = in_file ? tu_path("vlmeta.b2nd") : NULL;
        tu_context("vlmeta %s", in_file ? "file" : "memory");
        swkas_array_params_t p;
        params_of(&geoms[2], &p);
        swkas_array_t *a = NULL;
        REQUIRE_INT(swkas_array_zeros(&p, path, in_file ? SWKAS_ARRAY_OVERWRITE : 0, &a), 0);
        size_t count = 99, size = 0;
        const char *name = NULL;
        const void *value = NULL;
        CHECK_INT(swkas_array_vlmeta_count(a, &count), 0);
        CHECK_UINT(count, 0);
        CHECK_INT(swkas_array_vlmeta_get(a, "a", &value, &size), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(swkas_array_vlmeta_delete(a, "a"), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(swkas_array_vlmeta_name(a, 0, &name), SWKAS_ERR_INDEX_OUT_OF_RANGE);

        size_t big_size = 100000;
        unsigned char *big = pattern(big_size, 1, 8);
        CHECK_INT(swkas_array_vlmeta_set(a, "first", "\x93\x01\x02\x03", 4), 0);
        CHECK_INT(swkas_array_vlmeta_set(a, "big", big, big_size), 0);
        CHECK_INT(swkas_array_vlmeta_set(a, "empty", "", 0), 0);
        CHECK_INT(swkas_array_vlmeta_set(a, "first", "\xa3xyz", 4), 0); /* replace, same size */
        CHECK_INT(swkas_array_vlmeta_set(a, "empty", "\xa1q", 2), 0);  /* replace, other size */
        CHECK_INT(swkas_array_vlmeta_set(a, "gone", "zz", 2), 0);
        CHECK_INT(swkas_array_vlmeta_delete(a, "gone"), 0);
        CHECK_INT(swkas_array_vlmeta_delete(a, "gone"), KAS_ERR_KEY_NOT_FOUND);
        for (int pass = 0; pass < 2; pass++) {
            CHECK_INT(swkas_array_vlmeta_count(a, &count), 0);
            CHECK_UINT(count, 3);
            int seen = 0;
            for (size_t i = 0; i < count; i++) {
                CHECK_INT(swkas_array_vlmeta_name(a, i, &name), 0);
                if (name == NULL) {
                    continue;
                }
                seen |= strcmp(name, "first") == 0 ? 1 : strcmp(name, "big") == 0 ? 2 : strcmp(name, "empty") == 0 ? 4 : 8;
            }
            CHECK_INT(seen, 7);
            CHECK_INT(swkas_array_vlmeta_name(a, 3, &name), SWKAS_ERR_INDEX_OUT_OF_RANGE);
            CHECK_INT(swkas_array_vlmeta_get(a, "first", &value, &size), 0);
            CHECK_BUF(value, size, "\xa3xyz", 4);
            CHECK_INT(swkas_array_vlmeta_get(a, "big", &value, &size), 0);
            CHECK_BUF(value, size, big, big_size);
            CHECK_INT(swkas_array_vlmeta_get(a, "empty", &value, &size), 0);
            CHECK_BUF(value, size, "\xa1q", 2);
            CHECK_INT(swkas_array_vlmeta_get(a, "gone", &value, &size), KAS_ERR_KEY_NOT_FOUND);
            /* the values do not disturb the items */
            unsigned char zeros[150] = { 0 };
            check_values(a, zeros, 150);
            if (pass == 0) {
                if (in_file) {
                    swkas_array_free(a);
                    a = NULL;
                    REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
                } else {
                    size_t fs = 0;
                    CHECK_INT(swkas_array_to_cframe(a, NULL, 0, &fs), SWKAS_ERR_BUFFER_TOO_SMALL);
                    unsigned char *frame = malloc(fs);
                    CHECK_INT(swkas_array_to_cframe(a, frame, fs, &fs), 0);
                    swkas_array_free(a);
                    a = NULL;
                    REQUIRE_INT(swkas_array_from_cframe(frame, fs, &a), 0);
                    free(frame);
                }
            }
        }
        /* Delete all, reopen, none left. */
        CHECK_INT(swkas_array_vlmeta_delete(a, "first"), 0);
        CHECK_INT(swkas_array_vlmeta_delete(a, "big"), 0);
        CHECK_INT(swkas_array_vlmeta_delete(a, "empty"), 0);
        CHECK_INT(swkas_array_vlmeta_count(a, &count), 0);
        CHECK_UINT(count, 0);
        if (in_file) {
            swkas_array_free(a);
            a = NULL;
            REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
            CHECK_INT(swkas_array_vlmeta_count(a, &count), 0);
            CHECK_UINT(count, 0);
            CHECK_INT(swkas_array_remove(path), 0);
        }
        swkas_array_free(a);
        free(big);
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Stats, info, read-only handles, remove.                            */

static void
test_stats_and_info(void)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i;
    }
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data, &a), 0);
    swkas_array_stats_t st;
    CHECK_INT(swkas_array_get_stats(a, &st), 0);
    CHECK_INT(st.nitems, 100);
    CHECK_INT(st.nbytes, 800);
    CHECK_INT(st.nchunks, 9);
    CHECK_INT(st.chunk_nbytes, 128);
    CHECK_INT(st.block_nbytes, 32);
    CHECK_INT(st.frame_nbytes, 1152); /* spec section 6 */
    CHECK(st.cbytes > 0 && st.cbytes < st.frame_size);
    CHECK_INT(st.in_memory, 1);
    CHECK_INT(st.readonly, 0);

    swkas_array_params_t got;
    CHECK_INT(swkas_array_get_params(a, &got), 0);
    CHECK_INT(got.cparams.codec, SWKAS_CODEC_LZ4);
    CHECK_INT(got.cparams.clevel, 5);
    CHECK_INT(got.cparams.filters[5], SWKAS_FILTER_SHUFFLE);
    CHECK_INT(got.cparams.splitmode, SWKAS_SPLIT_AUTO);
    CHECK_INT(got.cparams.blocksize, 32);
    CHECK_INT(got.cparams.typesize, 8);

    size_t needed = 0;
    CHECK_INT(swkas_array_info(a, NULL, 0, &needed), SWKAS_ERR_BUFFER_TOO_SMALL);
    REQUIRE(needed > 1 && needed < 100000);
    char *text = malloc(needed);
    size_t needed2 = 0;
    CHECK_INT(swkas_array_info(a, text, needed - 1, &needed2), SWKAS_ERR_BUFFER_TOO_SMALL);
    CHECK_UINT(needed2, needed);
    CHECK_INT(swkas_array_info(a, text, needed, &needed2), 0);
    CHECK_UINT(strlen(text) + 1, needed);
    CHECK(strstr(text, "<f8") != NULL);
    CHECK(strstr(text, "10") != NULL);
    CHECK(strstr(text, "LZ4") != NULL);
    CHECK(strstr(text, "SHUFFLE") != NULL);
    free(text);
    swkas_array_free(a);
}

static void
test_readonly(void)
{
    const char *path = tu_path("ro.b2nd");
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i * 2;
    }
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, path, 0, data, sizeof data, &a), 0);
    CHECK_INT(swkas_array_vlmeta_set(a, "k", "v", 1), 0);
    swkas_array_free(a);
    size_t before_len = 0;
    unsigned char *before = tu_read_file(path, &before_len);
    REQUIRE(before != NULL);

    REQUIRE_INT(swkas_array_open(path, SWKAS_ARRAY_READONLY, &a), 0);
    swkas_array_stats_t st;
    CHECK_INT(swkas_array_get_stats(a, &st), 0);
    CHECK_INT(st.readonly, 1);
    check_values(a, data, sizeof data);
    int64_t start[2] = { 0, 0 }, stop[2] = { 2, 2 }, shape[2] = { 20, 20 };
    double four[4] = { 1, 2, 3, 4 };
    CHECK_INT(swkas_array_set_slice(a, start, stop, NULL, four, sizeof four), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(swkas_array_resize(a, shape), KAS_ERR_ILLEGAL_OPERATION);
    const void *b2nd = NULL;
    size_t b2nd_size = 0;
    CHECK_INT(swkas_array_meta_get(a, "b2nd", &b2nd, &b2nd_size), 0);
    CHECK_INT(swkas_array_vlmeta_set(a, "k", "w", 1), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(swkas_array_vlmeta_set(a, "new", "w", 1), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(swkas_array_vlmeta_delete(a, "k"), KAS_ERR_ILLEGAL_OPERATION);
    check_values(a, data, sizeof data);
    swkas_array_free(a);
    CHECK(tu_file_equals(path, before, before_len));

    /* A user metalayer of a read-only handle. */
    const char *names[] = { "u" };
    const void *values[] = { "12" };
    size_t sizes[] = { 2 };
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    REQUIRE_INT(swkas_array_zeros(&p, path, SWKAS_ARRAY_OVERWRITE, &a), 0);
    swkas_array_free(a);
    free(before);
    before = tu_read_file(path, &before_len);
    REQUIRE_INT(swkas_array_open(path, SWKAS_ARRAY_READONLY, &a), 0);
    CHECK_INT(swkas_array_meta_set(a, "u", "34", 2), KAS_ERR_ILLEGAL_OPERATION);
    const void *v = NULL;
    size_t vs = 0;
    CHECK_INT(swkas_array_meta_get(a, "u", &v, &vs), 0);
    CHECK_BUF(v, vs, "12", 2);
    /* Copies of a read-only array are writable. */
    swkas_array_t *c = NULL;
    CHECK_INT(swkas_array_copy(a, NULL, NULL, 0, &c), 0);
    if (c != NULL) {
        CHECK_INT(swkas_array_meta_set(c, "u", "34", 2), 0);
        CHECK_INT(swkas_array_get_stats(c, &st), 0);
        CHECK_INT(st.readonly, 0);
    }
    swkas_array_free(c);
    swkas_array_free(a);
    CHECK(tu_file_equals(path, before, before_len));
    free(before);
    CHECK_INT(swkas_array_remove(path), 0);
}

/* Copies a caterva sparse directory from the golden corpus. */
static int
copy_dir(const char *from, const char *to)
{
    DIR *dir = opendir(from);
    if (dir == NULL) {
        return -1;
    }
    if (mkdir(to, 0755) != 0) {
        closedir(dir);
        return -1;
    }
    struct dirent *e;
    int ret = 0;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char src[4096], dst[4096];
        if (snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int) sizeof src
            || snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int) sizeof dst) {
            ret = -1;
            continue;
        }
        size_t len = 0;
        unsigned char *bytes = tu_read_file(src, &len);
        if (bytes == NULL || tu_write_file(dst, bytes, len) != 0) {
            ret = -1;
        }
        free(bytes);
    }
    closedir(dir);
    return ret;
}

static void
test_sparse_directory(void)
{
    char golden[4096], dir[4096];
    snprintf(golden, sizeof golden, "%s/../b2nd/golden/cat_sparse_geom_2d.cat", SWKAS_TEST_DATA_DIR);
    snprintf(dir, sizeof dir, "%s", tu_path("sparse-open.cat"));
    REQUIRE_INT(copy_dir(golden, dir), 0);
    /* The same array as a contiguous caterva file. */
    char contiguous[4096];
    snprintf(contiguous, sizeof contiguous, "%s/../b2nd/golden/cat_geom_2d.cat", SWKAS_TEST_DATA_DIR);
    swkas_array_t *a = NULL, *g = NULL;
    REQUIRE_INT(swkas_array_open(contiguous, SWKAS_ARRAY_READONLY, &g), 0);
    size_t n = 0;
    int err = 0;
    unsigned char *want = read_all(g, &n, &err);
    CHECK_INT(err, 0);
    swkas_array_free(g);
    int ret = swkas_array_open(dir, 0, &a);
    CHECK_INT(ret, 0);
    if (a != NULL) {
        swkas_array_stats_t st;
        CHECK_INT(swkas_array_get_stats(a, &st), 0);
        CHECK_INT(st.has_caterva, 1);
        CHECK_INT(st.readonly, 1); /* sparse directories open read-only */
        if (want != NULL) {
            check_values(a, want, n);
        }
        swkas_array_params_t p;
        CHECK_INT(swkas_array_get_params(a, &p), 0);
        int64_t start[SWKAS_MAX_DIM] = { 0 }, stop[SWKAS_MAX_DIM] = { 0 };
        for (int d = 0; d < p.ndim; d++) {
            stop[d] = 1;
        }
        unsigned char item[512] = { 0 };
        CHECK_INT(swkas_array_set_slice(a, start, stop, NULL, item, (size_t) p.itemsize), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(swkas_array_vlmeta_set(a, "x", "y", 1), KAS_ERR_ILLEGAL_OPERATION);
    }
    swkas_array_free(a);
    free(want);
}

static void
test_remove(void)
{
    char golden[4096], dir[4096];
    snprintf(golden, sizeof golden, "%s/../b2nd/golden/cat_sparse_geom_2d.cat", SWKAS_TEST_DATA_DIR);
    snprintf(dir, sizeof dir, "%s", tu_path("sparse-remove.cat"));
    REQUIRE_INT(copy_dir(golden, dir), 0);
    CHECK_INT(swkas_array_remove(dir), 0);
    struct stat sb;
    CHECK(stat(dir, &sb) != 0 && errno == ENOENT);
    errno = 0;
    CHECK_INT(swkas_array_remove(dir), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);
    swkas_array_t *a = NULL;
    errno = 0;
    CHECK_INT(swkas_array_open(dir, 0, &a), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);
    CHECK_PTR_EQ(a, NULL);
    /* A frame file. */
    const char *path = tu_path("remove.b2nd");
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    REQUIRE_INT(swkas_array_zeros(&p, path, 0, &a), 0);
    CHECK_INT(swkas_array_remove(path), 0);
    CHECK_INT(tu_file_size(path), -1);
    /* The handle keeps working on its open file. */
    double buf[100], zeros[100] = { 0 };
    int64_t start[2] = { 0, 0 }, stop[2] = { 10, 10 };
    CHECK_INT(swkas_array_get_slice(a, start, stop, NULL, buf, sizeof buf), 0);
    CHECK_MEM(buf, zeros, sizeof buf);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* Errors.                                                            */

static void
test_null_arguments(void)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100] = { 0 };
    swkas_array_t *a = NULL, *out = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data, &a), 0);
    int64_t start[2] = { 0, 0 }, stop[2] = { 2, 2 };
    double buf[4];
    size_t size = 0;
    const char *name = NULL;
    const void *value = NULL;
    unsigned char fill[8] = { 0 };
    swkas_array_stats_t st;
    char text[4096];

    CHECK_INT(swkas_array_empty(NULL, NULL, 0, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_empty(&p, NULL, 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_zeros(NULL, NULL, 0, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_full(NULL, NULL, 0, fill, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_full(&p, NULL, 0, NULL, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_full(&p, NULL, 0, fill, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_from_buffer(NULL, NULL, 0, data, sizeof data, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_from_buffer(&p, NULL, 0, NULL, sizeof data, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_open(NULL, 0, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_open(tu_path("x.b2nd"), 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_from_cframe(NULL, 100, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_from_cframe(data, sizeof data, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_to_cframe(NULL, text, sizeof text, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_to_cframe(a, text, sizeof text, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_copy(NULL, NULL, NULL, 0, &out), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_copy(a, NULL, NULL, 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_remove(NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_params(NULL, &p), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_params(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_stats(NULL, &st), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_stats(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_info(NULL, text, sizeof text, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_slice(NULL, start, stop, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_slice(a, NULL, stop, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_slice(a, start, NULL, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_get_slice(a, start, stop, NULL, NULL, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_set_slice(NULL, start, stop, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_set_slice(a, NULL, stop, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_set_slice(a, start, NULL, NULL, buf, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_set_slice(a, start, stop, NULL, NULL, sizeof buf), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_resize(NULL, stop), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_count(NULL, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_count(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_name(NULL, 0, &name), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_name(a, 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_get(NULL, "b2nd", &value, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_get(a, NULL, &value, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_get(a, "b2nd", NULL, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_get(a, "b2nd", &value, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_set(NULL, "b2nd", "x", 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_set(a, NULL, "x", 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_meta_set(a, "b2nd", NULL, 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_count(NULL, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_count(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_name(NULL, 0, &name), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_name(a, 0, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_get(NULL, "x", &value, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_get(a, NULL, &value, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_get(a, "x", NULL, &size), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_get(a, "x", &value, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_set(NULL, "x", "v", 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_set(a, NULL, "v", 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_set(a, "x", NULL, 1), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_delete(NULL, "x"), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_array_vlmeta_delete(a, NULL), SWKAS_ERR_NULL_ARGUMENT);
    swkas_array_free(NULL);
    /* nothing changed */
    size_t count = 9;
    CHECK_INT(swkas_array_vlmeta_count(a, &count), 0);
    CHECK_UINT(count, 0);
    check_values(a, data, sizeof data);
    swkas_array_free(a);
}

static void
test_bad_flags(void)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100] = { 0 };
    unsigned char fill[8] = { 0 };
    const char *path = tu_path("flags.b2nd");
    swkas_array_t *a = NULL;
    const int bad_create[] = { SWKAS_ARRAY_READONLY, 8, 0x100, -1 };
    for (size_t i = 0; i < 4; i++) {
        tu_context("create flags %d", bad_create[i]);
        for (int kind = MK_EMPTY; kind <= MK_BUFFER; kind++) {
            CHECK_INT(make(kind, &p, path, bad_create[i], fill, data, sizeof data, &a), KAS_ERR_BAD_FLAGS);
            CHECK_PTR_EQ(a, NULL);
            CHECK_INT(make(kind, &p, NULL, bad_create[i], fill, data, sizeof data, &a), KAS_ERR_BAD_FLAGS);
        }
        CHECK_INT(tu_file_size(path), -1);
    }
    REQUIRE_INT(swkas_array_from_buffer(&p, path, 0, data, sizeof data, &a), 0);
    swkas_array_t *c = NULL;
    CHECK_INT(swkas_array_copy(a, NULL, tu_path("flags2.b2nd"), 0x100, &c), KAS_ERR_BAD_FLAGS);
    CHECK_INT(tu_file_size(tu_path("flags2.b2nd")), -1);
    swkas_array_free(a);
    const int bad_open[] = { SWKAS_ARRAY_OVERWRITE, 8, 0x100, -1 };
    for (size_t i = 0; i < 4; i++) {
        tu_context("open flags %d", bad_open[i]);
        a = NULL;
        CHECK_INT(swkas_array_open(path, bad_open[i], &a), KAS_ERR_BAD_FLAGS);
        CHECK_PTR_EQ(a, NULL);
    }
    tu_context_clear();
    CHECK_INT(swkas_array_open(path, SWKAS_ARRAY_READONLY | SWKAS_ARRAY_NOT_DURABLE, &a), 0);
    swkas_array_free(a);
    CHECK_INT(swkas_array_remove(path), 0);
}

typedef void (*mutate_t)(swkas_array_params_t *p);
static void m_blocks_gt_chunks(swkas_array_params_t *p) { p->blocks[1] = 5; }
static void m_zero_chunk(swkas_array_params_t *p) { p->chunks[0] = 0; }
static void m_zero_block(swkas_array_params_t *p) { p->blocks[1] = 0; }
static void m_ndim16(swkas_array_params_t *p)
{
    p->ndim = 16;
    for (int d = 0; d < 16; d++) {
        p->shape[d] = p->chunks[d] = p->blocks[d] = 1;
    }
}
static void m_ndim17(swkas_array_params_t *p) { p->ndim = 17; }
static void m_ndim_neg(swkas_array_params_t *p) { p->ndim = -1; }
static void m_itemsize0(swkas_array_params_t *p) { p->itemsize = 0; p->dtype = NULL; }
static void m_itemsize_neg(swkas_array_params_t *p) { p->itemsize = -8; p->dtype = NULL; }
static void m_dtype_mismatch(swkas_array_params_t *p) { p->dtype = "<f4"; }
static void m_shape_neg(swkas_array_params_t *p) { p->shape[1] = -3; }
static void m_chunk_neg(swkas_array_params_t *p) { p->chunks[1] = -4; }
static void m_clevel(swkas_array_params_t *p) { p->cparams.clevel = 10; }
static void m_codec(swkas_array_params_t *p) { p->cparams.codec = 3; }
static void m_filter(swkas_array_params_t *p) { p->cparams.filters[2] = 9; }
static void m_trunc0(swkas_array_params_t *p) { p->cparams.filters[0] = SWKAS_FILTER_TRUNC_PREC; }
static void m_trunc_ts2(swkas_array_params_t *p)
{
    p->itemsize = 2;
    p->dtype = "<u2";
    p->cparams.filters[0] = SWKAS_FILTER_TRUNC_PREC;
    p->cparams.filters_meta[0] = 10;
}
static void m_split(swkas_array_params_t *p) { p->cparams.splitmode = 0; }
static void m_huge_chunks(swkas_array_params_t *p)
{
    p->shape[0] = p->shape[1] = 1 << 20;
    p->chunks[0] = p->chunks[1] = 1 << 15; /* 2^30 items of 8 bytes */
    p->blocks[0] = p->blocks[1] = 16;
}

static void
test_invalid_geometry(void)
{
    static const struct {
        const char *name;
        mutate_t mutate;
        int code;
    } cases[] = {
        { "blocks > chunks", m_blocks_gt_chunks, SWKAS_ERR_INVALID_ARGUMENT },
        { "zero chunk", m_zero_chunk, SWKAS_ERR_INVALID_ARGUMENT },
        { "zero block", m_zero_block, SWKAS_ERR_INVALID_ARGUMENT },
        { "ndim 16", m_ndim16, SWKAS_ERR_INVALID_ARGUMENT },
        { "ndim 17", m_ndim17, SWKAS_ERR_INVALID_ARGUMENT },
        { "ndim -1", m_ndim_neg, SWKAS_ERR_INVALID_ARGUMENT },
        { "itemsize 0", m_itemsize0, SWKAS_ERR_INVALID_ARGUMENT },
        { "itemsize -8", m_itemsize_neg, SWKAS_ERR_INVALID_ARGUMENT },
        { "dtype <f4 with itemsize 8", m_dtype_mismatch, SWKAS_ERR_INVALID_ARGUMENT },
        { "negative shape", m_shape_neg, SWKAS_ERR_INVALID_ARGUMENT },
        { "negative chunk", m_chunk_neg, SWKAS_ERR_INVALID_ARGUMENT },
        { "clevel 10", m_clevel, SWKAS_ERR_INVALID_ARGUMENT },
        { "codec 3", m_codec, SWKAS_ERR_INVALID_ARGUMENT },
        { "filter 9", m_filter, SWKAS_ERR_INVALID_ARGUMENT },
        { "TRUNC_PREC precision 0", m_trunc0, SWKAS_ERR_INVALID_ARGUMENT },
        { "TRUNC_PREC on 2-byte items", m_trunc_ts2, SWKAS_ERR_INVALID_ARGUMENT },
        { "splitmode 0", m_split, SWKAS_ERR_INVALID_ARGUMENT },
        { "chunk over 2^31 bytes", m_huge_chunks, SWKAS_ERR_INVALID_ARGUMENT },
    };
    const char *path = tu_path("geom.b2nd");
    unsigned char fill[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    double data[100] = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int kind = MK_EMPTY; kind <= MK_BUFFER; kind++) {
            swkas_array_params_t p;
            params_of(&geoms[4], &p);
            cases[i].mutate(&p);
            tu_context("%s, %s", cases[i].name, mk_names[kind]);
            swkas_array_t *a = NULL;
            int ret = make(kind, &p, path, 0, fill, data, sizeof data, &a);
            CHECK_INT(ret, cases[i].code);
            if (ret == cases[i].code) {
                CHECK_PTR_EQ(a, NULL);
                CHECK_INT(tu_file_size(path), -1); /* nothing written */
            }
            swkas_array_free(a);
            a = NULL;
            unlink(path); /* so that one failure does not turn the next cases into SWKAS_ERR_EXISTS */
            CHECK_INT(make(kind, &p, NULL, 0, fill, data, sizeof data, &a), cases[i].code);
            swkas_array_free(a);
        }
    }
    tu_context_clear();
    /* BloscLZ is decoded only. */
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    p.cparams.codec = SWKAS_CODEC_BLOSCLZ;
    swkas_array_t *a = NULL;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), SWKAS_ERR_UNSUPPORTED);
    /* A zero chunk is fine for a zero extent; ndim 15 writes. */
    params_of(&geoms[9], &p);
    p.chunks[0] = 0;
    p.blocks[0] = 0;
    p.chunks[1] = 2;
    p.blocks[1] = 1;
    CHECK_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    swkas_array_free(a);
    /* from_buffer wants exactly items * itemsize bytes. */
    params_of(&geoms[4], &p);
    a = NULL;
    CHECK_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data - 1, &a), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_INT(swkas_array_from_buffer(&p, NULL, 0, data, sizeof data - 8, &a), SWKAS_ERR_INVALID_ARGUMENT);
    unsigned char more[808] = { 0 };
    CHECK_INT(swkas_array_from_buffer(&p, NULL, 0, more, sizeof more, &a), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_INT(swkas_array_from_buffer(&p, path, 0, data, 0, &a), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_PTR_EQ(a, NULL);
    CHECK_INT(tu_file_size(path), -1);
}

static void
test_invalid_selection(void)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i;
    }
    const char *path = tu_path("sel.b2nd");
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, path, 0, data, sizeof data, &a), 0);
    size_t before_len = 0;
    unsigned char *before = tu_read_file(path, &before_len);
    double buf[200];
    static const struct {
        const char *name;
        int64_t start[2], stop[2], step[2];
    } cases[] = {
        { "start > stop", { 5, 0 }, { 4, 10 }, { 1, 1 } },
        { "stop > shape", { 0, 0 }, { 10, 11 }, { 1, 1 } },
        { "start > shape", { 11, 0 }, { 12, 10 }, { 1, 1 } },
        { "negative start", { -1, 0 }, { 3, 10 }, { 1, 1 } },
        { "negative stop", { 0, 0 }, { -2, 10 }, { 1, 1 } },
        { "step 0", { 0, 0 }, { 10, 10 }, { 1, 0 } },
        { "negative step", { 0, 0 }, { 10, 10 }, { -1, 1 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_context("%s", cases[i].name);
        CHECK_INT(swkas_array_get_slice(a, cases[i].start, cases[i].stop, cases[i].step, buf, sizeof buf),
            SWKAS_ERR_INVALID_ARGUMENT);
        CHECK_INT(swkas_array_set_slice(a, cases[i].start, cases[i].stop, cases[i].step, buf, sizeof buf),
            SWKAS_ERR_INVALID_ARGUMENT);
    }
    tu_context_clear();
    /* short buffers */
    int64_t start[2] = { 1, 2 }, stop[2] = { 6, 9 }, step[2] = { 2, 3 }; /* 3 x 3 items */
    CHECK_INT(swkas_array_get_slice(a, start, stop, step, buf, 9 * 8 - 1), SWKAS_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(swkas_array_get_slice(a, start, stop, step, buf, 0), SWKAS_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(swkas_array_get_slice(a, start, stop, step, buf, 9 * 8), 0);
    int ret = swkas_array_set_slice(a, start, stop, step, buf, 9 * 8 - 1);
    CHECK(ret == SWKAS_ERR_BUFFER_TOO_SMALL || ret == SWKAS_ERR_INVALID_ARGUMENT);
    swkas_array_free(a);
    CHECK(tu_file_equals(path, before, before_len)); /* failed writes leave the file alone */
    free(before);
    CHECK_INT(swkas_array_remove(path), 0);
}

static void
test_exists_and_overwrite(void)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double one[100], two[100];
    for (int i = 0; i < 100; i++) {
        one[i] = i;
        two[i] = -i;
    }
    unsigned char fill[8] = { 0 };
    const char *dir = tu_make_subdir("exists");
    REQUIRE(dir != NULL);
    char path[4096], other[4096], subdir[4096], missing[4096];
    snprintf(path, sizeof path, "%s", tu_join(dir, "exists.b2nd"));
    snprintf(other, sizeof other, "%s", tu_join(dir, "exists.txt"));
    snprintf(subdir, sizeof subdir, "%s", tu_join(dir, "exists.dir"));
    snprintf(missing, sizeof missing, "%s", tu_join(dir, "no/such/dir.b2nd"));
    swkas_array_t *a = NULL, *b = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, path, 0, one, sizeof one, &a), 0);
    size_t len = 0;
    unsigned char *bytes = tu_read_file(path, &len);
    REQUIRE(bytes != NULL);
    for (int kind = MK_EMPTY; kind <= MK_BUFFER; kind++) {
        tu_context("%s", mk_names[kind]);
        CHECK_INT(make(kind, &p, path, 0, fill, two, sizeof two, &b), SWKAS_ERR_EXISTS);
        CHECK_PTR_EQ(b, NULL);
        CHECK_INT(make(kind, &p, path, SWKAS_ARRAY_NOT_DURABLE, fill, two, sizeof two, &b), SWKAS_ERR_EXISTS);
        CHECK(tu_file_equals(path, bytes, len));
    }
    tu_context_clear();
    CHECK_INT(swkas_array_copy(a, NULL, path, 0, &b), SWKAS_ERR_EXISTS);
    CHECK(tu_file_equals(path, bytes, len));
    /* Any existing file counts, not only arrays; so does a directory. */
    REQUIRE(tu_write_file(other, "hello", 5) == 0);
    CHECK_INT(swkas_array_zeros(&p, other, 0, &b), SWKAS_ERR_EXISTS);
    CHECK(tu_file_equals(other, "hello", 5));
    REQUIRE(mkdir(subdir, 0755) == 0);
    CHECK_INT(swkas_array_zeros(&p, subdir, 0, &b), SWKAS_ERR_EXISTS);

    /* The old handle still reads its values. */
    check_values(a, one, sizeof one);
    swkas_array_free(a);

    CHECK_INT(swkas_array_from_buffer(&p, path, SWKAS_ARRAY_OVERWRITE, two, sizeof two, &b), 0);
    swkas_array_free(b);
    b = NULL;
    REQUIRE_INT(swkas_array_open(path, 0, &b), 0);
    check_values(b, two, sizeof two);
    swkas_array_free(b);
    CHECK_INT(swkas_array_zeros(&p, other, SWKAS_ARRAY_OVERWRITE, &b), 0);
    swkas_array_free(b);
    REQUIRE_INT(swkas_array_open(other, 0, &b), 0);
    double zeros[100] = { 0 };
    check_values(b, zeros, sizeof zeros);
    swkas_array_free(b);
    free(bytes);

    /* A missing directory is an I/O error with errno. */
    errno = 0;
    b = NULL;
    CHECK_INT(swkas_array_zeros(&p, missing, 0, &b), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);
    CHECK_PTR_EQ(b, NULL);
    /* No temporary files left behind. */
    CHECK_INT(tu_count_dir_entries(dir), 3);
    unlink(path);
    unlink(other);
}

static int
is_format_error(int code)
{
    return code == SWKAS_ERR_BAD_FRAME || code == SWKAS_ERR_BAD_CHUNK || code == SWKAS_ERR_TRUNCATED
           || code == SWKAS_ERR_NOT_AN_ARRAY || code == SWKAS_ERR_UNSUPPORTED;
}

static void
test_open_errors(void)
{
    swkas_array_t *a = NULL;
    errno = 0;
    CHECK_INT(swkas_array_open(tu_path("missing.b2nd"), 0, &a), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);
    CHECK_PTR_EQ(a, NULL);
    errno = 0;
    CHECK_INT(swkas_array_open(tu_path("missing.b2nd"), SWKAS_ARRAY_READONLY, &a), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);
    errno = 0;
    CHECK_INT(swkas_array_remove(tu_path("missing.b2nd")), KAS_ERR_IO);
    CHECK_INT(errno, ENOENT);

    const char *path = tu_path("junk.b2nd");
    static const char text[] = "this is not a frame, just some text that is long enough to have a header........"
                               "..........................................................................";
    REQUIRE(tu_write_file(path, text, sizeof text) == 0);
    int ret = swkas_array_open(path, 0, &a);
    CHECK(is_format_error(ret));
    CHECK_INT(ret, SWKAS_ERR_BAD_FRAME);
    CHECK_PTR_EQ(a, NULL);
    REQUIRE(tu_write_file(path, "", 0) == 0);
    ret = swkas_array_open(path, 0, &a);
    CHECK(is_format_error(ret));
    CHECK_PTR_EQ(a, NULL);
    /* A kastore file. */
    REQUIRE(tu_write_file(path, tu_worked_example, sizeof tu_worked_example) == 0);
    ret = swkas_array_open(path, 0, &a);
    CHECK(is_format_error(ret));
    CHECK_PTR_EQ(a, NULL);
    ret = swkas_array_from_cframe(tu_worked_example, sizeof tu_worked_example, &a);
    CHECK(is_format_error(ret));
    /* A directory that is not a caterva array. */
    const char *dir = tu_make_subdir("plain.dir");
    ret = swkas_array_open(dir, 0, &a);
    CHECK(ret < 0);
    CHECK_PTR_EQ(a, NULL);
    unlink(path);
}

static unsigned char *
valid_frame(size_t *size)
{
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    const char *names[] = { "user" };
    const void *values[] = { "\x01\x02\x03" };
    size_t sizes[] = { 3 };
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    double data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i * 1.5;
    }
    swkas_array_t *a = NULL;
    if (swkas_array_from_buffer(&p, NULL, 0, data, sizeof data, &a) != 0) {
        return NULL;
    }
    swkas_array_vlmeta_set(a, "v", "\xa3" "abc", 4);
    size_t n = 0;
    swkas_array_to_cframe(a, NULL, 0, &n);
    unsigned char *frame = malloc(n);
    if (swkas_array_to_cframe(a, frame, n, size) != 0) {
        free(frame);
        frame = NULL;
    }
    swkas_array_free(a);
    return frame;
}

/* Opens damaged bytes; when that succeeds, reads everything (any result). */
static int
try_frame(const unsigned char *bytes, size_t size)
{
    swkas_array_t *a = NULL;
    int ret = swkas_array_from_cframe(bytes, size, &a);
    if (ret == 0) {
        size_t n = 0;
        int err = 0;
        swkas_array_stats_t st;
        if (swkas_array_get_stats(a, &st) == 0 && st.nbytes >= 0 && st.nbytes < (1 << 24)) {
            free(read_all(a, &n, &err));
        }
        size_t count = 0;
        swkas_array_meta_count(a, &count);
        swkas_array_vlmeta_count(a, &count);
        for (size_t i = 0; i < count; i++) {
            const char *name = NULL;
            const void *value = NULL;
            size_t vs = 0;
            if (swkas_array_vlmeta_name(a, i, &name) == 0 && name != NULL) {
                swkas_array_vlmeta_get(a, name, &value, &vs);
            }
        }
        swkas_array_free(a);
    } else if (a != NULL) {
        ret = 1; /* a handle on failure */
    }
    return ret;
}

static void
test_truncated_and_corrupted(void)
{
    size_t size = 0;
    unsigned char *frame = valid_frame(&size);
    REQUIRE(frame != NULL);
    REQUIRE_INT(try_frame(frame, size), 0);
    /* Every truncation of the frame is refused. */
    size_t accepted = 0, odd = 0;
    for (size_t len = 0; len < size; len++) {
        unsigned char *copy = malloc(len + 1);
        memcpy(copy, frame, len);
        swkas_array_t *t = NULL;
        int ret = swkas_array_from_cframe(copy, len, &t);
        swkas_array_free(t);
        if (ret == 0) {
            accepted++;
            tu_context("truncated at %zu of %zu", len, size);
        } else if (!is_format_error(ret)) {
            odd++;
            tu_context("truncated at %zu of %zu: code %d", len, size, ret);
        }
        free(copy);
    }
    CHECK_UINT(accepted, 0);
    CHECK_UINT(odd, 0);
    tu_context_clear();
    /* Files truncated at several lengths. */
    const char *path = tu_path("trunc.b2nd");
    const size_t lengths[] = { 0, 1, 9, 10, 50, 86, 87, 100, 160, size / 2, size - 40, size - 23, size - 22,
        size - 1 };
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        REQUIRE(tu_write_file(path, frame, lengths[i]) == 0);
        swkas_array_t *a = NULL;
        int ret = swkas_array_open(path, 0, &a);
        tu_context("file truncated at %zu", lengths[i]);
        CHECK(is_format_error(ret));
        CHECK_PTR_EQ(a, NULL);
        swkas_array_free(a);
    }
    tu_context_clear();
    /* Bad magic. */
    for (size_t off = 1; off < 10; off++) {
        unsigned char *copy = malloc(size);
        memcpy(copy, frame, size);
        copy[off] ^= 0x20;
        tu_context("magic byte %zu", off);
        swkas_array_t *t = NULL;
        CHECK_INT(swkas_array_from_cframe(copy, size, &t), SWKAS_ERR_BAD_FRAME);
        swkas_array_free(t);
        if (off == 5) {
            REQUIRE(tu_write_file(path, copy, size) == 0);
            swkas_array_t *a = NULL;
            CHECK_INT(swkas_array_open(path, 0, &a), SWKAS_ERR_BAD_FRAME);
        }
        free(copy);
    }
    tu_context_clear();
    /* Every byte flipped (two ways), header and all: never a crash, never
     * a handle with an error. */
    unsigned char *copy = malloc(size);
    const unsigned char masks[] = { 0xff, 0x01, 0x80 };
    size_t opened = 0, refused = 0, odd_codes = 0;
    for (size_t off = 0; off < size; off++) {
        for (size_t m = 0; m < 3; m++) {
            memcpy(copy, frame, size);
            copy[off] ^= masks[m];
            int ret = try_frame(copy, size);
            if (ret == 0) {
                opened++;
            } else if (is_format_error(ret)) {
                refused++;
            } else {
                odd_codes++;
                tu_context("flip 0x%02x at %zu: code %d", masks[m], off, ret);
            }
        }
    }
    CHECK_UINT(odd_codes, 0);
    CHECK(refused > 0);
    tu_context_clear();
    /* Random multi-byte damage. */
    uint64_t rng = 4242;
    for (int r = 0; r < 3000; r++) {
        memcpy(copy, frame, size);
        int flips = 1 + (int) rng_below(&rng, 6);
        for (int k = 0; k < flips; k++) {
            copy[rng_below(&rng, (int64_t) size)] = (unsigned char) rng_next(&rng);
        }
        int ret = try_frame(copy, size);
        if (ret != 0 && !is_format_error(ret)) {
            tu_context("random damage round %d: code %d", r, ret);
            CHECK(is_format_error(ret));
            break;
        }
    }
    tu_context_clear();
    free(copy);

    /* Renaming the b2nd metalayer leaves a plain SChunk frame: not an array. */
    unsigned char *plain = malloc(size);
    memcpy(plain, frame, size);
    unsigned char *hit = NULL;
    for (size_t off = 0; off + 5 < 200 && off + 5 < size; off++) {
        if (memcmp(plain + off, "\xa4" "b2nd", 5) == 0) {
            hit = plain + off;
            break;
        }
    }
    REQUIRE(hit != NULL);
    hit[4] = 'x';
    swkas_array_t *a = NULL;
    CHECK_INT(swkas_array_from_cframe(plain, size, &a), SWKAS_ERR_NOT_AN_ARRAY);
    REQUIRE(tu_write_file(path, plain, size) == 0);
    CHECK_INT(swkas_array_open(path, 0, &a), SWKAS_ERR_NOT_AN_ARRAY);
    CHECK_PTR_EQ(a, NULL);
    free(plain);
    /* Bytes past frame_len are ignored. */
    unsigned char *longer = calloc(size + 100, 1);
    memcpy(longer, frame, size);
    CHECK_INT(try_frame(longer, size + 100), 0);
    free(longer);
    free(frame);
    unlink(path);
}

static void
test_strerror(void)
{
    const int codes[] = { SWKAS_ERR_EXISTS, SWKAS_ERR_NOT_AN_ARRAY, SWKAS_ERR_BAD_FRAME };
    const char *unknown = swkas_strerror(-999);
    REQUIRE(unknown != NULL);
    for (size_t i = 0; i < 3; i++) {
        const char *msg = swkas_strerror(codes[i]);
        REQUIRE(msg != NULL);
        CHECK(strlen(msg) > 0);
        CHECK(strcmp(msg, unknown) != 0);
        CHECK(strcmp(msg, "Unknown error") != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(msg, swkas_strerror(codes[j])) != 0);
        }
    }
    CHECK_INT(SWKAS_ERR_EXISTS, -120);
    CHECK_INT(SWKAS_ERR_NOT_AN_ARRAY, -121);
    CHECK_INT(SWKAS_ERR_BAD_FRAME, -122);
}

/* swkas_last_error_message gives the detail of the thread's last failure. */
static void
test_last_error_message(void)
{
    swkas_array_params_t params;
    swkas_array_t *array = NULL;
    static const unsigned char not_a_frame[64] = { 0x9e, 0xa8, 'b', '2' };
    swkas_array_params_init(&params);
    params.ndim = 1;
    params.shape[0] = 10;
    params.chunks[0] = 4;
    params.blocks[0] = 5;
    CHECK_INT(swkas_array_zeros(&params, NULL, 0, &array), SWKAS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(swkas_last_error_message(), "blocks larger than chunks") != NULL);
    CHECK_INT(swkas_array_from_cframe(not_a_frame, sizeof not_a_frame, &array), SWKAS_ERR_BAD_FRAME);
    CHECK(strstr(swkas_last_error_message(), "Malformed Blosc2 frame (") != NULL);
    CHECK(array == NULL);
}

/* ------------------------------------------------------------------ */
/* Threads.                                                           */

typedef struct {
    const swkas_array_t *array;
    const unsigned char *model;
    int ndim;
    int64_t shape[SWKAS_MAX_DIM];
    size_t itemsize;
    uint64_t seed;
    int iterations;
    atomic_int *failures;
    atomic_int *calls;
} reader_t;

static void *
reader_main(void *arg)
{
    reader_t *r = arg;
    uint64_t rng = r->seed;
    size_t cap = (size_t) product(r->ndim, r->shape) * r->itemsize + 8;
    unsigned char *got = malloc(cap), *want = malloc(cap);
    for (int it = 0; it < r->iterations; it++) {
        int64_t start[SWKAS_MAX_DIM], stop[SWKAS_MAX_DIM], step[SWKAS_MAX_DIM];
        random_selection(&rng, r->ndim, r->shape, start, stop, step);
        size_t n = sel_count(r->ndim, start, stop, step, NULL) * r->itemsize;
        ref_copy((unsigned char *) r->model, r->ndim, r->shape, r->itemsize, start, stop, step, want, 1);
        if (swkas_array_get_slice(r->array, start, stop, step, got, n) != 0 || memcmp(got, want, n) != 0) {
            atomic_fetch_add(r->failures, 1);
        }
        atomic_fetch_add(r->calls, 1);
        if (it % 16 == 0) {
            /* other readers */
            const void *value = NULL;
            size_t size = 0, fsize = 0;
            if (swkas_array_meta_get(r->array, "user", &value, &size) != 0 || size != 4
                || memcmp(value, "\x01\x02\x03\x04", 4) != 0) {
                atomic_fetch_add(r->failures, 1);
            }
            if (swkas_array_vlmeta_get(r->array, "note", &value, &size) != 0 || size != 5
                || memcmp(value, "hello", 5) != 0) {
                atomic_fetch_add(r->failures, 1);
            }
            if (swkas_array_to_cframe(r->array, NULL, 0, &fsize) != SWKAS_ERR_BUFFER_TOO_SMALL || fsize == 0) {
                atomic_fetch_add(r->failures, 1);
            }
            char text[4096];
            size_t needed = 0;
            swkas_array_stats_t st;
            if (swkas_array_info(r->array, text, sizeof text, &needed) != 0
                || swkas_array_get_stats(r->array, &st) != 0 || st.nitems != product(r->ndim, r->shape)) {
                atomic_fetch_add(r->failures, 1);
            }
        }
    }
    free(got);
    free(want);
    return NULL;
}

static swkas_array_t *
thread_array(const char *path, const int64_t *shape, int seed, unsigned char **model)
{
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = shape[0];
    p.shape[1] = shape[1];
    p.chunks[0] = 16;
    p.chunks[1] = 10;
    p.blocks[0] = 5;
    p.blocks[1] = 4;
    p.itemsize = 4;
    p.dtype = "<u4";
    p.cparams.codec = SWKAS_CODEC_ZSTD;
    const char *names[] = { "user" };
    const void *values[] = { "\x01\x02\x03\x04" };
    size_t sizes[] = { 4 };
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    size_t n = (size_t) (shape[0] * shape[1]);
    *model = pattern(n, 4, (unsigned) seed);
    swkas_array_t *a = NULL;
    if (swkas_array_from_buffer(&p, path, path ? SWKAS_ARRAY_OVERWRITE : 0, *model, n * 4, &a) != 0) {
        return NULL;
    }
    if (swkas_array_vlmeta_set(a, "note", "hello", 5) != 0) {
        swkas_array_free(a);
        return NULL;
    }
    return a;
}

static void
test_threads_one_handle(void)
{
    int64_t shape[2] = { 64, 48 };
    unsigned char *model = NULL;
    const char *path = tu_path("threads.b2nd");
    swkas_array_t *w = thread_array(path, shape, 1, &model);
    REQUIRE(w != NULL);
    swkas_array_free(w);
    for (int readonly = 0; readonly < 2; readonly++) {
        swkas_array_t *a = NULL;
        REQUIRE_INT(swkas_array_open(path, readonly ? SWKAS_ARRAY_READONLY : 0, &a), 0);
        atomic_int failures = 0, calls = 0;
        pthread_t threads[4];
        reader_t readers[4];
        for (int t = 0; t < 4; t++) {
            readers[t] = (reader_t) { a, model, 2, { shape[0], shape[1] }, 4, 1000 + (uint64_t) t * 7919, 400,
                &failures, &calls };
            REQUIRE(pthread_create(&threads[t], NULL, reader_main, &readers[t]) == 0);
        }
        for (int t = 0; t < 4; t++) {
            pthread_join(threads[t], NULL);
        }
        CHECK_INT(atomic_load(&failures), 0);
        CHECK_INT(atomic_load(&calls), 1600);
        swkas_array_free(a);
    }
    free(model);
    unlink(path);
}

static void
test_threads_many_handles(void)
{
    int64_t shapes[4][2] = { { 64, 48 }, { 33, 70 }, { 50, 50 }, { 17, 91 } };
    unsigned char *models[4];
    swkas_array_t *arrays[4];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "many%d.b2nd", i);
        arrays[i] = thread_array(i % 2 ? NULL : tu_path(name), shapes[i], 10 + i, &models[i]);
        REQUIRE(arrays[i] != NULL);
    }
    atomic_int failures = 0, calls = 0;
    pthread_t threads[8];
    reader_t readers[8];
    for (int t = 0; t < 8; t++) {
        int i = t % 4;
        readers[t] = (reader_t) { arrays[i], models[i], 2, { shapes[i][0], shapes[i][1] }, 4, 5 + (uint64_t) t * 31,
            250, &failures, &calls };
        REQUIRE(pthread_create(&threads[t], NULL, reader_main, &readers[t]) == 0);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(threads[t], NULL);
    }
    CHECK_INT(atomic_load(&failures), 0);
    CHECK_INT(atomic_load(&calls), 2000);
    for (int i = 0; i < 4; i++) {
        swkas_array_free(arrays[i]);
        free(models[i]);
    }
}

typedef struct {
    swkas_array_t *array;
    int64_t shape[2];
    uint64_t seed;
    atomic_int *done;
    atomic_int *torn;
    atomic_int *backwards;
    atomic_int *errors;
} watcher_t;

/* Reads windows while a writer sets the whole array to 1, 2, 3, ...: each
 * window holds one value (a write is atomic for readers), and the values a
 * reader sees never go back. */
static void *
watcher_main(void *arg)
{
    watcher_t *w = arg;
    uint64_t rng = w->seed;
    uint32_t last = 0;
    uint32_t *buf = malloc((size_t) (w->shape[0] * w->shape[1]) * 4 + 4);
    while (!atomic_load(w->done)) {
        int64_t start[2], stop[2], step[2];
        random_selection(&rng, 2, w->shape, start, stop, step);
        size_t n = sel_count(2, start, stop, step, NULL);
        if (n == 0) {
            continue;
        }
        if (swkas_array_get_slice(w->array, start, stop, step, buf, n * 4) != 0) {
            atomic_fetch_add(w->errors, 1);
            continue;
        }
        for (size_t i = 1; i < n; i++) {
            if (buf[i] != buf[0]) {
                atomic_fetch_add(w->torn, 1);
                break;
            }
        }
        if (buf[0] < last) {
            atomic_fetch_add(w->backwards, 1);
        }
        last = buf[0];
        /* Pause between reads: see test_threads_writer_progress for why. */
        nanosleep(&(struct timespec) { 0, 20000 }, NULL);
    }
    free(buf);
    return NULL;
}

static void
test_threads_readers_and_writer(void)
{
    for (int in_file = 0; in_file < 2; in_file++) {
        swkas_array_params_t p;
        swkas_array_params_init(&p);
        p.ndim = 2;
        p.shape[0] = 40;
        p.shape[1] = 30;
        p.chunks[0] = 16;
        p.chunks[1] = 16;
        p.blocks[0] = 4;
        p.blocks[1] = 8;
        p.itemsize = 4;
        p.dtype = "<u4";
        const char *path = tu_path("writer.b2nd");
        swkas_array_t *a = NULL;
        REQUIRE_INT(swkas_array_zeros(
            &p, in_file ? path : NULL, in_file ? SWKAS_ARRAY_OVERWRITE | SWKAS_ARRAY_NOT_DURABLE : 0, &a), 0);
        atomic_int done = 0, torn = 0, backwards = 0, errors = 0;
        watcher_t watchers[3];
        pthread_t threads[3];
        for (int t = 0; t < 3; t++) {
            watchers[t] = (watcher_t) { a, { 40, 30 }, 99 + (uint64_t) t, &done, &torn, &backwards, &errors };
            REQUIRE(pthread_create(&threads[t], NULL, watcher_main, &watchers[t]) == 0);
        }
        uint32_t values[1200];
        int64_t start[2] = { 0, 0 }, stop[2] = { 40, 30 };
        int write_errors = 0;
        for (uint32_t k = 1; k <= 40; k++) {
            for (int i = 0; i < 1200; i++) {
                values[i] = k;
            }
            write_errors += swkas_array_set_slice(a, start, stop, NULL, values, sizeof values) != 0;
            if (k % 10 == 0) {
                write_errors += swkas_array_vlmeta_set(a, "k", &k, sizeof k) != 0;
            }
        }
        atomic_store(&done, 1);
        for (int t = 0; t < 3; t++) {
            pthread_join(threads[t], NULL);
        }
        tu_context("%s", in_file ? "file" : "memory");
        CHECK_INT(write_errors, 0);
        CHECK_INT(atomic_load(&errors), 0);
        CHECK_INT(atomic_load(&torn), 0);
        CHECK_INT(atomic_load(&backwards), 0);
        check_values(a, values, sizeof values);
        swkas_array_free(a);
        if (in_file) {
            REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
            check_values(a, values, sizeof values);
            swkas_array_free(a);
            unlink(path);
        }
    }
    tu_context_clear();
}

typedef struct {
    const swkas_array_t *array;
    double deadline;
    atomic_int *stop;
    atomic_int *started;
} spinner_t;

static double
now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

/* Reads the whole array back to back until told to stop or a deadline. */
static void *
spinner_main(void *arg)
{
    spinner_t *s = arg;
    uint32_t buf[1200];
    int64_t start[2] = { 0, 0 }, stop[2] = { 40, 30 };
    swkas_array_get_slice(s->array, start, stop, NULL, buf, sizeof buf);
    atomic_fetch_add(s->started, 1);
    while (!atomic_load(s->stop) && now_seconds() < s->deadline) {
        swkas_array_get_slice(s->array, start, stop, NULL, buf, sizeof buf);
    }
    return NULL;
}

/* Modifying calls are "safe to make from any thread": a writer must get the
 * handle in reasonable time while readers keep it busy (three readers that
 * read back to back; without writer preference a rwlock starves it). */
static void
test_threads_writer_progress(void)
{
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = 40;
    p.shape[1] = 30;
    p.chunks[0] = 16;
    p.chunks[1] = 16;
    p.blocks[0] = 4;
    p.blocks[1] = 8;
    p.itemsize = 4;
    p.dtype = "<u4";
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    atomic_int stop = 0, started = 0;
    double deadline = now_seconds() + 4.0;
    spinner_t spinners[3];
    pthread_t threads[3];
    for (int t = 0; t < 3; t++) {
        spinners[t] = (spinner_t) { a, deadline, &stop, &started };
        REQUIRE(pthread_create(&threads[t], NULL, spinner_main, &spinners[t]) == 0);
    }
    while (atomic_load(&started) < 3) { /* every reader is busy before the writer starts */
        nanosleep(&(struct timespec) { 0, 100000 }, NULL);
    }
    double began = now_seconds();
    uint32_t values[1200];
    int64_t start[2] = { 0, 0 }, end[2] = { 40, 30 };
    int errors = 0;
    for (uint32_t k = 1; k <= 10; k++) {
        for (int i = 0; i < 1200; i++) {
            values[i] = k;
        }
        errors += swkas_array_set_slice(a, start, end, NULL, values, sizeof values) != 0;
    }
    double took = now_seconds() - began;
    atomic_store(&stop, 1);
    for (int t = 0; t < 3; t++) {
        pthread_join(threads[t], NULL);
    }
    CHECK_INT(errors, 0);
    tu_context("10 set_slice calls under 3 busy readers took %.2f s", took);
    CHECK(took < 1.5);
    tu_context_clear();
    check_values(a, values, sizeof values);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* More creation cases.                                               */

static void
test_dtypes(void)
{
    static const struct {
        const char *dtype;
        int32_t itemsize;
        int ok;
    } cases[] = {
        { "<U3", 12, 1 },
        { "|S5", 5, 1 },
        { ">i4", 4, 1 },
        { "<c16", 16, 1 },
        { "|b1", 1, 1 },
        { "<M8[ns]", 8, 1 },
        { "[('a', '<i4'), ('b', '<f8')]", 12, 1 },
        { "<U3", 3, 0 },
        { "|S5", 4, 0 },
        { "<i2", 4, 0 },
        { "[('a', '<i4'), ('b', '<f8')]", 8, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        swkas_array_params_t p;
        swkas_array_params_init(&p);
        p.ndim = 1;
        p.shape[0] = 7;
        p.chunks[0] = 4;
        p.blocks[0] = 2;
        p.itemsize = cases[i].itemsize;
        p.dtype = cases[i].dtype;
        unsigned char *data = pattern(7, (size_t) p.itemsize, (unsigned) i);
        tu_context("dtype %s itemsize %d", cases[i].dtype, cases[i].itemsize);
        swkas_array_t *a = NULL;
        const char *path = tu_path("dtype.b2nd");
        int ret = swkas_array_from_buffer(&p, path, SWKAS_ARRAY_OVERWRITE, data, 7 * (size_t) p.itemsize, &a);
        if (cases[i].ok) {
            CHECK_INT(ret, 0);
            swkas_array_free(a);
            a = NULL;
            if (ret == 0 && swkas_array_open(path, SWKAS_ARRAY_READONLY, &a) == 0) {
                swkas_array_params_t got;
                CHECK_INT(swkas_array_get_params(a, &got), 0);
                CHECK_STR(got.dtype, cases[i].dtype);
                CHECK_INT(got.itemsize, cases[i].itemsize);
                check_values(a, data, 7 * (size_t) p.itemsize);
            } else {
                CHECK(0 && "reopen");
            }
        } else {
            CHECK_INT(ret, SWKAS_ERR_INVALID_ARGUMENT);
        }
        swkas_array_free(a);
        unlink(path);
        free(data);
    }
    tu_context_clear();
}

/* Several chunks chosen automatically, compressed with 2 threads. */
static void
test_large_automatic(void)
{
    size_t rows = 1100, cols = 1000, n = rows * cols;
    double *values = smooth(n);
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = (int64_t) rows;
    p.shape[1] = (int64_t) cols;
    p.dtype = "<f8";
    p.cparams.nthreads = 2;
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, values, n * 8, &a), 0);
    swkas_array_stats_t st;
    CHECK_INT(swkas_array_get_stats(a, &st), 0);
    CHECK(st.nchunks >= 2);
    CHECK(st.cbytes < st.nbytes); /* a smooth signal compresses */
    uint64_t rng = 31337;
    int64_t shape[2] = { (int64_t) rows, (int64_t) cols };
    double *got = malloc(200 * 200 * 8), *want = malloc(200 * 200 * 8);
    int bad = 0;
    for (int r = 0; r < 40; r++) {
        int64_t start[2], stop[2], step[2];
        for (int d = 0; d < 2; d++) {
            start[d] = rng_below(&rng, shape[d] - 1);
            stop[d] = start[d] + 1 + rng_below(&rng, 199);
            if (stop[d] > shape[d]) {
                stop[d] = shape[d];
            }
            step[d] = 1 + rng_below(&rng, 3);
        }
        size_t cnt = sel_count(2, start, stop, step, NULL);
        ref_copy((unsigned char *) values, 2, shape, 8, start, stop, step, (unsigned char *) want, 1);
        if (swkas_array_get_slice(a, start, stop, step, got, cnt * 8) != 0 || memcmp(got, want, cnt * 8) != 0) {
            bad++;
        }
    }
    CHECK_INT(bad, 0);
    check_values(a, values, n * 8);
    swkas_array_free(a);
    free(got);
    free(want);
    free(values);
}

/* Replacing the file a handle has open: the handle keeps the old items. */
static void
test_copy_over_open_file(void)
{
    const char *path = tu_path("replace.b2nd");
    swkas_array_params_t p;
    params_of(&geoms[4], &p);
    double one[100], two[100];
    for (int i = 0; i < 100; i++) {
        one[i] = i;
        two[i] = 1000 - i;
    }
    swkas_array_t *a = NULL, *b = NULL, *c = NULL;
    REQUIRE_INT(swkas_array_from_buffer(&p, path, 0, one, sizeof one, &a), 0);
    REQUIRE_INT(swkas_array_from_buffer(&p, NULL, 0, two, sizeof two, &b), 0);
    CHECK_INT(swkas_array_copy(b, NULL, path, SWKAS_ARRAY_OVERWRITE, &c), 0);
    check_values(c, two, sizeof two);
    check_values(a, one, sizeof one);
    swkas_array_free(a);
    swkas_array_free(b);
    swkas_array_free(c);
    REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
    check_values(a, two, sizeof two);
    /* A copy of the open file over itself (compaction in place). */
    int64_t start[2] = { 0, 0 }, stop[2] = { 10, 10 };
    for (int r = 0; r < 5; r++) {
        two[r * 11] = -r;
        CHECK_INT(swkas_array_set_slice(a, start, stop, NULL, two, sizeof two), 0);
    }
    long long grown = tu_file_size(path);
    CHECK_INT(swkas_array_copy(a, NULL, path, SWKAS_ARRAY_OVERWRITE, &c), 0);
    CHECK(tu_file_size(path) < grown);
    check_values(c, two, sizeof two);
    swkas_array_free(c);
    swkas_array_free(a);
    REQUIRE_INT(swkas_array_open(path, 0, &a), 0);
    check_values(a, two, sizeof two);
    swkas_array_free(a);
    unlink(path);
}

/* A metalayer rewritten in memory travels in the frame. */
static void
test_meta_set_in_frame(void)
{
    const char *names[] = { "fixed" };
    const void *values[] = { "aaaa" };
    size_t sizes[] = { 4 };
    swkas_array_params_t p;
    params_of(&geoms[1], &p);
    p.nmeta = 1;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    swkas_array_t *a = NULL, *b = NULL;
    REQUIRE_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    CHECK_INT(swkas_array_meta_set(a, "fixed", "bbbb", 4), 0);
    size_t fs = 0;
    CHECK_INT(swkas_array_to_cframe(a, NULL, 0, &fs), SWKAS_ERR_BUFFER_TOO_SMALL);
    unsigned char *frame = malloc(fs);
    CHECK_INT(swkas_array_to_cframe(a, frame, fs, &fs), 0);
    REQUIRE_INT(swkas_array_from_cframe(frame, fs, &b), 0);
    const void *v = NULL;
    size_t vs = 0;
    CHECK_INT(swkas_array_meta_get(b, "fixed", &v, &vs), 0);
    CHECK_BUF(v, vs, "bbbb", 4);
    swkas_array_free(a);
    swkas_array_free(b);
    free(frame);
}

/* Borrowed pointers stay valid (and unchanged) across reads until the next
 * modifying call. */
static void
test_borrowed_pointers(void)
{
    const char *names[] = { "one", "two" };
    const void *values[] = { "11111111", "2222" };
    size_t sizes[] = { 8, 4 };
    swkas_array_params_t p;
    params_of(&geoms[5], &p);
    p.nmeta = 2;
    p.meta_names = names;
    p.meta_values = values;
    p.meta_sizes = sizes;
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_zeros(&p, NULL, 0, &a), 0);
    REQUIRE_INT(swkas_array_vlmeta_set(a, "v1", "vvvvvv", 6), 0);
    REQUIRE_INT(swkas_array_vlmeta_set(a, "v2", "ww", 2), 0);
    const void *m1 = NULL, *v1 = NULL, *b2nd = NULL;
    const char *n1 = NULL, *vn = NULL;
    size_t s1 = 0, sv1 = 0, sb = 0;
    swkas_array_params_t got;
    REQUIRE_INT(swkas_array_get_params(a, &got), 0);
    const char *dtype = got.dtype;
    REQUIRE_INT(swkas_array_meta_get(a, "one", &m1, &s1), 0);
    REQUIRE_INT(swkas_array_meta_get(a, "b2nd", &b2nd, &sb), 0);
    REQUIRE_INT(swkas_array_meta_name(a, 1, &n1), 0);
    REQUIRE_INT(swkas_array_vlmeta_get(a, "v1", &v1, &sv1), 0);
    REQUIRE_INT(swkas_array_vlmeta_name(a, 0, &vn), 0);
    unsigned char b2nd_copy[256];
    REQUIRE(sb <= sizeof b2nd_copy);
    memcpy(b2nd_copy, b2nd, sb);
    /* Many reads in between. */
    for (int i = 0; i < 50; i++) {
        const void *x = NULL;
        size_t xs = 0;
        const char *nm = NULL;
        swkas_array_meta_get(a, "two", &x, &xs);
        swkas_array_vlmeta_get(a, "v2", &x, &xs);
        swkas_array_meta_name(a, (size_t) i % 3, &nm);
        swkas_array_vlmeta_name(a, (size_t) i % 2, &nm);
        swkas_array_get_params(a, &got);
        int64_t start[2] = { 0, 0 }, stop[2] = { 3, 3 };
        uint16_t buf[9];
        swkas_array_get_slice(a, start, stop, NULL, buf, sizeof buf);
    }
    CHECK_STR(dtype, "<u2");
    CHECK_BUF(m1, s1, "11111111", 8);
    CHECK_BUF(b2nd, sb, b2nd_copy, sb);
    CHECK_STR(n1, "one");
    CHECK_BUF(v1, sv1, "vvvvvv", 6);
    CHECK(vn != NULL && (strcmp(vn, "v1") == 0 || strcmp(vn, "v2") == 0));
    CHECK_INT(swkas_array_meta_name(a, (size_t) -1, &n1), SWKAS_ERR_INDEX_OUT_OF_RANGE);
    CHECK_INT(swkas_array_vlmeta_name(a, (size_t) -1, &vn), SWKAS_ERR_INDEX_OUT_OF_RANGE);
    swkas_array_free(a);
}

/* ------------------------------------------------------------------ */
/* Crash safety: a writer process killed at a random moment leaves     */
/* the old or the new items of every call, never a mix, and a file     */
/* that opens.                                                         */

#define CRASH_ROWS 60
#define CRASH_COLS 50

/* The child: sets the whole array to k, k + 1, ... until killed. */
static int
crash_writer(const char *path)
{
    swkas_array_t *a = NULL;
    if (swkas_array_open(path, SWKAS_ARRAY_NOT_DURABLE, &a) != 0) {
        return 3;
    }
    static uint32_t values[CRASH_ROWS * CRASH_COLS];
    int64_t start[2] = { 0, 0 }, stop[2] = { CRASH_ROWS, CRASH_COLS };
    if (swkas_array_get_slice(a, start, stop, NULL, values, sizeof values) != 0) {
        return 4;
    }
    for (uint32_t k = values[0] + 1;; k++) {
        for (size_t i = 0; i < CRASH_ROWS * CRASH_COLS; i++) {
            values[i] = k;
        }
        if (swkas_array_set_slice(a, start, stop, NULL, values, sizeof values) != 0) {
            return 5;
        }
        if (k % 3 == 0 && swkas_array_vlmeta_set(a, "k", &k, sizeof k) != 0) {
            return 6;
        }
    }
}

static void
test_crash_safety(void)
{
    const char *path = tu_path("crash.b2nd");
    swkas_array_params_t p;
    swkas_array_params_init(&p);
    p.ndim = 2;
    p.shape[0] = CRASH_ROWS;
    p.shape[1] = CRASH_COLS;
    p.chunks[0] = 16;
    p.chunks[1] = 16;
    p.blocks[0] = 8;
    p.blocks[1] = 8;
    p.itemsize = 4;
    p.dtype = "<u4";
    swkas_array_t *a = NULL;
    REQUIRE_INT(swkas_array_zeros(&p, path, 0, &a), 0);
    swkas_array_free(a);
    uint64_t rng = 2024;
    uint32_t last = 0, *values = malloc(CRASH_ROWS * CRASH_COLS * 4);
    int progressed = 0;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            execl("/proc/self/exe", "test_arrays", "--crash-writer", path, (char *) NULL);
            _exit(2);
        }
        nanosleep(&(struct timespec) { 0, (long) (20 + rng_below(&rng, 60)) * 1000000L }, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        tu_context("round %d", round);
        CHECK(WIFSIGNALED(status)); /* the writer ran until killed */
        a = NULL;
        int ret = swkas_array_open(path, 0, &a);
        CHECK_INT(ret, 0);
        if (ret != 0) {
            break;
        }
        int64_t start[2] = { 0, 0 }, stop[2] = { CRASH_ROWS, CRASH_COLS };
        CHECK_INT(swkas_array_get_slice(a, start, stop, NULL, values, CRASH_ROWS * CRASH_COLS * 4), 0);
        size_t mixed = 0;
        for (size_t i = 1; i < CRASH_ROWS * CRASH_COLS; i++) {
            mixed += values[i] != values[0];
        }
        CHECK_UINT(mixed, 0);
        CHECK(values[0] >= last);
        progressed += values[0] > last;
        last = values[0];
        const void *v = NULL;
        size_t vs = 0;
        if (swkas_array_vlmeta_get(a, "k", &v, &vs) == 0) {
            uint32_t k = 0;
            CHECK_UINT(vs, 4);
            memcpy(&k, v, 4);
            CHECK(k <= values[0] && k + 3 >= values[0]); /* k is set after the items, every third k */
        }
        swkas_array_free(a);
    }
    tu_context_clear();
    CHECK(progressed >= 10); /* the writer got going in (nearly) every round */
    free(values);
    unlink(path);
}

/* ------------------------------------------------------------------ */

static const tu_test_t create_tests[] = {
    { "params_init", test_params_init },
    { "every_kind_and_geometry", test_create_every_kind },
    { "empty_is_small", test_empty_is_small },
    { "automatic_chunks", test_automatic_chunks },
    { "b2nd_metalayer_bytes", test_b2nd_metalayer_bytes },
    { "dtypes", test_dtypes },
    { "large_automatic", test_large_automatic },
    { NULL, NULL },
};

static const tu_test_t slice_tests[] = {
    { "get_slice_random", test_get_slice_random },
    { "get_slice_codecs", test_get_slice_codecs },
    { "get_slice_edges", test_get_slice_edges },
    { "set_slice", test_set_slice },
    { "set_slice_into_special_chunks", test_set_slice_into_special_chunks },
    { "resize", test_resize },
    { NULL, NULL },
};

static const tu_test_t frame_tests[] = {
    { "cframe_round_trip", test_cframe_round_trip },
    { "copy", test_copy },
    { "meta", test_meta },
    { "meta_creation_rules", test_meta_creation_rules },
    { "vlmeta", test_vlmeta },
    { "stats_and_info", test_stats_and_info },
    { "readonly", test_readonly },
    { "sparse_directory", test_sparse_directory },
    { "remove", test_remove },
    { "copy_over_open_file", test_copy_over_open_file },
    { "meta_set_in_frame", test_meta_set_in_frame },
    { "borrowed_pointers", test_borrowed_pointers },
    { "crash_safety", test_crash_safety },
    { NULL, NULL },
};

static const tu_test_t error_tests[] = {
    { "null_arguments", test_null_arguments },
    { "bad_flags", test_bad_flags },
    { "invalid_geometry", test_invalid_geometry },
    { "invalid_selection", test_invalid_selection },
    { "exists_and_overwrite", test_exists_and_overwrite },
    { "open_errors", test_open_errors },
    { "truncated_and_corrupted", test_truncated_and_corrupted },
    { "strerror", test_strerror },
    { "last_error_message", test_last_error_message },
    { NULL, NULL },
};

static const tu_test_t thread_tests[] = {
    { "one_handle", test_threads_one_handle },
    { "many_handles", test_threads_many_handles },
    { "readers_and_writer", test_threads_readers_and_writer },
    { "writer_progress", test_threads_writer_progress },
    { NULL, NULL },
};

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--crash-writer") == 0) {
        return crash_writer(argv[2]);
    }
    static const tu_suite_t suites[] = {
        { "arrays_create", create_tests },
        { "arrays_slices", slice_tests },
        { "arrays_frames", frame_tests },
        { "arrays_errors", error_tests },
        { "arrays_threads", thread_tests },
        { NULL, NULL },
    };
    return tu_run("test_arrays_", suites, argc, argv);
}
