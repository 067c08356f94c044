import Crypto
import DICOM
import Foundation
import POSIXSupport

/// Makes the copy of a DICOM instance the platform receives when `sync.pseudonymise` is on:
/// DICOM's ``BasicProfile`` applied, Patient Name and Patient ID replaced by a keyed pseudonym
/// (HMAC-SHA256 of the Patient ID under the device's key) so the platform can link repeat visits
/// without knowing who they are. The original on the box is never touched.
///
/// The copy is a pure function of the original bytes and the key: a retry after any crash
/// makes the same bytes with the same SHA-256, so a resumed upload continues where it stopped.
public struct Pseudonymiser: Sendable {
    let key: SymmetricKey

    /// De-identification Method (0012,0063) on every copy.
    static let methodDescription = "PS3.15 Basic Profile; Retain UIDs Option; HMAC-SHA256 patient pseudonym"

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// "FBX-" and 128 bits of HMAC-SHA256(device key, Patient ID) in hex (fits LO and PN).
    public func pseudonym(patientID: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(patientID.utf8), using: key)
        return "FBX-" + SHA256Hex.string(code.prefix(16))
    }

    /// The pseudonymised Part 10 copy of `bytes`; throws when the instance cannot be made safe
    /// (unreadable, or text burned into the pixels).
    public func pseudonymise(_ bytes: [UInt8]) throws(SyncError) -> [UInt8] {
        let file: DICOMFile
        do {
            file = try DICOMFile(bytes: bytes)
        } catch {
            throw SyncError(.localData, "the instance cannot be read for pseudonymisation: \(error)")
        }
        do {
            return try BasicProfile.deidentify(file, methodDescription: Self.methodDescription) { pseudonym(patientID: $0) }
        } catch {
            throw SyncError(.localData, error.description)
        }
    }
}
