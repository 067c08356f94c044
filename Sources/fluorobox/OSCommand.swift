import ArgumentParser
import Appliance
import Foundation

/// `fluorobox os …`: OS updates of the box's A/B root slots through RAUC.
struct OSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "os",
        abstract: "OS updates: install a signed bundle into the other root slot, show the slots, mark the booted one good.",
        subcommands: [Install.self, Status.self, MarkGood.self]
    )

    /// Where RAUC and the box's files are; the defaults are the image's (tests point elsewhere).
    struct Options: ParsableArguments {
        @Option(name: .customLong("rauc"), help: ArgumentHelp("The rauc executable.", visibility: .hidden))
        var raucExecutable = "/usr/bin/rauc"
        @Option(name: .customLong("rauc-config"), help: ArgumentHelp("RAUC's system.conf (default: RAUC's own, /etc/rauc/system.conf).", visibility: .hidden))
        var raucConfiguration: String?
        @Option(help: ArgumentHelp("The boot loader backend.", visibility: .hidden))
        var bootloaderBackend = "/usr/lib/fluorobox/rauc-bootloader"
        @Option(help: ArgumentHelp("The running system's version file.", visibility: .hidden))
        var versionFile = "/usr/lib/fluorobox/version"
        @Option(help: ArgumentHelp("Where the last install's outcome is kept.", visibility: .hidden))
        var recordFile = OSUpdater.defaultRecordFile

        var updater: OSUpdater {
            OSUpdater(
                rauc: RaucTool(
                    executable: raucExecutable, configuration: raucConfiguration, bootloaderBackend: bootloaderBackend),
                runningVersionFile: versionFile, recordFile: recordFile)
        }
    }

    /// Runs `body`; a refusal is printed as "refused: <which check>: <detail>", exit status 1.
    static func refusing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OSUpdateError {
            printError("refused: \(error)")
            throw ExitCode(1)
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle (signature, version, contents) and install it into the slot not booted.",
            discussion: "The agent keeps running; the new slot boots at the next reboot, on trial until the agent is ready there."
        )
        @OptionGroup var options: Options
        @Argument(help: "The bundle file (.raucb), e.g. on a USB stick.")
        var bundle: String

        func run() throws {
            let updater = options.updater
            let started = Date()
            let (info, slot) = try OSCommand.refusing { try updater.install(bundle: bundle) }
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            print("installed \(info.version) into slot \(slot ?? "?") in \(seconds)s; it boots at the next reboot")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The booted slot, the version and boot state of both slots, and the last update's outcome."
        )
        @OptionGroup var options: Options
        @OptionGroup var output: JSONOutput

        func run() throws {
            let status = try OSCommand.refusing { try options.updater.status() }
            if try output.printed(status) { return }
            print("booted: slot \(status.booted ?? "?") (\(status.runningVersion ?? "unknown version"))")
            for slot in status.slots {
                let tries = slot.state == .trial ? " (\(slot.triesLeft ?? 0) tries left)" : ""
                print("slot \(slot.name): \(slot.version ?? "no system") \(slot.state.rawValue)\(tries)\(slot.primary ? ", boots next" : "")")
            }
            print("last update: \(status.outcome ?? "none")")
        }
    }

    struct MarkGood: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mark-good",
            abstract: "Mark the booted slot good (ends its trial; the boot assessment does this once the agent is ready)."
        )
        @OptionGroup var options: Options

        func run() throws {
            let updater = options.updater
            try OSCommand.refusing { try updater.markGood() }
            print("slot \((try? updater.bootedSlot()) ?? "?") marked good")
        }
    }
}
