import Foundation
import SwKasTestSupport
import Testing

@testable import SwKasCore

/// One golden chunk written by python-blosc2 (test-data/blosc2/chunks/manifest.json).
struct GoldenChunk: Decodable, Sendable, CustomStringConvertible {
    let file: String
    let input: String?
    let codec: Int
    let clevel: Int
    let typesize: Int
    let blocksize: Int
    let filters: [Int]
    let filters_meta: [Int]
    let splitmode: Int?
    let reference_decodes: Bool?
    let reference_output: String?
    let expected: String?

    var description: String { file }
}

private struct ChunkManifest: Decodable {
    let chunks: [GoldenChunk]
}

private let chunksDir = repoRoot + "/test-data/blosc2/chunks"
private let goldenChunks: [GoldenChunk] = {
    guard let data = FileManager.default.contents(atPath: chunksDir + "/manifest.json"),
        let manifest = try? JSONDecoder().decode(ChunkManifest.self, from: data)
    else { return [] }
    return manifest.chunks
}()

/// The bytes a correct decoder must produce for a golden chunk: python-blosc2's
/// own output where it differs from the input (lossy or quirky cases).
private func expectedOutput(_ chunk: GoldenChunk) -> [UInt8]? {
    for name in [chunk.reference_output, chunk.expected, chunk.input].compactMap({ $0 }) {
        if let bytes = readBytes(chunksDir + "/" + name) { return bytes }
    }
    return nil
}

@Suite("Blosc2 chunks: python-blosc2 golden corpus")
struct ChunkGoldenTests {
    @Test("the corpus is present") func corpus() {
        #expect(goldenChunks.count > 500)
    }

    @Test("every chunk python-blosc2 decodes, we decode to the same bytes (1 and 2 threads)",
          arguments: goldenChunks.filter { $0.reference_decodes != false })
    func decodesLikeReference(_ chunk: GoldenChunk) throws {
        let bytes = try #require(readBytes(chunksDir + "/" + chunk.file))
        let header = try bytes.withUnsafeBytes { try Blosc2Chunk.header(of: $0) }
        // Uninitialised chunks have no defined contents (python-blosc2 returns
        // stale memory); we return zeros.
        let expected = header.special == .uninitialized
            ? [UInt8](repeating: 0, count: header.nbytes) : try #require(expectedOutput(chunk))
        for threads in [1, 2] {
            let decoded = try Blosc2Chunk.decompress(bytes, nthreads: threads)
            #expect(decoded == expected, "\(chunk.file) threads \(threads)")
        }
    }

    @Test("chunks python-blosc2 itself cannot decode are rejected, never misread",
          arguments: goldenChunks.filter { $0.reference_decodes == false })
    func rejectsBroken(_ chunk: GoldenChunk) throws {
        let bytes = try #require(readBytes(chunksDir + "/" + chunk.file))
        if let expected = chunk.reference_output.flatMap({ readBytes(chunksDir + "/" + $0) }) {
            // Deterministic upstream output: ours must agree, or refuse.
            if let decoded = try? Blosc2Chunk.decompress(bytes) { #expect(decoded == expected) }
        } else {
            #expect(throws: SwKasError.self) { try Blosc2Chunk.decompress(bytes) }
        }
    }

    @Test("every item range decodes like the whole chunk", arguments: goldenChunks.filter {
        $0.reference_decodes != false && $0.reference_output == nil && $0.expected == nil
    }.prefix(120))
    func itemRanges(_ chunk: GoldenChunk) throws {
        let bytes = try #require(readBytes(chunksDir + "/" + chunk.file))
        let whole = try Blosc2Chunk.decompress(bytes)
        let header = try bytes.withUnsafeBytes { try Blosc2Chunk.header(of: $0) }
        let items = whole.count / header.typesize
        for (start, count) in [(0, items), (0, Swift.min(1, items)), (items / 3, items / 2), (Swift.max(items - 1, 0), Swift.min(1, items))] {
            var part = [UInt8](repeating: 0, count: count * header.typesize)
            try bytes.withUnsafeBytes { chunkBytes in
                try part.withUnsafeMutableBytes {
                    _ = try Blosc2Chunk.decompressItems(chunkBytes, start: start, count: count, into: $0, nthreads: 2)
                }
            }
            #expect(part == Array(whole[(start * header.typesize)..<((start + count) * header.typesize)]))
        }
    }

    @Test("our chunks round-trip with the golden chunks' parameters (1 and 2 threads give the same bytes)",
          arguments: goldenChunks.filter { $0.reference_decodes != false && $0.codec != 0 && $0.input != nil }.prefix(300))
    func roundTrip(_ chunk: GoldenChunk) throws {
        let input = try #require(readBytes(chunksDir + "/" + (chunk.input ?? "")))
        var parameters = Blosc2Parameters(
            codec: try #require(Blosc2Codec(rawValue: UInt8(chunk.codec))), clevel: chunk.clevel,
            typesize: chunk.typesize, blocksize: chunk.blocksize,
            filters: chunk.filters.compactMap { Blosc2Filter(rawValue: UInt8($0)) },
            filtersMeta: chunk.filters_meta.map { UInt8(truncatingIfNeeded: $0) },
            splitMode: Blosc2SplitMode(rawValue: Int32(chunk.splitmode ?? 3)) ?? .auto)
        guard let single = try? Blosc2Chunk.compress(input, parameters: parameters) else {
            // Only the documented refusals (DELTA/TRUNC_PREC on partial units, bad TRUNC_PREC metas).
            #expect(chunk.filters.contains(3) || chunk.filters.contains(4), "\(chunk.file)")
            return
        }
        parameters.nthreads = 2
        #expect(try Blosc2Chunk.compress(input, parameters: parameters) == single)
        let decoded = try Blosc2Chunk.decompress(single)
        if chunk.filters.contains(4) {
            #expect(decoded.count == input.count)  // TRUNC_PREC is lossy
        } else {
            #expect(decoded == input, "\(chunk.file)")
        }
    }

    @Test("corrupted chunks never crash: every truncation and byte flip of a few chunks")
    func corruption() throws {
        for chunk in goldenChunks.filter({ $0.reference_decodes != false }).prefix(40) {
            let bytes = try #require(readBytes(chunksDir + "/" + chunk.file))
            for length in stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 64)) {
                _ = try? Blosc2Chunk.decompress(Array(bytes.prefix(length)))
            }
            var generator = SeededGenerator(seed: UInt64(bytes.count))
            for _ in 0..<64 where !bytes.isEmpty {
                var mutated = bytes
                mutated[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                _ = try? Blosc2Chunk.decompress(mutated, nthreads: 2)
            }
        }
    }
}
