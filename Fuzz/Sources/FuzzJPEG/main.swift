import FuzzSupport
import Imaging

// A JPEG file as import and USB capture read it: libjpeg-turbo's header, then a whole decode.
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? RasterFileInfo(validating: bytes)
    _ = try? JPEGCodec.decodeGray8(bytes)
    return 0
}

runFuzzer(fuzzOneInput)
