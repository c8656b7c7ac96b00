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

/// Item sizes of NumPy dtype strings as b2nd stores them: `dtype.str`
/// (`<f8`, `|S7`, `<U3`, `<M8[ns]`) or, for structured dtypes, the repr of
/// `dtype.descr` (`[('a', '<i4'), ('b', '<f8', (2,))]`).
enum DType {
    /// The item size `dtype` names, or nil when it is not a dtype NumPy
    /// stores as plain bytes (object dtypes, typos).
    static func itemsize(of dtype: String) -> Int? {
        var parser = DescrParser(text: Array(dtype.utf8))
        if parser.peek() == UInt8(ascii: "[") {
            guard let size = parser.descr(), parser.atEnd else { return nil }
            return size
        }
        return simpleItemsize(Array(dtype.utf8))
    }

    /// `<f8`, `|S7`, `<U3` (4 bytes per character), `<M8[ns]`.
    static func simpleItemsize(_ text: [UInt8]) -> Int? {
        guard text.count >= 3, "<>|=".utf8.contains(text[0]), "biufcmMSUV".utf8.contains(text[1]) else { return nil }
        let digits = text[2...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let rest = text[(2 + digits.count)...]
        guard let count = Int(String(decoding: digits, as: UTF8.self)), count <= Int(Int32.max) else { return nil }
        if !rest.isEmpty && !(rest.first == UInt8(ascii: "[") && rest.last == UInt8(ascii: "]")) { return nil }
        return text[1] == UInt8(ascii: "U") ? count * 4 : count
    }
}

/// A parser for the Python literal of a structured dtype's `descr`: a list
/// of `(name, dtype)` or `(name, dtype, shape)` tuples, nested for
/// sub-structures; names may be `(title, name)` pairs.
private struct DescrParser {
    let text: [UInt8]
    var position = 0
    var depth = 0

    init(text: [UInt8]) { self.text = text }

    var atEnd: Bool {
        mutating get {
            skipSpaces()
            return position == text.count
        }
    }

    mutating func skipSpaces() {
        while position < text.count && text[position] == UInt8(ascii: " ") { position += 1 }
    }

    mutating func peek() -> UInt8? {
        skipSpaces()
        return position < text.count ? text[position] : nil
    }

    mutating func take(_ byte: Character) -> Bool {
        guard peek() == byte.asciiValue else { return false }
        position += 1
        return true
    }

    /// A quoted string's bytes.
    mutating func string() -> [UInt8]? {
        guard let quote = peek(), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        position += 1
        var bytes: [UInt8] = []
        while position < text.count && text[position] != quote {
            if text[position] == UInt8(ascii: "\\") { position += 1 }
            if position < text.count { bytes.append(text[position]) }
            position += 1
        }
        guard position < text.count else { return nil }
        position += 1
        return bytes
    }

    mutating func integer() -> Int? {
        skipSpaces()
        let digits = text[position...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        position += digits.count
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// `[field, ...]`: the total size.
    mutating func descr() -> Int? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 32, take("[") else { return nil }
        var total = 0
        repeat {
            guard let size = field() else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(size)
            if overflow { return nil }
            total = sum
        } while take(",")
        return take("]") ? total : nil
    }

    /// `(name, dtype[, shape])`: the field's size.
    mutating func field() -> Int? {
        guard take("(") else { return nil }
        if take("(") {
            guard string() != nil, take(","), string() != nil, take(")") else { return nil }
        } else if string() == nil {
            return nil
        }
        guard take(",") else { return nil }
        var size: Int
        if peek() == UInt8(ascii: "[") {
            guard let nested = descr() else { return nil }
            size = nested
        } else {
            guard let text = string(), let simple = DType.simpleItemsize(text) else { return nil }
            size = simple
        }
        if take(",") {
            guard let count = shape() else { return nil }
            let (product, overflow) = size.multipliedReportingOverflow(by: count)
            if overflow { return nil }
            size = product
        }
        return take(")") ? size : nil
    }

    /// `n` or `(n, m, ...)`: the number of elements.
    mutating func shape() -> Int? {
        guard take("(") else { return integer() }
        var product = 1
        while let value = integer() {
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            product = next
            if !take(",") { break }
        }
        return take(")") ? product : nil
    }
}
