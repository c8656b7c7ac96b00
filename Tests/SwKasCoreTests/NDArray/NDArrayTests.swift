import Foundation
import SwKasTestSupport
import Testing

@testable import SwKasCore

/// The naive reference: items of a C-order array of `shape`, selected by `ranges`.
private func naiveSelect(_ data: [Int32], shape: [Int], _ ranges: [StridedRange]) -> [Int32] {
    var result: [Int32] = []
    func visit(_ axis: Int, _ offset: Int) {
        if axis == shape.count {
            result.append(data[offset])
            return
        }
        let stride = shape[(axis + 1)...].reduce(1, *)
        var index = ranges[axis].start
        while index < ranges[axis].stop {
            visit(axis + 1, offset + index * stride)
            index += ranges[axis].step
        }
    }
    visit(0, 0)
    return result
}

private func bytes(_ values: [Int32]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
private func int32s(_ bytes: [UInt8]) -> [Int32] {
    bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
}

private func makeArray(
    shape: [Int], chunks: [Int], blocks: [Int], data: [Int32], at location: ArrayLocation = .memory,
    compression: ArrayCompression = ArrayCompression()
) throws -> NDArray {
    var spec = ArraySpec(shape: shape, itemsize: 4, dtype: "<i4", chunks: chunks, blocks: blocks)
    spec.compression = compression
    return try bytes(data).withUnsafeBytes { try NDArray.fromBuffer($0, spec, at: location) }
}

private func randomRanges(_ shape: [Int], using generator: inout SeededGenerator) -> [StridedRange] {
    shape.map { size in
        let start = Int.random(in: 0...size, using: &generator)
        let stop = Int.random(in: start...size, using: &generator)
        return StridedRange(start: start, stop: stop, step: Int.random(in: 1...4, using: &generator))
    }
}

@Suite("N-d geometry and slicing")
struct GeometryTests {
    @Test("block-major layout of spec §5.3: chunk 0 and the padded edge chunk 2")
    func blockMajorLayout() throws {
        let data = (0..<100).map { Int32($0) }
        let array = try makeArray(shape: [10, 10], chunks: [4, 4], blocks: [2, 2], data: data)
        let frame = try NDArray.fromFrame(try array.frameBytes())
        #expect(frame.geometry.chunkCount == 9)
        let chunk0 = try chunkItems(array, 0)
        #expect(chunk0 == [0, 1, 10, 11, 2, 3, 12, 13, 20, 21, 30, 31, 22, 23, 32, 33])
        let chunk2 = try chunkItems(array, 2)
        #expect(chunk2 == [8, 9, 18, 19, 0, 0, 0, 0, 28, 29, 38, 39, 0, 0, 0, 0])
    }

    /// The raw decoded items of chunk `index` (block-major, padding included).
    private func chunkItems(_ array: NDArray, _ index: Int) throws -> [Int32] {
        let reopened = try NDArray.fromFrame(try array.frameBytes())
        let frame = try Frame.open(MemoryFrameStorage(try reopened.frameBytes()))
        guard case .stored(let chunk) = try frame.chunk(index) else { return [] }
        return int32s(try Blosc2Chunk.decompress(chunk))
    }

    @Test("every selection with steps equals the naive reference (1-d to 4-d, partial chunks and blocks)")
    func exhaustiveSmallSelections() throws {
        var generator = SeededGenerator(seed: 42)
        let cases: [([Int], [Int], [Int])] = [
            ([0], [1], [1]), ([7], [3], [2]), ([10], [10], [3]), ([5, 7], [2, 3], [1, 2]), ([6, 6], [4, 4], [2, 3]),
            ([3, 4, 5], [2, 3, 2], [1, 2, 2]), ([4, 3, 2, 5], [3, 2, 2, 4], [2, 1, 1, 3]), ([1, 1, 9], [1, 1, 4], [1, 1, 4]),
        ]
        for (shape, chunks, blocks) in cases {
            let count = shape.reduce(1, *)
            let data = (0..<count).map { Int32($0 * 7 + 1) }
            let array = try makeArray(shape: shape, chunks: chunks, blocks: blocks, data: data)
            #expect(int32s(try array.getSlice(Selection.all(array.geometry))) == data)
            for _ in 0..<300 {
                let ranges = randomRanges(shape, using: &generator)
                let got = int32s(try array.getSlice(ranges))
                let want = naiveSelect(data, shape: shape, ranges)
                #expect(got == want, "shape \(shape) chunks \(chunks) blocks \(blocks) ranges \(ranges)")
                if got != want { return }
            }
        }
    }

    @Test("strided writes change exactly the selected items")
    func stridedWrites() throws {
        var generator = SeededGenerator(seed: 7)
        let shape = [7, 5, 6]
        var reference = (0..<210).map { Int32($0) }
        let array = try makeArray(shape: shape, chunks: [3, 2, 4], blocks: [2, 2, 3], data: reference)
        for round in 0..<60 {
            let ranges = randomRanges(shape, using: &generator)
            let count = ranges.map { $0.count }.reduce(1, *)
            let values = (0..<count).map { Int32(-1000 * round - $0) }
            try bytes(values).withUnsafeBytes { try array.setSlice(ranges, from: $0) }
            var position = 0
            for i in stride(from: ranges[0].start, to: ranges[0].stop, by: ranges[0].step) {
                for j in stride(from: ranges[1].start, to: ranges[1].stop, by: ranges[1].step) {
                    for k in stride(from: ranges[2].start, to: ranges[2].stop, by: ranges[2].step) {
                        reference[(i * 5 + j) * 6 + k] = values[position]
                        position += 1
                    }
                }
            }
            #expect(int32s(try array.getSlice(Selection.all(array.geometry))) == reference)
        }
    }

    @Test("typed access from Swift")
    func typedAccess() throws {
        let array = try makeArray(shape: [3, 4], chunks: [2, 2], blocks: [1, 2], data: (0..<12).map { Int32($0) })
        #expect(try array.getSlice([StridedRange(start: 0, stop: 3, step: 2), StridedRange(start: 1, stop: 4, step: 2)], as: Int32.self) == [1, 3, 9, 11])
        try array.setSlice([StridedRange(start: 1, stop: 2), StridedRange(start: 0, stop: 4, step: 3)], values: [Int32(-1), -2])
        #expect(try array.getSlice([StridedRange(start: 1, stop: 2), StridedRange(start: 0, stop: 4)], as: Int32.self) == [-1, 5, 6, -2])
        #expect(throws: SwKasError.typeMismatch) { try array.getSlice(Selection.all(array.geometry), as: Double.self) }
    }

    @Test("invalid geometries and selections are errors")
    func invalidInput() throws {
        #expect(throws: SwKasError.self) { try ArrayGeometry(shape: [4], chunks: [2], blocks: [3], itemsize: 4) }
        #expect(throws: SwKasError.self) { try ArrayGeometry(shape: [4], chunks: [0], blocks: [0], itemsize: 4) }
        #expect(throws: SwKasError.self) { try ArrayGeometry(shape: [-1], chunks: [1], blocks: [1], itemsize: 4) }
        #expect(throws: SwKasError.self) {
            try ArrayGeometry(shape: [Int.max / 2, 4], chunks: [1 << 30, 4], blocks: [1, 1], itemsize: 8)
        }
        #expect(throws: SwKasError.self) { try ArrayGeometry(shape: [1 << 40, 1], chunks: [1, 1 << 30], blocks: [1, 1], itemsize: 1) }
        #expect(throws: SwKasError.self) { try ArrayGeometry(shape: [Int.max], chunks: [1000], blocks: [10], itemsize: 1) }
        let array = try makeArray(shape: [4], chunks: [2], blocks: [1], data: [1, 2, 3, 4])
        #expect(throws: SwKasError.self) { try array.getSlice([StridedRange(start: 3, stop: 2)]) }
        #expect(throws: SwKasError.self) { try array.getSlice([StridedRange(start: 0, stop: 5)]) }
        #expect(throws: SwKasError.self) { try array.getSlice([StridedRange(start: 0, stop: 4, step: 0)]) }
        #expect(throws: SwKasError.self) { try array.getSlice([]) }
    }

    @Test("0-d and zero-size arrays")
    func degenerateShapes() throws {
        let scalar = try makeArray(shape: [], chunks: [], blocks: [], data: [42])
        #expect(int32s(try scalar.getSlice([])) == [42])
        let empty = try makeArray(shape: [0, 5], chunks: [0, 5], blocks: [0, 5], data: [])
        #expect(empty.geometry.chunkCount == 0)
        #expect(try empty.getSlice(Selection.all(empty.geometry)).isEmpty)
        let reopened = try NDArray.fromFrame(try empty.frameBytes())
        #expect(reopened.geometry.shape == [0, 5])
    }
}

@Suite("N-d arrays: storage, metadata and crash safety")
struct NDArrayStorageTests {
    @Test("zeros and full cost bytes, not the array's size")
    func specialChunks() throws {
        let spec = ArraySpec(shape: [20_000, 20_000], itemsize: 8, dtype: "<f8", chunks: [1000, 1000], blocks: [100, 100])
        let zeros = try NDArray.zeros(spec)
        #expect(zeros.stats.frameSize < 10_000)
        #expect(try zeros.getSlice([StridedRange(start: 5, stop: 7), StridedRange(start: 0, stop: 3)]) == [UInt8](repeating: 0, count: 48))
        let seven: [UInt8] = [0, 0, 0, 0, 0, 0, 0x1C, 0x40]
        let full = try NDArray.full(spec, value: seven)
        #expect(full.stats.frameSize < 400 * (32 + 8) + 10_000)
        let window = try full.getSlice([StridedRange(start: 999, stop: 1001), StridedRange(start: 0, stop: 1)])
        #expect(window == seven + seven)
    }

    @Test("resize grows with zeros and zeroes what a shrink cut off")
    func resize() throws {
        let data = (1...36).map { Int32($0) }
        let array = try makeArray(shape: [6, 6], chunks: [4, 4], blocks: [2, 2], data: data)
        try array.resize([5, 3])
        try array.resize([8, 7])
        let all = int32s(try array.getSlice(Selection.all(array.geometry)))
        for row in 0..<8 {
            for column in 0..<7 {
                let expected: Int32 = row < 5 && column < 3 ? data[row * 6 + column] : 0
                #expect(all[row * 7 + column] == expected)
            }
        }
    }

    @Test("metalayers and vlmeta persist; metalayers keep their size")
    func metadata() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("meta.b2nd")
        var spec = ArraySpec(shape: [3], itemsize: 4, dtype: "<i4", chunks: [2], blocks: [1])
        spec.metalayers = [Metalayer(name: "units", value: Array("m/s".utf8))]
        let array = try NDArray.zeros(spec, at: .file(path))
        try array.setMetalayer("units", value: Array("km!".utf8))
        #expect(throws: SwKasError.self) { try array.setMetalayer("units", value: [1]) }
        #expect(throws: SwKasError.self) { try array.setMetalayer("b2nd", value: [1]) }
        try array.setVlmeta("note", value: [0xA2, 0x68, 0x69])
        try array.setVlmeta("gone", value: [0xC0])
        try array.deleteVlmeta("gone")
        let reopened = try NDArray.open(path: path)
        #expect(reopened.metalayers.map(\.name) == ["b2nd", "units"])
        #expect(reopened.metalayers[1].value == Array("km!".utf8))
        #expect(reopened.vlmetaNames == ["note"])
        #expect(try reopened.vlmeta("note") == [0xA2, 0x68, 0x69])
        #expect(throws: SwKasError.fileExists) { try NDArray.zeros(spec, at: .file(path)) }
        try NDArray.remove(path: path)
    }

    @Test("an update that never commits leaves the file as it was")
    func uncommittedAppendsAreInvisible() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("crash.b2nd")
        let data = (0..<64).map { Int32($0) }
        _ = try makeArray(shape: [8, 8], chunks: [4, 4], blocks: [2, 2], data: data, at: .file(path))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let array = try NDArray.open(path: path)
        // Simulate a writer killed after appending chunks: garbage past frame_len.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0xAB, count: 5000))
        try handle.close()
        let reopened = try NDArray.open(path: path)
        #expect(int32s(try reopened.getSlice(Selection.all(reopened.geometry))) == data)
        // The next commit writes over the garbage and truncates it.
        let values = [Int32](repeating: -5, count: 16)
        try bytes(values).withUnsafeBytes { try reopened.setSlice([StridedRange(start: 0, stop: 4), StridedRange(start: 0, stop: 4)], from: $0) }
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after.count < before.count + 5000)
        _ = array
    }

    @Test("repeated updates are compacted automatically and copy compacts on demand")
    func compaction() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("grow.b2nd")
        var compression = ArrayCompression()
        compression.clevel = 0
        let data = [Int32](repeating: 1, count: 512 * 512)
        let array = try makeArray(shape: [512, 512], chunks: [512, 512], blocks: [64, 64], data: data, at: .file(path), compression: compression)
        for round in 0..<12 {
            let values = (0..<(512 * 512)).map { Int32($0 + round) }
            try bytes(values).withUnsafeBytes { try array.setSlice(Selection.all(array.geometry), from: $0) }
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size < 3 * 512 * 512 * 4)
        let copyPath = directory.file("copy.b2nd")
        let copy = try array.copy(at: .file(copyPath))
        #expect(copy.stats.frameSize <= 512 * 512 * 4 + 4096)
        #expect(try copy.getSlice([StridedRange(start: 511, stop: 512), StridedRange(start: 511, stop: 512)]) == bytes([Int32(512 * 512 - 1 + 11)]))
    }

    @Test("hostile frames are errors, never crashes")
    func hostileFrames() throws {
        let data = (0..<100).map { Int32($0) }
        let good = try makeArray(shape: [10, 10], chunks: [4, 4], blocks: [2, 2], data: data).frameBytes()
        var generator = SeededGenerator(seed: 99)
        for length in [0, 1, 15, 16, 86, 87, 100, good.count - 23, good.count - 1] {
            #expect(throws: SwKasError.self) { try NDArray.fromFrame(Array(good.prefix(length))) }
        }
        for _ in 0..<2000 {
            var bad = good
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let array = try? NDArray.fromFrame(bad) {
                _ = try? array.getSlice(Selection.all(array.geometry))
            }
        }
    }

    @Test("dtype strings: simple, structured (descr reprs), and rejected ones")
    func dtypes() {
        let cases: [(String, Int?)] = [
            ("<f8", 8), ("|S7", 7), ("<U3", 12), ("<M8[ns]", 8), ("|b1", 1), (">i4", 4), ("<c16", 16),
            ("[('a', '<i4'), ('b', '<f8')]", 12), ("[('a', '<i4', (2, 3)), ('n', [('x', '|u1'), ('y', '>f4')])]", 29),
            ("[('a', '<i4'), ('', '|V4'), ('b', '<f8'), ('', '|V8')]", 24), ("[(('t', 'a'), '<i2')]", 2),
            ("garbage", nil), ("|O", nil), ("[('a', '<i4')", nil), ("<f8x", nil), (String(repeating: "[", count: 100), nil),
        ]
        for (text, size) in cases { #expect(DType.itemsize(of: text) == size, "\(text)") }
    }

    @Test("msgpack reader: bounds, nesting and skipping")
    func msgpack() throws {
        var reader = MsgPackReader([0x93, 0x01, 0xCD, 0x01, 0x00, 0xA2, 0x68, 0x69])
        #expect(try reader.arrayCount() == 3)
        #expect(try reader.integer() == 1)
        #expect(try reader.integer() == 256)
        #expect(try reader.string() == [0x68, 0x69])
        #expect(throws: SwKasError.self) { try reader.byte() }
        var deep = MsgPackReader([UInt8](repeating: 0x91, count: 100) + [0x00])
        #expect(throws: SwKasError.self) { try deep.skip() }
        var long = MsgPackReader([0xDB, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        #expect(throws: SwKasError.self) { try long.string() }
    }
}
