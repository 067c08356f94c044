/// The medical institution a device works for, as the regulator report names it: the region, the
/// institution's name, and its tax ID (ИНН) or OID in the national register of institutions. The
/// operator records it (`fluorobox-hub device set-institution`); a device reports no such thing.
public struct DeviceInstitution: Codable, Sendable, Hashable {
    public var region: String
    public var name: String
    /// ИНН: 10 digits (an organisation) or 12 (an individual entrepreneur), check digits valid.
    public var taxID: String?
    /// The institution's OID (dotted decimal), as the national register of medical
    /// organisations assigns it.
    public var oid: String?

    public init(region: String, name: String, taxID: String?, oid: String?) {
        self.region = region
        self.name = name
        self.taxID = taxID
        self.oid = oid
    }

    /// Checks what the regulator report needs: a region, a name, and at least one valid id.
    public func validate() throws(HubError) {
        for (field, text) in [("region", region), ("name", name)] {
            guard !text.allSatisfy(\.isWhitespace), text.count <= 256 else {
                throw HubError(.badRequest, "the institution's \(field) must be 1 to 256 characters")
            }
        }
        guard taxID != nil || oid != nil else { throw HubError(.badRequest, "an institution needs its tax ID (ИНН) or its OID") }
        if let taxID, !Self.isValidTaxID(taxID) {
            throw HubError(.badRequest, "\"\(taxID)\" is not a valid ИНН (10 or 12 digits with their check digits)")
        }
        if let oid, !Self.isValidOID(oid) {
            throw HubError(.badRequest, "\"\(oid)\" is not an OID (dotted decimal arcs, the first 0, 1 or 2)")
        }
    }

    /// An ИНН's check digits: each is a weighted sum of the digits before it, mod 11, mod 10.
    static func isValidTaxID(_ text: String) -> Bool {
        let digits = text.utf8.map { Int($0) - 0x30 }
        guard digits.count == 10 || digits.count == 12, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        func check(_ weights: [Int]) -> Int {
            zip(weights, digits).map(*).reduce(0, +) % 11 % 10
        }
        if digits.count == 10 {
            return check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[9]
        }
        return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[10]
            && check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[11]
    }

    /// Dotted decimal arcs without leading zeros, at least two, the first 0, 1 or 2; at most 64 characters as a DICOM UI.
    static func isValidOID(_ text: String) -> Bool {
        let arcs = text.split(separator: ".", omittingEmptySubsequences: false)
        guard text.utf8.count <= 64, arcs.count >= 2, ["0", "1", "2"].contains(arcs[0]) else { return false }
        return arcs.allSatisfy { arc in
            !arc.isEmpty && arc.utf8.allSatisfy { (0x30...0x39).contains($0) } && (arc == "0" || !arc.hasPrefix("0"))
        }
    }
}
