@testable import DICOM
import FuzzSupport

// A JPEG 2000 codestream or JP2 file through OpenJPEG. The size comes from the first SIZ marker
// segment (FF4F FF51: Xsiz, Ysiz, XOsiz, YOsiz, then Ssiz of the first component).
// libFuzzer's own main refers to this symbol, so it is defined even though main passes it on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    var pixels = fuzzPixels(width: 1, height: 1, precision: 8)
    let marker: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51]
    if let start = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }), start + 43 <= bytes.count {
        func word(_ at: Int) -> Int { (start + at..<start + at + 4).reduce(0) { $0 << 8 | Int(bytes[$1]) } }
        let precision = Int(bytes[start + 42] & 0x7F) + 1
        pixels = fuzzPixels(width: word(8) - word(16), height: word(12) - word(20), precision: precision) ?? pixels
    }
    if let pixels {
        _ = try? JPEG2000Codec.decode(bytes, pixels: pixels)
    }
    return 0
}

runFuzzer(fuzzOneInput)
