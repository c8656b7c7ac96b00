#define _GNU_SOURCE
#include "swkas_system.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

int
swkas_start_writeback(int fd, int64_t offset, int64_t length)
{
#ifdef __linux__
    return sync_file_range(fd, (off_t) offset, (off_t) length, SYNC_FILE_RANGE_WRITE);
#else
    (void) fd;
    (void) offset;
    (void) length;
    return 0;
#endif
}

void
swkas_advise_huge_pages(void *start, size_t length)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 4096;
    uintptr_t first = ((uintptr_t) start + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t) start + length) & ~(page - 1);
    if (end > first) {
        (void) madvise((void *) first, end - first, MADV_HUGEPAGE);
    }
#else
    (void) start;
    (void) length;
#endif
}

int
swkas_rwlock_init_writer_preferring(pthread_rwlock_t *lock)
{
    pthread_rwlockattr_t attributes;
    int ret = pthread_rwlockattr_init(&attributes);
    if (ret != 0) {
        return ret;
    }
#ifdef __GLIBC__
    (void) pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    ret = pthread_rwlock_init(lock, &attributes);
    pthread_rwlockattr_destroy(&attributes);
    return ret;
}

int
swkas_open_unnamed(const char *directory, unsigned mode)
{
#if defined(__linux__) && defined(O_TMPFILE)
    return open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, (mode_t) mode);
#else
    (void) directory;
    (void) mode;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int
swkas_link_unnamed(int fd, const char *path)
{
#ifdef __linux__
    char name[64];
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, name, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
#else
    (void) fd;
    (void) path;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

static __thread char *last_error_message;

void
swkas_set_last_error(const char *message)
{
    free(last_error_message);
    last_error_message = message == NULL ? NULL : strdup(message);
}

const char *
swkas_last_error_text(void)
{
    return last_error_message == NULL ? "" : last_error_message;
}
