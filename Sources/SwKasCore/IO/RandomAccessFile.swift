#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read and written at explicit offsets (`pread`/`pwrite`), which
/// several threads may read at once. Frames live in these.
package final class RandomAccessFile: @unchecked Sendable {
    package let fd: Int32

    /// Opens an existing file, read-only or read-write.
    package init(opening path: SystemPath, writable: Bool) throws(SwKasError) {
        let descriptor = open(path.cString, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        if descriptor < 0 { throw .io(errno: errno) }
        var info = stat()
        if fstat(descriptor, &info) != 0 || (info.st_mode & S_IFMT) == S_IFDIR {
            let failure = (info.st_mode & S_IFMT) == S_IFDIR ? EISDIR : errno
            close(descriptor)
            throw .io(errno: failure)
        }
        fd = descriptor
    }

    private init(descriptor: Int32) {
        fd = descriptor
    }

    deinit { close(fd) }

    /// Fills `buffer` from `offset`; a file that ends first is `.truncated`.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SwKasError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let got = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw .io(errno: errno)
            }
            if got == 0 { throw .truncated }
            done += got
        }
    }

    /// `count` bytes from `offset`.
    package func read(_ count: Int, at offset: Int) throws(SwKasError) -> [UInt8] {
        guard count >= 0, offset >= 0 else { throw .badFrame("negative offset") }
        var bytes = [UInt8](repeating: 0, count: count)
        try typedThrows { try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) } }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SwKasError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let put = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if put < 0 {
                if errno == EINTR { continue }
                throw .io(errno: errno)
            }
            done += put
        }
    }

    /// The file's current size.
    package func size() throws(SwKasError) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .io(errno: errno) }
        return Int(info.st_size)
    }

    package func truncate(to length: Int) throws(SwKasError) {
        if ftruncate(fd, off_t(length)) != 0 { throw .io(errno: errno) }
    }

    /// Makes written data durable (fdatasync).
    package func synchronize() throws(SwKasError) {
        if fdatasync(fd) != 0 { throw .io(errno: errno) }
    }

    /// A new, empty, hidden file next to `path` (mode `0666 & ~umask`, or the
    /// mode of the file it will replace), to be renamed over `path` by
    /// `replace(_:with:temporary:durable:)`.
    package static func temporarySibling(of path: SystemPath) throws(SwKasError) -> (RandomAccessFile, SystemPath) {
        var template = path.hiddenSibling(suffix: ".swkas-XXXXXX").cString
        let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        if descriptor < 0 { throw .io(errno: errno) }
        var existing = stat()
        let mode = stat(path.cString, &existing) == 0 ? existing.st_mode & 0o7777 : 0o666 & ~currentUmask()
        _ = fchmod(descriptor, mode)
        return (RandomAccessFile(descriptor: descriptor), SystemPath(cString: template))
    }

    /// Renames the finished `temporary` over `path` (after an fsync when
    /// durable, and an fsync of the directory after it), so `path` shows the
    /// old file or the complete new one and nothing in between.
    package static func replace(
        _ path: SystemPath, with file: RandomAccessFile, temporary: SystemPath, durable: Bool
    ) throws(SwKasError) {
        if durable { try file.synchronize() }
        if rename(temporary.cString, path.cString) != 0 { throw .io(errno: errno) }
        if durable { AtomicFile.syncDirectory(of: path) }
    }

    /// The process's umask, read without changing it (Linux reports it in
    /// /proc/self/status); 022 when that is not available.
    private static func currentUmask() -> mode_t {
        guard let status = fopen("/proc/self/status", "r") else { return 0o022 }
        defer { fclose(status) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), status) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("Umask:"), let value = mode_t(text.dropFirst(6).filter { !$0.isWhitespace }, radix: 8) {
                return value
            }
        }
        return 0o022
    }
}

/// Removes a file, ignoring failure (cleanup after an error that wins).
package func unlinkQuietly(_ path: SystemPath) {
    unlink(path.cString)
}
