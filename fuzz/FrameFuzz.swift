// libFuzzer entry point for the frame layer: the frame parser (header,
// metalayers, trailer, index), the b2nd/caterva metalayer and msgpack
// readers, and N-d reads of whatever opens (whole arrays up to 16 MiB, and
// a strided window). Any trap, sanitizer report or hang is a bug; thrown
// errors are fine.
@testable import SwKasCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var reader = MsgPackReader(bytes)
    try? reader.skip()
    _ = try? ArrayMetalayer.parse(bytes, isB2nd: true)
    _ = try? ArrayMetalayer.parse(bytes, isB2nd: false)
    guard let array = try? NDArray.fromFrame(bytes) else { return 0 }
    let geometry = array.geometry
    if geometry.itemCount * geometry.itemsize <= 16 << 20 && geometry.chunkBytes <= 16 << 20 {
        _ = try? array.getSlice(Selection.all(geometry))
        let window = geometry.shape.map { StridedRange(start: $0 / 3, stop: $0, step: 2) }
        _ = try? array.getSlice(window)
    }
    for name in array.vlmetaNames { _ = try? array.vlmeta(name) }
    _ = array.info
    return 0
}
