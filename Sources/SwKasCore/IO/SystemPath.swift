/// A file system path as the bytes the OS sees (not necessarily UTF-8),
/// NUL-terminated for the C calls.
package struct SystemPath: Sendable {
    /// The path's bytes followed by one NUL.
    package let cString: [CChar]

    package init(_ path: String) {
        cString = Array(path.utf8CString)
    }

    /// Copies a C string.
    package init(cString pointer: UnsafePointer<CChar>) {
        var bytes: [CChar] = []
        var cursor = pointer
        while cursor.pointee != 0 {
            bytes.append(cursor.pointee)
            cursor += 1
        }
        bytes.append(0)
        cString = bytes
    }

    private init(bytes: ArraySlice<CChar>) {
        cString = Array(bytes) + [0]
    }

    private var bytes: ArraySlice<CChar> { cString.dropLast() }

    /// The directory part: "." for a bare name, "/" for a file in the root.
    package var directory: SystemPath {
        guard let slash = bytes.lastIndex(of: CChar(UInt8(ascii: "/"))) else { return SystemPath(".") }
        return slash == 0 ? SystemPath("/") : SystemPath(bytes: bytes[..<slash])
    }

    /// `self/name`.
    package func appending(_ name: String) -> SystemPath {
        SystemPath(bytes: ArraySlice(Array(bytes) + [CChar(UInt8(ascii: "/"))] + name.utf8.map { CChar(bitPattern: $0) }))
    }

    /// `dir/.name<suffix>`: a hidden sibling of this path.
    package func hiddenSibling(suffix: String) -> SystemPath {
        let slash = bytes.lastIndex(of: CChar(UInt8(ascii: "/")))
        let prefix = slash.map { bytes[...$0] } ?? []
        let name = slash.map { bytes[($0 + 1)...] } ?? bytes
        let dot = [CChar(UInt8(ascii: "."))]
        let tail = suffix.utf8.map { CChar(bitPattern: $0) }
        return SystemPath(bytes: ArraySlice(Array(prefix) + dot + Array(name) + tail))
    }
}
