// swift-tools-version: 6.1
// libFuzzer targets over Fluorobox's parsers; built with -sanitize=fuzzer by tools/fuzz/run-fuzzers.
// Kept apart from the main package so the instrumented build never mixes with the product's.

import PackageDescription

let package = Package(
    name: "fluorobox-fuzz",
    dependencies: [
        .package(name: "fluorobox", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The DICOM upper layer: PDUs as a peer sends them, and the DIMSE command sets inside.
        .executableTarget(
            name: "FuzzPDUParser",
            dependencies: [
                .product(name: "DICOMNetwork", package: "fluorobox"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
