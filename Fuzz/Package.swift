// swift-tools-version: 6.1
// libFuzzer targets over Fluorobox's parsers and pixel decoders. Build and run them with
// tools/fuzz/run-fuzzers; by hand: `swift build -c debug -Xswiftc -sanitize=fuzzer,address` here,
// then run a binary with a corpus folder. Kept apart from the main package so its build never
// needs the fuzzer runtime.

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
        // libFuzzer's driver, shared by the targets below.
        .target(name: "FuzzSupport", dependencies: [.product(name: "DICOM", package: "fluorobox")]),
        // A DICOM file as the analysis reads it: frame 0 of every transfer syntax, then the
        // grayscale pipeline to a raster. Also extracts codec seeds from DICOM files.
        .executableTarget(name: "FuzzPixelData", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        // One codec each, fed a bare codestream (the frame's size taken from its own header).
        .executableTarget(name: "FuzzJPEGLossless", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        .executableTarget(name: "FuzzJPEGLS", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        .executableTarget(name: "FuzzJPEG2000", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        .executableTarget(name: "FuzzRLE", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        // Raster files as import and USB capture read them (Imaging, reached through DICOM).
        .executableTarget(name: "FuzzJPEG", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
        .executableTarget(name: "FuzzPNG", dependencies: ["FuzzSupport", .product(name: "DICOM", package: "fluorobox")]),
    ]
)
