// Helpers for the C ABI suite: test-data paths, files, temporary
// directories, the manifests, and a heap-allocated kastore_t.

import CSwKas
import Foundation
import SwKasTestSupport
import SwKasCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
