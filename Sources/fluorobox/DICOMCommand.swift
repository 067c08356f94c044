import ArgumentParser

struct DICOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom",
        abstract: "DICOM tools for technicians.",
        subcommands: [DICOMEchoCommand.self, DICOMSendCommand.self]
    )
}
