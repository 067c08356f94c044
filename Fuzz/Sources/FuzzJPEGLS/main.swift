@testable import DICOM
import FuzzSupport

// A bare JPEG-LS codestream through CharLS, as the DICOM JPEG-LS syntaxes decode it. Frames are
// held to 1 M pixels here: CharLS 2.4.1 itself can spend about 10 µs a pixel on a damaged
// stream (33 s for a 2140 x 1760 one), which would read as a libFuzzer timeout.
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let pixels = fuzzPixels(jpeg: bytes, maximumPixels: 1 << 20) {
        _ = try? JPEGLSCodec.decode(bytes, pixels: pixels)
    }
    return 0
}

runFuzzer(fuzzOneInput)
