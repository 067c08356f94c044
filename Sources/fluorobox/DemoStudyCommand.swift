import ArgumentParser
import Appliance
import Foundation

struct DemoStudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-study",
        abstract: "Write a synthetic chest phantom as a DICOM DX file (for demos and tests; not a patient)."
    )

    @Option(name: .long, help: "Output file.")
    var out: String

    @Option(name: .long, help: "Varies the phantom and its IDs.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Width and height in pixels.")
    var size = 1024

    func run() async throws {
        guard (16...4096).contains(size) else {
            throw ValidationError("--size must be between 16 and 4096")
        }
        let bytes = try DemoStudy.makePart10(seed: seed, size: size)
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        print("wrote \(out) (\(bytes.count) bytes)")
    }
}
