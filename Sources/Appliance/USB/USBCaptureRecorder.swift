import DICOM
import Foundation
import Imaging
import Logging
import StudyStore

/// Stores one capture through the durability promise: claims the registered patient, wraps the
/// image as DICOM, ingests it, and then marks the registration used. A crash between the claim and
/// the receipt is settled at the next start (``StudyStore/settleRegistrations()``).
public struct USBCaptureRecorder: Sendable {
    public let store: StudyStore
    public let modality: String
    public let analyses: [String]
    let logger: Logger

    public init(store: StudyStore, modality: String, analyses: [String] = [], logger: Logger) {
        self.store = store
        self.modality = modality
        self.analyses = analyses
        self.logger = logger
    }

    public func record(_ image: GrayscaleImage, framesIntegrated: Int, device: USBCaptureDocument.Device, capturedAt: Date = Date()) async throws -> IntakeReceipt {
        let uid = DICOMUID.random()
        let registration = try store.claimPendingRegistration(for: uid)
        let bytes = try USBCaptureDocument.part10(
            image: image, framesIntegrated: framesIntegrated, sopInstanceUID: uid, capturedAt: capturedAt,
            device: device, registration: registration, modality: modality
        )
        let origin = IntakeOrigin(source: .usb, detail: device.description, analyses: analyses)
        let receipt: IntakeReceipt
        do {
            receipt = try await store.ingest(.bytes(bytes), origin: origin, unreadable: .quarantine) { staged in
                try ContentDescriber.describe(staged)
            }
        } catch {
            // Nothing was stored: the registration goes back to waiting for the next capture.
            _ = try? store.settleRegistrations()
            throw error
        }
        if let registration, let id = registration.id {
            try store.consumeRegistration(id: id, instanceID: receipt.instanceID)
        }
        logger.notice("USB capture stored", metadata: [
            "sop_instance_uid": "\(receipt.sopInstanceUID)", "sha256": "\(receipt.sha256)",
            "patient": "\(registration?.patientID ?? "unregistered")", "frames": "\(framesIntegrated)",
            "size": "\(image.width)x\(image.height)",
        ])
        return receipt
    }
}
