// swift-tools-version:6.0
import PackageDescription

// Dependency direction (arrows point at what a target may import):
//   AttnTrace    -> Foundation, CDeflate (crc32)
//   AttnRuntime  -> Foundation, CBLAS            (never the trace format, never the viewer)
//   AttnRecorder -> AttnRuntime, AttnTrace    (the one place runtime values become trace records)
//   AttnAnalysis -> AttnTrace
//   AttnTUI      -> AttnTrace, AttnAnalysis; only AttnTUI/Terminal imports CNCurses, Grid/PNGEncoder CDeflate
//   attnscope    -> everything above + ArgumentParser
//   AttnTestSupport -> XCTest only; test targets depend on it, production targets never do
//   AttnTraceTestSupport -> AttnTrace, AttnAnalysis, CZlib (zlib's crc32, the reference the tests
//                           check the format's CRC against); test targets only

let package = Package(
    name: "attnscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "attnscope", targets: ["attnscope"]),
        .library(name: "AttnTrace", targets: ["AttnTrace"]),
        .library(name: "AttnRuntime", targets: ["AttnRuntime"]),
        .library(name: "AttnRecorder", targets: ["AttnRecorder"]),
        .library(name: "AttnAnalysis", targets: ["AttnAnalysis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries (Debian packages, see scripts/setup.sh)
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses", pkgConfig: "ncursesw"),

        // MARK: - Libraries
        .target(name: "AttnTrace", dependencies: ["CDeflate"]),
        .target(
            name: "AttnRuntime",
            dependencies: ["CBLAS"],
            swiftSettings: [
                // Kernels need FMA/AVX2 code generation: without it SIMD.addingProduct becomes a
                // libm call per lane on x86-64. The machines this project runs on all have AVX2+FMA.
                .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c", "-enforce-exclusivity=unchecked"]),
            ]
        ),
        .target(
            name: "AttnRecorder",
            dependencies: ["AttnRuntime", "AttnTrace"],
            // the head trackers' SIMD loops need the same code generation as the runtime's kernels
            swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c", "-enforce-exclusivity=unchecked"])]
        ),
        .target(name: "AttnAnalysis", dependencies: ["AttnTrace"]),
        .target(name: "AttnTUI", dependencies: ["AttnTrace", "AttnAnalysis", "CNCurses", "CDeflate"]),

        // MARK: - Command line
        .executableTarget(
            name: "attnscope",
            dependencies: [
                "AttnTrace", "AttnRuntime", "AttnRecorder", "AttnAnalysis", "AttnTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),

        // MARK: - Test support (the NaN-failing tolerance check, the binary under test, the model
        // requirement, golden recording); linked into test bundles only
        .target(name: "AttnTestSupport", path: "Tests/AttnTestSupport"),
        // Trace test support: shapes only tests use, the seeded generator, trace assertions, zlib's CRC.
        .target(name: "AttnTraceTestSupport", dependencies: ["AttnTrace", "AttnAnalysis", "CZlib"],
                path: "Tests/AttnTraceTestSupport"),

        // MARK: - Unit test bundles
        .testTarget(name: "AttnTraceTests", dependencies: ["AttnTrace", "AttnTestSupport", "AttnTraceTestSupport"]),
        .testTarget(name: "AttnRuntimeTests", dependencies: ["AttnRuntime", "AttnTestSupport", "AttnTraceTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "AttnRecorderTests", dependencies: ["AttnRecorder", "AttnRuntime", "AttnTrace", "AttnTestSupport",
                                                         "AttnTraceTestSupport"]),
        .testTarget(name: "AttnAnalysisTests", dependencies: ["AttnAnalysis", "AttnTrace", "AttnTestSupport", "AttnTraceTestSupport"]),
        .testTarget(name: "AttnTUITests", dependencies: ["AttnTUI", "AttnTrace", "AttnAnalysis", "AttnTestSupport", "AttnTraceTestSupport"],
                    exclude: ["Snapshots"]),
        // Runs the built `attnscope` binary on the reference model and reads its traces back.
        .testTarget(name: "EndToEndTests", dependencies: ["AttnTrace", "AttnAnalysis", "AttnRuntime", "attnscope", "AttnTestSupport",
                                                      "AttnTraceTestSupport"]),
    ]
)
