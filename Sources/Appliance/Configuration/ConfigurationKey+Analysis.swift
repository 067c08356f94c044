import Analysis

extension ConfigurationKey {
    /// The background analysis of every image taken in.
    static let analysis: [ConfigurationKey] = [
        ConfigurationKey(
            name: "analysis.enabled", kind: .boolean, defaultValue: "true",
            summary: "Queue an analysis (quality check and the active model) for every image taken in, and run the queue in the background."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.enabled = try value.boolean()
        },
        ConfigurationKey(
            name: "analysis.task", kind: .string, defaultValue: "chest-findings",
            summary: "The task queued for every image taken in (see `fluorobox model list`). Images wait in the queue while the task has no active package."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.task = try value.text()
        },
        ConfigurationKey(
            name: "analysis.everyActiveTask", kind: .boolean, defaultValue: "true",
            summary: "Every other task with an active package (e.g. a quality model) also reads the images taken in after its package was activated, each with its own result; older images are not queued for it. `false`: only `analysis.task`."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.everyActiveTask = try value.boolean()
        },
        ConfigurationKey(
            name: "analysis.threads", kind: .number, defaultValue: "2",
            summary: "Threads the model runs on (1–16)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.threads = try value.integer(in: 1...16)
        },
        ConfigurationKey(
            name: "analysis.secondaryCapture", kind: .boolean, defaultValue: "true",
            summary: "Store each overlay as a DICOM Secondary Capture (JPEG baseline) in the image's study, queued for the destinations like any instance."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.secondaryCapture = try value.boolean()
        },
        ConfigurationKey(
            name: "analysis.overlayFont", kind: .string, defaultValue: LegendFont.defaultPath,
            summary: "TrueType font the overlay's legend is drawn in (DejaVu Sans from Debian's fonts-dejavu-core); it needs Cyrillic for `language` `ru`. When it cannot be used the overlay is still made, its legend in built-in Latin capitals in English, with a warning in the log and a failing `fluorobox selftest` check."
        ) { configuration, value throws(ConfigurationError) in
            guard let path = try value.optionalText() else { throw value.invalid("must not be empty") }
            configuration.analysis.overlayFontPath = path
        },
        ConfigurationKey(
            name: "analysis.structuredReport", kind: .boolean, defaultValue: "true",
            summary: "Store each report as a DICOM Structured Report (Comprehensive SR, TID 1500) in the image's study, queued for the destinations like any instance."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.structuredReport = try value.boolean()
        },
        ConfigurationKey(
            name: "analysis.presentationState", kind: .boolean, defaultValue: "true",
            summary: "Store each analysis of a DICOM image as a Grayscale Softcopy Presentation State in the image's study: circles around the flagged regions and their names (in `language`) as graphic annotations over the original image, or \"no findings flagged\", with the second-reader notice; queued for the destinations like any instance."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.presentationState = try value.boolean()
        },
        ConfigurationKey(
            name: "analysis.pollSeconds", kind: .number, defaultValue: "1",
            summary: "Seconds between looks for new work when the queue is empty or no model is active."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.pollSeconds = try value.positive()
        },
        ConfigurationKey(
            name: "analysis.maxAttempts", kind: .number, defaultValue: "3",
            summary: "Runs an analysis may start before it fails for good (1–20); each is counted before the image is read, so an image that crashes its reader cannot loop. A technician can retry a failed analysis (`fluorobox analysis retry`, or the panel)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.maxAttempts = try value.integer(in: 1...20)
        },
        ConfigurationKey(
            name: "analysis.isolation", kind: .string, defaultValue: "process",
            summary: "`process`: decode and analyse each image in a child process, so an image that crashes a decoder or exhausts its memory fails that analysis only; `none`: in the agent itself (development only: such an image stops the agent)."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.isolation = try value.choice(["process", "none"]) == "process" ? .childProcess(executable: nil) : .inProcess
        },
        ConfigurationKey(
            name: "analysis.workerMemoryMiB", kind: .number, defaultValue: "2048",
            summary: "Heap cap of the analysis process, in MiB (64–65536); an image that needs more fails its analysis with that reason."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.workerMemoryLimitBytes = UInt64(try value.integer(in: 64...65536)) << 20
        },
        ConfigurationKey(
            name: "analysis.workerTimeoutSeconds", kind: .number, defaultValue: "300",
            summary: "Seconds the analysis process may take for one image before it is stopped; the attempt counts."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.workerTimeoutSeconds = try value.positive()
        },
    ]
}
