extension BasicProfile {
    /// The de-identified Part 10 copy of `file`: every element the profile acts on removed,
    /// emptied or given a dummy value, Patient's Name and Patient ID replaced by
    /// `pseudonym(patientID)` (empty when the Patient ID is), and Patient Identity Removed and
    /// De-identification Method (`methodDescription`) written. Everything else is copied byte
    /// for byte, so the same original always gives the same copy.
    ///
    /// Throws when the instance cannot be made safe: text burned into the pixels, no SOP
    /// identity, an empty data set, or elements out of stream order.
    public static func deidentify(
        _ file: DICOMFile, methodDescription: String, pseudonym: (_ patientID: String) -> String
    ) throws(DeidentificationError) -> [UInt8] {
        let dataSet = file.dataSet
        if dataSet.string(burnedInAnnotation)?.uppercased() == "YES" {
            throw DeidentificationError("Burned In Annotation is YES: the pixels may show the patient's identity, which the basic profile cannot remove")
        }
        guard let sopClass = dataSet.string(.sopClassUID) ?? file.meta?.mediaStorageSOPClassUID,
              let sopInstance = dataSet.string(.sopInstanceUID) ?? file.meta?.mediaStorageSOPInstanceUID
        else {
            throw DeidentificationError("the instance has no SOP Class or SOP Instance UID")
        }
        let source = file.dataSetBytes
        let elements = dataSet.elements
        guard let first = elements.first else { throw DeidentificationError("the instance has an empty data set") }
        // Explicit VR when the first element carries its VR in bytes 4–5 (the reader decided the same way).
        let explicit = first.offset + 6 <= source.count
            && Array(source[(first.offset + 4)..<(first.offset + 6)]) == Array(first.vr.rawValue.utf8)
        let encoder = DataElementEncoder(explicit: explicit, bigEndian: dataSet.isBigEndian)
        let patientID = dataSet.string(.patientID) ?? ""
        let pseudonym = patientID.isEmpty ? "" : pseudonym(patientID)

        var additions: [(Tag, [UInt8])] = [
            (patientIdentityRemoved, encoder.encode(patientIdentityRemoved, .CS, text: "YES")),
            (deidentificationMethod, encoder.encode(deidentificationMethod, .LO, text: methodDescription)),
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
                throw DeidentificationError("the data set's elements are not in stream order at \(element.tag)")
            }
            flushAdditions(before: element.tag)
            if element.tag == patientIdentityRemoved || element.tag == deidentificationMethod {
                continue // written fresh
            }
            // An implicit VR element the reader did not know reads as UN; the table knows its VR.
            let vr = element.vr == .UN ? table[element.tag]?.vr ?? .UN : element.vr
            switch action(for: element.tag) {
            case .remove:
                continue
            case .empty:
                output += encoder.encode(element.tag, vr, value: [])
            case .dummy:
                output += encoder.encode(element.tag, vr, value: dummyValue(for: vr))
            case .pseudonym:
                output += encoder.encode(element.tag, vr, text: pseudonym)
            case nil:
                if let items = element.items, items.contains(where: holdsIdentifyingData) {
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
            action(for: element.tag) != nil || (element.items?.contains(where: holdsIdentifyingData) ?? false)
        }
    }
}
