// swift-tools-version: 6.1
// libFuzzer targets over Fluorobox's parsers. Build and run them with tools/fuzz/run-fuzzers;
// by hand: `swift build -c debug -Xswiftc -sanitize=fuzzer,address` here, then run a binary with
// a corpus folder. Kept apart from the main package so its build never needs the fuzzer runtime.

import PackageDescription

let package = Package(
    name: "fluorobox-fuzz",
    dependencies: [
        .package(name: "fluorobox", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The DICOM file reader: whole-file parse, dump, pixel decode and intake identity.
        .executableTarget(
            name: "FuzzDICOMFile",
            dependencies: [.product(name: "DICOM", package: "fluorobox")]
        ),
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
