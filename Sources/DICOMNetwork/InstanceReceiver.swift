import DICOM

/// What a C-STORE request announces before its data set arrives.
public struct IncomingInstance: Sendable, Hashable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// The presentation context's transfer syntax: how the data set bytes are encoded.
    public var transferSyntax: TransferSyntax
    public var callingAETitle: String
    /// The peer's address as "host:port".
    public var peer: String
    public var messageID: UInt16
}

/// Where received data sets go: the listener streams each one into a sink and answers the
/// C-STORE with the status the sink's ``InstanceSink/finish()`` returns.
public protocol InstanceReceiver: Sendable {
    /// Called when a C-STORE request is complete, before any of its data set; the sink must be
    /// ready to take the bytes, or the request is refused and its data set read and discarded.
    func begin(_ instance: IncomingInstance) async -> InstanceReception
}

public enum InstanceReception {
    case accept(any InstanceSink)
    case refuse(DIMSEStatus, comment: String)
}

/// One data set being received. Used by one association's task only, in order: `append` for
/// each fragment, then `finish` once, or `abandon` if the transfer breaks off.
public protocol InstanceSink: AnyObject {
    /// Takes the next fragment; throwing ``InstanceSinkError`` stops the transfer, the rest of
    /// the data set is discarded and the error's status answers the request.
    func append(_ bytes: UnsafeRawBufferPointer) throws(InstanceSinkError)
    /// Called after the last fragment. The status is the C-STORE response; success means the
    /// instance is durable.
    func finish() async -> (DIMSEStatus, comment: String?)
    /// The association ended before the data set was complete; nothing may be acknowledged.
    func abandon()
}

/// A sink's refusal of the rest of a data set.
public struct InstanceSinkError: Error, Sendable {
    public var status: DIMSEStatus
    public var comment: String

    public init(status: DIMSEStatus, comment: String) {
        self.status = status
        self.comment = comment
    }
}
