import Foundation
import FluoroboxTestSupport

/// Raw deflate for tests, through Python's zlib (the product only ever inflates).
enum ZlibTestSupport {
    static func deflateRaw(_ bytes: [UInt8]) async throws -> [UInt8] {
        let folder = TemporaryDirectory("deflate")
        let input = try folder.write("in", bytes)
        let output = folder.file("out")
        let script = "import zlib,sys; c=zlib.compressobj(9, zlib.DEFLATED, -15); d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(c.compress(d)+c.flush())"
        let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", script, input, output])
        guard result.status == 0 else { throw DCMTKReference.Failure(description: "python3 zlib: \(result.stderr)") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }
}
