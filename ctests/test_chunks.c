/* The Blosc2 chunk API of swkas.h: round trips for every codec and filter,
 * item ranges, header inspection, thread independence, the golden chunks
 * python-blosc2 wrote, and every error path. */
#include "testutil.h"

#include <kastore.h>
#include <swkas.h>

#include <stdlib.h>
#include <string.h>

/* A smooth float64 signal of n items. */
static double *
smooth(size_t n)
{
    double *values = malloc(n * sizeof(double) + 1);
    for (size_t i = 0; i < n; i++) {
        values[i] = (double) i * 0.25 + (double) (i % 7);
    }
    return values;
}

static void
round_trip(const swkas_cparams_t *params, const void *src, size_t nbytes)
{
    size_t bound = swkas_chunk_compress_bound(nbytes), cbytes = 0, nout = 0;
    unsigned char *chunk = malloc(bound);
    unsigned char *out = malloc(nbytes + 1);
    REQUIRE_INT(swkas_chunk_compress(params, src, nbytes, chunk, bound, &cbytes), 0);
    CHECK(cbytes <= nbytes + 32);
    CHECK_INT(swkas_chunk_decompress(chunk, cbytes, out, nbytes, 2, &nout), 0);
    CHECK_UINT(nout, nbytes);
    CHECK_MEM(out, src, nbytes);
    swkas_chunk_info_t info;
    CHECK_INT(swkas_chunk_info(chunk, cbytes, &info), 0);
    CHECK_INT(info.version, 5);
    CHECK_UINT(info.nbytes, nbytes);
    CHECK_UINT(info.cbytes, cbytes);
    CHECK_INT(info.typesize, params->typesize);
    free(chunk);
    free(out);
}

static void
test_defaults(void)
{
    swkas_cparams_t params;
    swkas_cparams_init(&params);
    CHECK_INT(params.codec, SWKAS_CODEC_ZSTD);
    CHECK_INT(params.clevel, 5);
    CHECK_INT(params.typesize, 8);
    CHECK_INT(params.blocksize, 0);
    CHECK_INT(params.filters[5], SWKAS_FILTER_SHUFFLE);
    CHECK_INT(params.nthreads, 1);
    CHECK_INT(params.splitmode, SWKAS_SPLIT_AUTO);
    CHECK_UINT(swkas_chunk_compress_bound(1000), 1032);
}

static void
test_every_codec_and_filter(void)
{
    const int codecs[] = { SWKAS_CODEC_LZ4, SWKAS_CODEC_LZ4HC, SWKAS_CODEC_ZLIB, SWKAS_CODEC_ZSTD };
    const int filters[] = { SWKAS_FILTER_NOFILTER, SWKAS_FILTER_SHUFFLE, SWKAS_FILTER_BITSHUFFLE,
        SWKAS_FILTER_DELTA };
    const size_t sizes[] = { 0, 1, 31, 32, 1000, 100003 * 8 };
    double *values = smooth(100003);
    for (size_t c = 0; c < 4; c++) {
        for (size_t f = 0; f < 4; f++) {
            for (size_t s = 0; s < 6; s++) {
                if (filters[f] == SWKAS_FILTER_DELTA && sizes[s] % 8 != 0) {
                    continue; /* refused: a partial DELTA unit (tested in errors) */
                }
                swkas_cparams_t params;
                swkas_cparams_init(&params);
                params.codec = codecs[c];
                params.filters[5] = 0;
                params.filters[0] = (uint8_t) filters[f];
                tu_context("codec %d filter %d size %zu", codecs[c], filters[f], sizes[s]);
                round_trip(&params, values, sizes[s]);
            }
        }
    }
    tu_context_clear();
    free(values);
}

static void
test_threads_give_the_same_bytes(void)
{
    size_t n = 400000, cbytes1 = 0, cbytes2 = 0;
    double *values = smooth(n);
    swkas_cparams_t params;
    swkas_cparams_init(&params);
    params.codec = SWKAS_CODEC_LZ4;
    params.blocksize = 32768;
    size_t bound = swkas_chunk_compress_bound(n * 8);
    unsigned char *one = malloc(bound), *two = malloc(bound);
    REQUIRE_INT(swkas_chunk_compress(&params, values, n * 8, one, bound, &cbytes1), 0);
    params.nthreads = 2;
    REQUIRE_INT(swkas_chunk_compress(&params, values, n * 8, two, bound, &cbytes2), 0);
    CHECK_BUF(one, cbytes1, two, cbytes2);
    free(one);
    free(two);
    free(values);
}

static void
test_getitems(void)
{
    size_t n = 100000, cbytes = 0, written = 0;
    double *values = smooth(n);
    swkas_cparams_t params;
    swkas_cparams_init(&params);
    params.blocksize = 8192;
    size_t bound = swkas_chunk_compress_bound(n * 8);
    unsigned char *chunk = malloc(bound);
    REQUIRE_INT(swkas_chunk_compress(&params, values, n * 8, chunk, bound, &cbytes), 0);
    double part[5000];
    const size_t starts[] = { 0, 1, 1023, 50000, 95000 };
    for (size_t i = 0; i < 5; i++) {
        CHECK_INT(swkas_chunk_getitems(chunk, cbytes, starts[i], 5000, part, sizeof part, 2, &written), 0);
        CHECK_UINT(written, sizeof part);
        CHECK_MEM(part, values + starts[i], sizeof part);
    }
    CHECK_INT(swkas_chunk_getitems(chunk, cbytes, 99999, 2, part, sizeof part, 1, &written),
        SWKAS_ERR_INVALID_ARGUMENT);
    CHECK_INT(swkas_chunk_getitems(chunk, cbytes, 0, 10, part, 8, 1, &written), SWKAS_ERR_BUFFER_TOO_SMALL);
    free(chunk);
    free(values);
}

static void
test_special_and_memcpy(void)
{
    unsigned char zeros[4096] = { 0 }, chunk[4096 + 32], out[4096];
    size_t cbytes = 0, nout = 0;
    swkas_cparams_t params;
    swkas_cparams_init(&params);
    REQUIRE_INT(swkas_chunk_compress(&params, zeros, sizeof zeros, chunk, sizeof chunk, &cbytes), 0);
    CHECK_UINT(cbytes, 32);
    swkas_chunk_info_t info;
    CHECK_INT(swkas_chunk_info(chunk, cbytes, &info), 0);
    CHECK_INT(info.special, SWKAS_SPECIAL_ZEROS);
    memset(out, 0xff, sizeof out);
    CHECK_INT(swkas_chunk_decompress(chunk, cbytes, out, sizeof out, 1, &nout), 0);
    CHECK_MEM(out, zeros, sizeof zeros);
    params.clevel = 0;
    for (size_t i = 0; i < sizeof zeros; i++) {
        zeros[i] = (unsigned char) (i * 31);
    }
    REQUIRE_INT(swkas_chunk_compress(&params, zeros, sizeof zeros, chunk, sizeof chunk, &cbytes), 0);
    CHECK_UINT(cbytes, sizeof zeros + 32);
    CHECK_INT(swkas_chunk_info(chunk, cbytes, &info), 0);
    CHECK_INT(info.memcpyed, 1);
}

/* The golden chunks from python-blosc2: each decodes, and to its input when
 * the manifest names one (checked fully by the Swift and Python suites). */
static void
test_golden_chunks_decode(void)
{
    const char *names[] = { "0001_blosclz_none_ts1_const_n100_cl1_auto.chunk",
        "0006_blosclz_none_ts12_walk_n100_cl3_always.chunk" };
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/../blosc2/chunks/%s", SWKAS_TEST_DATA_DIR, names[i]);
        FILE *file = fopen(path, "rb");
        REQUIRE(file != NULL);
        unsigned char chunk[8192], out[8192];
        size_t size = fread(chunk, 1, sizeof chunk, file), nout = 0;
        fclose(file);
        swkas_chunk_info_t info;
        REQUIRE_INT(swkas_chunk_info(chunk, size, &info), 0);
        CHECK_INT(swkas_chunk_decompress(chunk, size, out, sizeof out, 1, &nout), 0);
        CHECK_UINT(nout, info.nbytes);
    }
}

static void
test_errors(void)
{
    double values[1000];
    for (size_t i = 0; i < 1000; i++) {
        values[i] = (double) i;
    }
    unsigned char chunk[8032], out[8000];
    size_t cbytes = 0, nout = 0;
    swkas_cparams_t params;
    swkas_cparams_init(&params);

    CHECK_INT(swkas_chunk_compress(NULL, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, 100, &cbytes), SWKAS_ERR_BUFFER_TOO_SMALL);
    params.clevel = 10;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_cparams_init(&params);
    params.typesize = 0;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_cparams_init(&params);
    params.codec = 3;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    params.codec = SWKAS_CODEC_BLOSCLZ;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_UNSUPPORTED);
    swkas_cparams_init(&params);
    params.filters[0] = 7;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_cparams_init(&params);
    params.filters[0] = SWKAS_FILTER_TRUNC_PREC; /* precision 0 is invalid */
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_cparams_init(&params);
    params.filters[0] = SWKAS_FILTER_DELTA; /* a partial last 8-byte unit */
    CHECK_INT(swkas_chunk_compress(&params, values, 7999, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);
    swkas_cparams_init(&params);
    params.splitmode = 9;
    CHECK_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), SWKAS_ERR_INVALID_ARGUMENT);

    swkas_cparams_init(&params);
    REQUIRE_INT(swkas_chunk_compress(&params, values, 8000, chunk, sizeof chunk, &cbytes), 0);
    CHECK_INT(swkas_chunk_decompress(chunk, cbytes, out, 100, 1, &nout), SWKAS_ERR_BUFFER_TOO_SMALL);
    CHECK_INT(swkas_chunk_decompress(NULL, cbytes, out, sizeof out, 1, &nout), SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(swkas_chunk_decompress(chunk, 10, out, sizeof out, 1, &nout), SWKAS_ERR_BAD_CHUNK);
    CHECK_INT(swkas_chunk_decompress(chunk, cbytes - 1, out, sizeof out, 1, &nout), SWKAS_ERR_BAD_CHUNK);
    unsigned char bad[8032];
    memcpy(bad, chunk, cbytes);
    bad[0] = 7; /* version 7 */
    CHECK_INT(swkas_chunk_decompress(bad, cbytes, out, sizeof out, 1, &nout), SWKAS_ERR_UNSUPPORTED);
    memcpy(bad, chunk, cbytes);
    bad[31] = 0x01; /* a dictionary */
    CHECK_INT(swkas_chunk_decompress(bad, cbytes, out, sizeof out, 1, &nout), SWKAS_ERR_UNSUPPORTED);
    memcpy(bad, chunk, cbytes);
    bad[32] = 0xff; /* bstarts[0] far past the end */
    bad[33] = 0xff;
    CHECK_INT(swkas_chunk_decompress(bad, cbytes, out, sizeof out, 1, &nout), SWKAS_ERR_BAD_CHUNK);
    swkas_chunk_info_t info;
    CHECK_INT(swkas_chunk_info(chunk, 8, &info), SWKAS_ERR_BAD_CHUNK);
    CHECK_INT(swkas_chunk_info(chunk, cbytes, NULL), SWKAS_ERR_NULL_ARGUMENT);
    CHECK(strcmp(swkas_strerror(SWKAS_ERR_BAD_CHUNK), "Unknown error") != 0);
    CHECK(strcmp(swkas_strerror(SWKAS_ERR_UNSUPPORTED), "Unknown error") != 0);
}

static const tu_test_t tests[] = {
    { "defaults", test_defaults },
    { "every_codec_and_filter", test_every_codec_and_filter },
    { "threads_give_the_same_bytes", test_threads_give_the_same_bytes },
    { "getitems", test_getitems },
    { "special_and_memcpy", test_special_and_memcpy },
    { "golden_chunks_decode", test_golden_chunks_decode },
    { "errors", test_errors },
    { NULL, NULL },
};

int
main(int argc, char **argv)
{
    static const tu_suite_t suites[] = { { "chunks", tests }, { NULL, NULL } };
    return tu_run("test_chunks_", suites, argc, argv);
}
