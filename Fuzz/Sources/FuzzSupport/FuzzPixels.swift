@testable import DICOM

/// Largest frame the codec targets decode (pixels): the fuzzer's time goes to structure, and
/// the decoders' own bound on lying sizes is proven by FuzzPixelData and the hostile corpus.
public let fuzzMaximumPixels = 1 << 22

/// Image attributes that agree with what a bare codestream's header declares, so that a codec
/// target reaches the decoder's inner loops; nil for sizes past ``fuzzMaximumPixels``.
public func fuzzPixels(width: Int, height: Int, precision: Int, maximumPixels: Int = fuzzMaximumPixels) -> ImagePixelDescription? {
    guard width > 0, height > 0, width <= 65_535, height <= 65_535, width * height <= maximumPixels,
          (1...16).contains(precision) else { return nil }
    return ImagePixelDescription(
        rows: height, columns: width, bitsAllocated: precision > 8 ? 16 : 8, bitsStored: precision,
        highBit: precision - 1, isSigned: false
    )
}

/// The attributes a JPEG-family codestream (SOF or JPEG-LS SOF55) declares, when it has any.
public func fuzzPixels(jpeg bytes: [UInt8], maximumPixels: Int = fuzzMaximumPixels) -> ImagePixelDescription? {
    guard let header = try? JPEGFrameHeader.read(bytes) else { return nil }
    return fuzzPixels(width: header.width, height: header.height, precision: header.precision, maximumPixels: maximumPixels)
}
