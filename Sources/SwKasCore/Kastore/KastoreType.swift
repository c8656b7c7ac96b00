/// The ten element types a kastore array can have, with their on-disk codes.
public enum KastoreType: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case int8 = 0, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64

    /// The type with this on-disk code, or nil for codes 10 and above.
    public init?(code: Int) {
        guard let byte = UInt8(exactly: code), let type = KastoreType(rawValue: byte) else { return nil }
        self = type
    }

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    /// The NumPy dtype name ("int32", "float64", ...), as kastore's tools print it.
    public var name: String {
        switch self {
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int16: return "int16"
        case .uint16: return "uint16"
        case .int32: return "int32"
        case .uint32: return "uint32"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    public var description: String { name }
}

/// A Swift scalar type that kastore stores: the fixed-width integers and
/// `Float`/`Double`. Values are stored little-endian.
public protocol KastoreElement: BitwiseCopyable, Sendable {
    /// The kastore type code for arrays of this element.
    static var kastoreType: KastoreType { get }
}

extension Int8: KastoreElement { public static var kastoreType: KastoreType { .int8 } }
extension UInt8: KastoreElement { public static var kastoreType: KastoreType { .uint8 } }
extension Int16: KastoreElement { public static var kastoreType: KastoreType { .int16 } }
extension UInt16: KastoreElement { public static var kastoreType: KastoreType { .uint16 } }
extension Int32: KastoreElement { public static var kastoreType: KastoreType { .int32 } }
extension UInt32: KastoreElement { public static var kastoreType: KastoreType { .uint32 } }
extension Int64: KastoreElement { public static var kastoreType: KastoreType { .int64 } }
extension UInt64: KastoreElement { public static var kastoreType: KastoreType { .uint64 } }
extension Float: KastoreElement { public static var kastoreType: KastoreType { .float32 } }
extension Double: KastoreElement { public static var kastoreType: KastoreType { .float64 } }

#if _endian(big)
// Arrays are handed out as views of the little-endian file bytes; a big-endian
// host would need a swapping layer that does not exist yet.
#error("swkas supports little-endian hosts only")
#endif
