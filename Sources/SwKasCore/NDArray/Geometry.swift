/// The two-level partition of an N-d array (spec §5.3): the array is cut
/// into chunks, edge chunks padded to full size, and each chunk into blocks
/// stored one after another (block-major), items inside a block in C order.
public struct ArrayGeometry: Sendable, Equatable {
    public let shape: [Int]
    public let chunks: [Int]
    public let blocks: [Int]
    public let itemsize: Int

    /// Chunks per dimension.
    public let chunkGrid: [Int]
    /// Blocks per dimension inside a chunk.
    public let blockGrid: [Int]
    /// Items per chunk (padding included) and per block.
    public let chunkItems: Int
    public let blockItems: Int
    public let chunkCount: Int
    /// Items of the whole array.
    public let itemCount: Int

    public var ndim: Int { shape.count }
    public var chunkBytes: Int { chunkItems * itemsize }
    public var blockBytes: Int { blockItems * itemsize }
    /// The shape padded to whole chunks, and a chunk padded to whole blocks.
    public var extendedShape: [Int] { zip(chunkGrid, chunks).map { $0 * $1 } }
    public var extendedChunks: [Int] { zip(blockGrid, blocks).map { $0 * $1 } }

    /// Largest chunk in bytes: a Blosc2 chunk holds at most 2^31 - 33 bytes.
    static let maxChunkBytes = Blosc2ChunkHeader.maxNbytes

    /// Validates a geometry (spec §7.1 N-d rules); every product is checked
    /// for overflow.
    public init(shape: [Int], chunks: [Int], blocks: [Int], itemsize: Int) throws(SwKasError) {
        let ndim = shape.count
        if ndim > 16 { throw .invalidArgument("more than 16 dimensions") }
        if chunks.count != ndim || blocks.count != ndim { throw .invalidArgument("chunks and blocks need ndim entries") }
        if itemsize < 1 || itemsize > Int(Int32.max) { throw .invalidArgument("itemsize") }
        var grid: [Int] = []
        var blockGrid: [Int] = []
        var chunkItems = 1
        var blockItems = 1
        var chunkCount = 1
        var itemCount = 1
        for axis in 0..<ndim {
            let (size, chunk, block) = (shape[axis], chunks[axis], blocks[axis])
            // Bounded so that padded extents (size + chunk) cannot overflow.
            if size < 0 || size > Int.max / 4 { throw .invalidArgument("shape out of range") }
            if chunk < 0 || block < 0 || chunk > Int(Int32.max) || block > Int(Int32.max) {
                throw .invalidArgument("chunks and blocks must be 0 to 2^31-1")
            }
            if size > 0 && (chunk == 0 || block == 0) { throw .invalidArgument("zero chunk or block size") }
            if block > chunk { throw .invalidArgument("blocks larger than chunks") }
            let perAxis = chunk == 0 ? 0 : (size + chunk - 1) / chunk
            let blocksPerChunk = block == 0 ? 0 : (chunk + block - 1) / block
            grid.append(perAxis)
            blockGrid.append(blocksPerChunk)
            chunkItems = try Self.product(chunkItems, blocksPerChunk * block)
            blockItems = try Self.product(blockItems, block)
            chunkCount = try Self.product(chunkCount, perAxis)
            itemCount = try Self.product(itemCount, size)
        }
        let chunkBytes = try Self.product(chunkItems, itemsize)
        if itemCount > 0 && chunkBytes > Self.maxChunkBytes {
            throw .invalidArgument("chunks larger than 2^31 - 33 bytes")
        }
        _ = try Self.product(itemCount, itemsize)
        _ = try Self.product(chunkCount, chunkBytes)  // the frame's padded nbytes
        self.shape = shape
        self.chunks = chunks
        self.blocks = blocks
        self.itemsize = itemsize
        self.chunkGrid = grid
        self.blockGrid = blockGrid
        self.chunkItems = chunkItems
        self.blockItems = blockItems
        self.chunkCount = chunkCount
        self.itemCount = itemCount
    }

    private static func product(_ a: Int, _ b: Int) throws(SwKasError) -> Int {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw .invalidArgument("sizes overflow") }
        return result
    }

    /// Chunk and block shapes for `shape` when the caller gives none: chunks
    /// of about 4 MiB and blocks of about 32 KiB, split across the trailing
    /// dimensions first (they are contiguous in C order).
    public static func automatic(shape: [Int], itemsize: Int) -> (chunks: [Int], blocks: [Int]) {
        let chunks = fit(shape, items: Swift.max(1, (4 << 20) / Swift.max(1, itemsize)))
        let blocks = fit(chunks, items: Swift.max(1, (32 << 10) / Swift.max(1, itemsize)))
        return (chunks, blocks)
    }

    /// The largest box inside `shape` with about `items` items, filling the
    /// last dimension first.
    private static func fit(_ shape: [Int], items: Int) -> [Int] {
        var remaining = items
        var result = shape.map { _ in 1 }
        for axis in shape.indices.reversed() {
            let take = Swift.max(1, Swift.min(shape[axis], remaining))
            result[axis] = take
            remaining = Swift.max(1, remaining / take)
        }
        return result
    }

    /// C-order position of `coordinates` in a box of `extent`.
    static func ravel(_ coordinates: [Int], _ extent: [Int]) -> Int {
        var position = 0
        for axis in coordinates.indices { position = position * extent[axis] + coordinates[axis] }
        return position
    }

    /// The grid coordinates of chunk number `index`.
    func chunkCoordinates(_ index: Int) -> [Int] {
        var coordinates = [Int](repeating: 0, count: ndim)
        var rest = index
        for axis in (0..<ndim).reversed() where chunkGrid[axis] > 0 {
            coordinates[axis] = rest % chunkGrid[axis]
            rest /= chunkGrid[axis]
        }
        return coordinates
    }

    /// Per axis: the item range of the chunk at `coordinates` inside the array.
    func validRange(ofChunk coordinates: [Int], axis: Int) -> Range<Int> {
        let start = coordinates[axis] * chunks[axis]
        return start..<Swift.min(start + chunks[axis], shape[axis])
    }
}
