@testable import DICOM
import FuzzSupport

// A JPEG 2000 codestream or JP2 file through OpenJPEG. The size comes from the first SIZ marker
// segment (JPEG2000SizeSegment).
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // The size the codestream declares, read as the codec reads it before OpenJPEG.
    var pixels = fuzzPixels(width: 1, height: 1, precision: 8)
    if let size = try? JPEG2000SizeSegment(codestream: bytes) {
        pixels = fuzzPixels(width: Int(size.width), height: Int(size.height), precision: size.precision) ?? pixels
    }
    if let pixels {
        _ = try? JPEG2000Codec.decode(bytes, pixels: pixels)
    }
    return 0
}

runFuzzer(fuzzOneInput)
