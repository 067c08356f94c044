import ArgumentParser
import Appliance
import Foundation
import POSIXSupport
import StudyStore
import Sync

/// `fluorobox sync pause|resume`: holds or releases delivery to every destination (the running
/// agent notices within its idle poll); nothing queued is dropped either way.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pause or resume delivery to the platform and the PACS.",
        subcommands: [Pause.self, Resume.self]
    )

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop sending until `fluorobox sync resume` (survives restarts).")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let configuration = try common.loadConfiguration()
            let directory = DataDirectory(path: configuration.dataDirectory)
            let path = SyncService.pauseFlagPath(in: directory)
            let fd = try Posix.open(path, [.writeOnly, .create], mode: 0o644)
            try Posix.fsync(fd, path: path)
            Posix.close(fd)
            try Posix.fsyncDirectory(directory.runPath)
            print("sync paused (\(path)); `fluorobox sync resume` to send again")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send again.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let configuration = try common.loadConfiguration()
            let directory = DataDirectory(path: configuration.dataDirectory)
            let path = SyncService.pauseFlagPath(in: directory)
            do {
                try Posix.unlink(path)
                try Posix.fsyncDirectory(directory.runPath)
            } catch where error.code == ENOENT {
                // Not paused: nothing to do.
            }
            print("sync resumed")
        }
    }
}
