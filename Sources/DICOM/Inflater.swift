import Imaging

/// Deflated data sets through ``Zlib``, its errors as ``DICOMParseError`` in this one place.
enum Inflater {
    /// Inflates a deflated data set (raw deflate, or with a zlib header when a writer added one),
    /// refusing to produce more than `limit` bytes.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int, offset: Int) throws(DICOMParseError) -> [UInt8] {
        do {
            return try Zlib.inflate(input, format: .automatic, limit: limit)
        } catch {
            switch error.code {
            case .tooLarge: throw DICOMParseError(.inflatedTooLarge, offset: offset, detail: error.detail)
            case .truncated: throw DICOMParseError(.truncated, offset: offset, detail: error.detail)
            case .damaged: throw DICOMParseError(.damagedDeflate, offset: offset + error.consumed, detail: error.detail)
            }
        }
    }
}
