#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of swkas: every throwing function of the core throws it
/// (typed throws), and the C ABI maps it to an error code in exactly one place.
///
/// The first fifteen cases mean what kastore's `KAS_ERR_*` codes of the same
/// name mean; the rest are swkas's own.
public enum SwKasError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// An internal error or a misuse that has no better name.
    case generic
    /// A system call failed with this `errno`.
    case io(errno: Int32)
    /// An open mode other than read, write or append.
    case badMode
    /// An allocation failed or a size does not fit in memory.
    case noMemory
    /// The bytes are not a well-formed store.
    case badFileFormat
    /// The file's major version is older than we read.
    case versionTooOld
    /// The file's major version is newer than we read.
    case versionTooNew
    /// A type code outside the ten kastore types.
    case badType
    /// A zero-length key.
    case emptyKey
    /// A key that is already present.
    case duplicateKey
    /// A key that is not present.
    case keyNotFound
    /// An operation the store's mode does not allow.
    case illegalOperation
    /// A typed access to an array stored with another type.
    case typeMismatch
    /// The input ended before the first byte of a store.
    case endOfFile
    /// Flags outside the accepted set.
    case badFlags
    /// An item index past the end.
    case indexOutOfRange
    /// A required argument was missing (NULL from C).
    case nullArgument
    /// The file is shorter than the store its header describes.
    case truncated
    /// A Blosc2 chunk (or one of its streams, named here) is malformed.
    case chunkFormat(String)
    /// Valid input using a feature swkas does not implement (named here).
    case unsupported(String)
    /// An argument outside its documented range (named here).
    case invalidArgument(String)
    /// An output buffer smaller than the result needs.
    case bufferTooSmall
    /// The path to create exists (and overwriting was not asked for).
    case fileExists
    /// A frame without a `b2nd` or `caterva` metalayer (not an N-d array).
    case notAnArray
    /// A Blosc2 frame (header, metalayers, index or trailer, named here) is malformed.
    case badFrame(String)

    public var description: String {
        switch self {
        case .generic: return "Generic error; please file a bug report"
        case .io(let code):
            if code != 0, let text = strerror(code) { return String(cString: text) }
            return "I/O error with errno unset. Please file a bug report"
        case .badMode: return "Bad open mode; must be \"r\", \"w\", or \"a\""
        case .noMemory: return "Out of memory"
        case .badFileFormat: return "File not in KAS format"
        case .versionTooOld:
            return "File format version is too old. Please upgrade using 'kas upgrade <filename>'"
        case .versionTooNew:
            return "File format version is too new. Please upgrade your kastore library version"
        case .badType: return "Unknown data type"
        case .emptyKey: return "Keys cannot be empty"
        case .duplicateKey: return "Duplicate key provided"
        case .keyNotFound: return "Key not found"
        case .illegalOperation: return "Cannot perform the requested operation in the current mode"
        case .typeMismatch: return "Mismatch between requested and stored types for array"
        case .endOfFile: return "End of file"
        case .badFlags:
            return "Unknown flags specified. Only (KAS_GET_TAKES_OWNERSHIP and/or"
                + "KAS_READ_ALL) or 0 can be specified for open, and KAS_BORROWS_ARRAY or 0 for put"
        case .indexOutOfRange: return "Item index out of range"
        case .nullArgument: return "A required pointer argument is NULL"
        case .truncated: return "File is shorter than the size in its header"
        case .chunkFormat(let what): return "Malformed Blosc2 chunk" + (what.isEmpty ? "" : " (\(what))")
        case .unsupported(let what): return "Unsupported feature" + (what.isEmpty ? "" : ": \(what)")
        case .invalidArgument(let what): return "Invalid argument" + (what.isEmpty ? "" : ": \(what)")
        case .bufferTooSmall: return "Output buffer too small"
        case .fileExists: return "The file exists"
        case .notAnArray: return "Not an N-d array (no b2nd or caterva metalayer)"
        case .badFrame(let what): return "Malformed Blosc2 frame" + (what.isEmpty ? "" : " (\(what))")
        }
    }
}

/// Runs `body` through a standard-library API that rethrows untyped errors
/// (`withUnsafeBytes` and friends), keeping the typed error: `body` throws
/// only `SwKasError`.
@inlinable
package func typedThrows<R>(_ body: () throws -> R) throws(SwKasError) -> R {
    do {
        return try body()
    } catch let error as SwKasError {
        throw error
    } catch {
        throw .generic
    }
}
