import DICOM
import DICOMNetwork
import Foundation
import Logging
import POSIXSupport
import StudyStore

/// The store as the query/retrieve SCP's archive: every DICOM instance whose blob is present,
/// the modality's images and the box's own overlays and Structured Reports alike.
public struct StoreInstanceArchive: InstanceArchive {
    let store: StudyStore
    let logger: Logger

    public init(store: StudyStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func instances(studyInstanceUIDs: [String]?, seriesInstanceUIDs: [String]?, sopInstanceUIDs: [String]?) async throws -> [ArchivedInstance] {
        let store = self.store
        let rows = try await BlockingIO.run {
            try store.queryableInstances(studyInstanceUIDs: studyInstanceUIDs, seriesInstanceUIDs: seriesInstanceUIDs, sopInstanceUIDs: sopInstanceUIDs)
        }
        return rows.map(Self.archived)
    }

    public func part10(of instance: ArchivedInstance) async throws -> [UInt8] {
        let path = store.directory.absolute(instance.locator)
        return try await BlockingIO.run { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
    }

    static func archived(_ row: QueryableInstance) -> ArchivedInstance {
        let (instance, study) = (row.instance, row.study)
        var attributes: [Tag: String] = [:]
        let values: [(Tag, String?)] = [
            (.patientName, study.patientName), (.patientID, study.patientID), (.patientBirthDate, study.patientBirthDate),
            (.patientSex, study.patientSex), (.studyDate, study.studyDate), (.studyTime, study.studyTime),
            (.accessionNumber, study.accessionNumber), (.studyDescription, study.studyDescription), (.modality, instance.modality),
            (.seriesNumber, instance.seriesNumber), (.instanceNumber, instance.instanceNumber),
        ]
        for case let (tag, value?) in values { attributes[tag] = value }
        return ArchivedInstance(
            sopClassUID: instance.sopClassUID ?? "", sopInstanceUID: instance.sopInstanceUID, studyInstanceUID: study.studyInstanceUID,
            // An instance without a Series Instance UID still belongs to one series per study.
            seriesInstanceUID: instance.seriesInstanceUID ?? study.studyInstanceUID + ".0",
            transferSyntaxUID: instance.transferSyntaxUID ?? TransferSyntax.explicitVRLittleEndian.uid,
            attributes: attributes, locator: instance.blobPath
        )
    }

    /// Reads the query keys of instances stored before they were recorded (migration v8) from
    /// their blobs, a batch at a time; an unreadable blob is recorded without keys.
    public func backfillQueryKeys() async {
        let store = self.store
        var filled = 0
        while true {
            let batch: [(id: Int64, blobPath: String)]
            do {
                batch = try await BlockingIO.run { try store.instancesAwaitingQueryKeys() }
            } catch {
                logger.error("query keys backfill: the store cannot be read", metadata: ["error": "\(error)"])
                return
            }
            if batch.isEmpty { break }
            for row in batch {
                let path = store.directory.absolute(row.blobPath)
                let identity = try? await BlockingIO.run { () throws -> InstanceIdentity in
                    try InstanceIdentity(fileBytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                }
                do {
                    try await BlockingIO.run {
                        try store.recordQueryKeys(
                            instanceID: row.id, modality: identity?.modality, seriesNumber: identity?.seriesNumber,
                            instanceNumber: identity?.instanceNumber
                        )
                    }
                    filled += 1
                } catch {
                    logger.error("query keys backfill stopped", metadata: ["error": "\(error)"])
                    return
                }
            }
        }
        if filled > 0 { logger.notice("query keys read for instances stored earlier", metadata: ["instances": "\(filled)"]) }
    }
}
