// The reference's golden stores and the malformed corpus
// (test-data/kastore/README.md), through the Swift API.

import Testing
import SwKasTestSupport

@testable import SwKasCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let goldenFiles = Manifests.golden.map(\.file)
private let malformedFiles = Manifests.malformed.map(\.file)

/// Checks that `store` holds exactly the manifest's items, in order.
private func expectContents(_ store: KastoreFile, _ entry: GoldenEntry, fileSize: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(store.count == entry.items.count, sourceLocation: sourceLocation)
    #expect(store.fileSize == fileSize, sourceLocation: sourceLocation)
    #expect(store.version.major == 1 && store.version.minor == 0, sourceLocation: sourceLocation)
    #expect(store.keys == entry.items.map(\.key), sourceLocation: sourceLocation)
    guard store.count == entry.items.count else { return }
    for (j, item) in entry.items.enumerated() {
        let info = store[j]
        let key = hexBytes(item.key_hex)
        let data = hexBytes(item.data_hex)
        #expect(info.keyBytes == key, sourceLocation: sourceLocation)
        #expect(info.key == item.key, sourceLocation: sourceLocation)
        #expect(Int(info.type.rawValue) == item.type, sourceLocation: sourceLocation)
        #expect(info.type.name == item.dtype, sourceLocation: sourceLocation)
        #expect(info.count == item.length, sourceLocation: sourceLocation)
        #expect(info.byteCount == data.count, sourceLocation: sourceLocation)
        #expect(store.index(forKeyBytes: key) == j, sourceLocation: sourceLocation)
        #expect(store.index(forKey: item.key) == j, sourceLocation: sourceLocation)
        #expect(store.contains(item.key), sourceLocation: sourceLocation)
        let array = store.array(at: j)
        #expect(array.type.rawValue == UInt8(item.type), sourceLocation: sourceLocation)
        #expect(array.count == item.length, sourceLocation: sourceLocation)
        #expect(arrayBytes(array) == data, "\(entry.file) \(item.key)", sourceLocation: sourceLocation)
        #expect(store[item.key] == array || hasNaN(array), sourceLocation: sourceLocation)
        let viewed = try? store.withUnsafeBytes(forKey: item.key) { Array($0) }
        #expect(viewed == data, sourceLocation: sourceLocation)
        #expect(typedValuesMatch(store, key: item.key, type: info.type, data: data), sourceLocation: sourceLocation)
    }
}

/// NaN payloads make `==` on float arrays false; bytes are compared instead.
private func hasNaN(_ array: KastoreArray) -> Bool {
    switch array {
    case .float32(let values): return values.contains { $0.isNaN }
    case .float64(let values): return values.contains { $0.isNaN }
    default: return false
    }
}

/// `array(forKey:as:)` with the right element type gives the values the
/// little-endian data describes; any other element type is a mismatch.
private func typedValuesMatch(_ store: KastoreFile, key: String, type: KastoreType, data: [UInt8]) -> Bool {
    func check<T: KastoreElement & FixedWidthInteger>(_: T.Type) -> Bool {
        let expected = stride(from: 0, to: data.count, by: MemoryLayout<T>.size).map { readLE(data, at: $0, as: T.self) }
        return (try? store.array(forKey: key, as: T.self)) == expected
    }
    let matches: Bool
    switch type {
    case .int8: matches = check(Int8.self)
    case .uint8: matches = check(UInt8.self)
    case .int16: matches = check(Int16.self)
    case .uint16: matches = check(UInt16.self)
    case .int32: matches = check(Int32.self)
    case .uint32: matches = check(UInt32.self)
    case .int64: matches = check(Int64.self)
    case .uint64: matches = check(UInt64.self)
    case .float32:
        let bits = stride(from: 0, to: data.count, by: 4).map { readLE(data, at: $0, as: UInt32.self) }
        matches = (try? store.array(forKey: key, as: Float.self))?.map(\.bitPattern) == bits
    case .float64:
        let bits = stride(from: 0, to: data.count, by: 8).map { readLE(data, at: $0, as: UInt64.self) }
        matches = (try? store.array(forKey: key, as: Double.self))?.map(\.bitPattern) == bits
    }
    // A wrong element type (one of the same size, where there is one) is a mismatch.
    let wrong = caught { () throws(SwKasError) in
        if type == .int32 { _ = try store.array(forKey: key, as: Float.self) } else { _ = try store.array(forKey: key, as: Int32.self) }
    }
    return matches && wrong == .typeMismatch
}

@Suite("Golden stores written by the reference")
struct GoldenTests {
    @Test("the manifest lists every golden file")
    func manifestComplete() {
        #expect(Manifests.golden.count == 58)
        let onDisk = directoryEntries(goldenDir).filter { $0.hasSuffix(".kas") }
        #expect(onDisk == goldenFiles.sorted())
    }

    @Test("each file matches the manifest's sha256", arguments: goldenFiles)
    func sha256(_ file: String) throws {
        let bytes = try #require(readBytes(goldenDir + "/" + file))
        #expect(sha256Hex(bytes) == Manifests.goldenByFile[file]?.sha256)
    }

    @Test("KastoreFile(bytes:) reads exactly the manifest's items", arguments: goldenFiles)
    func openFromBytes(_ file: String) throws {
        let entry = try #require(Manifests.goldenByFile[file])
        let bytes = try #require(readBytes(goldenDir + "/" + file))
        let store = try KastoreFile(bytes: bytes)
        expectContents(store, entry, fileSize: bytes.count)
    }

    @Test("KastoreFile(contentsOf:) (memory-mapped) reads exactly the manifest's items", arguments: goldenFiles)
    func openFromPath(_ file: String) throws {
        let entry = try #require(Manifests.goldenByFile[file])
        let size = try #require(readBytes(goldenDir + "/" + file)).count
        let store = try KastoreFile(contentsOf: goldenDir + "/" + file)
        expectContents(store, entry, fileSize: size)
    }

    @Test("re-encoding the items in reverse or shuffled order reproduces the file", arguments: goldenFiles)
    func reencode(_ file: String) throws {
        let entry = try #require(Manifests.goldenByFile[file])
        let bytes = try #require(readBytes(goldenDir + "/" + file))
        let items = entry.items.map { item in
            (hexBytes(item.key_hex), makeArray(KastoreType(code: item.type) ?? .int8, hexBytes(item.data_hex)))
        }
        var reversed = KastoreWriter()
        for (key, array) in items.reversed() { try reversed.put(keyBytes: key, array) }
        #expect(reversed.count == items.count)
        #expect(try reversed.encoded() == bytes)

        var generator = SeededGenerator(seed: UInt64(bytes.count))
        var shuffled = KastoreWriter()
        for (key, array) in items.shuffled(using: &generator) { try shuffled.put(keyBytes: key, array) }
        #expect(try shuffled.encoded() == bytes)

        let directory = TemporaryDirectory()
        let path = directory.file("copy.kas")
        try shuffled.write(toFile: path)
        #expect(readBytes(path) == bytes)
    }

    @Test("the .c and .py copies are byte-identical", arguments: goldenFiles.filter { $0.hasSuffix(".c.kas") })
    func enginesAgree(_ file: String) {
        let twin = String(file.dropLast(".c.kas".count)) + ".py.kas"
        #expect(readBytes(goldenDir + "/" + file) == readBytes(goldenDir + "/" + twin))
    }

    @Test("extreme values of each type decode exactly")
    func extremeValues() throws {
        let int8 = try KastoreFile(contentsOf: goldenDir + "/dtype_int8.c.kas")
        #expect(try int8.array(forKey: "int8", as: Int8.self) == [-128, 127, 0, 1, 126, -127, 42, -1, -42])
        let uint64 = try KastoreFile(contentsOf: goldenDir + "/dtype_uint64.c.kas")
        let u64: [UInt64] = try uint64.array(forKey: "uint64")
        #expect(u64.first == 0 && u64.contains(UInt64.max))
        let int64 = try KastoreFile(contentsOf: goldenDir + "/dtype_int64.c.kas")
        let i64: [Int64] = try int64.array(forKey: "int64")
        #expect(i64.contains(Int64.min) && i64.contains(Int64.max))
        let f64 = try KastoreFile(contentsOf: goldenDir + "/dtype_float64.c.kas")
        let doubles: [Double] = try f64.array(forKey: "float64")
        #expect(doubles.contains(.infinity) && doubles.contains(-.infinity) && doubles.contains { $0.isNaN })
        #expect(doubles.contains { $0 == 0 && $0.sign == .minus })
        #expect(doubles.contains { $0.isSubnormal })
        let worked = try KastoreFile(contentsOf: goldenDir + "/worked_example.c.kas")
        #expect(try worked.array(forKey: "a", as: Int32.self) == [-1, 2])
        #expect(try worked.array(forKey: "ab", as: UInt8.self) == [7])
        #expect(try worked.array(forKey: "b", as: Float.self) == [])
    }
}

/// The error `KastoreFile(bytes:)` must give for a malformed file: the
/// manifest's lazy-open code; `.truncated` when the lazy open succeeds but
/// some array lies past the end (KastoreFile checks the whole length);
/// `.badFileFormat` where a stream fails to allocate (memory readers know the
/// real size); nil for files that must open.
private func expectedCoreError(_ entry: MalformedEntry) -> SwKasError? {
    let codes: [Int32: SwKasError] = [
        -4: .badFileFormat, -5: .badFileFormat, -6: .versionTooOld, -7: .versionTooNew, -8: .badType, -14: .endOfFile,
    ]
    if entry.expected.lazy.open != 0 { return codes[entry.expected.lazy.open] ?? .generic }
    if entry.expected.lazy.gets.contains(where: { $0 != 0 }) || entry.expected.read_all.open != 0 { return .truncated }
    return nil
}

@Suite("Malformed corpus through KastoreFile")
struct MalformedTests {
    @Test("the manifest lists every malformed file")
    func manifestComplete() {
        #expect(Manifests.malformed.count == 135)
        let onDisk = directoryEntries(malformedDir).filter { $0.hasSuffix(".kas") }
        #expect(onDisk == malformedFiles.sorted())
    }

    @Test("KastoreFile(bytes:) gives the expected error", arguments: malformedFiles)
    func fromBytes(_ file: String) throws {
        let entry = try #require(Manifests.malformedByFile[file])
        let bytes = try #require(readBytes(malformedDir + "/" + file))
        #expect(bytes.count == entry.size)
        let expected = expectedCoreError(entry)
        do {
            let store = try KastoreFile(bytes: bytes)
            #expect(expected == nil, "\(file): \(entry.description)")
            #expect(store.count == entry.expected.lazy.gets.count)
            #expect(store.fileSize <= bytes.count)
            // Keys strictly increase and every array is readable.
            for j in store.indices.dropFirst() {
                #expect(store[j - 1].keyBytes.lexicographicallyPrecedes(store[j].keyBytes))
            }
            for j in store.indices { #expect(arrayBytes(store.array(at: j)).count == store[j].byteCount) }
        } catch {
            #expect(error == expected, "\(file): \(entry.description)")
        }
    }

    @Test("KastoreFile(contentsOf:) gives the same result as from bytes", arguments: malformedFiles)
    func fromPath(_ file: String) throws {
        let entry = try #require(Manifests.malformedByFile[file])
        let error = caught { () throws(SwKasError) in try KastoreFile(contentsOf: malformedDir + "/" + file) }
        #expect(error == expectedCoreError(entry), "\(file): \(entry.description)")
    }

    @Test("files that open lazily but fail later are shorter than their file_size")
    func truncatedMeansShort() throws {
        let truncated = Manifests.malformed.filter { expectedCoreError($0) == .truncated }
        #expect(truncated.map(\.file).sorted() == [
            "s22_file_size_2pow63_plus8.kas", "s22_trunc_at_first_array.kas", "s22_trunc_in_padding.kas",
            "s22_trunc_last_byte.kas", "s22_trunc_mid_first_array.kas", "s22_trunc_pad_end_store.kas",
        ])
        for entry in truncated {
            let bytes = try #require(readBytes(malformedDir + "/" + entry.file))
            #expect(readLE(bytes, at: 16, as: UInt64.self) > UInt64(bytes.count), "\(entry.file)")
        }
    }

    @Test("valid files keep their worked-example contents despite ignored bytes")
    func validWorkedExampleVariants() throws {
        for file in [
            "valid_worked_example.kas", "valid_minor1.kas", "valid_minor_ffff.kas", "valid_trailing_garbage.kas",
            "valid_trailing_second_store.kas", "valid_reserved_header.kas", "valid_reserved_descriptors.kas",
            "valid_padding_nonzero.kas", "valid_everything_ignored.kas",
        ] {
            let store = try KastoreFile(contentsOf: malformedDir + "/" + file)
            #expect(store.keys == ["a", "ab", "b"], "\(file)")
            #expect(store.fileSize == 280, "\(file)")
            #expect(try store.array(forKey: "a", as: Int32.self) == [-1, 2], "\(file)")
            #expect(try store.array(forKey: "ab", as: UInt8.self) == [7], "\(file)")
            #expect(try store.array(forKey: "b", as: Float.self) == [], "\(file)")
        }
        let same = try KastoreFile(contentsOf: malformedDir + "/valid_type_same_size.kas")
        #expect(same.map(\.type) == [.float32, .int8, .float32])
        let padding = try KastoreFile(contentsOf: malformedDir + "/valid_arraylen_into_padding.kas")
        #expect(padding[1].count == 8)
        #expect(try padding.array(forKey: "ab", as: UInt8.self).first == 7)
        for file in ["valid_empty_store.kas", "valid_empty_store_minor7.kas", "valid_empty_store_trailing.kas"] {
            let store = try KastoreFile(contentsOf: malformedDir + "/" + file)
            #expect(store.isEmpty && store.fileSize == 64, "\(file)")
        }
    }

    @Test("r12_huge_key_block: a 2^63-byte key block the bytes cannot hold is .badFileFormat, not an allocation")
    func hugeKeyBlock() throws {
        // The stream reader allocates first (the reference's -4); the memory
        // reader compares with the bytes it has before allocating anything.
        let bytes = try #require(readBytes(malformedDir + "/r12_huge_key_block.kas"))
        #expect(openError(bytes) == .badFileFormat)
    }
}
