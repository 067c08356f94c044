// swift-tools-version: 6.1
// libFuzzer targets over Fluorobox's parsers. Build and run them with tools/fuzz/run-fuzzers;
// by hand: `swift build -c debug -Xswiftc -sanitize=fuzzer` here, then run the binary with a
// corpus folder. Kept out of the main package so its build never needs the fuzzer runtime.

import PackageDescription

let package = Package(
    name: "fluorobox-fuzz",
    dependencies: [
        .package(name: "fluorobox", path: ".."),
    ],
    targets: [
        // The DICOM file reader: whole-file parse, dump, pixel decode and intake identity.
        .executableTarget(
            name: "FuzzDICOMFile",
            dependencies: [.product(name: "DICOM", package: "fluorobox")]
        ),
    ]
)
