/// The N-d description stored in a frame's `b2nd` (python-blosc2) or
/// `caterva` (python-caterva) metalayer (spec §5.1, §5.2).
struct ArrayMetalayer: Equatable {
    var shape: [Int]
    var chunks: [Int]
    var blocks: [Int]
    /// NumPy `dtype.str`; nil in a `caterva` metalayer, which has none.
    var dtype: String?

    /// The `b2nd` encoding: `97 00 ndim [d3 shape] [d2 chunks] [d2 blocks] 00 db len dtype`.
    func encodedB2nd() -> [UInt8] {
        var writer = encodedCommon(arrayHeader: 0x97)
        let text = Array((dtype ?? "|u1").utf8)
        writer.bytes += [0x00, 0xDB]
        writer.bigEndian(UInt64(text.count), width: 4)
        writer.bytes += text
        return writer.bytes
    }

    /// The `caterva` encoding: `95 00 ndim [d3 shape] [d2 chunks] [d2 blocks]`.
    func encodedCaterva() -> [UInt8] {
        encodedCommon(arrayHeader: 0x95).bytes
    }

    private func encodedCommon(arrayHeader: UInt8) -> MsgPackWriter {
        var writer = MsgPackWriter()
        writer.bytes += [arrayHeader, 0x00, UInt8(truncatingIfNeeded: shape.count)]
        writer.bytes.append(0x90 | UInt8(truncatingIfNeeded: shape.count))
        for size in shape { writer.int64(Int64(size)) }
        writer.bytes.append(0x90 | UInt8(truncatingIfNeeded: chunks.count))
        for size in chunks { writer.int32(Int32(truncatingIfNeeded: size)) }
        writer.bytes.append(0x90 | UInt8(truncatingIfNeeded: blocks.count))
        for size in blocks { writer.int32(Int32(truncatingIfNeeded: size)) }
        return writer
    }

    /// Parses either metalayer with a real msgpack reader (any integer width).
    static func parse(_ bytes: [UInt8], isB2nd: Bool) throws(SwKasError) -> ArrayMetalayer {
        var reader = MsgPackReader(bytes)
        let fields = try reader.arrayCount()
        if fields < (isB2nd ? 6 : 5) { throw .badFrame("array metalayer fields") }
        if try reader.integer() != 0 { throw .unsupported("array metalayer version") }
        let ndim = try reader.integer()
        guard (0...16).contains(ndim) else { throw .badFrame("ndim") }
        func vector() throws(SwKasError) -> [Int] {
            if try reader.arrayCount() != Int(ndim) { throw .badFrame("vector length") }
            var values: [Int] = []
            for _ in 0..<ndim {
                let value = try reader.integer()
                if value < 0 || value > Int64(Int.max) { throw .badFrame("negative size") }
                values.append(Int(value))
            }
            return values
        }
        let shape = try vector()
        let chunks = try vector()
        let blocks = try vector()
        var dtype: String?
        if isB2nd && fields >= 7 {
            if try reader.integer() != 0 { throw .unsupported("dtype format") }
            dtype = String(decoding: try reader.string(), as: UTF8.self)
        }
        return ArrayMetalayer(shape: shape, chunks: chunks, blocks: blocks, dtype: dtype)
    }
}

/// What NumPy's `dtype.str` says about an item: its size, and whether it is
/// stored big-endian.
enum DType {
    /// The item size a simple dtype string (`<f8`, `|S7`, `<U3`, `<M8[ns]`)
    /// names, or nil when it does not (structured dtypes, typos).
    static func itemsize(of dtype: String) -> Int? {
        let text = Array(dtype.utf8)
        guard text.count >= 3, [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "=")].contains(text[0])
        else { return nil }
        let kind = text[1]
        let digits = text[2...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let count = Int(String(decoding: digits, as: UTF8.self)) else { return nil }
        return kind == UInt8(ascii: "U") ? count * 4 : count
    }
}
