/// The bytes an intake starts from.
public enum IntakeInput: Sendable {
    /// A file to copy; it is read once and must not change meanwhile. The observer sees the
    /// running byte count after each chunk.
    case file(path: String, chunkObserver: (@Sendable (Int64) -> Void)? = nil)
    /// Bytes already in memory.
    case bytes([UInt8])
    /// Bytes a receiver already streamed to a temp file with a ``BlobWriter``.
    case staged(StagedBlob)
}

/// What happens to staged bytes whose content the describe step cannot identify.
public enum UnreadableContentPolicy: Sendable {
    /// Drop the staged copy: the caller still has the source (a file on a stick, say).
    case discard
    /// Keep the bytes in quarantine: the sender has nothing else (a network peer).
    case quarantine
}
