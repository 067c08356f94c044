import ArgumentParser
import Appliance
import Foundation
import Panel

/// `fluorobox panel-password`: sets a panel role's password (stored only as a PBKDF2 hash).
struct PanelPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel-password",
        abstract: "Set the panel password of a role (technician or doctor).",
        discussion: "Reads the new password from standard input (one line), or makes a random one with --generate and prints it once. A running agent picks it up at its next start."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "technician or doctor.")
    var role: String

    @Flag(name: .long, help: "Make a random password and print it.")
    var generate = false

    func run() async throws {
        guard let panelRole = PanelRole(rawValue: role) else { throw ValidationError("ROLE must be technician or doctor") }
        let configuration = try common.loadConfiguration()
        let password: String
        if generate {
            password = PanelCredentials.generatePassword()
        } else {
            guard let line = readLine(strippingNewline: true), line.count >= 8 else {
                throw ReportedFailure(description: "give a password of at least 8 characters on standard input, or use --generate")
            }
            password = line
        }
        try PanelCredentials.setPassword(password, for: panelRole, dataDirectory: configuration.dataDirectory, rounds: configuration.panel.passwordHashRounds)
        print(generate ? "the \(role) password is now \(password)" : "the \(role) password was changed")
    }
}
