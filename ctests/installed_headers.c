/* Built by check_python_include.sh against the installed Python package's
 * headers and library: a write/read round trip through both APIs. */
#include <kastore.h>
#include <swkas.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
    const double values[] = { 0.5, 1.5, 2.5 };
    kastore_t store;
    void *data = NULL;
    size_t size = 0, n = 0;
    double *read = NULL;

    if (swkas_open_writer(&store, 0) != 0 || kastore_puts_float64(&store, "x", values, 3, 0) != 0
        || swkas_encode(&store, &data, &size) != 0 || kastore_close(&store) != 0) {
        fprintf(stderr, "write failed\n");
        return 1;
    }
    if (swkas_open_buffer(&store, data, size, 0) != 0
        || kastore_gets_float64(&store, "x", &read, &n) != 0 || n != 3
        || memcmp(read, values, sizeof(values)) != 0) {
        fprintf(stderr, "read back failed\n");
        return 1;
    }
    kastore_close(&store);
    free(data);
    printf("kastore %d.%d.%d via swkas %s: ok\n", kas_version().major, kas_version().minor,
        kas_version().patch, swkas_version());
    return 0;
}
