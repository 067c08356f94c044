import Foundation
import POSIXSupport

/// A model package of the hub's catalog folder assigned to a region or to a list of institutions
/// (`fluorobox-hub model assign`, the console's Models page). A device is offered the packages
/// assigned to its institution's region or to its institution, nothing else.
///
/// The assignment pins the file's size and SHA-256 as they were when assigned: a file changed on
/// disk afterwards is not offered until an operator assigns it anew. Its `id` stays the same
/// while it lasts (assigning the same file to the same target again re-pins it), so a staged
/// rollout can refer to it.
///
/// Its ``Role`` says what the devices do with the package: activate it (`active`, the default),
/// or run it in shadow beside the task's active package (`shadow`: results recorded and compared,
/// never shown or sent as results). A target has at most one shadow assignment (the hub does not
/// read packages, so it cannot tell their tasks apart), and an assignment keeps its role: a file
/// assigned to a target as one role is taken back before it is assigned to it as the other.
/// Staged rollouts apply only to active assignments (docs/platform.md, Shadow assignments).
public struct ModelAssignment: Codable, Sendable, Hashable {
    /// Who the package is for.
    public enum Target: Codable, Sendable, Hashable {
        /// Every device whose institution is in this region (as `device set-institution` records it).
        case region(String)
        /// Devices of these institutions, each by its tax ID (ИНН) or OID; sorted, no repeats.
        case institutions([String])

        /// Checks it and puts the institutions in their one order; a clear refusal otherwise.
        public static func validated(region: String?, institutions: [String]) throws(HubError) -> Target {
            switch (region, institutions.isEmpty) {
            case (let region?, true):
                guard !region.allSatisfy(\.isWhitespace), region.count <= 256 else {
                    throw HubError(.badRequest, "a region is 1 to 256 characters")
                }
                return .region(region)
            case (nil, false):
                for id in institutions where !DeviceInstitution.isValidTaxID(id) && !DeviceInstitution.isValidOID(id) {
                    throw HubError(.badRequest, "\"\(id.prefix(80))\" is neither an institution's ИНН (10 or 12 digits with their check digits) nor its OID")
                }
                let unique = Set(institutions)
                guard unique.count <= 1000 else { throw HubError(.badRequest, "at most 1000 institutions per assignment") }
                return .institutions(unique.sorted())
            case (nil, true):
                throw HubError(.badRequest, "name the target: a region, or one or more institutions (ИНН or OID)")
            case (_?, false):
                throw HubError(.badRequest, "a package is assigned to a region or to institutions, not both at once")
            }
        }

        /// The stored form: its kind and one text (the region, or the institutions joined by
        /// commas, which neither an ИНН nor an OID contains).
        var kind: String {
            switch self {
            case .region: "region"
            case .institutions: "institutions"
            }
        }

        var text: String {
            switch self {
            case .region(let region): region
            case .institutions(let ids): ids.joined(separator: ",")
            }
        }

        init(kind: String, text: String) throws(HubError) {
            switch kind {
            case "region": self = .region(text)
            case "institutions": self = .institutions(text.split(separator: ",").map(String.init))
            default: throw HubError(.storage, "a model assignment with the unknown target kind \(kind)")
            }
        }

        /// Whether a device working for `institution` is one it names.
        public func reaches(_ institution: DeviceInstitution) -> Bool {
            switch self {
            case .region(let region):
                return institution.region == region
            case .institutions(let ids):
                return [institution.taxID, institution.oid].contains { id in id.map { ids.contains($0) } ?? false }
            }
        }

        /// For people: `region Тверская область`, `institutions 6950001234, 1.2.643.5.1`.
        public var description: String {
            switch self {
            case .region(let region): "region \(region)"
            case .institutions(let ids): "institution" + (ids.count == 1 ? " " : "s ") + ids.joined(separator: ", ")
            }
        }
    }

    /// What the devices it reaches do with the package.
    public enum Role: String, Codable, Sendable, Hashable, CaseIterable {
        /// Install and activate it (when newer than the task's active package).
        case active
        /// Install it and run it in shadow beside the task's active package; never activated.
        case shadow

        /// From the store's text (a storage error for any other).
        init(stored text: String) throws(HubError) {
            guard let role = Role(rawValue: text) else { throw HubError(.storage, "a model assignment with the unknown role \(text)") }
            self = role
        }
    }

    /// The store's; 0 until stored.
    public var id: Int64
    public var file: String
    public var size: Int64
    public var sha256: String
    public var target: Target
    public var role: Role
    public var assignedBy: String
    public var assignedAt: Date

    public init(
        id: Int64 = 0, file: String, size: Int64, sha256: String, target: Target, role: Role = .active, assignedBy: String, assignedAt: Date = Date()
    ) {
        self.id = id
        self.file = file
        self.size = size
        self.sha256 = sha256
        self.target = target
        self.role = role
        self.assignedBy = assignedBy
        self.assignedAt = assignedAt
    }

    /// Pins `file` of `folder` as it is now (its SHA-256 read here: call it off the event loop).
    public static func of(file: String, in folder: String, target: Target, role: Role = .active, assignedBy: String) throws(HubError) -> ModelAssignment {
        guard OSBundleAssignment.isBundleName(file) else { throw HubError(.badRequest, "\"\(file.prefix(140))\" is not a package file name") }
        let pinned = try PinnedFile(file, in: folder)
        return ModelAssignment(file: file, size: pinned.size, sha256: pinned.sha256, target: target, role: role, assignedBy: assignedBy)
    }

    /// Why the store may not keep this assignment beside `held`, the assignments of its target
    /// (read in the same transaction); nil: it may. Re-pinning the same file in the same role is
    /// always allowed.
    func conflict(with held: [ModelAssignment]) -> HubError? {
        if let same = held.first(where: { $0.file == file }), same.role != role {
            return HubError(.conflict, "\(file) is assigned to \(target.description) as \(same.role.rawValue) (assignment \(same.id)); take it back first to assign it as \(role.rawValue)")
        }
        if role == .shadow, let other = held.first(where: { $0.role == .shadow && $0.file != file }) {
            return HubError(.conflict, "\(target.description) already has the shadow \(other.file) (assignment \(other.id)); one shadow per target: take it back first")
        }
        return nil
    }

    /// How the catalog folder's file stands against this pin.
    public enum FileState: String, Codable, Sendable {
        /// Offered: the file has the SHA-256 it was assigned with.
        case asAssigned = "as-assigned"
        /// Not offered: the file changed after it was assigned.
        case changed
        /// Not offered: the file is gone (or the hub serves no catalog folder).
        case missing
    }

    /// This pin against `package`, the file as it is now (nil: none).
    public func state(of package: ModelCatalog.Package?) -> FileState {
        guard let package else { return .missing }
        return package.sha256 == sha256 ? .asAssigned : .changed
    }

    /// How many of the devices with a recorded institution (by device) it reaches.
    public func devicesReached(_ institutions: [String: DeviceInstitution]) -> Int {
        institutions.values.count(where: target.reaches)
    }

    /// The audit row of assigning it or taking it back (`action`): who, the package (the subject)
    /// and its target, size and SHA-256.
    func auditEntry(_ action: String, by actor: String, at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(
            at: at, actor: actor, action: action, subject: file,
            detail: "\(target.description)\(role == .shadow ? " as shadow" : ""), \(size) bytes, SHA-256 \(sha256)")
    }
}
