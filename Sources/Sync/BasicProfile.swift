import DICOM

/// The PS3.15 Annex E Basic Application Level Confidentiality Profile as the box applies it to
/// the copy it uploads, with the Retain UIDs Option (E.3.9): the outbox keys, results and the
/// platform's links between studies all name the original UIDs, and a UID names no person.
///
/// Actions: Z (and Z/D) attributes are kept empty, X (and X/Z, X/D …) attributes removed; Patient
/// Name and Patient ID carry the keyed pseudonym instead. Private attributes, overlay data and
/// comments, and curves are removed. A sequence holding any of these anywhere in its items is
/// removed whole (stricter than cleaning it item by item).
enum BasicProfile {
    enum Action: Sendable, Hashable {
        /// Replaced by the keyed pseudonym.
        case pseudonym
        /// Kept with a zero-length value (type 2 attributes).
        case empty
        case remove
    }

    static func action(for tag: Tag) -> Action? {
        if tag.isPrivate { return .remove }
        // Curve data (50xx) and overlay data and comments (60xx,3000 / 60xx,4000).
        if tag.group & 0xFF00 == 0x5000 { return .remove }
        if tag.group & 0xFF00 == 0x6000, tag.element == 0x3000 || tag.element == 0x4000 { return .remove }
        return table[tag.value]
    }

    /// PS3.15 Table E.1-1, the attributes an X-ray box's objects can carry.
    static let table: [UInt32: Action] = {
        var table: [UInt32: Action] = [
            0x0010_0010: .pseudonym, // Patient's Name
            0x0010_0020: .pseudonym, // Patient ID
        ]
        let empty: [UInt32] = [
            0x0008_0020, 0x0008_0030, // Study Date, Study Time
            0x0008_0023, 0x0008_0033, // Content Date, Content Time (Z/D)
            0x0008_0050, // Accession Number
            0x0008_0090, // Referring Physician's Name
            0x0010_0030, 0x0010_0040, // Patient's Birth Date, Patient's Sex
            0x0020_0010, // Study ID
            0x0040_2016, 0x0040_2017, // Placer / Filler Order Number
            0x0040_A123, // Person Name (D)
            0x0070_0084, // Content Creator's Name (Z/D)
        ]
        let remove: [UInt32] = [
            0x0008_0012, 0x0008_0013, 0x0008_0015, // Instance Creation Date/Time, Instance Coercion DateTime
            0x0008_0021, 0x0008_0022, 0x0008_002A, 0x0008_0031, 0x0008_0032, // Series/Acquisition dates and times
            0x0008_0080, 0x0008_0081, 0x0008_0082, // Institution Name, Address, Code Sequence
            0x0008_0092, 0x0008_0094, 0x0008_0096, // Referring Physician's Address, Telephone, Identification
            0x0008_0201, // Timezone Offset From UTC
            0x0008_1010, // Station Name
            0x0008_1030, 0x0008_103E, // Study / Series Description
            0x0008_1040, 0x0008_1048, 0x0008_1049, 0x0008_1050, 0x0008_1052, // Department, physicians
            0x0008_1060, 0x0008_1062, 0x0008_1070, 0x0008_1072, // Reading physicians, operators
            0x0008_1080, 0x0008_1084, // Admitting Diagnoses
            0x0008_1110, 0x0008_1111, 0x0008_1120, // Referenced Study / PPS / Patient Sequence
            0x0008_2111, // Derivation Description
            0x0008_4000, // Identifying Comments
            0x0010_0021, 0x0010_0032, 0x0010_0050, 0x0010_0101, 0x0010_0102, // Issuer, birth time, insurance, language
            0x0010_1000, 0x0010_1001, 0x0010_1002, 0x0010_1005, // Other IDs and names, birth name
            0x0010_1010, 0x0010_1020, 0x0010_1030, 0x0010_1040, // Age, size, weight, address
            0x0010_1060, 0x0010_1080, 0x0010_1081, 0x0010_1090, 0x0010_1100, // Mother's name, service, record locator, photo
            0x0010_2000, 0x0010_2110, 0x0010_2150, 0x0010_2152, 0x0010_2154, // Alerts, allergies, residence, telephone
            0x0010_2160, 0x0010_2180, 0x0010_21A0, 0x0010_21B0, 0x0010_21C0, // Ethnic group, occupation, smoking, history, pregnancy
            0x0010_21D0, 0x0010_21F0, 0x0010_2203, 0x0010_4000, // Last menstrual date, religion, neutered, comments
            0x0018_1000, 0x0018_1004, 0x0018_1005, 0x0018_1007, 0x0018_1008, // Device serial, plate, generator, cassette, gantry
            0x0018_1030, 0x0018_1200, 0x0018_1201, 0x0018_1400, // Protocol name, calibration date/time, processing description
            0x0018_4000, 0x0018_700A, 0x0018_9424, 0x0018_A003, // Acquisition comments, detector ID, protocol description
            0x0020_4000, 0x0020_9158, // Image / Frame Comments
            0x0032_0012, 0x0032_1020, 0x0032_1021, 0x0032_1030, 0x0032_1032, 0x0032_1033, // Study issuer, locations, reason, requester
            0x0032_1060, 0x0032_1070, 0x0032_4000, // Requested procedure description, contrast, study comments
            0x0038_0004, 0x0038_0010, 0x0038_0011, 0x0038_001E, 0x0038_0020, 0x0038_0021, // Admission
            0x0038_0040, 0x0038_0050, 0x0038_0060, 0x0038_0061, 0x0038_0062, // Discharge, needs, service episode
            0x0038_0300, 0x0038_0400, 0x0038_0500, 0x0038_4000, // Location, residence, state, visit comments
            0x0040_0241, 0x0040_0242, 0x0040_0243, 0x0040_0244, 0x0040_0245, // Performed station, location, start
            0x0040_0250, 0x0040_0251, 0x0040_0253, 0x0040_0254, 0x0040_0275, 0x0040_0280, // PPS end, ID, description, request attributes
            0x0040_1001, 0x0040_1004, 0x0040_1005, 0x0040_1010, 0x0040_1011, // Requested procedure ID, transport, location, recipients
            0x0040_1102, 0x0040_1103, 0x0040_1400, // Person's address and telephone, procedure comments
            0x0040_2001, 0x0040_2008, 0x0040_2009, 0x0040_2010, 0x0040_2400, // Service request reason, order entry
            0x0040_3001, 0x0040_A078, 0x0040_A730, // Confidentiality description, author observer, content sequence
            0x0088_0200, // Icon Image Sequence
            0x0400_0561, // Original Attributes Sequence
        ]
        for tag in empty { table[tag] = .empty }
        for tag in remove { table[tag] = .remove }
        return table
    }()

    /// Patient Identity Removed (0012,0062) and De-identification Method (0012,0063), written on
    /// every copy.
    static let patientIdentityRemoved = Tag(0x0012, 0x0062)
    static let deidentificationMethod = Tag(0x0012, 0x0063)
    static let methodDescription = "PS3.15 Basic Profile; Retain UIDs Option; HMAC-SHA256 patient pseudonym"
    /// Burned In Annotation (0028,0301): text in the pixels the profile cannot clean.
    static let burnedInAnnotation = Tag(0x0028, 0x0301)
}
