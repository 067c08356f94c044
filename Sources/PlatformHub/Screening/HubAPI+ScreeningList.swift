import Foundation
import PlatformAPITypes
import POSIXSupport

extension HubAPI {
    /// `GET /v1/devices/{device}/screening-list`: the list of the calling device's institution
    /// (its certificate's device), whole, with an ETag that is a digest of what it lists: every
    /// replica gives the same one for the same entries, and a box that holds it gets 304.
    func getScreeningList(_ input: Operations.GetScreeningList.Input) async throws -> Operations.GetScreeningList.Output {
        let device = try HubRequestScope.device()
        // The contract's limit; a box's own tag is 40 characters.
        if let held = input.headers.ifNoneMatch, held.utf8.count > 256 {
            throw HubError(.badRequest, "If-None-Match is longer than 256 characters: not a tag this hub gave")
        }
        let entries = try await store.screeningList(device: device)
        let eTag = Self.screeningListETag(entries)
        if let held = input.headers.ifNoneMatch, Self.matches(ifNoneMatch: held, eTag: eTag) {
            return .notModified(.init(headers: .init(eTag: eTag)))
        }
        return .ok(.init(headers: .init(eTag: eTag), body: .json(.init(entries: entries.map {
            .init(
                accessionNumber: $0.accessionNumber ?? "", patientID: $0.patientID, patientName: $0.patientName, birthDate: $0.birthDate,
                sex: .init(rawValue: $0.sex) ?? .o, dueDate: $0.dueDate, note: $0.note)
        }))))
    }

    /// A strong ETag: the SHA-256 of the entries' fields, each length-prefixed, in list order.
    static func screeningListETag(_ entries: [ScreeningEntry]) -> String {
        var canonical: [UInt8] = []
        for entry in entries {
            for field in [entry.accessionNumber ?? "", entry.patientID, entry.patientName, entry.birthDate, entry.sex, entry.dueDate, entry.note ?? ""] {
                canonical += Array("\(field.utf8.count):".utf8) + Array(field.utf8)
            }
        }
        return "\"sl-" + SHA256Hex.string(of: canonical).prefix(32) + "\""
    }

    /// RFC 9110 13.1.2: `*`, or one of the listed tags compared weakly (a `W/` prefix ignored).
    static func matches(ifNoneMatch header: String, eTag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == eTag
        }
    }
}
