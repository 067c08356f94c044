import Foundation
import POSIXSupport

/// The shapes of the documents the hub accepts (docs/platform-api.yaml, components and request
/// bodies), checked before a document is stored: a box told 201 marks the item sent, so a body
/// the platform cannot read must be refused (400) then, not found unreadable later. Only what
/// the document requires is checked; properties it does not name are kept and not looked at.
indirect enum DocumentSchema: Sendable {
    case string
    case integer(minimum: Double? = nil)
    case number(minimum: Double? = nil, maximum: Double? = nil)
    case boolean
    case oneOf([String])
    /// RFC 3339 date-time (JSON Schema `format: date-time`).
    case dateTime
    /// RFC 3339 full-date (`format: date`).
    case date
    case array(DocumentSchema)
    /// Its members by name, sorted, so problems are named in the same order every time.
    case object([Member])

    struct Member: Sendable {
        let name: String
        let schema: DocumentSchema
        let required: Bool
    }

    static func object(required: [String: DocumentSchema], optional: [String: DocumentSchema] = [:]) -> DocumentSchema {
        .object(
            (required.map { Member(name: $0.key, schema: $0.value, required: true) }
                + optional.filter { required[$0.key] == nil }.map { Member(name: $0.key, schema: $0.value, required: false) })
                .sorted { $0.name < $1.name }
        )
    }

    /// Every kind of document the hub reads, by the name it is stored under. The schema table is
    /// built from all of them and `make` switches over them exhaustively, so a kind added here
    /// cannot be left without a schema (the compiler says so), and a kind with a schema is never
    /// left out of the table.
    enum Kind: String, CaseIterable, Sendable {
        case result, report, feedback, hello
        case adverseEvent = "adverse-event"
        case modelUpdate = "model-update"
        case osUpdate = "os-update"
        case shadowAgreement = "shadow-agreement"
    }

    /// The schema of each document collection's body (by the kind it is listed as).
    static func of(kind: String) -> DocumentSchema? {
        byKind[kind]
    }

    /// The schema of `kind`'s body; every kind has one.
    static func of(_ kind: Kind) -> DocumentSchema {
        byKind[kind.rawValue]!
    }

    /// Built once: a request only reads them.
    private static let byKind: [String: DocumentSchema] = Dictionary(
        uniqueKeysWithValues: Kind.allCases.map { ($0.rawValue, make(kind: $0)) }
    )

    private static func make(kind: Kind) -> DocumentSchema {
        let count = DocumentSchema.integer(minimum: 0)
        let use = DocumentSchema.oneOf(["clinical", "demonstration"])
        switch kind {
        case .result:
            return .object(required: [
                "schemaVersion": .integer(minimum: 1),
                "model": .object(required: ["id": .string, "version": .string], optional: ["use": use]),
                "findings": .array(.object(required: [:], optional: [
                    "id": .string, "probability": .number(minimum: 0, maximum: 1), "flaggedForReview": .boolean, "modelUse": use,
                ])),
            ])
        case .report:
            return .object(required: [
                "device": .string, "model": .string, "version": .string, "day": .date,
                "processed": count, "flagged": count, "retakesAdvised": count, "doctorAgree": count, "doctorDisagree": count,
                "latencyP50ms": .number(minimum: 0), "latencyP95ms": .number(minimum: 0), "errors": count,
            ], optional: [
                "doctorMissed": count, "demonstrationResultsLeftOut": count, "modelUse": use, "registrationNumber": .string,
                "registrationDate": .date, "intendedUse": .string,
            ])
        case .feedback:
            return .object(required: [
                "verdict": .oneOf(["agree", "disagree", "missed"]), "studyInstanceUID": .string, "role": .string, "recordedAt": .dateTime,
            ], optional: ["resultKey": .string, "comment": .string])
        case .adverseEvent:
            return .object(required: ["description": .string, "occurredAt": .dateTime], optional: ["resultKey": .string])
        case .modelUpdate:
            return .object(required: [
                "device": .string, "file": .string, "sha256": .string, "outcome": .oneOf(["activated", "refused", "shadowed"]), "at": .dateTime,
            ], optional: [
                "package": .string, "reason": .string,
                "code": .oneOf(["verification", "not-newer", "reference-check", "install", "shadow-is-active"]),
                "rollback": .boolean, "shadow": .boolean,
            ])
        case .osUpdate:
            return .object(required: [
                "device": .string, "sha256": .string, "outcome": .oneOf(["installed", "refused", "failed", "marked-good", "fell-back"]),
                "at": .dateTime,
            ], optional: ["file": .string, "version": .string, "slot": .string, "reason": .string])
        case .shadowAgreement:
            return .object(required: [
                "device": .string, "task": .string, "shadowModel": .string, "shadowVersion": .string, "activeModel": .string,
                "activeVersion": .string, "day": .date, "images": count, "errors": count,
                "findings": .array(.object(required: [
                    "id": .string, "bothFlagged": count, "onlyActive": count, "onlyShadow": count, "neither": count,
                ])),
                "latencyP50ms": .number(minimum: 0), "latencyP95ms": .number(minimum: 0),
            ])
        case .hello:
            return .object(required: [:], optional: ["version": .string])
        }
    }

    /// Checks `body` (JSON text); throws a 400 naming the first part that does not fit.
    func validate(_ body: [UInt8]) throws(HubError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            throw HubError(.badRequest, body.isEmpty ? "the body is empty; it must be a JSON document" : "the body is not JSON")
        }
        if let problem = problem(with: value, at: { "the body" }) { throw HubError(.badRequest, problem) }
    }

    /// Why `value` does not fit, or nil. `path` names the value; it is spelled out only for a
    /// problem, not for every value that fits.
    private func problem(with value: JSONValue, at path: () -> String) -> String? {
        switch (self, value) {
        case (.string, .string), (.boolean, .bool):
            return nil
        case (.integer(let minimum), .number(let number)):
            guard number.rounded() == number else { return "\(path()) must be an integer" }
            return minimum.flatMap { number < $0 ? "\(path()) must be at least \(Int64($0))" : nil }
        case (.number(let minimum, let maximum), .number(let number)):
            if let minimum, number < minimum { return "\(path()) must be at least \(minimum)" }
            if let maximum, number > maximum { return "\(path()) must be at most \(maximum)" }
            return nil
        case (.oneOf(let allowed), .string(let text)):
            return allowed.contains(text) ? nil : "\(path()) must be one of \(allowed.joined(separator: ", "))"
        case (.dateTime, .string(let text)):
            return RFC3339.isDateTime(text) ? nil : "\(path()) must be an RFC 3339 date-time such as 2026-11-23T09:30:00Z"
        case (.date, .string(let text)):
            return RFC3339.isDate(text) ? nil : "\(path()) must be an RFC 3339 date such as 2026-11-23"
        case (.array(let element), .array(let items)):
            for (index, item) in items.enumerated() {
                if let problem = element.problem(with: item, at: { "\(path())[\(index)]" }) { return problem }
            }
            return nil
        case (.object(let schemaMembers), .object(let members)):
            for member in schemaMembers where member.required && members[member.name] == nil {
                return "\(path()) has no \"\(member.name)\""
            }
            for member in schemaMembers {
                guard let value = members[member.name] else { continue }
                let problem = member.schema.problem(with: value) {
                    let outer = path()
                    return outer == "the body" ? member.name : outer + "." + member.name
                }
                if let problem { return problem }
            }
            return nil
        default:
            return "\(path()) must be \(expected)"
        }
    }

    private var expected: String {
        switch self {
        case .string, .oneOf, .dateTime, .date: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
