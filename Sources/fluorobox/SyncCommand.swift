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
        abstract: "Pause or resume delivery to the platform and the PACS; enrol with the platform.",
        subcommands: [Pause.self, Resume.self, AdverseEvent.self, Enrol.self]
    )

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop sending until `fluorobox sync resume` (survives restarts).")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let files = try common.runStateFiles()
            try files.setFlag(.syncPaused)
            print("sync paused (\(files.path(.syncPaused))); `fluorobox sync resume` to send again")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send again.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try common.runStateFiles().clearFlag(.syncPaused)
            print("sync resumed")
        }
    }

    struct Enrol: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol with the platform now (sync.enrolmentToken and sync.tls.certificateRequest): the running agent does it by itself; this tells at once whether the token works."
        )
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let configuration = try common.loadConfiguration()
            let logger = common.bootstrapLogging(level: nil)
            let settings = try configuration.effectiveSync()
            guard settings.hubURL != nil, let tls = settings.tls, settings.enrolmentToken != nil, tls.certificateRequestPath != nil else {
                throw ValidationError("enrolment needs sync.hubURL, sync.tls.* (certificate, privateKey, trustedCA, certificateRequest) and sync.enrolmentToken")
            }
            let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: logger)
            do {
                let enrolled = try await client.enrolIfNeeded()
                await client.shutdown()
                print(enrolled ? "enrolled: certificate written to \(tls.certificatePath)" : "\(tls.certificatePath) exists: already enrolled")
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    struct AdverseEvent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adverse-event",
            abstract: "Queue an adverse-event report for the platform (post-market vigilance); sent first, before results and images."
        )
        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "What happened, in the reporter's words.")
        var description: String

        @Option(name: .long, help: "When it happened (ISO 8601); default now.")
        var occurredAt: String?

        @Option(name: .long, help: "The result it concerns (its key, as `fluorobox studies` and the platform know it).")
        var resultKey: String?

        func validate() throws {
            guard !description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--description must not be empty") }
            if let occurredAt, ISO8601DateFormatter().date(from: occurredAt) == nil {
                throw ValidationError("--occurred-at \(occurredAt) is not an ISO 8601 time such as 2026-11-23T09:30:00Z")
            }
        }

        func run() async throws {
            let (configuration, _, store) = try common.openStoreWithContext()
            let device = configuration.sync.deviceID
            var document: [String: String] = [
                "device": device, "description": description,
                "occurredAt": occurredAt ?? ISO8601DateFormatter().string(from: Date()),
            ]
            if let resultKey { document["resultKey"] = resultKey }
            let key = "adverse-event:\(device):\(UUID().uuidString.lowercased())"
            try store.queueDocument(
                destination: .platform, kind: .adverseEvent, key: key, priority: .alert,
                document: Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
            )
            print("adverse-event report queued as \(key)")
        }
    }
}
