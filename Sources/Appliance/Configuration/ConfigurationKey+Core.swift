import Analysis
import StudyStore

extension ConfigurationKey {
    /// The store, retention, outbox and watched-folder keys.
    static let core: [ConfigurationKey] = [
        ConfigurationKey(
            name: "dataDir", kind: .string, defaultValue: "/var/lib/fluorobox",
            summary: "Folder for the store (store.sqlite), blobs, quarantine and run files. `--data-dir` overrides it."
        ) { configuration, value throws(ConfigurationError) in
            guard let path = try value.optionalText() else { throw value.invalid("must not be empty") }
            configuration.dataDirectory = path
        },
        ConfigurationKey(
            name: "log.level", kind: .string, defaultValue: "info",
            summary: "Log level: trace, debug, info, notice, warning, error or critical."
        ) { configuration, value throws(ConfigurationError) in
            configuration.logLevel = try value.choice(["trace", "debug", "info", "notice", "warning", "error", "critical"])
        },
        ConfigurationKey(
            name: "language", kind: .string, defaultValue: "en",
            summary: "The box's language, `en` or `ru`: the overlay's burned-in legend (in the Secondary Capture a PACS shows) is written in it. The panel follows each browser's choice, and this language for a browser that states none it has."
        ) { configuration, value throws(ConfigurationError) in
            configuration.language = LegendLanguage(rawValue: try value.choice(LegendLanguage.allCases.map(\.rawValue)))!
        },
        ConfigurationKey(
            name: "outbox.destinations", kind: .stringList, defaultValue: "platform",
            summary: "Destinations each intake is queued for (`platform`, `dicomweb`, and `dimse:AE_TITLE` for each PACS or viewer of `dicom.peers` that receives instances by C-STORE); empty keeps images on the box only."
        ) { configuration, value throws(ConfigurationError) in
            configuration.destinations = try value.list().map(Destination.init(rawValue:))
        },
        ConfigurationKey(
            name: "retention.softLimit", kind: .threshold, defaultValue: "10%",
            summary: "Free space below which the box warns and evicts synced blobs, oldest first."
        ) { configuration, value throws(ConfigurationError) in
            configuration.retention.softLimit = try value.threshold()
        },
        ConfigurationKey(
            name: "retention.hardLimit", kind: .threshold, defaultValue: "3%",
            summary: "Free space below which new intake is refused (DICOM 0xA700, HTTP 507). Unsynced data is never evicted."
        ) { configuration, value throws(ConfigurationError) in
            configuration.retention.hardLimit = try value.threshold()
        },
        ConfigurationKey(
            name: "retention.maxStoreBytes", kind: .size, defaultValue: "",
            summary: "Optional cap on blob bytes kept (soft limit at 90% of it); empty means no cap."
        ) { configuration, value throws(ConfigurationError) in
            configuration.retention.maximumStoreBytes = try value.size()
        },
        ConfigurationKey(
            name: "retention.quarantineMaxBytes", kind: .size, defaultValue: "1GB",
            summary: "Bytes quarantine/ (content nobody could file, kept for a person) may hold; past it, or past `retention.quarantineMaxFiles`, the oldest files are removed (audited)."
        ) { configuration, value throws(ConfigurationError) in
            guard let bytes = try value.size() else { throw value.invalid("a quarantine needs a bound") }
            configuration.retention.quarantineMaximumBytes = bytes
        },
        ConfigurationKey(
            name: "retention.quarantineMaxFiles", kind: .number, defaultValue: "1000",
            summary: "Files quarantine/ may hold (1–1000000); past it the oldest are removed (audited)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.retention.quarantineMaximumFiles = try value.integer(in: 1...1_000_000)
        },
        ConfigurationKey(
            name: "retention.checkIntervalSeconds", kind: .number, defaultValue: "60",
            summary: "Seconds between retention passes."
        ) { configuration, value throws(ConfigurationError) in
            configuration.retentionCheckIntervalSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "store.busyTimeoutSeconds", kind: .number, defaultValue: "30",
            summary: "Seconds a writer waits for another process's transaction (e.g. `fluorobox import` beside the agent)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.storeBusyTimeoutSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "watch.folder", kind: .string, defaultValue: "",
            summary: "Export folder or mounted stick to take DICOM, JPEG and PNG files from; empty turns the watcher off."
        ) { configuration, value throws(ConfigurationError) in
            configuration.watch.folder = try value.optionalText()
        },
        ConfigurationKey(
            name: "watch.intervalSeconds", kind: .number, defaultValue: "2",
            summary: "Seconds between scans of the watched folder."
        ) { configuration, value throws(ConfigurationError) in
            configuration.watch.intervalSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "watch.settleSeconds", kind: .number, defaultValue: "2",
            summary: "A file must be unchanged this long, and across two scans, before it is taken."
        ) { configuration, value throws(ConfigurationError) in
            configuration.watch.settleSeconds = try value.nonNegative()
        },
        ConfigurationKey(
            name: "watch.afterImport", kind: .string, defaultValue: "move",
            summary: "What happens to a file once stored: `move` (to watch.movedTo), `delete`, or `keep`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.watch.afterImport = ApplianceConfiguration.AfterImport(rawValue: try value.choice(ApplianceConfiguration.AfterImport.allCases.map(\.rawValue)))!
        },
        ConfigurationKey(
            name: "watch.movedTo", kind: .string, defaultValue: "",
            summary: "Where `move` puts imported files; empty means the `imported` folder inside watch.folder."
        ) { configuration, value throws(ConfigurationError) in
            configuration.watch.movedTo = try value.optionalText()
        },
    ]
}
