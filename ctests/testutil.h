/*
 * testutil.h: shared helpers of the swkas C test harness.
 *
 * Nothing here calls the library under test, so the same helpers link
 * against libswkas and against the reference kastore library alike.
 * Everything (including the model encoder) is written from the format
 * description in the project's kastore spec, sections 1.5 and 1.6.
 */
#ifndef SWKAS_CTESTS_TESTUTIL_H
#define SWKAS_CTESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <CUnit/CUnit.h>

/* ------------------------------------------------------------------ */
/* Assertions that print the values they compare.                     */
/*                                                                    */
/* Every failure message is prefixed with the current context (see    */
/* tu_context), which data-driven tests set to the file or case they  */
/* are checking.                                                      */

void tu_assert_true(int ok, const char *expr, const char *file, unsigned int line,
    int fatal);
void tu_assert_int(long long actual, long long expected, const char *actual_expr,
    const char *expected_expr, const char *file, unsigned int line, int fatal);
void tu_assert_uint(unsigned long long actual, unsigned long long expected,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line);
void tu_assert_ptr(const void *actual, const void *expected, int want_equal,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line);
void tu_assert_str(const char *actual, const char *expected, const char *actual_expr,
    const char *expected_expr, const char *file, unsigned int line);
void tu_assert_mem(const void *actual, const void *expected, size_t len,
    const char *actual_expr, const char *expected_expr, const char *file,
    unsigned int line);
void tu_assert_buf(const void *actual, size_t actual_len, const void *expected,
    size_t expected_len, const char *actual_expr, const char *expected_expr,
    const char *file, unsigned int line);

/** Sets a printf-style context shown in front of every failure message. */
void tu_context(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/** Clears the context. */
void tu_context_clear(void);

/** Boolean condition. */
#define CHECK(cond) tu_assert_true(!!(cond), #cond, __FILE__, __LINE__, 0)
/** As CHECK, but aborts the current test on failure. */
#define REQUIRE(cond) tu_assert_true(!!(cond), #cond, __FILE__, __LINE__, 1)
/** Integer (error code) equality; on failure shows both values and kas names. */
#define CHECK_INT(actual, expected)                                                   \
    tu_assert_int((long long) (actual), (long long) (expected), #actual, #expected,   \
        __FILE__, __LINE__, 0)
/** As CHECK_INT, but aborts the current test on failure. */
#define REQUIRE_INT(actual, expected)                                                 \
    tu_assert_int((long long) (actual), (long long) (expected), #actual, #expected,   \
        __FILE__, __LINE__, 1)
#define CHECK_UINT(actual, expected)                                                  \
    tu_assert_uint((unsigned long long) (actual), (unsigned long long) (expected),    \
        #actual, #expected, __FILE__, __LINE__)
#define CHECK_PTR_EQ(actual, expected)                                                \
    tu_assert_ptr((const void *) (actual), (const void *) (expected), 1, #actual,      \
        #expected, __FILE__, __LINE__)
#define CHECK_PTR_NE(actual, expected)                                                \
    tu_assert_ptr((const void *) (actual), (const void *) (expected), 0, #actual,      \
        #expected, __FILE__, __LINE__)
#define CHECK_STR(actual, expected)                                                   \
    tu_assert_str((actual), (expected), #actual, #expected, __FILE__, __LINE__)
/** len bytes at actual equal len bytes at expected (either may be NULL if len == 0). */
#define CHECK_MEM(actual, expected, len)                                              \
    tu_assert_mem((actual), (expected), (len), #actual, #expected, __FILE__, __LINE__)
/** Two buffers with lengths: same length and same bytes. */
#define CHECK_BUF(actual, actual_len, expected, expected_len)                         \
    tu_assert_buf((actual), (actual_len), (expected), (expected_len), #actual,        \
        #expected, __FILE__, __LINE__)

/** A name for a kastore / swkas error code ("KAS_ERR_IO"), or NULL. */
const char *tu_code_name(long long code);

/* ------------------------------------------------------------------ */
/* Scratch directory and files.                                       */

/** Creates a fresh directory "<prefix>XXXXXX" in the current directory (mode 0755). */
int tu_setup_dir(const char *prefix);
/** Removes the scratch directory (and every tu_world_dir) with their contents. */
void tu_cleanup_dir(void);
/** The scratch directory (absolute path). */
const char *tu_dir(void);
/** "<scratch>/<name>" in one of 16 rotating static buffers. */
const char *tu_path(const char *name);
/** "<dir>/<name>" in one of 16 rotating static buffers. */
const char *tu_join(const char *dir, const char *name);
/**
 * Creates a fresh directory under /tmp with mode 0755, so that an unprivileged
 * user (e.g. a forked child that dropped to uid 65534) can reach files in it.
 * It is removed by tu_cleanup_dir. Returns its path (static, one of 8) or NULL.
 */
const char *tu_world_dir(void);
/** Creates an empty subdirectory of the scratch dir; returns its path (static). */
const char *tu_make_subdir(const char *name);
/** Writes len bytes to path (created/truncated). Returns 0 or -1. */
int tu_write_file(const char *path, const void *data, size_t len);
/** Appends len bytes to path. Returns 0 or -1. */
int tu_append_file(const char *path, const void *data, size_t len);
/** Reads a whole file into a new malloc'ed buffer (never NULL on success). */
unsigned char *tu_read_file(const char *path, size_t *len);
/** Size of a file, or -1. */
long long tu_file_size(const char *path);
/** Permission bits (st_mode & 07777) of a file, or -1. */
int tu_file_mode(const char *path);
/** Number of directory entries other than "." and "..", or -1. */
int tu_count_dir_entries(const char *dir);
/** 1 if the file's contents are exactly len bytes equal to data, else 0. */
int tu_file_equals(const char *path, const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* A model of the file format (spec section 1), used to build expected */
/* output and hand-made (also malformed) input files.                  */

typedef struct {
    const char *key;
    size_t key_len;
    int type;
    const void *data; /* array_len * element bytes, little-endian */
    size_t array_len;
} tu_item_t;

/** Element size of a type code, or 0 for an invalid code. */
size_t tu_elem_size(int type);
/** The spec's key order: memcmp on the common prefix, then shorter first. */
int tu_key_cmp(const void *a, size_t a_len, const void *b, size_t b_len);
/**
 * Encodes a store as the spec lays it out. With sort != 0 the items are put in
 * key order first (as a conforming writer does); with sort == 0 they are laid
 * out in the order given, which builds unsorted or duplicate-key files.
 * Returns a malloc'ed buffer and its size in *size, or NULL.
 */
unsigned char *tu_encode(const tu_item_t *items, size_t n, int sort, size_t *size);

void tu_put_u16(unsigned char *p, uint16_t v);
void tu_put_u32(unsigned char *p, uint32_t v);
void tu_put_u64(unsigned char *p, uint64_t v);
uint64_t tu_get_u64(const unsigned char *p);

/**
 * Decodes a hex string of exactly 2*n digits into a new malloc'ed buffer of n
 * bytes (at least 1 byte is allocated). "-" decodes to 0 bytes. Returns NULL
 * on malformed input.
 */
unsigned char *tu_hex_decode(const char *hex, size_t *len);

/** Offsets inside an encoded store. */
#define TU_DESC(j) (64 + 64 * (size_t) (j))
#define TU_DESC_TYPE 0
#define TU_DESC_KEY_START 8
#define TU_DESC_KEY_LEN 16
#define TU_DESC_ARRAY_START 24
#define TU_DESC_ARRAY_LEN 32

/** The 280 bytes of the spec's worked example (section 1.7). */
extern const unsigned char tu_worked_example[280];
/** The 64 bytes of an empty store (section 1.6). */
extern const unsigned char tu_empty_store[64];

/* ------------------------------------------------------------------ */
/* Running.                                                            */

typedef struct {
    const char *name;
    void (*func)(void);
} tu_test_t;

typedef struct {
    const char *name;
    const tu_test_t *tests; /* terminated by { NULL, NULL } */
} tu_suite_t;

/**
 * Creates the scratch directory "<prefix>XXXXXX" in the current directory,
 * registers the suites (suites[] is terminated by { NULL, NULL }; with
 * argv[1] given, only the tests whose "suite/test" name contains it), runs them with
 * CUnit's basic interface in verbose mode (which prints CUnit's run summary),
 * removes the scratch directory and returns the process exit status: 0 if
 * every test passed, 1 if any assertion failed, 2 on a harness error.
 */
int tu_run(const char *prefix, const tu_suite_t *suites, int argc, char **argv);

#endif /* SWKAS_CTESTS_TESTUTIL_H */
