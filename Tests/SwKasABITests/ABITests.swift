// The C ABI of libswkas (kastore.h drop-in and swkas.h), called from Swift
// through the exact C declarations (module CSwKas).

import CSwKas
import SwKas
import SwKasCore
import Testing
import SwKasTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let workedExamplePath = goldenDir + "/worked_example.c.kas"
private let workedExampleBytes = readBytes(workedExamplePath) ?? []

private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

// MARK: - Layout, constants, versions

@Suite("ABI: struct layout and constants (spec §3.1, §3.3)")
struct LayoutTests {
    @Test("kastore_t is 64 bytes with kastore's field offsets")
    func kastoreLayout() {
        #expect(MemoryLayout<kastore_t>.size == 64)
        #expect(MemoryLayout<kastore_t>.stride == 64)
        #expect(MemoryLayout<kastore_t>.alignment == 8)
        #expect(MemoryLayout<kastore_t>.offset(of: \.flags) == 0)
        #expect(MemoryLayout<kastore_t>.offset(of: \.mode) == 4)
        #expect(MemoryLayout<kastore_t>.offset(of: \.file_version) == 8)
        #expect(MemoryLayout<kastore_t>.offset(of: \.num_items) == 16)
        #expect(MemoryLayout<kastore_t>.offset(of: \.items) == 24)
        #expect(MemoryLayout<kastore_t>.offset(of: \.file) == 32)
        #expect(MemoryLayout<kastore_t>.offset(of: \.file_size) == 40)
        #expect(MemoryLayout<kastore_t>.offset(of: \.file_offset) == 48)
        #expect(MemoryLayout<kastore_t>.offset(of: \.key_read_buffer) == 56)
    }

    @Test("kaitem_t is 64 bytes with kastore's field offsets")
    func kaitemLayout() {
        #expect(MemoryLayout<kaitem_t>.size == 64)
        #expect(MemoryLayout<kaitem_t>.stride == 64)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.type) == 0)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.key_len) == 8)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.array_len) == 16)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.key) == 24)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.borrowed_array) == 32)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.array) == 40)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.key_start) == 48)
        #expect(MemoryLayout<kaitem_t>.offset(of: \.array_start) == 56)
    }

    @Test("kas_version_t is three ints; kas_version() is 2.1.2")
    func versions() {
        #expect(MemoryLayout<kas_version_t>.size == 12)
        let version = kas_version()
        #expect(version.major == 2 && version.minor == 1 && version.patch == 2)
        #expect(KAS_VERSION_MAJOR == 2 && KAS_VERSION_MINOR == 1 && KAS_VERSION_PATCH == 2)
        #expect(string(swkas_version()) == SWKAS_VERSION_STRING)
        #expect(swkas_version_number() == SWKAS_VERSION_MAJOR * 10000 + SWKAS_VERSION_MINOR * 100 + SWKAS_VERSION_PATCH)
    }

    @Test("constants have kastore's values")
    func constants() {
        #expect(KAS_READ_ALL == 1 && KAS_GET_TAKES_OWNERSHIP == 2 && KAS_BORROWS_ARRAY == 256)
        #expect(KAS_READ == 1 && KAS_WRITE == 2)
        #expect(KAS_FILE_VERSION_MAJOR == 1 && KAS_FILE_VERSION_MINOR == 0)
        #expect(KAS_HEADER_SIZE == 64 && KAS_ITEM_DESCRIPTOR_SIZE == 64 && KAS_ARRAY_ALIGN == 8)
        #expect(KAS_NUM_TYPES == 10)
        #expect(
            [KAS_INT8, KAS_UINT8, KAS_INT16, KAS_UINT16, KAS_INT32, KAS_UINT32, KAS_INT64, KAS_UINT64, KAS_FLOAT32, KAS_FLOAT64]
                == (0...9).map { Int32($0) })
        #expect(
            [KAS_ERR_GENERIC, KAS_ERR_IO, KAS_ERR_BAD_MODE, KAS_ERR_NO_MEMORY, KAS_ERR_BAD_FILE_FORMAT,
             KAS_ERR_VERSION_TOO_OLD, KAS_ERR_VERSION_TOO_NEW, KAS_ERR_BAD_TYPE, KAS_ERR_EMPTY_KEY,
             KAS_ERR_DUPLICATE_KEY, KAS_ERR_KEY_NOT_FOUND, KAS_ERR_ILLEGAL_OPERATION, KAS_ERR_TYPE_MISMATCH,
             KAS_ERR_EOF, KAS_ERR_BAD_FLAGS] == (1...15).map { -Int32($0) })
        #expect(SWKAS_ERR_INDEX_OUT_OF_RANGE == -101 && SWKAS_ERR_NULL_ARGUMENT == -102 && SWKAS_ERR_TRUNCATED == -103)
    }

    @Test("swkas_type_size gives element sizes, or KAS_ERR_BAD_TYPE")
    func typeSizes() {
        #expect((0...9).map { swkas_type_size(Int32($0)) } == [1, 1, 2, 2, 4, 4, 8, 8, 4, 8])
        for bad: Int32 in [-1, 10, 255, 256, Int32.max, Int32.min] { #expect(swkas_type_size(bad) == KAS_ERR_BAD_TYPE) }
    }
}

// MARK: - Error strings

@Suite("ABI: kas_strerror and swkas_strerror (spec §3.2)")
struct StrerrorTests {
    static let kastoreStrings: [Int32: String] = [
        -1: "Generic error; please file a bug report",
        -3: "Bad open mode; must be \"r\", \"w\", or \"a\"",
        -4: "Out of memory",
        -5: "File not in KAS format",
        -6: "File format version is too old. Please upgrade using 'kas upgrade <filename>'",
        -7: "File format version is too new. Please upgrade your kastore library version",
        -8: "Unknown data type",
        -9: "Keys cannot be empty",
        -10: "Duplicate key provided",
        -11: "Key not found",
        -12: "Cannot perform the requested operation in the current mode",
        -13: "Mismatch between requested and stored types for array",
        -14: "End of file",
        -15: "Unknown flags specified. Only (KAS_GET_TAKES_OWNERSHIP and/orKAS_READ_ALL) or 0 can be specified for open, and KAS_BORROWS_ARRAY or 0 for put",
    ]

    @Test("exact strings for the fixed codes, from both functions")
    func fixedStrings() {
        for (code, text) in Self.kastoreStrings {
            #expect(string(kas_strerror(code)) == text, "code \(code)")
            #expect(string(swkas_strerror(code)) == text, "code \(code)")
        }
    }

    @Test("the strings are static: the same pointer every time")
    func staticStrings() {
        for code: Int32 in [-1, -5, -15, 0, 7] {
            #expect(kas_strerror(code) == kas_strerror(code))
            #expect(kas_strerror(code) != nil)
        }
    }

    @Test("KAS_ERR_IO describes the current errno, or says it is unset")
    func ioStrings() {
        errno = 0
        let unset = string(kas_strerror(KAS_ERR_IO))
        #expect(unset == "I/O error with errno unset. Please file a bug report")
        errno = ENOENT
        let enoent = string(kas_strerror(KAS_ERR_IO))
        #expect(enoent == "No such file or directory")
        errno = EISDIR
        let eisdir = string(swkas_strerror(KAS_ERR_IO))
        #expect(eisdir == "Is a directory")
        errno = 0
    }

    @Test("unknown codes, 0 and positives included, are \"Unknown error\"")
    func unknownCodes() {
        for code: Int32 in [0, 1, 2, 100, -16, -100, -104, -1000, Int32.min, Int32.max] {
            #expect(string(kas_strerror(code)) == "Unknown error", "code \(code)")
            #expect(string(swkas_strerror(code)) == "Unknown error", "code \(code)")
        }
        // swkas codes are unknown to kas_strerror, described by swkas_strerror.
        for code in [SWKAS_ERR_INDEX_OUT_OF_RANGE, SWKAS_ERR_NULL_ARGUMENT, SWKAS_ERR_TRUNCATED] {
            #expect(string(kas_strerror(code)) == "Unknown error")
        }
        #expect(string(swkas_strerror(SWKAS_ERR_INDEX_OUT_OF_RANGE)) == "Item index out of range")
        #expect(string(swkas_strerror(SWKAS_ERR_NULL_ARGUMENT)) == "A required pointer argument is NULL")
        #expect(string(swkas_strerror(SWKAS_ERR_TRUNCATED)) == "File is shorter than the size in its header")
    }
}

// MARK: - Open and read

@Suite("ABI: open, get and contains (spec §3.5, §3.7)")
struct ReadTests {
    @Test("fields after a lazy path open")
    func lazyOpenFields() throws {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 0) == 0)
        let s = store.fields
        #expect(s.mode == KAS_READ)
        #expect(s.flags == 0x4000)
        #expect(s.file_version.0 == 1 && s.file_version.1 == 0)
        #expect(s.num_items == 3)
        #expect(s.file_size == 280)
        #expect(s.file_offset == 0)
        #expect(s.file != nil)
        #expect(store.key(0) == [0x61] && store.key(1) == [0x61, 0x62] && store.key(2) == [0x62])
        // Keys point into one shared buffer, back to back, not NUL-terminated.
        #expect(UnsafeRawPointer(store.item(0).key) == UnsafeRawPointer(s.key_read_buffer))
        #expect(store.item(1).key == store.item(0).key + 1)
        #expect(store.item(2).key == store.item(0).key + 3)
        #expect((0..<3).map { store.item($0).type } == [KAS_INT32, KAS_UINT8, KAS_FLOAT32])
        #expect((0..<3).map { store.item($0).array_len } == [2, 1, 0])
        #expect((0..<3).map { store.item($0).key_start } == [256, 257, 259])
        #expect((0..<3).map { store.item($0).array_start } == [264, 272, 280])
        #expect((0..<3).allSatisfy { store.item($0).array == nil })
        // A lazy open leaves the FILE at the first array.
        #expect(ftell(s.file) == 264)
        #expect(kastore_close(store.pointer) == 0)
        #expect(store.isZeroFilled)
    }

    @Test("fields after a KAS_READ_ALL path open: flags 16385, every array loaded")
    func readAllFields() {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", KAS_READ_ALL) == 0)
        #expect(store.fields.flags == 16385)
        #expect((0..<3).allSatisfy { store.item($0).array != nil })
        #expect(ftell(store.fields.file) == 280)
        let takes = Store()
        #expect(kastore_open(takes.pointer, workedExamplePath, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP) == 0)
        #expect(takes.fields.flags == 0x4003)
    }

    @Test("get: store-owned, stable, never NULL; contains never loads")
    func getAndContains() {
        for flags in [0, KAS_READ_ALL] {
            let store = Store()
            #expect(kastore_open(store.pointer, workedExamplePath, "r", flags) == 0)
            #expect(kastore_containss(store.pointer, "ab") == 1)
            #expect(kastore_contains(store.pointer, "xy", 1) == 0)
            #expect(kastore_contains(store.pointer, "abc", 2) == 1)  // looks up "ab"
            #expect(kastore_contains(store.pointer, "a", 0) == 0)
            #expect(kastore_containss(store.pointer, "") == 0)
            #expect(kastore_containss(store.pointer, "c") == 0)
            if flags == 0 { #expect((0..<3).allSatisfy { store.item($0).array == nil }) }

            let a = get(store, [0x61])
            #expect(a.code == 0 && a.type == KAS_INT32 && a.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
            let again = get(store, [0x61])
            #expect(again.pointer == a.pointer)
            #expect(store.item(0).array == a.pointer)
            let empty = get(store, [0x62])
            #expect(empty.code == 0 && empty.pointer != nil && empty.bytes == [] && empty.type == KAS_FLOAT32)
            #expect(get(store, [0x61, 0x62]).bytes == [7])
            #expect(get(store, [0x63]).code == KAS_ERR_KEY_NOT_FOUND)
            #expect(get(store, [0x61, 0x62, 0x63]).code == KAS_ERR_KEY_NOT_FOUND)
            var array: UnsafeMutableRawPointer?
            var length = 0
            var type: Int32 = 0
            #expect(kastore_get(store.pointer, "a", 0, &array, &length, &type) == KAS_ERR_KEY_NOT_FOUND)
            #expect(kastore_gets(store.pointer, "ab", &array, &length, &type) == 0 && length == 1 && type == KAS_UINT8)
        }
    }

    @Test("a zero-length get does not move the FILE")
    func emptyGetDoesNotSeek() {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 0) == 0)
        #expect(fseek(store.fields.file, 5, SEEK_SET) == 0)
        #expect(get(store, [0x62]).code == 0)
        #expect(ftell(store.fields.file) == 5)
        #expect(get(store, [0x61]).code == 0)
        #expect(ftell(store.fields.file) == 272)
    }

    @Test("typed gets: the right type succeeds; a mismatch still writes array and length")
    func typedGetMismatch() {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 0) == 0)
        var i32: UnsafeMutablePointer<Int32>?
        var length = 0
        #expect(kastore_gets_int32(store.pointer, "a", &i32, &length) == 0)
        #expect(length == 2 && i32?[0] == -1 && i32?[1] == 2)
        var f32: UnsafeMutablePointer<Float>?
        length = 99
        #expect(kastore_gets_float32(store.pointer, "a", &f32, &length) == KAS_ERR_TYPE_MISMATCH)
        #expect(length == 2 && f32 != nil && UnsafeRawPointer(f32) == UnsafeRawPointer(i32))
        var u8: UnsafeMutablePointer<UInt8>?
        #expect(kastore_gets_uint8(store.pointer, "missing", &u8, &length) == KAS_ERR_KEY_NOT_FOUND)
    }

    @Test("KAS_GET_TAKES_OWNERSHIP: each get hands over a new malloc buffer that outlives close")
    func takesOwnership() {
        for flags in [KAS_GET_TAKES_OWNERSHIP, KAS_GET_TAKES_OWNERSHIP | KAS_READ_ALL] {
            let store = Store()
            #expect(kastore_open(store.pointer, workedExamplePath, "r", flags) == 0)
            let first = get(store, [0x61])
            #expect(first.code == 0 && first.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
            #expect(store.item(0).array == nil)
            let second = get(store, [0x61])
            #expect(second.code == 0 && second.bytes == first.bytes)
            #expect(second.pointer != first.pointer)
            #expect(store.item(0).array == nil)
            let empty = get(store, [0x62])
            #expect(empty.code == 0 && empty.pointer != nil)
            // A type mismatch under ownership still hands the buffer over.
            var wrong: UnsafeMutablePointer<Double>?
            var length = 0
            #expect(kastore_gets_float64(store.pointer, "ab", &wrong, &length) == KAS_ERR_TYPE_MISMATCH)
            #expect(wrong != nil && length == 1)
            #expect(kastore_close(store.pointer) == 0)
            // The buffers are the caller's: readable after close, released with free().
            #expect(first.pointer?.load(as: Int32.self) == -1)
            #expect(second.pointer?.load(fromByteOffset: 4, as: Int32.self) == 2)
            #expect(wrong.map { UnsafeRawPointer($0).load(as: UInt8.self) } == 7)
            free(first.pointer)
            free(second.pointer)
            free(empty.pointer)
            free(wrong)
        }
    }

    @Test("a store that does not start at offset 0: gets seek relative to it, in both modes")
    func storeAtOffset() throws {
        let stream = try #require(tmpfile())
        defer { fclose(stream) }
        let junk = [UInt8](repeating: 0xAA, count: 100)
        let all = junk + workedExampleBytes
        #expect(all.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) } == all.count)
        for flags in [0, KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP, KAS_GET_TAKES_OWNERSHIP] {
            #expect(fseek(stream, 100, SEEK_SET) == 0)
            let store = Store()
            #expect(kastore_openf(store.pointer, stream, "r", flags) == 0)
            #expect(store.fields.file_offset == 100)
            #expect(store.fields.flags == flags)  // a caller's FILE: no own-file bit
            for _ in 0..<2 {
                let a = get(store, [0x61])
                #expect(a.code == 0 && a.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0], "flags \(flags)")
                if flags & KAS_GET_TAKES_OWNERSHIP != 0 { free(a.pointer) }
            }
            #expect(kastore_close(store.pointer) == 0)
        }
    }

    @Test("get and contains on a writer are illegal operations")
    func readCallsOnWriter() {
        let store = Store()
        #expect(swkas_open_writer(store.pointer, 0) == 0)
        #expect(kastore_puts_int8(store.pointer, "a", [1], 1, 0) == 0)
        #expect(get(store, [0x61]).code == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_containss(store.pointer, "a") == KAS_ERR_ILLEGAL_OPERATION)
        var i8: UnsafeMutablePointer<Int8>?
        var length = 0
        #expect(kastore_gets_int8(store.pointer, "a", &i8, &length) == KAS_ERR_ILLEGAL_OPERATION)
    }

    @Test("open checks: mode strings, flags, and the order of the checks")
    func openArgumentChecks() throws {
        let store = Store()
        for mode in ["", "rb", "R", "rw", "x", "wb", "a+"] {
            #expect(kastore_open(store.pointer, workedExamplePath, mode, 0) == KAS_ERR_BAD_MODE, "mode \(mode)")
            #expect(store.isZeroFilled)
        }
        for mode in ["a", "", "rb", "R", "w+"] {
            #expect(kastore_openf(store.pointer, nil, mode, 0) == KAS_ERR_BAD_MODE, "mode \(mode)")
        }
        for flags: Int32 in [-1, 4, 5, 256, Int32.min] {
            #expect(kastore_openf(store.pointer, nil, "r", flags) == KAS_ERR_BAD_FLAGS)
            #expect(kastore_openf(store.pointer, nil, "w", flags) == KAS_ERR_BAD_FLAGS)
            #expect(kastore_open(store.pointer, workedExamplePath, "r", flags) == KAS_ERR_BAD_FLAGS)
            #expect(swkas_open_writer(store.pointer, flags) == KAS_ERR_BAD_FLAGS)
        }
        // The path is opened before the flags are checked.
        #expect(kastore_open(store.pointer, "/nonexistent-swkas/x.kas", "r", 99) == KAS_ERR_IO)
        #expect(kastore_open(store.pointer, "/nonexistent-swkas/x.kas", "w", 99) == KAS_ERR_IO)
        // Bad flags in write mode leave an existing file intact (ours; spec §5).
        let directory = TemporaryDirectory()
        let path = directory.file("keep.kas")
        writeBytes(workedExampleBytes, to: path)
        #expect(kastore_open(store.pointer, path, "w", 4) == KAS_ERR_BAD_FLAGS)
        #expect(kastore_open(store.pointer, path, "a", 4) == KAS_ERR_BAD_FLAGS)
        #expect(readBytes(path) == workedExampleBytes)
        // ... and a file the failed open created is removed again.
        #expect(kastore_open(store.pointer, directory.file("new.kas"), "w", 4) == KAS_ERR_BAD_FLAGS)
        #expect(directoryEntries(directory.path) == ["keep.kas"])
        #expect(kastore_close(store.pointer) == 0)
    }

    @Test("KAS_ERR_IO leaves the failing call's errno: ENOENT, EISDIR")
    func ioErrno() {
        let directory = TemporaryDirectory()
        let store = Store()
        let cases: [(String, String, Int32)] = [
            (directory.file("missing.kas"), "r", ENOENT), (directory.file("missing/x.kas"), "w", ENOENT),
            (directory.file("missing.kas"), "a", ENOENT), (directory.path, "r", EISDIR), (directory.path, "w", EISDIR),
        ]
        for (path, mode, expected) in cases {
            errno = 0
            let code = kastore_open(store.pointer, path, mode, 0)
            let saved = errno
            #expect(code == KAS_ERR_IO, "\(mode) \(path)")
            #expect(saved == expected, "\(mode) \(path): errno \(saved)")
            errno = saved
            #expect(string(kas_strerror(code)) == String(cString: strerror(expected)))
            #expect(kastore_close(store.pointer) == 0)
            #expect(store.isZeroFilled)
        }
        for (path, expected) in [(directory.file("missing.kas"), ENOENT), (directory.path, EISDIR)] {
            errno = 0
            let code = swkas_open_mmap(store.pointer, path, 0)
            let saved = errno
            #expect(code == KAS_ERR_IO && saved == expected, "mmap \(path)")
        }
        #expect(directoryEntries(directory.path) == [])
    }

    @Test("an empty file or /dev/null is KAS_ERR_EOF; a write-only FILE is KAS_ERR_IO (EBADF)")
    func emptyAndWriteOnly() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("empty.kas")
        writeBytes([], to: path)
        let store = Store()
        for flags in [0, KAS_READ_ALL] {
            #expect(kastore_open(store.pointer, path, "r", flags) == KAS_ERR_EOF)
            #expect(kastore_open(store.pointer, "/dev/null", "r", flags) == KAS_ERR_EOF)
            #expect(swkas_open_mmap(store.pointer, path, flags) == KAS_ERR_EOF)
            #expect(swkas_open_buffer(store.pointer, nil, 0, flags) == KAS_ERR_EOF)
        }
        let writeOnly = try #require(fopen(directory.file("w.kas"), "wb"))
        defer { fclose(writeOnly) }
        errno = 0
        let code = kastore_openf(store.pointer, writeOnly, "r", 0)
        let saved = errno
        #expect(code == KAS_ERR_IO && saved == EBADF)
    }

    @Test("a failed lazy get keeps nothing: a retry reads again and fails again (spec §5)")
    func failedGetRetry() {
        let store = Store()
        #expect(kastore_open(store.pointer, malformedDir + "/s22_trunc_mid_first_array.kas", "r", 0) == 0)
        #expect(get(store, [0x61]).code == KAS_ERR_BAD_FILE_FORMAT)
        #expect(store.item(0).array == nil)
        #expect(get(store, [0x61]).code == KAS_ERR_BAD_FILE_FORMAT)
        #expect(get(store, [0x62]).code == 0)  // the empty array needs no read
    }

    @Test("openf(\"w\") on a read-only FILE succeeds; the error shows at close as KAS_ERR_IO (EBADF)")
    func writeToReadOnlyFile() throws {
        let stream = try #require(fopen(workedExamplePath, "rb"))
        defer { fclose(stream) }
        let store = Store()
        #expect(kastore_openf(store.pointer, stream, "w", 0) == 0)
        #expect(kastore_puts_int8(store.pointer, "a", [1], 1, 0) == 0)
        errno = 0
        let code = kastore_close(store.pointer)
        let saved = errno
        #expect(code == KAS_ERR_IO && saved == EBADF)
        #expect(store.isZeroFilled)
        #expect(kastore_close(store.pointer) == 0)
        // /dev/null is a device: written in place, successfully.
        #expect(kastore_open(store.pointer, "/dev/null", "w", 0) == 0)
        #expect(kastore_puts_int8(store.pointer, "a", [1], 1, 0) == 0)
        #expect(kastore_close(store.pointer) == 0)
    }

    @Test("close is idempotent, also after a failed open")
    func closeIdempotent() {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 0) == 0)
        #expect(kastore_close(store.pointer) == 0)
        #expect(store.isZeroFilled)
        #expect(kastore_close(store.pointer) == 0)
        #expect(get(store, [0x61]).code == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_containss(store.pointer, "a") == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_puts_int8(store.pointer, "a", [1], 1, 0) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_open(store.pointer, "/nonexistent-swkas/x.kas", "r", 0) == KAS_ERR_IO)
        #expect(store.isZeroFilled)
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 9) == KAS_ERR_BAD_FLAGS)
        #expect(kastore_close(store.pointer) == 0)
        #expect(swkas_open_buffer(store.pointer, [1, 2, 3] as [UInt8], 3, 0) == KAS_ERR_BAD_FILE_FORMAT)
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_close(nil) == 0)
    }
}

// MARK: - Streams

/// Writes `bytes` into a new pipe and returns its read end as a FILE.
private func pipeStream(_ bytes: [UInt8]) -> UnsafeMutablePointer<FILE>? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
    close(fds[1])
    guard written == bytes.count else { close(fds[0]); return nil }
    return fdopen(fds[0], "rb")
}

@Suite("ABI: stdio streams (spec §3.9)")
struct StreamTests {
    @Test("KAS_READ_ALL on a pipe reads two stores back to back, then KAS_ERR_EOF")
    func pipeTwoStores() throws {
        let first = try #require(encodeWithSwkas(workedExampleItems))
        let second = try #require(encodeWithSwkas([([0x7a], KAS_INT64, le(Int64(-42)))]))
        let stream = try #require(pipeStream(first + second))
        defer { fclose(stream) }
        let store = Store()
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == 0)
        #expect(store.fields.num_items == 3 && store.fields.file_offset == 0)
        #expect(get(store, [0x61]).bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
        #expect(get(store, [0x61, 0x62]).bytes == [7])
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == 0)
        #expect(store.fields.num_items == 1)
        #expect(get(store, [0x7a]).bytes == le(Int64(-42)))
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == KAS_ERR_EOF)
        #expect(kastore_close(store.pointer) == 0)
    }

    @Test("a lazy open on a pipe fails in ftell with ESPIPE")
    func lazyPipe() throws {
        let stream = try #require(pipeStream(workedExampleBytes))
        defer { fclose(stream) }
        let store = Store()
        errno = 0
        let code = kastore_openf(store.pointer, stream, "r", 0)
        let saved = errno
        #expect(code == KAS_ERR_IO && saved == ESPIPE)
    }

    @Test("READ_ALL | TAKES_OWNERSHIP on a pipe: the first get hands over, a repeat cannot seek")
    func ownershipOnPipe() throws {
        let stream = try #require(pipeStream(workedExampleBytes))
        defer { fclose(stream) }
        let store = Store()
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP) == 0)
        let first = get(store, [0x61])
        #expect(first.code == 0 && first.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
        free(first.pointer)
        errno = 0
        let again = get(store, [0x61])
        let saved = errno
        #expect(again.code == KAS_ERR_IO && saved == ESPIPE)
        // An empty array needs no read at all.
        let empty = get(store, [0x62])
        #expect(empty.code == 0)
        free(empty.pointer)
    }

    @Test("stores written to one FILE back to back, read back with READ_ALL")
    func backToBackWrites() throws {
        let stream = try #require(tmpfile())
        defer { fclose(stream) }
        let store = Store()
        #expect(kastore_openf(store.pointer, stream, "w", 0) == 0)
        #expect(store.fields.mode == KAS_WRITE && store.fields.flags == 0)
        for (key, type, data) in workedExampleItems {
            let size = Int(swkas_type_size(type))
            let code = withKey(key) { k, n in data.withUnsafeBytes { kastore_put(store.pointer, k, n, $0.baseAddress, data.count / size, type, 0) } }
            #expect(code == 0)
        }
        #expect(kastore_close(store.pointer) == 0)
        #expect(ftell(stream) == 280)
        #expect(kastore_openf(store.pointer, stream, "w", KAS_READ_ALL) == 0)  // flags accepted, ignored
        #expect(kastore_close(store.pointer) == 0)
        #expect(ftell(stream) == 344)
        rewind(stream)
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == 0)
        #expect(store.fields.num_items == 3)
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == 0)
        #expect(store.fields.num_items == 0 && store.fields.file_size == 64)
        #expect(kastore_close(store.pointer) == 0)
        #expect(kastore_openf(store.pointer, stream, "r", KAS_READ_ALL) == KAS_ERR_EOF)
        fflush(stream)
        rewind(stream)
        var all = [UInt8](repeating: 0, count: 400)
        let count = all.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, stream) }
        #expect(Array(all.prefix(count)) == workedExampleBytes + (readBytes(goldenDir + "/empty.c.kas") ?? []))
    }
}

// MARK: - Write mode

private typealias PutsFunction<T> = (UnsafeMutablePointer<kastore_t>?, UnsafePointer<CChar>?, UnsafePointer<T>?, Int, Int32) -> Int32
private typealias OputsFunction<T> = (UnsafeMutablePointer<kastore_t>?, UnsafePointer<CChar>?, UnsafeMutablePointer<T>?, Int, Int32) -> Int32
private typealias GetsFunction<T> = (UnsafeMutablePointer<kastore_t>?, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, UnsafeMutablePointer<Int>?) -> Int32

/// Writes `values` with the typed put (copy and borrowed) and own-put, reads
/// them back with the typed get, and checks a typed get of another type.
private func typedRoundTrip<T: BitwiseCopyable>(
    _ values: [T], code: Int32, puts: PutsFunction<T>, oputs: OputsFunction<T>, gets: GetsFunction<T>,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let directory = TemporaryDirectory()
    let path = directory.file("typed.kas")
    let size = MemoryLayout<T>.stride
    let valueBytes = values.withUnsafeBytes { Array($0) }
    let store = Store()
    #expect(kastore_open(store.pointer, path, "w", 0) == 0, sourceLocation: sourceLocation)
    #expect(puts(store.pointer, "copy", values, values.count, 0) == 0, sourceLocation: sourceLocation)
    let owned = malloc(Swift.max(1, values.count * size))!.assumingMemoryBound(to: T.self)
    values.withUnsafeBufferPointer { owned.initialize(from: $0.baseAddress!, count: values.count) }
    #expect(oputs(store.pointer, "owned", owned, values.count, 0) == 0, sourceLocation: sourceLocation)
    let borrowed = UnsafeMutablePointer<T>.allocate(capacity: values.count)
    defer { borrowed.deallocate() }
    values.withUnsafeBufferPointer { borrowed.initialize(from: $0.baseAddress!, count: values.count) }
    #expect(puts(store.pointer, "borrowed", borrowed, values.count, KAS_BORROWS_ARRAY) == 0, sourceLocation: sourceLocation)
    #expect(puts(store.pointer, "empty", nil, 0, 0) == 0, sourceLocation: sourceLocation)
    let otherType: Int32 = code == KAS_INT8 ? KAS_UINT8 : KAS_INT8
    #expect(kastore_puts(store.pointer, "other", [1] as [UInt8], 1, otherType, 0) == 0, sourceLocation: sourceLocation)
    #expect(store.fields.num_items == 5, sourceLocation: sourceLocation)
    #expect((0..<5).map { store.item($0).type } == [code, code, code, code, otherType], sourceLocation: sourceLocation)
    #expect(kastore_close(store.pointer) == 0, sourceLocation: sourceLocation)

    for flags in [0, KAS_READ_ALL] {
        #expect(kastore_open(store.pointer, path, "r", flags) == 0, sourceLocation: sourceLocation)
        for key in ["borrowed", "copy", "owned"] {
            var array: UnsafeMutablePointer<T>?
            var length = -1
            #expect(gets(store.pointer, key, &array, &length) == 0, sourceLocation: sourceLocation)
            #expect(length == values.count, sourceLocation: sourceLocation)
            let got = Array(UnsafeRawBufferPointer(start: array, count: length * size))
            #expect(got == valueBytes, "\(key)", sourceLocation: sourceLocation)
        }
        var array: UnsafeMutablePointer<T>?
        var length = -1
        #expect(gets(store.pointer, "empty", &array, &length) == 0 && length == 0 && array != nil, sourceLocation: sourceLocation)
        array = nil
        #expect(gets(store.pointer, "other", &array, &length) == KAS_ERR_TYPE_MISMATCH, sourceLocation: sourceLocation)
        #expect(array != nil && length == 1, sourceLocation: sourceLocation)
        #expect(gets(store.pointer, "nothing", &array, &length) == KAS_ERR_KEY_NOT_FOUND, sourceLocation: sourceLocation)
        #expect(kastore_close(store.pointer) == 0, sourceLocation: sourceLocation)
    }
}

@Suite("ABI: put, oput and close (spec §3.6, §3.8)")
struct WriteTests {
    @Test("typed puts, oputs and gets round-trip all ten types")
    func typedFunctions() {
        typedRoundTrip([Int8.min, -1, 0, 1, Int8.max], code: KAS_INT8, puts: kastore_puts_int8, oputs: kastore_oputs_int8, gets: kastore_gets_int8)
        typedRoundTrip([0, 1, 0x80, UInt8.max] as [UInt8], code: KAS_UINT8, puts: kastore_puts_uint8, oputs: kastore_oputs_uint8, gets: kastore_gets_uint8)
        typedRoundTrip([Int16.min, -2, 0, 300, Int16.max], code: KAS_INT16, puts: kastore_puts_int16, oputs: kastore_oputs_int16, gets: kastore_gets_int16)
        typedRoundTrip([0, 1, 0x8000, UInt16.max] as [UInt16], code: KAS_UINT16, puts: kastore_puts_uint16, oputs: kastore_oputs_uint16, gets: kastore_gets_uint16)
        typedRoundTrip([Int32.min, -70000, 0, Int32.max], code: KAS_INT32, puts: kastore_puts_int32, oputs: kastore_oputs_int32, gets: kastore_gets_int32)
        typedRoundTrip([0, 1, 0x8000_0000, UInt32.max] as [UInt32], code: KAS_UINT32, puts: kastore_puts_uint32, oputs: kastore_oputs_uint32, gets: kastore_gets_uint32)
        typedRoundTrip([Int64.min, -1, 0, Int64.max], code: KAS_INT64, puts: kastore_puts_int64, oputs: kastore_oputs_int64, gets: kastore_gets_int64)
        typedRoundTrip([0, 1, 1 << 63, UInt64.max] as [UInt64], code: KAS_UINT64, puts: kastore_puts_uint64, oputs: kastore_oputs_uint64, gets: kastore_gets_uint64)
        typedRoundTrip([-Float.infinity, -0.0, 0.1, .nan, Float.greatestFiniteMagnitude], code: KAS_FLOAT32, puts: kastore_puts_float32, oputs: kastore_oputs_float32, gets: kastore_gets_float32)
        typedRoundTrip([-Double.infinity, -0.0, 0.1, .nan, Double.leastNonzeroMagnitude], code: KAS_FLOAT64, puts: kastore_puts_float64, oputs: kastore_oputs_float64, gets: kastore_gets_float64)
    }

    @Test("writer fields: insertion order, private key copies, exact num_items")
    func writerFields() {
        let store = Store()
        #expect(swkas_open_writer(store.pointer, 0) == 0)
        #expect(store.fields.mode == KAS_WRITE && store.fields.num_items == 0 && store.fields.file == nil)
        var key: [CChar] = Array("zeta".utf8CString)
        #expect(kastore_puts_int16(store.pointer, key, [1, 2], 2, 0) == 0)
        key[0] = CChar(UInt8(ascii: "b"))  // the store keeps its own copy
        #expect(kastore_puts_int16(store.pointer, key, [3], 1, 0) == 0)
        #expect(kastore_put(store.pointer, "a\u{0}b", 3, [9] as [UInt8], 1, KAS_UINT8, 0) == 0)
        #expect(store.fields.num_items == 3)
        #expect(store.key(0) == Array("zeta".utf8) && store.key(1) == Array("beta".utf8) && store.key(2) == [0x61, 0, 0x62])
        #expect(UnsafeRawPointer(store.item(0).key) != UnsafeRawPointer(key))
        #expect(store.item(0).array_len == 2 && store.item(0).array != nil && store.item(0).borrowed_array == nil)
    }

    @Test("put error precedence in read mode (spec §3.8)")
    func putPrecedenceRead() {
        let store = Store()
        #expect(kastore_open(store.pointer, workedExamplePath, "r", 0) == 0)
        let one: [Int32] = [1]
        #expect(kastore_put(store.pointer, "k", 1, one, 1, 99, 1) == KAS_ERR_BAD_FLAGS)
        #expect(kastore_put(store.pointer, "k", 1, one, 1, 99, 0) == KAS_ERR_BAD_TYPE)
        #expect(kastore_put(store.pointer, "k", 0, one, 1, -1, KAS_BORROWS_ARRAY) == KAS_ERR_BAD_TYPE)
        #expect(kastore_put(store.pointer, "k", 0, one, 1, KAS_INT32, 0) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_put(store.pointer, "a", 1, one, 1, KAS_INT32, KAS_BORROWS_ARRAY) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_oput(store.pointer, "k", 1, nil, 0, 99, 256) == KAS_ERR_BAD_FLAGS)
        #expect(kastore_oput(store.pointer, "k", 1, nil, 0, 99, 0) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_oput(store.pointer, "k", 0, nil, 0, KAS_INT8, 0) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_puts_int32(store.pointer, "k", one, 1, 0) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_puts_int32(store.pointer, "k", one, 1, 3) == KAS_ERR_BAD_FLAGS)
        #expect(store.fields.num_items == 3 && store.fields.mode == KAS_READ)
    }

    @Test("put and oput error precedence in write mode; failures change nothing")
    func putPrecedenceWrite() {
        let store = Store()
        #expect(swkas_open_writer(store.pointer, 0) == 0)
        let one: [Int32] = [1]
        #expect(kastore_puts_int32(store.pointer, "a", one, 1, 0) == 0)
        let before = (store.fields.num_items, store.key(0), store.item(0).array)
        for flags: Int32 in [1, 2, 255, 257, -1, Int32.min] {
            #expect(kastore_put(store.pointer, "b", 1, one, 1, KAS_INT32, flags) == KAS_ERR_BAD_FLAGS)
            #expect(kastore_put(store.pointer, "a", 0, one, 1, 99, flags) == KAS_ERR_BAD_FLAGS)
        }
        for type: Int32 in [-1, 10, 99, Int32.max] {
            #expect(kastore_put(store.pointer, "b", 1, one, 1, type, 0) == KAS_ERR_BAD_TYPE)
            #expect(kastore_put(store.pointer, "a", 1, one, 1, type, 0) == KAS_ERR_BAD_TYPE)  // before DUPLICATE_KEY
            #expect(kastore_put(store.pointer, "", 0, one, 1, type, 0) == KAS_ERR_BAD_TYPE)  // before EMPTY_KEY
        }
        #expect(kastore_put(store.pointer, "b", 0, one, 1, KAS_INT32, 0) == KAS_ERR_EMPTY_KEY)
        #expect(kastore_puts(store.pointer, "", one, 1, KAS_INT32, KAS_BORROWS_ARRAY) == KAS_ERR_EMPTY_KEY)
        #expect(kastore_put(store.pointer, "a", 1, one, 1, KAS_INT32, 0) == KAS_ERR_DUPLICATE_KEY)
        #expect(kastore_put(store.pointer, "ab", 1, one, 1, KAS_UINT8, KAS_BORROWS_ARRAY) == KAS_ERR_DUPLICATE_KEY)
        // NULL array with elements: KAS_ERR_GENERIC (spec §5); a byte size past size_t: NO_MEMORY.
        #expect(kastore_put(store.pointer, "n", 1, nil, 3, KAS_INT32, 0) == KAS_ERR_GENERIC)
        #expect(kastore_put(store.pointer, "n", 1, nil, 3, KAS_INT32, KAS_BORROWS_ARRAY) == KAS_ERR_GENERIC)
        #expect(kastore_put(store.pointer, "n", 1, one, Int.max / 4 + 1, KAS_INT64, 0) == KAS_ERR_NO_MEMORY)
        #expect(kastore_put(store.pointer, "n", 1, one, Int.max / 4 + 1, KAS_INT64, KAS_BORROWS_ARRAY) == KAS_ERR_NO_MEMORY)

        // oput: flags first (even KAS_BORROWS_ARRAY), then type, empty key, duplicate.
        let buffer = malloc(4)!
        #expect(kastore_oput(store.pointer, "b", 1, buffer, 1, KAS_INT32, KAS_BORROWS_ARRAY) == KAS_ERR_BAD_FLAGS)
        #expect(kastore_oput(store.pointer, "", 0, buffer, 1, 99, 0) == KAS_ERR_BAD_TYPE)
        #expect(kastore_oput(store.pointer, "b", 0, buffer, 1, KAS_INT32, 0) == KAS_ERR_EMPTY_KEY)
        #expect(kastore_oput(store.pointer, "a", 1, buffer, 1, KAS_INT32, 0) == KAS_ERR_DUPLICATE_KEY)
        #expect(kastore_oputs_int32(store.pointer, "a", buffer.assumingMemoryBound(to: Int32.self), 1, 0) == KAS_ERR_DUPLICATE_KEY)
        #expect(kastore_oput(store.pointer, "n", 1, nil, 2, KAS_INT32, 0) == KAS_ERR_GENERIC)
        free(buffer)  // ownership passes only on success

        #expect(store.fields.num_items == before.0)
        #expect(store.key(0) == before.1 && store.item(0).array == before.2)
        // NULL with no elements is fine, copied or borrowed.
        #expect(kastore_put(store.pointer, "e1", 2, nil, 0, KAS_FLOAT64, 0) == 0)
        #expect(kastore_oput(store.pointer, "e2", 2, nil, 0, KAS_FLOAT64, 0) == 0)
        #expect(store.fields.num_items == 3)
        var data: UnsafeMutableRawPointer?
        var size = 0
        #expect(swkas_encode(store.pointer, &data, &size) == 0)
        let reader = Store()
        #expect(swkas_open_buffer(reader.pointer, data, size, 0) == 0)
        #expect(reader.fields.num_items == 3)
        #expect(kastore_close(reader.pointer) == 0)
        free(data)
    }

    @Test("KAS_BORROWS_ARRAY: no copy; the contents at close are written")
    func borrowsArray() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("borrow.kas")
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: 3)
        defer { buffer.deallocate() }
        buffer.initialize(from: [1, 2, 3], count: 3)
        let store = Store()
        #expect(kastore_open(store.pointer, path, "w", 0) == 0)
        #expect(kastore_puts_int32(store.pointer, "b", buffer, 3, KAS_BORROWS_ARRAY) == 0)
        #expect(store.item(0).array == nil)
        #expect(store.item(0).borrowed_array == UnsafeRawPointer(buffer))
        #expect(kastore_puts(store.pointer, "n", nil, 0, KAS_INT8, KAS_BORROWS_ARRAY) == 0)
        #expect(store.item(1).array != nil)  // kastore's 1-byte placeholder
        #expect(store.item(1).borrowed_array == nil)
        buffer[0] = 100
        buffer[2] = -300
        // Nothing is written before close.
        #expect(readBytes(path) == [])
        #expect(kastore_close(store.pointer) == 0)
        let reader = Store()
        #expect(kastore_open(reader.pointer, path, "r", 0) == 0)
        #expect(get(reader, [0x62]).bytes == le(Int32(100)) + le(Int32(2)) + le(Int32(-300)))
        let empty = get(reader, [0x6e])
        #expect(empty.code == 0 && empty.bytes == [] && empty.type == KAS_INT8)
    }

    @Test("swkas_open_writer + swkas_encode equals kastore_open(\"w\") output and leaves the store unchanged")
    func encodeMatchesFile() throws {
        let encoded = try #require(encodeWithSwkas(workedExampleItems))
        #expect(encoded == workedExampleBytes)
        #expect(encoded.count == 280)

        let directory = TemporaryDirectory()
        let path = directory.file("w.kas")
        let file = Store()
        let memory = Store()
        #expect(kastore_open(file.pointer, path, "w", 0) == 0)
        #expect(swkas_open_writer(memory.pointer, KAS_READ_ALL) == 0)
        let keys = (0..<50).map { Array("key-\(($0 * 37) % 50)".utf8) }
        for (index, key) in keys.enumerated() {
            let values = (0..<(index % 5)).map { Double($0) * 0.5 }
            for store in [file, memory] {
                #expect(withKey(key) { kastore_put(store.pointer, $0, $1, values, values.count, KAS_FLOAT64, 0) } == 0)
            }
        }
        var data: UnsafeMutableRawPointer?
        var size = 0
        #expect(swkas_encode(memory.pointer, &data, &size) == 0)
        let first = Array(UnsafeRawBufferPointer(start: data, count: size))
        free(data)
        // Still open, still in insertion order; a second encode gives the same bytes.
        #expect(memory.fields.num_items == 50)
        #expect((0..<50).map { memory.key($0) } == keys)
        #expect(swkas_encode(memory.pointer, &data, &size) == 0)
        #expect(Array(UnsafeRawBufferPointer(start: data, count: size)) == first)
        free(data)
        // swkas_encode on a file writer works too, before close.
        #expect(swkas_encode(file.pointer, &data, &size) == 0)
        #expect(Array(UnsafeRawBufferPointer(start: data, count: size)) == first)
        free(data)
        #expect(kastore_close(file.pointer) == 0)
        #expect(kastore_close(memory.pointer) == 0)
        #expect(readBytes(path) == first)
        #expect(directoryEntries(directory.path) == ["w.kas"])

        // Misuse: readers and closed stores cannot encode; NULL outputs are rejected.
        let reader = Store()
        #expect(kastore_open(reader.pointer, workedExamplePath, "r", 0) == 0)
        #expect(swkas_encode(reader.pointer, &data, &size) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(swkas_encode(memory.pointer, &data, &size) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(swkas_encode(reader.pointer, nil, &size) == SWKAS_ERR_NULL_ARGUMENT)
    }

    @Test("an empty writer encodes to the 64-byte empty store")
    func emptyWriter() throws {
        let empty = try #require(encodeWithSwkas([]))
        #expect(empty == readBytes(goldenDir + "/empty.c.kas"))
        #expect(empty.count == 64)
    }

    @Test("the golden stores re-encode byte for byte through the C API")
    func goldenReencode() throws {
        #expect(Manifests.golden.count == 58)
        for entry in Manifests.golden {
            let items = entry.items.reversed().map { (hexBytes($0.key_hex), Int32($0.type), hexBytes($0.data_hex)) }
            #expect(encodeWithSwkas(items) == readBytes(goldenDir + "/" + entry.file), "\(entry.file)")
        }
    }

    @Test("1,000,000 puts with distinct small keys, then encode and reopen")
    func millionPuts() throws {
        let count = 1_000_000
        let store = Store()
        #expect(swkas_open_writer(store.pointer, 0) == 0)
        var key = [CChar](repeating: 0, count: 16)
        var failures = 0
        var keyBytes = 0
        key.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            base[0] = CChar(UInt8(ascii: "k"))
            for i in 0..<count {
                // "k" followed by the decimal digits of i.
                var digits = 0
                var n = i
                repeat { digits += 1; n /= 10 } while n > 0
                n = i
                for position in stride(from: digits, through: 1, by: -1) {
                    base[position] = CChar(UInt8(ascii: "0") + UInt8(n % 10))
                    n /= 10
                }
                var value = UInt32(i)
                if kastore_put(store.pointer, base, digits + 1, &value, 1, KAS_UINT32, 0) != 0 { failures += 1 }
                keyBytes += digits + 1
            }
        }
        #expect(failures == 0)
        #expect(store.fields.num_items == count)
        #expect(kastore_puts_uint32(store.pointer, "k999999", [0], 1, 0) == KAS_ERR_DUPLICATE_KEY)
        var data: UnsafeMutableRawPointer?
        var size = 0
        #expect(swkas_encode(store.pointer, &data, &size) == 0)
        defer { free(data) }
        let firstArray = (64 + 64 * count + keyBytes + 7) / 8 * 8
        #expect(size == firstArray + 8 * (count - 1) + 4)
        #expect(kastore_close(store.pointer) == 0)

        let reader = Store()
        #expect(swkas_open_buffer(reader.pointer, data, size, 0) == 0)
        #expect(reader.fields.num_items == count)
        #expect(reader.key(0) == Array("k0".utf8) && reader.key(1) == Array("k1".utf8) && reader.key(2) == Array("k10".utf8))
        #expect(reader.key(count - 1) == Array("k999999".utf8))
        for i in [0, 7, 123_456, 999_999] {
            var array: UnsafeMutablePointer<UInt32>?
            var length = 0
            #expect(kastore_gets_uint32(reader.pointer, "k\(i)", &array, &length) == 0)
            #expect(length == 1 && array?.pointee == UInt32(i))
        }
        #expect(kastore_close(reader.pointer) == 0)
    }
}

// MARK: - Append

@Suite("ABI: append mode (spec §3.8)")
struct AppendTests {
    @Test("append re-puts the old items and rewrites the file in canonical form")
    func append() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("a.kas")
        writeBytes(workedExampleBytes, to: path)
        #expect(chmod(path, 0o640) == 0)
        let store = Store()
        #expect(kastore_open(store.pointer, path, "a", 0) == 0)
        #expect(store.fields.mode == KAS_WRITE)
        #expect(store.fields.num_items == 3)
        #expect(store.fields.flags & 0x4000 != 0)
        #expect(kastore_puts_int32(store.pointer, "a", [5], 1, 0) == KAS_ERR_DUPLICATE_KEY)
        #expect(kastore_puts_int8(store.pointer, "c", [-3], 1, 0) == 0)
        #expect(get(store, [0x61]).code == KAS_ERR_ILLEGAL_OPERATION)
        #expect(kastore_containss(store.pointer, "a") == KAS_ERR_ILLEGAL_OPERATION)
        #expect(store.fields.num_items == 4)
        // Nothing changes on disk before close.
        #expect(readBytes(path) == workedExampleBytes)
        #expect(kastore_close(store.pointer) == 0)
        let expected = try #require(encodeWithSwkas(workedExampleItems + [([0x63], KAS_INT8, [0xfd])]))
        #expect(readBytes(path) == expected)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o7777 == 0o640)
        #expect(directoryEntries(directory.path) == ["a.kas"])
    }

    @Test("append to an empty store, to an empty file, to a missing or corrupt file")
    func appendErrors() throws {
        let directory = TemporaryDirectory()
        let store = Store()
        let emptyStore = directory.file("empty-store.kas")
        writeBytes(readBytes(goldenDir + "/empty.c.kas") ?? [], to: emptyStore)
        #expect(kastore_open(store.pointer, emptyStore, "a", 0) == 0)
        #expect(store.fields.num_items == 0)
        #expect(kastore_puts_uint8(store.pointer, "ab", [7], 1, 0) == 0)
        #expect(kastore_close(store.pointer) == 0)
        #expect(readBytes(emptyStore) == encodeWithSwkas([([0x61, 0x62], KAS_UINT8, [7])]))

        let emptyFile = directory.file("empty.kas")
        writeBytes([], to: emptyFile)
        #expect(kastore_open(store.pointer, emptyFile, "a", 0) == KAS_ERR_EOF)
        #expect(kastore_open(store.pointer, "/dev/null", "a", 0) == KAS_ERR_EOF)
        errno = 0
        #expect(kastore_open(store.pointer, directory.file("missing.kas"), "a", 0) == KAS_ERR_IO)
        #expect(errno == ENOENT)
        let corrupt = directory.file("corrupt.kas")
        var bytes = workedExampleBytes
        bytes[0] = 0
        writeBytes(bytes, to: corrupt)
        #expect(kastore_open(store.pointer, corrupt, "a", 0) == KAS_ERR_BAD_FILE_FORMAT)
        #expect(readBytes(corrupt) == bytes)
        #expect(kastore_close(store.pointer) == 0)
        #expect(directoryEntries(directory.path) == ["corrupt.kas", "empty-store.kas", "empty.kas"])
    }
}

// MARK: - Memory readers and enumeration

@Suite("ABI: swkas_open_mmap, swkas_open_buffer, swkas_item, swkas_get_at")
struct MemoryReaderTests {
    @Test("swkas_open_buffer: arrays point into the caller's buffer")
    func bufferPointers() throws {
        let size = workedExampleBytes.count + 16
        let data = try #require(malloc(size))
        defer { free(data) }
        workedExampleBytes.withUnsafeBytes { if let source = $0.baseAddress { _ = memcpy(data, source, $0.count) } }
        for flags in [0, KAS_READ_ALL] {
            let store = Store()
            #expect(swkas_open_buffer(store.pointer, data, size, flags) == 0)
            #expect(store.fields.num_items == 3 && store.fields.mode == KAS_READ && store.fields.file == nil)
            #expect(store.fields.file_size == 280)
            for index in 0..<3 {
                #expect(store.item(index).array == data + store.item(index).array_start)
            }
            let a = get(store, [0x61])
            #expect(a.pointer == data + 264 && a.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
            let b = get(store, [0x62])
            #expect(b.pointer == data + 280)
            #expect(kastore_close(store.pointer) == 0)
        }
        // With ownership, gets return malloc'ed copies.
        let owning = Store()
        #expect(swkas_open_buffer(owning.pointer, data, size, KAS_GET_TAKES_OWNERSHIP) == 0)
        let copy = get(owning, [0x61])
        #expect(copy.code == 0 && copy.pointer != data + 264 && copy.bytes == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
        #expect(owning.item(0).array == data + 264)
        #expect(kastore_close(owning.pointer) == 0)
        #expect(copy.pointer?.load(as: Int32.self) == -1)
        free(copy.pointer)
        // The buffer is borrowed, never freed or changed.
        #expect(Array(UnsafeRawBufferPointer(start: data, count: 280)) == workedExampleBytes)
    }

    @Test("swkas_open_mmap: arrays point into one page-aligned mapping")
    func mmapPointers() throws {
        let path = goldenDir + "/all_dtypes.c.kas"
        let bytes = try #require(readBytes(path))
        let store = Store()
        #expect(swkas_open_mmap(store.pointer, path, 0) == 0)
        let count = store.fields.num_items
        #expect(count == 10)
        let first = try #require(store.item(0).array)
        let base = UnsafeRawPointer(first) - store.item(0).array_start
        #expect(UInt(bitPattern: base) % UInt(sysconf(Int32(_SC_PAGESIZE))) == 0)
        for index in 0..<count {
            let item = store.item(index)
            #expect(item.array.map { UnsafeRawPointer($0) } == base + item.array_start)
            let got = get(store, store.key(index))
            #expect(got.code == 0 && got.pointer.map { UnsafeRawPointer($0) } == base + item.array_start)
            let size = item.array_len * Int(swkas_type_size(item.type))
            #expect(got.bytes == Array(bytes[item.array_start..<(item.array_start + size)]))
        }
        #expect(kastore_close(store.pointer) == 0)
        #expect(store.isZeroFilled)
    }

    @Test("swkas_open_mmap on golden stores matches kastore_open")
    func mmapGolden() throws {
        for entry in Manifests.golden {
            let path = goldenDir + "/" + entry.file
            let mapped = Store()
            let streamed = Store()
            #expect(swkas_open_mmap(mapped.pointer, path, 0) == 0)
            #expect(kastore_open(streamed.pointer, path, "r", KAS_READ_ALL) == 0)
            #expect(mapped.fields.num_items == entry.items.count)
            for (index, item) in entry.items.enumerated() {
                let key = hexBytes(item.key_hex)
                #expect(mapped.key(index) == key)
                #expect(get(mapped, key).bytes == hexBytes(item.data_hex), "\(entry.file)")
                #expect(get(streamed, key).bytes == hexBytes(item.data_hex), "\(entry.file)")
            }
        }
    }

    @Test("swkas_item: readers in key order, writers in insertion order, range-checked")
    func itemEnumeration() {
        let reader = Store()
        #expect(kastore_open(reader.pointer, goldenDir + "/keys_case.c.kas", "r", 0) == 0)
        var keys: [[UInt8]] = []
        for index in 0..<reader.fields.num_items {
            var key: UnsafePointer<CChar>?
            var keyLength = 0
            var type: Int32 = -1
            var length = -1
            #expect(swkas_item(reader.pointer, index, &key, &keyLength, &type, &length) == 0)
            keys.append(Array(UnsafeRawBufferPointer(start: key, count: keyLength)))
            #expect(type == KAS_UINT8 && length == 1)
            #expect(reader.item(index).array == nil)  // not loaded
        }
        #expect(keys == ["0", "A", "Z", "_", "a", "z", "~"].map { Array($0.utf8) })
        #expect(swkas_item(reader.pointer, 0, nil, nil, nil, nil) == 0)
        #expect(swkas_item(reader.pointer, 7, nil, nil, nil, nil) == SWKAS_ERR_INDEX_OUT_OF_RANGE)
        #expect(swkas_item(reader.pointer, -1, nil, nil, nil, nil) == SWKAS_ERR_INDEX_OUT_OF_RANGE)
        #expect(swkas_item(reader.pointer, Int.max, nil, nil, nil, nil) == SWKAS_ERR_INDEX_OUT_OF_RANGE)

        let writer = Store()
        #expect(swkas_open_writer(writer.pointer, 0) == 0)
        for (index, name) in ["z", "a", "m"].enumerated() {
            #expect(kastore_puts_int64(writer.pointer, name, [Int64(index)], 1, 0) == 0)
        }
        var names: [String] = []
        for index in 0..<3 {
            var key: UnsafePointer<CChar>?
            var keyLength = 0
            var type: Int32 = -1
            #expect(swkas_item(writer.pointer, index, &key, &keyLength, &type, nil) == 0)
            names.append(String(decoding: UnsafeRawBufferPointer(start: key, count: keyLength), as: UTF8.self))
            #expect(type == KAS_INT64)
        }
        #expect(names == ["z", "a", "m"])
        #expect(swkas_item(writer.pointer, 3, nil, nil, nil, nil) == SWKAS_ERR_INDEX_OUT_OF_RANGE)
        #expect(kastore_close(writer.pointer) == 0)
        #expect(swkas_item(writer.pointer, 0, nil, nil, nil, nil) == KAS_ERR_ILLEGAL_OPERATION)
        #expect(swkas_item(nil, 0, nil, nil, nil, nil) == SWKAS_ERR_NULL_ARGUMENT)
    }

    @Test("swkas_get_at loads by index, readers only")
    func getAt() {
        for flags in [0, KAS_READ_ALL] {
            let store = Store()
            #expect(kastore_open(store.pointer, workedExamplePath, "r", flags) == 0)
            var array: UnsafeMutableRawPointer?
            var length = -1
            var type: Int32 = -1
            #expect(swkas_get_at(store.pointer, 1, &array, &length, &type) == 0)
            #expect(length == 1 && type == KAS_UINT8 && array?.load(as: UInt8.self) == 7)
            #expect(store.item(1).array == array)
            #expect(swkas_get_at(store.pointer, 0, &array, &length, &type) == 0)
            #expect(length == 2 && type == KAS_INT32 && array?.load(fromByteOffset: 4, as: Int32.self) == 2)
            #expect(swkas_get_at(store.pointer, 3, &array, &length, &type) == SWKAS_ERR_INDEX_OUT_OF_RANGE)
            #expect(swkas_get_at(store.pointer, -1, &array, &length, &type) == SWKAS_ERR_INDEX_OUT_OF_RANGE)
        }
        let writer = Store()
        #expect(swkas_open_writer(writer.pointer, 0) == 0)
        #expect(kastore_puts_int8(writer.pointer, "a", [1], 1, 0) == 0)
        var array: UnsafeMutableRawPointer?
        #expect(swkas_get_at(writer.pointer, 0, &array, nil, nil) == KAS_ERR_ILLEGAL_OPERATION)
    }
}

// MARK: - The malformed corpus

private let malformedFiles = Manifests.malformed.map(\.file)

/// What a memory reader (mmap or buffer) must return for a corpus file: the
/// lazy open's code, SWKAS_ERR_TRUNCATED when arrays lie past the end, else 0.
private func expectedMemoryCode(_ entry: MalformedEntry) -> Int32 {
    // Memory readers know the real size: what a stream cannot allocate is,
    // for them, simply more than the data holds.
    if entry.expected.lazy.open == KAS_ERR_NO_MEMORY { return KAS_ERR_BAD_FILE_FORMAT }
    if entry.expected.lazy.open != 0 { return entry.expected.lazy.open }
    if entry.expected.lazy.gets.contains(where: { $0 != 0 }) || entry.expected.read_all.open != 0 {
        return SWKAS_ERR_TRUNCATED
    }
    return 0
}

/// Opens with `open`, and on success gets every item by its own key.
private func probe(_ store: Store, _ open: () -> Int32) -> (open: Int32, gets: [Int32]) {
    let code = open()
    guard code == 0 else { return (code, []) }
    let gets = (0..<store.fields.num_items).map { index -> Int32 in
        let result = get(store, store.key(index))
        if store.fields.flags & KAS_GET_TAKES_OWNERSHIP != 0 { free(result.pointer) }
        return result.code
    }
    return (code, gets)
}

@Suite("ABI: the malformed corpus")
struct MalformedABITests {
    @Test("the manifest is complete")
    func manifest() {
        #expect(Manifests.malformed.count == 135)
    }

    @Test("kastore_open gives the manifest's codes, lazy and KAS_READ_ALL", arguments: malformedFiles)
    func kastoreOpen(_ file: String) throws {
        let entry = try #require(Manifests.malformedByFile[file])
        let path = malformedDir + "/" + file
        for (flags, expected) in [(Int32(0), entry.expected.lazy), (KAS_READ_ALL, entry.expected.read_all)] {
            let store = Store()
            let result = probe(store) { kastore_open(store.pointer, path, "r", flags) }
            #expect(result.open == expected.open, "\(file) flags \(flags): \(entry.description)")
            #expect(result.gets == expected.gets, "\(file) flags \(flags): \(entry.description)")
            #expect(kastore_close(store.pointer) == 0)
            #expect(store.isZeroFilled)
            #expect(kastore_close(store.pointer) == 0)
        }
    }

    @Test("swkas_open_mmap and swkas_open_buffer: no crash, the expected code", arguments: malformedFiles)
    func memoryOpen(_ file: String) throws {
        let entry = try #require(Manifests.malformedByFile[file])
        let path = malformedDir + "/" + file
        let bytes = try #require(readBytes(path))
        let expected = expectedMemoryCode(entry)
        let copy = try #require(malloc(Swift.max(bytes.count, 1)))
        defer { free(copy) }
        bytes.withUnsafeBytes { if let source = $0.baseAddress { _ = memcpy(copy, source, $0.count) } }
        for flags in [0, KAS_READ_ALL, KAS_GET_TAKES_OWNERSHIP] {
            let mapped = Store()
            let result = probe(mapped) { swkas_open_mmap(mapped.pointer, path, flags) }
            #expect(result.open == expected, "\(file) flags \(flags): \(entry.description)")
            if result.open == 0 {
                #expect(result.gets == [Int32](repeating: 0, count: entry.expected.lazy.gets.count), "\(file)")
            }
            #expect(kastore_close(mapped.pointer) == 0)
            let buffered = Store()
            let fromBuffer = probe(buffered) { swkas_open_buffer(buffered.pointer, copy, bytes.count, flags) }
            #expect(fromBuffer.open == expected, "\(file) flags \(flags): \(entry.description)")
            #expect(fromBuffer.gets == result.gets)
            #expect(kastore_close(buffered.pointer) == 0)
        }
    }
}

// MARK: - Writing through symbolic links

@Suite("ABI: kastore_open(\"w\") through a symbolic link")
struct SymlinkABITests {
    // kastore opens the path with fopen(path, "wb"), which follows symbolic
    // links: the link stays, and its target receives the store.
    @Test("the link stays a link and its target receives the store")
    func writeThroughLink() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("target.kas")
        let link = directory.file("link.kas")
        writeBytes(readBytes(goldenDir + "/empty.c.kas") ?? [], to: target)
        #expect(symlink("target.kas", link) == 0)
        let store = Store()
        #expect(kastore_open(store.pointer, link, "w", 0) == 0)
        #expect(kastore_puts_uint8(store.pointer, "ab", [7], 1, 0) == 0)
        #expect(kastore_close(store.pointer) == 0)
        var info = stat()
        #expect(lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "the link was replaced by a regular file")
        #expect(readBytes(target) == encodeWithSwkas([([0x61, 0x62], KAS_UINT8, [7])]), "the target kept its old contents")
    }
}
