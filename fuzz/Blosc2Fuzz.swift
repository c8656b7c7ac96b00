// libFuzzer entry point for everything in the Blosc2 engine that sees bytes
// from files: the chunk decoder (whole chunks and item ranges, 1 and 2
// threads), the BloscLZ decoder and every filter's inverse (and forward, with
// a round-trip check). The whole input is tried as a chunk; then bytes 0-1
// are the little-endian output size for BloscLZ (at most 65535) and the
// filter parameters, and the rest is the stream or block. Any trap,
// sanitizer report or hang is a bug; thrown errors are fine.
@testable import SwKasCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBlosc2(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzChunk(UnsafeRawBufferPointer(start: data, count: size))
    guard size >= 2 else { return 0 }
    let expected = Int(data[0]) | Int(data[1]) << 8
    let body = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    // Exactly sized buffers, so AddressSanitizer sees any access past them.
    let decoded = UnsafeMutableRawBufferPointer.allocate(byteCount: expected, alignment: 1)
    defer { decoded.deallocate() }
    _ = try? BloscLZ.decompress(body, into: decoded)

    let typesize = Int(data[0] % 40) + 1
    let meta = data[1]
    let first = UnsafeMutableRawBufferPointer.allocate(byteCount: body.count, alignment: 1)
    let second = UnsafeMutableRawBufferPointer.allocate(byteCount: body.count, alignment: 1)
    defer {
        first.deallocate()
        second.deallocate()
    }
    let original = UnsafeRawBufferPointer(first)
    let width = Shuffle.width(meta: meta, typesize: typesize)

    // Inverses on arbitrary bytes: what a decoder feeds them.
    _ = try? Shuffle.inverse(body, into: first, width: width)
    _ = try? BitShuffle.inverse(body, into: first, typesize: typesize, legacyVersion2: meta & 1 == 1)
    _ = try? Delta.decode(body, into: first, typesize: typesize, reference: nil)
    _ = try? Delta.decode(body, into: first, typesize: typesize, reference: body)
    _ = try? TruncPrec.forward(body, into: first, typesize: meta & 2 == 0 ? 4 : 8, meta: meta)

    // Round trips: forward then inverse must give the input back.
    func roundTrip(
        _ forward: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws(SwKasError) -> Void,
        _ inverse: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws(SwKasError) -> Void
    ) {
        do throws(SwKasError) {
            try forward(body, first)
            try inverse(original, second)
        } catch {
            fatalError("a filter refused valid arguments: \(error)")
        }
        if !body.elementsEqual(second) { fatalError("round trip changed the data") }
    }
    roundTrip(
        { s, d throws(SwKasError) in try Shuffle.forward(s, into: d, width: width) },
        { s, d throws(SwKasError) in try Shuffle.inverse(s, into: d, width: width) })
    roundTrip(
        { s, d throws(SwKasError) in try BitShuffle.forward(s, into: d, typesize: typesize) },
        { s, d throws(SwKasError) in try BitShuffle.inverse(s, into: d, typesize: typesize) })
    roundTrip(
        { s, d throws(SwKasError) in try Delta.encode(s, into: d, typesize: typesize, reference: nil) },
        { s, d throws(SwKasError) in try Delta.decode(s, into: d, typesize: typesize, reference: nil) })
    return 0
}

/// Decodes the input as a chunk, whole and as an item range.
private func fuzzChunk(_ chunk: UnsafeRawBufferPointer) {
    guard let header = try? Blosc2Chunk.header(of: chunk), header.nbytes <= 1 << 22 else { return }
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: header.nbytes, alignment: 16)
    defer { output.deallocate() }
    for threads in [1, 2] {
        _ = try? Blosc2Chunk.decompress(chunk, into: output, nthreads: threads)
    }
    let items = header.nbytes / header.typesize
    if items > 0 {
        let start = Int(chunk[chunk.count - 1]) % items
        let count = (items - start) / 2
        _ = try? Blosc2Chunk.decompressItems(chunk, start: start, count: count, into: output, nthreads: 2)
    }
}
