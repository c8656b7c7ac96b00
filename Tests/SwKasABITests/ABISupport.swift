// Helpers for the C ABI suite: test-data paths, files, temporary
// directories, the manifests, and a heap-allocated kastore_t.

import CSwKas
import Foundation
import SwKasCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The repository root: the first directory above this file holding Package.swift.
let repoRoot: String = {
    var path = #filePath
    while let slash = path.lastIndex(of: "/") {
        path = String(path[..<slash])
        if path.isEmpty { break }
        if access(path + "/Package.swift", F_OK) == 0 { return path }
    }
    return "."
}()

let goldenDir = repoRoot + "/test-data/kastore/golden"
let malformedDir = repoRoot + "/test-data/kastore/malformed"

func readBytes(_ path: String) -> [UInt8]? {
    guard let stream = fopen(path, "rb") else { return nil }
    defer { fclose(stream) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, stream) }
        result.append(contentsOf: chunk[0..<count])
        if count < chunk.count { break }
    }
    return ferror(stream) != 0 ? nil : result
}

@discardableResult
func writeBytes(_ bytes: [UInt8], to path: String) -> Bool {
    guard let stream = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) }
    return fclose(stream) == 0 && written == bytes.count
}

func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/swkas-abi-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        for name in directoryEntries(path) {
            let full = path + "/" + name
            var info = stat()
            if lstat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                for inner in directoryEntries(full) { unlink(full + "/" + inner) }
                rmdir(full)
            } else {
                unlink(full)
            }
        }
        rmdir(path)
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    let digits = hex.utf8.compactMap { byte -> UInt8? in
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
    return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type = T.self) -> T {
    var value: T = 0
    withUnsafeMutableBytes(of: &value) { target in
        for index in 0..<MemoryLayout<T>.size { target[index] = bytes[offset + index] }
    }
    return T(littleEndian: value)
}

struct GoldenItem: Decodable, Sendable {
    let key_hex: String
    let type: Int
    let length: Int
    let data_hex: String
}

struct GoldenEntry: Decodable, Sendable {
    let file: String
    let items: [GoldenItem]
}

struct ExpectedCodes: Decodable, Sendable {
    let open: Int32
    let gets: [Int32]
}

struct MalformedEntry: Decodable, Sendable {
    struct Modes: Decodable, Sendable {
        let lazy: ExpectedCodes
        let read_all: ExpectedCodes
    }
    let file: String
    let description: String
    let size: Int
    let expected: Modes
}

enum Manifests {
    static let golden: [GoldenEntry] = load(goldenDir + "/manifest.json")
    static let malformed: [MalformedEntry] = load(malformedDir + "/manifest.json")
    static let malformedByFile: [String: MalformedEntry] =
        Dictionary(malformed.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })

    private static func load<T: Decodable>(_ path: String) -> [T] {
        guard let bytes = readBytes(path) else { return [] }
        return (try? JSONDecoder().decode([T].self, from: Data(bytes))) ?? []
    }
}

/// A `kastore_t` on the heap, so its address is stable across calls (as a C
/// caller's stack variable is). Closed (if still open) and freed on deinit.
final class Store {
    let pointer: UnsafeMutablePointer<kastore_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: kastore_t())
    }

    deinit {
        _ = kastore_close(pointer)
        pointer.deallocate()
    }

    var fields: kastore_t { pointer.pointee }

    /// Item `index` of the public `items` array.
    func item(_ index: Int) -> kaitem_t { pointer.pointee.items[index] }

    /// The key bytes of item `index`.
    func key(_ index: Int) -> [UInt8] {
        let item = item(index)
        return Array(UnsafeRawBufferPointer(start: item.key, count: item.key_len))
    }

    /// Whether every byte of the struct is zero (as after close).
    var isZeroFilled: Bool {
        UnsafeRawBufferPointer(start: pointer, count: MemoryLayout<kastore_t>.size).allSatisfy { $0 == 0 }
    }
}

/// Calls `body` with `key`'s bytes as a C pointer and length.
func withKey<R>(_ key: [UInt8], _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    key.withUnsafeBytes { raw in body(raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count) }
}

/// kastore_get on raw key bytes: the return code and, on success, the array bytes.
func get(_ store: Store, _ key: [UInt8]) -> (code: Int32, bytes: [UInt8], type: Int32, pointer: UnsafeMutableRawPointer?) {
    var array: UnsafeMutableRawPointer?
    var length = 0
    var type: Int32 = -1
    let code = withKey(key) { kastore_get(store.pointer, $0, $1, &array, &length, &type) }
    guard code == 0, let array else { return (code, [], type, array) }
    let size = length * Int(swkas_type_size(type))
    return (code, Array(UnsafeRawBufferPointer(start: array, count: size)), type, array)
}

/// A writer with no file (swkas_open_writer) holding `items`; returns the encoding.
func encodeWithSwkas(_ items: [([UInt8], Int32, [UInt8])]) -> [UInt8]? {
    let store = Store()
    guard swkas_open_writer(store.pointer, 0) == 0 else { return nil }
    for (key, type, data) in items {
        let size = Int(swkas_type_size(type))
        let code = withKey(key) { k, n in
            data.withUnsafeBytes { kastore_put(store.pointer, k, n, $0.baseAddress, data.count / size, type, 0) }
        }
        guard code == 0 else { return nil }
    }
    var data: UnsafeMutableRawPointer?
    var size = 0
    guard swkas_encode(store.pointer, &data, &size) == 0, let data else { return nil }
    defer { free(data) }
    return Array(UnsafeRawBufferPointer(start: data, count: size))
}

/// The worked example of spec §1.7, as put arguments (insertion order b, ab, a).
let workedExampleItems: [([UInt8], Int32, [UInt8])] = [
    ([0x62], KAS_FLOAT32, []),
    ([0x61, 0x62], KAS_UINT8, [7]),
    ([0x61], KAS_INT32, [0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]),
]

/// The C string as a Swift String (nil for NULL).
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}
