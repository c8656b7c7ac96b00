/*
 * swkas.h: libswkas's own C API, beyond the kastore drop-in of kastore.h.
 *
 * Conventions: every name starts with swkas_ / SWKAS_; functions return 0 (or
 * a documented non-negative value) on success and a negative error code on
 * failure, writing results through out-parameters. Error codes are kastore's
 * KAS_ERR_* values or our own SWKAS_ERR_* values, which never reuse
 * kastore's -1..-15; swkas_strerror describes both.
 *
 * The kastore extensions work on the kastore_t of kastore.h, so a store
 * opened here is read, enumerated and closed with the kastore_* functions.
 */
#ifndef SWKAS_H
#define SWKAS_H

#include "kastore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Version                                                                */

#define SWKAS_VERSION_MAJOR 0
#define SWKAS_VERSION_MINOR 1
#define SWKAS_VERSION_PATCH 0
#define SWKAS_VERSION_STRING "0.1.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH, comparable with swkas_version_number(). */
#define SWKAS_VERSION_NUMBER                                                          \
    (SWKAS_VERSION_MAJOR * 10000 + SWKAS_VERSION_MINOR * 100 + SWKAS_VERSION_PATCH)

/** The library's version as "MAJOR.MINOR.PATCH" (static string). */
const char *swkas_version(void);
/** The library's version as SWKAS_VERSION_NUMBER computes it, at run time. */
int swkas_version_number(void);

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

/** An index past the last item. */
#define SWKAS_ERR_INDEX_OUT_OF_RANGE -101
/** A required pointer argument was NULL. */
#define SWKAS_ERR_NULL_ARGUMENT -102
/** The file is shorter than the size its header declares (zero-copy opens). */
#define SWKAS_ERR_TRUNCATED -103
/** A Blosc2 chunk, or one of its compressed streams, is malformed. */
#define SWKAS_ERR_BAD_CHUNK -110
/** Valid input that uses a feature swkas does not implement (e.g. dictionaries). */
#define SWKAS_ERR_UNSUPPORTED -111
/** A parameter outside its documented range. */
#define SWKAS_ERR_INVALID_ARGUMENT -112
/** An output buffer too small for the result. */
#define SWKAS_ERR_BUFFER_TOO_SMALL -113

/**
 * Describes any error code of libswkas, kastore's included (for KAS_ERR_IO,
 * strerror of the current errno). Static string: never NULL, never freed.
 */
const char *swkas_strerror(int err);

/**
 * The message of the last error a swkas_* or kastore_* call returned on
 * the calling thread, with details swkas_strerror cannot give (which field
 * of a frame is malformed, which argument is out of range); "" before any.
 * Valid until the thread's next failing call.
 */
const char *swkas_last_error_message(void);

/* ---------------------------------------------------------------------- */
/* kastore extensions                                                     */

/**
 * Opens the kastore file at filename read-only and memory-maps it: a get
 * returns a pointer into the mapping (zero-copy), valid until kastore_close.
 * Every item's array field points into the mapping right after open.
 * flags: 0, KAS_READ_ALL (accepted; the whole file is mapped anyway) and/or
 * KAS_GET_TAKES_OWNERSHIP (each get returns a malloc'ed copy instead).
 * Validation is that of kastore_open; in addition the file must be at least
 * file_size bytes long (SWKAS_ERR_TRUNCATED). Arrays are 8-byte aligned.
 * If another process truncates the file while it is mapped, reading the lost
 * pages raises SIGBUS: map only files that are replaced, not rewritten, which
 * is how every writer of this library updates a file.
 */
int swkas_open_mmap(kastore_t *self, const char *filename, int flags);

/**
 * Opens a store from size bytes of memory, borrowed (not copied): data must
 * stay valid and unchanged until kastore_close. Gets return pointers into
 * data, so data should be 8-byte aligned for typed access. Bytes past the
 * store's file_size are ignored. Flags as for swkas_open_mmap.
 * Errors: KAS_ERR_EOF for size 0; SWKAS_ERR_NULL_ARGUMENT for NULL data with
 * a non-zero size; SWKAS_ERR_TRUNCATED when size < file_size; otherwise the
 * codes of kastore_open. Both memory readers know the real size, so a size
 * the data cannot hold is KAS_ERR_BAD_FILE_FORMAT, never an allocation.
 */
int swkas_open_buffer(kastore_t *self, const void *data, size_t size, int flags);

/**
 * Opens a store in write mode with no file attached: add items with the
 * kastore_put functions, serialize with swkas_encode, release with
 * kastore_close (which writes nothing). flags as for kastore_openf.
 */
int swkas_open_writer(kastore_t *self, int flags);

/**
 * Serializes a write-mode store (of any origin) into a new malloc'ed buffer
 * of *size bytes, which the caller releases with free(). The store stays
 * open and unchanged; its items are not reordered. KAS_ERR_ILLEGAL_OPERATION
 * on a reader.
 */
int swkas_encode(kastore_t *self, void **data, size_t *size);

/**
 * Adds count items in one call: item i has key keys[i] (key_lens[i] bytes),
 * array arrays[i] of array_lens[i] elements of type types[i]. flags as for
 * kastore_put (0 copies every array now, KAS_BORROWS_ARRAY keeps the
 * pointers until close). All or nothing: on failure no item of this call is
 * added, the code of the first failing item is returned, and its index is
 * written to *failed (when failed is not NULL).
 */
int swkas_put_many(kastore_t *self, size_t count, const char *const *keys, const size_t *key_lens,
    const void *const *arrays, const size_t *array_lens, const int *types, int flags, size_t *failed);

/**
 * Chooses whether kastore_close makes a path writer's file durable. By
 * default (durable = 1) close fsyncs the new file before renaming it over the
 * target and fsyncs the directory after, so the new store survives a power
 * loss once close returns. With durable = 0 both fsyncs are skipped: the
 * replace is still atomic (readers and a crashed process see the old or the
 * new store, never a mix), but after a power loss the target may hold either.
 * For scratch files, that is most of a write's cost saved.
 * KAS_ERR_ILLEGAL_OPERATION unless self is a writer opened on a path.
 */
int swkas_set_durable(kastore_t *self, int durable);

/**
 * Closes a store without writing anything: for a writer, the items are
 * dropped and the target is left exactly as it was (a file that the open
 * created is removed again); for a reader this is kastore_close. Frees what
 * the store owns and zeroes *self. Use it to abandon a write after an error.
 */
int swkas_discard(kastore_t *self);

/**
 * Describes item number index (0 <= index < num_items) without loading its
 * array: readers enumerate in key order, writers in insertion order. *key
 * points to key_len bytes owned by the store (not NUL-terminated), valid until
 * close. Any out-pointer may be NULL.
 */
int swkas_item(kastore_t *self, size_t index, const char **key, size_t *key_len,
    int *type, size_t *array_len);

/**
 * kastore_get for item number index (readers only), with the same ownership
 * rules. Avoids a key lookup when walking a store in order.
 */
int swkas_get_at(
    kastore_t *self, size_t index, void **array, size_t *array_len, int *type);

/**
 * Reads a store's total size (file_size) from its first bytes, for callers
 * that frame stores themselves (sockets, pipes, buffered streams): size must
 * be at least KAS_HEADER_SIZE. The header is checked as an open checks it:
 * KAS_ERR_EOF for size 0, KAS_ERR_BAD_FILE_FORMAT for a short or malformed
 * header, KAS_ERR_VERSION_TOO_OLD / _TOO_NEW.
 */
int swkas_store_size(const void *header, size_t size, size_t *store_size);

/** Bytes per element of a kastore type code, or KAS_ERR_BAD_TYPE. */
int swkas_type_size(int type);

/* ---------------------------------------------------------------------- */
/* Blosc2 chunks                                                          */

/* Codecs (the chunk's compcode; python-blosc2's Codec values). */
#define SWKAS_CODEC_BLOSCLZ 0 /* decoded only: compressing with it is SWKAS_ERR_UNSUPPORTED */
#define SWKAS_CODEC_LZ4 1
#define SWKAS_CODEC_LZ4HC 2
#define SWKAS_CODEC_ZLIB 4
#define SWKAS_CODEC_ZSTD 5

/* Filters (python-blosc2's Filter values), applied slot 0 to 5. */
#define SWKAS_FILTER_NOFILTER 0
#define SWKAS_FILTER_SHUFFLE 1
#define SWKAS_FILTER_BITSHUFFLE 2
#define SWKAS_FILTER_DELTA 3
#define SWKAS_FILTER_TRUNC_PREC 4
#define SWKAS_MAX_FILTERS 6

/* Split modes (python-blosc2's SplitMode values). */
#define SWKAS_SPLIT_ALWAYS 1
#define SWKAS_SPLIT_NEVER 2
#define SWKAS_SPLIT_AUTO 3
#define SWKAS_SPLIT_FORWARD_COMPAT 4

/* Special chunk kinds (swkas_chunk_info_t.special). */
#define SWKAS_SPECIAL_NONE 0
#define SWKAS_SPECIAL_ZEROS 1
#define SWKAS_SPECIAL_NAN 2
#define SWKAS_SPECIAL_VALUE 3
#define SWKAS_SPECIAL_UNINIT 4

/** Compression parameters. Start from swkas_cparams_init(), then change fields. */
typedef struct {
    int codec;                                /**< SWKAS_CODEC_* (default ZSTD) */
    int clevel;                               /**< 0 (store) to 9 (default 5) */
    int typesize;                             /**< bytes per item, 1-255 (default 8) */
    int blocksize;                            /**< bytes per block; 0 = automatic */
    uint8_t filters[SWKAS_MAX_FILTERS];       /**< default: SHUFFLE in the last slot */
    uint8_t filters_meta[SWKAS_MAX_FILTERS];  /**< per-slot parameter (shuffle width, precision) */
    int nthreads;                             /**< worker threads (default 1); output does not depend on it */
    int splitmode;                            /**< SWKAS_SPLIT_* (default AUTO) */
} swkas_cparams_t;

/** Fills *params with the defaults (python-blosc2's CParams() with 1 thread). */
void swkas_cparams_init(swkas_cparams_t *params);

/** Output size that is always enough for compressing nbytes bytes (nbytes + 32). */
size_t swkas_chunk_compress_bound(size_t nbytes);

/**
 * Compresses nbytes bytes of src into a Blosc2 (version 5) chunk in dest
 * (dest_size bytes; swkas_chunk_compress_bound(nbytes) is always enough) and
 * writes its size to *cbytes. python-blosc2 decodes the chunk to the same
 * bytes. Errors: SWKAS_ERR_INVALID_ARGUMENT (a parameter out of range, more
 * than 2^31 - 33 bytes, DELTA or TRUNC_PREC over a partial last item),
 * SWKAS_ERR_UNSUPPORTED (BloscLZ), SWKAS_ERR_BUFFER_TOO_SMALL, KAS_ERR_NO_MEMORY.
 * Thread-safe: any number of calls may run at once.
 */
int swkas_chunk_compress(const swkas_cparams_t *params, const void *src, size_t nbytes, void *dest,
    size_t dest_size, size_t *cbytes);

/**
 * Decompresses a chunk of chunk_size bytes (versions 2 to 5, every codec and
 * filter, special and memcpyed chunks) into dest (dest_size bytes, at least
 * the chunk's nbytes) with nthreads workers; writes nbytes to *nbytes.
 * Malformed input gives SWKAS_ERR_BAD_CHUNK, features swkas does not
 * implement (dictionaries, user codecs or filters, variable-length blocks,
 * big-endian chunks) SWKAS_ERR_UNSUPPORTED; nothing is read or written out
 * of bounds. Thread-safe.
 */
int swkas_chunk_decompress(const void *chunk, size_t chunk_size, void *dest, size_t dest_size,
    int nthreads, size_t *nbytes);

/**
 * Decompresses items [start, start + count) (typesize-byte items) of a chunk
 * into dest, decoding only the blocks they touch; writes the byte count to
 * *written. SWKAS_ERR_INVALID_ARGUMENT for a range outside the chunk.
 */
int swkas_chunk_getitems(const void *chunk, size_t chunk_size, size_t start, size_t count, void *dest,
    size_t dest_size, int nthreads, size_t *written);

/** What a chunk's header says (see swkas_chunk_info). */
typedef struct {
    int version;                              /**< 2 (Blosc1) to 5 */
    int flags;                                /**< the raw flags byte */
    int typesize;
    size_t nbytes;                            /**< uncompressed size */
    size_t blocksize;
    size_t cbytes;                            /**< compressed size, header included */
    int codec;                                /**< SWKAS_CODEC_* */
    uint8_t filters[SWKAS_MAX_FILTERS];
    uint8_t filters_meta[SWKAS_MAX_FILTERS];
    int special;                              /**< SWKAS_SPECIAL_* */
    int memcpyed;                             /**< 1 if the body is the raw data */
    int split;                                /**< 1 if full blocks are split into byte planes */
} swkas_chunk_info_t;

/** Parses and validates a chunk's header into *info. */
int swkas_chunk_info(const void *chunk, size_t chunk_size, swkas_chunk_info_t *info);

/* ---------------------------------------------------------------------- */
/* N-d arrays: chunked, compressed, persistent (Blosc2 frames, b2nd)       */
/*                                                                        */
/* An array is split into chunks and each chunk into blocks; chunks are   */
/* Blosc2 chunks inside a contiguous frame (a .b2nd file, or bytes in     */
/* memory) that python-blosc2 opens. Files written by python-blosc2 and   */
/* by python-caterva 0.7.3 (contiguous or sparse) are read as well.       */
/*                                                                        */
/* Threads: one handle may be read (get_slice, to_cframe, info, meta and  */
/* vlmeta getters) from any number of threads at once. Calls that modify */
/* it (set_slice, resize, meta_set, vlmeta_set/delete) take the handle    */
/* exclusively; they are safe to make from any thread and are serialized. */
/* Borrowed pointers (names, values, dtype) stay valid until the next     */
/* modifying call on the handle or swkas_array_free.                      */

/** Dimensions a reader accepts (c-blosc2's B2ND_MAX_DIM). */
#define SWKAS_MAX_DIM 16
/** Dimensions a writer accepts: python-blosc2 cannot read 16-d files back. */
#define SWKAS_MAX_WRITE_DIM 15
/** Fixed metalayers per frame (the b2nd/caterva one included). */
#define SWKAS_MAX_METALAYERS 16

/** Flags for creating an array at a path. */
#define SWKAS_ARRAY_OVERWRITE 1  /**< replace an existing file (else SWKAS_ERR_EXISTS) */
#define SWKAS_ARRAY_NOT_DURABLE 2 /**< skip fsync: still atomic, not power-loss safe */
/** Flags for opening. */
#define SWKAS_ARRAY_READONLY 4   /**< modifying calls fail with KAS_ERR_ILLEGAL_OPERATION */

/** The path exists and SWKAS_ARRAY_OVERWRITE was not given. */
#define SWKAS_ERR_EXISTS -120
/** Not a b2nd or caterva array (for example a plain SChunk frame). */
#define SWKAS_ERR_NOT_AN_ARRAY -121
/** A frame (header, index, trailer, metalayer) is malformed. */
#define SWKAS_ERR_BAD_FRAME -122

/** How an array is laid out and compressed. Start from swkas_array_params_init. */
typedef struct {
    int ndim;                         /**< 0 to SWKAS_MAX_WRITE_DIM */
    int64_t shape[SWKAS_MAX_DIM];     /**< items per dimension, >= 0 */
    int32_t chunks[SWKAS_MAX_DIM];    /**< chunk shape; all 0 = chosen automatically */
    int32_t blocks[SWKAS_MAX_DIM];    /**< block shape (<= chunks); all 0 = chosen automatically */
    int32_t itemsize;                 /**< bytes per item, >= 1 */
    const char *dtype;                /**< NumPy dtype.str (e.g. "<f8"); NULL = "|S<itemsize>"; copied */
    swkas_cparams_t cparams;          /**< codec, clevel, filters, filters_meta, nthreads, splitmode;
                                           typesize and blocksize are ignored (itemsize, blocks) */
    int nmeta;                        /**< user metalayers written at creation (fixed size) */
    const char *const *meta_names;    /**< nmeta names, 1-31 bytes, not "b2nd" or "caterva" */
    const void *const *meta_values;   /**< nmeta values (any bytes; python-blosc2 uses msgpack) */
    const size_t *meta_sizes;         /**< nmeta sizes */
} swkas_array_params_t;

/**
 * Fills *params with the defaults: ndim 0, itemsize 8, dtype NULL, no
 * metalayers, and python-caterva's compression defaults (LZ4, clevel 5,
 * SHUFFLE in the last slot, 1 thread, split AUTO).
 */
void swkas_array_params_init(swkas_array_params_t *params);

/** An open array. Opaque; create or open it with the functions below, release it with swkas_array_free. */
typedef struct swkas_array swkas_array_t;

/*
 * Creation. urlpath NULL keeps the frame in memory; otherwise the file is
 * written to a temporary file and renamed into place, so it appears whole
 * or not at all. *array receives a new handle the caller frees. Errors:
 * SWKAS_ERR_INVALID_ARGUMENT (geometry, parameters, sizes), SWKAS_ERR_EXISTS,
 * KAS_ERR_IO (errno kept), KAS_ERR_NO_MEMORY.
 */

/** An array whose items read as zero; costs a few bytes per chunk (special chunks). */
int swkas_array_empty(const swkas_array_params_t *params, const char *urlpath, int flags, swkas_array_t **array);
/** An array of zeros (special chunks, like empty). */
int swkas_array_zeros(const swkas_array_params_t *params, const char *urlpath, int flags, swkas_array_t **array);
/** An array with every item equal to the itemsize bytes at fill_value (repeated-value chunks). */
int swkas_array_full(const swkas_array_params_t *params, const char *urlpath, int flags, const void *fill_value,
    swkas_array_t **array);
/** An array holding the C-order items of buffer (exactly size = items * itemsize bytes). */
int swkas_array_from_buffer(const swkas_array_params_t *params, const char *urlpath, int flags,
    const void *buffer, size_t size, swkas_array_t **array);

/**
 * Opens the b2nd or caterva array at urlpath (a contiguous frame file, or a
 * caterva sparse directory, which opens read-only). flags: 0 or
 * SWKAS_ARRAY_READONLY (and SWKAS_ARRAY_NOT_DURABLE for later writes).
 * Errors: KAS_ERR_IO with errno ENOENT for a missing path,
 * SWKAS_ERR_BAD_FRAME, SWKAS_ERR_BAD_CHUNK, SWKAS_ERR_NOT_AN_ARRAY,
 * SWKAS_ERR_UNSUPPORTED.
 */
int swkas_array_open(const char *urlpath, int flags, swkas_array_t **array);

/** Opens a frame held in memory (the bytes are copied; the new array lives in memory). */
int swkas_array_from_cframe(const void *frame, size_t size, swkas_array_t **array);

/**
 * Serializes the array as a compact contiguous frame into buffer (size
 * bytes) and writes its length to *frame_size. With a buffer too small
 * (or NULL), returns SWKAS_ERR_BUFFER_TOO_SMALL with the needed length in
 * *frame_size.
 */
int swkas_array_to_cframe(const swkas_array_t *array, void *buffer, size_t size, size_t *frame_size);

/**
 * Copies the array's items into a new array with new chunks, blocks and
 * compression parameters (params' shape, itemsize and dtype are ignored;
 * NULL keeps everything). The metalayers and vlmeta are copied. The copy
 * is compact, so this is also how a file that grew through updates is
 * compacted.
 */
int swkas_array_copy(const swkas_array_t *array, const swkas_array_params_t *params, const char *urlpath,
    int flags, swkas_array_t **copy);

/**
 * Sets the worker threads each chunk is compressed and decompressed with
 * (1-256) for later calls on this handle; opened arrays start with 1.
 */
int swkas_array_set_nthreads(swkas_array_t *array, int nthreads);

/** Releases a handle (NULL is accepted). The file, if any, stays. */
void swkas_array_free(swkas_array_t *array);

/** Removes a frame file or a caterva sparse directory. KAS_ERR_IO with errno on failure. */
int swkas_array_remove(const char *urlpath);

/**
 * The array's geometry and parameters. dtype is borrowed; the meta fields
 * are zeroed (use swkas_array_meta_*).
 */
int swkas_array_get_params(const swkas_array_t *array, swkas_array_params_t *params);

/** Sizes and kind of an array (see swkas_array_get_stats). */
typedef struct {
    int64_t nitems;        /**< product of the shape */
    int64_t nbytes;        /**< nitems * itemsize */
    int64_t frame_nbytes;  /**< uncompressed bytes of all chunks, edge padding included */
    int64_t cbytes;        /**< compressed bytes of the chunks region */
    int64_t nchunks;
    int64_t chunk_nbytes;  /**< bytes per chunk, padding included */
    int64_t block_nbytes;  /**< bytes per block */
    int64_t frame_size;    /**< bytes of the whole frame */
    int has_b2nd;          /**< a "b2nd" metalayer is present */
    int has_caterva;       /**< a "caterva" metalayer is present */
    int readonly;
    int in_memory;
} swkas_array_stats_t;

int swkas_array_get_stats(const swkas_array_t *array, swkas_array_stats_t *stats);

/**
 * A human-readable summary (type, itemsize, dtype, shape, chunks, blocks,
 * codec, clevel, filters, both compression ratios), NUL-terminated, into
 * buffer; *needed gets its length including the NUL. A short buffer gets
 * SWKAS_ERR_BUFFER_TOO_SMALL.
 */
int swkas_array_info(const swkas_array_t *array, char *buffer, size_t size, size_t *needed);

/**
 * Reads the items at start[i], start[i] + step[i], ... (below stop[i]) of
 * every dimension, in C order, into buffer (at least count * itemsize bytes,
 * count = the product of ceil((stop - start) / step)). Requires 0 <= start
 * <= stop <= shape and step >= 1 (step NULL = all 1). Only the blocks the
 * selection touches are decompressed. Arrays of ndim 0 take NULL vectors.
 */
int swkas_array_get_slice(const swkas_array_t *array, const int64_t *start, const int64_t *stop,
    const int64_t *step, void *buffer, size_t size);

/**
 * Writes the selection of swkas_array_get_slice from buffer. A file is
 * updated crash-safely: new chunks, index and trailer go past the end of
 * the frame and one write of the header commits them, so after a crash
 * the file holds either the old or the new values of the whole call. The
 * file grows; swkas_array_copy compacts it.
 */
int swkas_array_set_slice(swkas_array_t *array, const int64_t *start, const int64_t *stop,
    const int64_t *step, const void *buffer, size_t size);

/** Changes the shape (same ndim); new items read as zero. Crash-safe like set_slice. */
int swkas_array_resize(swkas_array_t *array, const int64_t *shape);

/** Number of fixed metalayers, the b2nd/caterva one included. */
int swkas_array_meta_count(const swkas_array_t *array, size_t *count);
/** Name of metalayer index (borrowed). SWKAS_ERR_INDEX_OUT_OF_RANGE past the end. */
int swkas_array_meta_name(const swkas_array_t *array, size_t index, const char **name);
/** Value of the metalayer name (borrowed). KAS_ERR_KEY_NOT_FOUND if absent. */
int swkas_array_meta_get(const swkas_array_t *array, const char *name, const void **value, size_t *size);
/** Rewrites a metalayer in place; the size must stay the same (else SWKAS_ERR_INVALID_ARGUMENT). */
int swkas_array_meta_set(swkas_array_t *array, const char *name, const void *value, size_t size);

/** Number of variable-length metalayers (python-blosc2's vlmeta). */
int swkas_array_vlmeta_count(const swkas_array_t *array, size_t *count);
/** Name of vlmeta entry index (borrowed). */
int swkas_array_vlmeta_name(const swkas_array_t *array, size_t index, const char **name);
/** Content of vlmeta name (borrowed, decompressed; python-blosc2 stores msgpack). */
int swkas_array_vlmeta_get(const swkas_array_t *array, const char *name, const void **value, size_t *size);
/** Adds or replaces vlmeta name (any size). Crash-safe like set_slice. */
int swkas_array_vlmeta_set(swkas_array_t *array, const char *name, const void *value, size_t size);
/** Removes vlmeta name. KAS_ERR_KEY_NOT_FOUND if absent. */
int swkas_array_vlmeta_delete(swkas_array_t *array, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SWKAS_H */
