import ArgumentParser
import Foundation
import Logging
import PlatformHub

/// `serve`'s archive options: where completed instances go and how the workers pace themselves.
struct ArchiveOptions: ParsableArguments {
    @Option(help: "With --database: DICOMweb root of the PACS that archives instances by STOW-RS, e.g. http://pacs:8042/dicom-web (basic auth from FLUOROBOX_HUB_ARCHIVE_USER and FLUOROBOX_HUB_ARCHIVE_PASSWORD).")
    var archiveStow: String?
    @Option(help: "With --database: folder on shared storage that archives instances as DEVICE/KEY.dcm.")
    var archiveFolder: String?
    @Option(help: "Concurrent archive senders in this replica.") var archiveSenders: Int = 2
    @Option(help: "Seconds a claimed row belongs to its sender; a killed replica's rows are sent again after it.") var archiveLease: Double = 300
    @Option(help: "Seconds between an idle sender's looks for due rows.") var archivePoll: Double = 2
    @Option(help: "Seconds before the first retry of a failed send; doubled per attempt, with jitter.") var archiveRetryBase: Double = 5
    @Option(help: "The longest wait between retries, in seconds.") var archiveRetryMax: Double = 600

    /// The archive workers for `store`, nil when no archive is named.
    func worker(store: any HubStoring, logger: Logger) throws -> ArchiveWorker? {
        let target: any ArchiveTarget
        switch (archiveStow, archiveFolder) {
        case (nil, nil): return nil
        case (_?, _?): throw ValidationError("name one archive: --archive-stow or --archive-folder")
        case (let root?, nil):
            let environment = ProcessInfo.processInfo.environment
            target = try STOWArchive(
                root: root, username: environment[STOWArchive.userVariable], password: environment[STOWArchive.passwordVariable]
            )
        case (nil, let folder?):
            target = try FolderArchive(folder: folder)
        }
        guard let store = store as? PostgresHubStore else {
            throw ValidationError("archiving needs --database: the single-machine SQLite store keeps instances in DATA_DIR/items and archives nothing")
        }
        guard archiveSenders >= 1, archiveLease >= 1, archivePoll > 0, archiveRetryBase > 0, archiveRetryMax >= archiveRetryBase else {
            throw ValidationError("--archive-senders ≥ 1, --archive-lease ≥ 1 s, --archive-poll > 0, 0 < --archive-retry-base ≤ --archive-retry-max")
        }
        var settings = ArchiveWorker.Settings()
        settings.senders = archiveSenders
        settings.lease = .seconds(archiveLease)
        settings.poll = .seconds(archivePoll)
        settings.retryBase = .seconds(archiveRetryBase)
        settings.retryMax = .seconds(archiveRetryMax)
        return ArchiveWorker(store: store, target: target, settings: settings, logger: logger)
    }
}
