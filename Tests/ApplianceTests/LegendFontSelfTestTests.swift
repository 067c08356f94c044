import FluoroboxTestSupport
import Foundation
import Testing

/// `fluorobox selftest` checks the font the overlay's legend is drawn in: it passes with the
/// default DejaVu Sans, and a font that cannot be opened fails with its path and the Debian
/// package to install.
@Suite("The self-test checks the overlay legend's font")
struct LegendFontSelfTestTests {
    @Test("the default font passes for a Russian box; a missing one fails, naming the file and fonts-dejavu-core")
    func legendFont() async throws {
        let folder = TemporaryDirectory("selftest-font")
        let data = folder.file("data")
        // The self-test reads a box's store: one import makes it.
        let study = try folder.write("a.dcm", try SyntheticDICOM.make())
        let imported = try await ProcessRunner.run(ProcessRunner.fluorobox, ["import", "--data-dir", data, study])
        #expect(imported.status == 0, "\(imported.stderr)")
        let quiet = ["FLUOROBOX_DICOM_ENABLED": "false", "FLUOROBOX_LANGUAGE": "ru"]
        let passing = try await ProcessRunner.run(ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet)
        #expect(passing.stdout.contains("PASS  overlay legend font"), "\(passing.stdout)\(passing.stderr)")

        let missing = folder.file("fonts/DejaVuSans.ttf")
        let failing = try await ProcessRunner.run(
            ProcessRunner.fluorobox, ["selftest", "--data-dir", data], environment: quiet.merging(["FLUOROBOX_ANALYSIS_OVERLAY_FONT": missing]) { $1 }
        )
        #expect(failing.status == 1)
        let line = failing.stdout.split(separator: "\n").first { $0.contains("overlay legend font") }.map(String.init) ?? ""
        #expect(line.hasPrefix("FAIL") && line.contains(missing) && line.contains("fonts-dejavu-core"), "\(failing.stdout)")
    }
}
