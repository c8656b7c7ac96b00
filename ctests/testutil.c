/*
 * testutil.c: shared helpers of the swkas C test harness (see testutil.h).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <CUnit/Basic.h>

/* ------------------------------------------------------------------ */
/* Assertions                                                         */

static const struct {
    long long code;
    const char *name;
} code_names[] = {
    { -1, "KAS_ERR_GENERIC" },
    { -2, "KAS_ERR_IO" },
    { -3, "KAS_ERR_BAD_MODE" },
    { -4, "KAS_ERR_NO_MEMORY" },
    { -5, "KAS_ERR_BAD_FILE_FORMAT" },
    { -6, "KAS_ERR_VERSION_TOO_OLD" },
    { -7, "KAS_ERR_VERSION_TOO_NEW" },
    { -8, "KAS_ERR_BAD_TYPE" },
    { -9, "KAS_ERR_EMPTY_KEY" },
    { -10, "KAS_ERR_DUPLICATE_KEY" },
    { -11, "KAS_ERR_KEY_NOT_FOUND" },
    { -12, "KAS_ERR_ILLEGAL_OPERATION" },
    { -13, "KAS_ERR_TYPE_MISMATCH" },
    { -14, "KAS_ERR_EOF" },
    { -15, "KAS_ERR_BAD_FLAGS" },
    { -101, "SWKAS_ERR_INDEX_OUT_OF_RANGE" },
    { -102, "SWKAS_ERR_NULL_ARGUMENT" },
    { -103, "SWKAS_ERR_TRUNCATED" },
    { -110, "SWKAS_ERR_BAD_CHUNK" },
    { -111, "SWKAS_ERR_UNSUPPORTED" },
    { -112, "SWKAS_ERR_INVALID_ARGUMENT" },
    { -113, "SWKAS_ERR_BUFFER_TOO_SMALL" },
    { -120, "SWKAS_ERR_EXISTS" },
    { -121, "SWKAS_ERR_NOT_AN_ARRAY" },
    { -122, "SWKAS_ERR_BAD_FRAME" },
};

const char *
tu_code_name(long long code)
{
    size_t j;
    for (j = 0; j < sizeof(code_names) / sizeof(code_names[0]); j++) {
        if (code_names[j].code == code) {
            return code_names[j].name;
        }
    }
    return NULL;
}

static char context[512];

void
tu_context(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof(context), fmt, ap);
    va_end(ap);
}

void
tu_context_clear(void)
{
    context[0] = '\0';
}

/* Records one assertion; on failure the message gets the context prefix. CUnit
 * copies the condition string, so a stack buffer is fine. A fatal failure
 * longjmps out of the running test. */
static void
report(int ok, const char *msg, const char *file, unsigned int line, int fatal)
{
    char full[3072];
    if (ok) {
        CU_assertImplementation(CU_TRUE, line, msg, file, "", CU_FALSE);
        return;
    }
    if (context[0] != '\0') {
        snprintf(full, sizeof(full), "[%s] %s", context, msg);
    } else {
        snprintf(full, sizeof(full), "%s", msg);
    }
    CU_assertImplementation(CU_FALSE, line, full, file, "", fatal ? CU_TRUE : CU_FALSE);
}

void
tu_assert_true(int ok, const char *expr, const char *file, unsigned int line, int fatal)
{
    report(ok, expr, file, line, fatal);
}

void
tu_assert_int(long long actual, long long expected, const char *actual_expr,
    const char *expected_expr, const char *file, unsigned int line, int fatal)
{
    char msg[1024];
    const char *an, *en;

    if (actual == expected) {
        report(1, actual_expr, file, line, fatal);
        return;
    }
    an = tu_code_name(actual);
    en = tu_code_name(expected);
    snprintf(msg, sizeof(msg), "%s == %s: got %lld%s%s%s, expected %lld%s%s%s",
        actual_expr, expected_expr, actual, an ? " (" : "", an ? an : "", an ? ")" : "",
        expected, en ? " (" : "", en ? en : "", en ? ")" : "");
    report(0, msg, file, line, fatal);
}

void
tu_assert_uint(unsigned long long actual, unsigned long long expected,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line)
{
    char msg[1024];
    if (actual == expected) {
        report(1, actual_expr, file, line, 0);
        return;
    }
    snprintf(msg, sizeof(msg), "%s == %s: got %llu (0x%llx), expected %llu (0x%llx)",
        actual_expr, expected_expr, actual, actual, expected, expected);
    report(0, msg, file, line, 0);
}

void
tu_assert_ptr(const void *actual, const void *expected, int want_equal,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line)
{
    char msg[1024];
    if ((actual == expected) == (want_equal != 0)) {
        report(1, actual_expr, file, line, 0);
        return;
    }
    snprintf(msg, sizeof(msg), "%s %s %s: got %p and %p", actual_expr,
        want_equal ? "==" : "!=", expected_expr, actual, expected);
    report(0, msg, file, line, 0);
}

void
tu_assert_str(const char *actual, const char *expected, const char *actual_expr,
    const char *expected_expr, const char *file, unsigned int line)
{
    char msg[2048];
    if (actual != NULL && expected != NULL && strcmp(actual, expected) == 0) {
        report(1, actual_expr, file, line, 0);
        return;
    }
    snprintf(msg, sizeof(msg), "%s == %s: got \"%s\", expected \"%s\"", actual_expr,
        expected_expr, actual ? actual : "(NULL)", expected ? expected : "(NULL)");
    report(0, msg, file, line, 0);
}

void
tu_assert_mem(const void *actual, const void *expected, size_t len,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line)
{
    char msg[1024];
    const unsigned char *a = actual, *e = expected;
    size_t j;

    if (len > 0 && (a == NULL || e == NULL)) {
        snprintf(msg, sizeof(msg), "memcmp(%s, %s, %zu): NULL pointer", actual_expr,
            expected_expr, len);
        report(0, msg, file, line, 0);
        return;
    }
    for (j = 0; j < len; j++) {
        if (a[j] != e[j]) {
            snprintf(msg, sizeof(msg),
                "memcmp(%s, %s, %zu): first difference at byte %zu: got 0x%02x, "
                "expected 0x%02x",
                actual_expr, expected_expr, len, j, a[j], e[j]);
            report(0, msg, file, line, 0);
            return;
        }
    }
    report(1, actual_expr, file, line, 0);
}

void
tu_assert_buf(const void *actual, size_t actual_len, const void *expected,
    size_t expected_len, const char *actual_expr, const char *expected_expr,
    const char *file, unsigned int line)
{
    char msg[1024];
    if (actual_len != expected_len) {
        snprintf(msg, sizeof(msg), "%s vs %s: length %zu, expected %zu", actual_expr,
            expected_expr, actual_len, expected_len);
        report(0, msg, file, line, 0);
        return;
    }
    tu_assert_mem(actual, expected, actual_len, actual_expr, expected_expr, file, line);
}

/* ------------------------------------------------------------------ */
/* Scratch directory and files                                        */

static char scratch_dir[PATH_MAX];
static char world_dirs[8][PATH_MAX];
static unsigned int num_world_dirs = 0;

int
tu_setup_dir(const char *prefix)
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return -1;
    }
    if (snprintf(scratch_dir, sizeof(scratch_dir), "%s/%sXXXXXX", cwd, prefix)
        >= (int) sizeof(scratch_dir)) {
        return -1;
    }
    if (mkdtemp(scratch_dir) == NULL) {
        scratch_dir[0] = '\0';
        return -1;
    }
    if (chmod(scratch_dir, 0755) != 0) {
        return -1;
    }
    return 0;
}

const char *
tu_world_dir(void)
{
    char *dir;
    if (num_world_dirs >= sizeof(world_dirs) / sizeof(world_dirs[0])) {
        return NULL;
    }
    dir = world_dirs[num_world_dirs];
    snprintf(dir, PATH_MAX, "/tmp/swkas-ctests-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return NULL;
    }
    num_world_dirs++;
    if (chmod(dir, 0755) != 0) {
        return NULL;
    }
    return dir;
}

static int
remove_entry(const char *path, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
    (void) sb;
    (void) typeflag;
    (void) ftwbuf;
    (void) remove(path);
    return 0;
}

static void
remove_tree(char *dir)
{
    if (dir[0] != '\0' && getenv("SWKAS_CTESTS_KEEP") == NULL) {
        /* Directories a test made unreadable must be opened up first. */
        (void) chmod(dir, 0700);
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    dir[0] = '\0';
}

void
tu_cleanup_dir(void)
{
    unsigned int j;
    remove_tree(scratch_dir);
    for (j = 0; j < num_world_dirs; j++) {
        remove_tree(world_dirs[j]);
    }
    num_world_dirs = 0;
}

const char *
tu_dir(void)
{
    return scratch_dir;
}

const char *
tu_join(const char *dir, const char *name)
{
    static char buffers[16][PATH_MAX];
    static unsigned int next = 0;
    char *buf = buffers[next++ % 16];
    int length = snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    CU_ASSERT_FATAL(length > 0 && length < PATH_MAX); /* a truncated path would test the wrong file */
    return buf;
}

const char *
tu_path(const char *name)
{
    return tu_join(scratch_dir, name);
}

const char *
tu_make_subdir(const char *name)
{
    const char *path = tu_path(name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        return NULL;
    }
    return path;
}

static int
write_mode(const char *path, const void *data, size_t len, const char *mode)
{
    FILE *f = fopen(path, mode);
    int ret = 0;
    if (f == NULL) {
        return -1;
    }
    if (len > 0 && fwrite(data, 1, len, f) != len) {
        ret = -1;
    }
    if (fclose(f) != 0) {
        ret = -1;
    }
    return ret;
}

int
tu_write_file(const char *path, const void *data, size_t len)
{
    return write_mode(path, data, len, "wb");
}

int
tu_append_file(const char *path, const void *data, size_t len)
{
    return write_mode(path, data, len, "ab");
}

unsigned char *
tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;

    *len = 0;
    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            unsigned char *nb;
            cap = cap == 0 ? 4096 : cap * 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

long long
tu_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    return (long long) st.st_size;
}

int
tu_file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    return (int) (st.st_mode & 07777);
}

int
tu_count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int count = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            count++;
        }
    }
    closedir(d);
    return count;
}

int
tu_file_equals(const char *path, const void *data, size_t len)
{
    size_t n;
    unsigned char *buf = tu_read_file(path, &n);
    int ok = buf != NULL && n == len && (len == 0 || memcmp(buf, data, len) == 0);
    free(buf);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Format model                                                       */

size_t
tu_elem_size(int type)
{
    static const size_t sizes[10] = { 1, 1, 2, 2, 4, 4, 8, 8, 4, 8 };
    if (type < 0 || type > 9) {
        return 0;
    }
    return sizes[type];
}

int
tu_key_cmp(const void *a, size_t a_len, const void *b, size_t b_len)
{
    size_t common = a_len < b_len ? a_len : b_len;
    int c = common == 0 ? 0 : memcmp(a, b, common);
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    if (a_len == b_len) {
        return 0;
    }
    return a_len < b_len ? -1 : 1;
}

void
tu_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) (v & 0xff);
    p[1] = (unsigned char) (v >> 8);
}

void
tu_put_u32(unsigned char *p, uint32_t v)
{
    int j;
    for (j = 0; j < 4; j++) {
        p[j] = (unsigned char) ((v >> (8 * j)) & 0xff);
    }
}

void
tu_put_u64(unsigned char *p, uint64_t v)
{
    int j;
    for (j = 0; j < 8; j++) {
        p[j] = (unsigned char) ((v >> (8 * j)) & 0xff);
    }
}

uint64_t
tu_get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int j;
    for (j = 7; j >= 0; j--) {
        v = (v << 8) | p[j];
    }
    return v;
}

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

unsigned char *
tu_hex_decode(const char *hex, size_t *len)
{
    size_t n, j;
    unsigned char *buf;

    *len = 0;
    if (strcmp(hex, "-") == 0) {
        return calloc(1, 1);
    }
    n = strlen(hex);
    if (n % 2 != 0) {
        return NULL;
    }
    buf = malloc(n / 2 > 0 ? n / 2 : 1);
    if (buf == NULL) {
        return NULL;
    }
    for (j = 0; j < n / 2; j++) {
        int hi = hex_digit(hex[2 * j]), lo = hex_digit(hex[2 * j + 1]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return NULL;
        }
        buf[j] = (unsigned char) (hi * 16 + lo);
    }
    *len = n / 2;
    return buf;
}

static int
item_cmp(const void *a, const void *b)
{
    const tu_item_t *ia = *(const tu_item_t *const *) a;
    const tu_item_t *ib = *(const tu_item_t *const *) b;
    return tu_key_cmp(ia->key, ia->key_len, ib->key, ib->key_len);
}

unsigned char *
tu_encode(const tu_item_t *items, size_t n, int sort, size_t *size)
{
    const tu_item_t **order = calloc(n > 0 ? n : 1, sizeof(*order));
    size_t *key_start = calloc(n > 0 ? n : 1, sizeof(size_t));
    size_t *array_start = calloc(n > 0 ? n : 1, sizeof(size_t));
    unsigned char *buf = NULL;
    size_t off, j;

    if (order == NULL || key_start == NULL || array_start == NULL) {
        goto out;
    }
    for (j = 0; j < n; j++) {
        order[j] = &items[j];
    }
    if (sort && n > 1) {
        qsort(order, n, sizeof(*order), item_cmp);
    }
    off = 64 + 64 * n;
    for (j = 0; j < n; j++) {
        key_start[j] = off;
        off += order[j]->key_len;
    }
    for (j = 0; j < n; j++) {
        off = (off + 7) & ~(size_t) 7;
        array_start[j] = off;
        off += order[j]->array_len * tu_elem_size(order[j]->type);
    }
    buf = calloc(off, 1);
    if (buf == NULL) {
        goto out;
    }
    memcpy(buf, "\211KAS\r\n\032\n", 8);
    tu_put_u16(buf + 8, 1);
    tu_put_u16(buf + 10, 0);
    tu_put_u32(buf + 12, (uint32_t) n);
    tu_put_u64(buf + 16, off);
    for (j = 0; j < n; j++) {
        unsigned char *d = buf + TU_DESC(j);
        size_t bytes = order[j]->array_len * tu_elem_size(order[j]->type);
        d[TU_DESC_TYPE] = (unsigned char) order[j]->type;
        tu_put_u64(d + TU_DESC_KEY_START, key_start[j]);
        tu_put_u64(d + TU_DESC_KEY_LEN, order[j]->key_len);
        tu_put_u64(d + TU_DESC_ARRAY_START, array_start[j]);
        tu_put_u64(d + TU_DESC_ARRAY_LEN, order[j]->array_len);
        if (order[j]->key_len > 0) {
            memcpy(buf + key_start[j], order[j]->key, order[j]->key_len);
        }
        if (bytes > 0) {
            memcpy(buf + array_start[j], order[j]->data, bytes);
        }
    }
    *size = off;
out:
    free(order);
    free(key_start);
    free(array_start);
    return buf;
}

/* Spec section 1.7, transcribed from the hex dump there. */
const unsigned char tu_worked_example[280] = {
    /* header */
    0x89, 0x4b, 0x41, 0x53, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x18, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,
    /* descriptor 0: "a", int32, 2 elements */
    0x04, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
    0x08, 0x01, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* descriptor 1: "ab", uint8, 1 element */
    0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
    0x10, 0x01, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* descriptor 2: "b", float32, 0 elements */
    0x08, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x01, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
    0x18, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* keys, padding, arrays */
    0x61, 0x61, 0x62, 0x62, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00,
    0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

const unsigned char tu_empty_store[64] = { 0x89, 0x4b, 0x41, 0x53, 0x0d, 0x0a, 0x1a,
    0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00 };

/* ------------------------------------------------------------------ */
/* Running                                                            */

int
tu_run(const char *prefix, const tu_suite_t *suites, int argc, char **argv)
{
    const tu_suite_t *s;
    const tu_test_t *t;
    unsigned int nregistered = 0, tests_failed, failures;
    CU_ErrorCode err;

    if (tu_setup_dir(prefix) != 0) {
        perror("creating the scratch directory");
        return 2;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        tu_cleanup_dir();
        return 2;
    }
    for (s = suites; s->name != NULL; s++) {
        CU_pSuite suite = NULL;
        for (t = s->tests; t->name != NULL; t++) {
            char full_name[512];
            snprintf(full_name, sizeof(full_name), "%s/%s", s->name, t->name);
            if (argc > 1 && strstr(full_name, argv[1]) == NULL) {
                continue;
            }
            if (suite == NULL) {
                suite = CU_add_suite(s->name, NULL, NULL);
                if (suite == NULL) {
                    fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
                    CU_cleanup_registry();
                    tu_cleanup_dir();
                    return 2;
                }
            }
            if (CU_add_test(suite, t->name, t->func) == NULL) {
                fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
                CU_cleanup_registry();
                tu_cleanup_dir();
                return 2;
            }
            nregistered++;
        }
    }
    if (nregistered == 0) {
        fprintf(stderr, "no test matches '%s'\n", argc > 1 ? argv[1] : "");
        CU_cleanup_registry();
        tu_cleanup_dir();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    err = CU_basic_run_tests();
    tests_failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    failures = CU_get_number_of_failures();
    printf("\n%s: %u tests run, %u asserts, %u failed tests, %u failed asserts\n",
        argv[0], CU_get_number_of_tests_run(), CU_get_number_of_asserts(), tests_failed,
        failures);
    fflush(stdout);
    CU_cleanup_registry();
    tu_cleanup_dir();
    if (err != CUE_SUCCESS) {
        return 2;
    }
    return tests_failed == 0 && failures == 0 ? 0 : 1;
}
