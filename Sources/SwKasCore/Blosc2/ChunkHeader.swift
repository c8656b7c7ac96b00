/// The header of a Blosc2 chunk (spec §1): 32 bytes for versions 3-5 (the
/// "extended" header), 16 for version 2 (Blosc1). Parsing validates every
/// field a decoder relies on and rejects the features swkas does not support,
/// so a header that parses can be decoded without further checks on it.
public struct Blosc2ChunkHeader: Sendable, Equatable {
    static let extendedSize = 32
    static let blosc1Size = 16
    /// Largest nbytes: INT32_MAX − 32, so the memcpy fallback always fits.
    public static let maxNbytes = Int(Int32.max) - extendedSize
    static let maxBlocksize = 536_866_816

    public var version: UInt8
    public var flags: UInt8
    /// The typesize byte, which shuffling, splitting and DELTA use.
    public var typesize: Int
    public var nbytes: Int
    /// The block size, already clamped to nbytes.
    public var blocksize: Int
    public var cbytes: Int
    public var filters: [Blosc2Filter]
    public var filtersMeta: [UInt8]
    public var codec: Blosc2Codec
    public var special: Blosc2Special
    public var headerSize: Int

    /// The body is the raw data.
    public var isMemcpyed: Bool { flags & 0x02 != 0 }
    /// Every block is one stream (otherwise full blocks split into byte planes).
    public var dontSplit: Bool { flags & 0x10 != 0 }
    /// Number of blocks (0 for an empty chunk).
    public var blockCount: Int { nbytes == 0 ? 0 : (nbytes + blocksize - 1) / blocksize }

    /// Parses and validates the header at the start of `bytes`, which must
    /// hold the whole chunk (cbytes bytes, or more).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(SwKasError) -> Blosc2ChunkHeader {
        guard bytes.count >= blosc1Size, let base = bytes.baseAddress else { throw .chunkFormat("header") }
        let version: UInt8 = base.loadLittleEndian(at: 0)
        let flags: UInt8 = base.loadLittleEndian(at: 2)
        let typesize = Int(base.loadLittleEndian(at: 3, as: UInt8.self))
        let nbytes = Int(base.loadLittleEndian(at: 4, as: Int32.self))
        let rawBlocksize = Int(base.loadLittleEndian(at: 8, as: Int32.self))
        let cbytes = Int(base.loadLittleEndian(at: 12, as: Int32.self))
        if version == 1 || version >= 6 { throw .unsupported("chunk version \(version)") }
        if version == 0 { throw .chunkFormat("version 0") }
        if typesize == 0 { throw .chunkFormat("typesize 0") }
        if nbytes < 0 || nbytes > maxNbytes { throw .chunkFormat("nbytes") }
        if rawBlocksize <= 0 && nbytes > 0 || rawBlocksize > maxBlocksize { throw .chunkFormat("blocksize") }
        let extended = flags & 0x05 == 0x05
        if version >= 3 && !extended { throw .chunkFormat("missing extended header") }
        let headerSize = extended ? extendedSize : blosc1Size
        if cbytes < headerSize || cbytes > bytes.count { throw .chunkFormat("cbytes") }

        var filters = [Blosc2Filter](repeating: .noFilter, count: 6)
        var filtersMeta = [UInt8](repeating: 0, count: 6)
        var codec: Blosc2Codec
        var special = Blosc2Special.none
        let format = flags >> 5
        if extended {
            for slot in 0..<6 {
                let id: UInt8 = base.loadLittleEndian(at: 16 + slot)
                guard let filter = Blosc2Filter(rawValue: id) else { throw .unsupported("filter \(id)") }
                filters[slot] = filter
                filtersMeta[slot] = base.loadLittleEndian(at: 24 + slot)
            }
            if version == 3 {
                filters[5] = .noFilter
                filtersMeta[5] = 0
            }
            let compcode: UInt8 = base.loadLittleEndian(at: 22)
            let flags2: UInt8 = base.loadLittleEndian(at: 30)
            let blosc2Flags: UInt8 = base.loadLittleEndian(at: 31)
            if flags2 != 0 { throw .unsupported("variable-length blocks") }
            if blosc2Flags & 0x01 != 0 { throw .unsupported("dictionaries") }
            if blosc2Flags & 0x02 != 0 { throw .unsupported("big-endian chunks") }
            if blosc2Flags & 0x08 != 0 { throw .unsupported("lazy chunks") }
            if blosc2Flags & 0x80 != 0 { throw .unsupported("instrumented chunks") }
            guard let kind = Blosc2Special(rawValue: (blosc2Flags >> 4) & 0x07) else {
                throw .unsupported("special chunk kind \((blosc2Flags >> 4) & 0x07)")
            }
            special = kind
            guard let named = Blosc2Codec(rawValue: compcode) else { throw .unsupported("codec \(compcode)") }
            codec = named
            // Special and memcpyed chunks carry stale codec bits; only regular
            // chunks must agree with their format code.
            if kind == .none && flags & 0x02 == 0 && named.formatCode != format {
                throw .unsupported("codec format \(format)")
            }
        } else {
            // Blosc1: the filters come from the flags.
            if flags & 0x01 != 0 && typesize > 1 { filters[5] = .shuffle }
            if flags & 0x04 != 0 { filters[5] = .bitShuffle }
            if flags & 0x08 != 0 { filters[4] = .delta }
            switch format {
            case 0: codec = .blosclz
            case 1: codec = .lz4
            case 3: codec = .zlib
            case 4: codec = .zstd
            default: throw .unsupported("codec format \(format)")
            }
        }
        let blocksize = nbytes == 0 ? Swift.max(rawBlocksize, 0) : Swift.min(rawBlocksize, nbytes)
        let header = Blosc2ChunkHeader(
            version: version, flags: flags, typesize: typesize, nbytes: nbytes, blocksize: blocksize,
            cbytes: cbytes, filters: filters, filtersMeta: filtersMeta, codec: codec, special: special,
            headerSize: headerSize)
        try header.validateBody()
        return header
    }

    /// The size rules of special and memcpyed bodies (§1.3).
    private func validateBody() throws(SwKasError) {
        switch special {
        case .zeros, .uninitialized:
            return
        case .nan:
            if typesize != 4 && typesize != 8 { throw .chunkFormat("NaN chunk with typesize \(typesize)") }
        case .value:
            let valueSize = cbytes - headerSize
            if valueSize <= 0 || nbytes % valueSize != 0 { throw .chunkFormat("repeated-value size") }
        case .none:
            if isMemcpyed && cbytes != nbytes + headerSize { throw .chunkFormat("memcpyed cbytes") }
        }
    }

    /// The 32 header bytes of a version-5 chunk.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.extendedSize)
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            base.storeLittleEndian(UInt8(5), at: 0)
            base.storeLittleEndian(UInt8(1), at: 1)
            base.storeLittleEndian(flags, at: 2)
            base.storeLittleEndian(UInt8(truncatingIfNeeded: typesize), at: 3)
            base.storeLittleEndian(Int32(truncatingIfNeeded: nbytes), at: 4)
            base.storeLittleEndian(Int32(truncatingIfNeeded: blocksize), at: 8)
            base.storeLittleEndian(Int32(truncatingIfNeeded: cbytes), at: 12)
            for slot in 0..<6 {
                base.storeLittleEndian(filters[slot].rawValue, at: 16 + slot)
                base.storeLittleEndian(filtersMeta[slot], at: 24 + slot)
            }
            base.storeLittleEndian(codec.rawValue, at: 22)
            base.storeLittleEndian(special.rawValue << 4, at: 31)
        }
        return bytes
    }
}
