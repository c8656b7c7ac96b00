/// The six-slot filter pipeline over one block (spec §3): forward from slot
/// 0 to 5 when compressing, backward from 5 to 0 when decompressing.
enum Filters {
    /// Parameter combinations a chunk cannot carry faithfully: TRUNC_PREC's
    /// precision rules, and DELTA or TRUNC_PREC over a partial last unit,
    /// which c-blosc2 itself does not decode back (verified on 4.14.1).
    static func validate(_ parameters: Blosc2Parameters, nbytes: Int) throws(SwKasError) {
        for (slot, filter) in parameters.filters.enumerated() {
            switch filter {
            case .truncPrec:
                _ = try TruncPrec.zeroedBits(typesize: parameters.typesize, meta: parameters.filtersMeta[slot])
                if nbytes % parameters.typesize != 0 {
                    throw .invalidArgument("TRUNC_PREC needs a whole number of items")
                }
            case .delta:
                if nbytes % Delta.unitWidth(typesize: parameters.typesize) != 0 {
                    throw .invalidArgument("DELTA needs a whole number of \(Delta.unitWidth(typesize: parameters.typesize))-byte units")
                }
            case .noFilter, .shuffle, .bitShuffle:
                break
            }
        }
    }

    /// Filters `block`, returning the result (in one of the scratch buffers,
    /// or `block` itself when every slot is empty). `reference` is block 0 of
    /// the chunk's original input, which DELTA uses for every later block.
    static func forward(
        _ block: UnsafeRawBufferPointer, reference: UnsafeRawBufferPointer, isFirst: Bool,
        parameters: Blosc2Parameters, scratch: (Scratch, Scratch)
    ) throws(SwKasError) -> UnsafeRawBufferPointer {
        var current = block
        var useFirst = true
        for slot in 0..<6 {
            let filter = parameters.filters[slot]
            if filter == .noFilter { continue }
            let target = try (useFirst ? scratch.0 : scratch.1).buffer(block.count)
            useFirst.toggle()
            let meta = parameters.filtersMeta[slot]
            switch filter {
            case .shuffle:
                try Shuffle.forward(current, into: target, width: Shuffle.width(meta: meta, typesize: parameters.typesize))
            case .bitShuffle:
                try BitShuffle.forward(current, into: target, typesize: parameters.typesize)
            case .delta:
                try Delta.encode(current, into: target, typesize: parameters.typesize, reference: isFirst ? nil : reference)
            case .truncPrec:
                try TruncPrec.forward(current, into: target, typesize: parameters.typesize, meta: meta)
            case .noFilter:
                break
            }
            current = UnsafeRawBufferPointer(target)
        }
        return current
    }

    /// Whether decoding needs a backward pass (TRUNC_PREC has none).
    static func needsBackward(_ header: Blosc2ChunkHeader) -> Bool {
        header.filters.contains { $0 == .shuffle || $0 == .bitShuffle || $0 == .delta }
    }

    /// Undoes the filters of `header` on a decoded block, writing `target`.
    /// `decoded` may be overwritten (it serves as scratch); `reference` is
    /// the fully decoded block 0 (nil while decoding block 0 itself).
    /// `streaming` lets the last step write `target` around the caches.
    static func backward(
        _ decoded: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer, header: Blosc2ChunkHeader,
        isFirst: Bool, reference: UnsafeRawBufferPointer?, scratch: Scratch, streaming: Bool
    ) throws(SwKasError) {
        let steps = (0..<6).reversed().filter {
            header.filters[$0] == .shuffle || header.filters[$0] == .bitShuffle || header.filters[$0] == .delta
        }
        var current = decoded
        var useScratch = true
        for (position, slot) in steps.enumerated() {
            let destination: UnsafeMutableRawBufferPointer
            let last = position == steps.count - 1
            if last {
                destination = target
            } else if useScratch {
                destination = try scratch.buffer(decoded.count)
            } else {
                destination = UnsafeMutableRawBufferPointer(mutating: decoded)
            }
            useScratch.toggle()
            let typesize = header.typesize
            switch header.filters[slot] {
            case .shuffle:
                try Shuffle.inverse(
                    current, into: destination, width: Shuffle.width(meta: header.filtersMeta[slot], typesize: typesize),
                    streaming: streaming && last)
            case .bitShuffle:
                try BitShuffle.inverse(
                    current, into: destination, typesize: typesize, legacyVersion2: header.version == 2,
                    streaming: streaming && last)
            case .delta:
                try Delta.decode(current, into: destination, typesize: typesize, reference: isFirst ? nil : reference)
            case .noFilter, .truncPrec:
                break
            }
            current = UnsafeRawBufferPointer(destination)
        }
    }
}
