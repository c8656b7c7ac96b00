/*
 * kastore.h: the kastore 2.1 C API, implemented by libswkas.
 *
 * This header is a drop-in replacement for the reference kastore.h: the same
 * function names and signatures, constants, error codes, struct layouts and
 * behaviour. A program compiled against the reference header links against
 * libswkas.so unchanged. Extensions live in swkas.h, never here.
 *
 * Memory rules in one paragraph: every buffer that crosses this API comes from
 * the C allocator (malloc/calloc/realloc). Arrays returned by a get belong to
 * the store and stay valid until kastore_close, unless the store was opened
 * with KAS_GET_TAKES_OWNERSHIP, in which case the caller owns them and
 * releases them with free(). Arrays given to an oput belong to the store once
 * the call succeeds.
 */
#ifndef KASTORE_H
#define KASTORE_H

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __GNUC__
#define KAS_WARN_UNUSED __attribute__((warn_unused_result))
#define KAS_UNUSED(x) KAS_UNUSED_##x __attribute__((__unused__))
#else
#define KAS_WARN_UNUSED
#define KAS_UNUSED(x) KAS_UNUSED_##x
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Error codes. Every function returning int returns 0 (or, for contains, 1)
 * on success and one of these on failure; kas_strerror describes them. */

/** An internal error or a misuse that kastore does not otherwise name. */
#define KAS_ERR_GENERIC -1
/** A system call failed; errno holds the reason. */
#define KAS_ERR_IO -2
/** The mode string is not "r", "w" or "a". */
#define KAS_ERR_BAD_MODE -3
/** An allocation failed. */
#define KAS_ERR_NO_MEMORY -4
/** The bytes are not a well-formed kastore file. */
#define KAS_ERR_BAD_FILE_FORMAT -5
/** The file's major format version is older than this library reads. */
#define KAS_ERR_VERSION_TOO_OLD -6
/** The file's major format version is newer than this library reads. */
#define KAS_ERR_VERSION_TOO_NEW -7
/** A type code outside KAS_INT8..KAS_FLOAT64. */
#define KAS_ERR_BAD_TYPE -8
/** A key of length zero. */
#define KAS_ERR_EMPTY_KEY -9
/** The key is already in the store. */
#define KAS_ERR_DUPLICATE_KEY -10
/** The key is not in the store. */
#define KAS_ERR_KEY_NOT_FOUND -11
/** The call is not allowed in the store's mode (a get on a writer, a put on a reader). */
#define KAS_ERR_ILLEGAL_OPERATION -12
/** A typed get found an array of another type. */
#define KAS_ERR_TYPE_MISMATCH -13
/** The stream ended before the first byte of a store. */
#define KAS_ERR_EOF -14
/** Flags outside the set a call accepts. */
#define KAS_ERR_BAD_FLAGS -15

/* Open flags. */
/** Read every array at open, in one sequential pass without seeking. */
#define KAS_READ_ALL (1 << 0)
/** Each get hands the caller a fresh malloc'ed copy, to be released with free(). */
#define KAS_GET_TAKES_OWNERSHIP (1 << 1)

/* Put flags. */
/** The store keeps the caller's pointer and reads the array at close. */
#define KAS_BORROWS_ARRAY (1 << 8)

/* Element type codes, as stored in the file. */
#define KAS_INT8 0
#define KAS_UINT8 1
#define KAS_INT16 2
#define KAS_UINT16 3
#define KAS_INT32 4
#define KAS_UINT32 5
#define KAS_INT64 6
#define KAS_UINT64 7
#define KAS_FLOAT32 8
#define KAS_FLOAT64 9
#define KAS_NUM_TYPES 10

/* Values of kastore_t.mode. */
#define KAS_READ 1
#define KAS_WRITE 2

/* The file format version this library reads and writes. */
#define KAS_FILE_VERSION_MAJOR 1
#define KAS_FILE_VERSION_MINOR 0

/* The kastore API level implemented (see kas_version). */
#define KAS_VERSION_MAJOR 2
#define KAS_VERSION_MINOR 1
#define KAS_VERSION_PATCH 2

/* Fixed sizes of the file format. */
#define KAS_HEADER_SIZE 64
#define KAS_ITEM_DESCRIPTOR_SIZE 64
#define KAS_MAGIC "\211KAS\r\n\032\n"
#define KAS_ARRAY_ALIGN 8

#ifndef KAS_BUG_ASSERT_MESSAGE
#define KAS_BUG_ASSERT_MESSAGE                                                         \
    "This is a bug in the kastore library (here provided by libswkas). Please "       \
    "report it, ideally with a small example that reproduces it."
#endif

/** Like assert(), but also active under NDEBUG: report and abort. */
#define kas_bug_assert(condition)                                                      \
    do {                                                                               \
        if (!(condition)) {                                                            \
            fprintf(stderr, "Bug detected in %s at line %d. %s\n", __FILE__, __LINE__, \
                KAS_BUG_ASSERT_MESSAGE);                                               \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/** Frees a pointer if it is not NULL, then sets it to NULL. */
#define kas_safe_free(pointer)                                                         \
    do {                                                                               \
        if ((pointer) != NULL) {                                                       \
            free(pointer);                                                             \
            (pointer) = NULL;                                                          \
        }                                                                              \
    } while (0)

/**
 * One key/array pair. Clients may read key, key_len, type, array_len and array
 * directly; nothing here may be written by a client.
 *
 * In a reader, key points into the store's shared key buffer and is not
 * NUL-terminated; array is NULL until the item is loaded. In a writer, key is
 * a private copy and array is the store's copy (or the oput buffer); for a
 * borrowed array, array is NULL and borrowed_array holds the caller's pointer.
 */
typedef struct {
    int type;                   /**< Element type code (KAS_INT8 ...). */
    size_t key_len;             /**< Key length in bytes. */
    size_t array_len;           /**< Number of elements (not bytes). */
    char *key;                  /**< Key bytes; not NUL-terminated. */
    const void *borrowed_array; /**< The caller's array under KAS_BORROWS_ARRAY. */
    void *array;                /**< The array, when loaded or owned. */
    size_t key_start;           /**< Offset of the key in the file. */
    size_t array_start;         /**< Offset of the array in the file. */
} kaitem_t;

/**
 * A store. Callers allocate it (usually on the stack) and pass it to
 * kastore_open or kastore_openf; every other field is managed by the library.
 * After kastore_close, and after a failed open, the struct is all zeros and a
 * further kastore_close returns 0.
 */
typedef struct {
    int flags;            /**< The open flags (plus private bits). */
    int mode;             /**< KAS_READ or KAS_WRITE. */
    int file_version[2];  /**< Major and minor version of the file read. */
    size_t num_items;     /**< Number of items. */
    kaitem_t *items;      /**< Readers: sorted by key. Writers: insertion order. */
    FILE *file;           /**< The stream read from or written to. */
    size_t file_size;     /**< Size of the store in bytes (readers). */
    long file_offset;     /**< Position of the store's first byte in file. */
    char *key_read_buffer; /**< Readers: the buffer every item's key points into. */
} kastore_t;

/** A version triple, returned by value. */
typedef struct {
    int major; /**< Incremented on incompatible API or ABI changes. */
    int minor; /**< Incremented on compatible additions. */
    int patch; /**< Incremented on fixes. */
} kas_version_t;

/**
 * Opens the store at filename. mode is "r" (read), "w" (write; the file is
 * replaced atomically when the store is closed) or "a" (append: the existing
 * store is read in full, and close writes the old and new items back).
 * flags: 0, KAS_READ_ALL and/or KAS_GET_TAKES_OWNERSHIP.
 * Returns 0, or KAS_ERR_BAD_MODE, KAS_ERR_IO (errno set), KAS_ERR_BAD_FLAGS or
 * any read error. On failure, *self is zeroed and kastore_close is a no-op.
 */
int kastore_open(kastore_t *self, const char *filename, const char *mode, int flags);

/**
 * Opens a store on the caller's stream, which is never closed by the library.
 * mode is "r" or "w". In "r" mode with KAS_READ_ALL the stream is read
 * sequentially and left exactly at the end of the store, so pipes work and
 * several stores can be read back to back. Writes start at the stream's
 * current position and are not flushed by kastore_close.
 */
int kastore_openf(kastore_t *self, FILE *file, const char *mode, int flags);

/**
 * Closes the store. In write mode this sorts the items and writes the store;
 * write errors return KAS_ERR_IO. Frees everything the store owns (arrays
 * handed over by KAS_GET_TAKES_OWNERSHIP stay valid) and zeroes *self.
 */
int kastore_close(kastore_t *self);

/** Returns 1 if the key (key_len bytes) is present, 0 if not, or an error. */
int kastore_contains(kastore_t *self, const char *key, size_t key_len);
/** kastore_contains with a NUL-terminated key. */
int kastore_containss(kastore_t *self, const char *key);

/**
 * Looks up key (key_len bytes) and returns its array, element count and type.
 * The array is owned by the store until close (never NULL, even when empty),
 * unless KAS_GET_TAKES_OWNERSHIP was given at open: then it is a new malloc'ed
 * buffer for the caller to free().
 */
int kastore_get(kastore_t *self, const char *key, size_t key_len, void **array,
    size_t *array_len, int *type);
/** kastore_get with a NUL-terminated key. */
int kastore_gets(
    kastore_t *self, const char *key, void **array, size_t *array_len, int *type);

/* Typed gets: kastore_gets, then KAS_ERR_TYPE_MISMATCH if the stored type
 * differs (*array and *array_len are already set in that case). */
int kastore_gets_int8(
    kastore_t *self, const char *key, int8_t **array, size_t *array_len);
int kastore_gets_uint8(
    kastore_t *self, const char *key, uint8_t **array, size_t *array_len);
int kastore_gets_int16(
    kastore_t *self, const char *key, int16_t **array, size_t *array_len);
int kastore_gets_uint16(
    kastore_t *self, const char *key, uint16_t **array, size_t *array_len);
int kastore_gets_int32(
    kastore_t *self, const char *key, int32_t **array, size_t *array_len);
int kastore_gets_uint32(
    kastore_t *self, const char *key, uint32_t **array, size_t *array_len);
int kastore_gets_int64(
    kastore_t *self, const char *key, int64_t **array, size_t *array_len);
int kastore_gets_uint64(
    kastore_t *self, const char *key, uint64_t **array, size_t *array_len);
int kastore_gets_float32(
    kastore_t *self, const char *key, float **array, size_t *array_len);
int kastore_gets_float64(
    kastore_t *self, const char *key, double **array, size_t *array_len);

/**
 * Adds key (key_len bytes) with array_len elements of the given type. With
 * flags 0 the array is copied now (array may be NULL when array_len is 0);
 * with KAS_BORROWS_ARRAY the pointer is kept and read at close, so the buffer
 * must stay valid until then. A failed put leaves the store unchanged.
 */
int kastore_put(kastore_t *self, const char *key, size_t key_len, const void *array,
    size_t array_len, int type, int flags);
/** kastore_put with a NUL-terminated key. */
int kastore_puts(kastore_t *self, const char *key, const void *array, size_t array_len,
    int type, int flags);

/* Typed puts. */
int kastore_puts_int8(
    kastore_t *self, const char *key, const int8_t *array, size_t array_len, int flags);
int kastore_puts_uint8(kastore_t *self, const char *key, const uint8_t *array,
    size_t array_len, int flags);
int kastore_puts_int16(kastore_t *self, const char *key, const int16_t *array,
    size_t array_len, int flags);
int kastore_puts_uint16(kastore_t *self, const char *key, const uint16_t *array,
    size_t array_len, int flags);
int kastore_puts_int32(kastore_t *self, const char *key, const int32_t *array,
    size_t array_len, int flags);
int kastore_puts_uint32(kastore_t *self, const char *key, const uint32_t *array,
    size_t array_len, int flags);
int kastore_puts_int64(kastore_t *self, const char *key, const int64_t *array,
    size_t array_len, int flags);
int kastore_puts_uint64(kastore_t *self, const char *key, const uint64_t *array,
    size_t array_len, int flags);
int kastore_puts_float32(
    kastore_t *self, const char *key, const float *array, size_t array_len, int flags);
int kastore_puts_float64(
    kastore_t *self, const char *key, const double *array, size_t array_len, int flags);

/**
 * Own-put: adds key with a malloc/calloc'ed array that the store takes over
 * and free()s at close. Ownership passes only when the call returns 0.
 * flags must be 0.
 */
int kastore_oput(kastore_t *self, const char *key, size_t key_len, void *array,
    size_t array_len, int type, int flags);
/** kastore_oput with a NUL-terminated key. */
int kastore_oputs(kastore_t *self, const char *key, void *array, size_t array_len,
    int type, int flags);

/* Typed own-puts. */
int kastore_oputs_int8(
    kastore_t *self, const char *key, int8_t *array, size_t array_len, int flags);
int kastore_oputs_uint8(
    kastore_t *self, const char *key, uint8_t *array, size_t array_len, int flags);
int kastore_oputs_int16(
    kastore_t *self, const char *key, int16_t *array, size_t array_len, int flags);
int kastore_oputs_uint16(
    kastore_t *self, const char *key, uint16_t *array, size_t array_len, int flags);
int kastore_oputs_int32(
    kastore_t *self, const char *key, int32_t *array, size_t array_len, int flags);
int kastore_oputs_uint32(
    kastore_t *self, const char *key, uint32_t *array, size_t array_len, int flags);
int kastore_oputs_int64(
    kastore_t *self, const char *key, int64_t *array, size_t array_len, int flags);
int kastore_oputs_uint64(
    kastore_t *self, const char *key, uint64_t *array, size_t array_len, int flags);
int kastore_oputs_float32(
    kastore_t *self, const char *key, float *array, size_t array_len, int flags);
int kastore_oputs_float64(
    kastore_t *self, const char *key, double *array, size_t array_len, int flags);

/** Prints a human-readable dump of the store's state, for debugging. */
void kastore_print_state(kastore_t *self, FILE *out);

/**
 * Describes an error code. The string is static: never NULL, never freed.
 * For KAS_ERR_IO it is strerror(errno) of the current errno.
 */
const char *kas_strerror(int err);

/** The kastore API level implemented: 2.1.2. */
kas_version_t kas_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KASTORE_H */
