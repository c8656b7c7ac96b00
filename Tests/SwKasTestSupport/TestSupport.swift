// Helpers shared by the Swift test targets: locating test-data, reading and
// writing files, temporary directories, hex and little-endian helpers, and
// the kastore corpora's manifests.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Paths and files

/// The repository root: the first directory above this file holding Package.swift.
public let repoRoot: String = {
    var path = #filePath
    while let slash = path.lastIndex(of: "/") {
        path = String(path[..<slash])
        if path.isEmpty { break }
        if access(path + "/Package.swift", F_OK) == 0 { return path }
    }
    return "."
}()

public let goldenDir = repoRoot + "/test-data/kastore/golden"
public let malformedDir = repoRoot + "/test-data/kastore/malformed"

/// The whole file at `path`, or nil when it cannot be read.
public func readBytes(_ path: String) -> [UInt8]? {
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

/// Writes `bytes` to `path` (created or truncated), returning success.
@discardableResult
public func writeBytes(_ bytes: [UInt8], to path: String) -> Bool {
    guard let stream = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) }
    return fclose(stream) == 0 && written == bytes.count
}

/// The names in a directory (without "." and "..").
public func directoryEntries(_ path: String) -> [String] {
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

/// The permission bits of `path`, or nil.
public func modeBits(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// A fresh private directory, removed (with its plain files) by `remove()`.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        var template = Array("/tmp/swkas-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { remove() }

    public func remove() {
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

// MARK: - Hex and little-endian

public func hexBytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }.utf8.map { byte -> UInt8 in
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    precondition(digits.count % 2 == 0, "odd hex length")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

public func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

// MARK: - Little-endian helpers

public func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

public func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type = T.self) -> T {
    var value: T = 0
    withUnsafeMutableBytes(of: &value) { target in
        for index in 0..<MemoryLayout<T>.size { target[index] = bytes[offset + index] }
    }
    return T(littleEndian: value)
}

// MARK: - Manifests (test-data/kastore/*/manifest.json)

public struct GoldenItem: Decodable, Sendable {
    public let key_hex: String
    public let key: String
    public let type: Int
    public let dtype: String
    public let length: Int
    public let data_hex: String
}

public struct GoldenEntry: Decodable, Sendable {
    public let file: String
    public let items: [GoldenItem]
    public let sha256: String
}

public struct ExpectedCodes: Decodable, Sendable {
    public let open: Int32
    public let gets: [Int32]
}

public struct MalformedEntry: Decodable, Sendable {
    public struct Modes: Decodable, Sendable {
        public let lazy: ExpectedCodes
        public let read_all: ExpectedCodes
    }
    public let file: String
    public let description: String
    public let size: Int
    public let expected: Modes
    public let ours_differs: String?
}

public enum Manifests {
    public static let golden: [GoldenEntry] = load(goldenDir + "/manifest.json")
    public static let malformed: [MalformedEntry] = load(malformedDir + "/manifest.json")

    public static let goldenByFile: [String: GoldenEntry] = Dictionary(golden.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
    public static let malformedByFile: [String: MalformedEntry] =
        Dictionary(malformed.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })

    private static func load<T: Decodable>(_ path: String) -> [T] {
        guard let bytes = readBytes(path) else { return [] }
        return (try? JSONDecoder().decode([T].self, from: Data(bytes))) ?? []
    }
}

