extension ConfigurationKey {
    /// OS updates from the platform.
    static let os: [ConfigurationKey] = [
        ConfigurationKey(
            name: "os.updateIntervalSeconds", kind: .number, defaultValue: "3600",
            summary: "How often the box asks the platform for the OS bundle assigned to it (`fluorobox-hub device assign-os`); a new one is downloaded (resumably), checked as `fluorobox os install` checks a bundle (signature, version, contents) and installed into the other root slot while intake goes on. The box never reboots into it by itself but in `os.maintenanceWindow`. Each outcome is reported to the platform. 0 turns this off."
        ) { configuration, value throws(ConfigurationError) in
            configuration.os.updateIntervalSeconds = try value.nonNegative()
        },
        ConfigurationKey(
            name: "os.maintenanceWindow", kind: .string, defaultValue: "",
            summary: "When the box may reboot into an installed OS update by itself: \"HH:MM-HH:MM\" in the box's local time (\"23:00-02:00\" wraps past midnight). Empty: only the technician reboots into it, from the panel's device page."
        ) { configuration, value throws(ConfigurationError) in
            guard let text = try value.optionalText() else {
                configuration.os.maintenanceWindow = nil
                return
            }
            guard let window = MaintenanceWindow(text) else { throw value.invalid("must be HH:MM-HH:MM, e.g. 02:00-04:00") }
            configuration.os.maintenanceWindow = window
        },
        ConfigurationKey(
            name: "os.quietMinutes", kind: .number, defaultValue: "10",
            summary: "In `os.maintenanceWindow` the box reboots into an installed OS update only when no DICOM association is open, no image waits for analysis and none arrived in the last this many minutes (the next exposure of the same patient may be on its way); until then it looks again every minute of the window."
        ) { configuration, value throws(ConfigurationError) in
            configuration.os.quietMinutes = try value.nonNegative()
        },
    ]
}
