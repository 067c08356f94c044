import Crypto
import DICOM
import Foundation

/// Makes the copy of a DICOM instance the platform receives when `sync.pseudonymise` is on:
/// ``BasicProfile`` applied, Patient Name and Patient ID replaced by a keyed pseudonym
/// (HMAC-SHA256 of the Patient ID under the device's key) so the platform can link repeat visits
/// without knowing who they are. The original on the box is never touched.
///
/// The copy is a pure function of the original bytes and the key: a retry after any crash
/// makes the same bytes with the same SHA-256, so a resumed upload continues where it stopped.
public struct Pseudonymiser: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// "FBX-" and 128 bits of HMAC-SHA256(device key, Patient ID) in hex (fits LO and PN).
    public func pseudonym(patientID: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(patientID.utf8), using: key)
        return "FBX-" + code.prefix(16).map { String(format: "%02x", $0) }.joined()
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
        let dataSet = file.dataSet
        if dataSet.string(BasicProfile.burnedInAnnotation)?.uppercased() == "YES" {
            throw SyncError(.localData, "Burned In Annotation is YES: the pixels may show the patient's identity, which the basic profile cannot remove")
        }
        guard let sopClass = dataSet.string(.sopClassUID) ?? file.meta?.mediaStorageSOPClassUID,
              let sopInstance = dataSet.string(.sopInstanceUID) ?? file.meta?.mediaStorageSOPInstanceUID
        else {
            throw SyncError(.localData, "the instance has no SOP Class or SOP Instance UID")
        }
        let source = file.dataSetBytes
        let elements = dataSet.elements
        guard let first = elements.first else { throw SyncError(.localData, "the instance has an empty data set") }
        // Explicit VR when the first element carries its VR in bytes 4–5 (the reader decided the same way).
        let explicit = first.offset + 6 <= source.count
            && Array(source[(first.offset + 4)..<(first.offset + 6)]) == Array(first.vr.rawValue.utf8)
        let encoder = ElementEncoder(explicit: explicit, bigEndian: dataSet.isBigEndian)
        let patientID = dataSet.string(.patientID) ?? ""
        let pseudonym = patientID.isEmpty ? "" : self.pseudonym(patientID: patientID)

        var additions: [(Tag, [UInt8])] = [
            (BasicProfile.patientIdentityRemoved, encoder.encode(BasicProfile.patientIdentityRemoved, .CS, text: "YES")),
            (BasicProfile.deidentificationMethod, encoder.encode(BasicProfile.deidentificationMethod, .LO, text: BasicProfile.methodDescription)),
        ]
        var output: [UInt8] = []
        output.reserveCapacity(source.count)
        func flushAdditions(before tag: Tag?) {
            while let next = additions.first, tag.map({ next.0 < $0 }) ?? true {
                output += next.1
                additions.removeFirst()
            }
        }
        for (index, element) in elements.enumerated() {
            let end = index + 1 < elements.count ? elements[index + 1].offset : source.count
            guard element.offset < end, end <= source.count else {
                throw SyncError(.localData, "the data set's elements are not in stream order at \(element.tag)")
            }
            flushAdditions(before: element.tag)
            if element.tag == BasicProfile.patientIdentityRemoved || element.tag == BasicProfile.deidentificationMethod {
                continue // written fresh
            }
            // An implicit VR element the reader did not know reads as UN; the table knows its VR.
            let vr = element.vr == .UN ? BasicProfile.table[element.tag]?.vr ?? .UN : element.vr
            switch BasicProfile.action(for: element.tag) {
            case .remove:
                continue
            case .empty:
                output += encoder.encode(element.tag, vr, value: [])
            case .dummy:
                output += encoder.encode(element.tag, vr, value: BasicProfile.dummyValue(for: vr))
            case .pseudonym:
                output += encoder.encode(element.tag, vr, text: pseudonym)
            case nil:
                if let items = element.items, items.contains(where: Self.holdsIdentifyingData) {
                    continue
                }
                output += source[element.offset..<end]
            }
        }
        flushAdditions(before: nil)
        // The copy is written unencapsulated in the data set's own encoding, except that a
        // deflated original goes out inflated (explicit VR little endian).
        let syntax = file.transferSyntax.isDeflated ? TransferSyntax.explicitVRLittleEndian : file.transferSyntax
        return Part10Writer.fileMetaHeader(sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: syntax) + output
    }

    /// Whether an item holds anything the profile acts on, at any depth.
    static func holdsIdentifyingData(_ item: DataSet) -> Bool {
        item.elements.contains { element in
            BasicProfile.action(for: element.tag) != nil || (element.items?.contains(where: holdsIdentifyingData) ?? false)
        }
    }
}

/// Encodes one element with a text value in a data set's own encoding.
struct ElementEncoder {
    let explicit: Bool
    let bigEndian: Bool

    func encode(_ tag: Tag, _ vr: ValueRepresentation, text: String) -> [UInt8] {
        encode(tag, vr, value: Array(text.utf8))
    }

    /// `value` is text for text VRs, else bytes already in the data set's byte order.
    func encode(_ tag: Tag, _ vr: ValueRepresentation, value: [UInt8]) -> [UInt8] {
        var value = value
        if value.count % 2 == 1 { value.append(vr.isText && vr != .UI ? 0x20 : 0x00) }
        var bytes = uint16(tag.group) + uint16(tag.element)
        if explicit {
            bytes += Array(vr.rawValue.utf8)
            if vr.hasLongLength {
                bytes += [0, 0] + uint32(UInt32(value.count))
            } else {
                bytes += uint16(UInt16(value.count))
            }
        } else {
            bytes += uint32(UInt32(value.count))
        }
        return bytes + value
    }

    private func uint16(_ value: UInt16) -> [UInt8] {
        let bytes = [UInt8(value & 0xFF), UInt8(value >> 8)]
        return bigEndian ? bytes.reversed() : bytes
    }

    private func uint32(_ value: UInt32) -> [UInt8] {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        return bigEndian ? bytes.reversed() : bytes
    }
}
