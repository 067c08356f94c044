@testable import DICOM
import FuzzSupport

// A bare JPEG lossless (process 14) codestream: Huffman tables, predictors, restarts, scans.
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let pixels = fuzzPixels(jpeg: bytes) {
        _ = try? JPEGLosslessDecoder.decode(bytes, pixels: pixels)
    }
    return 0
}

runFuzzer(fuzzOneInput)
