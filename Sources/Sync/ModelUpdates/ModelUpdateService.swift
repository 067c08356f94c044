import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Keeps the box's model current from the platform's catalog: poll, download resumably, check
/// the catalog's SHA-256, verify signature and pins, refuse anything not newer than the active
/// package (unless the catalog marks it as a staged rollout's roll back), run the package's
/// reference inputs, then install and activate in one atomic step.
/// The analysis service loads the active package per study, so the switch falls between
/// studies. A package that fails any step never activates; the reason is logged and recorded
/// (sync/model-updates.json) and the same package is not fetched again.
///
/// An entry the catalog marks as a shadow goes through the same checks but the not-newer floor
/// (a shadow may be any version; it is refused only when it is its task's active package) and is
/// installed and designated as its task's shadow (`designatedBy` `catalog`), never activated.
/// Once the catalog answers without it, the box ends that shadow run if the catalog's designation
/// still stands (a person's `fluorobox model shadow` stays) and forgets its record, so the same
/// package assigned again is designated anew.
public actor ModelUpdateService: Service {
    public static let name = "model-updates"

    private enum State {
        case idle
        case checking
    }

    let client: PlatformClient
    let installer: any ModelUpdateInstaller
    let directory: DataDirectory
    let intervalSeconds: Double
    /// Where outcomes are queued for the platform (kind `model-update`), with this device's id.
    let reportStore: StudyStore?
    let deviceID: String
    let logger: Logger
    private var state: State = .idle

    public init(
        client: PlatformClient, installer: any ModelUpdateInstaller, directory: DataDirectory, intervalSeconds: Double,
        reportTo reportStore: StudyStore? = nil, deviceID: String = "fluorobox", logger: Logger
    ) {
        self.client = client
        self.installer = installer
        self.directory = directory
        self.intervalSeconds = intervalSeconds
        self.reportStore = reportStore
        self.deviceID = deviceID
        self.logger = logger
    }

    var workFolder: String { directory.path + "/sync/models" }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await self.checkOnce()
                try? await Task.sleep(for: .milliseconds(Int64(self.intervalSeconds * 1000)))
            }
        }
        await client.shutdown()
    }

    /// One poll of the catalog; returns the records made in it (transient failures make none:
    /// the next poll resumes them).
    @discardableResult
    public func checkOnce() async -> [ModelUpdateRecord] {
        guard case .idle = state else { return [] }
        state = .checking
        defer { state = .idle }
        let catalog: [CatalogEntry]
        do {
            catalog = try await client.modelCatalog()
        } catch {
            logger.info("model catalog not reachable", metadata: ["error": "\(error)"])
            return []
        }
        var records = RunStateFiles(directory: directory).modelUpdates()
        var made: [ModelUpdateRecord] = []
        // A package is tried once; a roll back entry once more, even over an earlier record of
        // the same SHA-256 (the box ran it before the update it now leaves). A shadow entry's
        // record has a key of its own: a package calibrated in shadow is then activated.
        for entry in catalog.sorted(by: { $0.file < $1.file }) where entry.isShadow
            ? records[Self.shadowKey(entry.sha256)] == nil
            : records[entry.sha256] == nil || (entry.isRollback && records[entry.sha256]?.rollback != true) {
            let result = await update(entry)
            let record: ModelUpdateRecord
            switch result {
            case .success(let package):
                record = ModelUpdateRecord(
                    file: entry.file, sha256: entry.sha256, package: package, outcome: entry.isShadow ? .shadowed : .activated, reason: nil,
                    rollback: entry.rollback, shadow: entry.shadow, at: Date())
                logger.notice(
                    entry.isShadow ? "model designated as shadow by the platform" : entry.isRollback ? "model rolled back by the platform" : "model update activated",
                    metadata: ["package": "\(package)", "file": "\(entry.file)"])
            case .failure(let error) where error.isTransient || error.code == .hashMismatch:
                logger.warning("model update not finished; retrying at the next poll", metadata: ["file": "\(entry.file)", "error": "\(error)"])
                continue
            case .failure(let error):
                record = ModelUpdateRecord(
                    file: entry.file, sha256: entry.sha256, package: error.package, outcome: .refused, reason: error.error.description,
                    code: error.code.step, rollback: entry.rollback, shadow: entry.shadow, at: Date()
                )
                logger.error("model update refused", metadata: ["file": "\(entry.file)", "package": "\(error.package ?? "?")", "reason": "\(error.error)"])
            }
            records[entry.isShadow ? Self.shadowKey(entry.sha256) : entry.sha256] = record
            made.append(record)
            do {
                try RunStateFiles(directory: directory).writeRecord(records, to: .modelUpdates)
                if let reportStore {
                    var document = try JSONSerialization.jsonObject(with: JSONEncoder.compact().encode(record)) as? [String: Any] ?? [:]
                    document["device"] = deviceID
                    // A roll back's and a shadow's keys of their own: the same SHA-256 may have been
                    // reported activated before, or designated, withdrawn and assigned again (which
                    // may take less than a second: milliseconds).
                    let seconds = record.at.timeIntervalSince1970
                    let key = "model-update:\(deviceID):\(record.sha256)"
                        + (entry.isRollback ? ":rollback-\(Int(seconds))" : entry.isShadow ? ":shadow-\(Int64(seconds * 1000))" : "")
                    try reportStore.queueDocument(
                        destination: .platform, kind: .modelUpdate, key: key,
                        priority: .result, document: Array(JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
                    )
                }
            } catch {
                logger.error("cannot record a model update outcome", metadata: ["error": "\(error)"])
            }
        }
        if await withdrawShadows(offered: catalog.filter(\.isShadow), records: &records) {
            do {
                try RunStateFiles(directory: directory).writeRecord(records, to: .modelUpdates)
            } catch {
                logger.error("cannot record a model update outcome", metadata: ["error": "\(error)"])
            }
        }
        return made
    }

    static let shadowKeyPrefix = "shadow:"

    /// The key of a shadow entry's record in sync/model-updates.json.
    public static func shadowKey(_ sha256: String) -> String { shadowKeyPrefix + sha256 }

    /// Ends the shadow runs the catalog designated that its answer (`offered`, its shadow entries)
    /// no longer holds, and forgets the records of shadow entries it no longer lists; whether
    /// `records` changed. Called only with an answer: an unreachable hub withdraws nothing.
    private func withdrawShadows(offered: [CatalogEntry], records: inout [String: ModelUpdateRecord]) async -> Bool {
        let keys = Set(offered.map { Self.shadowKey($0.sha256) })
        let kept = Set(keys.compactMap { records[$0] }.filter { $0.outcome == .shadowed }.compactMap(\.package))
        do {
            for (task, package) in try await installer.catalogShadows().sorted(by: { $0.key < $1.key }) where !kept.contains(package.description) {
                if try await installer.endCatalogShadow(task: task, package: package) {
                    logger.notice("shadow run ended: the platform's catalog no longer offers it", metadata: ["task": "\(task)", "package": "\(package)"])
                }
            }
        } catch {
            logger.error("cannot end a shadow run the platform's catalog withdrew; retrying at the next poll", metadata: ["error": "\(error)"])
        }
        let stale = records.keys.filter { $0.hasPrefix(Self.shadowKeyPrefix) && !keys.contains($0) }
        for key in stale { records[key] = nil }
        return !stale.isEmpty
    }

    /// A failure with the package it concerned (when known).
    struct Failure: Error {
        var error: ModelUpdateError
        var package: String?
        var isTransient: Bool { error.isTransient }
        var code: ModelUpdateErrorCode { error.code }
    }

    private func update(_ entry: CatalogEntry) async -> Result<String, Failure> {
        guard entry.sha256.count == 64, entry.sha256.allSatisfy(\.isHexDigit) else {
            return .failure(Failure(error: ModelUpdateError(.verification, "the catalog gives \(entry.file) no valid SHA-256"), package: nil))
        }
        let archive = workFolder + "/" + entry.sha256 + ".tar"
        let unpacked = workFolder + "/" + entry.sha256 + ".unpacked"
        defer { try? FileManager.default.removeItem(atPath: unpacked) }
        do {
            try Posix.makeDirectories(workFolder, mode: 0o700)
            if (try? Posix.fileStatus(archive))?.size != entry.size {
                do {
                    try await client.downloadModel(entry, to: archive)
                } catch {
                    return .failure(Failure(error: ModelUpdateError(.download, "\(error)"), package: nil))
                }
            }
            let digest = try await BlockingIO.run { try SHA256Hex.string(ofFileAt: archive) }
            guard digest == entry.sha256 else {
                try? Posix.unlink(archive)
                return .failure(Failure(error: ModelUpdateError(.hashMismatch, "\(entry.file) hashes to \(digest), the catalog says \(entry.sha256)"), package: nil))
            }
        } catch {
            return .failure(Failure(error: ModelUpdateError(.download, "\(error)"), package: nil))
        }
        try? FileManager.default.removeItem(atPath: unpacked)
        let candidate: ModelCandidate
        do {
            candidate = try await installer.verify(archive: archive, workFolder: unpacked)
        } catch {
            try? Posix.unlink(archive)
            return .failure(Failure(error: error, package: nil))
        }
        let package = candidate.identity.description
        // The task's active version is its floor whatever the package id: an update never takes
        // a task down (a technician's `fluorobox model rollback` on the box is the only other
        // way). Only an entry the platform marked as a staged rollout's roll back goes back.
        // A shadow activates nothing, so any version may run in shadow, but not the active one.
        if entry.isShadow {
            if let active = await installer.active(task: candidate.task), active == candidate.identity {
                try? Posix.unlink(archive)
                return .failure(Failure(
                    error: ModelUpdateError(.shadowIsActive, "\(package) is the active package of task \(candidate.task); a shadow runs beside it"),
                    package: package))
            }
        } else if !entry.isRollback, let active = await installer.active(task: candidate.task),
           !ModelVersion.isNewer(candidate.identity.version, than: active.version) {
            try? Posix.unlink(archive)
            let detail = active.version == candidate.identity.version
                ? (active.id == candidate.identity.id
                    ? "\(package) is already the active version of task \(candidate.task)"
                    : "\(package) is not newer than the active \(active) of task \(candidate.task)")
                : "\(package) is older than the active \(active) of task \(candidate.task)"
            return .failure(Failure(error: ModelUpdateError(.notNewer, detail), package: package))
        }
        do {
            try await installer.checkReference(candidate)
            if entry.isShadow {
                try await installer.installAndDesignateShadow(archive: archive, candidate: candidate)
            } else {
                try await installer.installAndActivate(archive: archive, candidate: candidate)
            }
        } catch {
            if !error.isTransient { try? Posix.unlink(archive) }
            return .failure(Failure(error: error, package: package))
        }
        try? Posix.unlink(archive)
        return .success(package)
    }
}
