/*
 * test_golden.c: the compatibility corpora of test-data/kastore.
 *
 * golden/manifest.tsv     file, key_hex, type, length, data_hex per item
 *                         (a zero-key store: file, "-", -1, 0, "-")
 * malformed/manifest.tsv  file, lazy_open, lazy_gets, read_all_open, read_all_gets
 *                         (gets comma-separated, in items[] order, or "-")
 *
 * The data directory is compiled in (SWKAS_TEST_DATA_DIR) and can be
 * overridden with the environment variable of the same name.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kastore.h>
#include <swkas.h>

#include "testutil.h"

#ifndef SWKAS_TEST_DATA_DIR
#define SWKAS_TEST_DATA_DIR "test-data/kastore"
#endif

static const char *
data_dir(void)
{
    const char *env = getenv("SWKAS_TEST_DATA_DIR");
    return env != NULL && env[0] != '\0' ? env : SWKAS_TEST_DATA_DIR;
}

/* Splits line at tabs into at most max fields (in place); returns the count. */
static size_t
split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        char *tab = strchr(p, '\t');
        fields[n++] = p;
        if (tab == NULL) {
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static int
parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

/* ------------------------------------------------------------------ */
/* Golden manifest                                                    */

typedef struct {
    unsigned char *key;
    size_t key_len;
    int type;
    size_t length;
    unsigned char *data;
    size_t data_len;
} golden_item_t;

typedef struct {
    char *file;
    char *path;
    golden_item_t *items;
    size_t num_items;
    size_t cap;
    int zero_keys;
} golden_file_t;

static golden_file_t *golden = NULL;
static size_t num_golden = 0;
static int golden_loaded = 0;

static golden_file_t *
golden_find_or_add(const char *file)
{
    size_t j;
    golden_file_t *g;
    for (j = 0; j < num_golden; j++) {
        if (strcmp(golden[j].file, file) == 0) {
            return &golden[j];
        }
    }
    g = realloc(golden, (num_golden + 1) * sizeof(*golden));
    REQUIRE(g != NULL);
    golden = g;
    g = &golden[num_golden++];
    memset(g, 0, sizeof(*g));
    g->file = strdup(file);
    REQUIRE(g->file != NULL);
    REQUIRE(asprintf(&g->path, "%s/golden/%s", data_dir(), file) > 0);
    return g;
}

/* Loads the golden manifest once; every test asserts it loaded. */
static void
load_golden(void)
{
    char path[PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    FILE *f;
    unsigned int lineno = 0;

    if (golden_loaded) {
        REQUIRE(num_golden > 0);
        return;
    }
    golden_loaded = 1;
    snprintf(path, sizeof(path), "%s/golden/manifest.tsv", data_dir());
    f = fopen(path, "r");
    tu_context("%s", path);
    REQUIRE(f != NULL);
    while (getline(&line, &cap, f) > 0) {
        char *fields[6] = {0};
        long type, length;
        golden_file_t *g;
        golden_item_t *it;
        size_t n;

        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        n = split_tabs(line, fields, 6);
        tu_context("%s:%u", path, lineno);
        REQUIRE_INT(n, 5);
        REQUIRE(parse_long(fields[2], &type));
        REQUIRE(parse_long(fields[3], &length));
        g = golden_find_or_add(fields[0]);
        if (strcmp(fields[1], "-") == 0) {
            /* A zero-key store. */
            REQUIRE_INT(type, -1);
            REQUIRE_INT(length, 0);
            REQUIRE(g->num_items == 0);
            g->zero_keys = 1;
            continue;
        }
        REQUIRE(!g->zero_keys);
        REQUIRE(type >= 0 && type < KAS_NUM_TYPES && length >= 0);
        if (g->num_items == g->cap) {
            golden_item_t *items;
            g->cap = g->cap == 0 ? 8 : 2 * g->cap;
            items = realloc(g->items, g->cap * sizeof(*items));
            REQUIRE(items != NULL);
            g->items = items;
        }
        it = &g->items[g->num_items++];
        it->type = (int) type;
        it->length = (size_t) length;
        it->key = tu_hex_decode(fields[1], &it->key_len);
        REQUIRE(it->key != NULL && it->key_len > 0);
        it->data = tu_hex_decode(fields[4], &it->data_len);
        REQUIRE(it->data != NULL);
        REQUIRE_INT(it->data_len, it->length * tu_elem_size(it->type));
    }
    free(line);
    fclose(f);
    tu_context_clear();
    REQUIRE(num_golden > 0);
}

static void
free_golden(void)
{
    size_t j, k;
    for (j = 0; j < num_golden; j++) {
        for (k = 0; k < golden[j].num_items; k++) {
            free(golden[j].items[k].key);
            free(golden[j].items[k].data);
        }
        free(golden[j].items);
        free(golden[j].file);
        free(golden[j].path);
    }
    free(golden);
    golden = NULL;
    num_golden = 0;
}

/* Checks a read-mode store against a golden file's items. */
static void
check_golden_store(kastore_t *store, const golden_file_t *g, int expect_loaded)
{
    size_t j, len;
    void *array;
    int type;
    int takes = (store->flags & KAS_GET_TAKES_OWNERSHIP) != 0;

    CHECK_INT(store->mode, KAS_READ);
    REQUIRE_INT(store->num_items, g->num_items);
    for (j = 0; j < g->num_items; j++) {
        const golden_item_t *it = &g->items[j];
        kaitem_t *item = &store->items[j];
        CHECK_BUF(item->key, item->key_len, it->key, it->key_len);
        CHECK_INT(item->type, it->type);
        CHECK_UINT(item->array_len, it->length);
        if (expect_loaded == 1) {
            CHECK(item->array != NULL);
            if (item->array != NULL) {
                CHECK_MEM(item->array, it->data, it->data_len);
            }
        } else if (expect_loaded == 0) {
            CHECK(item->array == NULL);
        }
        CHECK_INT(kastore_contains(store, (const char *) it->key, it->key_len), 1);
        array = NULL;
        len = SIZE_MAX;
        type = -1;
        CHECK_INT(kastore_get(store, (const char *) it->key, it->key_len, &array, &len, &type),
            0);
        CHECK(array != NULL);
        CHECK_INT(type, it->type);
        CHECK_UINT(len, it->length);
        CHECK_MEM(array, it->data, it->data_len);
        if (takes) {
            free(array);
        }
    }
}

static void
test_golden_manifest(void)
{
    size_t j, k, size, c_size, py_size;
    unsigned char *bytes, *c_bytes, *py_bytes;
    char other[PATH_MAX];
    int found_worked = 0, found_empty = 0;

    load_golden();
    CHECK_UINT(num_golden, 58);
    for (j = 0; j < num_golden; j++) {
        golden_file_t *g = &golden[j];
        tu_context("%s", g->file);
        bytes = tu_read_file(g->path, &size);
        REQUIRE(bytes != NULL);
        for (k = 1; k < g->num_items; k++) {
            CHECK(tu_key_cmp(g->items[k - 1].key, g->items[k - 1].key_len, g->items[k].key,
                      g->items[k].key_len)
                  < 0);
        }
        if (strcmp(g->file, "worked_example.c.kas") == 0) {
            found_worked = 1;
            CHECK_BUF(bytes, size, tu_worked_example, sizeof(tu_worked_example));
        }
        if (strcmp(g->file, "empty.c.kas") == 0) {
            found_empty = 1;
            CHECK(g->zero_keys);
            CHECK_BUF(bytes, size, tu_empty_store, sizeof(tu_empty_store));
        }
        /* Each case exists as .c.kas and .py.kas, byte-identical. */
        if (strstr(g->file, ".c.kas") != NULL) {
            size_t stem = strlen(g->path) - strlen(".c.kas");
            snprintf(other, sizeof(other), "%.*s.py.kas", (int) stem, g->path);
            c_bytes = bytes;
            c_size = size;
            py_bytes = tu_read_file(other, &py_size);
            CHECK(py_bytes != NULL);
            CHECK_BUF(py_bytes, py_size, c_bytes, c_size);
            free(py_bytes);
        }
        free(bytes);
    }
    tu_context_clear();
    CHECK(found_worked);
    CHECK(found_empty);
}

/* The test harness's own format model reproduces every golden file. */
static void
test_golden_model(void)
{
    size_t j, k, size, model_size;
    unsigned char *bytes, *model;
    tu_item_t *items;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        golden_file_t *g = &golden[j];
        tu_context("%s", g->file);
        items = calloc(g->num_items + 1, sizeof(*items));
        REQUIRE(items != NULL);
        for (k = 0; k < g->num_items; k++) {
            items[k].key = (const char *) g->items[k].key;
            items[k].key_len = g->items[k].key_len;
            items[k].type = g->items[k].type;
            items[k].data = g->items[k].data;
            items[k].array_len = g->items[k].length;
        }
        model = tu_encode(items, g->num_items, 0, &model_size);
        REQUIRE(model != NULL);
        bytes = tu_read_file(g->path, &size);
        REQUIRE(bytes != NULL);
        CHECK_BUF(model, model_size, bytes, size);
        free(model);
        free(bytes);
        free(items);
    }
    tu_context_clear();
}

static void
test_golden_read_lazy(void)
{
    size_t j;
    kastore_t store;
    int flags;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        for (flags = 0; flags <= KAS_GET_TAKES_OWNERSHIP; flags += KAS_GET_TAKES_OWNERSHIP) {
            tu_context("%s, flags %d", golden[j].file, flags);
            REQUIRE_INT(kastore_open(&store, golden[j].path, "r", flags), 0);
            CHECK_INT(store.file_version[0], 1);
            CHECK_INT(store.file_version[1], 0);
            check_golden_store(&store, &golden[j], 0);
            CHECK_INT(kastore_close(&store), 0);
        }
    }
    tu_context_clear();
}

static void
test_golden_read_all(void)
{
    size_t j;
    kastore_t store;
    int flags;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        for (flags = KAS_READ_ALL; flags <= 3; flags += KAS_GET_TAKES_OWNERSHIP) {
            tu_context("%s, flags %d", golden[j].file, flags);
            REQUIRE_INT(kastore_open(&store, golden[j].path, "r", flags), 0);
            check_golden_store(&store, &golden[j], 1);
            CHECK_INT(kastore_close(&store), 0);
        }
    }
    tu_context_clear();
}

static void
test_golden_read_mmap(void)
{
    size_t j;
    kastore_t store;
    int flags;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        for (flags = 0; flags <= 3; flags++) {
            tu_context("%s, flags %d", golden[j].file, flags);
            REQUIRE_INT(swkas_open_mmap(&store, golden[j].path, flags), 0);
            check_golden_store(&store, &golden[j], (flags & KAS_GET_TAKES_OWNERSHIP) ? -1 : 1);
            CHECK_INT(kastore_close(&store), 0);
        }
    }
    tu_context_clear();
}

static void
test_golden_read_buffer(void)
{
    size_t j, size;
    unsigned char *bytes;
    kastore_t store;
    int flags;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        bytes = tu_read_file(golden[j].path, &size);
        REQUIRE(bytes != NULL);
        for (flags = 0; flags <= 3; flags++) {
            tu_context("%s, flags %d", golden[j].file, flags);
            REQUIRE_INT(swkas_open_buffer(&store, bytes, size, flags), 0);
            check_golden_store(&store, &golden[j], -1);
            CHECK_INT(kastore_close(&store), 0);
        }
        free(bytes);
    }
    tu_context_clear();
}

static void
test_golden_write(void)
{
    const char *out = tu_path("golden_rewrite.kas");
    size_t j, k, size, written_size, encoded_size;
    unsigned char *bytes, *written;
    void *encoded;
    kastore_t store, writer;

    load_golden();
    for (j = 0; j < num_golden; j++) {
        golden_file_t *g = &golden[j];
        tu_context("%s", g->file);
        bytes = tu_read_file(g->path, &size);
        REQUIRE(bytes != NULL);
        REQUIRE_INT(kastore_open(&store, out, "w", 0), 0);
        REQUIRE_INT(swkas_open_writer(&writer, 0), 0);
        /* Inserted in reverse order: the writer sorts. */
        for (k = g->num_items; k-- > 0;) {
            const golden_item_t *it = &g->items[k];
            CHECK_INT(kastore_put(&store, (const char *) it->key, it->key_len, it->data,
                          it->length, it->type, 0),
                0);
            CHECK_INT(kastore_put(&writer, (const char *) it->key, it->key_len, it->data,
                          it->length, it->type, 0),
                0);
        }
        CHECK_INT(swkas_encode(&writer, &encoded, &encoded_size), 0);
        CHECK_BUF(encoded, encoded_size, bytes, size);
        free(encoded);
        CHECK_INT(kastore_close(&writer), 0);
        REQUIRE_INT(kastore_close(&store), 0);
        written = tu_read_file(out, &written_size);
        REQUIRE(written != NULL);
        CHECK_BUF(written, written_size, bytes, size);
        free(written);
        free(bytes);
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Malformed manifest                                                 */

#define MAX_GETS 16

typedef struct {
    char *file;
    char *path;
    int open[2];          /* lazy, read_all */
    int gets[2][MAX_GETS];
    size_t num_gets[2];
} malformed_t;

static malformed_t *malformed = NULL;
static size_t num_malformed = 0;
static int malformed_loaded = 0;

static int
parse_gets(char *s, int *gets, size_t *n)
{
    char *tok, *save = NULL;
    long v;
    *n = 0;
    if (strcmp(s, "-") == 0) {
        return 1;
    }
    for (tok = strtok_r(s, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= MAX_GETS || !parse_long(tok, &v)) {
            return 0;
        }
        gets[(*n)++] = (int) v;
    }
    return 1;
}

static void
load_malformed(void)
{
    char path[PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    FILE *f;
    unsigned int lineno = 0;

    if (malformed_loaded) {
        REQUIRE(num_malformed > 0);
        return;
    }
    malformed_loaded = 1;
    snprintf(path, sizeof(path), "%s/malformed/manifest.tsv", data_dir());
    f = fopen(path, "r");
    tu_context("%s", path);
    REQUIRE(f != NULL);
    while (getline(&line, &cap, f) > 0) {
        char *fields[6] = {0};
        long v;
        malformed_t *m;
        size_t n;

        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        n = split_tabs(line, fields, 6);
        tu_context("%s:%u", path, lineno);
        REQUIRE_INT(n, 5);
        m = realloc(malformed, (num_malformed + 1) * sizeof(*malformed));
        REQUIRE(m != NULL);
        malformed = m;
        m = &malformed[num_malformed++];
        memset(m, 0, sizeof(*m));
        m->file = strdup(fields[0]);
        REQUIRE(m->file != NULL);
        REQUIRE(asprintf(&m->path, "%s/malformed/%s", data_dir(), fields[0]) > 0);
        REQUIRE(parse_long(fields[1], &v));
        m->open[0] = (int) v;
        REQUIRE(parse_gets(fields[2], m->gets[0], &m->num_gets[0]));
        REQUIRE(parse_long(fields[3], &v));
        m->open[1] = (int) v;
        REQUIRE(parse_gets(fields[4], m->gets[1], &m->num_gets[1]));
        /* Gets are listed only after a successful open. */
        REQUIRE(m->open[0] == 0 || m->num_gets[0] == 0);
        REQUIRE(m->open[1] == 0 || m->num_gets[1] == 0);
    }
    free(line);
    fclose(f);
    tu_context_clear();
    REQUIRE(num_malformed > 0);
}

static void
free_malformed(void)
{
    size_t j;
    for (j = 0; j < num_malformed; j++) {
        free(malformed[j].file);
        free(malformed[j].path);
    }
    free(malformed);
    malformed = NULL;
    num_malformed = 0;
}

/* Opens with kastore_open in one mode and checks the open and get codes. */
static void
check_malformed_mode(const malformed_t *m, int mode)
{
    kastore_t store;
    int flags = mode == 0 ? 0 : KAS_READ_ALL;
    size_t j, len;
    void *array;
    int type, ret;

    tu_context("%s, %s", m->file, mode == 0 ? "lazy" : "KAS_READ_ALL");
    ret = kastore_open(&store, m->path, "r", flags);
    CHECK_INT(ret, m->open[mode]);
    if (ret == 0) {
        CHECK_UINT(store.num_items, m->num_gets[mode]);
        for (j = 0; j < store.num_items && j < m->num_gets[mode]; j++) {
            tu_context("%s, %s, get of items[%zu]", m->file, mode == 0 ? "lazy" : "KAS_READ_ALL",
                j);
            CHECK_INT(kastore_get(&store, store.items[j].key, store.items[j].key_len, &array,
                          &len, &type),
                m->gets[mode][j]);
        }
    }
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_malformed_lazy(void)
{
    size_t j;
    load_malformed();
    for (j = 0; j < num_malformed; j++) {
        check_malformed_mode(&malformed[j], 0);
    }
    tu_context_clear();
}

static void
test_malformed_read_all(void)
{
    size_t j;
    load_malformed();
    for (j = 0; j < num_malformed; j++) {
        check_malformed_mode(&malformed[j], 1);
    }
    tu_context_clear();
}

/* The header's file_size of a file (0 if it has no complete header). */
static uint64_t
header_file_size(const unsigned char *bytes, size_t size)
{
    return size >= 24 ? tu_get_u64(bytes + 16) : 0;
}

/*
 * What the memory readers (swkas_open_mmap, swkas_open_buffer) return: the
 * lazy open's code, except that (a) a file whose lazy open fails with
 * KAS_ERR_NO_MEMORY gives KAS_ERR_BAD_FILE_FORMAT (the real size is known, so
 * no impossible allocation is attempted), and (b) a file whose lazy open
 * succeeds but which is shorter than its header's file_size gives
 * SWKAS_ERR_TRUNCATED (swkas.h). (b) covers every file whose lazy open
 * succeeds and some lazy get fails with KAS_ERR_BAD_FILE_FORMAT.
 */
static int
memory_reader_expected(const malformed_t *m, const unsigned char *bytes, size_t size)
{
    size_t j;
    int truncated = (uint64_t) size < header_file_size(bytes, size);

    if (m->open[0] == KAS_ERR_NO_MEMORY) {
        return KAS_ERR_BAD_FILE_FORMAT;
    }
    if (m->open[0] == 0) {
        for (j = 0; j < m->num_gets[0]; j++) {
            if (m->gets[0][j] == KAS_ERR_BAD_FILE_FORMAT) {
                /* The brief's rule; it implies truncation on disk. */
                CHECK(truncated);
                return SWKAS_ERR_TRUNCATED;
            }
        }
        if (truncated) {
            return SWKAS_ERR_TRUNCATED;
        }
    }
    return m->open[0];
}

static void
check_memory_reader(const malformed_t *m, int use_mmap)
{
    unsigned char *bytes;
    size_t size, j, len;
    kastore_t store;
    void *array;
    int expected, ret, type;
    const char *name = use_mmap ? "swkas_open_mmap" : "swkas_open_buffer";

    bytes = tu_read_file(m->path, &size);
    tu_context("%s, %s", m->file, name);
    REQUIRE(bytes != NULL);
    expected = memory_reader_expected(m, bytes, size);
    if (use_mmap) {
        ret = swkas_open_mmap(&store, m->path, 0);
    } else {
        ret = swkas_open_buffer(&store, bytes, size, 0);
    }
    CHECK_INT(ret, expected);
    if (ret == 0) {
        /* Everything is in memory: every get succeeds. */
        CHECK_UINT(store.num_items, m->num_gets[0]);
        for (j = 0; j < store.num_items; j++) {
            tu_context("%s, %s, get of items[%zu]", m->file, name, j);
            CHECK_INT(kastore_get(&store, store.items[j].key, store.items[j].key_len, &array,
                          &len, &type),
                0);
        }
    }
    CHECK_INT(kastore_close(&store), 0);
    free(bytes);
}

static void
test_malformed_mmap(void)
{
    size_t j;
    load_malformed();
    for (j = 0; j < num_malformed; j++) {
        check_memory_reader(&malformed[j], 1);
    }
    tu_context_clear();
}

static void
test_malformed_buffer(void)
{
    size_t j;
    load_malformed();
    for (j = 0; j < num_malformed; j++) {
        check_memory_reader(&malformed[j], 0);
    }
    tu_context_clear();
}

static const tu_test_t golden_tests[] = {
    { "golden_manifest", test_golden_manifest },
    { "golden_model", test_golden_model },
    { "golden_read_lazy", test_golden_read_lazy },
    { "golden_read_all", test_golden_read_all },
    { "golden_read_mmap", test_golden_read_mmap },
    { "golden_read_buffer", test_golden_read_buffer },
    { "golden_write", test_golden_write },
    { NULL, NULL },
};

static const tu_test_t malformed_tests[] = {
    { "malformed_lazy", test_malformed_lazy },
    { "malformed_read_all", test_malformed_read_all },
    { "malformed_mmap", test_malformed_mmap },
    { "malformed_buffer", test_malformed_buffer },
    { NULL, NULL },
};

int
main(int argc, char **argv)
{
    static const tu_suite_t suites[] = {
        { "golden", golden_tests },
        { "malformed", malformed_tests },
        { NULL, NULL },
    };
    int ret = tu_run("test_golden_", suites, argc, argv);
    free_golden();
    free_malformed();
    return ret;
}
