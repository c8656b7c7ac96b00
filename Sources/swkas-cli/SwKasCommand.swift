import ArgumentParser
import SwKasCore

#if canImport(Glibc)
import Glibc
#endif

/// `swkas`: inspect kastore files (and, later, swkas arrays).
@main
struct SwKasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swkas",
        abstract: "Command line utility for kastore files.",
        version: "swkas 0.1.0",
        subcommands: [List.self, Dump.self])

    @Flag(name: [.customShort("V")], help: "Show the version (same as --version).")
    var shortVersion = false

    @Flag(name: [.short, .long], help: "Increase verbosity (accepted for kastore compatibility).")
    var verbose: Int

    static func main() {
        // Like kastore's tool: a closed pipe (`swkas ls f | head`) ends us quietly.
        signal(SIGPIPE, SIG_DFL)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// Reached only without a subcommand: `-V` prints the version, anything
    /// else is a usage error (exit status 2, as kastore's argparse gives).
    func run() throws {
        if shortVersion {
            print(Self.configuration.version)
            return
        }
        var standardError = StandardError()
        print("usage: " + Self.usageString(), to: &standardError)
        print("swkas: error: the following arguments are required: subcommand", to: &standardError)
        throw ExitCode(2)
    }
}

/// Standard error as a `TextOutputStream`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// Options shared by the kastore subcommands.
struct StoreOptions: ParsableArguments {
    @Argument(help: "The input kastore file.")
    var store: String

    @Flag(name: [.short, .long], help: "Increase verbosity (accepted for kastore compatibility).")
    var verbose: Int
}

/// A failure reported as `Error: <message>` with exit status 1.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension SwKasCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the contents of a store.")

        @OptionGroup var options: StoreOptions

        @Flag(name: [.short, .long], help: "Show details about arrays.")
        var long = false

        @Flag(name: [.customShort("H"), .long], help: "Show array sizes in human-readable format.")
        var humanReadable = false

        func run() throws {
            // Like kastore's lazy open: only header, descriptors and keys are
            // read, so a store whose arrays are cut short still lists.
            let items: [KastoreItemInfo]
            do {
                items = try KastoreFile.items(inFileAt: options.store)
            } catch {
                throw ValidationFailure("\(options.store): \(error)")
            }
            var out = OutputBuffer()
            defer { out.flush() }
            guard long else {
                for item in items { out.line(item.key) }
                return
            }
            let rows = items.map { item in
                (
                    dtype: item.type.name, length: String(item.count),
                    size: humanReadable ? PythonFormat.naturalSize(item.byteCount) : String(item.byteCount),
                    key: item.key
                )
            }
            let dtypeWidth = rows.map(\.dtype.count).max() ?? 0
            let lengthWidth = rows.map(\.length.count).max() ?? 0
            let sizeWidth = rows.map(\.size.count).max() ?? 0
            for row in rows {
                let dtype = row.dtype + String(repeating: " ", count: dtypeWidth - row.dtype.count)
                let length = String(repeating: " ", count: lengthWidth - row.length.count) + row.length
                let size = String(repeating: " ", count: sizeWidth - row.size.count) + row.size
                out.line("\(dtype) \(length) \(size) \(row.key)")
            }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dump", abstract: "Dump an array within the file to stdout, one value per line.")

        @OptionGroup var options: StoreOptions

        @Argument(help: "The key of the array to dump.")
        var array: String

        func run() throws {
            let values: KastoreArray
            do {
                values = try KastoreFile.array(forKey: array, inFileAt: options.store)
            } catch .keyNotFound {
                throw ValidationFailure("\(options.store): no array with key '\(array)'")
            } catch {
                throw ValidationFailure("\(options.store): \(error)")
            }
            var out = OutputBuffer()
            defer { out.flush() }
            switch values {
            case .int8(let v): for x in v { out.line(String(x)) }
            case .uint8(let v): for x in v { out.line(String(x)) }
            case .int16(let v): for x in v { out.line(String(x)) }
            case .uint16(let v): for x in v { out.line(String(x)) }
            case .int32(let v): for x in v { out.line(String(x)) }
            case .uint32(let v): for x in v { out.line(String(x)) }
            case .int64(let v): for x in v { out.line(String(x)) }
            case .uint64(let v): for x in v { out.line(String(x)) }
            case .float32(let v): for x in v { out.line(PythonFormat.repr(Double(x))) }
            case .float64(let v): for x in v { out.line(PythonFormat.repr(x)) }
            }
        }
    }
}
