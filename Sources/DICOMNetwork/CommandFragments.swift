import NIOCore

/// Collects a command set's fragments (PDVs) on a side that waits for a command only (a DIMSE
/// response, or a C-STORE response during a C-GET), until the last one is in.
struct CommandFragments {
    private var bytes = ByteBuffer()

    /// Adds a fragment; returns the command once its last fragment is in. `waiting` says, in an
    /// error, what was expected instead of a data set fragment.
    mutating func add(_ value: PresentationDataValue, waiting: String) throws(DICOMNetworkError) -> DIMSECommand? {
        guard value.isCommand else {
            throw DICOMNetworkError(.unexpectedPDU, "a data set fragment while waiting for \(waiting)")
        }
        var fragment = value.data
        guard bytes.readableBytes + fragment.readableBytes <= DIMSECommand.maximumLength else {
            throw DICOMNetworkError(.malformedCommand, "command set longer than \(DIMSECommand.maximumLength) bytes")
        }
        bytes.writeBuffer(&fragment)
        guard value.isLastFragment else { return nil }
        defer { bytes.clear() }
        return try DIMSECommand(decoding: bytes)
    }
}
