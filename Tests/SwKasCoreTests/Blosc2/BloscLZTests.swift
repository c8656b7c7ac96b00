// The BloscLZ decoder (spec §2.1): streams cut out of python-blosc2 4.14.1
// chunks (test-data/blosc2/blosclz, made by make_filter_vectors.py),
// hand-built streams for each rule and failure, and malformed input, which
// must throw without touching memory outside the buffers.

import Foundation
import SwKasTestSupport
import Testing

@testable import SwKasCore

/// Decodes `stream` into `size` bytes placed between guard bytes, which must
/// survive whatever the input.
func decodeBloscLZ(_ stream: [UInt8], size: Int) -> Result<[UInt8], SwKasError> {
    let guardSize = 64
    var buffer = [UInt8](repeating: 0x5A, count: size + 2 * guardSize)
    let error: SwKasError? = stream.withUnsafeBytes { source in
        buffer.withUnsafeMutableBytes { whole in
            let target = UnsafeMutableRawBufferPointer(rebasing: whole[guardSize..<(guardSize + size)])
            do throws(SwKasError) {
                try BloscLZ.decompress(source, into: target)
                return nil
            } catch {
                return error
            }
        }
    }
    let guards = buffer.prefix(guardSize) + buffer.suffix(guardSize)
    #expect(guards.allSatisfy { $0 == 0x5A }, "the decoder wrote outside its output")
    if let error { return .failure(error) }
    return .success(Array(buffer[guardSize..<(guardSize + size)]))
}

struct BloscLZVector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let clevel: Int
    let csize: Int
    let size: Int
    let literals: Int
    let matches: Int
    let extended: Int
    let far: Int
    let overlapping: Int
    let note: String

    var testDescription: String { name }
}

let bloscLZGoldenDir = repoRoot + "/test-data/blosc2/blosclz"

let bloscLZVectors: [BloscLZVector] = {
    guard let bytes = readBytes(bloscLZGoldenDir + "/manifest.json") else { return [] }
    return (try? JSONDecoder().decode([BloscLZVector].self, from: Data(bytes))) ?? []
}()

func bloscLZStream(_ name: String) -> (stream: [UInt8], raw: [UInt8])? {
    guard let stream = readBytes(bloscLZGoldenDir + "/\(name).lz"),
        let raw = readBytes(bloscLZGoldenDir + "/\(name).raw")
    else { return nil }
    return (stream, raw)
}

@Suite("BloscLZ decoder")
struct Blosc2BloscLZTests {
    // MARK: python-blosc2 streams

    @Test func corpusHasEveryFeature() {
        #expect(bloscLZVectors.count >= 10)
        #expect(bloscLZVectors.contains { $0.far > 0 }, "far matches (distance > 8191)")
        #expect(bloscLZVectors.contains { $0.extended > 0 }, "extended lengths")
        #expect(bloscLZVectors.contains { $0.overlapping > 0 }, "overlapping copies")
        #expect(bloscLZVectors.contains { $0.size >= 65536 })
    }

    @Test("decodes python-blosc2's streams", arguments: bloscLZVectors)
    func golden(_ vector: BloscLZVector) throws {
        let (stream, raw) = try #require(bloscLZStream(vector.name))
        #expect(stream.count == vector.csize && raw.count == vector.size)
        switch decodeBloscLZ(stream, size: raw.count) {
        case .success(let decoded): #expect(byteMismatch(decoded, raw) == nil)
        case .failure(let error): Issue.record("\(vector.name): \(error)")
        }
        // The size is exact: one byte more or less is an error.
        #expect(decodeBloscLZ(stream, size: raw.count + 1) == .failure(.badFileFormat))
        #expect(decodeBloscLZ(stream, size: raw.count - 1) == .failure(.badFileFormat))
        // Trailing garbage is decoded as instructions, which cannot end exactly.
        #expect(decodeBloscLZ(stream + [0], size: raw.count) == .failure(.badFileFormat))
    }

    // MARK: Hand-built streams, one rule each

    @Test func literals() {
        // Bit 5 of the first byte is a marker: 0x23 is a run of 4.
        #expect(decodeBloscLZ([0x23, 1, 2, 3, 4], size: 4) == .success([1, 2, 3, 4]))
        #expect(decodeBloscLZ([0x03, 1, 2, 3, 4], size: 4) == .success([1, 2, 3, 4]))
        // Top bits of the first byte are masked off too: always a literal run.
        #expect(decodeBloscLZ([0xE0, 9], size: 1) == .success([9]))
        // Two runs.
        #expect(decodeBloscLZ([0x01, 1, 2, 0x00, 3], size: 3) == .success([1, 2, 3]))
        // A 32-byte run (ctrl 31).
        let bytes = (0..<32).map { UInt8($0) }
        #expect(decodeBloscLZ([0x1F] + bytes, size: 32) == .success(bytes))
    }

    @Test func emptyInput() {
        #expect(decodeBloscLZ([], size: 0) == .success([]))
        #expect(decodeBloscLZ([], size: 1) == .failure(.badFileFormat))
        // Input but no room for any output.
        #expect(decodeBloscLZ([0x00, 7], size: 0) == .failure(.badFileFormat))
    }

    @Test func nearMatches() {
        // Literal "abc", then a 3-byte match (ctrl 0x20: len 3, hi 0) at distance 3, then a literal.
        #expect(decodeBloscLZ([0x02, 97, 98, 99, 0x20, 2, 0x00, 100], size: 7) == .success(Array("abcabcd".utf8)))
        // Distance 1 repeats one byte (overlapping copy): ctrl 0xC0 = len (6-1)+3 = 8.
        #expect(decodeBloscLZ([0x00, 7, 0xC0, 0, 0x00, 8], size: 10) == .success([7, 7, 7, 7, 7, 7, 7, 7, 7, 8]))
        // Distance 2 with overlap: "ab" then a 5-byte match (ctrl 0x60) → "abababa".
        #expect(decodeBloscLZ([0x01, 97, 98, 0x60, 1, 0x00, 120], size: 8) == .success(Array("abababax".utf8)))
        // The high distance bits come from ctrl: distance (1 << 8) + 4 + 1 = 261.
        let head = (0..<261).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var stream: [UInt8] = []
        var chunks = head[...]
        while !chunks.isEmpty {
            let part = chunks.prefix(32)
            stream += [UInt8(part.count - 1)] + part
            chunks = chunks.dropFirst(part.count)
        }
        stream += [0x21, 4, 0x00, 1]
        #expect(decodeBloscLZ(stream, size: 261 + 3 + 1) == .success(head + head.prefix(3) + [1]))
    }

    @Test func extendedLengths() {
        // ctrl 0xE0: len 6 + e; e = 10 → 6 + 10 + 3 = 19 bytes at distance 1.
        #expect(decodeBloscLZ([0x00, 5, 0xE0, 10, 0, 0x00, 6], size: 21)
            == .success([UInt8](repeating: 5, count: 20) + [6]))
        // e = 255, 255, 4: 6 + 514 + 3 = 523 bytes.
        #expect(decodeBloscLZ([0x00, 5, 0xE0, 255, 255, 4, 0, 0x00, 6], size: 525)
            == .success([UInt8](repeating: 5, count: 524) + [6]))
        // e = 0 is allowed: 9 bytes.
        #expect(decodeBloscLZ([0x00, 5, 0xE0, 0, 0, 0x00, 6], size: 11) == .success([UInt8](repeating: 5, count: 10) + [6]))
    }

    @Test func farMatches() {
        // 9000 bytes of literals, then a far match: ctrl 0x3F (len 3, hi 31<<8), lo 255,
        // big-endian f = 0x0010 → distance 8192 + 16 = 8208.
        var generator = SeededGenerator(seed: 42)
        let head = (0..<9000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var stream: [UInt8] = []
        var rest = head[...]
        while !rest.isEmpty {
            let part = rest.prefix(32)
            stream += [UInt8(part.count - 1)] + part
            rest = rest.dropFirst(part.count)
        }
        let far = stream + [0x3F, 255, 0x00, 0x10, 0x00, 1]
        let from = 9000 - 8208
        #expect(decodeBloscLZ(far, size: 9004) == .success(head + head[from..<(from + 3)] + [1]))
        // f big-endian, not little-endian: 0x1000 would reach 12288 back, before the start.
        #expect(decodeBloscLZ(stream + [0x3F, 255, 0x10, 0x00, 0x00, 1], size: 9004) == .failure(.badFileFormat))
        // lo 255 with hi below 31<<8 is a near match: distance (30 << 8) + 255 + 1 = 7936.
        let near = stream + [0x3E, 255, 0x00, 1]
        let nearFrom = 9000 - 7936
        #expect(decodeBloscLZ(near, size: 9004) == .success(head + head[nearFrom..<(nearFrom + 3)] + [1]))
        // The largest near distance: hi 31<<8, lo 254 → 8191.
        #expect(decodeBloscLZ(stream + [0x3F, 254, 0x00, 1], size: 9004)
            == .success(head + head[(9000 - 8191)..<(9000 - 8188)] + [1]))
    }

    @Test func failures() {
        let fail = Result<[UInt8], SwKasError>.failure(.badFileFormat)
        // Literal run past the input.
        #expect(decodeBloscLZ([0x03, 1, 2, 3], size: 4) == fail)
        // Literal run past the output.
        #expect(decodeBloscLZ([0x03, 1, 2, 3, 4], size: 3) == fail)
        // Output not filled.
        #expect(decodeBloscLZ([0x01, 1, 2], size: 3) == fail)
        // Match reaching before the start: distance 2 after 1 byte.
        #expect(decodeBloscLZ([0x00, 1, 0x20, 1, 0x00, 2], size: 5) == fail)
        // Match past the output.
        #expect(decodeBloscLZ([0x00, 1, 0x20, 0, 0x00, 2], size: 3) == fail)
        #expect(decodeBloscLZ([0x00, 1, 0x20, 0, 0x00, 2], size: 5) == .success([1, 1, 1, 1, 2]))
        // A match needs two bytes left (its distance and the next control byte).
        #expect(decodeBloscLZ([0x00, 1, 0x20, 0], size: 4) == fail)
        #expect(decodeBloscLZ([0x00, 1, 0x20], size: 4) == fail)
        // Extension bytes need two bytes left each.
        #expect(decodeBloscLZ([0x00, 1, 0xE0, 255, 0], size: 300) == fail)
        #expect(decodeBloscLZ([0x00, 1, 0xE0, 1], size: 300) == fail)
        // Far distance needs two more bytes.
        #expect(decodeBloscLZ([0x00, 1, 0x3F, 255, 0x00], size: 300) == fail)
        // An endless chain of 255 extensions ends with the input.
        #expect(decodeBloscLZ([0x00, 1, 0xE0] + [UInt8](repeating: 255, count: 1000), size: 1 << 20) == fail)
    }

    /// A match whose distance byte is the last input byte stops the decoder
    /// before the copy, so the output comes out short (performing it would
    /// have filled the output exactly here).
    @Test func matchAtTheEndIsNotPerformed() {
        // Extended match ending the input: len 9, distance 1.
        #expect(decodeBloscLZ([0x00, 1, 0xE0, 0, 0], size: 10) == .failure(.badFileFormat))
        #expect(decodeBloscLZ([0x00, 1, 0xE0, 0, 0, 0x00, 2], size: 11) == .success([UInt8](repeating: 1, count: 10) + [2]))
        // Far match ending the input.
        var generator = SeededGenerator(seed: 1)
        let head = (0..<8300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var stream: [UInt8] = []
        var rest = head[...]
        while !rest.isEmpty {
            let part = rest.prefix(32)
            stream += [UInt8(part.count - 1)] + part
            rest = rest.dropFirst(part.count)
        }
        #expect(decodeBloscLZ(stream + [0x3F, 255, 0, 0], size: 8303) == .failure(.badFileFormat))
        // The range checks still come first: with room for the literal only, the match is out of range.
        #expect(decodeBloscLZ([0x00, 1, 0xE0, 0, 0], size: 1) == .failure(.badFileFormat))
    }

    // MARK: Malformed input

    @Test("every truncation throws", arguments: ["pattern_cl1_b0", "runs_cl1_b0", "half_random_cl9_b0", "mostly_literals_cl9_b0", "far_cl1_b0"])
    func truncations(_ name: String) throws {
        let (stream, raw) = try #require(bloscLZStream(name))
        for length in 0..<stream.count {
            let result = decodeBloscLZ(Array(stream.prefix(length)), size: raw.count)
            #expect(result == .failure(.badFileFormat), "\(name) cut at \(length)")
        }
    }

    @Test("random corruptions never escape the buffers", arguments: bloscLZVectors.prefix(18).map(\.name))
    func corruptions(_ name: String) throws {
        let (stream, raw) = try #require(bloscLZStream(name))
        var generator = SeededGenerator(seed: UInt64(stream.count))
        let rounds = stream.count > 8192 ? 60 : 300
        for _ in 0..<rounds {
            var bad = stream
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let size = Bool.random(using: &generator) ? raw.count : Int.random(in: 0...(raw.count + 100), using: &generator)
            _ = decodeBloscLZ(bad, size: size)  // may succeed or throw; must not crash
        }
    }

    @Test func randomInputs() {
        var generator = SeededGenerator(seed: 2024)
        var successes = 0
        for _ in 0..<5000 {
            let count = Int.random(in: 0...200, using: &generator)
            let stream = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let size = Int.random(in: 0...400, using: &generator)
            if case .success = decodeBloscLZ(stream, size: size) { successes += 1 }
        }
        // Mostly errors, and no crash.
        #expect(successes < 5000)
    }

    @Test func overlappingBuffersThrow() {
        var bytes: [UInt8] = [0x03, 1, 2, 3, 4, 0, 0, 0, 0, 0]
        bytes.withUnsafeMutableBytes { whole in
            let source = UnsafeRawBufferPointer(rebasing: whole[0..<5])
            let overlapping = UnsafeMutableRawBufferPointer(rebasing: whole[4..<8])
            #expect(throws: SwKasError.badFileFormat) { try BloscLZ.decompress(source, into: overlapping) }
            let adjacent = UnsafeMutableRawBufferPointer(rebasing: whole[5..<9])
            #expect(throws: Never.self) { try BloscLZ.decompress(source, into: adjacent) }
        }
        #expect(bytes[5..<9] == [1, 2, 3, 4])
    }
}
