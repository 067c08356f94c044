/// Where one top-level data element sits in a buffer; its value is not copied.
public struct DataElement: Sendable, Hashable {
    public let tag: Tag
    /// The VR from the stream (explicit VR), or from the small built-in dictionary (implicit VR).
    public let vr: ValueRepresentation?
    /// Byte offset of the value's first byte.
    public let valueOffset: Int
    /// Value length in bytes; nil for an undefined length (a sequence or encapsulated pixel data).
    public let length: Int?
}
