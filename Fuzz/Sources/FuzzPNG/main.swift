import FuzzSupport
import Imaging

// A PNG file as import reads it: the chunk structure, then a decode to grey.
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? RasterFileInfo(validating: bytes)
    _ = try? PNGDecoder.decodeGray(bytes)
    return 0
}

runFuzzer(fuzzOneInput)
