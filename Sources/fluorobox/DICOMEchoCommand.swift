import ArgumentParser
import DICOMNetwork
import Foundation
import Logging
import POSIXSupport

struct DICOMEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Check a DICOM node with C-ECHO (like echoscu).",
        discussion: "Prints the status and the round-trip time; exits 0 only on success, 1 with the reason otherwise."
    )

    @Argument(help: "Host name or address of the DICOM node.")
    var host: String

    @Argument(help: "Its TCP port.")
    var port: Int

    @Option(name: .long, help: "Calling AE title (this side).")
    var aet = "FLUOROBOX"

    @Option(name: .long, help: "Called AE title (the node).")
    var aec = "ANY-SCP"

    @Option(name: .long, help: "Seconds to wait for the connection and each answer.")
    var timeout: Double = 10

    func run() async throws {
        guard (1...65535).contains(port) else { throw ValidationError("PORT must be from 1 to 65535") }
        let configuration = RequestorConfiguration(
            callingAETitle: aet, calledAETitle: aec,
            presentationContexts: [ProposedPresentationContext(
                id: 1, abstractSyntax: SOPClass.verification,
                transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]
            )],
            connectTimeout: .milliseconds(Int64(timeout * 1000)), associationTimeout: .milliseconds(Int64(timeout * 1000)),
            responseTimeout: .milliseconds(Int64(timeout * 1000))
        )
        let started = ContinuousClock.now
        do {
            let status = try await SCUAssociation.withAssociation(
                host: host, port: port, configuration: configuration, logger: Logger(label: "fluorobox", factory: { _ in SwiftLogNoOpLogHandler() })
            ) { association in
                try await association.echo()
            }
            let elapsed = ContinuousClock.now - started
            let milliseconds = elapsed.inMilliseconds
            print("C-ECHO \(aet) -> \(aec)@\(host):\(port): \(status) in \(String(format: "%.1f", milliseconds)) ms")
            if !status.isSuccess { throw ExitCode(1) }
        } catch let error as DICOMNetworkError {
            printError("C-ECHO \(aet) -> \(aec)@\(host):\(port) failed: \(error)")
            throw ExitCode(1)
        }
    }
}
