/* OS calls that Swift's Glibc module does not expose (they need _GNU_SOURCE). */
#ifndef SWKAS_SYSTEM_H
#define SWKAS_SYSTEM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Asks the kernel to start writing back [offset, offset + length) of fd now,
 * without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE on Linux; a
 * no-op elsewhere). A later fsync then has little left to do. Returns 0 or
 * -1 with errno set; callers may ignore failure, it only costs speed. */
int swkas_start_writeback(int fd, int64_t offset, int64_t length);

/* Asks for transparent huge pages over the whole pages inside [start,
 * start + length) (madvise MADV_HUGEPAGE on Linux; a no-op elsewhere). A
 * fresh multi-megabyte buffer then costs a few hundred page faults instead of
 * hundreds of thousands. Failure only costs speed. */
void swkas_advise_huge_pages(void *start, size_t length);

/* Opens an unnamed regular file in directory (Linux O_TMPFILE), read-write,
 * created with mode & ~umask; -1 with errno when unsupported. A process
 * killed before the file is linked leaves nothing behind. */
int swkas_open_unnamed(const char *directory, unsigned mode);

/* Gives the unnamed file fd the name path (fails with EEXIST if it exists). */
int swkas_link_unnamed(int fd, const char *path);

/* The calling thread's last error message (copied; NULL clears it), and
 * the text, "" when none. */
void swkas_set_last_error(const char *message);
const char *swkas_last_error_text(void);

/* Initialises a reader-writer lock that lets a waiting writer in before new
 * readers (glibc prefers readers by default, which can starve a writer). */
int swkas_rwlock_init_writer_preferring(pthread_rwlock_t *lock);

#endif
