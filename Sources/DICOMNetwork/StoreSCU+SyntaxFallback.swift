import DICOM
import Logging
import NIOCore

/// The box's one rule for the syntax an instance travels in, wherever it sends by C-STORE (the
/// `dimse` destination, C-MOVE and C-GET sub-operations): the stored syntax when the receiver
/// took it; otherwise, when it took Explicit VR Little Endian, the pixels decoded into that
/// (``LosslessRecoder/explicitLittleEndian(_:limits:)``: never re-encoded lossily, read back
/// before it goes); otherwise nothing, and why.
extension StoreSCU {
    public enum Outgoing: Sendable {
        case send(dataSet: ByteBuffer, contextID: UInt8)
        case refused(reason: String)
    }

    /// The syntaxes to propose for an instance stored in `stored`, best first.
    public static func proposedSyntaxes(for stored: TransferSyntax) -> [TransferSyntax] {
        stored == .explicitVRLittleEndian ? [stored] : [stored, .explicitVRLittleEndian]
    }

    /// What to send of `file` (whose Part 10 bytes are `bytes`) given the receiver's accepted
    /// context for its SOP class in a syntax (`context`); `receiver` names it in logs and reasons.
    public static func outgoing(
        _ file: PreparedFile, part10 bytes: [UInt8], receiver: String, logger: Logger, context: (TransferSyntax) -> AcceptedContext?
    ) -> Outgoing {
        let stored = file.meta.transferSyntax
        if let accepted = context(stored) {
            return .send(dataSet: file.dataSet, contextID: accepted.id)
        }
        guard let accepted = context(.explicitVRLittleEndian) else {
            return .refused(reason: "\(receiver) accepted \(file.sopClassUID) in neither \(stored) nor Explicit VR Little Endian")
        }
        switch LosslessRecoder.explicitLittleEndian(bytes) {
        case .decompressed(let copy):
            let metadata: Logger.Metadata = [
                "receiver": "\(receiver)", "sop_instance_uid": "\(file.sopInstanceUID)", "stored_syntax": "\(stored)",
            ]
            if copy.fromLossySyntax {
                logger.notice("the receiver refused the stored lossy syntax; sending its pixels decoded (no further loss, still lossy with respect to the acquisition)", metadata: metadata)
            } else {
                logger.info("the receiver refused the stored syntax; sending it decoded to Explicit VR Little Endian", metadata: metadata)
            }
            return .send(dataSet: ByteBuffer(bytes: copy.dataSet), contextID: accepted.id)
        case .refused(let reason):
            return .refused(reason: "\(receiver) refused \(stored) and the instance cannot be decoded to Explicit VR Little Endian: \(reason)")
        }
    }
}
