/*
 * test_kastore.c: the kastore.h C API of libswkas (spec sections 1 to 3 and 5).
 *
 * Built twice: as test_kastore against libswkas, and (with -DKASTORE_REFERENCE)
 * as test_kastore_ref against the reference kastore library, to validate the
 * tests themselves. Tests of our deliberate differences from the reference
 * (spec 2.3 and 5) are compiled out under KASTORE_REFERENCE.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kastore.h>

#include "testutil.h"

/* The private bit set in kastore_t.flags when kastore_open opened the FILE. */
#define OWN_FILE_FLAG 0x4000

static const char *const IO_ERRNO_UNSET
    = "I/O error with errno unset. Please file a bug report";

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

/* The worked example (spec 1.7): "a" int32 [-1, 2], "ab" uint8 [7], "b" float32 []. */
static const int32_t EX_A[2] = { -1, 2 };
static const uint8_t EX_AB[1] = { 7 };

static void
write_raw(const char *path, const void *data, size_t len)
{
    REQUIRE(tu_write_file(path, data, len) == 0);
}

static const char *
example_file(const char *name)
{
    const char *path = tu_path(name);
    write_raw(path, tu_worked_example, sizeof(tu_worked_example));
    return path;
}

/* Checks a read-mode store holds exactly the worked example. */
static void
check_example_store(kastore_t *store)
{
    int32_t *a = NULL;
    uint8_t *ab = NULL;
    float *b = NULL;
    size_t len = 99;
    int takes = (store->flags & KAS_GET_TAKES_OWNERSHIP) != 0;

    CHECK_UINT(store->num_items, 3);
    CHECK_INT(kastore_gets_int32(store, "a", &a, &len), 0);
    CHECK_UINT(len, 2);
    CHECK_MEM(a, EX_A, sizeof(EX_A));
    len = 99;
    CHECK_INT(kastore_gets_uint8(store, "ab", &ab, &len), 0);
    CHECK_UINT(len, 1);
    CHECK_MEM(ab, EX_AB, sizeof(EX_AB));
    len = 99;
    CHECK_INT(kastore_gets_float32(store, "b", &b, &len), 0);
    CHECK_UINT(len, 0);
    CHECK(b != NULL);
    if (takes) {
        free(a);
        free(ab);
        free(b);
    }
}

/* Writes the worked example's items with kastore_open("w") in the given order
 * (a permutation of 0 = "a", 1 = "ab", 2 = "b"). */
static void
write_example_items(kastore_t *store, const int order[3])
{
    int j;
    for (j = 0; j < 3; j++) {
        switch (order[j]) {
            case 0:
                CHECK_INT(kastore_puts_int32(store, "a", EX_A, 2, 0), 0);
                break;
            case 1:
                CHECK_INT(kastore_puts_uint8(store, "ab", EX_AB, 1, 0), 0);
                break;
            default:
                CHECK_INT(kastore_puts_float32(store, "b", NULL, 0, 0), 0);
                break;
        }
    }
}

#define FOR_EACH_TYPE(X)                                                              \
    X(int8, int8_t, KAS_INT8)                                                         \
    X(uint8, uint8_t, KAS_UINT8)                                                      \
    X(int16, int16_t, KAS_INT16)                                                      \
    X(uint16, uint16_t, KAS_UINT16)                                                   \
    X(int32, int32_t, KAS_INT32)                                                      \
    X(uint32, uint32_t, KAS_UINT32)                                                   \
    X(int64, int64_t, KAS_INT64)                                                      \
    X(uint64, uint64_t, KAS_UINT64)                                                   \
    X(float32, float, KAS_FLOAT32)                                                    \
    X(float64, double, KAS_FLOAT64)

/* The typed functions of one type code, behind one signature. */
static int
typed_gets(kastore_t *store, int type, const char *key, void **array, size_t *len)
{
    switch (type) {
#define X(name, T, code)                                                              \
    case code: {                                                                      \
        T *typed = NULL;                                                              \
        int ret = kastore_gets_##name(store, key, &typed, len);                       \
        *array = typed;                                                               \
        return ret;                                                                   \
    }
        FOR_EACH_TYPE(X)
#undef X
    }
    return INT_MIN;
}

static int
typed_puts(kastore_t *store, int type, const char *key, const void *array, size_t len,
    int flags)
{
    switch (type) {
#define X(name, T, code)                                                              \
    case code:                                                                        \
        return kastore_puts_##name(store, key, (const T *) array, len, flags);
        FOR_EACH_TYPE(X)
#undef X
    }
    return INT_MIN;
}

static int
typed_oputs(
    kastore_t *store, int type, const char *key, void *array, size_t len, int flags)
{
    switch (type) {
#define X(name, T, code)                                                              \
    case code:                                                                        \
        return kastore_oputs_##name(store, key, (T *) array, len, flags);
        FOR_EACH_TYPE(X)
#undef X
    }
    return INT_MIN;
}

/* Sample arrays with extreme values, one per type code. */
static const int8_t S_INT8[] = { INT8_MIN, INT8_MAX, 0, -1, 42 };
static const uint8_t S_UINT8[] = { 0, UINT8_MAX, 1, 128 };
static const int16_t S_INT16[] = { INT16_MIN, INT16_MAX, 0, -1, 0x1234 };
static const uint16_t S_UINT16[] = { 0, UINT16_MAX, 0x8000 };
static const int32_t S_INT32[] = { INT32_MIN, INT32_MAX, 0, -1, 0x12345678 };
static const uint32_t S_UINT32[] = { 0, UINT32_MAX, 0x80000000u };
static const int64_t S_INT64[] = { INT64_MIN, INT64_MAX, 0, -1 };
static const uint64_t S_UINT64[] = { 0, UINT64_MAX, 0x0123456789abcdefull };
static const float S_FLOAT32[] = { 0.5f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f };
static const double S_FLOAT64[] = { 0.1, -0.0, INFINITY, NAN, 4.9e-324, -1e300 };

static const struct {
    const void *data;
    size_t len;
} SAMPLES[KAS_NUM_TYPES] = {
    { S_INT8, sizeof(S_INT8) / sizeof(S_INT8[0]) },
    { S_UINT8, sizeof(S_UINT8) / sizeof(S_UINT8[0]) },
    { S_INT16, sizeof(S_INT16) / sizeof(S_INT16[0]) },
    { S_UINT16, sizeof(S_UINT16) / sizeof(S_UINT16[0]) },
    { S_INT32, sizeof(S_INT32) / sizeof(S_INT32[0]) },
    { S_UINT32, sizeof(S_UINT32) / sizeof(S_UINT32[0]) },
    { S_INT64, sizeof(S_INT64) / sizeof(S_INT64[0]) },
    { S_UINT64, sizeof(S_UINT64) / sizeof(S_UINT64[0]) },
    { S_FLOAT32, sizeof(S_FLOAT32) / sizeof(S_FLOAT32[0]) },
    { S_FLOAT64, sizeof(S_FLOAT64) / sizeof(S_FLOAT64[0]) },
};

static void *
dup_bytes(const void *data, size_t n)
{
    void *p = malloc(n > 0 ? n : 1);
    REQUIRE(p != NULL);
    if (n > 0) {
        memcpy(p, data, n);
    }
    return p;
}

static void
write_all_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        REQUIRE(w > 0);
        p += w;
        len -= (size_t) w;
    }
}

/* write() everything (for forked children: no assertions). */
static void
write_all_fd_noassert(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) {
            return;
        }
        p += w;
        len -= (size_t) w;
    }
}

/* Runs fn in a forked child; the child sends back up to max ints through a
 * pipe. Returns the number of ints received (or -1). */
static int
run_in_child(void (*fn)(int *out, size_t max, void *arg), void *arg, int *out,
    size_t max)
{
    int fds[2];
    pid_t pid;
    int status;
    ssize_t got, total = 0;

    REQUIRE(pipe(fds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int *vals = calloc(max, sizeof(int));
        size_t off = 0, bytes = max * sizeof(int);
        close(fds[0]);
        if (vals != NULL) {
            fn(vals, max, arg);
            while (off < bytes) {
                ssize_t w = write(fds[1], (char *) vals + off, bytes - off);
                if (w <= 0) {
                    break;
                }
                off += (size_t) w;
            }
            free(vals);
        }
        _exit(0);
    }
    close(fds[1]);
    while ((size_t) total < max * sizeof(int)) {
        got = read(fds[0], (char *) out + total, max * sizeof(int) - (size_t) total);
        if (got <= 0) {
            break;
        }
        total += got;
    }
    close(fds[0]);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return (int) (total / (ssize_t) sizeof(int));
}

/* ------------------------------------------------------------------ */
/* Constants, ABI, version                                            */

static void
test_constants(void)
{
    CHECK_INT(KAS_READ_ALL, 1);
    CHECK_INT(KAS_GET_TAKES_OWNERSHIP, 2);
    CHECK_INT(KAS_BORROWS_ARRAY, 256);
    CHECK_INT(KAS_READ, 1);
    CHECK_INT(KAS_WRITE, 2);
    CHECK_INT(KAS_NUM_TYPES, 10);
    CHECK_INT(KAS_FILE_VERSION_MAJOR, 1);
    CHECK_INT(KAS_FILE_VERSION_MINOR, 0);
    CHECK_INT(KAS_VERSION_MAJOR, 2);
    CHECK_INT(KAS_VERSION_MINOR, 1);
#ifndef KASTORE_REFERENCE
    CHECK_INT(KAS_VERSION_PATCH, 2);
#endif
    CHECK_INT(KAS_HEADER_SIZE, 64);
    CHECK_INT(KAS_ITEM_DESCRIPTOR_SIZE, 64);
    CHECK_INT(KAS_ARRAY_ALIGN, 8);
    CHECK_INT(sizeof(KAS_MAGIC), 9);
    CHECK_MEM(KAS_MAGIC, "\x89KAS\r\n\x1a\n", 8);
    CHECK_INT(KAS_INT8, 0);
    CHECK_INT(KAS_UINT8, 1);
    CHECK_INT(KAS_INT16, 2);
    CHECK_INT(KAS_UINT16, 3);
    CHECK_INT(KAS_INT32, 4);
    CHECK_INT(KAS_UINT32, 5);
    CHECK_INT(KAS_INT64, 6);
    CHECK_INT(KAS_UINT64, 7);
    CHECK_INT(KAS_FLOAT32, 8);
    CHECK_INT(KAS_FLOAT64, 9);
    CHECK_INT(KAS_ERR_GENERIC, -1);
    CHECK_INT(KAS_ERR_IO, -2);
    CHECK_INT(KAS_ERR_BAD_MODE, -3);
    CHECK_INT(KAS_ERR_NO_MEMORY, -4);
    CHECK_INT(KAS_ERR_BAD_FILE_FORMAT, -5);
    CHECK_INT(KAS_ERR_VERSION_TOO_OLD, -6);
    CHECK_INT(KAS_ERR_VERSION_TOO_NEW, -7);
    CHECK_INT(KAS_ERR_BAD_TYPE, -8);
    CHECK_INT(KAS_ERR_EMPTY_KEY, -9);
    CHECK_INT(KAS_ERR_DUPLICATE_KEY, -10);
    CHECK_INT(KAS_ERR_KEY_NOT_FOUND, -11);
    CHECK_INT(KAS_ERR_ILLEGAL_OPERATION, -12);
    CHECK_INT(KAS_ERR_TYPE_MISMATCH, -13);
    CHECK_INT(KAS_ERR_EOF, -14);
    CHECK_INT(KAS_ERR_BAD_FLAGS, -15);
}

static void
test_struct_layout(void)
{
    CHECK_UINT(sizeof(kaitem_t), 64);
    CHECK_UINT(offsetof(kaitem_t, type), 0);
    CHECK_UINT(offsetof(kaitem_t, key_len), 8);
    CHECK_UINT(offsetof(kaitem_t, array_len), 16);
    CHECK_UINT(offsetof(kaitem_t, key), 24);
    CHECK_UINT(offsetof(kaitem_t, borrowed_array), 32);
    CHECK_UINT(offsetof(kaitem_t, array), 40);
    CHECK_UINT(offsetof(kaitem_t, key_start), 48);
    CHECK_UINT(offsetof(kaitem_t, array_start), 56);

    CHECK_UINT(sizeof(kastore_t), 64);
    CHECK_UINT(offsetof(kastore_t, flags), 0);
    CHECK_UINT(offsetof(kastore_t, mode), 4);
    CHECK_UINT(offsetof(kastore_t, file_version), 8);
    CHECK_UINT(sizeof(((kastore_t *) 0)->file_version), 8);
    CHECK_UINT(offsetof(kastore_t, num_items), 16);
    CHECK_UINT(offsetof(kastore_t, items), 24);
    CHECK_UINT(offsetof(kastore_t, file), 32);
    CHECK_UINT(offsetof(kastore_t, file_size), 40);
    CHECK_UINT(offsetof(kastore_t, file_offset), 48);
    CHECK_UINT(offsetof(kastore_t, key_read_buffer), 56);

    CHECK_UINT(sizeof(kas_version_t), 12);
    CHECK_UINT(offsetof(kas_version_t, major), 0);
    CHECK_UINT(offsetof(kas_version_t, minor), 4);
    CHECK_UINT(offsetof(kas_version_t, patch), 8);
}

static void
unused_helper(int KAS_UNUSED(x))
{
}

static void
test_header_macros(void)
{
    char *p = malloc(4);
    char *q = NULL;
    REQUIRE(p != NULL);
    kas_safe_free(p);
    CHECK(p == NULL);
    kas_safe_free(q);
    CHECK(q == NULL);
    kas_bug_assert(p == NULL);
    unused_helper(1);
    CHECK(strlen(KAS_BUG_ASSERT_MESSAGE) > 0);
}

static void
test_version(void)
{
    kas_version_t v = kas_version();
    CHECK_INT(v.major, KAS_VERSION_MAJOR);
    CHECK_INT(v.minor, KAS_VERSION_MINOR);
    CHECK_INT(v.patch, KAS_VERSION_PATCH);
    CHECK_INT(v.major, 2);
    CHECK_INT(v.minor, 1);
#ifdef KASTORE_REFERENCE
    /* The reference sdist ships C API 2.1.3. */
    CHECK_INT(v.patch, 3);
#else
    CHECK_INT(v.patch, 2);
#endif
}

/* ------------------------------------------------------------------ */
/* kas_strerror                                                       */

static void
test_strerror_strings(void)
{
    static const struct {
        int code;
        const char *text;
    } expected[] = {
        { KAS_ERR_GENERIC, "Generic error; please file a bug report" },
        { KAS_ERR_BAD_MODE, "Bad open mode; must be \"r\", \"w\", or \"a\"" },
        { KAS_ERR_NO_MEMORY, "Out of memory" },
        { KAS_ERR_BAD_FILE_FORMAT, "File not in KAS format" },
        { KAS_ERR_VERSION_TOO_OLD, "File format version is too old. Please upgrade "
                                   "using 'kas upgrade <filename>'" },
        { KAS_ERR_VERSION_TOO_NEW, "File format version is too new. Please upgrade "
                                   "your kastore library version" },
        { KAS_ERR_BAD_TYPE, "Unknown data type" },
        { KAS_ERR_EMPTY_KEY, "Keys cannot be empty" },
        { KAS_ERR_DUPLICATE_KEY, "Duplicate key provided" },
        { KAS_ERR_KEY_NOT_FOUND, "Key not found" },
        { KAS_ERR_ILLEGAL_OPERATION,
            "Cannot perform the requested operation in the current mode" },
        { KAS_ERR_TYPE_MISMATCH,
            "Mismatch between requested and stored types for array" },
        { KAS_ERR_EOF, "End of file" },
        { KAS_ERR_BAD_FLAGS,
            "Unknown flags specified. Only (KAS_GET_TAKES_OWNERSHIP and/orKAS_READ_ALL) "
            "or 0 can be specified for open, and KAS_BORROWS_ARRAY or 0 for put" },
    };
    static const int unknown[] = { 0, 1, 2, 100, -16, -100, -101, -102, -103, INT_MIN,
        INT_MAX };
    size_t j;

    for (j = 0; j < sizeof(expected) / sizeof(expected[0]); j++) {
        tu_context("code %d", expected[j].code);
        CHECK_STR(kas_strerror(expected[j].code), expected[j].text);
    }
    for (j = 0; j < sizeof(unknown) / sizeof(unknown[0]); j++) {
        tu_context("code %d", unknown[j]);
        CHECK_STR(kas_strerror(unknown[j]), "Unknown error");
    }
    tu_context_clear();
}

static void
test_strerror_io(void)
{
    static const int errnos[] = { ENOENT, EISDIR, EACCES, EBADF, ENOSPC, ESPIPE };
    char expected[256];
    const char *s;
    size_t j;

    for (j = 0; j < sizeof(errnos) / sizeof(errnos[0]); j++) {
        snprintf(expected, sizeof(expected), "%s", strerror(errnos[j]));
        errno = errnos[j];
        s = kas_strerror(KAS_ERR_IO);
        tu_context("errno %d", errnos[j]);
        CHECK_STR(s, expected);
    }
    errno = 0;
    s = kas_strerror(KAS_ERR_IO);
    tu_context("errno 0");
    CHECK_STR(s, IO_ERRNO_UNSET);
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Open and openf: modes, flags, errors                               */

static const char *const BAD_MODES_OPENF[] = { "", "rb", "R", "ab", "a", "wb", "W", "rw",
    "x", "r+", " r", "r ", NULL };
static const char *const BAD_MODES_OPEN[]
    = { "", "rb", "R", "ab", "wb", "W", "A", "rw", "x", "r+", "aa", NULL };
static const int BAD_FLAGS[] = { -1, 4, 5, 6, 7, 8, 256, 257, INT_MIN, INT_MAX, 0x4000,
    0x4001 };
#define NUM_BAD_FLAGS (sizeof(BAD_FLAGS) / sizeof(BAD_FLAGS[0]))

static void
test_openf_bad_mode(void)
{
    const char *path = example_file("openf_bad_mode.kas");
    FILE *f = fopen(path, "rb");
    kastore_t store;
    size_t j;

    REQUIRE(f != NULL);
    for (j = 0; BAD_MODES_OPENF[j] != NULL; j++) {
        tu_context("mode \"%s\"", BAD_MODES_OPENF[j]);
        memset(&store, 0xab, sizeof(store));
        CHECK_INT(kastore_openf(&store, f, BAD_MODES_OPENF[j], 0), KAS_ERR_BAD_MODE);
        /* openf zero-fills before checking anything. */
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
        /* Mode is checked before flags, and before the FILE is touched. */
        CHECK_INT(kastore_openf(&store, f, BAD_MODES_OPENF[j], -1), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, NULL, BAD_MODES_OPENF[j], 0), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, NULL, BAD_MODES_OPENF[j], 4), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(ftell(f), 0);
    }
    tu_context_clear();
    /* The FILE is still usable: a good open works. */
    CHECK_INT(kastore_openf(&store, f, "r", 0), 0);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
}

static void
test_open_bad_mode(void)
{
    const char *path = example_file("open_bad_mode.kas");
    const char *missing = tu_path("open_bad_mode_missing.kas");
    kastore_t store;
    size_t j;

    for (j = 0; BAD_MODES_OPEN[j] != NULL; j++) {
        tu_context("mode \"%s\"", BAD_MODES_OPEN[j]);
        memset(&store, 0xab, sizeof(store));
        CHECK_INT(kastore_open(&store, path, BAD_MODES_OPEN[j], 0), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, path, BAD_MODES_OPEN[j], 4), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        /* The mode is checked before the path is opened: no ENOENT, no creation. */
        CHECK_INT(kastore_open(&store, missing, BAD_MODES_OPEN[j], 0), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(tu_file_size(missing), -1);
        CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
    }
    tu_context_clear();
}

static void
test_openf_bad_flags(void)
{
    const char *path = example_file("openf_bad_flags.kas");
    FILE *f = fopen(path, "rb");
    kastore_t store;
    size_t j;

    REQUIRE(f != NULL);
    for (j = 0; j < NUM_BAD_FLAGS; j++) {
        tu_context("flags %d", BAD_FLAGS[j]);
        memset(&store, 0xab, sizeof(store));
        CHECK_INT(kastore_openf(&store, f, "r", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
#ifndef KASTORE_REFERENCE
        /* Ours leaves the struct zeroed after any failed open (the reference has
         * already set mode to KAS_READ when it rejects the flags). */
        CHECK_ZEROED(store);
#endif
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, f, "w", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        /* Checked before the FILE is touched, so it may be NULL. */
        CHECK_INT(kastore_openf(&store, NULL, "r", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, NULL, "w", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(ftell(f), 0);
    }
    tu_context_clear();
    fclose(f);
    CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
}

static void
test_open_bad_flags(void)
{
    const char *path = example_file("open_bad_flags.kas");
    const char *missing = tu_path("open_bad_flags_missing.kas");
    const char *missing_dir = tu_path("no_such_dir/x.kas");
    kastore_t store;
    size_t j;
    int err;

    for (j = 0; j < NUM_BAD_FLAGS; j++) {
        tu_context("flags %d", BAD_FLAGS[j]);
        CHECK_INT(kastore_open(&store, path, "r", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
        /* The path is opened before the flags are checked (spec 3.5). */
        errno = 0;
        CHECK_INT(kastore_open(&store, missing, "r", BAD_FLAGS[j]), KAS_ERR_IO);
        err = errno;
        CHECK_INT(err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        CHECK_INT(kastore_open(&store, missing, "a", BAD_FLAGS[j]), KAS_ERR_IO);
        err = errno;
        CHECK_INT(err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        CHECK_INT(kastore_open(&store, missing_dir, "w", BAD_FLAGS[j]), KAS_ERR_IO);
        err = errno;
        CHECK_INT(err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK_INT(tu_file_size(missing), -1);
}

static void
check_io_errno(int ret, int err, int expected_errno)
{
    char expected[256];
    const char *s;
    CHECK_INT(ret, KAS_ERR_IO);
    CHECK_INT(err, expected_errno);
    snprintf(expected, sizeof(expected), "%s", strerror(expected_errno));
    errno = err;
    s = kas_strerror(KAS_ERR_IO);
    CHECK_STR(s, expected);
}

static void
test_open_missing_file(void)
{
    const char *missing = tu_path("missing.kas");
    kastore_t store;
    int ret, err, flags;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        errno = 0;
        ret = kastore_open(&store, missing, "r", flags);
        err = errno;
        check_io_errno(ret, err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        ret = kastore_open(&store, missing, "a", flags);
        err = errno;
        check_io_errno(ret, err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        ret = kastore_open(&store, tu_path("missing_dir/x.kas"), "w", flags);
        err = errno;
        check_io_errno(ret, err, ENOENT);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK_INT(tu_file_size(missing), -1);
}

static void
test_open_directory(void)
{
    const char *dir = tu_make_subdir("a_directory");
    kastore_t store;
    int ret, err, flags;

    REQUIRE(dir != NULL);
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        errno = 0;
        ret = kastore_open(&store, dir, "r", flags);
        err = errno;
        check_io_errno(ret, err, EISDIR);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        ret = kastore_open(&store, dir, "w", flags);
        err = errno;
        check_io_errno(ret, err, EISDIR);
        CHECK_INT(kastore_close(&store), 0);
        errno = 0;
        ret = kastore_open(&store, dir, "a", flags);
        err = errno;
        check_io_errno(ret, err, EISDIR);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK_INT(tu_count_dir_entries(dir), 0);
}

typedef struct {
    const char *file;     /* an existing, unreadable and unwritable store */
    const char *new_file; /* a path in a directory the user cannot write */
    int drop_privileges;
} eacces_arg_t;

static void
eacces_child(int *out, size_t max, void *varg)
{
    eacces_arg_t *arg = varg;
    kastore_t store;
    const char *modes[3] = { "r", "w", "a" };
    size_t j, k = 0;

    if (arg->drop_privileges) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
            out[0] = INT_MIN;
            return;
        }
    }
    for (j = 0; j < 3 && k + 2 <= max; j++) {
        errno = 0;
        out[k] = kastore_open(&store, arg->file, modes[j], 0);
        out[k + 1] = errno;
        (void) kastore_close(&store);
        k += 2;
    }
    errno = 0;
    out[k] = kastore_open(&store, arg->new_file, "w", 0);
    out[k + 1] = errno;
    (void) kastore_close(&store);
}

static void
test_open_eacces(void)
{
    const char *dir = tu_world_dir();
    const char *locked_dir;
    eacces_arg_t arg;
    int out[8];
    int n, j;
    kastore_t store;

    REQUIRE(dir != NULL);
    arg.file = tu_join(dir, "locked.kas");
    write_raw(arg.file, tu_worked_example, sizeof(tu_worked_example));
    locked_dir = tu_join(dir, "locked_dir");
    REQUIRE(mkdir(locked_dir, 0755) == 0);
    arg.new_file = tu_join(locked_dir, "new.kas");
    arg.drop_privileges = geteuid() == 0;
    if (arg.drop_privileges) {
        /* Owned by root: the unprivileged child can neither read nor write. */
        REQUIRE(chmod(arg.file, 0600) == 0);
    } else {
        REQUIRE(chmod(arg.file, 0000) == 0);
        REQUIRE(chmod(locked_dir, 0555) == 0);
    }
    memset(out, 0, sizeof(out));
    n = run_in_child(eacces_child, &arg, out, 8);
    REQUIRE_INT(n, 8);
    REQUIRE(out[0] != INT_MIN);
    for (j = 0; j < 4; j++) {
        static const char *const what[4]
            = { "\"r\"", "\"w\"", "\"a\"", "new file, \"w\"" };
        tu_context("%s", what[j]);
        check_io_errno(out[2 * j], out[2 * j + 1], EACCES);
    }
    tu_context_clear();
    REQUIRE(chmod(arg.file, 0644) == 0);
    REQUIRE(chmod(locked_dir, 0755) == 0);
    CHECK(tu_file_equals(arg.file, tu_worked_example, sizeof(tu_worked_example)));
    CHECK_INT(tu_count_dir_entries(locked_dir), 0);
    /* And the file is fine for a user who may read it. */
    CHECK_INT(kastore_open(&store, arg.file, "r", 0), 0);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
}

typedef struct {
    const char *file;
    int drop_privileges;
} readonly_dir_arg_t;

static void
readonly_dir_child(int *out, size_t max, void *varg)
{
    readonly_dir_arg_t *arg = varg;
    kastore_t store;
    static const int order[3] = { 1, 0, 2 };

    (void) max;
    if (arg->drop_privileges) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
            out[0] = INT_MIN;
            return;
        }
    }
    errno = 0;
    out[0] = kastore_open(&store, arg->file, "w", 0);
    out[1] = errno;
    if (out[0] == 0) {
        write_example_items(&store, order);
        errno = 0;
        out[2] = kastore_close(&store);
        out[3] = errno;
    }
}

static void
test_open_w_in_readonly_dir(void)
{
    /* The file is writable but its directory is not: the store is written in
     * place (ours cannot create a temporary file there, spec 5). */
    const char *dir = tu_world_dir();
    const char *sub;
    readonly_dir_arg_t arg;
    unsigned char old[100];
    int out[4] = { 0, 0, -99, 0 };

    REQUIRE(dir != NULL);
    sub = tu_join(dir, "ro");
    REQUIRE(mkdir(sub, 0755) == 0);
    arg.file = tu_join(sub, "store.kas");
    memset(old, 'o', sizeof(old));
    write_raw(arg.file, old, sizeof(old));
    arg.drop_privileges = geteuid() == 0;
    if (arg.drop_privileges) {
        REQUIRE(chown(arg.file, 65534, 65534) == 0);
    } else {
        REQUIRE(chmod(sub, 0555) == 0);
    }
    REQUIRE_INT(run_in_child(readonly_dir_child, &arg, out, 4), 4);
    REQUIRE(out[0] != INT_MIN);
    REQUIRE(chmod(sub, 0755) == 0);
    CHECK_INT(out[0], 0);
    CHECK_INT(out[2], 0);
    CHECK(tu_file_equals(arg.file, tu_worked_example, sizeof(tu_worked_example)));
    CHECK_INT(tu_count_dir_entries(sub), 1);
}

static void
test_open_w_symlink(void)
{
    /* Writing through a symlink updates its target and keeps the link. */
    const char *dir = tu_make_subdir("symlinks");
    const char *target, *link, *dangling_target, *dangling;
    kastore_t store;
    struct stat st;
    static const int order[3] = { 2, 0, 1 };

    REQUIRE(dir != NULL);
    target = tu_join(dir, "target.kas");
    link = tu_join(dir, "link.kas");
    dangling_target = tu_join(dir, "dangling_target.kas");
    dangling = tu_join(dir, "dangling.kas");
    write_raw(target, "old", 3);
    REQUIRE(symlink("target.kas", link) == 0);
    REQUIRE(symlink("dangling_target.kas", dangling) == 0);

    REQUIRE_INT(kastore_open(&store, link, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE(lstat(link, &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(tu_file_equals(target, tu_worked_example, 280));

    REQUIRE_INT(kastore_open(&store, link, "a", 0), 0);
    CHECK_UINT(store.num_items, 3);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE(lstat(link, &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(tu_file_equals(target, tu_worked_example, 280));

    REQUIRE_INT(kastore_open(&store, dangling, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE(lstat(dangling, &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(tu_file_equals(dangling_target, tu_worked_example, 280));
    CHECK_INT(tu_count_dir_entries(dir), 4);
}

typedef struct {
    const char *fifo;
    int flags;
} fifo_arg_t;

/* Writes the worked example to the FIFO with kastore_open("w"). */
static void
fifo_writer_child(int *out, size_t max, void *varg)
{
    fifo_arg_t *arg = varg;
    kastore_t store;
    static const int order[3] = { 0, 2, 1 };

    (void) max;
    alarm(20);
    out[0] = kastore_open(&store, arg->fifo, "w", 0);
    if (out[0] == 0) {
        write_example_items(&store, order);
        out[1] = kastore_close(&store);
    }
}

/* Reads one store from the FIFO with kastore_open("r"). */
static void
fifo_reader_child(int *out, size_t max, void *varg)
{
    fifo_arg_t *arg = varg;
    kastore_t store;
    int32_t *a;
    size_t len;

    (void) max;
    alarm(20);
    errno = 0;
    out[0] = kastore_open(&store, arg->fifo, "r", arg->flags);
    out[1] = errno;
    if (out[0] == 0) {
        out[2] = (int) store.num_items;
        out[3] = kastore_gets_int32(&store, "a", &a, &len);
        out[4] = out[3] == 0 && len == 2 && a[0] == -1 && a[1] == 2;
        out[5] = kastore_close(&store);
    }
}

/* A raw reader: 1 if exactly the worked example's bytes arrive, then EOF. */
static int
fifo_raw_reader(const char *fifo)
{
    unsigned char buf[1024];
    size_t got = 0;
    ssize_t r;
    int fd;

    alarm(20);
    fd = open(fifo, O_RDONLY);
    if (fd < 0) {
        return 0;
    }
    while ((r = read(fd, buf + got, sizeof(buf) - got)) > 0) {
        got += (size_t) r;
    }
    close(fd);
    return got == 280 && memcmp(buf, tu_worked_example, 280) == 0;
}

static int
fifo_raw_writer(const char *fifo)
{
    int fd;
    alarm(20);
    /* The lazy reader gives up before reading: no SIGPIPE for us. */
    signal(SIGPIPE, SIG_IGN);
    fd = open(fifo, O_WRONLY);
    if (fd < 0) {
        return 0;
    }
    write_all_fd_noassert(fd, tu_worked_example, 280);
    close(fd);
    return 1;
}

static void
test_open_fifo(void)
{
    /* A FIFO is not a regular file: "w" writes in place, "r" reads it. */
    const char *fifo = tu_path("store.fifo");
    fifo_arg_t arg;
    int out[6];
    pid_t pid;
    int status, flags;

    REQUIRE(mkfifo(fifo, 0644) == 0);
    arg.fifo = fifo;
    arg.flags = 0;

    fflush(stdout);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        _exit(fifo_raw_reader(fifo) ? 0 : 1);
    }
    memset(out, 0, sizeof(out));
    REQUIRE_INT(run_in_child(fifo_writer_child, &arg, out, 2), 2);
    CHECK_INT(out[0], 0);
    CHECK_INT(out[1], 0);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    /* The reader saw exactly one store and then EOF. */
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    for (flags = 0; flags <= 1; flags++) {
        tu_context("flags %d", flags);
        arg.flags = flags;
        fflush(stdout);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            _exit(fifo_raw_writer(fifo) ? 0 : 1);
        }
        memset(out, 0, sizeof(out));
        REQUIRE_INT(run_in_child(fifo_reader_child, &arg, out, 6), 6);
        if (flags == 0) {
            /* Lazy mode needs ftell, which fails on a FIFO. */
            check_io_errno(out[0], out[1], ESPIPE);
        } else {
            CHECK_INT(out[0], 0);
            CHECK_INT(out[2], 3);
            CHECK_INT(out[3], 0);
            CHECK_INT(out[4], 1);
            CHECK_INT(out[5], 0);
        }
        REQUIRE(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    tu_context_clear();
}

static void
test_open_empty_file(void)
{
    const char *path = tu_path("empty_file.kas");
    kastore_t store;
    FILE *f;
    int flags;

    write_raw(path, "", 0);
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        CHECK_INT(kastore_open(&store, path, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, "/dev/null", "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
        f = fopen("/dev/null", "rb");
        REQUIRE(f != NULL);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
    CHECK_INT(tu_file_size(path), 0);
}

static void
test_openf_write_only_file(void)
{
    const char *path = example_file("write_only.kas");
    kastore_t store;
    int flags, fd, ret, err;
    FILE *f;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        fd = open(path, O_WRONLY);
        REQUIRE(fd >= 0);
        f = fdopen(fd, "w");
        REQUIRE(f != NULL);
        errno = 0;
        ret = kastore_openf(&store, f, "r", flags);
        err = errno;
        check_io_errno(ret, err, EBADF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
    CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
}

static void
test_openf_w_on_read_only_file(void)
{
    const char *path = example_file("read_only_w.kas");
    kastore_t store;
    FILE *f = fopen(path, "rb");
    int ret, err;

    REQUIRE(f != NULL);
    CHECK_INT(kastore_openf(&store, f, "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "x", EX_A, 2, 0), 0);
    errno = 0;
    ret = kastore_close(&store);
    err = errno;
    check_io_errno(ret, err, EBADF);
    CHECK_ZEROED(store);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
    CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
}

static void
test_open_w_dev_null(void)
{
    kastore_t store;
    int flags;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        CHECK_INT(kastore_open(&store, "/dev/null", "w", flags), 0);
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
        CHECK_INT(kastore_puts_uint8(&store, "ab", EX_AB, 1, 0), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        /* Appending to /dev/null reads an empty file first. */
        CHECK_INT(kastore_open(&store, "/dev/null", "a", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    /* Writing to /dev/random succeeds too (spec 3.5). */
    CHECK_INT(kastore_open(&store, "/dev/random", "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_open_w_dev_full(void)
{
    kastore_t store;
    int ret, err;

    CHECK_INT(kastore_open(&store, "/dev/full", "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
    errno = 0;
    ret = kastore_close(&store);
    err = errno;
    check_io_errno(ret, err, ENOSPC);
    CHECK_ZEROED(store);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_open_w_flags_accepted(void)
{
    const char *path = tu_path("w_flags.kas");
    kastore_t store;
    FILE *f;
    int flags;
    int order[3] = { 2, 1, 0 };

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        CHECK_INT(kastore_open(&store, path, "w", flags), 0);
        CHECK_INT(store.flags, flags | OWN_FILE_FLAG);
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK_UINT(store.num_items, 0);
        write_example_items(&store, order);
        CHECK_INT(kastore_close(&store), 0);
        CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));

        f = fopen(path, "wb");
        REQUIRE(f != NULL);
        CHECK_INT(kastore_openf(&store, f, "w", flags), 0);
        CHECK_INT(store.flags, flags);
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK(store.file == f);
        write_example_items(&store, order);
        CHECK_INT(kastore_close(&store), 0);
        CHECK(fclose(f) == 0);
        CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Read mode: struct fields and stream positions                      */

static void
test_read_fields_lazy(void)
{
    const char *path = example_file("fields_lazy.kas");
    kastore_t store;
    void *array = NULL;
    size_t len;
    int type, j;

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(store.flags, OWN_FILE_FLAG);
    CHECK_INT(store.mode, KAS_READ);
    CHECK_INT(store.file_version[0], 1);
    CHECK_INT(store.file_version[1], 0);
    CHECK_UINT(store.num_items, 3);
    CHECK_UINT(store.file_size, 280);
    CHECK_INT(store.file_offset, 0);
    CHECK(store.file != NULL);
    CHECK(store.key_read_buffer != NULL);
    REQUIRE(store.items != NULL);

    CHECK_INT(store.items[0].type, KAS_INT32);
    CHECK_UINT(store.items[0].key_len, 1);
    CHECK_UINT(store.items[0].array_len, 2);
    CHECK_UINT(store.items[0].key_start, 0x100);
    CHECK_UINT(store.items[0].array_start, 0x108);
    CHECK_INT(store.items[1].type, KAS_UINT8);
    CHECK_UINT(store.items[1].key_len, 2);
    CHECK_UINT(store.items[1].array_len, 1);
    CHECK_UINT(store.items[1].key_start, 0x101);
    CHECK_UINT(store.items[1].array_start, 0x110);
    CHECK_INT(store.items[2].type, KAS_FLOAT32);
    CHECK_UINT(store.items[2].key_len, 1);
    CHECK_UINT(store.items[2].array_len, 0);
    CHECK_UINT(store.items[2].key_start, 0x103);
    CHECK_UINT(store.items[2].array_start, 0x118);
    /* Keys share one buffer and are not NUL-terminated: "a" is followed by "ab". */
    CHECK_PTR_EQ(store.items[0].key, store.key_read_buffer);
    CHECK_PTR_EQ(store.items[1].key, store.key_read_buffer + 1);
    CHECK_PTR_EQ(store.items[2].key, store.key_read_buffer + 3);
    CHECK_MEM(store.items[0].key, "aab", 3);
    CHECK_MEM(store.items[1].key, "ab", 2);
    CHECK_MEM(store.items[2].key, "b", 1);
    CHECK(store.items[0].key[1] == 'a');
    for (j = 0; j < 3; j++) {
        CHECK(store.items[j].array == NULL);
        CHECK(store.items[j].borrowed_array == NULL);
    }
    /* Loading one item fills in its array only. */
    CHECK_INT(kastore_gets(&store, "ab", &array, &len, &type), 0);
    CHECK(store.items[1].array != NULL);
    CHECK_PTR_EQ(store.items[1].array, array);
    CHECK(store.items[0].array == NULL);
    CHECK(store.items[2].array == NULL);
    CHECK_INT(kastore_gets(&store, "b", &array, &len, &type), 0);
    CHECK(store.items[2].array != NULL);
    CHECK_PTR_EQ(store.items[2].array, array);
    CHECK(store.items[0].array == NULL);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_read_fields_read_all(void)
{
    const char *path = example_file("fields_read_all.kas");
    kastore_t store;
    void *array = NULL;
    size_t len;
    int type, j;

    REQUIRE_INT(kastore_open(&store, path, "r", KAS_READ_ALL), 0);
    CHECK_INT(store.flags, 16385);
    CHECK_INT(store.mode, KAS_READ);
    CHECK_INT(store.file_version[0], 1);
    CHECK_INT(store.file_version[1], 0);
    CHECK_UINT(store.num_items, 3);
    CHECK_UINT(store.file_size, 280);
    CHECK_INT(store.file_offset, 0);
    REQUIRE(store.items != NULL);
    for (j = 0; j < 3; j++) {
        tu_context("item %d", j);
        CHECK(store.items[j].array != NULL);
        CHECK_PTR_EQ(store.items[j].key, store.key_read_buffer + (j == 0 ? 0 : 2 * j - 1));
    }
    tu_context_clear();
    CHECK_MEM(store.items[0].array, EX_A, sizeof(EX_A));
    CHECK_MEM(store.items[1].array, EX_AB, sizeof(EX_AB));
    for (j = 0; j < 3; j++) {
        void *expected = store.items[j].array;
        tu_context("item %d", j);
        CHECK_INT(kastore_get(&store, store.items[j].key, store.items[j].key_len, &array,
                      &len, &type),
            0);
        CHECK_PTR_EQ(array, expected);
        CHECK_PTR_EQ(store.items[j].array, expected);
        CHECK_UINT(len, store.items[j].array_len);
        CHECK_INT(type, store.items[j].type);
    }
    tu_context_clear();
    CHECK_INT(kastore_close(&store), 0);

    REQUIRE_INT(kastore_open(&store, path, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP), 0);
    CHECK_INT(store.flags, 16387);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE_INT(kastore_open(&store, path, "r", KAS_GET_TAKES_OWNERSHIP), 0);
    CHECK_INT(store.flags, 16386);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_read_fields_minor_version(void)
{
    const char *path = tu_path("minor7.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;

    memcpy(buf, tu_worked_example, sizeof(buf));
    tu_put_u16(buf + 10, 7);
    write_raw(path, buf, sizeof(buf));
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(store.file_version[0], 1);
    CHECK_INT(store.file_version[1], 7);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
}

/* A store preceded by prefix_len bytes and followed by "XYZ". */
static const char *
framed_example_file(const char *name, size_t prefix_len)
{
    const char *path = tu_path(name);
    unsigned char buf[512];
    REQUIRE(prefix_len + sizeof(tu_worked_example) + 3 <= sizeof(buf));
    memset(buf, 'P', prefix_len);
    memcpy(buf + prefix_len, tu_worked_example, sizeof(tu_worked_example));
    memcpy(buf + prefix_len + sizeof(tu_worked_example), "XYZ", 3);
    write_raw(path, buf, prefix_len + sizeof(tu_worked_example) + 3);
    return path;
}

static void
test_openf_fields_and_position(void)
{
    static const size_t prefixes[] = { 0, 5, 64 };
    kastore_t store;
    size_t j;
    FILE *f;

    for (j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++) {
        long p = (long) prefixes[j];
        const char *path = framed_example_file("framed.kas", prefixes[j]);
        tu_context("prefix %ld", p);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);

        /* Lazy: ftell gives file_offset; the FILE is left at items[0].array_start. */
        REQUIRE(fseek(f, p, SEEK_SET) == 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", 0), 0);
        CHECK_INT(store.flags, 0);
        CHECK_INT(store.file_offset, p);
        CHECK(store.file == f);
        CHECK_INT(ftell(f), p + 0x108);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);

        /* KAS_READ_ALL: the FILE is left exactly at the end of the store. */
        REQUIRE(fseek(f, p, SEEK_SET) == 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL), 0);
        CHECK_INT(store.flags, KAS_READ_ALL);
        CHECK_INT(ftell(f), p + 280);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(ftell(f), p + 280);
        CHECK_INT(fgetc(f), 'X');

        /* READ_ALL | TAKES_OWNERSHIP: first gets come from memory. */
        REQUIRE(fseek(f, p, SEEK_SET) == 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP), 0);
        CHECK_INT(ftell(f), p + 280);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
}

static void
test_empty_store_position(void)
{
    const char *path = tu_path("empty_store_trailing.kas");
    unsigned char buf[64 + 4];
    kastore_t store;
    FILE *f;
    int flags;

    memcpy(buf, tu_empty_store, 64);
    memcpy(buf + 64, "TAIL", 4);
    write_raw(path, buf, sizeof(buf));
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 0);
        CHECK_UINT(store.file_size, 64);
        CHECK_INT(ftell(f), 64);
        CHECK_INT(kastore_containss(&store, "a"), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(fgetc(f), 'T');
        fclose(f);
    }
    tu_context_clear();
}

static void
test_unbuffered_no_read_ahead(void)
{
    /* With an unbuffered FILE the fd offset shows exactly what was read. */
    const char *path = framed_example_file("unbuffered.kas", 0);
    unsigned char rest[16];
    kastore_t store;
    int fd, fds[2];
    FILE *f;

    fd = open(path, O_RDONLY);
    REQUIRE(fd >= 0);
    f = fdopen(fd, "rb");
    REQUIRE(f != NULL);
    REQUIRE(setvbuf(f, NULL, _IONBF, 0) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL), 0);
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 280);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE(fseek(f, 0, SEEK_SET) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "r", 0), 0);
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 0x108);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);

    /* A pipe: the bytes after the store are still in the pipe. */
    REQUIRE(pipe(fds) == 0);
    write_all_fd(fds[1], tu_worked_example, 280);
    write_all_fd(fds[1], "after", 5);
    close(fds[1]);
    f = fdopen(fds[0], "rb");
    REQUIRE(f != NULL);
    REQUIRE(setvbuf(f, NULL, _IONBF, 0) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL), 0);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(read(fds[0], rest, sizeof(rest)), 5);
    CHECK_MEM(rest, "after", 5);
    fclose(f);
}

static void
test_zero_length_get_does_not_move(void)
{
    const char *path = framed_example_file("zero_get_pos.kas", 0);
    kastore_t store;
    void *array;
    size_t len;
    int type;
    FILE *f = fopen(path, "rb");

    REQUIRE(f != NULL);
    REQUIRE_INT(kastore_openf(&store, f, "r", 0), 0);
    CHECK_INT(ftell(f), 0x108);
    CHECK_INT(kastore_gets(&store, "ab", &array, &len, &type), 0);
    CHECK_INT(ftell(f), 0x111);
    /* "b" is empty: no seek, no read. */
    CHECK_INT(kastore_gets(&store, "b", &array, &len, &type), 0);
    CHECK(array != NULL);
    CHECK_UINT(len, 0);
    CHECK_INT(ftell(f), 0x111);
    CHECK_INT(kastore_gets(&store, "a", &array, &len, &type), 0);
    CHECK_INT(ftell(f), 0x110);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
}

/* ------------------------------------------------------------------ */
/* Get and contains                                                   */

static void
test_get_default_ownership(void)
{
    const char *path = example_file("get_default.kas");
    kastore_t store;
    void *first, *second;
    size_t len;
    int type, flags;

    for (flags = 0; flags <= 1; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        len = 0;
        type = -1;
        CHECK_INT(kastore_get(&store, "a", 1, &first, &len, &type), 0);
        CHECK_UINT(len, 2);
        CHECK_INT(type, KAS_INT32);
        CHECK_MEM(first, EX_A, sizeof(EX_A));
        CHECK_INT(kastore_gets(&store, "a", &second, &len, &type), 0);
        CHECK_PTR_EQ(second, first);
        /* A zero-length array is never NULL. */
        second = NULL;
        CHECK_INT(kastore_gets(&store, "b", &second, &len, &type), 0);
        CHECK(second != NULL);
        CHECK_UINT(len, 0);
        CHECK_INT(type, KAS_FLOAT32);
        CHECK_INT(kastore_get(&store, "abc", 2, &first, &len, &type), 0);
        CHECK_UINT(len, 1);
        CHECK_INT(type, KAS_UINT8);
        CHECK_MEM(first, EX_AB, 1);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
}

static void
test_get_errors(void)
{
    const char *path = example_file("get_errors.kas");
    kastore_t store;
    void *array;
    int32_t *a32;
    size_t len;
    int type, flags;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_INT(kastore_gets(&store, "c", &array, &len, &type), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_gets(&store, "", &array, &len, &type), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_get(&store, "a", 0, &array, &len, &type), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_get(&store, "abc", 3, &array, &len, &type),
            KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_gets(&store, "A", &array, &len, &type), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_get(&store, "a\0", 2, &array, &len, &type),
            KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_gets_int32(&store, "zz", &a32, &len), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();

    /* A writer refuses gets, typed or not. */
    REQUIRE_INT(kastore_open(&store, tu_path("get_on_writer.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
    CHECK_INT(kastore_gets(&store, "a", &array, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_get(&store, "a", 1, &array, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_gets(&store, "zz", &array, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_gets_int32(&store, "a", &a32, &len), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_contains(void)
{
    const char *path = example_file("contains.kas");
    kastore_t store;
    int flags;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_INT(kastore_containss(&store, "a"), 1);
        CHECK_INT(kastore_containss(&store, "ab"), 1);
        CHECK_INT(kastore_containss(&store, "b"), 1);
        CHECK_INT(kastore_containss(&store, "c"), 0);
        CHECK_INT(kastore_containss(&store, "abc"), 0);
        CHECK_INT(kastore_containss(&store, ""), 0);
        CHECK_INT(kastore_contains(&store, "xy", 1), 0);
        CHECK_INT(kastore_contains(&store, "ay", 1), 1);
        CHECK_INT(kastore_contains(&store, "abc", 2), 1);
        CHECK_INT(kastore_contains(&store, "abc", 3), 0);
        CHECK_INT(kastore_contains(&store, "a", 0), 0);
        CHECK_INT(kastore_contains(&store, "b\0", 2), 0);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();

    REQUIRE_INT(kastore_open(&store, tu_path("contains_writer.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
    CHECK_INT(kastore_containss(&store, "a"), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_containss(&store, "b"), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_contains(&store, "a", 1), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_contains_never_loads(void)
{
    const char *path = example_file("contains_loads.kas");
    kastore_t store;
    void *array, *held[3];
    size_t len;
    int type, j;

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_containss(&store, "a"), 1);
    CHECK_INT(kastore_containss(&store, "ab"), 1);
    CHECK_INT(kastore_containss(&store, "b"), 1);
    for (j = 0; j < 3; j++) {
        CHECK(store.items[j].array == NULL);
    }
    CHECK_INT(kastore_close(&store), 0);

    /* READ_ALL | TAKES_OWNERSHIP: contains does not transfer arrays. */
    REQUIRE_INT(kastore_open(&store, path, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP), 0);
    for (j = 0; j < 3; j++) {
        held[j] = store.items[j].array;
        CHECK(held[j] != NULL);
    }
    CHECK_INT(kastore_containss(&store, "a"), 1);
    CHECK_INT(kastore_containss(&store, "ab"), 1);
    CHECK_INT(kastore_containss(&store, "b"), 1);
    for (j = 0; j < 3; j++) {
        CHECK_PTR_EQ(store.items[j].array, held[j]);
    }
    CHECK_INT(kastore_gets(&store, "ab", &array, &len, &type), 0);
    CHECK_PTR_EQ(array, held[1]);
    CHECK(store.items[1].array == NULL);
    CHECK_INT(kastore_containss(&store, "ab"), 1);
    CHECK(store.items[1].array == NULL);
    free(array);
    CHECK_INT(kastore_close(&store), 0);
}

/* Writes one key "t<code>" per type with the sample arrays, by typed puts. */
static const char *
typed_store_file(const char *name)
{
    const char *path = tu_path(name);
    kastore_t store;
    char key[8];
    int t;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    for (t = 0; t < KAS_NUM_TYPES; t++) {
        snprintf(key, sizeof(key), "t%d", t);
        CHECK_INT(typed_puts(&store, t, key, SAMPLES[t].data, SAMPLES[t].len, 0), 0);
    }
    REQUIRE_INT(kastore_close(&store), 0);
    return path;
}

static void
test_typed_get_mismatch(void)
{
    const char *path = typed_store_file("typed_mismatch.kas");
    kastore_t store;
    char key[8];
    void *array, *plain;
    size_t len, plain_len;
    int flags, stored, asked, type;

    for (flags = 0; flags <= 3; flags++) {
        int takes = (flags & KAS_GET_TAKES_OWNERSHIP) != 0;
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        for (stored = 0; stored < KAS_NUM_TYPES; stored++) {
            snprintf(key, sizeof(key), "t%d", stored);
            plain = NULL;
            if (!takes) {
                CHECK_INT(kastore_gets(&store, key, &plain, &plain_len, &type), 0);
            }
            for (asked = 0; asked < KAS_NUM_TYPES; asked++) {
                tu_context("flags %d, stored type %d, typed get %d", flags, stored, asked);
                array = NULL;
                len = 12345;
                if (asked == stored) {
                    CHECK_INT(typed_gets(&store, asked, key, &array, &len), 0);
                } else {
                    CHECK_INT(typed_gets(&store, asked, key, &array, &len),
                        KAS_ERR_TYPE_MISMATCH);
                }
                /* Array and length are written even on a mismatch. */
                CHECK(array != NULL);
                CHECK_UINT(len, SAMPLES[stored].len);
                CHECK_MEM(array, SAMPLES[stored].data, len * tu_elem_size(stored));
                if (takes) {
                    CHECK(store.items[stored].array == NULL);
                    free(array);
                } else {
                    CHECK_PTR_EQ(array, plain);
                }
            }
        }
        tu_context_clear();
        CHECK_INT(kastore_close(&store), 0);
    }
}

static void
test_takes_ownership(void)
{
    const char *path = example_file("takes.kas");
    kastore_t store;
    void *first[3], *second[3];
    size_t len;
    int flags, type, j;
    const char *keys[3] = { "a", "ab", "b" };

    for (flags = KAS_GET_TAKES_OWNERSHIP; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        for (j = 0; j < 3; j++) {
            if (flags & KAS_READ_ALL) {
                CHECK(store.items[j].array != NULL);
            } else {
                CHECK(store.items[j].array == NULL);
            }
            first[j] = NULL;
            CHECK_INT(kastore_gets(&store, keys[j], &first[j], &len, &type), 0);
            CHECK(first[j] != NULL);
            CHECK(store.items[j].array == NULL);
            /* A repeat get returns a new buffer, re-read from the file. */
            second[j] = NULL;
            CHECK_INT(kastore_gets(&store, keys[j], &second[j], &len, &type), 0);
            CHECK(second[j] != NULL);
            CHECK_PTR_NE(second[j], first[j]);
            CHECK(store.items[j].array == NULL);
            CHECK_UINT(len, store.items[j].array_len);
        }
        CHECK_INT(kastore_close(&store), 0);
        /* The buffers outlive close and belong to us. */
        CHECK_MEM(first[0], EX_A, sizeof(EX_A));
        CHECK_MEM(second[0], EX_A, sizeof(EX_A));
        CHECK_MEM(first[1], EX_AB, sizeof(EX_AB));
        CHECK_MEM(second[1], EX_AB, sizeof(EX_AB));
        for (j = 0; j < 3; j++) {
            /* They are system-malloc buffers: realloc and free work. */
            void *grown = realloc(first[j], 64);
            REQUIRE(grown != NULL);
            free(grown);
            free(second[j]);
        }
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Put, oput, round trips                                              */

static void
check_typed_key(kastore_t *store, const char *key, int t)
{
    void *array = NULL;
    size_t len = 12345;
    int type = -1;
    int takes = (store->flags & KAS_GET_TAKES_OWNERSHIP) != 0;

    CHECK_INT(typed_gets(store, t, key, &array, &len), 0);
    CHECK_UINT(len, SAMPLES[t].len);
    CHECK_MEM(array, SAMPLES[t].data, len * tu_elem_size(t));
    if (takes) {
        free(array);
    }
    array = NULL;
    CHECK_INT(kastore_get(store, key, strlen(key), &array, &len, &type), 0);
    CHECK_INT(type, t);
    CHECK_UINT(len, SAMPLES[t].len);
    CHECK_MEM(array, SAMPLES[t].data, len * tu_elem_size(t));
    if (takes) {
        free(array);
    }
}

static void
test_roundtrip_all_types(void)
{
    const char *path = tu_path("roundtrip.kas");
    kastore_t store;
    char key[32];
    tu_item_t model[6 * KAS_NUM_TYPES];
    char model_keys[6 * KAS_NUM_TYPES][32];
    size_t n = 0, size;
    unsigned char *expected;
    int t, flags, k;
    static const char *const kinds[6]
        = { "puts_", "oputs_", "put_", "oput_", "gputs_", "goputs_" };

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    for (t = 0; t < KAS_NUM_TYPES; t++) {
        size_t bytes = SAMPLES[t].len * tu_elem_size(t);
        for (k = 0; k < 6; k++) {
            snprintf(model_keys[n], sizeof(model_keys[n]), "%s%d", kinds[k], t);
            tu_context("%s", model_keys[n]);
            switch (k) {
                case 0:
                    CHECK_INT(typed_puts(&store, t, model_keys[n], SAMPLES[t].data,
                                  SAMPLES[t].len, 0),
                        0);
                    break;
                case 1:
                    CHECK_INT(typed_oputs(&store, t, model_keys[n],
                                  dup_bytes(SAMPLES[t].data, bytes), SAMPLES[t].len, 0),
                        0);
                    break;
                case 2:
                    CHECK_INT(kastore_put(&store, model_keys[n], strlen(model_keys[n]),
                                  SAMPLES[t].data, SAMPLES[t].len, t, 0),
                        0);
                    break;
                case 3:
                    CHECK_INT(kastore_oput(&store, model_keys[n], strlen(model_keys[n]),
                                  dup_bytes(SAMPLES[t].data, bytes), SAMPLES[t].len, t, 0),
                        0);
                    break;
                case 4:
                    CHECK_INT(kastore_puts(&store, model_keys[n], SAMPLES[t].data,
                                  SAMPLES[t].len, t, 0),
                        0);
                    break;
                default:
                    CHECK_INT(kastore_oputs(&store, model_keys[n],
                                  dup_bytes(SAMPLES[t].data, bytes), SAMPLES[t].len, t, 0),
                        0);
                    break;
            }
            model[n].key = model_keys[n];
            model[n].key_len = strlen(model_keys[n]);
            model[n].type = t;
            model[n].data = SAMPLES[t].data;
            model[n].array_len = SAMPLES[t].len;
            n++;
        }
    }
    tu_context_clear();
    CHECK_UINT(store.num_items, n);
    REQUIRE_INT(kastore_close(&store), 0);

    /* Byte-exact against the format model (little-endian host). */
    expected = tu_encode(model, n, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(path, expected, size));
    free(expected);

    for (flags = 0; flags <= 3; flags++) {
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_UINT(store.num_items, n);
        for (t = 0; t < KAS_NUM_TYPES; t++) {
            for (k = 0; k < 6; k++) {
                snprintf(key, sizeof(key), "%s%d", kinds[k], t);
                tu_context("flags %d, key %s", flags, key);
                check_typed_key(&store, key, t);
            }
        }
        tu_context_clear();
        CHECK_INT(kastore_close(&store), 0);
    }
}

static void
test_write_fields(void)
{
    const char *path = tu_path("write_fields.kas");
    kastore_t store;
    char key_z[] = "z";
    int32_t data_z[2] = { 1, 2 };
    int64_t borrowed[2] = { 5, 6 };
    double *owned = malloc(2 * sizeof(double));
    kaitem_t *items;

    REQUIRE(owned != NULL);
    owned[0] = 1.5;
    owned[1] = -2.5;
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, key_z, data_z, 2, 0), 0);
    CHECK_INT(kastore_oputs_float64(&store, "m", owned, 2, 0), 0);
    CHECK_INT(kastore_puts_int64(&store, "b", borrowed, 2, KAS_BORROWS_ARRAY), 0);
    CHECK_INT(kastore_puts_uint8(&store, "a", EX_AB, 1, 0), 0);
    CHECK_INT(store.mode, KAS_WRITE);
    CHECK_UINT(store.num_items, 4);
    items = store.items;
    REQUIRE(items != NULL);
    /* Insertion order until close. */
    CHECK_BUF(items[0].key, items[0].key_len, "z", 1);
    CHECK_BUF(items[1].key, items[1].key_len, "m", 1);
    CHECK_BUF(items[2].key, items[2].key_len, "b", 1);
    CHECK_BUF(items[3].key, items[3].key_len, "a", 1);
    /* The key is a private copy; the array is a copy, the oput buffer, or borrowed. */
    CHECK_PTR_NE(items[0].key, key_z);
    CHECK_INT(items[0].type, KAS_INT32);
    CHECK_UINT(items[0].array_len, 2);
    REQUIRE(items[0].array != NULL);
    CHECK_PTR_NE(items[0].array, data_z);
    CHECK_MEM(items[0].array, data_z, sizeof(data_z));
    CHECK(items[0].borrowed_array == NULL);
    CHECK_INT(items[1].type, KAS_FLOAT64);
    CHECK_PTR_EQ(items[1].array, owned);
    CHECK(items[1].borrowed_array == NULL);
    CHECK_INT(items[2].type, KAS_INT64);
    CHECK(items[2].array == NULL);
    CHECK_PTR_EQ(items[2].borrowed_array, borrowed);
    CHECK_INT(items[3].type, KAS_UINT8);
    /* The copy was made at put time. */
    data_z[0] = 99;
    CHECK_INT(((int32_t *) items[0].array)[0], 1);
    REQUIRE_INT(kastore_close(&store), 0);
    CHECK_ZEROED(store);

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_UINT(store.num_items, 4);
    CHECK_BUF(store.items[0].key, store.items[0].key_len, "a", 1);
    CHECK_BUF(store.items[1].key, store.items[1].key_len, "b", 1);
    CHECK_BUF(store.items[2].key, store.items[2].key_len, "m", 1);
    CHECK_BUF(store.items[3].key, store.items[3].key_len, "z", 1);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_put_errors(void)
{
    const char *path = example_file("put_errors_reader.kas");
    const char *wpath = tu_path("put_errors_writer.kas");
    kastore_t r, w;
    const int32_t v[1] = { 42 };
    tu_item_t good[2];
    unsigned char *expected;
    size_t size;

    REQUIRE_INT(kastore_open(&r, path, "r", 0), 0);
    /* Reader: flags, then type, are checked before the mode. */
    CHECK_INT(kastore_puts(&r, "k", v, 1, KAS_NUM_TYPES, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&r, "k", v, 1, -1, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&r, "k", v, 1, KAS_INT32, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&r, "k", v, 1, 10, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&r, "k", v, 1, KAS_INT32, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_puts(&r, "k", v, 1, KAS_INT32, KAS_BORROWS_ARRAY),
        KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_puts(&r, "", v, 1, KAS_INT32, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_puts(&r, "a", v, 1, KAS_INT32, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_puts_int32(&r, "k", v, 1, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_puts_int32(&r, "k", v, 1, 2), KAS_ERR_BAD_FLAGS);
    /* The copy is allocated before the mode is checked (spec 3.8). */
    CHECK_INT(kastore_puts(&r, "k", v, (size_t) 1 << 60, KAS_INT8, 0), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_puts(&r, "k", v, (size_t) 1 << 60, KAS_INT8, KAS_BORROWS_ARRAY),
        KAS_ERR_ILLEGAL_OPERATION);
    CHECK_UINT(r.num_items, 3);
    check_example_store(&r);
    CHECK_INT(kastore_close(&r), 0);

    REQUIRE_INT(kastore_open(&w, wpath, "w", 0), 0);
    CHECK_INT(kastore_puts(&w, "k", v, 1, KAS_INT32, 0), 0);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_INT32, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_INT32, 2), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_INT32, KAS_BORROWS_ARRAY | 1),
        KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_INT32, -1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_INT32, INT_MIN), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "", v, 1, 10, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k", v, 1, 10, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, -1, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, 255, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, INT_MIN, KAS_BORROWS_ARRAY), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "", v, 1, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "k", v, 1, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_puts(&w, "", v, 1, KAS_INT32, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_put(&w, "k", 0, v, 1, KAS_INT32, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_puts(&w, "", v, 1, KAS_INT32, KAS_BORROWS_ARRAY), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_puts(&w, "k", v, 1, KAS_INT32, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_puts(&w, "k", v, 1, KAS_UINT8, KAS_BORROWS_ARRAY),
        KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_put(&w, "kx", 1, v, 1, KAS_INT32, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_puts(&w, "k2", v, (size_t) 1 << 60, KAS_INT8, 0), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_puts(&w, "", v, (size_t) 1 << 60, KAS_INT8, 0), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_puts_int8(&w, "k2", NULL, 0, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_puts_float64(&w, "k", NULL, 0, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_UINT(w.num_items, 1);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_UINT32, KAS_BORROWS_ARRAY), 0);
    CHECK_UINT(w.num_items, 2);
    CHECK_INT(kastore_puts(&w, "k2", v, 1, KAS_UINT32, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_UINT(w.num_items, 2);
    CHECK_INT(kastore_close(&w), 0);

    good[0].key = "k";
    good[0].key_len = 1;
    good[0].type = KAS_INT32;
    good[0].data = v;
    good[0].array_len = 1;
    good[1] = good[0];
    good[1].key = "k2";
    good[1].key_len = 2;
    good[1].type = KAS_UINT32;
    expected = tu_encode(good, 2, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(wpath, expected, size));
    free(expected);
}

static void
test_oput_errors(void)
{
    const char *path = example_file("oput_errors_reader.kas");
    const char *wpath = tu_path("oput_errors_writer.kas");
    kastore_t r, w;
    int32_t *buf = malloc(2 * sizeof(int32_t));
    int32_t *good = malloc(sizeof(int32_t));
    void *array;
    size_t len;
    int type;

    REQUIRE(buf != NULL && good != NULL);
    buf[0] = 10;
    buf[1] = 20;
    good[0] = 7;
    REQUIRE_INT(kastore_open(&r, path, "r", 0), 0);
    /* oput: flags, then mode, then type. */
    CHECK_INT(kastore_oputs(&r, "k", buf, 2, KAS_INT32, KAS_BORROWS_ARRAY), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&r, "k", buf, 2, 10, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&r, "k", buf, 2, 10, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_oputs(&r, "k", buf, 2, -1, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_oputs(&r, "", buf, 2, KAS_INT32, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_oputs(&r, "k", buf, 2, KAS_INT32, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_INT(kastore_oputs_int32(&r, "k", buf, 2, 0), KAS_ERR_ILLEGAL_OPERATION);
    CHECK_UINT(r.num_items, 3);
    CHECK_INT(kastore_close(&r), 0);

    REQUIRE_INT(kastore_open(&w, wpath, "w", 0), 0);
    CHECK_INT(kastore_oputs_int32(&w, "g", good, 1, 0), 0);
    CHECK_INT(kastore_oputs(&w, "k", buf, 2, KAS_INT32, KAS_BORROWS_ARRAY), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&w, "k", buf, 2, KAS_INT32, 1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&w, "k", buf, 2, KAS_INT32, -1), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&w, "", buf, 2, 10, 256), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs_int32(&w, "k", buf, 2, KAS_BORROWS_ARRAY), KAS_ERR_BAD_FLAGS);
    CHECK_INT(kastore_oputs(&w, "k", buf, 2, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_oputs(&w, "k", buf, 2, -1, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_oputs(&w, "", buf, 2, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_oputs(&w, "g", buf, 2, 10, 0), KAS_ERR_BAD_TYPE);
    CHECK_INT(kastore_oputs(&w, "", buf, 2, KAS_INT32, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_oput(&w, "k", 0, buf, 2, KAS_INT32, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_oputs(&w, "g", buf, 2, KAS_INT32, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_oputs_float64(&w, "g", (double *) buf, 1, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_UINT(w.num_items, 1);
    CHECK_PTR_EQ(w.items[0].array, good);
    /* Every failed oput left buf with us: it is still intact and ours to free. */
    CHECK_INT(buf[0], 10);
    CHECK_INT(buf[1], 20);
    CHECK_INT(kastore_close(&w), 0);
    free(buf);

    REQUIRE_INT(kastore_open(&r, wpath, "r", 0), 0);
    CHECK_UINT(r.num_items, 1);
    CHECK_INT(kastore_gets(&r, "g", &array, &len, &type), 0);
    CHECK_INT(type, KAS_INT32);
    CHECK_UINT(len, 1);
    CHECK_INT(*(int32_t *) array, 7);
    CHECK_INT(kastore_close(&r), 0);
}

static void
test_borrows_array(void)
{
    const char *path = tu_path("borrows.kas");
    kastore_t store;
    int32_t data[3] = { 1, 2, 3 };
    uint16_t data2[2] = { 1, 1 };
    int32_t *got;
    uint16_t *got2;
    double *empty;
    size_t len;
    int j;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "x", data, 3, KAS_BORROWS_ARRAY), 0);
    CHECK_INT(kastore_put(&store, "y", 1, data2, 2, KAS_UINT16, KAS_BORROWS_ARRAY), 0);
    CHECK_INT(kastore_puts_float64(&store, "e", NULL, 0, KAS_BORROWS_ARRAY), 0);
    for (j = 0; j < 3; j++) {
        CHECK(store.items[j].array == NULL || j == 2);
    }
    CHECK_PTR_EQ(store.items[0].borrowed_array, data);
    CHECK_PTR_EQ(store.items[1].borrowed_array, data2);
    /* The contents at close are what gets written. */
    data[0] = 7;
    data[1] = 8;
    data[2] = 9;
    data2[1] = 0xbeef;
    REQUIRE_INT(kastore_close(&store), 0);
    data[0] = -1;

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_gets_int32(&store, "x", &got, &len), 0);
    CHECK_UINT(len, 3);
    CHECK_INT(got[0], 7);
    CHECK_INT(got[1], 8);
    CHECK_INT(got[2], 9);
    CHECK_INT(kastore_gets_uint16(&store, "y", &got2, &len), 0);
    CHECK_UINT(len, 2);
    CHECK_INT(got2[0], 1);
    CHECK_INT(got2[1], 0xbeef);
    CHECK_INT(kastore_gets_float64(&store, "e", &empty, &len), 0);
    CHECK_UINT(len, 0);
    CHECK(empty != NULL);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_borrowed_null_placeholder(void)
{
    kastore_t store;

    REQUIRE_INT(kastore_open(&store, tu_path("borrowed_null.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts_int8(&store, "e", NULL, 0, KAS_BORROWS_ARRAY), 0);
    CHECK(store.items[0].borrowed_array == NULL);
    CHECK(store.items[0].array != NULL);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_oput_ownership(void)
{
    const char *path = tu_path("oput_ownership.kas");
    kastore_t store;
    uint64_t *a = malloc(3 * sizeof(uint64_t));
    float *b = calloc(2, sizeof(float));
    int8_t *c = malloc(1);
    uint64_t *got;
    size_t len;

    REQUIRE(a != NULL && b != NULL && c != NULL);
    a[0] = 1;
    a[1] = UINT64_MAX;
    a[2] = 3;
    b[1] = 2.5f;
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_oputs_uint64(&store, "a", a, 3, 0), 0);
    CHECK_INT(kastore_oput(&store, "b", 1, b, 2, KAS_FLOAT32, 0), 0);
    CHECK_INT(kastore_oputs_int8(&store, "c", c, 0, 0), 0);
    CHECK_PTR_EQ(store.items[0].array, a);
    CHECK_PTR_EQ(store.items[1].array, b);
    CHECK_PTR_EQ(store.items[2].array, c);
    /* The store owns the buffers now and reads them at close. */
    a[2] = 33;
    REQUIRE_INT(kastore_close(&store), 0);

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_gets_uint64(&store, "a", &got, &len), 0);
    CHECK_UINT(len, 3);
    CHECK_UINT(got[1], UINT64_MAX);
    CHECK_UINT(got[2], 33);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_duplicate_and_empty_keys(void)
{
    const char *path = tu_path("dup_keys.kas");
    kastore_t store;
    double *owned = malloc(sizeof(double));
    const uint8_t v = 1;

    REQUIRE(owned != NULL);
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_puts_uint8(&store, "a", &v, 1, 0), 0);
    CHECK_INT(kastore_puts_uint8(&store, "a", &v, 1, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_puts_float64(&store, "a", NULL, 0, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_oputs_float64(&store, "a", owned, 1, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_put(&store, "ab", 1, &v, 1, KAS_UINT8, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_put(&store, "a\0", 2, &v, 1, KAS_UINT8, 0), 0);
    CHECK_INT(kastore_put(&store, "a\0", 2, &v, 1, KAS_UINT8, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_puts_uint8(&store, "A", &v, 1, 0), 0);
    CHECK_INT(kastore_puts_uint8(&store, "", &v, 1, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_put(&store, "x", 0, &v, 1, KAS_UINT8, 0), KAS_ERR_EMPTY_KEY);
    CHECK_INT(kastore_oputs_float64(&store, "", owned, 1, 0), KAS_ERR_EMPTY_KEY);
    CHECK_UINT(store.num_items, 3);
    REQUIRE_INT(kastore_close(&store), 0);
    free(owned);

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_UINT(store.num_items, 3);
    CHECK_BUF(store.items[0].key, store.items[0].key_len, "A", 1);
    CHECK_BUF(store.items[1].key, store.items[1].key_len, "a", 1);
    CHECK_BUF(store.items[2].key, store.items[2].key_len, "a\0", 2);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_keys_with_nul(void)
{
    static const struct {
        const char *key;
        size_t len;
    } keys[] = {
        { "\0", 1 },
        { "\0\0", 2 },
        { "a\0b", 3 },
        { "a\0c", 3 },
        { "a", 1 },
        { "\xff", 1 },
        { "\0\xff", 2 },
        { "a\0", 2 },
    };
    const size_t n = sizeof(keys) / sizeof(keys[0]);
    const char *path = tu_path("nul_keys.kas");
    tu_item_t model[8];
    int32_t values[8];
    kastore_t store;
    unsigned char *expected;
    size_t size, j, len;
    int32_t *got;
    void *array;
    int flags, type;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    for (j = 0; j < n; j++) {
        values[j] = (int32_t) (j * 11);
        CHECK_INT(kastore_put(&store, keys[j].key, keys[j].len, &values[j], 1, KAS_INT32, 0), 0);
        model[j].key = keys[j].key;
        model[j].key_len = keys[j].len;
        model[j].type = KAS_INT32;
        model[j].data = &values[j];
        model[j].array_len = 1;
    }
    REQUIRE_INT(kastore_close(&store), 0);
    expected = tu_encode(model, n, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(path, expected, size));
    free(expected);

    for (flags = 0; flags <= 1; flags++) {
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        REQUIRE_INT(store.num_items, n);
        for (j = 1; j < n; j++) {
            CHECK(tu_key_cmp(store.items[j - 1].key, store.items[j - 1].key_len,
                      store.items[j].key, store.items[j].key_len)
                  < 0);
        }
        for (j = 0; j < n; j++) {
            tu_context("flags %d, key %zu", flags, j);
            CHECK_INT(kastore_contains(&store, keys[j].key, keys[j].len), 1);
            got = NULL;
            CHECK_INT(kastore_get(&store, keys[j].key, keys[j].len, &array, &len, &type), 0);
            got = array;
            CHECK_UINT(len, 1);
            CHECK_INT(type, KAS_INT32);
            REQUIRE(got != NULL);
            CHECK_INT(*got, values[j]);
        }
        tu_context_clear();
        /* containss stops at the first NUL: "a\0b" is looked up as "a". */
        CHECK_INT(kastore_containss(&store, "a\0b"), 1);
        CHECK_INT(kastore_containss(&store, "\0"), 0);
        CHECK_INT(kastore_contains(&store, "\0\0\0", 3), 0);
        CHECK_INT(kastore_contains(&store, "a\0d", 3), 0);
        CHECK_INT(kastore_close(&store), 0);
    }
}

static void
test_zero_length_arrays(void)
{
    const char *path = tu_path("zero_length.kas");
    kastore_t store;
    char key[16];
    tu_item_t model[2 * KAS_NUM_TYPES];
    char keys[2 * KAS_NUM_TYPES][16];
    unsigned char *expected;
    size_t size, len;
    void *array;
    int t, flags, type;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    for (t = 0; t < KAS_NUM_TYPES; t++) {
        snprintf(keys[2 * t], sizeof(keys[0]), "z%d", t);
        snprintf(keys[2 * t + 1], sizeof(keys[0]), "zb%d", t);
        CHECK_INT(kastore_puts(&store, keys[2 * t], NULL, 0, t, 0), 0);
        CHECK_INT(kastore_puts(&store, keys[2 * t + 1], NULL, 0, t, KAS_BORROWS_ARRAY), 0);
        model[2 * t].key = keys[2 * t];
        model[2 * t].key_len = strlen(keys[2 * t]);
        model[2 * t].type = t;
        model[2 * t].data = NULL;
        model[2 * t].array_len = 0;
        model[2 * t + 1] = model[2 * t];
        model[2 * t + 1].key = keys[2 * t + 1];
        model[2 * t + 1].key_len = strlen(keys[2 * t + 1]);
    }
    REQUIRE_INT(kastore_close(&store), 0);
    expected = tu_encode(model, 2 * KAS_NUM_TYPES, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(path, expected, size));
    free(expected);

    for (flags = 0; flags <= 3; flags++) {
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        for (t = 0; t < KAS_NUM_TYPES; t++) {
            snprintf(key, sizeof(key), "z%d", t);
            tu_context("flags %d, type %d", flags, t);
            array = NULL;
            len = 99;
            CHECK_INT(kastore_gets(&store, key, &array, &len, &type), 0);
            CHECK(array != NULL);
            CHECK_UINT(len, 0);
            CHECK_INT(type, t);
            if (flags & KAS_GET_TAKES_OWNERSHIP) {
                free(array);
            }
            array = NULL;
            CHECK_INT(typed_gets(&store, t, key, &array, &len), 0);
            CHECK(array != NULL);
            CHECK_UINT(len, 0);
            if (flags & KAS_GET_TAKES_OWNERSHIP) {
                free(array);
            }
        }
        tu_context_clear();
        CHECK_INT(kastore_close(&store), 0);
    }
}

/* ------------------------------------------------------------------ */
/* Close                                                              */

static void
test_close_zero_fills(void)
{
    const char *path = example_file("close.kas");
    kastore_t store;
    FILE *f;
    int flags;

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);

        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_ZEROED(store);
        CHECK_INT(kastore_close(&store), 0);
        /* The caller's FILE is not closed. */
        CHECK_INT(fseek(f, 0, SEEK_SET), 0);
        CHECK_INT(fgetc(f), 0x89);
        fclose(f);
    }
    tu_context_clear();

    REQUIRE_INT(kastore_open(&store, tu_path("close_w.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_ZEROED(store);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_ZEROED(store);

    f = tmpfile();
    REQUIRE(f != NULL);
    REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_ZEROED(store);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(ftell(f), 64);
    fclose(f);
}

static void
test_close_does_not_flush_caller_file(void)
{
    const char *path = tu_path("no_flush.kas");
    static const int order[3] = { 0, 1, 2 };
    kastore_t store;
    FILE *f = fopen(path, "wb");

    REQUIRE(f != NULL);
    REQUIRE(setvbuf(f, NULL, _IOFBF, 8192) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(ftell(f), 280);
    /* Everything is still in the caller's stdio buffer. */
    CHECK_INT(tu_file_size(path), 0);
    CHECK_INT(fflush(f), 0);
    CHECK_INT(tu_file_size(path), 280);
    fclose(f);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
}

#ifdef __linux__
static int
count_open_fds(void)
{
    return tu_count_dir_entries("/proc/self/fd");
}

static void
test_no_fd_leaks(void)
{
    const char *good = example_file("fd_good.kas");
    const char *empty = tu_path("fd_empty.kas");
    const char *truncated = tu_path("fd_truncated.kas");
    const char *bad = tu_path("fd_bad.kas");
    const char *out = tu_path("fd_out.kas");
    const char *scratch = tu_path("fd_scratch.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;
    int before, round;

    write_raw(empty, "", 0);
    write_raw(truncated, tu_worked_example, 270);
    memcpy(buf, tu_worked_example, sizeof(buf));
    tu_put_u16(buf + 8, 0);
    write_raw(bad, buf, sizeof(buf));
    before = count_open_fds();
    for (round = 0; round < 20; round++) {
        CHECK_INT(kastore_open(&store, good, "r", 4), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, empty, "r", 0), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, truncated, "r", KAS_READ_ALL), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, bad, "r", 0), KAS_ERR_VERSION_TOO_OLD);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, bad, "a", 0), KAS_ERR_VERSION_TOO_OLD);
        CHECK_INT(kastore_close(&store), 0);
        /* (The reference truncates the file here, spec 5: use a scratch copy.) */
        write_raw(scratch, tu_worked_example, 280);
        CHECK_INT(kastore_open(&store, scratch, "a", 4), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, out, "w", 5), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, good, "r", 0), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, good, "r", KAS_READ_ALL), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, out, "w", 0), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, out, "a", 0), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, "/dev/full", "w", 0), 0);
        CHECK_INT(kastore_close(&store), KAS_ERR_IO);
    }
    CHECK_INT(count_open_fds(), before);
}
#endif

static void
test_close_after_failed_open(void)
{
    const char *empty = tu_path("failed_open_empty.kas");
    const char *bad = tu_path("failed_open_bad.kas");
    const char *good = example_file("failed_open_good.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;
    int flags;

    write_raw(empty, "", 0);
    memcpy(buf, tu_worked_example, sizeof(buf));
    buf[3] = 'X';
    write_raw(bad, buf, sizeof(buf));
    for (flags = 0; flags <= 1; flags++) {
        tu_context("flags %d", flags);
        CHECK_INT(kastore_open(&store, good, "rb", flags), KAS_ERR_BAD_MODE);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, good, "r", 4 | flags), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, tu_path("nope.kas"), "r", flags), KAS_ERR_IO);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, empty, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, bad, "r", flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_open(&store, bad, "a", flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    CHECK(tu_file_equals(bad, buf, sizeof(buf)));
}

/* ------------------------------------------------------------------ */
/* Byte-exact output                                                  */

static void
test_worked_example_bytes(void)
{
    static const int orders[6][3]
        = { { 2, 1, 0 }, { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 } };
    const char *path = tu_path("worked_example.kas");
    kastore_t store;
    unsigned char *bytes;
    size_t len;
    int j;
    FILE *f;
    int32_t *owned_a;
    uint8_t borrowed_ab[1] = { 0 };

    for (j = 0; j < 6; j++) {
        tu_context("order %d", j);
        REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
        write_example_items(&store, orders[j]);
        CHECK_INT(kastore_close(&store), 0);
        bytes = tu_read_file(path, &len);
        CHECK_BUF(bytes, len, tu_worked_example, sizeof(tu_worked_example));
        free(bytes);

        f = tmpfile();
        REQUIRE(f != NULL);
        REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
        write_example_items(&store, orders[j]);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(ftell(f), 280);
        CHECK_INT(fflush(f), 0);
        rewind(f);
        bytes = malloc(512);
        REQUIRE(bytes != NULL);
        len = fread(bytes, 1, 512, f);
        CHECK_BUF(bytes, len, tu_worked_example, sizeof(tu_worked_example));
        free(bytes);
        fclose(f);
    }
    tu_context_clear();

    /* Same bytes through oput, a borrowed array and generic puts. */
    owned_a = malloc(sizeof(EX_A));
    REQUIRE(owned_a != NULL);
    memcpy(owned_a, EX_A, sizeof(EX_A));
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_put(&store, "ab", 2, borrowed_ab, 1, KAS_UINT8, KAS_BORROWS_ARRAY), 0);
    CHECK_INT(kastore_oput(&store, "a", 1, owned_a, 2, KAS_INT32, 0), 0);
    CHECK_INT(kastore_put(&store, "b", 1, NULL, 0, KAS_FLOAT32, 0), 0);
    borrowed_ab[0] = 7;
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, tu_worked_example, sizeof(tu_worked_example)));
}

static void
test_empty_store_bytes(void)
{
    const char *path = tu_path("empty_store.kas");
    kastore_t store;
    void *array;
    size_t len;
    int type, flags;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, tu_empty_store, sizeof(tu_empty_store)));
    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_UINT(store.num_items, 0);
        CHECK_UINT(store.file_size, 64);
        CHECK_INT(store.file_version[0], 1);
        CHECK_INT(kastore_gets(&store, "a", &array, &len, &type), KAS_ERR_KEY_NOT_FOUND);
        CHECK_INT(kastore_containss(&store, "a"), 0);
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t
rng_below(size_t n)
{
    return (size_t) (rng_next() % n);
}

#define MAX_RANDOM_ITEMS 24

typedef struct {
    char key[8];
    size_t key_len;
    int type;
    unsigned char data[10 * 8];
    size_t array_len;
} random_item_t;

static size_t
make_random_items(random_item_t *items, size_t max)
{
    static const char alphabet[] = { 'a', 'b', 'A', '\0', '\xff', '\x7f', '\xc3', 'z' };
    size_t n = rng_below(max + 1), count = 0, j, k, tries;
    for (j = 0; j < n; j++) {
        random_item_t *it = &items[count];
        int unique = 0;
        for (tries = 0; tries < 20 && !unique; tries++) {
            it->key_len = 1 + rng_below(4);
            for (k = 0; k < it->key_len; k++) {
                it->key[k] = alphabet[rng_below(sizeof(alphabet))];
            }
            unique = 1;
            for (k = 0; k < count; k++) {
                if (tu_key_cmp(items[k].key, items[k].key_len, it->key, it->key_len) == 0) {
                    unique = 0;
                }
            }
        }
        if (!unique) {
            continue;
        }
        it->type = (int) rng_below(KAS_NUM_TYPES);
        it->array_len = rng_below(10);
        for (k = 0; k < sizeof(it->data); k++) {
            it->data[k] = (unsigned char) rng_next();
        }
        count++;
    }
    return count;
}

static void
test_random_stores_match_model(void)
{
    const char *path = tu_path("random.kas");
    random_item_t items[MAX_RANDOM_ITEMS];
    tu_item_t model[MAX_RANDOM_ITEMS];
    kastore_t store;
    unsigned char *expected;
    size_t n, size, j, len;
    void *array;
    int round, type, flags;

    rng_state = 0x9e3779b97f4a7c15ull;
    for (round = 0; round < 60; round++) {
        n = make_random_items(items, MAX_RANDOM_ITEMS);
        tu_context("round %d, %zu items", round, n);
        REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
        for (j = 0; j < n; j++) {
            random_item_t *it = &items[j];
            size_t bytes = it->array_len * tu_elem_size(it->type);
            switch (rng_below(3)) {
                case 0:
                    CHECK_INT(kastore_put(&store, it->key, it->key_len, it->data,
                                  it->array_len, it->type, 0),
                        0);
                    break;
                case 1:
                    CHECK_INT(kastore_oput(&store, it->key, it->key_len,
                                  dup_bytes(it->data, bytes), it->array_len, it->type, 0),
                        0);
                    break;
                default:
                    CHECK_INT(kastore_put(&store, it->key, it->key_len, it->data,
                                  it->array_len, it->type, KAS_BORROWS_ARRAY),
                        0);
                    break;
            }
            model[j].key = it->key;
            model[j].key_len = it->key_len;
            model[j].type = it->type;
            model[j].data = it->data;
            model[j].array_len = it->array_len;
        }
        REQUIRE_INT(kastore_close(&store), 0);
        expected = tu_encode(model, n, 1, &size);
        REQUIRE(expected != NULL);
        CHECK(tu_file_equals(path, expected, size));
        free(expected);

        flags = (int) rng_below(4);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        CHECK_UINT(store.num_items, n);
        for (j = 0; j < n; j++) {
            random_item_t *it = &items[j];
            array = NULL;
            CHECK_INT(kastore_get(&store, it->key, it->key_len, &array, &len, &type), 0);
            CHECK_INT(type, it->type);
            CHECK_UINT(len, it->array_len);
            CHECK_MEM(array, it->data, len * tu_elem_size(type));
            if (flags & KAS_GET_TAKES_OWNERSHIP) {
                free(array);
            }
        }
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
}

static void
test_multiple_stores_one_file(void)
{
    const char *path = tu_path("multi.kas");
    static const int order[3] = { 0, 1, 2 };
    const double d[3] = { 1.0, 2.0, 3.0 };
    tu_item_t third = { "third", 5, KAS_FLOAT64, d, 3 };
    unsigned char *enc3, *expected;
    size_t size3, len;
    kastore_t store;
    FILE *f;
    double *got;
    int flags;

    enc3 = tu_encode(&third, 1, 1, &size3);
    REQUIRE(enc3 != NULL);
    f = fopen(path, "wb");
    REQUIRE(f != NULL);
    /* Writes start at the FILE's current position. */
    REQUIRE(fwrite("HEAD", 1, 4, f) == 4);
    REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(ftell(f), 4 + 280);
    REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(ftell(f), 4 + 280 + 64);
    REQUIRE_INT(kastore_openf(&store, f, "w", 0), 0);
    CHECK_INT(kastore_puts_float64(&store, "third", d, 3, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(ftell(f), (long) (4 + 280 + 64 + size3));
    REQUIRE(fclose(f) == 0);

    len = 4 + 280 + 64 + size3;
    expected = malloc(len);
    REQUIRE(expected != NULL);
    memcpy(expected, "HEAD", 4);
    memcpy(expected + 4, tu_worked_example, 280);
    memcpy(expected + 4 + 280, tu_empty_store, 64);
    memcpy(expected + 4 + 280 + 64, enc3, size3);
    CHECK(tu_file_equals(path, expected, len));
    free(expected);
    free(enc3);

    for (flags = KAS_READ_ALL; flags <= 3; flags += 2) {
        tu_context("flags %d", flags);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        REQUIRE(fseek(f, 4, SEEK_SET) == 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 0);
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 1);
        CHECK_INT(kastore_gets_float64(&store, "third", &got, &len), 0);
        CHECK_UINT(len, 3);
        CHECK_MEM(got, d, sizeof(d));
        if (flags & KAS_GET_TAKES_OWNERSHIP) {
            free(got);
        }
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
}

/* ------------------------------------------------------------------ */
/* Pipes                                                              */

static void
test_pipe_prefilled(void)
{
    const int32_t v[3] = { 5, 6, 7 };
    tu_item_t second = { "second", 6, KAS_INT32, v, 3 };
    unsigned char *enc2;
    size_t size2, len;
    kastore_t store;
    int fds[2], flags;
    int32_t *got;
    FILE *f;

    enc2 = tu_encode(&second, 1, 1, &size2);
    REQUIRE(enc2 != NULL);
    for (flags = KAS_READ_ALL; flags <= 3; flags += 2) {
        tu_context("flags %d", flags);
        REQUIRE(pipe(fds) == 0);
        write_all_fd(fds[1], tu_worked_example, sizeof(tu_worked_example));
        write_all_fd(fds[1], enc2, size2);
        write_all_fd(fds[1], tu_empty_store, sizeof(tu_empty_store));
        close(fds[1]);
        f = fdopen(fds[0], "rb");
        REQUIRE(f != NULL);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 1);
        CHECK_INT(kastore_gets_int32(&store, "second", &got, &len), 0);
        CHECK_UINT(len, 3);
        CHECK_MEM(got, v, sizeof(v));
        if (flags & KAS_GET_TAKES_OWNERSHIP) {
            free(got);
        }
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 0);
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
    free(enc2);
}

#define BIG_LEN 300000

static void
big_writer_child(int fd)
{
    kastore_t store;
    FILE *f = fdopen(fd, "wb");
    int64_t *big = malloc(BIG_LEN * sizeof(int64_t));
    size_t j;
    int ok = f != NULL && big != NULL;

    for (j = 0; ok && j < BIG_LEN; j++) {
        big[j] = (int64_t) j * 3 - 7;
    }
    ok = ok && kastore_openf(&store, f, "w", 0) == 0;
    ok = ok && kastore_puts_int64(&store, "big", big, BIG_LEN, 0) == 0;
    ok = ok && kastore_puts_int32(&store, "small", (const int32_t *) EX_A, 2, 0) == 0;
    ok = ok && kastore_close(&store) == 0;
    ok = ok && kastore_openf(&store, f, "w", 0) == 0;
    ok = ok && kastore_puts_uint8(&store, "ab", EX_AB, 1, 0) == 0;
    ok = ok && kastore_close(&store) == 0;
    ok = ok && fclose(f) == 0;
    _exit(ok ? 0 : 3);
}

static void
test_pipe_forked_writer(void)
{
    kastore_t store;
    int fds[2], status, flags;
    pid_t pid;
    FILE *f;
    int64_t *big;
    uint8_t *ab;
    size_t len, j, bad;

    for (flags = KAS_READ_ALL; flags <= 3; flags += 2) {
        tu_context("flags %d", flags);
        REQUIRE(pipe(fds) == 0);
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            big_writer_child(fds[1]);
        }
        close(fds[1]);
        f = fdopen(fds[0], "rb");
        REQUIRE(f != NULL);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_UINT(store.num_items, 2);
        CHECK_INT(kastore_gets_int64(&store, "big", &big, &len), 0);
        CHECK_UINT(len, BIG_LEN);
        for (j = 0, bad = 0; j < len; j++) {
            bad += big[j] != (int64_t) j * 3 - 7;
        }
        CHECK_UINT(bad, 0);
        if (flags & KAS_GET_TAKES_OWNERSHIP) {
            free(big);
        }
        CHECK_INT(kastore_close(&store), 0);
        REQUIRE_INT(kastore_openf(&store, f, "r", flags), 0);
        CHECK_INT(kastore_gets_uint8(&store, "ab", &ab, &len), 0);
        CHECK_UINT(len, 1);
        CHECK_INT(ab[0], 7);
        if (flags & KAS_GET_TAKES_OWNERSHIP) {
            free(ab);
        }
        CHECK_INT(kastore_close(&store), 0);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_EOF);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
        REQUIRE(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    tu_context_clear();
}

static void
test_pipe_lazy_open_fails(void)
{
    kastore_t store;
    int fds[2], ret, err, flags;
    FILE *f;

    for (flags = 0; flags <= 2; flags += 2) {
        tu_context("flags %d", flags);
        REQUIRE(pipe(fds) == 0);
        write_all_fd(fds[1], tu_worked_example, sizeof(tu_worked_example));
        close(fds[1]);
        f = fdopen(fds[0], "rb");
        REQUIRE(f != NULL);
        errno = 0;
        ret = kastore_openf(&store, f, "r", flags);
        err = errno;
        /* Lazy mode needs ftell, which fails on a pipe. */
        check_io_errno(ret, err, ESPIPE);
        CHECK_INT(kastore_close(&store), 0);
        /* Nothing was consumed: a READ_ALL open still reads the store. */
        REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL), 0);
        check_example_store(&store);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    tu_context_clear();
}

static void
test_pipe_takes_ownership_repeat_get(void)
{
    kastore_t store;
    int fds[2], ret, err;
    FILE *f;
    int32_t *a = NULL, *again = NULL;
    size_t len;

    REQUIRE(pipe(fds) == 0);
    write_all_fd(fds[1], tu_worked_example, sizeof(tu_worked_example));
    close(fds[1]);
    f = fdopen(fds[0], "rb");
    REQUIRE(f != NULL);
    REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP), 0);
    CHECK_INT(kastore_gets_int32(&store, "a", &a, &len), 0);
    CHECK_MEM(a, EX_A, sizeof(EX_A));
    free(a);
    /* The repeat get must seek, which a pipe cannot do. */
    errno = 0;
    ret = kastore_gets_int32(&store, "a", &again, &len);
    err = errno;
    check_io_errno(ret, err, ESPIPE);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
}

static void
test_pipe_write(void)
{
    kastore_t store;
    int fds[2];
    FILE *w;
    unsigned char buf[600];
    size_t got = 0;
    ssize_t r;
    static const int order[3] = { 1, 2, 0 };

    REQUIRE(pipe(fds) == 0);
    w = fdopen(fds[1], "wb");
    REQUIRE(w != NULL);
    REQUIRE_INT(kastore_openf(&store, w, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE_INT(kastore_openf(&store, w, "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(fclose(w) == 0);
    while ((r = read(fds[0], buf + got, sizeof(buf) - got)) > 0) {
        got += (size_t) r;
    }
    close(fds[0]);
    CHECK_UINT(got, 280 + 64);
    CHECK_MEM(buf, tu_worked_example, 280);
    CHECK_MEM(buf + 280, tu_empty_store, 64);
}

/* ------------------------------------------------------------------ */
/* Append                                                             */

static void
test_append(void)
{
    const char *path = tu_path("append.kas");
    const double c[2] = { 0.25, -8.0 };
    tu_item_t model[4];
    unsigned char *expected, garbage[300];
    size_t size, len;
    kastore_t store;
    void *array;
    int type, flags;
    static const int order[3] = { 0, 1, 2 };

    model[0].key = "a";
    model[0].key_len = 1;
    model[0].type = KAS_INT32;
    model[0].data = EX_A;
    model[0].array_len = 2;
    model[1] = model[0];
    model[1].key = "ab";
    model[1].key_len = 2;
    model[1].type = KAS_UINT8;
    model[1].data = EX_AB;
    model[1].array_len = 1;
    model[2] = model[0];
    model[2].key = "b";
    model[2].type = KAS_FLOAT32;
    model[2].data = NULL;
    model[2].array_len = 0;
    model[3] = model[0];
    model[3].key = "c";
    model[3].type = KAS_FLOAT64;
    model[3].data = c;
    model[3].array_len = 2;
    expected = tu_encode(model, 4, 1, &size);
    REQUIRE(expected != NULL);

    for (flags = 0; flags <= 3; flags++) {
        tu_context("flags %d", flags);
        /* Trailing bytes after the store are dropped by the rewrite. */
        memcpy(garbage, tu_worked_example, 280);
        memcpy(garbage + 280, "trailing garbage", 16);
        write_raw(path, garbage, 296);
        REQUIRE_INT(kastore_open(&store, path, "a", flags), 0);
        CHECK_INT(store.mode, KAS_WRITE);
        CHECK_INT(store.flags, flags | OWN_FILE_FLAG);
        CHECK_UINT(store.num_items, 3);
        CHECK_INT(kastore_puts_float64(&store, "c", c, 2, 0), 0);
        CHECK_UINT(store.num_items, 4);
        /* Old items in file order, then new ones in insertion order. */
        CHECK_BUF(store.items[0].key, store.items[0].key_len, "a", 1);
        CHECK_BUF(store.items[1].key, store.items[1].key_len, "ab", 2);
        CHECK_BUF(store.items[2].key, store.items[2].key_len, "b", 1);
        CHECK_BUF(store.items[3].key, store.items[3].key_len, "c", 1);
        CHECK_INT(store.items[0].type, KAS_INT32);
        CHECK_UINT(store.items[0].array_len, 2);
        CHECK_MEM(store.items[0].array, EX_A, sizeof(EX_A));
        CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), KAS_ERR_DUPLICATE_KEY);
        CHECK_INT(kastore_puts(&store, "b", NULL, 0, KAS_INT8, 0), KAS_ERR_DUPLICATE_KEY);
        CHECK_INT(kastore_puts_float64(&store, "c", c, 2, 0), KAS_ERR_DUPLICATE_KEY);
        CHECK_UINT(store.num_items, 4);
        CHECK_INT(kastore_gets(&store, "a", &array, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(kastore_gets(&store, "c", &array, &len, &type), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(kastore_containss(&store, "a"), KAS_ERR_ILLEGAL_OPERATION);
        CHECK_INT(kastore_close(&store), 0);
        CHECK(tu_file_equals(path, expected, size));
    }
    tu_context_clear();

    /* Appending nothing rewrites the same store. */
    write_raw(path, tu_worked_example, 280);
    REQUIRE_INT(kastore_open(&store, path, "a", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    /* Appending to a store written by the library. */
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    REQUIRE_INT(kastore_open(&store, path, "a", 0), 0);
    CHECK_INT(kastore_puts_float64(&store, "c", c, 2, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, expected, size));
    /* And to an empty store. */
    write_raw(path, tu_empty_store, 64);
    REQUIRE_INT(kastore_open(&store, path, "a", 0), 0);
    CHECK_UINT(store.num_items, 0);
    CHECK_INT(kastore_puts_float64(&store, "c", c, 2, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    free(expected);
    expected = tu_encode(&model[3], 1, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(path, expected, size));
    free(expected);
}

static void
test_append_errors(void)
{
    const char *missing = tu_path("append_missing.kas");
    const char *empty = tu_path("append_empty.kas");
    const char *bad = tu_path("append_bad.kas");
    const char *new_major = tu_path("append_major2.kas");
    const char *truncated = tu_path("append_truncated.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;
    int ret, err;

    errno = 0;
    ret = kastore_open(&store, missing, "a", 0);
    err = errno;
    check_io_errno(ret, err, ENOENT);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(tu_file_size(missing), -1);

    write_raw(empty, "", 0);
    CHECK_INT(kastore_open(&store, empty, "a", 0), KAS_ERR_EOF);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(tu_file_size(empty), 0);

    memcpy(buf, tu_worked_example, sizeof(buf));
    buf[0] = 0;
    write_raw(bad, buf, sizeof(buf));
    CHECK_INT(kastore_open(&store, bad, "a", 0), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(bad, buf, sizeof(buf)));

    memcpy(buf, tu_worked_example, sizeof(buf));
    tu_put_u16(buf + 8, 2);
    write_raw(new_major, buf, sizeof(buf));
    CHECK_INT(kastore_open(&store, new_major, "a", 0), KAS_ERR_VERSION_TOO_NEW);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(new_major, buf, sizeof(buf)));

    /* Append reads with KAS_READ_ALL, so a truncated store fails. */
    write_raw(truncated, tu_worked_example, 270);
    CHECK_INT(kastore_open(&store, truncated, "a", 0), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(truncated, tu_worked_example, 270));
}

/* ------------------------------------------------------------------ */
/* Lazy loading rules (spec 2.2)                                      */

/* "a" and "b", each 4 int64s: a at 200..232, b at 232..264 (file_size 264). */
static const int64_t TR_A[4] = { 1, 2, 3, 4 };
static const int64_t TR_B[4] = { -5, -6, -7, -8 };

static unsigned char *
truncation_store(size_t *size)
{
    tu_item_t items[2] = { { "a", 1, KAS_INT64, TR_A, 4 }, { "b", 1, KAS_INT64, TR_B, 4 } };
    unsigned char *enc = tu_encode(items, 2, 1, size);
    REQUIRE(enc != NULL);
    REQUIRE_INT(*size, 264);
    return enc;
}

static void
test_truncated_lazy(void)
{
    static const size_t cuts[] = { 232, 250, 263 };
    const char *path = tu_path("truncated.kas");
    kastore_t store;
    unsigned char *enc;
    size_t size, j, len;
    int64_t *got;
    int flags;

    enc = truncation_store(&size);
    for (j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
        write_raw(path, enc, cuts[j]);
        for (flags = 0; flags <= 2; flags += 2) {
            tu_context("cut at %zu, flags %d", cuts[j], flags);
            /* The lazy open reads only header, descriptors and keys. */
            REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
            CHECK_UINT(store.file_size, 264);
            CHECK_INT(kastore_gets_int64(&store, "a", &got, &len), 0);
            CHECK_UINT(len, 4);
            CHECK_MEM(got, TR_A, sizeof(TR_A));
            if (flags & KAS_GET_TAKES_OWNERSHIP) {
                free(got);
            }
            CHECK_INT(kastore_gets_int64(&store, "b", &got, &len), KAS_ERR_BAD_FILE_FORMAT);
            CHECK_INT(kastore_close(&store), 0);
            /* With KAS_READ_ALL the open fails. */
            CHECK_INT(kastore_open(&store, path, "r", flags | KAS_READ_ALL),
                KAS_ERR_BAD_FILE_FORMAT);
            CHECK_INT(kastore_close(&store), 0);
        }
    }
    tu_context_clear();
    /* Cut inside "a": the get of "a" fails too. */
    write_raw(path, enc, 210);
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_gets_int64(&store, "a", &got, &len), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_INT(kastore_gets_int64(&store, "b", &got, &len), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_INT(kastore_close(&store), 0);
    /* The untruncated file is fine. */
    write_raw(path, enc, size);
    REQUIRE_INT(kastore_open(&store, path, "r", KAS_READ_ALL), 0);
    CHECK_INT(kastore_gets_int64(&store, "b", &got, &len), 0);
    CHECK_MEM(got, TR_B, sizeof(TR_B));
    CHECK_INT(kastore_close(&store), 0);
    free(enc);
}

static void
test_lazy_get_offset_overflow(void)
{
    /* Spec 2.2: a 200-byte file whose header says file_size = 2^63 + 8. */
    const char *path = tu_path("offset_overflow.kas");
    const uint64_t two63 = (uint64_t) 1 << 63;
    unsigned char buf[200];
    kastore_t store;
    void *array;
    size_t len;
    int type, ret, err;

    memset(buf, 0, sizeof(buf));
    memcpy(buf, "\211KAS\r\n\032\n", 8);
    tu_put_u16(buf + 8, 1);
    tu_put_u32(buf + 12, 2);
    tu_put_u64(buf + 16, two63 + 8);
    buf[TU_DESC(0) + TU_DESC_TYPE] = KAS_UINT64;
    tu_put_u64(buf + TU_DESC(0) + TU_DESC_KEY_START, 192);
    tu_put_u64(buf + TU_DESC(0) + TU_DESC_KEY_LEN, 4);
    tu_put_u64(buf + TU_DESC(0) + TU_DESC_ARRAY_START, 200);
    tu_put_u64(buf + TU_DESC(0) + TU_DESC_ARRAY_LEN, (two63 - 200) / 8);
    buf[TU_DESC(1) + TU_DESC_TYPE] = KAS_UINT64;
    tu_put_u64(buf + TU_DESC(1) + TU_DESC_KEY_START, 196);
    tu_put_u64(buf + TU_DESC(1) + TU_DESC_KEY_LEN, 4);
    tu_put_u64(buf + TU_DESC(1) + TU_DESC_ARRAY_START, two63);
    tu_put_u64(buf + TU_DESC(1) + TU_DESC_ARRAY_LEN, 1);
    memcpy(buf + 192, "key0key1", 8);
    write_raw(path, buf, sizeof(buf));

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_UINT(store.num_items, 2);
    CHECK_UINT(store.file_size, two63 + 8);
    errno = 0;
    ret = kastore_gets(&store, "key1", &array, &len, &type);
    err = errno;
    CHECK_INT(ret, KAS_ERR_IO);
    /* errno is untouched, so kas_strerror reports it unset. */
    CHECK_INT(err, 0);
    errno = 0;
    CHECK_STR(kas_strerror(ret), IO_ERRNO_UNSET);
    CHECK_INT(kastore_gets(&store, "key0", &array, &len, &type), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(kastore_open(&store, path, "r", KAS_READ_ALL), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_lazy_get_offset_overflow_with_prefix(void)
{
    /* array_start = 2^63 - 8 fits in a long, but not once the store's own
     * offset in the FILE (100) is added: KAS_ERR_IO with errno untouched. */
    const char *path = tu_path("offset_overflow_prefix.kas");
    const uint64_t start1 = ((uint64_t) 1 << 63) - 8;
    unsigned char buf[100 + 200];
    unsigned char *store_bytes = buf + 100;
    kastore_t store;
    void *array;
    size_t len;
    int type, ret, err;
    FILE *f;

    memset(buf, 'p', 100);
    memset(store_bytes, 0, 200);
    memcpy(store_bytes, "\211KAS\r\n\032\n", 8);
    tu_put_u16(store_bytes + 8, 1);
    tu_put_u32(store_bytes + 12, 2);
    tu_put_u64(store_bytes + 16, start1 + 8);
    store_bytes[TU_DESC(0) + TU_DESC_TYPE] = KAS_UINT64;
    tu_put_u64(store_bytes + TU_DESC(0) + TU_DESC_KEY_START, 192);
    tu_put_u64(store_bytes + TU_DESC(0) + TU_DESC_KEY_LEN, 4);
    tu_put_u64(store_bytes + TU_DESC(0) + TU_DESC_ARRAY_START, 200);
    tu_put_u64(store_bytes + TU_DESC(0) + TU_DESC_ARRAY_LEN, (start1 - 200) / 8);
    store_bytes[TU_DESC(1) + TU_DESC_TYPE] = KAS_UINT64;
    tu_put_u64(store_bytes + TU_DESC(1) + TU_DESC_KEY_START, 196);
    tu_put_u64(store_bytes + TU_DESC(1) + TU_DESC_KEY_LEN, 4);
    tu_put_u64(store_bytes + TU_DESC(1) + TU_DESC_ARRAY_START, start1);
    tu_put_u64(store_bytes + TU_DESC(1) + TU_DESC_ARRAY_LEN, 1);
    memcpy(store_bytes + 192, "key0key1", 8);
    write_raw(path, buf, sizeof(buf));

    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 100, SEEK_SET) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "r", 0), 0);
    CHECK_INT(store.file_offset, 100);
    errno = 0;
    ret = kastore_gets(&store, "key1", &array, &len, &type);
    err = errno;
    CHECK_INT(ret, KAS_ERR_IO);
    CHECK_INT(err, 0);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
}

/* ------------------------------------------------------------------ */
/* Debug output                                                       */

static char *
read_stream(FILE *f)
{
    long size;
    char *text;
    REQUIRE(fflush(f) == 0);
    size = ftell(f);
    REQUIRE(size >= 0);
    text = malloc((size_t) size + 1);
    REQUIRE(text != NULL);
    rewind(f);
    REQUIRE(fread(text, 1, (size_t) size, f) == (size_t) size);
    text[size] = '\0';
    return text;
}

static void
test_print_state(void)
{
    const char *path = example_file("print_state.kas");
    kastore_t store;
    FILE *out;
    char *text;
    void *array;
    size_t len;
    int type;

    out = tmpfile();
    REQUIRE(out != NULL);
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_gets(&store, "a", &array, &len, &type), 0);
    kastore_print_state(&store, out);
    CHECK_INT(kastore_close(&store), 0);
    text = read_stream(out);
    CHECK(strstr(text, "kastore state") != NULL);
    CHECK(strstr(text, "============================") != NULL);
    CHECK(strstr(text, "num_items = 3") != NULL);
    CHECK(strstr(text, "file_size = 280") != NULL);
    CHECK(strstr(text, "mode  = 1") != NULL);
    CHECK(strstr(text, "own_file  = 1") != NULL);
    CHECK(strstr(text, "type=4, key_start=256, key_len=1") != NULL);
    CHECK(strstr(text, "array_start=264, array_len=2") != NULL);
    free(text);
    fclose(out);

    out = tmpfile();
    REQUIRE(out != NULL);
    REQUIRE_INT(kastore_open(&store, tu_path("print_state_w.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "a", EX_A, 2, 0), 0);
    kastore_print_state(&store, out);
    CHECK_INT(kastore_close(&store), 0);
    text = read_stream(out);
    CHECK(strstr(text, "kastore state") != NULL);
    CHECK(strstr(text, "mode  = 2") != NULL);
    CHECK(strstr(text, "num_items = 1") != NULL);
    free(text);
    fclose(out);
}

/* ------------------------------------------------------------------ */
/* Our deliberate differences from the reference (spec 2.3 and 5)     */

#ifndef KASTORE_REFERENCE

static void
test_ours_failed_open_zeroed(void)
{
    const char *good = example_file("zeroed_good.kas");
    const char *empty = tu_path("zeroed_empty.kas");
    const char *bad = tu_path("zeroed_bad.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;

    write_raw(empty, "", 0);
    memcpy(buf, tu_worked_example, sizeof(buf));
    tu_put_u64(buf + 16, 281);
    write_raw(bad, buf, sizeof(buf));

    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, tu_path("zeroed_missing.kas"), "r", 0), KAS_ERR_IO);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, good, "r", 4), KAS_ERR_BAD_FLAGS);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, empty, "r", 0), KAS_ERR_EOF);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, bad, "r", 0), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, bad, "r", KAS_READ_ALL), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, bad, "a", 0), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_ZEROED(store);
    memset(&store, 0xab, sizeof(store));
    CHECK_INT(kastore_open(&store, "/dev/null", "a", 0), KAS_ERR_EOF);
    CHECK_ZEROED(store);
}

static void
test_ours_atomic_write(void)
{
    const char *dir = tu_make_subdir("atomic");
    const char *path;
    const uint8_t v[3] = { 1, 2, 3 };
    tu_item_t item = { "new", 3, KAS_UINT8, v, 3 };
    unsigned char *expected;
    size_t size;
    kastore_t store;
    static const int order[3] = { 0, 1, 2 };

    REQUIRE(dir != NULL);
    path = tu_join(dir, "store.kas");
    expected = tu_encode(&item, 1, 1, &size);
    REQUIRE(expected != NULL);

    /* "w": the old bytes stay in place until close. */
    write_raw(path, tu_worked_example, 280);
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    CHECK_INT(kastore_puts_uint8(&store, "new", v, 3, 0), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, expected, size));
    CHECK_INT(tu_count_dir_entries(dir), 1);

    /* "a": likewise. */
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    write_example_items(&store, order);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    REQUIRE_INT(kastore_open(&store, path, "a", 0), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    CHECK_INT(kastore_puts_uint8(&store, "new", v, 3, 0), 0);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(tu_count_dir_entries(dir), 1);
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_UINT(store.num_items, 4);
    CHECK_INT(kastore_containss(&store, "new"), 1);
    CHECK_INT(kastore_close(&store), 0);

    /* A store with no puts replaces the file with an empty store. */
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK(tu_file_size(path) > 64);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(path, tu_empty_store, 64));
    CHECK_INT(tu_count_dir_entries(dir), 1);

    /* "w" with bad flags does not touch an existing file. */
    write_raw(path, tu_worked_example, 280);
    CHECK_INT(kastore_open(&store, path, "w", 4), KAS_ERR_BAD_FLAGS);
    CHECK(tu_file_equals(path, tu_worked_example, 280));
    CHECK_INT(tu_count_dir_entries(dir), 1);
    free(expected);
}

static void
test_ours_mode_bits(void)
{
    const char *dir = tu_make_subdir("modes");
    const char *path;
    kastore_t store;
    mode_t old_umask;
    static const struct {
        mode_t mask;
        int mode;
    } masks[] = { { 022, 0644 }, { 077, 0600 }, { 0, 0666 }, { 027, 0640 } };
    size_t j;
    char name[32];

    REQUIRE(dir != NULL);
    path = tu_join(dir, "existing.kas");
    write_raw(path, tu_worked_example, 280);
    REQUIRE(chmod(path, 0640) == 0);
    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(tu_file_mode(path), 0640);
    REQUIRE(chmod(path, 0604) == 0);
    REQUIRE_INT(kastore_open(&store, path, "a", 0), 0);
    CHECK_INT(kastore_puts_uint8(&store, "x", EX_AB, 1, 0), 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(tu_file_mode(path), 0604);

    for (j = 0; j < sizeof(masks) / sizeof(masks[0]); j++) {
        snprintf(name, sizeof(name), "new%zu.kas", j);
        path = tu_join(dir, name);
        tu_context("umask %03o", (unsigned) masks[j].mask);
        old_umask = umask(masks[j].mask);
        CHECK_INT(kastore_open(&store, path, "w", 0), 0);
        CHECK_INT(kastore_close(&store), 0);
        umask(old_umask);
        CHECK_INT(tu_file_mode(path), masks[j].mode);
        CHECK(tu_file_equals(path, tu_empty_store, 64));
    }
    tu_context_clear();
    CHECK_INT(tu_count_dir_entries(dir), 1 + (int) (sizeof(masks) / sizeof(masks[0])));
}

typedef struct {
    const char *path;
} fsize_arg_t;

static void
fsize_child(int *out, size_t max, void *varg)
{
    fsize_arg_t *arg = varg;
    struct rlimit rl;
    kastore_t store;
    uint8_t *big = calloc(100000, 1);

    (void) max;
    rl.rlim_cur = 4096;
    rl.rlim_max = 4096;
    if (big == NULL || signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) != 0) {
        out[0] = INT_MIN;
        return;
    }
    out[0] = kastore_open(&store, arg->path, "w", 0);
    out[1] = kastore_puts_uint8(&store, "big", big, 100000, 0);
    errno = 0;
    out[2] = kastore_close(&store);
    out[3] = errno;
    out[4] = kastore_open(&store, arg->path, "a", 0);
    out[5] = kastore_puts_uint8(&store, "big", big, 100000, 0);
    errno = 0;
    out[6] = kastore_close(&store);
    out[7] = errno;
    free(big);
}

static void
test_ours_failed_write_keeps_old(void)
{
    const char *dir = tu_make_subdir("failed_write");
    fsize_arg_t arg;
    int out[8];
    int n;

    REQUIRE(dir != NULL);
    arg.path = tu_join(dir, "store.kas");
    write_raw(arg.path, tu_worked_example, 280);
    memset(out, 0, sizeof(out));
    /* The child cannot write more than 4096 bytes to any file (RLIMIT_FSIZE). */
    n = run_in_child(fsize_child, &arg, out, 8);
    REQUIRE_INT(n, 8);
    REQUIRE(out[0] != INT_MIN);
    CHECK_INT(out[0], 0);
    CHECK_INT(out[1], 0);
    CHECK_INT(out[2], KAS_ERR_IO);
    CHECK_INT(out[3], EFBIG);
    CHECK_INT(out[4], 0);
    CHECK_INT(out[5], 0);
    CHECK_INT(out[6], KAS_ERR_IO);
    CHECK_INT(out[7], EFBIG);
    /* The old file is intact and no temporary file is left behind. */
    CHECK(tu_file_equals(arg.path, tu_worked_example, 280));
    CHECK_INT(tu_count_dir_entries(dir), 1);
}

#ifdef __linux__
typedef struct {
    const char *mount_point;
} enospc_arg_t;

/* In a private mount namespace, mounts a 16 KiB tmpfs and fails a write on it.
 * out: [0] 1 if run, 0 if skipped (no privileges); [1..4] open, put, close and
 * errno of "w"; [5..8] the same for "a"; [9] old file intact after both;
 * [10] number of directory entries afterwards. */
static void
enospc_child(int *out, size_t max, void *varg)
{
    enospc_arg_t *arg = varg;
    kastore_t store;
    uint8_t *big = calloc(100000, 1);
    char path[PATH_MAX];
    size_t len;
    unsigned char *now;

    (void) max;
    out[0] = 0;
    if (big == NULL || unshare(CLONE_NEWNS) != 0
        || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
        || mount("tmpfs", arg->mount_point, "tmpfs", 0, "size=16k") != 0) {
        free(big);
        return;
    }
    out[0] = 1;
    snprintf(path, sizeof(path), "%s/store.kas", arg->mount_point);
    if (tu_write_file(path, tu_worked_example, 280) != 0) {
        out[0] = -1;
        free(big);
        return;
    }
    out[1] = kastore_open(&store, path, "w", 0);
    out[2] = kastore_puts_uint8(&store, "big", big, 100000, 0);
    errno = 0;
    out[3] = kastore_close(&store);
    out[4] = errno;
    out[5] = kastore_open(&store, path, "a", 0);
    out[6] = kastore_puts_uint8(&store, "big", big, 100000, 0);
    errno = 0;
    out[7] = kastore_close(&store);
    out[8] = errno;
    now = tu_read_file(path, &len);
    out[9] = now != NULL && len == 280 && memcmp(now, tu_worked_example, 280) == 0;
    free(now);
    out[10] = tu_count_dir_entries(arg->mount_point);
    free(big);
}

static void
test_ours_failed_write_enospc(void)
{
    enospc_arg_t arg;
    int out[11];

    arg.mount_point = tu_make_subdir("enospc_mount");
    REQUIRE(arg.mount_point != NULL);
    memset(out, 0, sizeof(out));
    REQUIRE_INT(run_in_child(enospc_child, &arg, out, 11), 11);
    if (out[0] == 0) {
        printf("(skipped: cannot mount a private tmpfs) ");
        return;
    }
    REQUIRE_INT(out[0], 1);
    CHECK_INT(out[1], 0);
    CHECK_INT(out[2], 0);
    CHECK_INT(out[3], KAS_ERR_IO);
    CHECK_INT(out[4], ENOSPC);
    CHECK_INT(out[5], 0);
    CHECK_INT(out[6], 0);
    CHECK_INT(out[7], KAS_ERR_IO);
    CHECK_INT(out[8], ENOSPC);
    CHECK_INT(out[9], 1);
    CHECK_INT(out[10], 1);
}
#endif

static void
test_ours_append_bad_flags_keeps_file(void)
{
    const char *dir = tu_make_subdir("append_bad_flags");
    const char *path;
    kastore_t store;
    size_t j;

    REQUIRE(dir != NULL);
    path = tu_join(dir, "store.kas");
    write_raw(path, tu_worked_example, 280);
    for (j = 0; j < NUM_BAD_FLAGS; j++) {
        tu_context("flags %d", BAD_FLAGS[j]);
        CHECK_INT(kastore_open(&store, path, "a", BAD_FLAGS[j]), KAS_ERR_BAD_FLAGS);
        CHECK_INT(kastore_close(&store), 0);
        CHECK(tu_file_equals(path, tu_worked_example, 280));
        CHECK_INT(tu_count_dir_entries(dir), 1);
    }
    tu_context_clear();
}

static void
check_rejected(const char *name, const tu_item_t *items, size_t n)
{
    const char *path = tu_path(name);
    unsigned char *enc;
    size_t size;
    kastore_t store;
    int flags;
    FILE *f;

    enc = tu_encode(items, n, 0, &size);
    REQUIRE(enc != NULL);
    write_raw(path, enc, size);
    free(enc);
    for (flags = 0; flags <= 3; flags++) {
        tu_context("%s, flags %d", name, flags);
        CHECK_INT(kastore_open(&store, path, "r", flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        CHECK_INT(kastore_openf(&store, f, "r", flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
        fclose(f);
    }
    CHECK_INT(kastore_open(&store, path, "a", 0), KAS_ERR_BAD_FILE_FORMAT);
    CHECK_INT(kastore_close(&store), 0);
    tu_context_clear();
}

static void
test_ours_unsorted_duplicate_keys(void)
{
    const int32_t v[2] = { 1, 2 };
    const double d[1] = { 0.5 };
    tu_item_t reversed[2] = { { "b", 1, KAS_INT32, v, 2 }, { "a", 1, KAS_INT32, v, 1 } };
    tu_item_t dup[2] = { { "a", 1, KAS_INT32, v, 2 }, { "a", 1, KAS_INT32, v, 1 } };
    tu_item_t dup_types[2] = { { "a", 1, KAS_INT32, v, 2 }, { "a", 1, KAS_FLOAT64, d, 1 } };
    tu_item_t dup_last[3] = { { "a", 1, KAS_INT32, v, 2 }, { "b", 1, KAS_INT32, v, 1 },
        { "b", 1, KAS_INT32, v, 1 } };
    tu_item_t prefix[2] = { { "ab", 2, KAS_INT32, v, 2 }, { "a", 1, KAS_INT32, v, 1 } };
    tu_item_t cases[2] = { { "a", 1, KAS_INT32, v, 2 }, { "B", 1, KAS_INT32, v, 1 } };
    tu_item_t utf8[2] = { { "\xc3\xa9", 2, KAS_INT32, v, 2 }, { "z", 1, KAS_INT32, v, 1 } };
    tu_item_t nul[2] = { { "a\0", 2, KAS_INT32, v, 2 }, { "a", 1, KAS_INT32, v, 1 } };
    tu_item_t empty_dup[2] = { { "e", 1, KAS_INT8, NULL, 0 }, { "e", 1, KAS_INT8, NULL, 0 } };
    tu_item_t sorted[3] = { { "B", 1, KAS_INT32, v, 2 }, { "a", 1, KAS_INT32, v, 1 },
        { "a\0", 2, KAS_INT32, v, 1 } };
    const char *path = tu_path("sorted_ok.kas");
    unsigned char *enc;
    size_t size;
    kastore_t store;

    check_rejected("unsorted_reversed.kas", reversed, 2);
    check_rejected("duplicate.kas", dup, 2);
    check_rejected("duplicate_types.kas", dup_types, 2);
    check_rejected("duplicate_last.kas", dup_last, 3);
    check_rejected("unsorted_prefix.kas", prefix, 2);
    check_rejected("unsorted_case.kas", cases, 2);
    check_rejected("unsorted_utf8.kas", utf8, 2);
    check_rejected("unsorted_nul.kas", nul, 2);
    check_rejected("duplicate_empty.kas", empty_dup, 2);

    /* The same layout with sorted keys is fine. */
    enc = tu_encode(sorted, 3, 0, &size);
    REQUIRE(enc != NULL);
    write_raw(path, enc, size);
    free(enc);
    CHECK_INT(kastore_open(&store, path, "r", KAS_READ_ALL), 0);
    CHECK_INT(kastore_close(&store), 0);
}

static void
test_ours_put_null_array(void)
{
    const char *path = tu_path("null_array.kas");
    kastore_t store;
    const int32_t v[1] = { 9 };
    tu_item_t both[2] = { { "ok", 2, KAS_INT32, v, 1 }, { "k", 1, KAS_INT32, v, 1 } };
    unsigned char *expected;
    size_t size;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    CHECK_INT(kastore_puts_int32(&store, "ok", v, 1, 0), 0);
    CHECK_INT(kastore_puts(&store, "k", NULL, 3, KAS_INT32, 0), KAS_ERR_GENERIC);
    CHECK_INT(kastore_put(&store, "k", 1, NULL, 1, KAS_UINT8, 0), KAS_ERR_GENERIC);
    CHECK_INT(kastore_puts(&store, "k", NULL, 3, KAS_INT32, KAS_BORROWS_ARRAY),
        KAS_ERR_GENERIC);
    CHECK_INT(kastore_puts_float64(&store, "k", NULL, 1, 0), KAS_ERR_GENERIC);
    CHECK_INT(kastore_puts_int8(&store, "k", NULL, 2, KAS_BORROWS_ARRAY), KAS_ERR_GENERIC);
    CHECK_UINT(store.num_items, 1);
    /* The failed key was not registered. */
    CHECK_INT(kastore_puts_int32(&store, "k", v, 1, 0), 0);
    CHECK_UINT(store.num_items, 2);
    CHECK_INT(kastore_close(&store), 0);

    expected = tu_encode(both, 2, 1, &size);
    REQUIRE(expected != NULL);
    CHECK(tu_file_equals(path, expected, size));
    free(expected);
}

static void
test_ours_put_size_overflow(void)
{
    kastore_t store;
    const int64_t v[1] = { 1 };

    REQUIRE_INT(kastore_open(&store, tu_path("overflow.kas"), "w", 0), 0);
    CHECK_INT(kastore_puts(&store, "k", v, SIZE_MAX / 8 + 1, KAS_INT64, 0), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_puts(&store, "k", v, SIZE_MAX, KAS_INT16, 0), KAS_ERR_NO_MEMORY);
    CHECK_INT(kastore_puts_float64(&store, "k", (const double *) v, SIZE_MAX / 4, 0),
        KAS_ERR_NO_MEMORY);
    CHECK_UINT(store.num_items, 0);
    CHECK_INT(kastore_close(&store), 0);
    CHECK(tu_file_equals(tu_path("overflow.kas"), tu_empty_store, 64));
}

static void
test_ours_huge_n(void)
{
    const char *path = tu_path("huge_n.kas");
    unsigned char buf[sizeof(tu_worked_example)];
    kastore_t store;
    int flags;

    memcpy(buf, tu_worked_example, sizeof(buf));
    /* n = 2^32 - 1 with file_size 280: row 8 fails before any allocation. */
    tu_put_u32(buf + 12, 0xffffffffu);
    write_raw(path, buf, sizeof(buf));
    for (flags = 0; flags <= 1; flags++) {
        CHECK_INT(kastore_open(&store, path, "r", flags), KAS_ERR_BAD_FILE_FORMAT);
        CHECK_INT(kastore_close(&store), 0);
    }
}

static void
test_ours_retry_failed_lazy_get(void)
{
    const char *path = tu_path("retry.kas");
    kastore_t store;
    unsigned char *enc;
    size_t size, len;
    int64_t *got;
    int flags, attempt;

    enc = truncation_store(&size);
    write_raw(path, enc, 250);
    for (flags = 0; flags <= 2; flags += 2) {
        tu_context("flags %d", flags);
        REQUIRE_INT(kastore_open(&store, path, "r", flags), 0);
        for (attempt = 0; attempt < 3; attempt++) {
            got = NULL;
            CHECK_INT(kastore_gets_int64(&store, "b", &got, &len), KAS_ERR_BAD_FILE_FORMAT);
            CHECK(store.items[1].array == NULL);
        }
        CHECK_INT(kastore_close(&store), 0);
    }
    tu_context_clear();
    /* Once the file is complete, a retry on a fresh store succeeds. */
    write_raw(path, enc, size);
    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_INT(kastore_gets_int64(&store, "b", &got, &len), 0);
    CHECK_MEM(got, TR_B, sizeof(TR_B));
    CHECK_INT(kastore_close(&store), 0);
    free(enc);
}

static void
test_ours_read_all_takes_ownership_offset(void)
{
    const char *path = framed_example_file("takes_offset.kas", 5);
    kastore_t store;
    FILE *f = fopen(path, "rb");
    int32_t *a;
    uint8_t *ab;
    size_t len;
    int attempt, fds[2];

    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 5, SEEK_SET) == 0);
    REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP), 0);
    CHECK_INT(store.file_offset, 5);
    for (attempt = 0; attempt < 3; attempt++) {
        tu_context("attempt %d", attempt);
        a = NULL;
        CHECK_INT(kastore_gets_int32(&store, "a", &a, &len), 0);
        CHECK_UINT(len, 2);
        CHECK_MEM(a, EX_A, sizeof(EX_A));
        free(a);
        ab = NULL;
        CHECK_INT(kastore_gets_uint8(&store, "ab", &ab, &len), 0);
        CHECK_UINT(len, 1);
        CHECK_MEM(ab, EX_AB, 1);
        free(ab);
    }
    tu_context_clear();
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);

    /* On a pipe the ftell probe fails; errno is restored and file_offset is 0. */
    REQUIRE(pipe(fds) == 0);
    write_all_fd(fds[1], tu_worked_example, 280);
    close(fds[1]);
    f = fdopen(fds[0], "rb");
    REQUIRE(f != NULL);
    errno = 0;
    REQUIRE_INT(kastore_openf(&store, f, "r", KAS_READ_ALL), 0);
    CHECK_INT(errno, 0);
    CHECK_INT(store.file_offset, 0);
    check_example_store(&store);
    CHECK_INT(kastore_close(&store), 0);
    fclose(f);
}

#define MILLION 1000000

static void
test_ours_million_puts(void)
{
    const char *path = tu_path("million.kas");
    kastore_t store;
    char key[16];
    uint8_t v;
    uint8_t *got;
    size_t j, failures = 0, len;

    REQUIRE_INT(kastore_open(&store, path, "w", 0), 0);
    for (j = 0; j < MILLION; j++) {
        /* Inserted in a scrambled order. */
        size_t k = (j * 7919) % MILLION;
        snprintf(key, sizeof(key), "k%07zu", k);
        v = (uint8_t) k;
        failures += kastore_puts_uint8(&store, key, &v, 1, 0) != 0;
    }
    CHECK_UINT(failures, 0);
    CHECK_UINT(store.num_items, MILLION);
    CHECK_INT(kastore_puts_uint8(&store, "k0000000", &v, 1, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_INT(kastore_puts_uint8(&store, "k0999999", &v, 1, 0), KAS_ERR_DUPLICATE_KEY);
    CHECK_UINT(store.num_items, MILLION);
    REQUIRE_INT(kastore_close(&store), 0);

    REQUIRE_INT(kastore_open(&store, path, "r", 0), 0);
    CHECK_UINT(store.num_items, MILLION);
    CHECK_BUF(store.items[0].key, store.items[0].key_len, "k0000000", 8);
    CHECK_BUF(store.items[MILLION - 1].key, store.items[MILLION - 1].key_len, "k0999999", 8);
    CHECK_INT(kastore_gets_uint8(&store, "k0123456", &got, &len), 0);
    CHECK_UINT(len, 1);
    CHECK_INT(got[0], (uint8_t) 123456);
    CHECK_INT(kastore_close(&store), 0);
    CHECK_INT(unlink(path), 0);
}

#endif /* KASTORE_REFERENCE */

/* ------------------------------------------------------------------ */

static const tu_test_t common_tests[] = {
    { "constants", test_constants },
    { "struct_layout", test_struct_layout },
    { "header_macros", test_header_macros },
    { "version", test_version },
    { "strerror_strings", test_strerror_strings },
    { "strerror_io", test_strerror_io },
    { "openf_bad_mode", test_openf_bad_mode },
    { "open_bad_mode", test_open_bad_mode },
    { "openf_bad_flags", test_openf_bad_flags },
    { "open_bad_flags", test_open_bad_flags },
    { "open_missing_file", test_open_missing_file },
    { "open_directory", test_open_directory },
    { "open_eacces", test_open_eacces },
    { "open_w_in_readonly_dir", test_open_w_in_readonly_dir },
    { "open_w_symlink", test_open_w_symlink },
    { "open_fifo", test_open_fifo },
    { "open_empty_file", test_open_empty_file },
    { "openf_write_only_file", test_openf_write_only_file },
    { "openf_w_on_read_only_file", test_openf_w_on_read_only_file },
    { "open_w_dev_null", test_open_w_dev_null },
    { "open_w_dev_full", test_open_w_dev_full },
    { "open_w_flags_accepted", test_open_w_flags_accepted },
    { "read_fields_lazy", test_read_fields_lazy },
    { "read_fields_read_all", test_read_fields_read_all },
    { "read_fields_minor_version", test_read_fields_minor_version },
    { "openf_fields_and_position", test_openf_fields_and_position },
    { "empty_store_position", test_empty_store_position },
    { "unbuffered_no_read_ahead", test_unbuffered_no_read_ahead },
    { "zero_length_get_does_not_move", test_zero_length_get_does_not_move },
    { "get_default_ownership", test_get_default_ownership },
    { "get_errors", test_get_errors },
    { "contains", test_contains },
    { "contains_never_loads", test_contains_never_loads },
    { "typed_get_mismatch", test_typed_get_mismatch },
    { "takes_ownership", test_takes_ownership },
    { "roundtrip_all_types", test_roundtrip_all_types },
    { "write_fields", test_write_fields },
    { "put_errors", test_put_errors },
    { "oput_errors", test_oput_errors },
    { "borrows_array", test_borrows_array },
    { "borrowed_null_placeholder", test_borrowed_null_placeholder },
    { "oput_ownership", test_oput_ownership },
    { "duplicate_and_empty_keys", test_duplicate_and_empty_keys },
    { "keys_with_nul", test_keys_with_nul },
    { "zero_length_arrays", test_zero_length_arrays },
    { "close_zero_fills", test_close_zero_fills },
    { "close_after_failed_open", test_close_after_failed_open },
    { "close_does_not_flush_caller_file", test_close_does_not_flush_caller_file },
#ifdef __linux__
    { "no_fd_leaks", test_no_fd_leaks },
#endif
    { "worked_example_bytes", test_worked_example_bytes },
    { "empty_store_bytes", test_empty_store_bytes },
    { "random_stores_match_model", test_random_stores_match_model },
    { "multiple_stores_one_file", test_multiple_stores_one_file },
    { "pipe_prefilled", test_pipe_prefilled },
    { "pipe_forked_writer", test_pipe_forked_writer },
    { "pipe_lazy_open_fails", test_pipe_lazy_open_fails },
    { "pipe_takes_ownership_repeat_get", test_pipe_takes_ownership_repeat_get },
    { "pipe_write", test_pipe_write },
    { "append", test_append },
    { "append_errors", test_append_errors },
    { "truncated_lazy", test_truncated_lazy },
    { "lazy_get_offset_overflow", test_lazy_get_offset_overflow },
    { "lazy_get_offset_overflow_with_prefix", test_lazy_get_offset_overflow_with_prefix },
    { "print_state", test_print_state },
    { NULL, NULL },
};

#ifndef KASTORE_REFERENCE
static const tu_test_t ours_tests[] = {
    { "ours_failed_open_zeroed", test_ours_failed_open_zeroed },
    { "ours_atomic_write", test_ours_atomic_write },
    { "ours_mode_bits", test_ours_mode_bits },
    { "ours_failed_write_keeps_old", test_ours_failed_write_keeps_old },
#ifdef __linux__
    { "ours_failed_write_enospc", test_ours_failed_write_enospc },
#endif
    { "ours_append_bad_flags_keeps_file", test_ours_append_bad_flags_keeps_file },
    { "ours_unsorted_duplicate_keys", test_ours_unsorted_duplicate_keys },
    { "ours_put_null_array", test_ours_put_null_array },
    { "ours_put_size_overflow", test_ours_put_size_overflow },
    { "ours_huge_n", test_ours_huge_n },
    { "ours_retry_failed_lazy_get", test_ours_retry_failed_lazy_get },
    { "ours_read_all_takes_ownership_offset", test_ours_read_all_takes_ownership_offset },
    { "ours_million_puts", test_ours_million_puts },
    { NULL, NULL },
};
#endif

int
main(int argc, char **argv)
{
    static const tu_suite_t suites[] = {
        { "kastore_api", common_tests },
#ifndef KASTORE_REFERENCE
        { "swkas_differences", ours_tests },
#endif
        { NULL, NULL },
    };
    return tu_run("test_kastore_", suites, argc, argv);
}
