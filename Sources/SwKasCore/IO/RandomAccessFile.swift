import CSystem

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

    /// Takes ownership of an open descriptor.
    init(adopting descriptor: Int32) {
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

    /// The process's umask, read without changing it (Linux reports it in
    /// /proc/self/status); 022 when that is not available.
    static func currentUmask() -> mode_t {
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

/// A new file that appears at its path only when complete: an unnamed file
/// in the target's directory (Linux O_TMPFILE) linked into place at the end,
/// or, where that is unavailable, a hidden temporary file renamed over it.
/// A process killed before `publish` leaves no file at the path (and, with
/// an unnamed file, nothing at all).
package final class PendingFile {
    package let file: RandomAccessFile
    private let path: SystemPath
    /// The hidden name of the fallback; nil for an unnamed file.
    private let temporary: SystemPath?

    /// Starts a file for `path`, which gets the mode of the file it replaces,
    /// or `0666 & ~umask`.
    package init(for path: SystemPath) throws(SwKasError) {
        self.path = path
        var existing = stat()
        let replaces = stat(path.cString, &existing) == 0
        let unnamed = swkas_open_unnamed(path.directory.cString, 0o666)
        if unnamed >= 0 {
            file = RandomAccessFile(adopting: unnamed)
            temporary = nil
        } else {
            var template = path.hiddenSibling(suffix: ".swkas-XXXXXX").cString
            let descriptor = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -1 }
                return mkstemp(base)
            }
            if descriptor < 0 { throw .io(errno: errno) }
            file = RandomAccessFile(adopting: descriptor)
            temporary = SystemPath(cString: template)
            if !replaces { _ = fchmod(descriptor, 0o666 & ~RandomAccessFile.currentUmask()) }
        }
        if replaces { _ = fchmod(file.fd, existing.st_mode & 0o7777) }
    }

    /// Puts the finished file at the path (after an fsync when durable, and
    /// an fsync of the directory after). Without `replacing`, an existing
    /// file is an error and stays as it was.
    package func publish(replacing: Bool, durable: Bool) throws(SwKasError) {
        if durable { try file.synchronize() }
        if let temporary {
            var existing = stat()
            if !replacing && lstat(path.cString, &existing) == 0 { throw .fileExists }
            if rename(temporary.cString, path.cString) != 0 { throw .io(errno: errno) }
        } else if !replacing {
            if swkas_link_unnamed(file.fd, path.cString) != 0 { throw errno == EEXIST ? .fileExists : .io(errno: errno) }
        } else {
            // Link under a hidden name, then rename over the old file.
            let hidden = path.hiddenSibling(suffix: ".swkas-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            if swkas_link_unnamed(file.fd, hidden.cString) != 0 { throw .io(errno: errno) }
            if rename(hidden.cString, path.cString) != 0 {
                let failure = errno
                unlink(hidden.cString)
                throw .io(errno: failure)
            }
        }
        if durable { AtomicFile.syncDirectory(of: path) }
    }

    /// Gives up: the path is untouched and no temporary name remains.
    package func abandon() {
        if let temporary { unlink(temporary.cString) }
    }
}
