/// One data element of a parsed data set: its tag, VR and value.
public struct DICOMElement: Sendable {
    public enum Value: Sendable {
        /// The value bytes exactly as stored (in the data set's byte order), padding included.
        case bytes(ArraySlice<UInt8>)
        /// A sequence: one data set per item.
        case sequence([DataSet])
        /// Encapsulated (compressed) pixel data: the offset table and the fragments.
        case encapsulated(EncapsulatedPixelData)
    }

    public let tag: Tag
    /// The VR from the stream (explicit VR) or the dictionary (implicit VR); UN when unknown.
    public let vr: ValueRepresentation
    public let value: Value
    /// True when the stream gave 0xFFFFFFFF (a sequence or encapsulated pixel data ended by a delimiter).
    public let hasUndefinedLength: Bool
    /// Byte offset of the element's tag in the data set bytes (after inflating, for deflated files).
    public let offset: Int

    /// Value bytes, or nil for a sequence or encapsulated pixel data.
    public var bytes: ArraySlice<UInt8>? {
        if case .bytes(let bytes) = value { return bytes }
        return nil
    }

    /// Items of a sequence, or nil for any other value.
    public var items: [DataSet]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// Value length as stored (sum of fragments for encapsulated data, items' content for sequences unknown: nil).
    public var valueLength: Int? {
        switch value {
        case .bytes(let bytes): bytes.count
        case .sequence, .encapsulated: nil
        }
    }
}

/// Compressed pixel data: the Basic Offset Table and the fragments that follow it (PS3.5 A.4).
public struct EncapsulatedPixelData: Sendable {
    /// Offsets of each frame's first fragment item, relative to the first fragment's item tag; empty when absent.
    public let offsetTable: [UInt32]
    /// Fragment values in order.
    public let fragments: [ArraySlice<UInt8>]
    /// Offset of each fragment's item tag, relative to the first fragment's item tag (for the offset table).
    public let fragmentOffsets: [Int]

    public init(offsetTable: [UInt32], fragments: [ArraySlice<UInt8>], fragmentOffsets: [Int]) {
        self.offsetTable = offsetTable
        self.fragments = fragments
        self.fragmentOffsets = fragmentOffsets
    }
}
