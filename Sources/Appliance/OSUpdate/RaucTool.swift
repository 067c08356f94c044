import Foundation

/// The `rauc` command line, and the tools beside it, as `fluorobox os` runs them: each call
/// waits for the process and keeps what it printed.
public struct RaucTool: Sendable {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// stderr's last line that is not one of RAUC's "rauc-Message:" progress lines.
        public var reason: String {
            let lines = (stderr + "\n" + stdout).split(separator: "\n").map(String.init)
            return lines.last { !$0.contains("rauc-Message") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                ?? "exit status \(status)"
        }
    }

    /// The `rauc` executable (tests put a stand-in in front of the real one).
    public var executable: String
    /// system.conf; nil: RAUC's own default (/etc/rauc/system.conf).
    public var configuration: String?
    /// The custom boot loader backend (its `describe` prints the slots' boot state).
    public var bootloaderBackend: String

    public init(
        executable: String = "/usr/bin/rauc", configuration: String? = nil,
        bootloaderBackend: String = "/usr/lib/fluorobox/rauc-bootloader"
    ) {
        self.executable = executable
        self.configuration = configuration
        self.bootloaderBackend = bootloaderBackend
    }

    /// Runs `rauc [--conf FILE] ARGUMENTS`.
    public func rauc(_ arguments: [String]) throws(OSUpdateError) -> Output {
        try Self.run(executable, (configuration.map { ["--conf=\($0)"] } ?? []) + arguments)
    }

    public static func run(_ executable: String, _ arguments: [String]) throws(OSUpdateError) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        // stderr goes to a file, so neither stream can fill a pipe and block the child.
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("fluorobox-os-\(UUID().uuidString).stderr").path
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
            let errorFile = FileHandle(forWritingAtPath: errorPath)
        else { throw OSUpdateError(.unavailable, "cannot create \(errorPath)") }
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        process.standardOutput = out
        process.standardError = errorFile
        do {
            try process.run()
        } catch {
            throw OSUpdateError(.unavailable, "cannot run \(executable): \(error)")
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorFile.close()
        let stderr = FileManager.default.contents(atPath: errorPath) ?? Data()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
