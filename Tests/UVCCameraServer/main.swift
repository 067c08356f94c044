// uvc-camera-server: an emulated UVC camera served over USB/IP, for the end-to-end test in a
// QEMU guest (tools/usb-e2e/run) and for trying `fluorobox usb` without hardware.
//
// Commands on standard input, one per line: expose | unplug | vanish-mid-frame | garbage N |
// error N | torn N | stall | freeze | thaw | status | quit. Replies and events go to standard
// output, one line each, prefixed "camera:".
import Foundation
import Imaging
import UVCEmulator

func say(_ text: String) {
    FileHandle.standardOutput.write(Data(("camera: " + text + "\n").utf8))
}

let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let kind = option("--profile") ?? "isochronous"
let width = Int(option("--width") ?? "320") ?? 320
let height = Int(option("--height") ?? "240") ?? 240
var profile = kind == "bulk" ? EmulatedCameraProfile.bulkDetector(width: width, height: height) : EmulatedCameraProfile.isochronousGrabber(width: width, height: height)
profile.realTime = true
if let fps = option("--fps").flatMap(Double.init) { profile.frameIntervals = [UInt32(10_000_000 / fps)] }
let scene = ExposureScene(width: width, height: height, holdFrames: Int(option("--hold-frames") ?? "20") ?? 20)
let camera = EmulatedUVCCamera(profile: profile, scene: scene)
let server = USBIPServer(camera: camera, busID: option("--bus-id") ?? "1-1", log: { say($0) })

if let path = option("--expected-pgm") {
    // The picture an exposure shows: a capture must match it within JPEG tolerance.
    let header = Array("P5\n\(width) \(height)\n255\n".utf8)
    try Data(header + scene.exposureImage).write(to: URL(fileURLWithPath: path))
}
do {
    try server.start(port: UInt16(option("--port") ?? "0") ?? 0)
} catch {
    say("error: \(error)")
    exit(1)
}
say("listening on 127.0.0.1:\(server.port) bus \(server.busID) profile \(kind) \(width)x\(height)")

while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    guard let command = words.first else { continue }
    let count = words.count > 1 ? Int(words[1]) ?? 1 : 1
    switch command {
    case "expose":
        let frame = camera.currentFrame + 1
        scene.expose(atFrame: frame)
        say("exposure \(scene.exposures) starts at frame \(frame)")
    case "unplug":
        server.unplug()
    case "vanish-mid-frame":
        camera.injectFaults { $0.disconnectAfterPayloads = 3 }
        say("the device will vanish after 3 more payloads")
    case "garbage": camera.injectFaults { $0.garbageHeaders += count }; say("garbage headers: \(count)")
    case "error": camera.injectFaults { $0.errorFrames += count }; say("error frames: \(count)")
    case "torn": camera.injectFaults { $0.tornFrames += count }; say("torn frames: \(count)")
    case "stall": camera.injectFaults { $0.stalled = true }; say("endpoint stalled")
    case "freeze": camera.injectFaults { $0.frozen = true }; say("device frozen")
    case "thaw": camera.injectFaults { $0.frozen = false }; say("device thawed")
    case "status":
        say("status connected=\(server.isConnected) imports=\(server.imports) streaming=\(camera.isStreaming) frames=\(camera.framesSent) frame=\(camera.currentFrame) exposing=\(scene.isExposing(atFrame: camera.currentFrame)) exposures=\(scene.exposures)")
    case "quit":
        server.stop()
        say("bye")
        exit(0)
    default:
        say("unknown command \(command)")
    }
}
server.stop()
