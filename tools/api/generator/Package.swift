// swift-tools-version: 6.1
// Builds swift-openapi-generator from the package mirror for tools/api/generate. A package of its
// own, outside ../../../Package.swift: the generator (OpenAPIKit, Yams) is never a dependency of
// the firmware or the hub, and the generated code is committed, so no build plugin runs it.

import PackageDescription

let package = Package(
    name: "fluorobox-api-generator",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
    ],
    targets: []
)
