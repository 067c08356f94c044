@testable import DICOM
import FuzzSupport

// An RLE Lossless frame behind a 5-byte prefix the seeds carry: Rows and Columns (16 bits, big
// endian each), then 1 for 16-bit samples, else 8-bit.
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 5 else { return 0 }
    let rows = Int(bytes[0]) << 8 | Int(bytes[1]), columns = Int(bytes[2]) << 8 | Int(bytes[3])
    let bits = bytes[4] & 1 == 1 ? 16 : 8
    if let pixels = fuzzPixels(width: columns, height: rows, precision: bits) {
        _ = try? RLEDecoder.decode(Array(bytes[5...]), pixels: pixels.pixelsPerFrame, bitsAllocated: pixels.bitsAllocated)
    }
    return 0
}

runFuzzer(fuzzOneInput)
