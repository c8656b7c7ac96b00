// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swkas",
    products: [
        // libswkas.so: the C ABI (kastore.h drop-in + swkas.h).
        .library(name: "swkas", type: .dynamic, targets: ["SwKas"]),
        // The pure-Swift library, for Swift packages that import it directly.
        .library(name: "SwKasCore", targets: ["SwKasCore"]),
        // The command-line tool; CMake installs it under the name `swkas`.
        .executable(name: "swkas-cli", targets: ["swkas-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "SwKasCore", dependencies: ["CSystem", "CKernels", "CLZ4", "CDeflate", "CZstd"]),
        // The few OS calls Swift's Glibc module does not expose.
        .target(name: "CSystem"),
        // SIMD kernels for the SHUFFLE and BITSHUFFLE filters (AVX2 or SSE2, chosen at run time).
        .target(name: "CKernels"),
        // The codecs, from the system's C libraries (Debian: liblz4-dev libdeflate-dev libzstd-dev);
        // ZLIB streams go through libdeflate, which writes and reads RFC 1950 zlib format.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // The exact C declarations of include/, seen from Swift.
        .systemLibrary(name: "CSwKas"),
        .target(name: "SwKas", dependencies: ["SwKasCore", "CSwKas"]),
        .executableTarget(
            name: "swkas-cli",
            dependencies: [
                "SwKasCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Helpers both test targets share (test-data paths, files, manifests).
        .target(name: "SwKasTestSupport", path: "Tests/SwKasTestSupport"),
        .testTarget(name: "SwKasCoreTests", dependencies: ["SwKasCore", "SwKasTestSupport"]),
        .testTarget(name: "SwKasABITests", dependencies: ["SwKas", "CSwKas", "SwKasCore", "SwKasTestSupport"]),
    ]
)
