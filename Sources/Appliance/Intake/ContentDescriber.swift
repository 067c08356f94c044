import Crypto
import DICOM
import Imaging
import StudyStore

/// Says what staged bytes are, from their content alone: a DICOM Part 10 file (by the "DICM"
/// magic), an ACR-NEMA style DICOM file (a data set from byte 0, no meta), a JPEG or a PNG.
/// File names and paths play no part.
public enum ContentDescriber {
    /// Leading bytes read first; the identity attributes of nearly every file sit well inside.
    static let prefixBytes = 256 * 1024
    /// Media Storage Directory Storage: a DICOMDIR index, not an image.
    static let dicomdirSOPClassUID = "1.2.840.10008.1.3.10"

    public static func describe(_ staged: StagedBlob) throws -> InstanceDescription {
        let prefix = try staged.readPrefix(prefixBytes)
        if FileMetaInformation.hasPart10Prefix(prefix) {
            return try describeDICOM(staged, prefix: prefix)
        }
        if ImageFileKind(sniffing: prefix) != nil {
            let info = try RasterFileInfo(validating: try staged.readAll())
            return describeRaster(info, sha256: staged.sha256)
        }
        if DICOMFile.sniff(prefix) != nil {
            return try describeDICOM(staged, prefix: prefix)
        }
        throw ContentError.unrecognised
    }

    /// Longer reads tried when the identity attributes lie past the first prefix (large early
    /// elements); past the last, the file is refused rather than read whole into memory.
    static let longerPrefixBytes = [8 << 20, 64 << 20]

    private static func describeDICOM(_ staged: StagedBlob, prefix: [UInt8]) throws -> InstanceDescription {
        var bytes = prefix
        var longer = longerPrefixBytes.makeIterator()
        let identity: InstanceIdentity
        while true {
            let attempt = Result { () throws(DICOMParseError) in try InstanceIdentity(fileBytes: bytes) }
            switch attempt {
            case .success(let value):
                identity = value
            case .failure(let error):
                let whole = Int64(bytes.count) == staged.size
                guard error.code == .truncated || error.code == .valueLengthExceedsData, !whole else { throw error }
                guard let next = longer.next() else { throw ContentError.identityTooDeep(bytes: bytes.count) }
                bytes = try staged.readPrefix(next)
                continue
            }
            break
        }
        if identity.sopClassUID == dicomdirSOPClassUID {
            throw ContentError.dicomdir
        }
        let studyUID = identity.studyInstanceUID ?? derivedUID(namespace: "study", name: identity.sopInstanceUID)
        var description = InstanceDescription(
            sopInstanceUID: identity.sopInstanceUID, sopClassUID: identity.sopClassUID,
            studyInstanceUID: studyUID, seriesInstanceUID: identity.seriesInstanceUID,
            uidsGenerated: identity.studyInstanceUID == nil, format: .dicom,
            transferSyntaxUID: identity.transferSyntaxUID, modality: identity.modality,
            patientID: identity.patientID, patientName: identity.patientName,
            patientBirthDate: identity.patientBirthDate, patientSex: identity.patientSex,
            studyDate: identity.studyDate, studyTime: identity.studyTime,
            accessionNumber: identity.accessionNumber, studyDescription: identity.studyDescription
        )
        description.seriesNumber = identity.seriesNumber
        description.instanceNumber = identity.instanceNumber
        return description
    }

    /// A JPEG or PNG becomes a study with one instance; both UIDs derive from the bytes, so the
    /// same file always gets the same UIDs.
    private static func describeRaster(_ info: RasterFileInfo, sha256: String) -> InstanceDescription {
        InstanceDescription(
            sopInstanceUID: derivedUID(namespace: "instance", name: sha256),
            studyInstanceUID: derivedUID(namespace: "study", name: sha256),
            uidsGenerated: true,
            format: info.kind == .jpeg ? .jpeg : .png
        )
    }

    /// A name-based UID under 2.25: the first 16 bytes of SHA-256("fluorobox:<namespace>:<name>")
    /// as a version 8 UUID.
    static func derivedUID(namespace: String, name: String) -> String {
        let digest = Array(SHA256.hash(data: Array("fluorobox:\(namespace):\(name)".utf8)))
        return DICOMUID.fromUUIDBytes(digest, version: 8)
    }
}

/// Content the file intake will not file.
public enum ContentError: Error, Sendable, CustomStringConvertible {
    /// Not DICOM (Part 10 or ACR-NEMA), JPEG or PNG.
    case unrecognised
    /// A DICOMDIR index file: it lists images, it is not one. Skipped, not failed.
    case dicomdir
    /// The SOP Instance UID and the other identity attributes lie past the longest prefix the
    /// describer reads; the file is not read whole into memory to find them.
    case identityTooDeep(bytes: Int)

    public var description: String {
        switch self {
        case .unrecognised: "not a DICOM Part 10 file (no \"DICM\" at byte 128) nor an ACR-NEMA data set, a JPEG or a PNG"
        case .dicomdir: "a DICOMDIR index, not an image"
        case .identityTooDeep(let bytes): "the identity attributes (SOP Instance UID, Study Instance UID) are not within the first \(bytes >> 20) MiB"
        }
    }
}
