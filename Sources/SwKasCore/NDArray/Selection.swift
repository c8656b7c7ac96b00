#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every `step`-th index of `start..<stop` along one axis.
public struct StridedRange: Sendable, Equatable {
    public var start: Int
    public var stop: Int
    public var step: Int

    public init(start: Int, stop: Int, step: Int = 1) {
        self.start = start
        self.stop = stop
        self.step = step
    }

    /// How many indices it selects.
    public var count: Int { stop > start ? (stop - start - 1) / step + 1 : 0 }
}

/// A validated selection of an array: one strided range per axis, the
/// result's shape, and C-order byte strides of the result.
struct Selection {
    let ranges: [StridedRange]
    let counts: [Int]
    let itemCount: Int
    /// Bytes between consecutive result items along each axis.
    let strides: [Int]

    init(_ ranges: [StridedRange], geometry: ArrayGeometry) throws(SwKasError) {
        if ranges.count != geometry.ndim { throw .invalidArgument("selection needs ndim ranges") }
        for (range, size) in zip(ranges, geometry.shape) {
            guard range.step >= 1, range.start >= 0, range.start <= range.stop, range.stop <= size else {
                throw .invalidArgument("selection outside the array (need 0 <= start <= stop <= shape, step >= 1)")
            }
        }
        self.ranges = ranges
        counts = ranges.map(\.count)
        itemCount = counts.reduce(1, *)  // at most the array's own item count
        var strides = [Int](repeating: geometry.itemsize, count: ranges.count)
        for axis in stride(from: ranges.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * counts[axis + 1]
        }
        self.strides = strides
    }

    /// The whole array.
    static func all(_ geometry: ArrayGeometry) -> [StridedRange] {
        geometry.shape.map { StridedRange(start: 0, stop: $0) }
    }
}

/// How one chunk meets a selection: per axis, the selected positions inside
/// the chunk, where they go in the result, and where they live in the
/// chunk's block-major buffer (spec §5.3).
struct ChunkPart {
    /// First result index per axis.
    let firstResult: [Int]
    /// Per axis: item offset inside the chunk buffer of each selected position.
    let sourceOffsets: [[Int]]
    /// The blocks (C order over the chunk's block grid) holding selected items.
    let blocks: [Int]
    /// The selection covers every valid item of the chunk.
    let coversChunk: Bool

    /// The part of chunk `coordinates` a selection touches, or nil.
    init?(chunk coordinates: [Int], selection: Selection, geometry: ArrayGeometry) {
        var firstResult: [Int] = []
        var sourceOffsets: [[Int]] = []
        var blocks = [0]
        var covers = true
        var blockGridStride = 1
        var blockStride = 1
        var gridStrides = [Int](repeating: 1, count: geometry.ndim)
        var innerStrides = [Int](repeating: 1, count: geometry.ndim)
        for axis in stride(from: geometry.ndim - 1, through: 0, by: -1) {
            gridStrides[axis] = blockGridStride
            innerStrides[axis] = blockStride
            blockGridStride *= geometry.blockGrid[axis]
            blockStride *= geometry.blocks[axis]
        }
        for axis in 0..<geometry.ndim {
            let range = selection.ranges[axis]
            let valid = geometry.validRange(ofChunk: coordinates, axis: axis)
            let step = range.step
            let first = valid.lowerBound <= range.start ? 0 : (valid.lowerBound - range.start + step - 1) / step
            let last = Swift.min(selection.counts[axis] - 1, (valid.upperBound - 1 - range.start) / step)
            if valid.upperBound - 1 < range.start || first > last { return nil }
            let chunkStart = coordinates[axis] * geometry.chunks[axis]
            let block = geometry.blocks[axis]
            var offsets: [Int] = []
            var blocksHere: [Int] = []
            offsets.reserveCapacity(last - first + 1)
            for index in first...last {
                let local = range.start + index * step - chunkStart
                offsets.append((local / block) * gridStrides[axis] * geometry.blockItems + (local % block) * innerStrides[axis])
                if blocksHere.last != local / block { blocksHere.append(local / block) }
            }
            if last - first + 1 != valid.count { covers = false }
            firstResult.append(first)
            sourceOffsets.append(offsets)
            blocks = blocks.flatMap { base in blocksHere.map { base * geometry.blockGrid[axis] + $0 } }
        }
        self.firstResult = firstResult
        self.sourceOffsets = sourceOffsets
        self.blocks = blocks
        coversChunk = covers
    }

    /// Copies between the chunk buffer and the result buffer: `toResult`
    /// reads the chunk and writes the result; otherwise the other way.
    func copy(
        chunk: UnsafeMutableRawPointer, result: UnsafeMutableRawPointer, selection: Selection, itemsize: Int,
        toResult: Bool
    ) {
        let ndim = sourceOffsets.count
        if ndim == 0 {
            if toResult { memcpy(result, chunk, itemsize) } else { memcpy(chunk, result, itemsize) }
            return
        }
        let inner = ndim - 1
        let innerSources = sourceOffsets[inner]
        let innerStride = selection.strides[inner]
        // Runs of consecutive items in one block are contiguous on both sides when the step is 1.
        var runs: [(source: Int, result: Int, length: Int)] = []
        var position = 0
        while position < innerSources.count {
            var length = 1
            if selection.ranges[inner].step == 1 {
                while position + length < innerSources.count
                    && innerSources[position + length] == innerSources[position] + length
                { length += 1 }
            }
            runs.append((innerSources[position] * itemsize, (firstResult[inner] + position) * innerStride, length * itemsize))
            position += length
        }
        forEachRow(selection) { sourceBase, resultBase in
            let source = chunk + sourceBase * itemsize
            let target = result + resultBase
            for run in runs {
                if toResult {
                    memcpy(target + run.result, source + run.source, run.length)
                } else {
                    memcpy(source + run.source, target + run.result, run.length)
                }
            }
        }
    }

    /// Writes zero items over this part of the result.
    func zeroResult(_ result: UnsafeMutableRawPointer, selection: Selection, itemsize: Int) {
        let ndim = sourceOffsets.count
        if ndim == 0 {
            memset(result, 0, itemsize)
            return
        }
        let inner = ndim - 1
        let length = sourceOffsets[inner].count * selection.strides[inner]
        forEachRow(selection) { _, resultBase in
            memset(result + resultBase + firstResult[inner] * selection.strides[inner], 0, length)
        }
    }

    /// Calls `body` for every combination of the outer axes' selected
    /// positions with the chunk item offset and result byte offset of the row.
    private func forEachRow(_ selection: Selection, _ body: (_ source: Int, _ result: Int) -> Void) {
        let inner = sourceOffsets.count - 1
        var counter = [Int](repeating: 0, count: inner)
        while true {
            var sourceBase = 0
            var resultBase = 0
            for axis in 0..<inner {
                sourceBase += sourceOffsets[axis][counter[axis]]
                resultBase += (firstResult[axis] + counter[axis]) * selection.strides[axis]
            }
            body(sourceBase, resultBase)
            var axis = inner - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < sourceOffsets[axis].count { break }
                counter[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
