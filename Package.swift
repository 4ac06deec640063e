// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "mysql-server-mock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mysql_server_mock", targets: ["mysql_server_mock"]),
        .library(name: "MySQLWire", targets: ["MySQLWire"]),
        .library(name: "MySQLXWire", targets: ["MySQLXWire"]),
        .library(name: "MockModel", targets: ["MockModel"]),
        .library(name: "MockScript", targets: ["MockScript"]),
        .library(name: "MockServer", targets: ["MockServer"]),
        .library(name: "MockTesting", targets: ["MockTesting"]),
        .library(name: "MockAdmin", targets: ["MockAdmin"]),
        .library(name: "MockUpstream", targets: ["MockUpstream"]),
        .library(name: "MockCluster", targets: ["MockCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "MySQLWire",
            dependencies: [
                "CZlib", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "MySQLXWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(name: "MockModel"),
        .systemLibrary(name: "CDuktape", pkgConfig: "duktape", providers: [.apt(["duktape-dev"])]),
        .target(name: "CDuktapeShim", dependencies: ["CDuktape"]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .target(
            name: "MockScript",
            dependencies: ["MockModel", "CDuktape", "CDuktapeShim", "CPCRE2", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "MockServer",
            dependencies: [
                "MySQLWire", "MySQLXWire", "MockModel",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "MockUpstream",
            dependencies: [
                "MySQLWire", "MockModel", "MockScript", "MockServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MockCluster",
            dependencies: [
                "MockServer", "MockScript", "MockModel", "MockAdmin",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "MockAdmin",
            dependencies: [
                "MockServer", "MockScript", "MockModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The dashboard, compiled into the binary: no files to find at run time.
            resources: [
                .embedInCode("Dashboard/index.html"),
                .embedInCode("Dashboard/dashboard.css"),
                .embedInCode("Dashboard/dashboard.js"),
            ]
        ),
        .target(
            name: "MockTesting",
            dependencies: [
                "MockServer", "MockScript", "MySQLWire", "MockModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mysql_server_mock",
            dependencies: [
                "MockServer", "MockScript", "MockModel", "MockAdmin", "MockUpstream", "MockCluster", "MySQLWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "MockMicroBench",
            dependencies: ["MockTesting", "MockScript", "MockServer", "MockModel"],
            path: "Benchmarks/MockMicroBench"
        ),
        .executableTarget(
            name: "NIOFloor",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/NIOFloor"
        ),
        // Issue 4's calibration: a C epoll responder with canned packets (`make bench` runs it).
        .executableTarget(name: "CEpollFloor", path: "Benchmarks/CEpollFloor"),
        // Fuzzing (issue 8): the targets as a library (the unit tests replay the committed corpus
        // through them), and MockFuzzer, a libFuzzer binary when built by `make fuzz`.
        .target(
            name: "FuzzTargets",
            dependencies: ["MySQLWire", "MySQLXWire", "MockModel", "MockScript", "MockServer", "MockAdmin", "MockUpstream",
                           .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/FuzzTargets"
        ),
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(name: "MockFuzzer", dependencies: ["FuzzTargets", "CLibFuzzer"], path: "Fuzz/MockFuzzer"),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "MySQLWireTests",
            dependencies: ["MySQLWire", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "MockScriptTests", dependencies: ["MockScript", "MockModel"]),
        .testTarget(name: "MockModelTests", dependencies: ["MockModel"]),
        .testTarget(name: "MockClusterTests", dependencies: ["MockCluster", "MockScript", "MockTesting", "MySQLWire"]),
        .testTarget(
            name: "MockUpstreamTests",
            dependencies: ["MockUpstream", "MockServer", "MockScript", "MockTesting", "MySQLWire", "MockModel",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "MySQLXWireTests",
            dependencies: ["MySQLXWire", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "MockAdminTests",
            dependencies: ["MockAdmin", "MockServer", "MockScript", "MockTesting",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        .testTarget(
            name: "MockServerTests",
            dependencies: ["MockServer", "MockTesting", "MockScript", "MySQLWire", "MySQLXWire", "MockModel",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
