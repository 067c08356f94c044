import FluoroboxTestSupport
import Foundation
import Testing

/// `fluorobox register` and `fluorobox usb` as a technician runs them.
@Suite("fluorobox register and usb commands")
struct USBCommandLineTests {
    static var fluorobox: String { ProcessRunner.fluorobox }

    @Test("register stores the next patient, --show reads it back, --cancel removes it; bad input is refused with the reason")
    func register() async throws {
        let folder = TemporaryDirectory("register-cli")
        let data = folder.file("data")
        let added = try await ProcessRunner.run(Self.fluorobox, ["register", "--data-dir", data, "--id", "P-9", "--name", "Doe, Jane", "--birth-date", "1980-01-31", "--sex", "f", "--note", "chest PA"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("ID P-9, Doe^Jane, born 19800131, sex F"))
        let shown = try await ProcessRunner.run(Self.fluorobox, ["register", "--data-dir", data, "--show", "--json"])
        #expect(shown.status == 0)
        let document = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let pending = document?["pending"] as? [String: Any]
        #expect(pending?["patientID"] as? String == "P-9" && pending?["patientSex"] as? String == "F")
        let cancelled = try await ProcessRunner.run(Self.fluorobox, ["register", "--data-dir", data, "--cancel"])
        #expect(cancelled.stdout.contains("cancelled"))
        let empty = try await ProcessRunner.run(Self.fluorobox, ["register", "--data-dir", data, "--show"])
        #expect(empty.stdout.contains("nobody registered"))
        for arguments in [["--sex", "X", "--id", "A"], ["--birth-date", "31.01.1980", "--id", "A"], ["--note", "x"]] {
            let refused = try await ProcessRunner.run(Self.fluorobox, ["register", "--data-dir", data] + arguments)
            #expect(refused.status != 0 && !refused.stderr.isEmpty, "\(arguments)")
        }
    }

    @Test("usb list answers without devices; grab without --once or without a device fails with the reason")
    func usbCommands() async throws {
        let list = try await ProcessRunner.run(Self.fluorobox, ["usb", "list", "--video-only"])
        #expect(list.status == 0, "\(list.stderr)")
        let folder = TemporaryDirectory("usb-cli")
        let noOnce = try await ProcessRunner.run(Self.fluorobox, ["usb", "grab", folder.file("x.jpg")])
        #expect(noOnce.status != 0 && noOnce.stderr.contains("--once"))
        let absent = try await ProcessRunner.run(Self.fluorobox, ["usb", "grab", "--once", "--device", "1209:fffe", folder.file("x.jpg")])
        #expect(absent.status != 0 && absent.stderr.contains("no USB device matches 1209:fffe"), "\(absent.stderr)")
        let status = try await ProcessRunner.run(Self.fluorobox, ["usb", "status", "--data-dir", folder.file("data")])
        #expect(status.status != 0 && status.stderr.contains("usb.enabled"))
    }
}
