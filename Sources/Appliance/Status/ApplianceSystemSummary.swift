import Foundation
import Inference
import Logging
import Panel
import POSIXSupport
import StudyStore
import Sync
import USBCapture

/// The agent's side of the panel's status page.
enum ApplianceSystemSummary {
    static func gather(configuration: ApplianceConfiguration, store: StudyStore, logger: Logger) async -> SystemSummary {
        let run = AgentRunState.read(RunStateFiles(directory: store.directory))
        let state = run.agent
        var summary = SystemSummary(
            version: Agent.version, startedAt: state?.startedAt,
            components: ["libusb": USBLibrary.version, "xnnpack": InferenceEngine.probe().description]
        )
        if configuration.dicom.enabled {
            if let port = state?.listeners["dicom"] {
                summary.captureSources.append(.init(name: "dicom-scp", state: "listening", detail: "\(configuration.dicom.aeTitle) port \(port)", healthy: true))
            } else {
                summary.captureSources.append(.init(name: "dicom-scp", state: "not running", healthy: false))
            }
        }
        if configuration.usb.enabled {
            if let link = run.usbLink {
                let detail = [link.device, link.stream, link.lastError].compactMap { $0 }.joined(separator: "; ")
                summary.captureSources.append(.init(name: "usb", state: link.phase.rawValue, detail: detail.isEmpty ? nil : detail, healthy: link.phase == .streaming))
            } else {
                summary.captureSources.append(.init(name: "usb", state: "not running", healthy: false))
            }
        }
        if let folder = configuration.watch.folder {
            let exists = FileManager.default.fileExists(atPath: folder)
            summary.captureSources.append(.init(name: "folder", state: exists ? "watching" : "disconnected", detail: folder, healthy: exists))
        }
        summary.sync = run.sync.map { status in
            .init(
                destination: status.destination, phase: status.phase, lastSuccessAt: status.lastSuccessAt,
                lastError: status.lastError, lastErrorAt: status.lastErrorAt, consecutiveFailures: status.consecutiveFailures
            )
        }
        summary.clockProblem = AgentRunState.clockProblem(sync: run.sync)
        do {
            let records = try await AgentRunState.activeModels(folder: configuration.modelPackagesDirectory, settings: configuration.modelPackages, logger: logger)
            let demonstration = Set(await activeUses(configuration: configuration, logger: logger).filter(\.isDemonstration).map(\.task))
            summary.models = records.map {
                .init(task: $0.task, active: $0.active.description, previous: $0.previous?.description, demonstration: demonstration.contains($0.task))
            }
        } catch {
            summary.models = nil
            summary.modelsProblem = "\(error)"
        }
        return summary
    }

    /// Each task's active package with its manifest's use, read off the cooperative pool; empty
    /// (and logged) when the packages folder cannot be read, which the status page shows anyway.
    static func activeUses(configuration: ApplianceConfiguration, logger: Logger) async -> [ActiveModelUse] {
        let folder = configuration.modelPackagesDirectory, settings = configuration.modelPackages
        do {
            return try await BlockingIO.run { try ModelPackageStore.activeUses(folder: folder, settings: settings) }
        } catch {
            logger.warning("cannot read which models are active", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// The panel's banner: active packages that are demonstration models.
    static func demonstrationModels(configuration: ApplianceConfiguration, logger: Logger) async -> [String] {
        await activeUses(configuration: configuration, logger: logger).filter(\.isDemonstration).map(\.package.description)
    }

    /// Every configuration key with its effective value (the bundle drops secret-looking ones).
    static func configurationValues(_ configuration: ApplianceConfiguration) -> [String: String] {
        var values: [String: String] = [
            "dataDirectory": configuration.dataDirectory, "logLevel": configuration.logLevel,
            "language": configuration.language.rawValue, "analysis.overlayFont": configuration.analysis.overlayFontPath,
            "destinations": configuration.destinations.map(\.rawValue).joined(separator: ","),
            "watch.folder": configuration.watch.folder ?? "",
            "usb.enabled": "\(configuration.usb.enabled)",
            "dicom.enabled": "\(configuration.dicom.enabled)", "dicom.port": "\(configuration.dicom.port)",
            "dicom.aeTitle": configuration.dicom.aeTitle, "dicom.bindAddress": configuration.dicom.bindAddress,
            "modelPackages.directory": configuration.modelPackagesDirectory,
            "panel.enabled": "\(configuration.panel.enabled)", "panel.port": "\(configuration.panel.port)",
            "panel.bindAddress": configuration.panel.bindAddress, "panel.secureCookies": "\(configuration.panel.secureCookies)",
            "panel.lockoutAttempts": "\(configuration.panel.lockoutAttempts)",
            "panel.tlsCertificate": configuration.panel.tlsCertificatePath ?? "", "panel.plainHttpOnLan": "\(configuration.panel.plainHTTPOnLAN)",
        ]
        values["retention"] = "\(configuration.retention)"
        let sync = configuration.sync
        values["sync.hubURL"] = sync.hubURL.map(withoutUserInfo) ?? ""
        values["sync.dicomwebURL"] = sync.dicomwebURL.map(withoutUserInfo) ?? ""
        values["sync.deviceID"] = sync.deviceID
        values["sync.chunkSize"] = "\(sync.chunkBytes)"
        values["sync.bandwidthLimit"] = "\(sync.bandwidthBytesPerSecond)"
        values["sync.backoffInitialSeconds"] = "\(sync.backoff.initial)"
        values["sync.backoffMaximumSeconds"] = "\(sync.backoff.maximum)"
        values["sync.probeIntervalSeconds"] = "\(sync.probeIntervalSeconds)"
        values["sync.readTimeoutSeconds"] = "\(sync.readTimeoutSeconds)"
        // Paths only, never the PEM contents; the key's path is left out like any secret.
        values["sync.tls.certificate"] = configuration.syncTLSCertificate ?? ""
        values["sync.tls.privateKey"] = configuration.syncTLSPrivateKey ?? ""
        values["sync.tls.trustedCA"] = configuration.syncTLSTrustedCA ?? ""
        values["sync.tls.certificateRequest"] = configuration.syncTLSCertificateRequest ?? ""
        values["analysis.enabled"] = "\(configuration.analysis.enabled)"
        values["analysis.task"] = configuration.analysis.task
        values["analysis.everyActiveTask"] = "\(configuration.analysis.everyActiveTask)"
        values["analysis.threads"] = "\(configuration.analysis.threads)"
        values["analysis.secondaryCapture"] = "\(configuration.analysis.secondaryCapture)"
        values["analysis.structuredReport"] = "\(configuration.analysis.structuredReport)"
        values["analysis.presentationState"] = "\(configuration.analysis.presentationState)"
        return values
    }

    /// A URL without user:password@ (a credential someone may have put into it).
    static func withoutUserInfo(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? "[unreadable URL]"
    }
}
