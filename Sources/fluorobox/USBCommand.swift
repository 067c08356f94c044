import ArgumentParser
import Appliance
import Foundation
import Imaging
import StudyStore
import USBCapture

struct USBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usb",
        abstract: "USB video capture: list devices, grab a frame, show the link state.",
        subcommands: [List.self, Grab.self, Status.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List USB devices; for video (UVC) devices their formats, frame sizes, rates and link speed.")

        @Flag(name: .long, help: "Only USB video class devices.")
        var videoOnly = false

        @OptionGroup var output: JSONOutput

        func run() async throws {
            let devices = try USBContext.with { try $0.devices(readStrings: true) }.filter { !videoOnly || $0.isVideoDevice }
            if try output.printed(devices.map(USBDeviceListing.init)) { return }
            if devices.isEmpty {
                print(videoOnly ? "No USB video devices." : "No USB devices.")
                return
            }
            for device in devices {
                var line = "\(device.name)  \(device.location), \(device.speed.rawValue)"
                if let serial = device.serialNumber { line += ", serial \(serial)" }
                print(line)
                if let problem = device.stringsProblem { print("  names not readable: \(problem)") }
                guard device.isVideoDevice, let configuration = device.configuration else { continue }
                do {
                    let uvc = try UVCDeviceDescription(configuration: configuration)
                    print("  USB Video Class \(uvc.versionText), control interface \(uvc.controlInterface)")
                    for interface in uvc.streamingInterfaces {
                        var transfer = interface.transfer
                        if !interface.isochronousAlternates.isEmpty {
                            transfer += " (alternates: " + interface.isochronousAlternates.map { "\($0.alternate)=\($0.bytesPerInterval)B" }.joined(separator: ", ") + ")"
                        }
                        print("  streaming interface \(interface.interfaceNumber), endpoint 0x\(String(interface.endpointAddress, radix: 16)), \(transfer)")
                        for format in interface.formats {
                            let usable = format.pixelFormat.isSupported ? "" : " (not capturable)"
                            print("    \(format.pixelFormat)\(usable)")
                            for frame in format.frames {
                                print("      \(frame.width)x\(frame.height) @ \(Self.rates(frame)) fps")
                            }
                        }
                    }
                } catch {
                    print("  UVC descriptors unreadable: \(error)")
                }
            }
        }

        static func rates(_ frame: UVCFrameDescriptor) -> String {
            switch frame.intervals {
            case .discrete(let list): return list.map { String(format1: UVCFrameDescriptor.framesPerSecond($0)) }.joined(separator: ", ")
            case .continuous(let minimum, let maximum, _):
                return String(format1: UVCFrameDescriptor.framesPerSecond(maximum)) + "-" + String(format1: UVCFrameDescriptor.framesPerSecond(minimum))
            }
        }
    }

    struct Grab: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Grab one frame from the capture device and write it as a grayscale JPEG.",
            discussion: "Uses the usb.* configuration (device, formats, frame size); the options override it. Stores nothing."
        )

        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Grab a single frame (the only mode).")
        var once = false

        @Option(name: .long, help: "Device: auto, VVVV:PPPP, VVVV:PPPP:SERIAL or serial:SERIAL.")
        var device: String?

        @Option(name: .long, help: "Pixel formats in order of preference, e.g. mjpeg or grey,mjpeg.")
        var format: String?

        @Option(name: .long, help: "Frame size WIDTHxHEIGHT.")
        var frameSize: String?

        @Option(name: .long, help: "Give up after this many seconds.")
        var timeout: Double = 10

        @Argument(help: "Output JPEG file.")
        var output: String

        func validate() throws {
            guard once else { throw ValidationError("give --once: grab writes a single frame") }
        }

        func run() async throws {
            var settings = try common.loadConfiguration().usb
            if let device {
                guard let match = USBDeviceMatch(parsing: device) else { throw ValidationError("--device: \"\(device)\" is not auto, VVVV:PPPP, VVVV:PPPP:SERIAL or serial:SERIAL") }
                settings.device = match
            }
            if let format {
                let formats = format.split(separator: ",").compactMap { UVCPixelFormat(configurationName: String($0)) }
                guard !formats.isEmpty else { throw ValidationError("--format: use y16, grey, yuy2 or mjpeg") }
                settings.formats = formats
            }
            if let frameSize {
                let parts = frameSize.lowercased().split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2 else { throw ValidationError("--frame-size: use WIDTHxHEIGHT") }
                settings.width = parts[0]
                settings.height = parts[1]
            }
            let match = settings.device
            let preferences = settings.preferences
            let limit = timeout
            let result: (UVCFrame, String, USBDeviceInfo, UVCStreamCounters) = try USBContext.with { context in
                guard let info = match.select(from: try context.devices(readStrings: true)) else {
                    throw ReportedFailure(description: "no USB device matches \(match)")
                }
                return try context.withOpenDevice(info) { handle in
                    let camera = try UVCCamera(channel: handle)
                    let selection = try camera.negotiate(preferences)
                    let stop = USBStopSignal()
                    var grabbed: UVCFrame?
                    var counters = UVCStreamCounters()
                    let started = Date()
                    do {
                        try camera.stream(selection, idleTimeoutMilliseconds: UInt32(limit * 1000), until: stop, counters: &counters) { event, _ in
                            if case .frame(let frame) = event, grabbed == nil {
                                grabbed = frame
                                stop.raise()
                            }
                            if Date().timeIntervalSince(started) > limit { stop.raise() }
                        }
                    } catch {
                        if grabbed == nil { throw error }
                    }
                    guard let grabbed else { throw ReportedFailure(description: "no complete frame within \(limit) s (\(counters.dropped) dropped, \(counters.invalidHeaders) invalid headers)") }
                    return (grabbed, selection.description, info, counters)
                }
            }
            let (frame, stream, info, counters) = result
            let image = try FrameConverter.grayscale(frame)
            let shift = image.bitsStored - 8
            let samples = image.samples.map { UInt8(shift > 0 ? Int($0) >> shift : Int($0)) }
            let jpeg = try JPEGCodec.encodeGray8(samples, width: image.width, height: image.height, quality: 95)
            try Data(jpeg).write(to: URL(fileURLWithPath: output))
            print("wrote \(output): \(image.width)x\(image.height) from \(info.name) on \(info.location), \(stream); \(counters.dropped) frame(s) dropped before it")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the capture link state the running agent reports (run/usb-link.json).")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let files = try common.runStateFiles()
            let path = files.path(.usbLink)
            guard let data = files.contents(of: .usbLink) else {
                throw ReportedFailure(description: "no link state at \(path): is the agent running with usb.enabled?")
            }
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }
}

/// One device in `fluorobox usb list --json`.
struct USBDeviceListing: Encodable {
    var vendorProduct: String
    var location: String
    var speed: String
    var manufacturer: String?
    var product: String?
    var serialNumber: String?
    var uvcVersion: String?
    var formats: [String]

    init(_ device: USBDeviceInfo) {
        vendorProduct = device.vendorProduct
        location = device.location
        speed = device.speed.rawValue
        manufacturer = device.manufacturer
        product = device.product
        serialNumber = device.serialNumber
        let uvc = device.configuration.flatMap { try? UVCDeviceDescription(configuration: $0) }
        uvcVersion = uvc?.versionText
        formats = uvc?.streamingInterfaces.flatMap(\.formats).flatMap { format in
            format.frames.map { "\(format.pixelFormat) \($0.width)x\($0.height)" }
        } ?? []
    }
}

extension String {
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
