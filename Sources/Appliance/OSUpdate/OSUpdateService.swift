import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore
import Sync

/// OS updates from the platform: polls the bundle the operator assigned to this device,
/// downloads it resumably (as model packages are), has `fluorobox os install`'s checks and RAUC
/// put it into the other slot while intake goes on, and reports each outcome to the platform
/// (outbox kind `os-update`). It never reboots on its own account: the technician does from the
/// panel, or the box does inside `os.maintenanceWindow`. After that reboot it reports whether
/// the new slot was marked good or the box fell back to the old one.
public actor OSUpdateService: Service {
    public static let name = "os-updates"

    let client: PlatformClient
    let updater: OSUpdater
    let directory: DataDirectory
    let intervalSeconds: Double
    let maintenanceWindow: MaintenanceWindow?
    /// Reboots the box (`systemctl reboot` on the image).
    let reboot: @Sendable () async throws -> Void
    /// Why the box must not reboot now (``IntakeActivity``), or nil when it may.
    let busy: @Sendable () async -> String?
    let reportStore: StudyStore?
    let deviceID: String
    let logger: Logger
    private var checking = false
    /// In the window with an update waiting but the box busy: look again in a minute, not an interval.
    private var rebootDeferred = false

    public init(
        client: PlatformClient, updater: OSUpdater, directory: DataDirectory, intervalSeconds: Double,
        maintenanceWindow: MaintenanceWindow?, reboot: @escaping @Sendable () async throws -> Void,
        busy: @escaping @Sendable () async -> String? = { nil },
        reportTo reportStore: StudyStore?, deviceID: String, logger: Logger
    ) {
        self.client = client
        self.updater = updater
        self.directory = directory
        self.intervalSeconds = intervalSeconds
        self.maintenanceWindow = maintenanceWindow
        self.reboot = reboot
        self.busy = busy
        self.reportStore = reportStore
        self.deviceID = deviceID
        self.logger = logger
    }

    var workFolder: String { directory.path + "/sync/os" }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.checkOnce()
                let wait = await self.rebootDeferred ? min(self.intervalSeconds, 60) : self.intervalSeconds
                try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
            }
        }
        await client.shutdown()
    }

    /// One round: the outcome of an update installed before a reboot, then the assigned bundle,
    /// then the maintenance window. Returns the records made or changed in it.
    @discardableResult
    public func checkOnce(now: Date = Date()) async -> [OSBundleUpdateRecord] {
        guard !checking else { return [] }
        checking = true
        defer { checking = false }
        let updater = updater
        guard let status = try? await BlockingIO.run({ try updater.status() }) else {
            logger.debug("no A/B slots to update here")
            return []
        }
        var made = followInstalled(status: status, now: now)
        if let record = await offered(status: status) { made.append(record) }
        rebootDeferred = false
        if let window = maintenanceWindow, window.contains(now),
           let waiting = try? await BlockingIO.run({ try updater.status() }).waitingSlot {
            // Never in the middle of a patient: the window's reboot waits for a quiet box.
            if let reason = await busy() {
                rebootDeferred = true
                logger.notice("the installed OS update waits: the box is busy", metadata: [
                    "slot": "\(waiting.name)", "version": "\(waiting.version ?? "?")", "reason": "\(reason)",
                ])
                return made
            }
            logger.notice("rebooting into the installed OS update in the maintenance window", metadata: [
                "slot": "\(waiting.name)", "version": "\(waiting.version ?? "?")", "window": "\(window)",
            ])
            do { try await reboot() } catch { logger.error("cannot reboot", metadata: ["error": "\(error)"]) }
        }
        return made
    }

    /// An installed bundle whose slot has since booted and been marked good, or spent its tries.
    private func followInstalled(status: OSUpdater.Status, now: Date) -> [OSBundleUpdateRecord] {
        var records = RunStateFiles(directory: directory).osUpdates()
        var made: [OSBundleUpdateRecord] = []
        for (sha256, record) in records where record.outcome == .installed {
            guard let slot = record.slot, let outcome = status.bootOutcome(ofSlot: slot) else { continue }
            var updated = record
            updated.at = now
            switch outcome {
            case .markedGood:
                updated.outcome = .markedGood
                updated.reason = nil
                logger.notice("OS update took", metadata: ["version": "\(record.version ?? "?")", "slot": "\(slot)"])
            case .fellBack(let booted):
                updated.outcome = .fellBack
                updated.reason = "slot \(slot) did not become ready within its tries; the box is back on slot \(booted)"
                logger.error("OS update failed: fell back", metadata: ["version": "\(record.version ?? "?")", "slot": "\(slot)"])
            }
            records[sha256] = updated
            made.append(updated)
        }
        if !made.isEmpty { keep(records, reporting: made) }
        return made
    }

    /// The assigned bundle, when it is new to this box: download, check, install.
    private func offered(status: OSUpdater.Status) async -> OSBundleUpdateRecord? {
        let offer: OSBundleOffer?
        do {
            offer = try await client.osBundleOffer()
        } catch {
            logger.info("OS update assignment not reachable", metadata: ["error": "\(error)"])
            return nil
        }
        guard let offer else { return nil }
        var records = RunStateFiles(directory: directory).osUpdates()
        guard records[offer.sha256] == nil else { return nil }
        // Already running it (the assignment stays after the update took): nothing to do.
        if status.runningVersion?.trimmingCharacters(in: .whitespacesAndNewlines) == offer.version { return nil }
        guard offer.sha256.count == 64, offer.sha256.allSatisfy(\.isHexDigit) else {
            logger.error("the platform assigns an OS bundle without a valid SHA-256", metadata: ["file": "\(offer.file)"])
            return nil
        }
        let bundle = workFolder + "/" + offer.sha256.lowercased() + ".raucb"
        do {
            try Posix.makeDirectories(workFolder, mode: 0o700)
            if (try? Posix.fileStatus(bundle))?.size != offer.size {
                try await client.downloadOSBundle(offer, to: bundle)
            }
            let digest = try await BlockingIO.run { try SHA256Hex.string(ofFileAt: bundle) }
            guard digest == offer.sha256.lowercased() else {
                // Damaged on the way (or the hub's file changed since it was assigned): fetched
                // afresh at the next poll.
                try? Posix.unlink(bundle)
                logger.warning("OS bundle download does not match its SHA-256; fetched again at the next poll", metadata: [
                    "file": "\(offer.file)", "sha256": "\(digest)", "assigned": "\(offer.sha256)",
                ])
                return nil
            }
        } catch {
            logger.warning("OS bundle download not finished; resumed at the next poll", metadata: ["file": "\(offer.file)", "error": "\(error)"])
            return nil
        }
        let updater = updater
        let result: Result<(version: String, slot: String?), OSUpdateError>
        do {
            result = try await BlockingIO.run { () -> Result<(version: String, slot: String?), OSUpdateError> in
                do throws(OSUpdateError) {
                    let (info, slot) = try updater.install(bundle: bundle)
                    return .success((info.version, slot))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            result = .failure(OSUpdateError(.unavailable, "\(error)"))
        }
        let record: OSBundleUpdateRecord
        switch result {
        case .success(let installed):
            record = OSBundleUpdateRecord(
                file: offer.file, sha256: offer.sha256, version: installed.version, slot: installed.slot, outcome: .installed, reason: nil)
            logger.notice("OS update installed; it boots at the next reboot", metadata: [
                "version": "\(installed.version)", "slot": "\(installed.slot ?? "?")",
            ])
        case .failure(let error) where error.code == .unavailable:
            logger.error("OS update not installed; tried again at the next poll", metadata: ["file": "\(offer.file)", "error": "\(error)"])
            return nil
        case .failure(let error):
            record = OSBundleUpdateRecord(
                file: offer.file, sha256: offer.sha256, version: nil, slot: nil,
                outcome: error.code == .installFailed ? .failed : .refused, reason: error.description)
            logger.error("OS update refused", metadata: ["file": "\(offer.file)", "reason": "\(error)"])
        }
        try? Posix.unlink(bundle)
        records[offer.sha256] = record
        keep(records, reporting: [record])
        return record
    }

    /// Writes the records, then queues each new outcome for the platform under a key of its own.
    private func keep(_ records: [String: OSBundleUpdateRecord], reporting made: [OSBundleUpdateRecord]) {
        do {
            try RunStateFiles(directory: directory).writeRecord(records, to: .osUpdates)
            guard let reportStore else { return }
            for record in made {
                var document = try JSONSerialization.jsonObject(with: JSONEncoder.compact().encode(record)) as? [String: Any] ?? [:]
                document["device"] = deviceID
                try reportStore.queueDocument(
                    destination: .platform, kind: .osUpdate, key: "os-update:\(deviceID):\(record.sha256):\(record.outcome.rawValue)",
                    priority: .result, document: Array(JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
                )
            }
        } catch {
            logger.error("cannot record an OS update outcome", metadata: ["error": "\(error)"])
        }
    }
}
