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
            summary: "The task whose active model package reads the images (see `fluorobox model list`). Images wait in the queue while the task has no active package."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.task = try value.text()
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
            name: "analysis.pollSeconds", kind: .number, defaultValue: "1",
            summary: "Seconds between looks for new work when the queue is empty or no model is active."
        ) { configuration, value throws(ConfigurationError) in
            configuration.analysis.pollSeconds = try value.positive()
        },
    ]
}
