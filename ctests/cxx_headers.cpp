// cxx_headers.cpp: kastore.h and swkas.h must compile as strict C++17 (with the
// extern "C" guards) and link against libswkas. Exits 0 on success.
#include <kastore.h>
#include <swkas.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

static_assert(sizeof(kaitem_t) == 64, "kaitem_t is 64 bytes");
static_assert(sizeof(kastore_t) == 64, "kastore_t is 64 bytes");
static_assert(sizeof(kas_version_t) == 12, "kas_version_t is 12 bytes");
static_assert(std::is_standard_layout<kastore_t>::value, "kastore_t is a C struct");
static_assert(KAS_VERSION_MAJOR == 2 && KAS_VERSION_MINOR == 1 && KAS_VERSION_PATCH == 2,
    "kastore API 2.1.2");

static int failures = 0;

static void
check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "cxx_headers: FAILED: %s\n", what);
        failures++;
    }
}

int
main()
{
    kas_version_t v = kas_version();
    check(v.major == 2 && v.minor == 1 && v.patch == 2, "kas_version() == 2.1.2");
    check(std::strcmp(kas_strerror(KAS_ERR_KEY_NOT_FOUND), "Key not found") == 0,
        "kas_strerror");
    check(std::strcmp(swkas_version(), SWKAS_VERSION_STRING) == 0, "swkas_version");
    check(swkas_version_number() == SWKAS_VERSION_NUMBER, "swkas_version_number");
    check(swkas_type_size(KAS_FLOAT64) == 8, "swkas_type_size");
    check(std::strcmp(swkas_strerror(KAS_ERR_EOF), kas_strerror(KAS_ERR_EOF)) == 0,
        "swkas_strerror");

    // A round trip through memory: writer, encode, buffer reader.
    kastore_t store;
    const int32_t values[3] = { 1, -2, 3 };
    void *data = nullptr;
    size_t size = 0;
    check(swkas_open_writer(&store, 0) == 0, "swkas_open_writer");
    check(kastore_puts_int32(&store, "values", values, 3, 0) == 0, "kastore_puts_int32");
    check(swkas_encode(&store, &data, &size) == 0, "swkas_encode");
    check(kastore_close(&store) == 0, "kastore_close (writer)");
    check(data != nullptr && size == 64 + 64 + 8 + 12, "encoded size");
    if (data != nullptr) {
        int32_t *got = nullptr;
        size_t len = 0;
        check(swkas_open_buffer(&store, data, size, 0) == 0, "swkas_open_buffer");
        check(kastore_gets_int32(&store, "values", &got, &len) == 0, "kastore_gets_int32");
        check(len == 3 && got != nullptr && got[1] == -2, "values read back");
        check(kastore_close(&store) == 0, "kastore_close (reader)");
        std::free(data);
    }
    int *p = static_cast<int *>(std::malloc(sizeof(int)));
    kas_safe_free(p);
    check(p == nullptr, "kas_safe_free");
    kas_bug_assert(failures >= 0);
    if (failures == 0) {
        std::printf("cxx_headers: all checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
