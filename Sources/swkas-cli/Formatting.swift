#if canImport(Glibc)
import Glibc
#endif

/// Number formatting that reproduces what `python -m kastore` prints.
enum PythonFormat {
    /// Python's `repr(float)`: the shortest round-trip digits, positional
    /// when the decimal exponent is in [-4, 16), scientific otherwise.
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }
        // Swift's description also gives the shortest round-trip digits; only
        // the layout differs, so take its digits and exponent apart.
        let text = value.magnitude.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        let whole = mantissa[0]
        var digits = Array(whole + (mantissa.count == 2 ? mantissa[1] : ""))
        var point = whole.count + exponent  // value = 0.DIGITS × 10^point
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let body: String
        if point > 16 || point < -3 {
            let head = String(digits[0])
            let tail = digits.count > 1 ? "." + String(digits[1...]) : ""
            let power = point - 1
            let magnitude = String(abs(power))
            body = head + tail + "e" + (power < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        } else if point <= 0 {
            body = "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point >= digits.count {
            body = String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
        } else {
            body = String(digits[..<point]) + "." + String(digits[point...])
        }
        return sign + body
    }

    /// `humanize.naturalsize(bytes, gnu=True)`: the unit from log base 1024
    /// (one letter), one step up when the rounded mantissa reaches 1024.
    static func naturalSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes)B" }
        let suffixes = Array("KMGTPEZYRQ")
        let value = Double(bytes)
        var exponent = Int(Swift.min(log(value) / log(1024.0), Double(suffixes.count)))
        if exponent < suffixes.count, Double(oneDecimal(value / pow(1024.0, Double(exponent)))) ?? 0 >= 1024 {
            exponent += 1
        }
        return oneDecimal(value / pow(1024.0, Double(exponent))) + String(suffixes[exponent - 1])
    }

    /// C's `%.1f`, which rounds the binary value exactly as Python's `%` does.
    private static func oneDecimal(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.1f", $0) }
        return String(decoding: buffer.prefix(Int(max(count, 0))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Buffered standard output: one `write` per 64 KiB, not per line.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = write(STDOUT_FILENO, base + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }  // stdout is gone; SIGPIPE has normally ended us already
                offset += written
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
