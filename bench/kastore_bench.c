/*
 * kastore_bench.c: times libswkas ("ours") against the reference kastore C
 * library ("ref") in one process, on the same data, and prints ratios.
 *
 * Both libraries export the same kastore_* names, so each is dlopen()ed with
 * RTLD_NOW | RTLD_LOCAL and its functions are resolved with dlsym into its own
 * function table. Nothing is linked at build time:
 *
 *   gcc -O2 -I include -o kastore_bench bench/kastore_bench.c -ldl
 *   ./kastore_bench OURS.so REF.so [--quick] [--reps N] [--dir DIR] [--cold]
 *                   [--only abcd] [--ref-limit SEC] [--ref-key-reps N] [--reuse-heap]
 *                   [--side ours|ref] [-v]
 *
 * Every scenario runs ours and ref alternately (the order flips each
 * repetition) and reports the MEDIAN of the repetitions; the best (minimum)
 * times are printed as well. ratio = ref time / ours time, so > 1 means ours
 * is faster. See bench/README.md for what each row measures and the caveats.
 *
 * This is a benchmark, not a test: it checks results only enough to be sure
 * the work was really done (checksums, lengths, identical output bytes).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Only for kastore_t, the constants and the type codes: both libraries share
 * this ABI (ours is a drop-in). No function is called through the header. */
#include "kastore.h"

#define NUM_ARRAYS 8
#define MAX_REPS 99

/* ---------------------------------------------------------------------- */
/* Function tables                                                        */

typedef struct {
    const char *name; /* "ours" or "ref" */
    const char *path;
    void *handle;
    int (*open)(kastore_t *, const char *, const char *, int);
    int (*close)(kastore_t *);
    int (*gets_float64)(kastore_t *, const char *, double **, size_t *);
    int (*puts_float64)(kastore_t *, const char *, const double *, size_t, int);
    int (*puts_int32)(kastore_t *, const char *, const int32_t *, size_t, int);
    const char *(*strerror)(int);
    /* ours only */
    int (*open_mmap)(kastore_t *, const char *, int);
    int (*set_durable)(kastore_t *, int);
} lib_t;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kastore_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void *sym(lib_t *lib, const char *name, int required)
{
    dlerror();
    void *p = dlsym(lib->handle, name);
    if (p == NULL && required) {
        const char *e = dlerror();
        die("%s (%s): missing symbol %s: %s", lib->name, lib->path, name, e ? e : "NULL");
    }
    return p;
}

static void load_lib(lib_t *lib, const char *name, const char *path, int is_ours)
{
    memset(lib, 0, sizeof(*lib));
    lib->name = name;
    lib->path = path;
    lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == NULL) {
        die("dlopen(%s): %s", path, dlerror());
    }
    lib->open = (int (*)(kastore_t *, const char *, const char *, int)) sym(lib, "kastore_open", 1);
    lib->close = (int (*)(kastore_t *)) sym(lib, "kastore_close", 1);
    lib->gets_float64 = (int (*)(kastore_t *, const char *, double **, size_t *)) sym(
        lib, "kastore_gets_float64", 1);
    lib->puts_float64 = (int (*)(kastore_t *, const char *, const double *, size_t, int)) sym(
        lib, "kastore_puts_float64", 1);
    lib->puts_int32 = (int (*)(kastore_t *, const char *, const int32_t *, size_t, int)) sym(
        lib, "kastore_puts_int32", 1);
    lib->strerror = (const char *(*) (int) ) sym(lib, "kas_strerror", 1);
    lib->open_mmap = (int (*)(kastore_t *, const char *, int)) sym(lib, "swkas_open_mmap", 0);
    lib->set_durable = (int (*)(kastore_t *, int)) sym(lib, "swkas_set_durable", 0);
    if (is_ours && lib->open_mmap == NULL) {
        die("%s does not export swkas_open_mmap: is it really libswkas?", path);
    }
    if (!is_ours && lib->open_mmap != NULL) {
        die("%s exports swkas_open_mmap: is it really the reference kastore?", path);
    }
}

static void check(lib_t *lib, int ret, const char *what)
{
    if (ret != 0) {
        die("%s: %s failed: %d (%s)", lib->name, what, ret, lib->strerror(ret));
    }
}

/* ---------------------------------------------------------------------- */
/* Utilities                                                              */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* User + system CPU time of this process. */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6
           + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6;
}

/* CPU time of the last timed run, over exactly the wall-clock interval. */
static double last_cpu;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Sums every 8-byte word (so every byte is read); vectorizes, memory-bound. */
static uint64_t sum_words(const void *data, size_t nbytes)
{
    const uint64_t *w = (const uint64_t *) data;
    size_t n = nbytes / 8;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += w[i];
        s1 += w[i + 1];
        s2 += w[i + 2];
        s3 += w[i + 3];
    }
    for (; i < n; i++) {
        s0 += w[i];
    }
    return s0 + s1 + s2 + s3;
}

/* Writes back every dirty page of the scratch file system (untimed). */
static void sync_scratch(void);

static void fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        die("fsync(%s): %s", path, strerror(errno));
    }
    close(fd);
}

/* Drops the file's (clean) pages from the page cache. */
static void evict_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        die("open(%s): %s", path, strerror(errno));
    }
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

/* 1 if the two files have identical bytes. */
static int same_bytes(const char *a, const char *b)
{
    static char ba[1 << 20], bb[1 << 20];
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa != NULL && fb != NULL;
    while (same) {
        size_t na = fread(ba, 1, sizeof(ba), fa);
        size_t nb = fread(bb, 1, sizeof(bb), fb);
        if (na != nb || memcmp(ba, bb, na) != 0) {
            same = 0;
        }
        if (na == 0) {
            break;
        }
    }
    if (fa) {
        fclose(fa);
    }
    if (fb) {
        fclose(fb);
    }
    return same;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double t[MAX_REPS];
    memcpy(t, v, (size_t) n * sizeof(double));
    qsort(t, (size_t) n, sizeof(double), cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double minimum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++) {
        m = v[i] < m ? v[i] : m;
    }
    return m;
}

static const char *fmt_time(double s, char *buf, size_t n)
{
    if (s >= 1.0) {
        snprintf(buf, n, "%.3f s", s);
    } else if (s >= 1e-3) {
        snprintf(buf, n, "%.2f ms", s * 1e3);
    } else {
        snprintf(buf, n, "%.1f us", s * 1e6);
    }
    return buf;
}

/* ---------------------------------------------------------------------- */
/* Configuration, scratch files                                           */

static struct {
    int quick;
    int reps;
    int ref_key_reps;
    double ref_limit;
    int cold;
    int reuse_heap;
    int verbose;
    const char *only;
    const char *side; /* --side: run only this library (for profiling) */
    size_t total_bytes;
    size_t n_elems; /* per array */
    size_t n_keys;
    char dir[4096];
    int created_dir;
} cfg;

#define NUM_FILES 6
static char files[NUM_FILES][4200];
enum { F_READ, F_W_OURS, F_W_REF, F_K_OURS, F_K_REF, F_DUMMY };

/* Deletes temporaries left by an interrupted atomic write of ours. */
static void remove_temporaries(void)
{
    DIR *d = opendir(cfg.dir);
    if (d != NULL) {
        struct dirent *e;
        char p[8400];
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, ".swkas-") != NULL) {
                snprintf(p, sizeof(p), "%s/%s", cfg.dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
}

static void remove_files(void)
{
    for (int i = 0; i < NUM_FILES; i++) {
        if (files[i][0]) {
            unlink(files[i]);
        }
    }
    remove_temporaries();
    if (cfg.created_dir) {
        rmdir(cfg.dir);
    }
}

static void sync_scratch(void)
{
    int fd = open(cfg.dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) != 0) {
        sync();
    }
    if (fd >= 0) {
        close(fd);
    }
}

/* First Ctrl-C / SIGTERM: finish the current run (so that no temporary file
 * of ours is left behind), then exit through the normal cleanup. A second
 * one deletes the known files and dies at once. Only async-signal-safe calls. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    if (!interrupted) {
        static const char msg[] = "\nkastore_bench: interrupted; cleaning up after the current "
                                  "run (again to abort now)\n";
        interrupted = sig;
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void) w;
        return;
    }
    for (int i = 0; i < NUM_FILES; i++) {
        if (files[i][0]) {
            unlink(files[i]);
        }
    }
    if (cfg.created_dir) {
        rmdir(cfg.dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void exit_if_interrupted(void)
{
    if (interrupted) {
        exit(128 + interrupted); /* atexit: remove_files */
    }
}

static int wanted(char scenario)
{
    return cfg.only == NULL || strchr(cfg.only, scenario) != NULL;
}

/* ---------------------------------------------------------------------- */
/* Results                                                                */

typedef double (*scenario_fn)(lib_t *lib, void *arg);

typedef struct {
    char label[96];
    char target[16];
    double target_ratio; /* 0: informational row */
    double ref[MAX_REPS], ours[MAX_REPS];
    double cpu_ref[MAX_REPS], cpu_ours[MAX_REPS]; /* CPU time of the same runs */
    int n_ref, n_ours;
    int ref_lower_bound; /* the reference run was cut off at --ref-limit */
    char note[160];
} row_t;

static row_t rows[16];
static int n_rows;

static row_t *new_row(const char *label, double target, const char *note)
{
    row_t *r = &rows[n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->label, sizeof(r->label), "%s", label);
    r->target_ratio = target;
    if (target > 0) {
        snprintf(r->target, sizeof(r->target), target < 10 ? ">= %.1f" : ">= %.0f", target);
    } else {
        snprintf(r->target, sizeof(r->target), "(info)");
    }
    snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
    return r;
}

static void record(row_t *r, lib_t *lib, double t, double cpu)
{
    if (cfg.verbose) {
        char b[32], c[32];
        fprintf(stderr, "    %-40.40s %-4s %10s  (cpu %s)\n", r->label, lib->name,
            fmt_time(t, b, sizeof b), fmt_time(cpu, c, sizeof c));
    }
    if (strcmp(lib->name, "ours") == 0) {
        r->cpu_ours[r->n_ours] = cpu;
        r->ours[r->n_ours++] = t;
    } else {
        r->cpu_ref[r->n_ref] = cpu;
        r->ref[r->n_ref++] = t;
    }
}

static int on_side(const lib_t *lib)
{
    return cfg.side == NULL || strcmp(cfg.side, lib->name) == 0;
}

/* An untimed run (warm-up, result check), skipped for the other --side. */
static void warm(lib_t *lib, scenario_fn fn, void *arg)
{
    if (on_side(lib)) {
        fn(lib, arg);
        exit_if_interrupted();
    }
}

/* Runs fn for both libraries `reps` times, alternating and flipping the order
 * each repetition. ref_reps may be smaller than reps (the slow 100k-key run). */
static void run_pair(row_t *row, lib_t *ours, lib_t *ref, scenario_fn fn, void *arg, int reps,
    int ref_reps)
{
    for (int i = 0; i < reps; i++) {
        lib_t *order[2] = { ours, ref };
        if (i % 2) {
            order[0] = ref;
            order[1] = ours;
        }
        for (int k = 0; k < 2; k++) {
            lib_t *lib = order[k];
            if (lib == ref && i >= ref_reps) {
                continue;
            }
            if (!on_side(lib)) {
                continue;
            }
            double t = fn(lib, arg);
            exit_if_interrupted();
            record(row, lib, t, last_cpu);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* (a) write NUM_ARRAYS float64 arrays                                    */

static double *arrays[NUM_ARRAYS];
static const char *array_keys[NUM_ARRAYS] = { "array_0", "array_1", "array_2", "array_3",
    "array_4", "array_5", "array_6", "array_7" };

typedef struct {
    int put_flags;
    int fsync_after;
    int not_durable; /* ours only: swkas_set_durable(store, 0) */
} write_arg_t;

static const char *write_target(lib_t *lib)
{
    return strcmp(lib->name, "ours") == 0 ? files[F_W_OURS] : files[F_W_REF];
}

static double scenario_write(lib_t *lib, void *argp)
{
    write_arg_t *arg = argp;
    const char *path = write_target(lib);
    kastore_t store;

    /* Untimed: write back the previous runs' data (the reference leaves its
     * gigabyte dirty; deleting it first would spare it the disk write that
     * ours pays, and leave the device idle after ref runs only), then start
     * from no target and nothing dirty. */
    sync_scratch();
    unlink(path);
    sync_scratch();

    double c0 = cpu_now(), t0 = now();
    check(lib, lib->open(&store, path, "w", 0), "kastore_open(w)");
    if (arg->not_durable && lib->set_durable != NULL) {
        check(lib, lib->set_durable(&store, 0), "swkas_set_durable");
    }
    for (int i = 0; i < NUM_ARRAYS; i++) {
        check(lib, lib->puts_float64(&store, array_keys[i], arrays[i], cfg.n_elems, arg->put_flags),
            "kastore_puts_float64");
    }
    check(lib, lib->close(&store), "kastore_close(w)");
    if (arg->fsync_after) {
        fsync_path(path);
    }
    double t = now() - t0;
    last_cpu = cpu_now() - c0;
    return t;
}

/* ---------------------------------------------------------------------- */
/* (b) read every byte, (c) zero-copy open + get                          */

static uint64_t expected_sum;

typedef struct {
    int mode; /* 0: KAS_READ_ALL + sum; 1: cheapest open + gets; 2: cheapest + sum */
    uint64_t sum;
} read_arg_t;

static double scenario_read(lib_t *lib, void *argp)
{
    read_arg_t *arg = argp;
    const char *path = files[F_READ];
    kastore_t store;
    uint64_t sum = 0;
    int ret;

    if (cfg.cold) {
        evict_path(path);
    }
    double c0 = cpu_now(), t0 = now();
    if (arg->mode == 0) {
        ret = lib->open(&store, path, "r", KAS_READ_ALL);
    } else if (lib->open_mmap != NULL) {
        ret = lib->open_mmap(&store, path, 0);
    } else {
        ret = lib->open(&store, path, "r", 0);
    }
    check(lib, ret, "open(r)");
    for (int i = 0; i < NUM_ARRAYS; i++) {
        double *a;
        size_t n;
        check(lib, lib->gets_float64(&store, array_keys[i], &a, &n), "kastore_gets_float64");
        if (n != cfg.n_elems) {
            die("%s: %s has %zu elements, expected %zu", lib->name, array_keys[i], n, cfg.n_elems);
        }
        if (arg->mode != 1) {
            sum += sum_words(a, n * sizeof(double));
        }
    }
    check(lib, lib->close(&store), "kastore_close(r)");
    double t = now() - t0;
    last_cpu = cpu_now() - c0;
    if (arg->mode != 1 && sum != expected_sum) {
        die("%s: checksum mismatch: %" PRIx64 " != %" PRIx64, lib->name, sum, expected_sum);
    }
    arg->sum = sum;
    return t;
}

/* Untimed: opens the fixture the cheapest way and checks a few values. */
static void verify_zero_copy(lib_t *lib)
{
    kastore_t store;
    int ret = lib->open_mmap ? lib->open_mmap(&store, files[F_READ], 0)
                             : lib->open(&store, files[F_READ], "r", 0);
    check(lib, ret, "open(r)");
    for (int i = 0; i < NUM_ARRAYS; i++) {
        double *a;
        size_t n;
        check(lib, lib->gets_float64(&store, array_keys[i], &a, &n), "kastore_gets_float64");
        if (n != cfg.n_elems || a[0] != arrays[i][0] || a[n - 1] != arrays[i][n - 1]) {
            die("%s: %s read back wrong", lib->name, array_keys[i]);
        }
    }
    check(lib, lib->close(&store), "kastore_close(r)");
}

/* ---------------------------------------------------------------------- */
/* (d) many small keys                                                    */

#define KEY_LEN 16
static char *key_names;     /* n_keys * KEY_LEN, "key_%06d" */
static uint32_t *key_order; /* a random permutation */
static uint8_t *key_lens;   /* 1..10 */
static int32_t *key_values; /* n_keys * 10 */

static const char *keys_target(lib_t *lib)
{
    return strcmp(lib->name, "ours") == 0 ? files[F_K_OURS] : files[F_K_REF];
}

typedef struct {
    row_t *row;
} keys_arg_t;

static double scenario_keys(lib_t *lib, void *argp)
{
    keys_arg_t *arg = argp;
    const char *path = keys_target(lib);
    int is_ref = lib->open_mmap == NULL;
    int progress = is_ref && cfg.n_keys >= 50000;
    kastore_t store;
    size_t done = 0;

    sync_scratch();
    unlink(path);
    sync_scratch();

    double c0 = cpu_now(), t0 = now();
    check(lib, lib->open(&store, path, "w", 0), "kastore_open(w)");
    for (size_t j = 0; j < cfg.n_keys; j++) {
        uint32_t k = key_order[j];
        check(lib,
            lib->puts_int32(&store, key_names + (size_t) k * KEY_LEN, key_values + (size_t) k * 10,
                key_lens[k], 0),
            "kastore_puts_int32");
        done = j + 1;
        if (interrupted) {
            break;
        }
        if (is_ref && (done % 5000) == 0) {
            double el = now() - t0;
            if (progress) {
                fprintf(stderr, "    ref: %zu/%zu keys put, %.1f s\n", done, cfg.n_keys, el);
            }
            if (el > cfg.ref_limit && done < cfg.n_keys) {
                fprintf(stderr,
                    "    ref: stopped at %zu/%zu keys after %.1f s (--ref-limit); its time is a "
                    "lower bound\n",
                    done, cfg.n_keys, el);
                arg->row->ref_lower_bound = 1;
                break;
            }
        }
    }
    check(lib, lib->close(&store), "kastore_close(w)");
    double t = now() - t0;
    last_cpu = cpu_now() - c0;
    if (progress) {
        fprintf(stderr, "    ref: %zu keys written in %.1f s\n", done, t);
    }
    return t;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

static void print_table(void)
{
    char b1[32], b2[32], b3[32], b4[32];
    printf("\n");
    printf("%-48s %10s %10s %8s %8s %-6s | %10s %10s %7s\n", "scenario", "ref(med)", "ours(med)",
        "ratio", "target", "", "ref(best)", "ours(best)", "ratio");
    printf("%.*s\n", 128,
        "-----------------------------------------------------------------------------------------"
        "-----------------------------------------------------------------------------------------");
    for (int i = 0; i < n_rows; i++) {
        row_t *r = &rows[i];
        if (r->n_ref == 0 || r->n_ours == 0) {
            if (r->n_ref + r->n_ours > 0) {
                double *v = r->n_ref ? r->ref : r->ours;
                int n = r->n_ref ? r->n_ref : r->n_ours;
                printf("%-48s %s only: median %s, best %s\n", r->label, r->n_ref ? "ref" : "ours",
                    fmt_time(median(v, n), b1, sizeof b1), fmt_time(minimum(v, n), b2, sizeof b2));
            }
            continue;
        }
        double rm = median(r->ref, r->n_ref), om = median(r->ours, r->n_ours);
        double rb = minimum(r->ref, r->n_ref), ob = minimum(r->ours, r->n_ours);
        double ratio = rm / om, best_ratio = rb / ob;
        const char *verdict = "";
        if (r->target_ratio > 0) {
            verdict = ratio >= r->target_ratio ? "met" : "MISSED";
        }
        char ratio_s[32];
        snprintf(ratio_s, sizeof ratio_s, "%s%.2f", r->ref_lower_bound ? ">" : "", ratio);
        printf("%-48s %10s %10s %8s %8s %-6s | %10s %10s %7.2f\n", r->label,
            fmt_time(rm, b1, sizeof b1), fmt_time(om, b2, sizeof b2), ratio_s, r->target, verdict,
            fmt_time(rb, b3, sizeof b3), fmt_time(ob, b4, sizeof b4), best_ratio);
        if (r->note[0]) {
            printf("    %s\n", r->note);
        }
    }
    printf("\nCPU time (user + sys of this process) of the same runs, medians; the wall-clock "
           "difference\nnot found here is waiting (fsync, I/O) or time stolen by other work:\n");
    for (int i = 0; i < n_rows; i++) {
        row_t *r = &rows[i];
        if (r->n_ref == 0 || r->n_ours == 0) {
            continue;
        }
        double rc = median(r->cpu_ref, r->n_ref), oc = median(r->cpu_ours, r->n_ours);
        printf("  %-48s ref %10s  ours %10s  ratio %7.2f\n", r->label, fmt_time(rc, b1, sizeof b1),
            fmt_time(oc, b2, sizeof b2), oc > 0 ? rc / oc : 0.0);
    }
    printf("\nratio = ref(med) / ours(med): > 1 means ours is faster. med = median of the runs "
           "(counts in the header);\nbest = fastest run of each side, and best ratio = ref(best) / "
           "ours(best).\n");
}

static void usage(void)
{
    fprintf(stderr,
        "usage: kastore_bench OURS.so REF.so [options]\n"
        "  --quick          64 MiB and 20,000 keys instead of 1 GiB and 100,000 keys\n"
        "  --reps N         repetitions per library and scenario (default 7; 3 with --quick)\n"
        "  --ref-key-reps N repetitions of the reference 100k-key write (default 1; --quick: reps)\n"
        "  --ref-limit SEC  stop the reference key write after SEC seconds (default 300)\n"
        "  --dir DIR        scratch directory (default $TMPDIR/swkas-bench or /tmp/swkas-bench)\n"
        "  --cold           evict the read fixture from the page cache before each read run\n"
        "  --reuse-heap     malloc never mmaps nor trims: freed buffers are reused, so runs pay\n"
        "                   no page faults for fresh memory (less noise, less realistic)\n"
        "  --only LETTERS   run only these scenarios: a (write) b (read all) c (zero-copy)\n"
        "                   d (many keys)\n"
        "  --side ours|ref  time only one library (for perf/strace); prints no ratios\n"
        "  -v               print every individual timing\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *paths[2] = { NULL, NULL };
    int np = 0;
    const char *dir = NULL;
    cfg.reps = -1;
    cfg.ref_key_reps = -1;
    cfg.ref_limit = 300;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) {
            cfg.quick = 1;
        } else if (strcmp(a, "--reps") == 0 && i + 1 < argc) {
            cfg.reps = atoi(argv[++i]);
        } else if (strcmp(a, "--ref-key-reps") == 0 && i + 1 < argc) {
            cfg.ref_key_reps = atoi(argv[++i]);
        } else if (strcmp(a, "--ref-limit") == 0 && i + 1 < argc) {
            cfg.ref_limit = atof(argv[++i]);
        } else if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(a, "--cold") == 0) {
            cfg.cold = 1;
        } else if (strcmp(a, "--reuse-heap") == 0) {
            cfg.reuse_heap = 1;
        } else if (strcmp(a, "--only") == 0 && i + 1 < argc) {
            cfg.only = argv[++i];
        } else if (strcmp(a, "--side") == 0 && i + 1 < argc) {
            cfg.side = argv[++i];
            if (strcmp(cfg.side, "ours") != 0 && strcmp(cfg.side, "ref") != 0) {
                usage();
            }
        } else if (strcmp(a, "-v") == 0) {
            cfg.verbose = 1;
        } else if (a[0] == '-') {
            usage();
        } else if (np < 2) {
            paths[np++] = a;
        } else {
            usage();
        }
    }
    if (np != 2) {
        usage();
    }
    if (cfg.reps < 0) {
        cfg.reps = cfg.quick ? 3 : 7;
    }
    if (cfg.reps < 1 || cfg.reps > MAX_REPS) {
        die("--reps must be 1..%d", MAX_REPS);
    }
    if (cfg.ref_key_reps < 0) {
        cfg.ref_key_reps = cfg.quick ? cfg.reps : 1;
    }
    if (cfg.ref_key_reps < 1 || cfg.ref_key_reps > cfg.reps) {
        cfg.ref_key_reps = cfg.ref_key_reps < 1 ? 1 : cfg.reps;
    }
    cfg.total_bytes = cfg.quick ? (64u << 20) : (1024u << 20);
    cfg.n_elems = cfg.total_bytes / NUM_ARRAYS / sizeof(double);
    cfg.n_keys = cfg.quick ? 20000 : 100000;

    if (cfg.reuse_heap) {
        /* Both libraries allocate through this process's malloc. */
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, INT32_MAX);
        mallopt(M_TOP_PAD, 64 << 20);
    }
    lib_t ours, ref;
    load_lib(&ours, "ours", paths[0], 1);
    load_lib(&ref, "ref", paths[1], 0);

    /* Scratch directory. */
    if (dir != NULL) {
        snprintf(cfg.dir, sizeof cfg.dir, "%s", dir);
    } else if (getenv("TMPDIR") && getenv("TMPDIR")[0]) {
        snprintf(cfg.dir, sizeof cfg.dir, "%s/swkas-bench", getenv("TMPDIR"));
    } else {
        snprintf(cfg.dir, sizeof cfg.dir, "/tmp/swkas-bench");
    }
    /* The default directory is removed at the end if empty (rmdir), even when
     * an interrupted earlier run left it behind; a --dir only if created here. */
    if (mkdir(cfg.dir, 0777) == 0) {
        cfg.created_dir = 1;
    } else if (errno == EEXIST) {
        cfg.created_dir = dir == NULL;
    } else {
        die("mkdir(%s): %s", cfg.dir, strerror(errno));
    }
    const char *names[NUM_FILES] = { "read.kas", "write_ours.kas", "write_ref.kas",
        "keys_ours.kas", "keys_ref.kas", "" };
    for (int i = 0; i < NUM_FILES; i++) {
        if (names[i][0]) {
            snprintf(files[i], sizeof files[i], "%s/%s", cfg.dir, names[i]);
        }
    }
    remove_temporaries();
    atexit(remove_files);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    struct statvfs vfs;
    if (statvfs(cfg.dir, &vfs) == 0) {
        double avail = (double) vfs.f_bavail * (double) vfs.f_frsize;
        if (avail < 3.5 * (double) cfg.total_bytes) {
            die("%s: %.1f GiB free, need about %.1f GiB", cfg.dir, avail / (1 << 30),
                3.5 * (double) cfg.total_bytes / (1 << 30));
        }
    }

    char host[256] = "?";
    gethostname(host, sizeof host);
    printf("kastore benchmark: ours = %s\n", ours.path);
    printf("                   ref  = %s\n", ref.path);
    printf("scratch dir %s, host %s, %ld CPUs online\n", cfg.dir, host,
        sysconf(_SC_NPROCESSORS_ONLN));
    printf("data: %zu MiB in %d float64 arrays of %zu elements; %zu keys\n",
        cfg.total_bytes >> 20, NUM_ARRAYS, cfg.n_elems, cfg.n_keys);
    printf("%d runs per library per scenario (median reported), alternating ours/ref, order "
           "flipped each run;\n",
        cfg.reps);
    printf("reference 100k-key write: %d run(s), cut off after %.0f s. Reads: %s page cache.\n",
        cfg.ref_key_reps, cfg.ref_limit, cfg.cold ? "COLD (evicted before each run)" : "warm");
    printf("malloc: %s\n",
        cfg.reuse_heap ? "--reuse-heap (no mmap, no trim: freed buffers are reused, no fresh-page "
                         "faults)"
                       : "glibc defaults (each large buffer is a fresh mmap: page faults included)");
    if (cfg.quick) {
        printf("--quick: a smoke run. The targets are for the full size; (d) in particular scales "
               "quadratically for ref.\n");
    }
    fflush(stdout);

    /* Input arrays, touched before any timing. */
    if (wanted('a') || wanted('b') || wanted('c')) {
        for (int i = 0; i < NUM_ARRAYS; i++) {
            arrays[i] = malloc(cfg.n_elems * sizeof(double));
            if (arrays[i] == NULL) {
                die("out of memory");
            }
            for (size_t j = 0; j < cfg.n_elems; j++) {
                arrays[i][j] = (double) (rng() >> 11) * 0x1.0p-53 * 1000.0 + (double) i;
            }
        }
        expected_sum = 0;
        for (int i = 0; i < NUM_ARRAYS; i++) {
            expected_sum += sum_words(arrays[i], cfg.n_elems * sizeof(double));
        }
    }

    char label[96];
    const char *size_s = cfg.quick ? "64 MiB" : "1 GiB";

    /* (a) write */
    if (wanted('a')) {
        fprintf(stderr, "(a) write %s ...\n", size_s);
        write_arg_t borrow = { KAS_BORROWS_ARRAY, 0, 0 }, copy = { 0, 0, 0 },
                    borrow_sync = { KAS_BORROWS_ARRAY, 1, 0 }, borrow_nosync = { KAS_BORROWS_ARRAY, 0, 1 };
        /* Warm-up and output check (untimed). */
        warm(&ours, scenario_write, &borrow);
        warm(&ref, scenario_write, &borrow);
        if (cfg.side == NULL && !same_bytes(files[F_W_OURS], files[F_W_REF])) {
            die("(a): ours and ref wrote different bytes");
        }
        snprintf(label, sizeof label, "(a) write %s: 8 float64, KAS_BORROWS_ARRAY", size_s);
        row_t *r = new_row(label, 1.0,
            "as shipped: ours = temp file + fsync + rename + dir fsync; ref = fwrite in place, "
            "no fsync");
        run_pair(r, &ours, &ref, scenario_write, &borrow, cfg.reps, cfg.reps);
        snprintf(label, sizeof label, "(a') write %s: 8 float64, plain copy", size_s);
        r = new_row(label, 1.0, "same, but each put copies its array (another pass over memory)");
        run_pair(r, &ours, &ref, scenario_write, &copy, cfg.reps, cfg.reps);
        snprintf(label, sizeof label, "(a\") write %s borrowed + fsync, both", size_s);
        r = new_row(label, 0, "durability-equal: the timed run ends with an fsync of the "
                              "written file for both libraries");
        run_pair(r, &ours, &ref, scenario_write, &borrow_sync, cfg.reps, cfg.reps);
        snprintf(label, sizeof label, "(a*) write %s borrowed, ours not durable", size_s);
        r = new_row(label, 0, "ours with swkas_set_durable(store, 0): atomic rename, no fsync; "
                              "ref as in (a)");
        run_pair(r, &ours, &ref, scenario_write, &borrow_nosync, cfg.reps, cfg.reps);
        unlink(files[F_W_OURS]);
        unlink(files[F_W_REF]);
    }

    /* (b), (c) read. The fixture is written by the reference and synced. */
    if (wanted('b') || wanted('c')) {
        kastore_t s;
        check(&ref, ref.open(&s, files[F_READ], "w", 0), "kastore_open(w)");
        for (int i = 0; i < NUM_ARRAYS; i++) {
            check(&ref, ref.puts_float64(&s, array_keys[i], arrays[i], cfg.n_elems, KAS_BORROWS_ARRAY),
                "kastore_puts_float64");
        }
        check(&ref, ref.close(&s), "kastore_close(w)");
        fsync_path(files[F_READ]);
    }
    if (wanted('b')) {
        fprintf(stderr, "(b) read every byte ...\n");
        read_arg_t arg = { 0, 0 };
        warm(&ours, scenario_read, &arg); /* also checks the sum */
        warm(&ref, scenario_read, &arg);
        snprintf(label, sizeof label, "(b) open KAS_READ_ALL + 8 gets + sum all bytes");
        row_t *r = new_row(label, 1.0, NULL);
        run_pair(r, &ours, &ref, scenario_read, &arg, cfg.reps, cfg.reps);
    }
    if (wanted('c')) {
        fprintf(stderr, "(c) zero-copy open + get ...\n");
        verify_zero_copy(&ours);
        verify_zero_copy(&ref);
        read_arg_t arg = { 1, 0 };
        warm(&ours, scenario_read, &arg);
        warm(&ref, scenario_read, &arg);
        row_t *r = new_row("(c) open + 8 gets (ours mmap, ref lazy)", 10.0,
            "ours: swkas_open_mmap, gets return pointers into the mapping, nothing touched; "
            "ref: kastore_open(r, 0) + gets, which fread each array");
        run_pair(r, &ours, &ref, scenario_read, &arg, cfg.reps, cfg.reps);
        read_arg_t arg2 = { 2, 0 };
        warm(&ours, scenario_read, &arg2);
        warm(&ref, scenario_read, &arg2);
        r = new_row("(c') same + sum all bytes", 0,
            "as (c), then every byte is read: ours pays the page faults of the mapping here");
        run_pair(r, &ours, &ref, scenario_read, &arg2, cfg.reps, cfg.reps);
    }
    if (wanted('b') || wanted('c')) {
        unlink(files[F_READ]);
    }
    for (int i = 0; i < NUM_ARRAYS; i++) {
        free(arrays[i]);
        arrays[i] = NULL;
    }

    /* (d) many keys */
    if (wanted('d')) {
        fprintf(stderr, "(d) %zu keys ...\n", cfg.n_keys);
        key_names = calloc(cfg.n_keys, KEY_LEN);
        key_order = malloc(cfg.n_keys * sizeof(uint32_t));
        key_lens = malloc(cfg.n_keys);
        key_values = malloc(cfg.n_keys * 10 * sizeof(int32_t));
        if (!key_names || !key_order || !key_lens || !key_values) {
            die("out of memory");
        }
        for (size_t k = 0; k < cfg.n_keys; k++) {
            snprintf(key_names + k * KEY_LEN, KEY_LEN, "key_%06u", (unsigned) (k % 1000000));
            key_order[k] = (uint32_t) k;
            key_lens[k] = (uint8_t) (1 + rng() % 10);
            for (int v = 0; v < 10; v++) {
                key_values[k * 10 + v] = (int32_t) (rng() >> 33);
            }
        }
        for (size_t k = cfg.n_keys - 1; k > 0; k--) {
            size_t j = rng() % (k + 1);
            uint32_t t = key_order[k];
            key_order[k] = key_order[j];
            key_order[j] = t;
        }
        snprintf(label, sizeof label, "(d) %zu keys (1-10 int32 each): puts + close",
            cfg.n_keys);
        row_t *r = new_row(label, 50.0,
            "random insertion order; ours' close includes fsync + rename, ref's does not");
        keys_arg_t arg = { r };
        run_pair(r, &ours, &ref, scenario_keys, &arg, cfg.reps, cfg.ref_key_reps);
        if (cfg.side == NULL && !r->ref_lower_bound && !same_bytes(files[F_K_OURS], files[F_K_REF])) {
            die("(d): ours and ref wrote different bytes");
        }
        unlink(files[F_K_OURS]);
        unlink(files[F_K_REF]);
        free(key_names);
        free(key_order);
        free(key_lens);
        free(key_values);
    }

    print_table();
    return 0;
}
