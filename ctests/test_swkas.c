/*
 * test_swkas.c: libswkas's own C API (swkas.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kastore.h>
#include <swkas.h>

#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static int
is_all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t j;
    for (j = 0; j < n; j++) {
        if (b[j] != 0) {
            return 0;
        }
    }
    return 1;
}

#define CHECK_ZEROED(store) CHECK(is_all_zero(&(store), sizeof(store)))

static void
write_raw(const char *path, const void *data, size_t len)
{
    REQUIRE(tu_write_file(path, data, len) == 0);
}

/* Test items: one per type, plus an empty array and a key with a NUL byte. */
static const int8_t D_INT8[] = { -128, 127, 0 };
static const uint8_t D_UINT8[] = { 255, 1 };
static const int16_t D_INT16[] = { -32768, 32767, 5 };
static const uint16_t D_UINT16[] = { 65535 };
static const int32_t D_INT32[] = { INT32_MIN, INT32_MAX, -1, 7 };
static const uint32_t D_UINT32[] = { UINT32_MAX, 0 };
static const int64_t D_INT64[] = { INT64_MIN, INT64_MAX };
static const uint64_t D_UINT64[] = { UINT64_MAX, 1, 2 };
static const float D_FLOAT32[] = { 1.5f, -0.0f };
static const double D_FLOAT64[] = { 0.1, 1e300, -2.0 };

#define NUM_ITEMS 12
/* Insertion order; the sorted order differs. */
static const tu_item_t ITEMS[NUM_ITEMS] = {
    { "t9_float64", 10, KAS_FLOAT64, D_FLOAT64, 3 },
    { "t0_int8", 7, KAS_INT8, D_INT8, 3 },
    { "t1_uint8", 8, KAS_UINT8, D_UINT8, 2 },
    { "t8_float32", 10, KAS_FLOAT32, D_FLOAT32, 2 },
    { "t2_int16", 8, KAS_INT16, D_INT16, 3 },
    { "t3_uint16", 9, KAS_UINT16, D_UINT16, 1 },
    { "empty", 5, KAS_INT32, NULL, 0 },
    { "t4_int32", 8, KAS_INT32, D_INT32, 4 },
    { "t5_uint32", 9, KAS_UINT32, D_UINT32, 2 },
    { "t6_int64", 8, KAS_INT64, D_INT64, 2 },
    { "nul\0key", 7, KAS_UINT8, D_UINT8, 1 },
    { "t7_uint64", 9, KAS_UINT64, D_UINT64, 3 },
};

static const tu_item_t *
find_item(const char *key, size_t key_len)
{
    size_t j;
    for (j = 0; j < NUM_ITEMS; j++) {
        if (tu_key_cmp(ITEMS[j].key, ITEMS[j].key_len, key, key_len) == 0) {
            return &ITEMS[j];
        }
    }
    return NULL;
}

static void
put_items(kastore_t *store)
{
    size_t j;
    for (j = 0; j < NUM_ITEMS; j++) {
        CHECK_INT(kastore_put(store, ITEMS[j].key, ITEMS[j].key_len, ITEMS[j].data,
                      ITEMS[j].array_len, ITEMS[j].type, 0),
            0);
    }
}

/* The items written by kastore_open("w"), and the file's bytes. */
static const char *
items_file(const char *name, unsigned char **bytes, size_t *size)
{
    const char *path = tu_path(name);
    kastore_t store;
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    put_items(&store);
    REQUIRE_INT(kastore_close(&store), 0);
    if (bytes != NULL) {
        *bytes = tu_read_file(path, size);
        REQUIRE(*bytes != NULL);
    }
    return path;
}

/* Checks every item of a read-mode store through items[] and kastore_get. */
static void
check_items_readable(kastore_t *store)
{
    size_t j, len;
    void *array;
    int type;
    int takes = (store->flags & KAS_GET_TAKES_OWNERSHIP) != 0;

    REQUIRE_INT(store->num_items, NUM_ITEMS);
    for (j = 0; j < NUM_ITEMS; j++) {
        const tu_item_t *expected = find_item(store->items[j].key, store->items[j].key_len);
        tu_context("item %zu", j);
        REQUIRE(expected != NULL);
        if (j > 0) {
            CHECK(tu_key_cmp(store->items[j - 1].key, store->items[j - 1].key_len,
                      store->items[j].key, store->items[j].key_len)
                  < 0);
        }
        array = NULL;
        CHECK_INT(kastore_get(store, expected->key, expected->key_len, &array, &len, &type), 0);
        CHECK(array != NULL);
        CHECK_INT(type, expected->type);
        CHECK_UINT(len, expected->array_len);
        CHECK_MEM(array, expected->data, len * tu_elem_size(type));
        if (takes) {
            free(array);
        }
    }
    tu_context_clear();
}

#ifdef __linux__
/* The pathname of the mapping of this process that contains p, or "". */
static const char *
mapping_of(const void *p)
{
    static char result[4096];
    char line[4096 + 256];
    FILE *maps = fopen("/proc/self/maps", "r");
    uintptr_t addr = (uintptr_t) p;

    result[0] = '\0';
    if (maps == NULL) {
        return result;
    }
    while (fgets(line, sizeof(line), maps) != NULL) {
        unsigned long start, end;
        char *path;
        if (sscanf(line, "%lx-%lx", &start, &end) != 2) {
            continue;
        }
        if (addr >= start && addr < end) {
            path = strchr(line, '/');
            if (path != NULL) {
                path[strcspn(path, "\n")] = '\0';
                snprintf(result, sizeof(result), "%s", path);
            } else {
                snprintf(result, sizeof(result), "(anonymous)");
            }
            break;
        }
    }
    fclose(maps);
    return result;
}
#define IN_FILE_MAPPING(p, real) (strcmp(mapping_of(p), (real)) == 0)
#else
/* No /proc/self/maps: only the pointer checks of the tests apply. */
#define IN_FILE_MAPPING(p, real) ((void) (real), (p) != NULL)
#endif

static int
inside(const void *p, const void *start, size_t size)
{
    const unsigned char *c = p, *s = start;
    return c >= s && c <= s + size;
}

/* ------------------------------------------------------------------ */
/* Version, errors, type sizes                                        */

static void
test_version(void)
{
    const char *s = swkas_version();
    int major = -1, minor = -1, patch = -1;
    char expected[32];

    REQUIRE(s != NULL);
    CHECK_STR(s, SWKAS_VERSION_STRING);
    CHECK_INT(sscanf(s, "%d.%d.%d", &major, &minor, &patch), 3);
    CHECK_INT(major, SWKAS_VERSION_MAJOR);
    CHECK_INT(minor, SWKAS_VERSION_MINOR);
    CHECK_INT(patch, SWKAS_VERSION_PATCH);
    snprintf(expected, sizeof(expected), "%d.%d.%d", SWKAS_VERSION_MAJOR,
        SWKAS_VERSION_MINOR, SWKAS_VERSION_PATCH);
    CHECK_STR(s, expected);
    CHECK_INT(swkas_version_number(), SWKAS_VERSION_NUMBER);
    CHECK_INT(SWKAS_VERSION_NUMBER,
        SWKAS_VERSION_MAJOR * 10000 + SWKAS_VERSION_MINOR * 100 + SWKAS_VERSION_PATCH);
    CHECK_INT(swkas_version_number(), major * 10000 + minor * 100 + patch);
}

static void
test_strerror(void)
{
    static const int swkas_codes[] = { SWKAS_ERR_INDEX_OUT_OF_RANGE,
        SWKAS_ERR_NULL_ARGUMENT, SWKAS_ERR_TRUNCATED };
    static const int other[] = { 0, 1, -16, -100, -104, INT_MIN, INT_MAX };
    const char *texts[3];
    char kas_text[512];
    int code;
    size_t j, k;

    CHECK_INT(SWKAS_ERR_INDEX_OUT_OF_RANGE, -101);
    CHECK_INT(SWKAS_ERR_NULL_ARGUMENT, -102);
    CHECK_INT(SWKAS_ERR_TRUNCATED, -103);
    for (code = -1; code >= -15; code--) {
        tu_context("code %d", code);
        errno = ENOENT;
        snprintf(kas_text, sizeof(kas_text), "%s", kas_strerror(code));
        errno = ENOENT;
        CHECK_STR(swkas_strerror(code), kas_text);
    }
    /* KAS_ERR_IO follows the current errno, including "unset". */
    tu_context("KAS_ERR_IO");
    errno = EACCES;
    CHECK_STR(swkas_strerror(KAS_ERR_IO), strerror(EACCES));
    errno = 0;
    snprintf(kas_text, sizeof(kas_text), "%s", kas_strerror(KAS_ERR_IO));
    errno = 0;
    CHECK_STR(swkas_strerror(KAS_ERR_IO), kas_text);
    for (j = 0; j < 3; j++) {
        tu_context("code %d", swkas_codes[j]);
        texts[j] = swkas_strerror(swkas_codes[j]);
        REQUIRE(texts[j] != NULL);
        CHECK(strlen(texts[j]) > 0);
        CHECK(strcmp(texts[j], "Unknown error") != 0);
        for (k = 0; k < j; k++) {
            CHECK(strcmp(texts[j], texts[k]) != 0);
        }
        CHECK(strcmp(texts[j], kas_strerror(swkas_codes[j])) != 0);
    }
    for (j = 0; j < sizeof(other) / sizeof(other[0]); j++) {
        tu_context("code %d", other[j]);
        REQUIRE(swkas_strerror(other[j]) != NULL);
        CHECK_STR(swkas_strerror(other[j]), kas_strerror(other[j]));
    }
    tu_context_clear();
}

static void
test_type_size(void)
{
    static const int sizes[KAS_NUM_TYPES] = { 1, 1, 2, 2, 4, 4, 8, 8, 4, 8 };
    static const int bad[] = { -1, 10, 11, 255, 256, INT_MIN, INT_MAX };
    size_t j;
    int t;

    for (t = 0; t < KAS_NUM_TYPES; t++) {
        tu_context("type %d", t);
        CHECK_INT(swkas_type_size(t), sizes[t]);
    }
    for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
        tu_context("type %d", bad[j]);
        CHECK_INT(swkas_type_size(bad[j]), KAS_ERR_BAD_TYPE);
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* swkas_open_mmap                                                    */

static void
test_mmap_zero_copy(void)
{
    const char *path = items_file("mmap.kas", NULL, NULL);
    char real[4096];
    kastore_t store;
    size_t j, len;
    void *array;
    int type, flags;

    REQUIRE(realpath(path, real) != NULL);
    for (flags = 0; flags <= 1; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(swkas_open_mmap(&store, path, flags), 0);
        CHECK_INT(store.mode, KAS_READ);
        CHECK_UINT(store.num_items, NUM_ITEMS);
        CHECK_INT(store.file_version[0], 1);
        CHECK_INT(store.file_version[1], 0);
        for (j = 0; j < store.num_items; j++) {
            kaitem_t *item = &store.items[j];
            void *before = item->array;
            tu_context("flags %d, item %zu", flags, j);
            /* Every array points into the mapping right after open. */
            REQUIRE(before != NULL);
            CHECK_UINT((uintptr_t) before % 8, 0);
            if (item->array_len > 0) {
                CHECK(IN_FILE_MAPPING(before, real));
            }
            array = NULL;
            CHECK_INT(kastore_get(&store, item->key, item->key_len, &array, &len, &type), 0);
            CHECK_PTR_EQ(array, before);
            CHECK_PTR_EQ(item->array, before);
            CHECK_UINT(len, item->array_len);
            CHECK_INT(type, item->type);
            array = NULL;
            CHECK_INT(swkas_get_at(&store, j, &array, &len, &type), 0);
            CHECK_PTR_EQ(array, before);
        }
        tu_context("flags %d", flags);
        check_items_readable(&store);
        CHECK_INT(kastore_containss(&store, "t0_int8"), 1);
        CHECK_INT(kastore_containss(&store, "t0"), 0);
        CHECK_INT(kastore_puts_int8(&store, "new", D_INT8, 1, 0), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
}

static void
test_mmap_takes_ownership(void)
{
    const char *path = items_file("mmap_takes.kas", NULL, NULL);
    char real[4096];
    kastore_t store;
    void *first[NUM_ITEMS], *second[NUM_ITEMS];
    size_t j, len;
    int type, flags;

    REQUIRE(realpath(path, real) != NULL);
    for (flags = KAS_GET_TAKES_OWNERSHIP; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(swkas_open_mmap(&store, path, flags), 0);
        REQUIRE_INT(store.num_items, NUM_ITEMS);
        for (j = 0; j < NUM_ITEMS; j++) {
            kaitem_t *item = &store.items[j];
            const tu_item_t *expected = find_item(item->key, item->key_len);
            REQUIRE(expected != NULL);
            first[j] = second[j] = NULL;
            CHECK_INT(kastore_get(&store, item->key, item->key_len, &first[j], &len, &type), 0);
            REQUIRE(first[j] != NULL);
#ifdef __linux__
            CHECK(!IN_FILE_MAPPING(first[j], real));
#endif
            CHECK_MEM(first[j], expected->data, len * tu_elem_size(type));
            CHECK_INT(swkas_get_at(&store, j, &second[j], &len, &type), 0);
            REQUIRE(second[j] != NULL);
            CHECK_PTR_NE(second[j], first[j]);
#ifdef __linux__
            CHECK(!IN_FILE_MAPPING(second[j], real));
#endif
            CHECK_MEM(second[j], expected->data, len * tu_elem_size(type));
        }
        CHECK_INT(kastore_close(&store), 0);
        /* malloc'ed copies that outlive close. */
        for (j = 0; j < NUM_ITEMS; j++) {
            first[j] = realloc(first[j], 128);
            REQUIRE(first[j] != NULL);
            free(first[j]);
            free(second[j]);
        }
    }
    tu_context_clear();
}

static void
test_mmap_errors(void)
{
    unsigned char *bytes;
    size_t size;
    const char *full = items_file("mmap_full.kas", &bytes, &size);
    const char *truncated = tu_path("mmap_truncated.kas");
    const char *empty = tu_path("mmap_empty.kas");
    const char *short_header = tu_path("mmap_short.kas");
    const char *bad_magic = tu_path("mmap_bad_magic.kas");
    const char *dir = tu_make_subdir("mmap_dir");
    kastore_t store;
    int ret, err, flags;

    REQUIRE(dir != NULL);
    write_raw(truncated, bytes, size - 3);
    write_raw(empty, "", 0);
    write_raw(short_header, bytes, 10);
    bytes[1] = 'k';
    write_raw(bad_magic, bytes, size);
    free(bytes);
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        errno = 0;
        ret = swkas_open_mmap(&store, tu_path("mmap_missing.kas"), flags);
        err = errno;
        CHECK_INT(ret, KAS_ERR_IO);
        CHECK_INT(err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, empty, flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, truncated, flags), SWKAS_ERR_TRUNCATED);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, short_header, flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, bad_magic, flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        ret = swkas_open_mmap(&store, dir, flags);
        CHECK(ret < 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, full, flags | 4), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK_INT(swkas_open_mmap(&store, full, -1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(swkas_open_mmap(&store, full, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_mmap_survives_replace(void)
{
    const char *path = items_file("mmap_replace.kas", NULL, NULL);
    kastore_t store, writer;
    int32_t *values;
    size_t len;
    const int32_t replacement[2] = { 100, 200 };

    REQUIRE_INT(swkas_open_mmap(&store, path, 0), 0);
    /* Every writer of the library replaces the file: the mapping keeps the old data. */
    REQUIRE_INT(kastore_open(&writer, path, "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&writer, "t4_int32", replacement, 2, 0), 0);
    CHECK_INT(kastore_close(&writer), 0);
    check_items_readable(&store);
    CHECK_INT(kastore_close(&store), 0);

    REQUIRE_INT(swkas_open_mmap(&store, path, 0), 0);
    CHECK_UINT(store.num_items, 1);
    CHECK_INT(kastore_gets_int32(&store, "t4_int32", &values, &len), 0);
    CHECK_UINT(len, 2);
    CHECK_MEM(values, replacement, sizeof(replacement));
    CHECK_INT(kastore_close(&store), 0);
}

#ifdef __linux__
/* Counts the lines of /proc/self/maps that name path. */
static int
count_mappings_of(const char *path)
{
    char line[4096 + 256];
    FILE *maps = fopen("/proc/self/maps", "r");
    int count = 0;
    size_t n = strlen(path);
    if (maps == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), maps) != NULL) {
        char *p = strchr(line, '/');
        if (p != NULL && strncmp(p, path, n) == 0 && (p[n] == '\n' || p[n] == '\0')) {
            count++;
        }
    }
    fclose(maps);
    return count;
}

static void
test_mmap_releases_resources(void)
{
    unsigned char *bytes;
    size_t size;
    const char *path = items_file("mmap_release.kas", &bytes, &size);
    const char *truncated = tu_path("mmap_release_truncated.kas");
    const char *unsorted = tu_path("mmap_release_unsorted.kas");
    const int32_t v[1] = { 1 };
    tu_item_t items[2] = { { "b", 1, KAS_INT32, v, 1 }, { "a", 1, KAS_INT32, v, 1 } };
    unsigned char *enc;
    size_t enc_size;
    char real[4096], real_truncated[4096], real_unsorted[4096];
    kastore_t store;
    void *copy;
    size_t len;
    int type, fds_before, round;

    write_raw(truncated, bytes, size - 1);
    enc = tu_encode(items, 2, 0, &enc_size);
    REQUIRE(enc != NULL);
    write_raw(unsorted, enc, enc_size);
    free(enc);
    free(bytes);
    REQUIRE(realpath(path, real) != NULL);
    REQUIRE(realpath(truncated, real_truncated) != NULL);
    REQUIRE(realpath(unsorted, real_unsorted) != NULL);
    fds_before = tu_count_dir_entries("/proc/self/fd");
    for (round = 0; round < 20; round++) {
        REQUIRE_INT(swkas_open_mmap(&store, path, KAS_GET_TAKES_OWNERSHIP), 0);
        CHECK_INT(swkas_get_at(&store, 3, &copy, &len, &type), 0);
        free(copy);
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(swkas_open_mmap(&store, path, 0), 0);
        CHECK(count_mappings_of(real) > 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(count_mappings_of(real), 0);
        CHECK_INT(swkas_open_mmap(&store, truncated, 0), SWKAS_ERR_TRUNCATED);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, unsorted, 0), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_mmap(&store, path, 4), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
    }
    CHECK_INT(count_mappings_of(real), 0);
    CHECK_INT(count_mappings_of(real_truncated), 0);
    CHECK_INT(count_mappings_of(real_unsorted), 0);
    CHECK_INT(tu_count_dir_entries("/proc/self/fd"), fds_before);
}
#endif

/* ------------------------------------------------------------------ */
/* swkas_open_buffer                                                  */

static void
test_buffer_borrowed(void)
{
    unsigned char *bytes, *buf;
    size_t size, j, len;
    kastore_t store;
    void *array;
    int type, flags;

    items_file("buffer.kas", &bytes, &size);
    /* malloc memory is suitably aligned; add trailing bytes that must be ignored. */
    buf = malloc(size + 13);
    REQUIRE(buf != NULL);
    memcpy(buf, bytes, size);
    memset(buf + size, 0xee, 13);
    for (flags = 0; flags <= 1; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(swkas_open_buffer(&store, buf, size + 13, flags), 0);
        CHECK_INT(store.mode, KAS_READ);
        CHECK_UINT(store.file_size, size);
        for (j = 0; j < store.num_items; j++) {
            kaitem_t *item = &store.items[j];
            tu_context("flags %d, item %zu", flags, j);
            array = NULL;
            CHECK_INT(kastore_get(&store, item->key, item->key_len, &array, &len, &type), 0);
            CHECK(array != NULL);
            CHECK(inside(array, buf, size));
            CHECK_UINT((uintptr_t) array % 8, 0);
            CHECK_UINT((unsigned char *) array - buf, item->array_start);
        }
        tu_context("flags %d", flags);
        check_items_readable(&store);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
    }
    /* Copies under KAS_GET_TAKES_OWNERSHIP. */
    for (flags = 2; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(swkas_open_buffer(&store, buf, size, flags), 0);
        for (j = 0; j < store.num_items; j++) {
            kaitem_t *item = &store.items[j];
            array = NULL;
            CHECK_INT(kastore_get(&store, item->key, item->key_len, &array, &len, &type), 0);
            REQUIRE(array != NULL);
            CHECK(!inside(array, buf, size + 13));
            free(array);
        }
        check_items_readable(&store);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    /* The caller's buffer is never modified. */
    CHECK_MEM(buf, bytes, size);
    free(buf);
    free(bytes);
}

static void
test_buffer_errors(void)
{
    unsigned char *bytes;
    unsigned char byte = 0;
    size_t size;
    kastore_t store;
    const int32_t v[1] = { 1 };
    tu_item_t unsorted[2] = { { "b", 1, KAS_INT32, v, 1 }, { "a", 1, KAS_INT32, v, 1 } };
    unsigned char *enc;
    size_t enc_size;
    int flags;

    items_file("buffer_errors.kas", &bytes, &size);
    enc = tu_encode(unsorted, 2, 0, &enc_size);
    REQUIRE(enc != NULL);
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        CHECK_INT(swkas_open_buffer(&store, NULL, 0, flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, &byte, 0, flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, NULL, 5, flags), SWKAS_ERR_NULL_ARGUMENT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, NULL, 1000, flags), SWKAS_ERR_NULL_ARGUMENT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, bytes, 10, flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, bytes, 63, flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, bytes, size - 1, flags), SWKAS_ERR_TRUNCATED);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, enc, enc_size, flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, tu_empty_store, 64, flags), 0);
        CHECK_UINT(store.num_items, 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(swkas_open_buffer(&store, bytes, size, flags | 4), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK_INT(swkas_open_buffer(&store, bytes, size, -1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_close(&store), 0);
    free(enc);
    free(bytes);
}

/* ------------------------------------------------------------------ */
/* swkas_open_writer and swkas_encode                                 */

static void
test_writer_encode(void)
{
    unsigned char *file_bytes;
    size_t file_size, size1 = 0, size2 = 0, j;
    void *data1 = NULL, *data2 = NULL;
    char *keys_before[NUM_ITEMS];
    kastore_t store;
    int entries_before;
    int flags;

    items_file("encode_reference.kas", &file_bytes, &file_size);
    entries_before = tu_count_dir_entries(tu_dir());
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(swkas_open_writer(&store, flags), 0);
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK_UINT(store.num_items, 0);
        put_items(&store);
        for (j = 0; j < NUM_ITEMS; j++) {
            keys_before[j] = store.items[j].key;
        }
        CHECK_INT(swkas_encode(&store, &data1, &size1), 0);
        CHECK_BUF(data1, size1, file_bytes, file_size);
        /* The store is unchanged: still open, insertion order, same keys. */
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK_UINT(store.num_items, NUM_ITEMS);
        for (j = 0; j < NUM_ITEMS; j++) {
            CHECK_PTR_EQ(store.items[j].key, keys_before[j]);
            CHECK_BUF(store.items[j].key, store.items[j].key_len, ITEMS[j].key,
                ITEMS[j].key_len);
        }
        CHECK_INT(swkas_encode(&store, &data2, &size2), 0);
        CHECK_BUF(data2, size2, data1, size1);
        CHECK_PTR_NE(data2, data1);
        CHECK_INT(kastore_contains(&store, "t0_int8", 7), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
        free(data1);
        free(data2);
        data1 = data2 = NULL;
    }
    tu_context_clear();
    /* close wrote nothing anywhere we can see. */
    CHECK_INT(tu_count_dir_entries(tu_dir()), entries_before);
    free(file_bytes);

    /* An empty writer encodes the 64-byte empty store. */
    REQUIRE_INT(swkas_open_writer(&store, 0), 0);
    CHECK_INT(swkas_encode(&store, &data1, &size1), 0);
    CHECK_BUF(data1, size1, tu_empty_store, 64);
    free(data1);
    CHECK_INT(kastore_close(&store), 0);

    for (flags = 4; flags <= 5; flags++) {
        CHECK_INT(swkas_open_writer(&store, flags), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
    }
    CHECK_INT(swkas_open_writer(&store, -1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_encode_any_writer(void)
{
    const char *path = tu_path("encode_any.kas");
    kastore_t store;
    void *data = NULL, *again = NULL;
    size_t size = 0, again_size = 0, len;
    unsigned char *file_bytes;
    size_t file_size;
    int32_t borrowed[2] = { 1, 2 };
    int32_t *got;

    /* A writer opened on a path encodes what close then writes. */
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    put_items(&store);
    CHECK_INT(kastore_puts_int32(&store, "borrowed", borrowed, 2, KAS_BORROWS_ARRAY), 0);
    CHECK_INT(swkas_encode(&store, &data, &size), 0);
    borrowed[1] = 42;
    /* Borrowed arrays are read at encode time. */
    CHECK_INT(swkas_encode(&store, &again, &again_size), 0);
    CHECK_UINT(again_size, size);
    REQUIRE_INT(kastore_close(&store), 0);
    file_bytes = tu_read_file(path, &file_size);
    REQUIRE(file_bytes != NULL);
    CHECK_BUF(again, again_size, file_bytes, file_size);
    CHECK(size == file_size && memcmp(data, file_bytes, size) != 0);
    free(file_bytes);
    free(again);

    /* The first encoding reads back with the old borrowed contents. */
    REQUIRE_INT(swkas_open_buffer(&store, data, size, 0), 0);
    CHECK_INT(kastore_gets_int32(&store, "borrowed", &got, &len), 0);
    CHECK_UINT(len, 2);
    CHECK_INT(got[1], 2);
    CHECK_INT(kastore_close(&store), 0);
    free(data);

    /* Encoding a reader is illegal. */
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    data = NULL;
    CHECK_INT(swkas_encode(&store, &data, &size), KAS_ERR_ILLEGAL_OPERATION);
    CHECK(data == NULL);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE_INT(swkas_open_mmap(&store, path, 0), 0);
    CHECK_INT(swkas_encode(&store, &data, &size), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_close(&store), 0);
}

/* ------------------------------------------------------------------ */
/* swkas_item and swkas_get_at                                        */

static void
test_item(void)
{
    const char *path = items_file("item.kas", NULL, NULL);
    kastore_t store;
    const char *key;
    size_t j, key_len, array_len;
    int type;

    /* Reader: key order, without loading. */
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    REQUIRE_INT(store.num_items, NUM_ITEMS);
    for (j = 0; j < NUM_ITEMS; j++) {
        tu_context("reader item %zu", j);
        key = NULL;
        key_len = array_len = 12345;
        type = -1;
        CHECK_INT(swkas_item(&store, j, &key, &key_len, &type, &array_len), 0);
        REQUIRE(key != NULL);
        CHECK_BUF(key, key_len, store.items[j].key, store.items[j].key_len);
        CHECK_INT(type, store.items[j].type);
        CHECK_UINT(array_len, store.items[j].array_len);
        CHECK(store.items[j].array == NULL);
        if (j > 0) {
            const char *prev;
            size_t prev_len;
            CHECK_INT(swkas_item(&store, j - 1, &prev, &prev_len, NULL, NULL), 0);
            CHECK(tu_key_cmp(prev, prev_len, key, key_len) < 0);
        }
        CHECK_INT(swkas_item(&store, j, NULL, NULL, NULL, NULL), 0);
    }
    tu_context_clear();
    CHECK_INT(swkas_item(&store, NUM_ITEMS, &key, &key_len, &type, &array_len),
        SWKAS_ERR_INDEX_OUT_OF_RANGE);
    CHECK_INT(swkas_item(&store, SIZE_MAX, NULL, NULL, NULL, NULL),
        SWKAS_ERR_INDEX_OUT_OF_RANGE);
    CHECK_INT(swkas_item(NULL, 0, &key, &key_len, &type, &array_len),
        SWKAS_ERR_NULL_ARGUMENT);
    CHECK_INT(kastore_close(&store), 0);

    /* Writer: insertion order. */
    REQUIRE_INT(swkas_open_writer(&store, 0), 0);
    CHECK_INT(swkas_item(&store, 0, &key, &key_len, &type, &array_len),
        SWKAS_ERR_INDEX_OUT_OF_RANGE);
    put_items(&store);
    for (j = 0; j < NUM_ITEMS; j++) {
        tu_context("writer item %zu", j);
        CHECK_INT(swkas_item(&store, j, &key, &key_len, &type, &array_len), 0);
        CHECK_BUF(key, key_len, ITEMS[j].key, ITEMS[j].key_len);
        CHECK_INT(type, ITEMS[j].type);
        CHECK_UINT(array_len, ITEMS[j].array_len);
    }
    tu_context_clear();
    CHECK_INT(swkas_item(&store, NUM_ITEMS, NULL, NULL, NULL, NULL),
        SWKAS_ERR_INDEX_OUT_OF_RANGE);
    CHECK_INT(kastore_close(&store), 0);

    /* An empty store has no item 0. */
    REQUIRE_INT(swkas_open_buffer(&store, tu_empty_store, 64, 0), 0);
    CHECK_INT(swkas_item(&store, 0, NULL, NULL, NULL, NULL), SWKAS_ERR_INDEX_OUT_OF_RANGE);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_get_at(void)
{
    unsigned char *bytes;
    size_t size, j, len, len2;
    const char *path = items_file("get_at.kas", &bytes, &size);
    kastore_t store;
    void *a, *b;
    int type, type2, flags, how;

    for (how = 0; how < 3; how++) {
        for (flags = 0; flags <= 3; flags++) {
            int takes = (flags & KAS_GET_TAKES_OWNERSHIP) != 0;
            tu_context("%s, flags %d", how == 0 ? "kastore_open" : how == 1 ? "mmap" : "buffer",
                flags);
            if (how == 0) {
                REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
            } else if (how == 1) {
                REQUIRE_INT(swkas_open_mmap(&store, path, flags), 0);
            } else {
                REQUIRE_INT(swkas_open_buffer(&store, bytes, size, flags), 0);
            }
            for (j = 0; j < store.num_items; j++) {
                a = b = NULL;
                CHECK_INT(swkas_get_at(&store, j, &a, &len, &type), 0);
                CHECK_INT(kastore_get(&store, store.items[j].key, store.items[j].key_len, &b,
                              &len2, &type2),
                    0);
                REQUIRE(a != NULL && b != NULL);
                CHECK_UINT(len, len2);
                CHECK_INT(type, type2);
                CHECK_MEM(a, b, len * tu_elem_size(type));
                if (takes) {
                    CHECK_PTR_NE(a, b);
                    free(a);
                    free(b);
                } else {
                    CHECK_PTR_EQ(a, b);
                }
            }
            CHECK_INT(swkas_get_at(&store, store.num_items, &a, &len, &type),
                SWKAS_ERR_INDEX_OUT_OF_RANGE);
            CHECK_INT(swkas_get_at(&store, SIZE_MAX, &a, &len, &type),
                SWKAS_ERR_INDEX_OUT_OF_RANGE);
            CHECK_INT(kastore_close(&store), 0);
        }
    }
    tu_context_clear();
    free(bytes);

    REQUIRE_INT(swkas_open_writer(&store, 0), 0);
    put_items(&store);
    CHECK_INT(swkas_get_at(&store, 0, &a, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE_INT(kastore_open(&store, tu_path("get_at_w.kas"), "w", 0), 0);
    put_items(&store);
    CHECK_INT(swkas_get_at(&store, 1, &a, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_close(&store), 0);
}

static const tu_test_t tests[] = {
    { "version", test_version },
    { "strerror", test_strerror },
    { "type_size", test_type_size },
    { "mmap_zero_copy", test_mmap_zero_copy },
    { "mmap_takes_ownership", test_mmap_takes_ownership },
    { "mmap_errors", test_mmap_errors },
    { "mmap_survives_replace", test_mmap_survives_replace },
#ifdef __linux__
    { "mmap_releases_resources", test_mmap_releases_resources },
#endif
    { "buffer_borrowed", test_buffer_borrowed },
    { "buffer_errors", test_buffer_errors },
    { "writer_encode", test_writer_encode },
    { "encode_any_writer", test_encode_any_writer },
    { "item", test_item },
    { "get_at", test_get_at },
    { NULL, NULL },
};

int
main(int argc, char **argv)
{
    static const tu_suite_t suites[] = { { "swkas_api", tests }, { NULL, NULL } };
    return tu_run("test_swkas_", suites, argc, argv);
}
