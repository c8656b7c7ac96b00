// The Blosc2 filter kernels (spec §3): against naive models written here from
// the spec's index formulas, against python-blosc2's own filter output
// (test-data/blosc2/filters, made by make_filter_vectors.py), and round trips.

import CKernels
import Foundation
import SwKasTestSupport
import Testing

@testable import SwKasCore

// MARK: - Naive models (spec §3, one index formula each)

enum KernelModel {
    /// §3.1: out[j·n + i] = in[i·w + j]; the last size mod w bytes unchanged.
    static func shuffle(_ input: [UInt8], width w: Int) -> [UInt8] {
        let n = input.count / w
        var out = input
        for j in 0..<w { for i in 0..<n { out[j * n + i] = input[i * w + j] } }
        return out
    }

    static func unshuffle(_ input: [UInt8], width w: Int) -> [UInt8] {
        let n = input.count / w
        var out = input
        for j in 0..<w { for i in 0..<n { out[i * w + j] = input[j * n + i] } }
        return out
    }

    /// §3.2, bit by bit: bit r of element i goes to output bit r·N + i.
    static func bitShuffle(_ input: [UInt8], typesize ts: Int, legacyVersion2: Bool = false) -> [UInt8] {
        let elements = input.count / ts
        if legacyVersion2 && elements % 8 != 0 { return input }
        let n = elements / 8 * 8
        var out = input
        for p in 0..<(n * ts) { out[p] = 0 }
        for i in 0..<n {
            for r in 0..<(8 * ts) where input[i * ts + r / 8] >> (r % 8) & 1 == 1 {
                let p = r * n + i
                out[p / 8] |= 1 << (p % 8)
            }
        }
        return out
    }

    static func bitUnshuffle(_ input: [UInt8], typesize ts: Int, legacyVersion2: Bool = false) -> [UInt8] {
        let elements = input.count / ts
        if legacyVersion2 && elements % 8 != 0 { return input }
        let n = elements / 8 * 8
        var out = input
        for p in 0..<(n * ts) { out[p] = 0 }
        for i in 0..<n {
            for r in 0..<(8 * ts) {
                let p = r * n + i
                if input[p / 8] >> (p % 8) & 1 == 1 { out[i * ts + r / 8] |= 1 << (r % 8) }
            }
        }
        return out
    }

    /// §3.3 with explicit units: y[k] = x[k] ^ x[k-1] (block 0) or x[k] ^ R[k].
    static func deltaUnit(_ ts: Int) -> Int {
        [1, 2, 4, 8].contains(ts) ? ts : ts % 8 == 0 ? 8 : 1
    }

    static func deltaEncode(_ x: [UInt8], typesize ts: Int, reference: [UInt8]?) -> [UInt8] {
        let w = deltaUnit(ts)
        let cnt = x.count / w
        var y = x
        for k in 0..<cnt {
            for b in 0..<w {
                let m = k * w + b
                if let reference { y[m] = x[m] ^ reference[m] } else if k > 0 { y[m] = x[m] ^ x[m - w] }
            }
        }
        return y
    }

    static func deltaDecode(_ y: [UInt8], typesize ts: Int, reference: [UInt8]?) -> [UInt8] {
        let w = deltaUnit(ts)
        let cnt = y.count / w
        var x = y
        for k in 0..<cnt {
            for b in 0..<w {
                let m = k * w + b
                if let reference { x[m] = y[m] ^ reference[m] } else if k > 0 { x[m] = y[m] ^ x[m - w] }
            }
        }
        return x
    }

    /// §3.4 on integers: AND with ~((1 << z) - 1).
    static func truncate(_ x: [UInt8], typesize ts: Int, zeroed z: Int) -> [UInt8] {
        var out = x
        for start in stride(from: 0, to: x.count / ts * ts, by: ts) {
            for bit in 0..<z { out[start + bit / 8] &= ~(1 << UInt8(bit % 8)) }
        }
        return out
    }
}

// MARK: - Calling the kernels on arrays

/// Runs a kernel from `input` into a fresh buffer of the same size. The
/// output lives inside a larger buffer whose guard bytes must survive.
func runKernel(
    _ input: [UInt8], _ kernel: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void
) -> Result<[UInt8], SwKasError> {
    let guardSize = 16
    var buffer = [UInt8](repeating: 0xA5, count: input.count + 2 * guardSize)
    let error: SwKasError? = input.withUnsafeBytes { source in
        buffer.withUnsafeMutableBytes { whole in
            let target = UnsafeMutableRawBufferPointer(rebasing: whole[guardSize..<(guardSize + input.count)])
            do {
                try kernel(source, target)
                return nil
            } catch let error as SwKasError {
                return error
            } catch {
                Issue.record("unexpected error \(error)")
                return .generic
            }
        }
    }
    let guards = buffer.prefix(guardSize) + buffer.suffix(guardSize)
    #expect(guards.allSatisfy { $0 == 0xA5 }, "a kernel wrote outside its output")
    if let error { return .failure(error) }
    return .success(Array(buffer[guardSize..<(guardSize + input.count)]))
}

/// nil when the arrays are equal, else where they first differ: cheap to
/// report, unlike a failed `#expect(a == b)`, which diffs the two arrays.
func byteMismatch(_ a: [UInt8], _ b: [UInt8]) -> String? {
    if a == b { return nil }
    if a.count != b.count { return "sizes differ: \(a.count) and \(b.count)" }
    let index = a.indices.first { a[$0] != b[$0] } ?? 0
    return "first difference at byte \(index) of \(a.count): \(a[index]) vs \(b[index])"
}

func kernelRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// Bytes of `count` little-endian elements of a slow random walk: the kind
/// of data filters exist for (most bytes equal), with random noise in some.
func kernelWalkBytes(_ count: Int, typesize ts: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var value: UInt64 = 1000
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        value &+= UInt64.random(in: 0...6, using: &generator) &- 3
        for b in 0..<ts where out.count < count {
            out.append(b < 8 ? UInt8(truncatingIfNeeded: value >> UInt64(8 * b)) : UInt8.random(in: 0...255, using: &generator))
        }
    }
    return out
}

let kernelTypesizes = [1, 2, 3, 4, 8, 12, 16]

// MARK: - SHUFFLE

@Suite("Blosc2 SHUFFLE")
struct Blosc2ShuffleTests {
    @Test("matches the index formula and round-trips", arguments: Array(1...20) + [23, 24, 31, 32, 33, 64, 100, 255])
    func againstModel(width: Int) throws {
        for size in 0...300 {
            let input = kernelRandomBytes(size, seed: UInt64(width * 1000 + size))
            let shuffled = try runKernel(input) { try Shuffle.forward($0, into: $1, width: width) }.get()
            #expect(byteMismatch(shuffled, KernelModel.shuffle(input, width: width)) == nil, "width \(width) size \(size)")
            let restored = try runKernel(shuffled) { try Shuffle.inverse($0, into: $1, width: width) }.get()
            #expect(byteMismatch(restored, input) == nil, "width \(width) size \(size)")
        }
    }

    @Test("large buffers, every typesize", arguments: kernelTypesizes)
    func large(typesize: Int) throws {
        let size = 3 << 20 + 5
        let input = kernelWalkBytes(size, typesize: typesize, seed: UInt64(typesize))
        let shuffled = try runKernel(input) { try Shuffle.forward($0, into: $1, width: typesize) }.get()
        #expect(byteMismatch(shuffled, KernelModel.shuffle(input, width: typesize)) == nil)
        let restored = try runKernel(shuffled) { try Shuffle.inverse($0, into: $1, width: typesize) }.get()
        #expect(byteMismatch(restored, input) == nil)
    }

    @Test func widthFromMeta() {
        #expect(Shuffle.width(meta: 0, typesize: 8) == 8)
        #expect(Shuffle.width(meta: 2, typesize: 4) == 2)
    }
}

// MARK: - BITSHUFFLE

@Suite("Blosc2 BITSHUFFLE")
struct Blosc2BitShuffleTests {
    @Test("matches the bit-by-bit model and round-trips", arguments: Array(1...17) + [24, 31, 32, 40, 255])
    func againstModel(typesize: Int) throws {
        for size in 0...300 {
            let input = kernelRandomBytes(size, seed: UInt64(typesize * 1000 + size))
            let shuffled = try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
            #expect(byteMismatch(shuffled, KernelModel.bitShuffle(input, typesize: typesize)) == nil, "ts \(typesize) size \(size)")
            let restored = try runKernel(shuffled) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
            #expect(byteMismatch(restored, input) == nil, "ts \(typesize) size \(size)")
            #expect(
                try runKernel(shuffled) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
                    == KernelModel.bitUnshuffle(shuffled, typesize: typesize))
        }
    }

    @Test("sizes around the 64-element bulk", arguments: [1, 2, 3, 4, 7, 8, 12, 16])
    func bulkBoundaries(typesize: Int) throws {
        for elements in [56, 63, 64, 65, 71, 72, 120, 127, 128, 129, 136, 191, 192, 200, 1000, 1024, 1031] {
            for extra in [0, typesize / 2] {
                let input = kernelRandomBytes(elements * typesize + extra, seed: UInt64(elements * 31 + typesize))
                let shuffled = try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
                #expect(byteMismatch(shuffled, KernelModel.bitShuffle(input, typesize: typesize)) == nil, "ts \(typesize) n \(elements)")
                let restored = try runKernel(shuffled) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
                #expect(byteMismatch(restored, input) == nil, "ts \(typesize) n \(elements)")
            }
        }
    }

    @Test("large buffers, every typesize", arguments: kernelTypesizes)
    func large(typesize: Int) throws {
        let size = 1 << 20 + 13
        let input = kernelWalkBytes(size, typesize: typesize, seed: UInt64(typesize) + 77)
        let shuffled = try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
        #expect(byteMismatch(shuffled, KernelModel.bitShuffle(input, typesize: typesize)) == nil)
        let big = kernelWalkBytes(3 << 20 + 3, typesize: typesize, seed: UInt64(typesize) + 78)
        let forward = try runKernel(big) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
        let restored = try runKernel(forward) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
        #expect(byteMismatch(restored, big) == nil)
    }

    /// The spec's worked example (u2 × 16).
    @Test func specExample() throws {
        let input = hexBytes("0100 0200 0300 0080 ff00 0500 0000 0000 0000 0000 0000 0000 0000 0000 0000 0101")
        let expected = hexBytes(
            "35 80 16 00 30 00 10 00 10 00 10 00 10 00 10 00 00 80 00 00 00 00 00 00 00 00 00 00 00 00 08 00")
        #expect(try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: 2) }.get() == expected)
        #expect(try runKernel(expected) { try BitShuffle.inverse($0, into: $1, typesize: 2) }.get() == input)
    }

    /// Version-2 chunks leave blocks whose element count is not a multiple
    /// of 8 untouched; other blocks are bit-shuffled as usual.
    @Test func legacyVersion2() throws {
        for (elements, typesize) in [(11, 4), (29, 1), (100, 3), (16, 2), (64, 8)] {
            let input = kernelRandomBytes(elements * typesize + 1, seed: UInt64(elements))
            let forward = try runKernel(input) {
                try BitShuffle.forward($0, into: $1, typesize: typesize, legacyVersion2: true)
            }.get()
            #expect(byteMismatch(forward, KernelModel.bitShuffle(input, typesize: typesize, legacyVersion2: true)) == nil)
            #expect((forward == input) == (elements % 8 != 0))
            let back = try runKernel(forward) {
                try BitShuffle.inverse($0, into: $1, typesize: typesize, legacyVersion2: true)
            }.get()
            #expect(byteMismatch(back, input) == nil)
        }
    }

    /// Element counts around the strips the kernel works in (16 KiB of planes).
    @Test("sizes around the strip boundaries", arguments: [2, 3, 8, 12, 16])
    func stripBoundaries(typesize: Int) throws {
        let strip = Swift.max(8, (BitShuffle.stripBytes / typesize) & ~7)
        for elements in [strip - 8, strip, strip + 8, 2 * strip + 24, 3 * strip + 296] {
            let input = kernelRandomBytes(elements * typesize + 1, seed: UInt64(elements + typesize))
            let shuffled = try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
            #expect(byteMismatch(shuffled, KernelModel.bitShuffle(input, typesize: typesize)) == nil, "ts \(typesize) n \(elements)")
            let restored = try runKernel(shuffled) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
            #expect(byteMismatch(restored, input) == nil, "ts \(typesize) n \(elements)")
        }
    }
}

// MARK: - SIMD kernels

/// The SIMD kernels' tile boundaries (32-item tiles, in pairs), on both the
/// AVX2 code (where the CPU has it) and the baseline code. The kernels pick
/// their code per call, so the other suites see both too; results never
/// depend on it.
@Suite("Blosc2 SIMD kernels", .serialized)
struct Blosc2SIMDKernelTests {
    @Test("SHUFFLE widths 2, 4, 8, 16 around the tiles", arguments: [false, true])
    func shuffleTiles(baseline: Bool) throws {
        swkas_kernels_use_baseline(baseline ? 1 : 0)
        defer { swkas_kernels_use_baseline(0) }
        for width in [2, 4, 8, 16] {
            for items in Array(0...200) + [1000, 1023, 1024, 1056, 1088] {
                let input = kernelRandomBytes(items * width + width / 2, seed: UInt64(items * 17 + width))
                let shuffled = try runKernel(input) { try Shuffle.forward($0, into: $1, width: width) }.get()
                #expect(byteMismatch(shuffled, KernelModel.shuffle(input, width: width)) == nil, "w \(width) n \(items)")
                let restored = try runKernel(shuffled) { try Shuffle.inverse($0, into: $1, width: width) }.get()
                #expect(byteMismatch(restored, input) == nil, "w \(width) n \(items)")
                let streamed = runKernel(shuffled) { try Shuffle.inverse($0, into: $1, width: width, streaming: true) }
                #expect(byteMismatch(try streamed.get(), input) == nil, "w \(width) n \(items) streaming")
            }
        }
    }

    @Test("BITSHUFFLE around the tiles", arguments: [false, true])
    func bitShuffleTiles(baseline: Bool) throws {
        swkas_kernels_use_baseline(baseline ? 1 : 0)
        defer { swkas_kernels_use_baseline(0) }
        for typesize in [1, 2, 4, 8, 16] {
            for elements in stride(from: 0, through: 600, by: 8) {
                let input = kernelRandomBytes(elements * typesize + 1, seed: UInt64(elements * 7 + typesize))
                let shuffled = try runKernel(input) { try BitShuffle.forward($0, into: $1, typesize: typesize) }.get()
                #expect(byteMismatch(shuffled, KernelModel.bitShuffle(input, typesize: typesize)) == nil, "ts \(typesize) n \(elements)")
                let restored = try runKernel(shuffled) { try BitShuffle.inverse($0, into: $1, typesize: typesize) }.get()
                #expect(byteMismatch(restored, input) == nil, "ts \(typesize) n \(elements)")
                let streamed = runKernel(shuffled) {
                    try BitShuffle.inverse($0, into: $1, typesize: typesize, streaming: true)
                }
                #expect(byteMismatch(try streamed.get(), input) == nil, "ts \(typesize) n \(elements) streaming")
            }
        }
    }

    /// Chunks from `BlockDecoder.streamingThreshold` up decode with streaming
    /// stores, whole or in item ranges, on one or two threads.
    @Test("a chunk large enough for streaming stores", arguments: [Blosc2Filter.shuffle, .bitShuffle])
    func streamingChunk(filter: Blosc2Filter) throws {
        let input = kernelWalkBytes(BlockDecoder.streamingThreshold + 4104, typesize: 8, seed: 5)
        let chunk = try Blosc2Chunk.compress(
            input, parameters: Blosc2Parameters(codec: .lz4, clevel: 1, blocksize: 1 << 20, filters: [filter]))
        for threads in [1, 2] {
            #expect(byteMismatch(try Blosc2Chunk.decompress(chunk, nthreads: threads), input) == nil, "\(threads) threads")
        }
    }
}

// MARK: - DELTA

@Suite("Blosc2 DELTA")
struct Blosc2DeltaTests {
    @Test func unitWidths() {
        let expected = [1: 1, 2: 2, 3: 1, 4: 4, 5: 1, 8: 8, 12: 1, 16: 8, 24: 8, 255: 1]
        for (typesize, unit) in expected { #expect(Delta.unitWidth(typesize: typesize) == unit) }
    }

    @Test("matches the unit formula and round-trips", arguments: [1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 40, 255])
    func againstModel(typesize: Int) throws {
        for size in 0...300 {
            let input = kernelRandomBytes(size, seed: UInt64(typesize * 7000 + size))
            let reference = kernelRandomBytes(size + 9, seed: UInt64(size))
            for ref in [nil, reference] {
                let encoded = try runKernel(input) { source, target in
                    try withKernelReference(ref) { r in
                        try Delta.encode(source, into: target, typesize: typesize, reference: r)
                    }
                }.get()
                #expect(byteMismatch(encoded, KernelModel.deltaEncode(input, typesize: typesize, reference: ref)) == nil)
                let decoded = try runKernel(encoded) { source, target in
                    try withKernelReference(ref) { r in
                        try Delta.decode(source, into: target, typesize: typesize, reference: r)
                    }
                }.get()
                #expect(byteMismatch(decoded, input) == nil, "ts \(typesize) size \(size) ref \(ref != nil)")
            }
        }
    }

    @Test("large buffers, every typesize", arguments: kernelTypesizes)
    func large(typesize: Int) throws {
        let input = kernelWalkBytes(3 << 20 + 7, typesize: typesize, seed: 5)
        let encoded = try runKernel(input) { try Delta.encode($0, into: $1, typesize: typesize, reference: nil) }.get()
        #expect(byteMismatch(encoded, KernelModel.deltaEncode(input, typesize: typesize, reference: nil)) == nil)
        let decoded = try runKernel(encoded) { try Delta.decode($0, into: $1, typesize: typesize, reference: nil) }.get()
        #expect(byteMismatch(decoded, input) == nil)
    }

    @Test func referenceChecks() {
        let input = kernelRandomBytes(64, seed: 1)
        let short = kernelRandomBytes(63, seed: 2)
        let encoded = runKernel(input) { source, target in
            try withKernelReference(short) { r in
                try Delta.encode(source, into: target, typesize: 8, reference: r)
            }
        }
        #expect(encoded == .failure(.badFileFormat))
        let decoded = runKernel(input) { source, target in
            try withKernelReference(short) { r in
                try Delta.decode(source, into: target, typesize: 8, reference: r)
            }
        }
        #expect(decoded == .failure(.badFileFormat))
        // The reference must not be the destination.
        #expect(runKernel(input) { source, target in
            try Delta.decode(source, into: target, typesize: 8, reference: UnsafeRawBufferPointer(target))
        } == .failure(.badFileFormat))
    }
}

func withKernelReference<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { raw in try body(raw) }
}

// MARK: - TRUNC_PREC

@Suite("Blosc2 TRUNC_PREC")
struct Blosc2TruncPrecTests {
    @Test func validation() {
        for (typesize, mantissa) in [(4, 23), (8, 52)] {
            for p in -128...127 {
                let meta = UInt8(bitPattern: Int8(p))
                let z = p >= 0 ? mantissa - p : -p
                let valid = p != 0 && abs(p) <= mantissa && z < mantissa
                let result = Result { () throws(SwKasError) in try TruncPrec.zeroedBits(typesize: typesize, meta: meta) }
                if valid {
                    #expect(result == .success(z), "ts \(typesize) p \(p)")
                } else {
                    #expect(isInvalidArgument(result), "ts \(typesize) p \(p)")
                }
            }
        }
        for typesize in [0, 1, 2, 3, 5, 16, -4] {
            #expect(
                isInvalidArgument(runKernel([UInt8](repeating: 1, count: 32)) {
                    try TruncPrec.forward($0, into: $1, typesize: typesize, meta: 10)
                }))
        }
    }

    @Test("matches the bit model", arguments: [4, 8])
    func againstModel(typesize: Int) throws {
        let mantissa = typesize == 4 ? 23 : 52
        for p in [1, 2, 10, mantissa - 1, mantissa, -1, -3, -(mantissa - 1)] {
            let meta = UInt8(bitPattern: Int8(p))
            let z = p >= 0 ? mantissa - p : -p
            for size in [0, 1, 3, 4, 7, 8, 9, 100, 1001, 4096 + 5] {
                let input = kernelRandomBytes(size, seed: UInt64(size * 100 + z))
                let out = try runKernel(input) { try TruncPrec.forward($0, into: $1, typesize: typesize, meta: meta) }.get()
                #expect(byteMismatch(out, KernelModel.truncate(input, typesize: typesize, zeroed: z)) == nil, "ts \(typesize) p \(p)")
            }
        }
    }
}

// MARK: - Argument checks shared by every kernel

@Suite("Blosc2 filter arguments")
struct Blosc2FilterArgumentTests {
    typealias Kernel = (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws -> Void

    static var kernels: [(String, Kernel)] {
        [
            ("shuffle", { s, d in try Shuffle.forward(s, into: d, width: 4) }),
            ("unshuffle", { s, d in try Shuffle.inverse(s, into: d, width: 4) }),
            ("bitshuffle", { s, d in try BitShuffle.forward(s, into: d, typesize: 4) }),
            ("bitunshuffle", { s, d in try BitShuffle.inverse(s, into: d, typesize: 4) }),
            ("delta", { s, d in try Delta.encode(s, into: d, typesize: 4, reference: nil) }),
            ("undelta", { s, d in try Delta.decode(s, into: d, typesize: 4, reference: nil) }),
            ("trunc", { s, d in try TruncPrec.forward(s, into: d, typesize: 4, meta: 10) }),
        ]
    }

    @Test func mismatchedSizesAndOverlapThrow() {
        var bytes = kernelRandomBytes(256, seed: 3)
        for (name, kernel) in Self.kernels {
            bytes.withUnsafeMutableBytes { whole in
                let source = UnsafeRawBufferPointer(rebasing: whole[0..<128])
                let shorter = UnsafeMutableRawBufferPointer(rebasing: whole[128..<255])
                #expect(throws: SwKasError.badFileFormat, "\(name)") { try kernel(source, shorter) }
                let overlapping = UnsafeMutableRawBufferPointer(rebasing: whole[64..<192])
                #expect(throws: SwKasError.badFileFormat, "\(name)") { try kernel(source, overlapping) }
                let same = UnsafeMutableRawBufferPointer(rebasing: whole[0..<128])
                #expect(throws: SwKasError.badFileFormat, "\(name)") { try kernel(source, same) }
                // Adjacent buffers are fine.
                let adjacent = UnsafeMutableRawBufferPointer(rebasing: whole[128..<256])
                #expect(throws: Never.self, "\(name)") { try kernel(source, adjacent) }
                // Empty buffers are a no-op.
                #expect(throws: Never.self, "\(name)") {
                    try kernel(UnsafeRawBufferPointer(start: nil, count: 0), UnsafeMutableRawBufferPointer(start: nil, count: 0))
                }
            }
        }
    }

    @Test func nonPositiveWidthsThrow() {
        for width in [0, -1, Int.min] {
            #expect(runKernel([1, 2, 3]) { try Shuffle.forward($0, into: $1, width: width) } == .failure(.badFileFormat))
            #expect(runKernel([1, 2, 3]) { try Shuffle.inverse($0, into: $1, width: width) } == .failure(.badFileFormat))
            #expect(runKernel([1, 2, 3]) { try BitShuffle.forward($0, into: $1, typesize: width) } == .failure(.badFileFormat))
            #expect(runKernel([1, 2, 3]) { try BitShuffle.inverse($0, into: $1, typesize: width) } == .failure(.badFileFormat))
            #expect(runKernel([1, 2, 3]) { try Delta.encode($0, into: $1, typesize: width, reference: nil) } == .failure(.badFileFormat))
            #expect(runKernel([1, 2, 3]) { try Delta.decode($0, into: $1, typesize: width, reference: nil) } == .failure(.badFileFormat))
        }
        // Widths past the size copy everything.
        #expect(runKernel([1, 2, 3]) { try Shuffle.forward($0, into: $1, width: Int.max) } == .success([1, 2, 3]))
        #expect(runKernel([1, 2, 3]) { try BitShuffle.forward($0, into: $1, typesize: Int.max) } == .success([1, 2, 3]))
    }
}

// MARK: - Golden vectors from python-blosc2 4.14.1

struct FilterGoldenVector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let filter: String
    let typesize: Int
    let meta: UInt8
    let blocksize: Int
    let nbytes: Int
    let note: String

    var testDescription: String { name }
}

let filterGoldenDir = repoRoot + "/test-data/blosc2/filters"

let filterGoldenVectors: [FilterGoldenVector] = {
    guard let bytes = readBytes(filterGoldenDir + "/manifest.json") else { return [] }
    return (try? JSONDecoder().decode([FilterGoldenVector].self, from: Data(bytes))) ?? []
}()

@Suite("Blosc2 filters: python-blosc2 golden vectors")
struct Blosc2FilterGoldenTests {
    @Test func manifestCoversTheGrid() {
        #expect(filterGoldenVectors.count >= 100)
        let bitshuffle = Set(filterGoldenVectors.filter { $0.filter == "bitshuffle" }.map(\.typesize))
        #expect(bitshuffle == [1, 2, 3, 4, 5, 7, 8, 12, 16])
        let delta = Set(filterGoldenVectors.filter { $0.filter == "delta" }.map(\.typesize))
        #expect(delta == Set(kernelTypesizes))
    }

    @Test("forward reproduces the reference, inverse restores the input", arguments: filterGoldenVectors)
    func vector(_ vector: FilterGoldenVector) throws {
        let input = try #require(readBytes(filterGoldenDir + "/\(vector.name).in"))
        let expected = try #require(readBytes(filterGoldenDir + "/\(vector.name).out"))
        #expect(input.count == vector.nbytes && expected.count == vector.nbytes)
        let ts = vector.typesize
        let blocks = stride(from: 0, to: input.count, by: vector.blocksize).map {
            $0..<min($0 + vector.blocksize, input.count)
        }
        let reference = Array(input[blocks.first ?? 0..<0])

        // Forward, block by block (DELTA's later blocks XOR with the input's block 0).
        var forward: [UInt8] = []
        for (index, range) in blocks.enumerated() {
            let block = Array(input[range])
            let out = try runKernel(block) { source, target in
                switch vector.filter {
                case "shuffle":
                    try Shuffle.forward(source, into: target, width: Shuffle.width(meta: vector.meta, typesize: ts))
                case "bitshuffle": try BitShuffle.forward(source, into: target, typesize: ts)
                case "delta":
                    try withKernelReference(index == 0 ? nil : reference) { r in
                        try Delta.encode(source, into: target, typesize: ts, reference: r)
                    }
                default: try TruncPrec.forward(source, into: target, typesize: ts, meta: vector.meta)
                }
            }.get()
            forward += out
        }
        #expect(byteMismatch(forward, expected) == nil)

        // Inverse: block 0 first, whose decoded bytes are DELTA's reference for the rest.
        guard vector.filter != "trunc_prec" else { return }
        var decodedFirst: [UInt8] = []
        var restored: [UInt8] = []
        for (index, range) in blocks.enumerated() {
            let block = Array(expected[range])
            let out = try runKernel(block) { source, target in
                switch vector.filter {
                case "shuffle":
                    try Shuffle.inverse(source, into: target, width: Shuffle.width(meta: vector.meta, typesize: ts))
                case "bitshuffle": try BitShuffle.inverse(source, into: target, typesize: ts)
                default:
                    try withKernelReference(index == 0 ? nil : decodedFirst) { r in
                        try Delta.decode(source, into: target, typesize: ts, reference: r)
                    }
                }
            }.get()
            if index == 0 { decodedFirst = out }
            restored += out
        }
        #expect(byteMismatch(restored, input) == nil)
    }
}

/// Whether a result failed with `.invalidArgument` (whatever its message).
private func isInvalidArgument<T>(_ result: Result<T, SwKasError>) -> Bool {
    if case .failure(.invalidArgument) = result { return true }
    return false
}
