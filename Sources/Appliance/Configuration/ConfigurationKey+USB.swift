import USBCapture

extension ConfigurationKey {
    /// USB capture: the device, the stream, and exposure detection.
    static let usb: [ConfigurationKey] = [
        ConfigurationKey(
            name: "usb.enabled", kind: .boolean, defaultValue: "false",
            summary: "Capture from a USB video grabber or detector (UVC) while the agent runs."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.enabled = try value.boolean()
        },
        ConfigurationKey(
            name: "usb.device", kind: .string, defaultValue: "auto",
            summary: "Which device: `auto` (the first UVC device), `VVVV:PPPP` (hex vendor:product), `VVVV:PPPP:SERIAL`, or `serial:SERIAL`."
        ) { configuration, value throws(ConfigurationError) in
            let text = try value.text()
            guard let match = USBDeviceMatch(parsing: text) else {
                throw value.invalid("\"\(text)\" is not auto, VVVV:PPPP, VVVV:PPPP:SERIAL or serial:SERIAL")
            }
            configuration.usb.device = match
        },
        ConfigurationKey(
            name: "usb.formats", kind: .stringList, defaultValue: "y16,grey,yuy2,mjpeg",
            summary: "Pixel formats in order of preference (`y16`, `grey`, `yuy2`, `mjpeg`); lossless first keeps X-ray detail out of JPEG."
        ) { configuration, value throws(ConfigurationError) in
            var formats: [UVCPixelFormat] = []
            for word in try value.list() {
                guard let format = UVCPixelFormat(configurationName: word) else { throw value.invalid("\"\(word)\" is not y16, grey, yuy2 or mjpeg") }
                formats.append(format)
            }
            guard !formats.isEmpty else { throw value.invalid("name at least one format") }
            configuration.usb.formats = formats
        },
        ConfigurationKey(
            name: "usb.frameSize", kind: .string, defaultValue: "",
            summary: "Frame size as WIDTHxHEIGHT, e.g. `1280x1024`; empty takes the largest the device offers."
        ) { configuration, value throws(ConfigurationError) in
            guard let text = try value.optionalText() else {
                configuration.usb.width = nil
                configuration.usb.height = nil
                return
            }
            let parts = text.lowercased().split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
                throw value.invalid("\"\(text)\" is not a size such as 1280x1024")
            }
            configuration.usb.width = width
            configuration.usb.height = height
        },
        ConfigurationKey(
            name: "usb.framesPerSecond", kind: .number, defaultValue: "",
            summary: "Wanted frame rate; the closest the device offers is taken. Empty uses the device's default."
        ) { configuration, value throws(ConfigurationError) in
            if case .string(let text) = value.json, text.trimmingCharacters(in: .whitespaces).isEmpty {
                configuration.usb.framesPerSecond = nil
                return
            }
            configuration.usb.framesPerSecond = try value.positive()
        },
        ConfigurationKey(
            name: "usb.exposure.changeThreshold", kind: .number, defaultValue: "12",
            summary: "Mean difference (0-255, on thumbnails) that counts as the sharp change starting an exposure."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.changeThreshold = try value.positive()
        },
        ConfigurationKey(
            name: "usb.exposure.stableThreshold", kind: .number, defaultValue: "3",
            summary: "Frame-to-frame difference below which the picture counts as still."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.stableThreshold = try value.positive()
        },
        ConfigurationKey(
            name: "usb.exposure.stableFrames", kind: .number, defaultValue: "3",
            summary: "Consecutive still frames after a change that make the picture settled."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.stableFrames = try value.integer(in: 2...1000)
        },
        ConfigurationKey(
            name: "usb.exposure.integrationFrames", kind: .number, defaultValue: "8",
            summary: "Settled frames averaged into one capture (lowers video noise)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.integrationFrames = try value.integer(in: 1...1000)
        },
        ConfigurationKey(
            name: "usb.exposure.minimumContrast", kind: .number, defaultValue: "8",
            summary: "Standard deviation (0-255) a settled picture needs to be captured; flatter is a blank screen."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.minimumContrast = try value.nonNegative()
        },
        ConfigurationKey(
            name: "usb.exposure.idleAfterFrames", kind: .number, defaultValue: "300",
            summary: "A settled picture shown this many frames without a capture becomes an idle picture (never captured)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.exposure.idleAfterFrames = try value.integer(in: 1...10_000_000)
        },
        ConfigurationKey(
            name: "usb.searchIntervalSeconds", kind: .number, defaultValue: "1",
            summary: "Seconds between looks for the device while it is unplugged."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.searchIntervalSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "usb.stallTimeoutSeconds", kind: .number, defaultValue: "5",
            summary: "Seconds without video data after which the device counts as stalled and is reopened."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.stallTimeoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "usb.modality", kind: .string, defaultValue: "DX",
            summary: "Modality written into captured images (Secondary Capture objects)."
        ) { configuration, value throws(ConfigurationError) in
            guard let text = try value.optionalText(), text.count <= 16 else { throw value.invalid("must be 1 to 16 characters") }
            configuration.usb.modality = text.uppercased()
        },
        ConfigurationKey(
            name: "usb.stationName", kind: .string, defaultValue: "",
            summary: "Station name written into captures; empty uses the capture device's name."
        ) { configuration, value throws(ConfigurationError) in
            configuration.usb.stationName = try value.optionalText()
        },
    ]
}
