// swift-tools-version: 6.1
// Fluorobox: firmware for a box beside a fluorography / X-ray unit.
// Module rooms follow ../shared/DESIGN.md: each room imports only rooms to its right.

import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "fluorobox",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fluorobox", targets: ["fluorobox"]),
        .executable(name: "fluorobox-bench", targets: ["fluorobox-bench"]),
        .executable(name: "fluorobox-hub", targets: ["fluorobox-hub"]),
        // tools/bench/hub-load's load generator: simulated devices over mutual TLS.
        .executable(name: "fluorobox-hub-load", targets: ["fluorobox-hub-load"]),
        // For the fuzz package in Fuzz/, which depends on this one by path.
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "DICOMNetwork", targets: ["DICOMNetwork"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
    ],
    targets: [
        // MARK: C libraries from Debian, one system library target each.
        .systemLibrary(
            name: "CLibJPEG",
            providers: [.apt(["libjpeg62-turbo-dev"])]
        ),
        .systemLibrary(
            name: "CLibUSB",
            pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]
        ),
        .systemLibrary(
            name: "CXNNPACK",
            providers: [.apt(["libxnnpack-dev", "libpthreadpool-dev"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenJPEG", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CCharLS", providers: [.apt(["libcharls-dev"])]),
        // Linux calls Swift's Glibc module leaves out (sync_file_range).
        .systemLibrary(name: "CLinux"),
        // libjpeg reports errors by longjmp; Swift cannot catch that, so this tiny C target does.
        .target(name: "CJPEGCodec", dependencies: ["CLibJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),

        // MARK: Module rooms.
        .target(
            name: "POSIXSupport",
            dependencies: ["CLinux", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        .target(name: "DICOM", dependencies: ["Imaging", "COpenJPEG", "CCharLS"], swiftSettings: strictSwift),
        .target(name: "Imaging", dependencies: ["CJPEGCodec", "CZlib"], swiftSettings: strictSwift),
        .target(
            name: "DICOMNetwork",
            dependencies: [
                "DICOM",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "USBCapture",
            dependencies: ["CLibUSB", "Imaging", "POSIXSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Inference",
            dependencies: [
                "CXNNPACK",
                "POSIXSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Analysis",
            dependencies: [
                "DICOM", "Imaging", "Inference", "POSIXSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "StudyStore",
            dependencies: [
                "POSIXSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Panel",
            dependencies: [
                "POSIXSupport", "DICOM", "Imaging", "StudyStore", "Analysis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Sync",
            dependencies: [
                "StudyStore", "POSIXSupport", "DICOM",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "PlatformHub",
            dependencies: [
                // StudyStore for the box–platform vocabulary (DeviceHeartbeat), never the box's store.
                "POSIXSupport", "StudyStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // ConnectionPoolError: the pool's circuit breaker, told apart as "unavailable".
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "fluorobox-hub",
            dependencies: [
                "PlatformHub", "POSIXSupport", "StudyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The load generator of tools/bench/hub-load. A target of its own beside the hub's, not
        // a fluorobox-bench subcommand: it needs only what the hub already builds, not the appliance.
        .executableTarget(
            name: "fluorobox-hub-load",
            dependencies: [
                "PlatformHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "Appliance",
            dependencies: [
                "POSIXSupport", "DICOM", "Imaging", "USBCapture", "Inference", "StudyStore",
                "DICOMNetwork", "Analysis", "Panel", "Sync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "fluorobox",
            dependencies: [
                "Appliance", "DICOM", "Imaging", "StudyStore", "USBCapture",
                "Inference", "DICOMNetwork", "Analysis", "Panel", "Sync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "fluorobox-bench",
            dependencies: [
                "Appliance", "DICOM", "POSIXSupport", "StudyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),

        // MARK: Tests.
        .target(
            name: "FluoroboxTestSupport",
            dependencies: ["DICOM", "Imaging", "Inference", "POSIXSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strictSwift
        ),
        .target(
            name: "UVCEmulator",
            dependencies: ["Imaging"],
            path: "Tests/UVCEmulator",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "uvc-camera-server",
            dependencies: ["UVCEmulator", "Imaging"],
            path: "Tests/UVCCameraServer",
            swiftSettings: strictSwift
        ),
        // A box's store filled with results and instances, for the sync tests and the fleet.
        .target(
            name: "SyncFixtures",
            dependencies: [
                "StudyStore", "DICOM", "FluoroboxTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/SyncFixtures",
            swiftSettings: strictSwift
        ),
        // Boxes of the fleet proof (SyncTests/FleetProofTests): several per process, each its own
        // store and device id, draining through the real sync client.
        .executableTarget(
            name: "fleet-boxes",
            dependencies: [
                "SyncFixtures", "Sync", "StudyStore", "POSIXSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/FleetBoxes",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "USBCaptureTests",
            dependencies: ["USBCapture", "UVCEmulator", "Imaging", "FluoroboxTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "Imaging", "FluoroboxTestSupport", "fluorobox"], swiftSettings: strictSwift),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "FluoroboxTestSupport"], swiftSettings: strictSwift),
        .testTarget(
            name: "StudyStoreTests",
            dependencies: ["StudyStore", "POSIXSupport", "FluoroboxTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "AnalysisTests",
            dependencies: ["Analysis", "Appliance", "DICOM", "Imaging", "Inference", "FluoroboxTestSupport", "fluorobox"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "InferenceTests",
            dependencies: ["Inference", "FluoroboxTestSupport", "fluorobox", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "InferencePackageTests",
            dependencies: ["Inference", "Appliance", "POSIXSupport", "FluoroboxTestSupport", "fluorobox"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ApplianceTests",
            dependencies: ["Appliance", "Analysis", "Inference", "StudyStore", "DICOM", "DICOMNetwork", "Imaging", "POSIXSupport", "FluoroboxTestSupport", "fluorobox", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "PlatformHub", "StudyStore", "POSIXSupport", "FluoroboxTestSupport", "fluorobox-hub", "Appliance", "fluorobox",
                "DICOM", "Inference", "SyncFixtures", "fleet-boxes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "PlatformHubTests",
            dependencies: [
                "PlatformHub", "POSIXSupport", "FluoroboxTestSupport", "fluorobox-hub", "DICOM", "StudyStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "DICOMNetworkTests",
            dependencies: [
                "DICOMNetwork", "Appliance", "StudyStore", "DICOM", "POSIXSupport", "FluoroboxTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "PanelTests",
            dependencies: [
                "Panel", "Appliance", "StudyStore", "POSIXSupport", "FluoroboxTestSupport", "fluorobox", "Imaging", "DICOM",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
