// Helpers shared by the SwKasCore suites: locating test-data, reading files,
// hex, a little-endian store builder written from the spec (independent of
// the library's encoder), temporary directories, a seeded generator and
// SHA-256.

import Foundation
import SwKasTestSupport
import Testing

@testable import SwKasCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Paths and files

// MARK: - Hex

/// A `KastoreArray` of `type` from little-endian element bytes, built through
/// the public typed initializer (not the library's decoder).
func makeArray(_ type: KastoreType, _ bytes: [UInt8]) -> KastoreArray {
    func values<T: KastoreElement & FixedWidthInteger>(_: T.Type) -> [T] {
        stride(from: 0, to: bytes.count, by: MemoryLayout<T>.size).map { readLE(bytes, at: $0, as: T.self) }
    }
    switch type {
    case .int8: return KastoreArray(values(Int8.self))
    case .uint8: return KastoreArray(values(UInt8.self))
    case .int16: return KastoreArray(values(Int16.self))
    case .uint16: return KastoreArray(values(UInt16.self))
    case .int32: return KastoreArray(values(Int32.self))
    case .uint32: return KastoreArray(values(UInt32.self))
    case .int64: return KastoreArray(values(Int64.self))
    case .uint64: return KastoreArray(values(UInt64.self))
    case .float32: return KastoreArray(values(UInt32.self).map { Float(bitPattern: $0) })
    case .float64: return KastoreArray(values(UInt64.self).map { Double(bitPattern: $0) })
    }
}

/// The little-endian bytes of an array's elements.
func arrayBytes(_ array: KastoreArray) -> [UInt8] {
    array.withUnsafeBytes { Array($0) }
}

// MARK: - A model store builder (spec §1.2, §1.3, §1.6), independent of the library

struct ModelItem {
    var type: UInt8
    var key: [UInt8]
    var data: [UInt8]  // little-endian element bytes
    var count: UInt64
    var keyStart: UInt64 = 0
    var arrayStart: UInt64 = 0

    init(_ key: [UInt8], type: UInt8, data: [UInt8], count: UInt64? = nil) {
        self.key = key
        self.type = type
        self.data = data
        let size: UInt64 = [1, 1, 2, 2, 4, 4, 8, 8, 4, 8][Int(Swift.min(type, 9))]
        self.count = count ?? UInt64(data.count) / size
    }
}

/// A store laid out by hand. `items` are written in the given order (callers
/// sort them for a valid store); `canonicalLayout()` fills the offsets as
/// §1.6 prescribes. Every field can then be tampered with before `bytes()`.
struct ModelStore {
    var magic: [UInt8] = [0x89, 0x4B, 0x41, 0x53, 0x0D, 0x0A, 0x1A, 0x0A]
    var major: UInt16 = 1
    var minor: UInt16 = 0
    var items: [ModelItem]
    var itemCount: UInt32? = nil  // override of n
    var fileSize: UInt64 = 0

    init(_ items: [ModelItem]) {
        self.items = items
        canonicalLayout()
    }

    mutating func canonicalLayout() {
        var offset = UInt64(64 + 64 * items.count)
        for index in items.indices {
            items[index].keyStart = offset
            offset += UInt64(items[index].key.count)
        }
        for index in items.indices {
            offset = (offset + 7) / 8 * 8
            items[index].arrayStart = offset
            offset += UInt64(items[index].data.count)
        }
        fileSize = offset
    }

    /// The header and descriptors only.
    func headerAndDescriptors() -> [UInt8] {
        var out = magic + le(major) + le(minor) + le(itemCount ?? UInt32(items.count)) + le(fileSize)
        out += [UInt8](repeating: 0, count: 40)
        for item in items {
            out += [item.type] + [UInt8](repeating: 0, count: 7)
            out += le(item.keyStart) + le(UInt64(item.key.count)) + le(item.arrayStart) + le(item.count)
            out += [UInt8](repeating: 0, count: 24)
        }
        return out
    }

    /// The whole store, keys and arrays placed at their (possibly tampered)
    /// offsets, as long as those fit in `physicalSize` (default: the layout's end).
    func bytes(physicalSize: Int? = nil) -> [UInt8] {
        // Offsets past 1 MiB are tampered values that name no real bytes.
        let limit: UInt64 = 1 << 20
        var end = 64 + 64 * items.count
        for item in items {
            if item.keyStart < limit { end = Swift.max(end, Int(item.keyStart) + item.key.count) }
            if item.arrayStart < limit { end = Swift.max(end, Int(item.arrayStart) + item.data.count) }
        }
        if fileSize < limit { end = Swift.max(end, Int(fileSize)) }
        let size = physicalSize ?? end
        var out = headerAndDescriptors()
        out += [UInt8](repeating: 0, count: Swift.max(0, Swift.max(size, end) - out.count))
        for item in items {
            if item.keyStart < limit, Int(item.keyStart) + item.key.count <= out.count {
                let start = Int(item.keyStart)
                out.replaceSubrange(start..<(start + item.key.count), with: item.key)
            }
            if item.arrayStart < limit, Int(item.arrayStart) + item.data.count <= out.count {
                let start = Int(item.arrayStart)
                out.replaceSubrange(start..<(start + item.data.count), with: item.data)
            }
        }
        return Array(out.prefix(size))
    }
}

/// The worked example of spec §1.7 as model items, in key order.
func workedExampleItems() -> [ModelItem] {
    [
        ModelItem([0x61], type: 4, data: le(Int32(-1)) + le(Int32(2))),
        ModelItem([0x61, 0x62], type: 1, data: [7]),
        ModelItem([0x62], type: 8, data: []),
    ]
}

// MARK: - Seeded generator

/// SplitMix64: small, fast and fully deterministic.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - SHA-256 (FIPS 180-4), to check the spec's and the manifests' digests

func sha256Hex(_ message: [UInt8]) -> String {
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    var h: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    var data = message
    data.append(0x80)
    while data.count % 64 != 56 { data.append(0) }
    let bits = UInt64(message.count) &* 8
    for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for block in stride(from: 0, to: data.count, by: 64) {
        for t in 0..<16 {
            let i = block + 4 * t
            w[t] = UInt32(data[i]) << 24 | UInt32(data[i + 1]) << 16 | UInt32(data[i + 2]) << 8 | UInt32(data[i + 3])
        }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
    return h.map { word in
        let s = String(word, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }.joined()
}

// MARK: - Decoding helpers

/// `KastoreDecoder.readContents(memory:)`, releasing the key block; returns
/// the error or the item count.
func decodeMemory(_ bytes: [UInt8]) -> Result<(header: KastoreHeader, descriptors: [KastoreDescriptor], keys: [[UInt8]]), SwKasError> {
    bytes.withUnsafeBytes { raw in
        do throws(SwKasError) {
            let contents = try KastoreDecoder.readContents(memory: raw)
            defer { RawMemory.release(contents.keyBlock.baseAddress) }
            let keys = contents.descriptors.indices.map { Array(contents.key(at: $0)) }
            return .success((contents.header, contents.descriptors, keys))
        } catch {
            return .failure(error)
        }
    }
}

/// The error a throwing call raised, or nil if it succeeded.
func caught<T>(_ body: () throws(SwKasError) -> T) -> SwKasError? {
    do throws(SwKasError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// `KastoreFile(bytes:)`'s error, or nil.
func openError(_ bytes: [UInt8]) -> SwKasError? {
    caught { () throws(SwKasError) in try KastoreFile(bytes: bytes) }
}
