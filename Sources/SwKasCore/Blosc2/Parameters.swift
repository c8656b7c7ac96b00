/// The filters of the six-slot pipeline; raw values are Blosc2's filter ids.
public enum Blosc2Filter: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case noFilter = 0
    case shuffle = 1
    case bitShuffle = 2
    case delta = 3
    case truncPrec = 4

    public var description: String {
        switch self {
        case .noFilter: return "NOFILTER"
        case .shuffle: return "SHUFFLE"
        case .bitShuffle: return "BITSHUFFLE"
        case .delta: return "DELTA"
        case .truncPrec: return "TRUNC_PREC"
        }
    }
}

/// Whether a block's bytes are compressed as one stream or one per byte plane;
/// raw values are python-blosc2's `SplitMode`.
public enum Blosc2SplitMode: Int32, CaseIterable, Sendable {
    case always = 1
    case never = 2
    case auto = 3
    case forwardCompat = 4
}

/// How to compress a chunk. The defaults are python-blosc2's `CParams()`
/// (ZSTD, clevel 5, SHUFFLE in the last slot, automatic blocksize and split).
public struct Blosc2Parameters: Sendable, Equatable {
    public var codec: Blosc2Codec = .zstd
    /// 0 (no compression) to 9.
    public var clevel: Int = 5
    /// Bytes per item, 1-255: the unit of shuffling, splitting and DELTA.
    public var typesize: Int = 8
    /// Bytes per block; 0 chooses one from clevel, codec and typesize.
    public var blocksize: Int = 0
    /// The six filter slots, applied 0 to 5 when compressing.
    public var filters: [Blosc2Filter] = [.noFilter, .noFilter, .noFilter, .noFilter, .noFilter, .shuffle]
    public var filtersMeta: [UInt8] = [0, 0, 0, 0, 0, 0]
    /// Worker threads for the blocks of one chunk; results do not depend on it.
    public var nthreads: Int = 1
    public var splitMode: Blosc2SplitMode = .auto

    public init() {}

    public init(
        codec: Blosc2Codec, clevel: Int = 5, typesize: Int = 8, blocksize: Int = 0,
        filters: [Blosc2Filter] = [.shuffle], filtersMeta: [UInt8] = [], nthreads: Int = 1,
        splitMode: Blosc2SplitMode = .auto
    ) {
        self.codec = codec
        self.clevel = clevel
        self.typesize = typesize
        self.blocksize = blocksize
        // Lists shorter than six fill the first slots, as python-blosc2 does.
        self.filters = Array((filters + Array(repeating: .noFilter, count: 6)).prefix(6))
        self.filtersMeta = Array((filtersMeta + Array(repeating: 0, count: 6)).prefix(6))
        self.nthreads = nthreads
        self.splitMode = splitMode
    }

    /// Checks every field's range.
    func validate() throws(SwKasError) {
        if !(0...9).contains(clevel) { throw .invalidArgument("clevel must be 0-9") }
        if !(1...255).contains(typesize) { throw .invalidArgument("typesize must be 1-255") }
        if blocksize < 0 || blocksize > Blosc2ChunkHeader.maxBlocksize { throw .invalidArgument("blocksize") }
        if filters.count != 6 || filtersMeta.count != 6 { throw .invalidArgument("filters need 6 slots") }
        if !(1...256).contains(nthreads) { throw .invalidArgument("nthreads must be 1-256") }
    }
}

/// What a special chunk stands for (blosc2_flags bits 4-6).
public enum Blosc2Special: UInt8, Sendable {
    case none = 0
    case zeros = 1
    case nan = 2
    case value = 3
    case uninitialized = 4
}
