/// Who and what a DICOM instance is: the UIDs and demographics the store files it under.
public struct InstanceIdentity: Sendable, Hashable, Codable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// Nil when the data set could not be read past the file meta (see ``dataSetReadable``).
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var transferSyntaxUID: String
    public var modality: String?
    public var patientID: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
    /// Series Number (0020,0011) and Instance Number (0020,0013) as their IS text: query keys.
    public var seriesNumber: String? = nil
    public var instanceNumber: String? = nil
    /// False when only the file meta could be read (a deflated data set that does not inflate);
    /// the identity then comes from the meta group alone.
    public var dataSetReadable: Bool
}

extension InstanceIdentity {
    /// The attributes read from the data set; all sit before group 0x0028 (the last is Instance Number), so the scan stops there.
    private static let wanted: Set<Tag> = [
        .specificCharacterSet, .sopClassUID, .sopInstanceUID, .studyDate, .studyTime,
        .accessionNumber, .modality, .studyDescription, .patientName, .patientID,
        .patientBirthDate, .patientSex, .studyInstanceUID, .seriesInstanceUID, .seriesNumber, .instanceNumber,
    ]
    private static let lastWanted = Tag.instanceNumber

    /// Reads the identity of a Part 10 file from its leading bytes.
    ///
    /// `bytes` may be a prefix of the file; when the wanted attributes lie beyond it the error is
    /// ``DICOMParseError/Code/truncated`` or ``DICOMParseError/Code/valueLengthExceedsData``, and
    /// the caller can retry with the whole file.
    public init(part10 bytes: [UInt8]) throws(DICOMParseError) {
        let meta = try FileMetaInformation(part10: bytes)
        try self.init(bytes: bytes, dataSetOffset: meta.dataSetOffset, syntax: meta.transferSyntax, meta: meta)
    }

    /// Reads the identity of any file the reader accepts: Part 10, meta without preamble, or an
    /// ACR-NEMA data set (no preamble, no meta; syntax detected from the first element).
    /// `bytes` may be a prefix, with the same retry rule as ``init(part10:)``.
    public init(fileBytes bytes: [UInt8]) throws(DICOMParseError) {
        switch DICOMFile.sniff(bytes) {
        case .part10:
            try self.init(part10: bytes)
        case .metaWithoutPreamble:
            let meta = try FileMetaInformation(metaGroupAt: 0, in: bytes)
            try self.init(bytes: bytes, dataSetOffset: meta.dataSetOffset, syntax: meta.transferSyntax, meta: meta)
        case .acrNema:
            let syntax = DICOMFile.bareSyntax(bytes) ?? .implicitVRLittleEndian
            try self.init(bytes: bytes, dataSetOffset: 0, syntax: syntax, meta: nil)
        case nil:
            throw DICOMParseError(.unknownFormat, offset: 0, detail: "no \"DICM\" at byte 128 and no data element at byte 0")
        }
    }

    /// Reads the identity of a bare data set (as a C-STORE carries it) in the given syntax.
    public init(dataSet bytes: [UInt8], syntax: TransferSyntax) throws(DICOMParseError) {
        try self.init(bytes: bytes, dataSetOffset: 0, syntax: syntax, meta: nil)
    }

    private init(bytes: [UInt8], dataSetOffset: Int, syntax: TransferSyntax, meta: FileMetaInformation?) throws(DICOMParseError) {
        var values: [Tag: String] = [:]
        var readable = true
        var bytes = bytes, dataSetOffset = dataSetOffset, syntax = syntax
        if syntax.isDeflated {
            do {
                bytes = try Inflater.inflate(bytes[dataSetOffset...], limit: DICOMReadLimits.default.maximumInflatedBytes, offset: dataSetOffset)
                dataSetOffset = 0
                syntax = .explicitVRLittleEndian
            } catch where error.code == .truncated {
                // A prefix of the file: the caller retries with all of it.
                throw error
            } catch {
                // Damaged deflate: the identity comes from the meta group alone; the bytes are still kept.
                readable = false
            }
        }
        if readable {
            var scanner = DataSetScanner(bytes: bytes, offset: dataSetOffset, syntax: syntax)
            var characterSet = SpecificCharacterSet.default
            // Stop before reading past the last wanted attribute: `bytes` may be only a prefix
            // that ends inside the pixel data.
            while let next = scanner.peekTag(), next <= Self.lastWanted, let element = try scanner.next() {
                guard Self.wanted.contains(element.tag), let length = element.length else { continue }
                let vr = element.vr ?? DataDictionary.vr(for: element.tag) ?? .LO
                let text = DICOMText.trimmed(
                    bytes[element.valueOffset..<element.valueOffset + length], vr: vr, characterSet: characterSet
                )
                if element.tag == .specificCharacterSet {
                    characterSet = SpecificCharacterSet(attributeValue: text)
                }
                values[element.tag] = text
            }
        }
        func nonEmpty(_ tag: Tag) -> String? {
            guard let value = values[tag], !value.isEmpty else { return nil }
            return value
        }
        guard let sopInstanceUID = nonEmpty(.sopInstanceUID) ?? meta?.mediaStorageSOPInstanceUID.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw DICOMParseError(.missingAttribute, offset: dataSetOffset, tag: .sopInstanceUID, detail: "no SOP Instance UID")
        }
        guard let sopClassUID = nonEmpty(.sopClassUID) ?? meta?.mediaStorageSOPClassUID.flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw DICOMParseError(.missingAttribute, offset: dataSetOffset, tag: .sopClassUID, detail: "no SOP Class UID")
        }
        for (tag, uid) in [(Tag.sopInstanceUID, sopInstanceUID), (.sopClassUID, sopClassUID)]
            + [(Tag.studyInstanceUID, nonEmpty(.studyInstanceUID)), (.seriesInstanceUID, nonEmpty(.seriesInstanceUID))]
                .compactMap({ pair in pair.1.map { (pair.0, $0) } })
        where !DICOMUID.isSafe(uid) {
            throw DICOMParseError(.invalidUID, offset: dataSetOffset, tag: tag, detail: "\"\(DICOMUID.printable(uid))\"")
        }
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        studyInstanceUID = nonEmpty(.studyInstanceUID)
        seriesInstanceUID = nonEmpty(.seriesInstanceUID)
        transferSyntaxUID = meta?.transferSyntax.uid ?? syntax.uid
        modality = nonEmpty(.modality)
        patientID = nonEmpty(.patientID)
        patientName = nonEmpty(.patientName)
        patientBirthDate = nonEmpty(.patientBirthDate)
        patientSex = nonEmpty(.patientSex)
        studyDate = nonEmpty(.studyDate)
        studyTime = nonEmpty(.studyTime)
        accessionNumber = nonEmpty(.accessionNumber)
        studyDescription = nonEmpty(.studyDescription)
        seriesNumber = nonEmpty(.seriesNumber)
        instanceNumber = nonEmpty(.instanceNumber)
        dataSetReadable = readable
    }
}
