import DICOM
import DICOMNetwork
import Logging
import POSIXSupport
import StudyStore

/// Files every instance the DICOM listener receives through the durability promise: the data
/// set is streamed into a ``BlobWriter`` behind a file meta header made from the C-STORE request,
/// and the C-STORE is answered only once ``StudyStore/ingest(_:origin:unreadable:describe:)``
/// has returned its receipt.
public struct DICOMStoreReceiver: InstanceReceiver {
    let store: StudyStore
    /// Analyses queued for each instance received (e.g. the active model's task).
    let analyses: [String]
    let logger: Logger

    public init(store: StudyStore, analyses: [String] = [], logger: Logger) {
        self.store = store
        self.analyses = analyses
        self.logger = logger
    }

    public func begin(_ instance: IncomingInstance) async -> InstanceReception {
        let store = self.store
        let opened: Result<WriterBox, any Error>
        do {
            opened = .success(try await BlockingIO.run {
                // Refuse before writing when the store is already at its hard limit; the final
                // size is checked again once known (a C-STORE does not announce it).
                try store.admit(incomingBytes: 0)
                let writer = try store.makeBlobWriter()
                // No Source AE Title in the meta: the same data set sent again by another
                // modality must give the same bytes (and so the same instance); the sender is in
                // the intake's origin instead.
                let header = Part10Writer.fileMetaHeader(
                    sopClassUID: instance.sopClassUID, sopInstanceUID: instance.sopInstanceUID,
                    transferSyntax: instance.transferSyntax
                )
                do {
                    try writer.append(header)
                } catch {
                    writer.abandon()
                    throw error
                }
                return WriterBox(writer)
            })
        } catch {
            opened = .failure(error)
        }
        switch opened {
        case .success(let box):
            return .accept(StoreSink(writer: box.writer, instance: instance, store: store, analyses: analyses, logger: logger))
        case .failure(let error):
            let (status, comment) = Self.answer(to: error)
            return .refuse(status, comment: comment)
        }
    }

    /// The C-STORE status for a failed intake.
    static func answer(to error: any Error) -> (DIMSEStatus, String) {
        guard let storeError = error as? StoreError else {
            return (.processingFailure, "\(error)")
        }
        if storeError.isInsufficientStorage {
            return (.outOfResources, "store full: \(storeError.detail)")
        }
        if storeError.code == .unrecognisedContent {
            return (.cannotUnderstand, "data set cannot be parsed; kept in quarantine: \(storeError.detail)")
        }
        return (.processingFailure, "\(storeError.code): \(storeError.detail)")
    }
}

/// Hands a writer from the blocking-I/O queue to the association's task; it is used by one
/// task at a time, never concurrently.
private struct WriterBox: @unchecked Sendable {
    let writer: BlobWriter
    init(_ writer: BlobWriter) { self.writer = writer }
}

/// One data set on its way into the store.
final class StoreSink: InstanceSink {
    private enum State {
        case receiving(BlobWriter)
        case done
    }

    private var state: State
    let instance: IncomingInstance
    let store: StudyStore
    let analyses: [String]
    let logger: Logger

    init(writer: BlobWriter, instance: IncomingInstance, store: StudyStore, analyses: [String], logger: Logger) {
        state = .receiving(writer)
        self.instance = instance
        self.store = store
        self.analyses = analyses
        self.logger = logger
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(InstanceSinkError) {
        guard case .receiving(let writer) = state else { return }
        do {
            try writer.append(bytes)
        } catch {
            writer.abandon()
            state = .done
            let (status, comment) = DICOMStoreReceiver.answer(to: error)
            throw InstanceSinkError(status: status, comment: comment)
        }
    }

    func finish() async -> (DIMSEStatus, comment: String?) {
        guard case .receiving(let writer) = state else { return (.processingFailure, "the data set was already finished") }
        state = .done
        let box = WriterBox(writer)
        let store = self.store
        let origin = IntakeOrigin(source: .dicomSCP, detail: "\(instance.callingAETitle)@\(instance.peer)", analyses: analyses)
        let outcome: Result<IntakeReceipt, any Error>
        do {
            outcome = .success(try await BlockingIO.run {
                let writer = box.writer
                let size = writer.byteCount
                let staged: StagedBlob
                do {
                    staged = try writer.finish()
                } catch {
                    writer.abandon()
                    throw error
                }
                do {
                    try Self.checkRoom(for: size, in: store)
                } catch {
                    staged.discard()
                    throw error
                }
                return try store.ingestBlocking(
                    .staged(staged), origin: origin, unreadable: .quarantine, describe: ContentDescriber.describe
                )
            })
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let receipt):
            if receipt.sopInstanceUID != instance.sopInstanceUID {
                logger.warning("C-STORE request and data set name different SOP Instance UIDs; filed under the data set's", metadata: [
                    "request_uid": "\(instance.sopInstanceUID)", "data_set_uid": "\(receipt.sopInstanceUID)",
                ])
            }
            return (.success, nil)
        case .failure(let error):
            let (status, comment) = DICOMStoreReceiver.answer(to: error)
            return (status, comment)
        }
    }

    /// The size is known only now, and the bytes are already in tmp/ (so they count in the free
    /// space): refuse if they leave less than the hard limit free or overrun the store's cap.
    /// ``StudyStore/admit(incomingBytes:)`` cannot be used here, because its eviction waits for
    /// the intake lock this very blob holds; the next request's admission evicts instead.
    static func checkRoom(for size: Int64, in store: StudyStore) throws(StoreError) {
        let report = try store.storageReport()
        if report.availableBytes < report.hardLimitFreeBytes {
            throw StoreError(.insufficientStorage, "\(ByteCount.format(report.availableBytes)) free after receiving \(ByteCount.format(UInt64(size))), the hard limit keeps \(ByteCount.format(report.hardLimitFreeBytes)) free")
        }
        if let cap = report.maximumStoreBytes, report.storeBytes + UInt64(size) > cap {
            throw StoreError(.insufficientStorage, "\(ByteCount.format(UInt64(size))) more would take the store past its cap of \(ByteCount.format(cap)) (\(ByteCount.format(report.storeBytes)) used)")
        }
    }

    func abandon() {
        guard case .receiving(let writer) = state else { return }
        state = .done
        writer.abandon()
    }
}
