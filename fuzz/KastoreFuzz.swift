// libFuzzer entry point for every kastore reader: the Swift API over memory,
// the C ABI over memory (swkas_open_buffer) and over a stdio stream
// (kastore_openf, lazy and KAS_READ_ALL). Any trap, sanitizer report or hang
// is a bug; error returns are fine.
import CSwKas
import SwKas
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKastore(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let file = try? KastoreFile(bytes: Array(bytes)) {
        for index in file.indices { _ = file.array(at: index) }
    }
    for flags in [0, KAS_GET_TAKES_OWNERSHIP] {
        var store = kastore_t()
        if swkas_open_buffer(&store, data, size, flags) == 0 {
            readEveryItem(&store, owned: flags != 0)
        }
        _ = kastore_close(&store)
    }
    // fmemopen refuses empty buffers; the memory reader covered that case.
    guard size > 0, let stream = fmemopen(UnsafeMutableRawPointer(mutating: data), size, "rb") else { return 0 }
    defer { fclose(stream) }
    for flags in [0, KAS_READ_ALL, KAS_READ_ALL | KAS_GET_TAKES_OWNERSHIP] {
        rewind(stream)
        var store = kastore_t()
        if kastore_openf(&store, stream, "r", flags) == 0 {
            readEveryItem(&store, owned: flags & KAS_GET_TAKES_OWNERSHIP != 0)
        }
        _ = kastore_close(&store)
    }
    return 0
}

/// Gets every item by key and by index, touching every byte returned.
private func readEveryItem(_ store: inout kastore_t, owned: Bool) {
    var checksum: UInt8 = 0
    for index in 0..<store.num_items {
        var key: UnsafePointer<CChar>?
        var keyLength = 0
        var type: Int32 = 0
        var count = 0
        guard swkas_item(&store, index, &key, &keyLength, &type, &count) == 0 else { continue }
        var array: UnsafeMutableRawPointer?
        for byIndex in [false, true] {
            let status = byIndex
                ? swkas_get_at(&store, index, &array, &count, &type)
                : kastore_get(&store, key, keyLength, &array, &count, &type)
            guard status == 0, let array else { continue }
            let size = Int(swkas_type_size(type)) * count
            for offset in 0..<size { checksum &+= array.load(fromByteOffset: offset, as: UInt8.self) }
            if owned { free(array) }
        }
        _ = kastore_contains(&store, key, keyLength)
    }
    blackHole(checksum)
}

@inline(never)
private func blackHole(_ value: UInt8) {
    withExtendedLifetime(value) {}
}
