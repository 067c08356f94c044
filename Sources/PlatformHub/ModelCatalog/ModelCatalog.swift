import Foundation
import POSIXSupport

/// What the hub's catalog folder offers one device: the packages assigned to its region or its
/// institution (``ModelAssignment``) whose file still has the SHA-256 it was assigned with.
/// `GET /v1/models` lists them and `GET /v1/models/{file}` serves only them.
public struct ModelCatalog: Sendable {
    /// A package file as it is on disk now.
    public struct Package: Sendable, Hashable {
        public var file: String
        public var size: Int64
        public var sha256: String
    }

    /// The catalog folder (`serve --catalog-dir`); nil: the hub offers no packages.
    let folder: String?
    let store: any HubStoring

    /// One package a device is offered: a pin of an assignment, or the package a rolled-back
    /// rollout replaced (`rollback`: the box installs it though it is not newer); `shadow`: a
    /// shadow assignment's, which the box runs beside its active package and never activates.
    struct Offer: Sendable, Hashable {
        var file: String
        var sha256: String
        var rollback: Bool
        var shadow: Bool = false
    }

    /// What `device` is offered, before the files on disk are looked at: the pins of the
    /// assignments that reach it, as their rollouts allow (docs/platform.md, Staged rollouts).
    /// The newest rollout of an assignment governs it while it rolls out the SHA-256 the
    /// assignment pins: running or halted, only the current stage's devices; completed, every
    /// device; aborted, only devices that activated it; rolled back, nobody, and the devices
    /// that activated it are offered the replaced package marked as a roll back. A shadow
    /// assignment has no rollout: it is offered, marked, to every device it reaches, unless the
    /// same file is offered to the device as active (then the device activates it, which ends
    /// any shadow run of it).
    func offers(to device: String) async throws(HubError) -> [Offer] {
        let assignments = try await store.modelAssignments(device: device)
        guard !assignments.isEmpty else { return [] }
        var governing: [Int64: ModelRollout] = [:]
        for rollout in try await store.modelRollouts() where assignments.contains(where: { $0.id == rollout.assignmentID && $0.sha256 == rollout.sha256 }) {
            governing[rollout.assignmentID] = rollout
        }
        var offers: [Offer] = []
        var rollbacks: [Offer] = []
        var shadows: [Offer] = []
        for assignment in assignments {
            guard assignment.role == .active else {
                shadows.append(Offer(file: assignment.file, sha256: assignment.sha256, rollback: false, shadow: true))
                continue
            }
            let offer = Offer(file: assignment.file, sha256: assignment.sha256, rollback: false)
            guard let rollout = governing[assignment.id] else {
                offers.append(offer)
                continue
            }
            switch rollout.state {
            case .completed:
                offers.append(offer)
            case .running, .halted:
                if rollout.currentCohort(ofOrdered: try await RolloutSupervisor.population(of: rollout, assignment: assignment, store: store)).contains(device) {
                    offers.append(offer)
                }
            case .aborted:
                if try await activated(rollout.sha256, on: device) { offers.append(offer) }
            case .rolledBack:
                if let replaced = rollout.replaces, try await activated(rollout.sha256, on: device) {
                    rollbacks.append(Offer(file: replaced.file, sha256: replaced.sha256, rollback: true))
                }
            }
        }
        // A roll back stands in for the same file's ordinary offer; an active offer for the same file's shadow.
        let active = offers.filter { offer in !rollbacks.contains { $0.file == offer.file } } + Set(rollbacks).sorted { $0.file < $1.file }
        return active + shadows.filter { shadow in !active.contains { $0.file == shadow.file } }
    }

    /// Whether `device` last reported `sha256` activated.
    private func activated(_ sha256: String, on device: String) async throws(HubError) -> Bool {
        ModelUpdateReport.latest(try await store.modelUpdateReports(sha256: sha256, device: device))[device]?.outcome == .activated
    }

    /// The packages offered to `device`, by file name, each with whether it is a roll back and
    /// whether a shadow (left out unless the box runs `shadows`: an older box would activate
    /// one); offered files that changed on disk or are gone are left out (`left` says which, for
    /// the log).
    func offered(to device: String, shadows: Bool) async throws(HubError) -> (packages: [(package: Package, rollback: Bool, shadow: Bool)], left: [String]) {
        guard let folder else { return ([], []) }
        let offers = try await offers(to: device).filter { shadows || !$0.shadow }
        var packages: [(package: Package, rollback: Bool, shadow: Bool)] = []
        var left: [String] = []
        for (file, pins) in Dictionary(grouping: offers, by: \.file).sorted(by: { $0.key < $1.key }) {
            if let package = try await Self.current(file, in: folder), let pin = pins.first(where: { $0.sha256 == package.sha256 }) {
                packages.append((package, pin.rollback, pin.shadow))
            } else {
                left.append(file)
            }
        }
        return (packages, left)
    }

    /// `file` as offered to `device`; 404 saying why when it is not. The reason names neither
    /// another region nor an institution: only what the asking device may know.
    func package(_ file: String, for device: String) async throws(HubError) -> Package {
        guard let folder, OSBundleAssignment.isBundleName(file) else { throw HubError(.notFound, "no such package") }
        let pins = try await offers(to: device).filter { $0.file == file }
        guard !pins.isEmpty else {
            throw HubError(.notFound, "no package \(file) is assigned to device \(device): a device is offered only the packages assigned to its region or its institution (and, while a package rolls out in stages, only once its stage is reached)")
        }
        guard let package = try await Self.current(file, in: folder) else { throw HubError(.notFound, "no such package") }
        guard pins.contains(where: { $0.sha256 == package.sha256 }) else {
            throw HubError(.notFound, "\(file) changed on the hub after it was assigned (SHA-256 \(pins[0].sha256) then, \(package.sha256) now): it is offered again once an operator assigns it anew")
        }
        return package
    }

    /// `file` of `folder` as it is now; nil when it is not a regular file. Hashed off the event
    /// loop, and only when this version of the file was not hashed before: a package is tens of
    /// megabytes and every poll of every device asks.
    public static func current(_ file: String, in folder: String) async throws(HubError) -> Package? {
        let path = folder + "/" + file
        do {
            return try await BlockingIO.run { () throws -> Package? in
                try FileDigestCache.shared.digest(of: path).map { Package(file: file, size: $0.size, sha256: $0.sha256) }
            }
        } catch {
            throw HubError(.storage, "reading \(path): \(error)")
        }
    }

    /// Every package of `folder` (regular files with a valid name), by name, hashed: what the
    /// console lists and may assign.
    public static func packages(in folder: String) async throws(HubError) -> [Package] {
        var packages: [Package] = []
        for (file, _) in try OSBundleAssignment.bundles(in: folder) {
            if let package = try await current(file, in: folder) { packages.append(package) }
        }
        return packages
    }
}
