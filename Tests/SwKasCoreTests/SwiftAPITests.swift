// The public Swift API: KastoreWriter, KastoreFile, KastoreArray,
// KastoreType, atomic writes and a seeded round-trip property test.

import Testing
import SwKasTestSupport

@testable import SwKasCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arrays of every type with their extremes.
let sampleArrays: [KastoreArray] = [
    .int8([Int8.min, -1, 0, 1, Int8.max]),
    .uint8([0, 1, 0x7f, 0x80, UInt8.max]),
    .int16([Int16.min, -300, 0, 300, Int16.max]),
    .uint16([0, 1, 0x8000, UInt16.max]),
    .int32([Int32.min, -70000, 0, 70000, Int32.max]),
    .uint32([0, 1, 0x8000_0000, UInt32.max]),
    .int64([Int64.min, -(1 << 40), 0, 1 << 40, Int64.max]),
    .uint64([0, 1, 1 << 63, UInt64.max]),
    .float32([-Float.infinity, -0.0, 0.1, Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, .infinity]),
    .float64([-Double.infinity, -0.0, 0.1, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, .infinity]),
]

/// The element values of `array` as `T` must equal `expected` (bitwise for floats).
private func typedRoundTrip(_ store: KastoreFile, key: String, _ array: KastoreArray) -> Bool {
    func check<T: KastoreElement & Equatable>(_ values: [T]) -> Bool {
        (try? store.array(forKey: key, as: T.self)) == values && array.values(as: T.self) == values
    }
    switch array {
    case .int8(let v): return check(v)
    case .uint8(let v): return check(v)
    case .int16(let v): return check(v)
    case .uint16(let v): return check(v)
    case .int32(let v): return check(v)
    case .uint32(let v): return check(v)
    case .int64(let v): return check(v)
    case .uint64(let v): return check(v)
    case .float32(let v): return (try? store.array(forKey: key, as: Float.self))?.map(\.bitPattern) == v.map(\.bitPattern)
    case .float64(let v): return (try? store.array(forKey: key, as: Double.self))?.map(\.bitPattern) == v.map(\.bitPattern)
    }
}

@Suite("Swift API: KastoreType and KastoreArray")
struct TypeTests {
    @Test("codes, element sizes and names of the ten types")
    func types() {
        #expect(KastoreType.allCases.map(\.rawValue) == Array(0...9))
        #expect(KastoreType.allCases.map(\.elementSize) == [1, 1, 2, 2, 4, 4, 8, 8, 4, 8])
        #expect(
            KastoreType.allCases.map(\.name)
                == ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"])
        #expect(KastoreType.allCases.map(\.description) == KastoreType.allCases.map(\.name))
        for code in [-1, 10, 11, 255, 256, Int.max, Int.min] { #expect(KastoreType(code: code) == nil) }
        for code in 0...9 { #expect(KastoreType(code: code)?.rawValue == UInt8(code)) }
        #expect(Int8.kastoreType == .int8 && UInt64.kastoreType == .uint64)
        #expect(Float.kastoreType == .float32 && Double.kastoreType == .float64)
    }

    @Test("KastoreArray: type, count, typed values and bytes")
    func arrays() {
        for (index, array) in sampleArrays.enumerated() {
            #expect(array.type.rawValue == UInt8(index))
        }
        let a = KastoreArray([-1, 2] as [Int32])
        #expect(a == .int32([-1, 2]))
        #expect(a.type == .int32 && a.count == 2)
        #expect(a.values(as: Int32.self) == [-1, 2])
        #expect(a.values(as: UInt32.self) == nil)
        #expect(a.values(as: Float.self) == nil)
        #expect(arrayBytes(a) == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
        #expect(arrayBytes(.float64([1.0])) == [0, 0, 0, 0, 0, 0, 0xf0, 0x3f])
        #expect(KastoreArray([] as [UInt16]).count == 0)
    }

    @Test("error descriptions are kastore's strings (spec §3.2)")
    func errorDescriptions() {
        #expect(SwKasError.generic.description == "Generic error; please file a bug report")
        #expect(SwKasError.badMode.description == "Bad open mode; must be \"r\", \"w\", or \"a\"")
        #expect(SwKasError.noMemory.description == "Out of memory")
        #expect(SwKasError.badFileFormat.description == "File not in KAS format")
        #expect(SwKasError.io(errno: 0).description == "I/O error with errno unset. Please file a bug report")
        #expect(SwKasError.io(errno: ENOENT).description == "No such file or directory")
        #expect(
            SwKasError.badFlags.description
                == "Unknown flags specified. Only (KAS_GET_TAKES_OWNERSHIP and/orKAS_READ_ALL) or 0 can be specified for open, and KAS_BORROWS_ARRAY or 0 for put"
        )
        #expect(SwKasError.typeMismatch.description == "Mismatch between requested and stored types for array")
        #expect(SwKasError.endOfFile.description == "End of file")
    }
}

@Suite("Swift API: KastoreWriter")
struct WriterTests {
    @Test("duplicate and empty keys throw and leave the writer unchanged")
    func putErrors() throws {
        var writer = KastoreWriter()
        try writer.put("a", [1, 2] as [Int32])
        let before = try writer.encoded()

        #expect(caught { () throws(SwKasError) in try writer.put("a", [9] as [Int32]) } == .duplicateKey)
        #expect(caught { () throws(SwKasError) in try writer.put("a", .float64([1])) } == .duplicateKey)
        #expect(caught { () throws(SwKasError) in try writer.put(keyBytes: [0x61], .uint8([])) } == .duplicateKey)
        #expect(caught { () throws(SwKasError) in try writer.put("", [1] as [UInt8]) } == .emptyKey)
        #expect(caught { () throws(SwKasError) in try writer.put("", .int8([])) } == .emptyKey)
        #expect(caught { () throws(SwKasError) in try writer.put(keyBytes: [], .int8([])) } == .emptyKey)
        #expect(writer.count == 1)
        #expect(try writer.encoded() == before)

        // Keys differing only by bytes are distinct: NUL suffix, decomposed é.
        try writer.put(keyBytes: [0x61, 0x00], .int8([3]))
        try writer.put("e\u{301}", [4] as [UInt8])
        try writer.put("\u{e9}", [5] as [UInt8])
        #expect(writer.count == 4)
        let store = try KastoreFile(bytes: try writer.encoded())
        #expect(store.map(\.keyBytes) == [[0x61], [0x61, 0x00], [0x65, 0xcc, 0x81], [0xc3, 0xa9]])
        #expect(try store.array(forKey: "a", as: Int32.self) == [1, 2])
    }

    @Test("every type round-trips through encoded() and KastoreFile(bytes:)", arguments: sampleArrays)
    func roundTripBytes(_ array: KastoreArray) throws {
        var writer = KastoreWriter()
        try writer.put("values", array)
        try writer.put("empty", makeArray(array.type, []))
        let bytes = try writer.encoded()
        let store = try KastoreFile(bytes: bytes)
        #expect(store.keys == ["empty", "values"])
        #expect(store[1].type == array.type && store[1].count == array.count)
        #expect(arrayBytes(store.array(at: 1)) == arrayBytes(array))
        #expect(store["values"]?.type == array.type)
        #expect(typedRoundTrip(store, key: "values", array))
        #expect(store[0].count == 0 && store[0].type == array.type)
        #expect(arrayBytes(store.array(at: 0)) == [])
    }

    @Test("every type round-trips through write(toFile:) and KastoreFile(contentsOf:)", arguments: sampleArrays)
    func roundTripFile(_ array: KastoreArray) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("store.kas")
        var writer = KastoreWriter()
        try writer.put("values", array)
        try writer.write(toFile: path)
        #expect(readBytes(path) == (try writer.encoded()))
        let store = try KastoreFile(contentsOf: path)
        #expect(store.keys == ["values"])
        #expect(typedRoundTrip(store, key: "values", array))
        #expect(arrayBytes(store.array(at: 0)) == arrayBytes(array))
    }

    @Test("all ten types in one store")
    func allTypesTogether() throws {
        var writer = KastoreWriter()
        for array in sampleArrays.reversed() { try writer.put("t\(array.type.rawValue)_\(array.type.name)", array) }
        let store = try KastoreFile(bytes: try writer.encoded())
        #expect(store.count == 10)
        for (index, array) in sampleArrays.enumerated() {
            #expect(store[index].type == array.type)
            #expect(typedRoundTrip(store, key: "t\(index)_\(array.type.name)", array))
        }
    }
}

@Suite("Swift API: KastoreFile")
struct FileTests {
    let store: KastoreFile

    init() throws {
        var writer = KastoreWriter()
        try writer.put("b", [] as [Float])
        try writer.put("ab", [7] as [UInt8])
        try writer.put("a", [-1, 2] as [Int32])
        try writer.put("nodes/time", [0.5, 1.5, 2.5] as [Double])
        try writer.put(keyBytes: [0xff, 0xfe], .uint16([513]))
        try writer.put(keyBytes: [0xc3], .int8([-5]))
        try writer.put(keyBytes: [0x80], .int64([-9]))
        store = try KastoreFile(bytes: try writer.encoded())
    }

    @Test("lookup: index(forKey:), contains and subscript match exact key bytes")
    func lookup() {
        #expect(store.index(forKey: "a") == 0)
        #expect(store.index(forKey: "ab") == 1)
        #expect(store.index(forKey: "b") == 2)
        #expect(store.index(forKey: "nodes/time") == 3)
        for missing in ["", "A", "abc", "a\u{0}", "nodes", "nodes/time ", "c", "\u{FFFD}"] {
            #expect(store.index(forKey: missing) == nil, "\(missing)")
            #expect(!store.contains(missing))
            #expect(store[missing] == nil)
        }
        #expect(store.contains("ab"))
        #expect(store["ab"] == .uint8([7]))
        #expect(store["a"] == .int32([-1, 2]))
        #expect(store["b"] == .float32([]))
        #expect(store.index(forKeyBytes: []) == nil)
        #expect(store.index(forKeyBytes: [0x61, 0x62]) == 1)
    }

    @Test("array(forKey:as:) throws .keyNotFound and .typeMismatch")
    func typedAccess() throws {
        #expect(try store.array(forKey: "nodes/time", as: Double.self) == [0.5, 1.5, 2.5])
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "missing", as: Double.self) } == .keyNotFound)
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "nodes/time", as: Float.self) } == .typeMismatch)
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "nodes/time", as: Int64.self) } == .typeMismatch)
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "a", as: UInt32.self) } == .typeMismatch)
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "b", as: Int32.self) } == .typeMismatch)
        #expect(caught { () throws(SwKasError) in try store.array(forKey: "", as: Int32.self) } == .keyNotFound)
    }

    @Test("iteration follows key (byte) order, non-UTF-8 keys last")
    func iterationOrder() {
        #expect(store.count == 7)
        #expect(store.map(\.keyBytes) == [
            [0x61], [0x61, 0x62], [0x62], Array("nodes/time".utf8), [0x80], [0xc3], [0xff, 0xfe],
        ])
        #expect(store.map(\.type) == [.int32, .uint8, .float32, .float64, .int64, .int8, .uint16])
        #expect(store.map(\.count) == [2, 1, 0, 3, 1, 1, 1])
        #expect(store.map(\.byteCount) == [8, 1, 0, 24, 8, 1, 2])
        #expect(Array(store.keys.prefix(4)) == ["a", "ab", "b", "nodes/time"])
    }

    @Test("keys that are not UTF-8 are reachable through their bytes")
    func nonUTF8Keys() {
        let index = store.index(forKeyBytes: [0xff, 0xfe])
        #expect(index == 6)
        if let index {
            #expect(store[index].keyBytes == [0xff, 0xfe])
            #expect(store[index].key == "\u{FFFD}\u{FFFD}")
            #expect(store.array(at: index) == .uint16([513]))
        }
        #expect(store.index(forKeyBytes: [0xc3]).map { store.array(at: $0) } == .int8([-5]))
        #expect(store.index(forKeyBytes: [0x80]).map { store.array(at: $0) } == .int64([-9]))
        // The lossy String does not name the key.
        #expect(store.index(forKey: "\u{FFFD}\u{FFFD}") == nil)
        #expect(store.index(forKeyBytes: [0xff]) == nil)
    }

    @Test("withUnsafeBytes(forKey:) views the stored bytes without copying")
    func zeroCopy() throws {
        let a = try store.withUnsafeBytes(forKey: "a") { (bytes: UnsafeRawBufferPointer) in (UInt(bitPattern: bytes.baseAddress), Array(bytes)) }
        let again = try store.withUnsafeBytes(forKey: "a") { UInt(bitPattern: $0.baseAddress) }
        let ab = try store.withUnsafeBytes(forKey: "ab") { UInt(bitPattern: $0.baseAddress) }
        #expect(a.1 == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
        #expect(a.0 != 0 && a.0 == again)
        // Keys: 7 of 1+2+1+10+1+1+2 = 18 bytes from 512; "a" at 536, "ab" at 544.
        #expect(ab &- a.0 == 8)
        #expect(a.0 % 8 == 0)
        #expect(try store.withUnsafeBytes(forKey: "b") { $0.count } == 0)
        #expect(throws: SwKasError.keyNotFound) { try store.withUnsafeBytes(forKey: "zz") { _ in 0 } }
    }

    @Test("withUnsafeBytes(forKey:) on a mapped file points into the mapping")
    func zeroCopyMapped() throws {
        let path = goldenDir + "/worked_example.c.kas"
        let mapped = try KastoreFile(contentsOf: path)
        let a = try mapped.withUnsafeBytes(forKey: "a") { UInt(bitPattern: $0.baseAddress) }
        let ab = try mapped.withUnsafeBytes(forKey: "ab") { UInt(bitPattern: $0.baseAddress) }
        #expect(ab &- a == 8)
        // "a" is at offset 264 of the file; the mapping starts on a page boundary.
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        #expect((a &- 264) % page == 0)
        #expect(try mapped.withUnsafeBytes(forKey: "a") { Array($0) } == [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0])
    }

    @Test("opening a missing file or a directory is an I/O error with its errno")
    func openErrors() {
        let directory = TemporaryDirectory()
        #expect(caught { () throws(SwKasError) in try KastoreFile(contentsOf: directory.file("missing.kas")) } == .io(errno: ENOENT))
        #expect(caught { () throws(SwKasError) in try KastoreFile(contentsOf: directory.path) } == .io(errno: EISDIR))
        writeBytes([], to: directory.file("empty.kas"))
        #expect(caught { () throws(SwKasError) in try KastoreFile(contentsOf: directory.file("empty.kas")) } == .endOfFile)
        #expect(openError([]) == .endOfFile)
        #expect(caught { () throws(SwKasError) in try KastoreFile(contentsOf: "/dev/null") } == .endOfFile)
    }

    @Test("bytes past the store are ignored; a store cut short is .truncated")
    func trailingAndTruncated() throws {
        let bytes = hexBytes(workedExampleHex)
        let padded = try KastoreFile(bytes: bytes + [1, 2, 3] + hexBytes(emptyStoreHex))
        #expect(padded.fileSize == 280 && padded.count == 3)
        // Lazily openable (keys intact) but arrays cut: the whole length is checked.
        for length in [264, 268, 273, 279] {
            #expect(openError(Array(bytes.prefix(length))) == .truncated, "length \(length)")
        }
    }
}

@Suite("Swift API: atomic file writes")
struct AtomicWriteTests {
    private func sampleWriter(_ value: Int32) throws(SwKasError) -> KastoreWriter {
        var writer = KastoreWriter()
        try writer.put("x", [value, value + 1] as [Int32])
        return writer
    }

    @Test("replacing an existing file keeps its mode bits and leaves no temporary file")
    func keepsMode() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("store.kas")
        for mode: mode_t in [0o640, 0o600, 0o755, 0o604] {
            try sampleWriter(1).write(toFile: path)
            #expect(chmod(path, mode) == 0)
            try sampleWriter(Int32(mode)).write(toFile: path)
            #expect(modeBits(path) == mode, "mode \(String(mode, radix: 8))")
            #expect(try KastoreFile(contentsOf: path).array(forKey: "x", as: Int32.self) == [Int32(mode), Int32(mode) + 1])
            #expect(directoryEntries(directory.path) == ["store.kas"])
            #expect(chmod(path, 0o644) == 0)
        }
    }

    @Test("a new file gets 0666 & ~umask, like any file the process creates")
    func newFileMode() throws {
        let directory = TemporaryDirectory()
        let reference = directory.file("reference")
        let fd = open(reference, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        #expect(fd >= 0)
        close(fd)
        let path = directory.file("new.kas")
        try sampleWriter(3).write(toFile: path)
        #expect(modeBits(path) == modeBits(reference))
        #expect(directoryEntries(directory.path) == ["new.kas", "reference"])
    }

    @Test("a reader's mapping keeps the old contents after the file is replaced")
    func readerSurvivesReplace() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("store.kas")
        try sampleWriter(10).write(toFile: path)
        let old = try KastoreFile(contentsOf: path)
        try sampleWriter(20).write(toFile: path)
        #expect(try old.array(forKey: "x", as: Int32.self) == [10, 11])
        #expect(try KastoreFile(contentsOf: path).array(forKey: "x", as: Int32.self) == [20, 21])
    }

    @Test("writing to a directory path throws .io(EISDIR) and leaves nothing behind")
    func directoryTarget() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("subdir")
        #expect(mkdir(target, 0o755) == 0)
        let error = caught { () throws(SwKasError) in try sampleWriter(1).write(toFile: target) }
        #expect(error == .io(errno: EISDIR))
        #expect(directoryEntries(directory.path) == ["subdir"])
        #expect(directoryEntries(target) == [])
    }

    @Test("writing into a missing directory throws .io(ENOENT); under a file, .io(ENOTDIR)")
    func missingDirectory() throws {
        let directory = TemporaryDirectory()
        let error = caught { () throws(SwKasError) in try sampleWriter(1).write(toFile: directory.file("missing/store.kas")) }
        #expect(error == .io(errno: ENOENT))
        #expect(directoryEntries(directory.path) == [])
        writeBytes([1, 2, 3], to: directory.file("plain"))
        let under = caught { () throws(SwKasError) in try sampleWriter(1).write(toFile: directory.file("plain/store.kas")) }
        #expect(under == .io(errno: ENOTDIR))
        #expect(directoryEntries(directory.path) == ["plain"])
        #expect(readBytes(directory.file("plain")) == [1, 2, 3])
    }

    @Test("a failed write leaves an existing target intact")
    func failedWriteKeepsOriginal() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("store.kas")
        try sampleWriter(5).write(toFile: path)
        let before = readBytes(path)
        // A failing path next to it does not disturb it.
        #expect(caught { () throws(SwKasError) in try sampleWriter(6).write(toFile: directory.file("store.kas/x")) } == .io(errno: ENOTDIR))
        #expect(readBytes(path) == before)
        #expect(directoryEntries(directory.path) == ["store.kas"])
    }

    @Test("a name too long for a temporary sibling is still written (in place)")
    func longFileName() throws {
        let directory = TemporaryDirectory()
        let name = String(repeating: "n", count: 250)
        let path = directory.file(name)
        try sampleWriter(7).write(toFile: path)
        #expect(try KastoreFile(contentsOf: path).array(forKey: "x", as: Int32.self) == [7, 8])
        try sampleWriter(9).write(toFile: path)
        #expect(try KastoreFile(contentsOf: path).array(forKey: "x", as: Int32.self) == [9, 10])
        #expect(directoryEntries(directory.path) == [name])
    }

    @Test("a device target is written in place; /dev/full reports ENOSPC")
    func deviceTarget() throws {
        try #require(access("/dev/full", W_OK) == 0)
        #expect(caught { () throws(SwKasError) in try sampleWriter(1).write(toFile: "/dev/full") } == .io(errno: ENOSPC))
        try sampleWriter(1).write(toFile: "/dev/null")
    }
}

/// Random key bytes: ASCII, raw bytes, non-ASCII UTF-8, and prefixes or
/// extensions of keys already chosen.
private func randomKey(_ existing: [[UInt8]], using generator: inout SeededGenerator) -> [UInt8] {
    let alphabet = ["a", "b", "Z", "/", "_", "0", "é", "ü", "文", "😀", "\u{0}", "ß"].map { Array($0.utf8) }
    switch Int.random(in: 0..<5, using: &generator) {
    case 0 where !existing.isEmpty:
        // Extend an existing key: a shared prefix.
        var key = existing.randomElement(using: &generator)!
        key += alphabet.randomElement(using: &generator)!
        return key
    case 1 where !existing.isEmpty:
        // A prefix of an existing key.
        let key = existing.randomElement(using: &generator)!
        return Array(key.prefix(Int.random(in: 1...key.count, using: &generator)))
    case 2:
        // Raw bytes, often not UTF-8.
        return (0..<Int.random(in: 1...6, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    default:
        return (0..<Int.random(in: 1...5, using: &generator)).flatMap { _ in alphabet.randomElement(using: &generator)! }
    }
}

@Suite("Swift API: random round trips")
struct PropertyTests {
    @Test("200 random stores: encoded() → KastoreFile(bytes:) round-trips exactly, re-encoding is idempotent")
    func randomStores() throws {
        var generator = SeededGenerator(seed: 0x5EED_CAFE)
        var sawEmptyStore = false
        var sawEmptyArray = false
        var sawNonUTF8 = false
        for round in 0..<200 {
            let itemCount = round % 17 == 0 ? 0 : Int.random(in: 1...24, using: &generator)
            var model: [[UInt8]: (KastoreType, [UInt8])] = [:]
            var writer = KastoreWriter()
            var keys: [[UInt8]] = []
            while model.count < itemCount {
                let key = randomKey(keys, using: &generator)
                let type = KastoreType.allCases.randomElement(using: &generator)!
                let length = Int.random(in: 0...3, using: &generator) == 0 ? 0 : Int.random(in: 1...40, using: &generator)
                let data = (0..<(length * type.elementSize)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if model[key] != nil {
                    #expect(caught { () throws(SwKasError) in try writer.put(keyBytes: key, makeArray(type, data)) } == .duplicateKey)
                    continue
                }
                try writer.put(keyBytes: key, makeArray(type, data))
                model[key] = (type, data)
                keys.append(key)
                sawEmptyArray = sawEmptyArray || length == 0
                sawNonUTF8 = sawNonUTF8 || String(validating: key, as: UTF8.self) == nil
            }
            sawEmptyStore = sawEmptyStore || itemCount == 0
            #expect(writer.count == itemCount)

            let bytes = try writer.encoded()
            // An independent layout of the same items (spec §1.6) gives the same bytes.
            let sortedKeys = keys.sorted { $0.lexicographicallyPrecedes($1) }
            let reference = ModelStore(sortedKeys.map { ModelItem($0, type: model[$0]!.0.rawValue, data: model[$0]!.1) }).bytes()
            #expect(bytes == reference, "round \(round)")

            let store = try KastoreFile(bytes: bytes)
            #expect(store.count == itemCount)
            #expect(store.fileSize == bytes.count)
            #expect(store.map(\.keyBytes) == sortedKeys)
            var again = KastoreWriter()
            for (index, info) in store.enumerated() {
                let (type, data) = model[info.keyBytes]!
                #expect(info.type == type)
                #expect(info.count * type.elementSize == data.count)
                #expect(arrayBytes(store.array(at: index)) == data)
                #expect(store.index(forKeyBytes: info.keyBytes) == index)
                try again.put(keyBytes: info.keyBytes, store.array(at: index))
            }
            #expect(try again.encoded() == bytes, "round \(round)")
        }
        #expect(sawEmptyStore && sawEmptyArray && sawNonUTF8)
    }
}

@Suite("Swift API: writing through symbolic links")
struct SymlinkWriteTests {
    // fopen(path, "wb"), which kastore uses, writes through a symbolic link to
    // its target. An atomic replace must do the same: put the new file next
    // to the link's target and rename it there, leaving the link in place.
    @Test("write(toFile:) through a symlink replaces the target and keeps the link")
    func throughSymlink() throws {
        let directory = TemporaryDirectory()
        let target = directory.file("target.kas")
        let link = directory.file("link.kas")
        var old = KastoreWriter()
        try old.put("x", [1] as [Int32])
        try old.write(toFile: target)
        #expect(symlink("target.kas", link) == 0)
        var new = KastoreWriter()
        try new.put("x", [2] as [Int32])
        try new.write(toFile: link)
        var info = stat()
        #expect(lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "the link was replaced by a regular file")
        #expect(try KastoreFile(contentsOf: target).array(forKey: "x", as: Int32.self) == [2], "the target kept its old contents")
        #expect(try KastoreFile(contentsOf: link).array(forKey: "x", as: Int32.self) == [2])
    }

    @Test("write(toFile:) through a dangling symlink creates the target, leaving no empty file")
    func danglingSymlink() throws {
        let directory = TemporaryDirectory()
        let link = directory.file("link.kas")
        #expect(symlink("target.kas", link) == 0)
        var writer = KastoreWriter()
        try writer.put("x", [3] as [Int32])
        try writer.write(toFile: link)
        var info = stat()
        #expect(lstat(link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "the link was replaced by a regular file")
        #expect(readBytes(directory.file("target.kas")) == (try writer.encoded()), "the target is not the new store")
    }
}
