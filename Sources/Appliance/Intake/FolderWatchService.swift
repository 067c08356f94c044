import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Watches an export folder (a share the unit writes to, or a mounted USB stick) and takes
/// every DICOM, JPEG and PNG file into the store.
///
/// A file is read only once it has been unchanged for `settleSeconds` and across two scans, so a
/// copy in progress is not taken. It is moved, deleted or remembered only after the store has
/// acknowledged it; a crash in between means it is read again and deduplicated.
public actor FolderWatchService: Service {
    public static let name = "folder-watch"

    /// Identifies one version of one file: a rewrite changes size or time.
    struct FileVersion: Hashable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int64

        init(_ status: FileStatus) {
            device = status.device
            inode = status.inode
            size = status.size
            modified = status.modificationTimeNanoseconds
        }
    }

    private let settings: ApplianceConfiguration.WatchFolder
    private let intake: FileIntake
    private let gate: ReadinessGate
    private let logger: Logger
    /// What each path looked like at the previous scan.
    private var lastSeen: [String: FileVersion] = [:]
    /// Versions that failed; retried only when the file changes.
    private var failed: [String: FileVersion] = [:]
    /// Versions taken but left in place (`keep`, or a read-only stick).
    private var kept: Set<FileVersion> = []
    private var warnedUnavailable = false

    public private(set) var takenCount = 0
    public private(set) var lastScanAt: Date?

    public init(settings: ApplianceConfiguration.WatchFolder, intake: FileIntake, gate: ReadinessGate, logger: Logger) {
        var settings = settings
        settings.folder = settings.folder.map(Posix.absolutePath)
        settings.movedTo = settings.movedTo.map(Posix.absolutePath)
        self.settings = settings
        self.intake = intake
        self.gate = gate
        self.logger = logger
    }

    public func run() async throws {
        await gate.ready(Self.name)
        guard let folder = settings.folder else { return }
        logger.info("watching folder", metadata: ["folder": "\(folder)", "after_import": "\(settings.afterImport.rawValue)"])
        try? await cancelWhenGracefulShutdown {
            while true {
                await self.scanOnce()
                try await Task.sleep(for: .seconds(self.settings.intervalSeconds))
            }
        }
    }

    /// One pass over the folder; returns how many files were acknowledged.
    @discardableResult
    public func scanOnce(now: Date = Date()) async -> Int {
        guard let folder = settings.folder else { return 0 }
        lastScanAt = now
        guard (try? Posix.fileStatus(folder))?.isDirectory == true else {
            if !warnedUnavailable {
                logger.warning("watched folder is not available (stick not mounted or share down?)", metadata: ["folder": "\(folder)"])
                warnedUnavailable = true
            }
            return 0
        }
        warnedUnavailable = false
        var current: [String: FileVersion] = [:]
        var taken = 0
        for path in listFiles(in: folder) {
            guard !Task.isCancelled else { break }
            guard let status = try? Posix.fileStatus(path, followLinks: false), status.isRegularFile else { continue }
            let version = FileVersion(status)
            current[path] = version
            if kept.contains(version) || failed[path] == version { continue }
            let ageSeconds = now.timeIntervalSince1970 - Double(version.modified) / 1e9
            guard lastSeen[path] == version, ageSeconds >= settings.settleSeconds else { continue }
            switch await intake.ingest(path: path, source: .folder) {
            case .acknowledged(let receipt):
                taken += 1
                takenCount += 1
                failed[path] = nil
                logger.info("took file from watched folder", metadata: ["path": "\(path)", "outcome": "\(receipt.outcome.rawValue)", "sha256": "\(receipt.sha256)"])
                finish(path: path, version: version, folder: folder)
            case .skipped(let reason):
                kept.insert(version)
                logger.info("skipped file in watched folder", metadata: ["path": "\(path)", "reason": "\(reason)"])
            case .failed(let error):
                if let storeError = error as? StoreError, storeError.isInsufficientStorage {
                    // Not the file's fault: leave everything in place and try again next scan.
                    logger.error("watched folder paused: store refuses intake", metadata: ["error": "\(storeError.detail)"])
                    lastSeen = current
                    return taken
                }
                if let storeError = error as? StoreError, storeError.code == .sourceChanged {
                    // Still being written; it will settle.
                    continue
                }
                failed[path] = version
                logger.error("could not take file from watched folder; it stays in place", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        lastSeen = current
        return taken
    }

    /// Regular files under the folder, skipping hidden entries, partial-copy names and the
    /// folder imported files move to.
    private func listFiles(in folder: String) -> [String] {
        let movedTo = settings.effectiveMovedTo
        var output: [String] = []
        var pending = [folder]
        while let directory = pending.popLast() {
            guard let names = try? Posix.directoryEntries(directory) else { continue }
            for name in names.sorted() {
                if name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~") { continue }
                let path = directory + "/" + name
                guard let status = try? Posix.fileStatus(path, followLinks: false) else { continue }
                if status.isDirectory {
                    if path != movedTo { pending.append(path) }
                } else if status.isRegularFile {
                    output.append(path)
                }
            }
        }
        return output
    }

    /// After the receipt: move, delete or remember the file.
    private func finish(path: String, version: FileVersion, folder: String) {
        switch settings.afterImport {
        case .keep:
            kept.insert(version)
        case .delete:
            do {
                try Posix.unlink(path)
            } catch {
                kept.insert(version)
                logger.warning("could not delete imported file; leaving it", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        case .move:
            guard let movedTo = settings.effectiveMovedTo else { return }
            let relative = path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : (path.split(separator: "/").last.map(String.init) ?? "file")
            var target = movedTo + "/" + relative
            do {
                let parent = String(target[..<target.lastIndex(of: "/")!])
                try Posix.makeDirectories(parent)
                var attempt = 1
                while (try? Posix.fileStatus(target, followLinks: false)) != nil {
                    target = movedTo + "/" + relative + "-\(attempt)"
                    attempt += 1
                }
                try Posix.rename(path, target)
            } catch {
                // A read-only stick or another file system: the file stays, and is not taken again.
                kept.insert(version)
                logger.warning("could not move imported file; leaving it", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }
}
