import Foundation
import Imaging
import Inference
import Testing

/// The signed demo model package shipped in models/, and its reference rasters.
public enum DemoModel {
    public static let path = TestData.packageRoot + "/models/chest-phantom-demo"
    public static let task = "chest-findings"

    /// Reads a little-endian uint16 .npy (the package's reference source raster) as a raster.
    public static func raster(_ name: String) throws -> GrayscaleImage {
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/reference/" + name))
        let header = try NumpyArrayHeader(parsing: data)
        #expect(header.descr == "<u2" && header.shape.count == 2)
        let (height, width) = (header.shape[0], header.shape[1])
        let samples: [UInt16] = data.withUnsafeBytes { raw in
            (0..<(width * height)).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: header.dataOffset + $0 * 2, as: UInt16.self)) }
        }
        return GrayscaleImage(width: width, height: height, bitsStored: 16, samples: samples)
    }

    /// Installs and activates the demo package in a packages folder.
    public static func install(into folder: String) async throws {
        try await ModelPackageStore.withStore(folder: folder, settings: ModelPackageSettings(trustedKeys: [.demo]), logger: quietLogger) { store in
            guard case .installed(let installed) = try await store.install(from: path) else {
                throw TestFailure("the demo package did not install")
            }
            _ = try await store.activate(installed.reference)
        }
    }
}

/// A setup step that did not go as a test expects.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
