import DICOMNetwork
import Foundation
import Inference
import Logging
import Panel
import POSIXSupport
import StudyStore
import Sync
import USBCapture

extension PanelHooks {
    /// What the agent shows in the panel and runs in the self-test; `fluorobox selftest` and
    /// `fluorobox diagnostics` use the same (with `gate` nil and no restart).
    public static func appliance(
        configuration: ApplianceConfiguration, store: StudyStore, gate: ReadinessGate?, logger: Logger,
        restart: (@Sendable () async -> Void)? = nil
    ) -> PanelHooks {
        PanelHooks(
            system: { await ApplianceSystemSummary.gather(configuration: configuration, store: store, logger: logger) },
            isReady: { await gate?.isReady ?? false },
            selfTestChecks: { ApplianceSelfTest.checks(configuration: configuration, store: store, logger: logger) },
            configuration: { ApplianceSystemSummary.configurationValues(configuration) },
            logFiles: [AgentLogFile.path(in: store.directory) + ".1", AgentLogFile.path(in: store.directory)],
            journalUnits: ["fluorobox.service"],
            restartServices: restart
        )
    }
}

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
            summary.models = records.map { .init(task: $0.task, active: $0.active.description, previous: $0.previous?.description) }
        } catch {
            summary.models = nil
            summary.modelsProblem = "\(error)"
        }
        return summary
    }

    /// Every configuration key with its effective value (the bundle drops secret-looking ones).
    static func configurationValues(_ configuration: ApplianceConfiguration) -> [String: String] {
        var values: [String: String] = [
            "dataDirectory": configuration.dataDirectory, "logLevel": configuration.logLevel,
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
        values["analysis.enabled"] = "\(configuration.analysis.enabled)"
        values["analysis.task"] = configuration.analysis.task
        values["analysis.threads"] = "\(configuration.analysis.threads)"
        values["analysis.secondaryCapture"] = "\(configuration.analysis.secondaryCapture)"
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

/// The self-test's checks for this box.
enum ApplianceSelfTest {
    static func checks(configuration: ApplianceConfiguration, store: StudyStore, logger: Logger) -> [SelfTestCheck] {
        var checks: [SelfTestCheck] = [SelfTestCheck.storeIntegrity(store)]
        if configuration.dicom.enabled {
            checks.append(SelfTestCheck(name: "capture: DICOM listener answers C-ECHO") {
                guard let port = RunStateFiles(directory: store.directory).agentState()?.listeners["dicom"] else {
                    return .fail("the agent is not running (no DICOM port in run/agent.json)")
                }
                return await echo(port: port, calledAETitle: configuration.dicom.aeTitle)
            })
        }
        if configuration.usb.enabled {
            checks.append(SelfTestCheck(name: "capture: USB grabber streaming") {
                guard let link = RunStateFiles(directory: store.directory).usbLink() else {
                    return .fail("no link state (is the agent running?)")
                }
                return link.phase == .streaming ? .pass("streaming \(link.stream ?? "")") : .fail("\(link.phase.rawValue)\(link.lastError.map { ": \($0)" } ?? "")")
            })
        }
        if let folder = configuration.watch.folder {
            checks.append(SelfTestCheck(name: "capture: watched folder readable") {
                FileManager.default.isReadableFile(atPath: folder) ? .pass(folder) : .fail("\(folder) is not readable")
            })
        }
        checks.append(SelfTestCheck(name: "models reproduce their reference outputs") {
            await referenceCheck(configuration: configuration, logger: logger)
        })
        for destination in configuration.destinations {
            checks.append(SelfTestCheck(name: "destination \(destination.rawValue) reachable") {
                await reachability(of: destination, configuration: configuration, logger: logger)
            })
        }
        return checks
    }

    /// The platform: the sync client's own probe (GET /v1/health over its TLS settings). Other
    /// destinations have no client in this build yet.
    static func reachability(of destination: Destination, configuration: ApplianceConfiguration, logger: Logger) async -> SelfTestResult.Outcome {
        if destination == .dicomweb {
            do {
                let settings = try configuration.effectiveSync()
                guard let url = settings.dicomwebURL else { return .skipped("no PACS address configured (sync.dicomwebURL)") }
                let pacs = try DICOMwebDestination(baseURL: url, settings: settings, counters: SyncCounters(), logger: logger)
                let reachable = await pacs.probe()
                await pacs.shutdown()
                let shown = ApplianceSystemSummary.withoutUserInfo(url)
                return reachable ? .pass("\(shown) answers QIDO-RS /studies") : .fail("\(shown) does not answer QIDO-RS /studies within 2 s")
            } catch {
                return .fail("\(error)")
            }
        }
        guard destination == .platform else { return .skipped("no sync client for \(destination.rawValue) in this build yet") }
        do {
            let settings = try configuration.effectiveSync()
            guard let url = settings.hubURL else { return .skipped("no platform address configured (sync.hubURL)") }
            let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: logger)
            let reachable = await client.probe()
            await client.shutdown()
            let shown = ApplianceSystemSummary.withoutUserInfo(url)
            return reachable ? .pass("\(shown) answers /v1/health") : .fail("\(shown) does not answer /v1/health within 2 s")
        } catch {
            return .fail("\(error)")
        }
    }

    static func echo(port: Int, calledAETitle: String) async -> SelfTestResult.Outcome {
        let timeout = Duration.seconds(10)
        let requestor = RequestorConfiguration(
            callingAETitle: "SELFTEST", calledAETitle: calledAETitle,
            presentationContexts: [ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])],
            connectTimeout: timeout, associationTimeout: timeout, responseTimeout: timeout
        )
        do {
            let status = try await SCUAssociation.withAssociation(
                host: "127.0.0.1", port: port, configuration: requestor, logger: Logger(label: "selftest", factory: { _ in SwiftLogNoOpLogHandler() })
            ) { association in try await association.echo() }
            return status.isSuccess ? .pass("C-ECHO on port \(port): \(status)") : .fail("C-ECHO on port \(port): \(status)")
        } catch {
            return .fail("C-ECHO on port \(port): \(error)")
        }
    }

    /// Loads each active package (signature and hashes checked) and runs its reference cases.
    static func referenceCheck(configuration: ApplianceConfiguration, logger: Logger) async -> SelfTestResult.Outcome {
        let folder = configuration.modelPackagesDirectory
        guard FileManager.default.fileExists(atPath: folder) else { return .fail("no model packages folder \(folder)") }
        do {
            let outcome = try await ModelPackageStore.withStore(folder: folder, settings: configuration.modelPackages, logger: logger, create: false) { packages in
                let records = try await packages.activations()
                guard !records.isEmpty else { return SelfTestResult.Outcome.fail("no active model (fluorobox model activate)") }
                var lines: [String] = []
                for record in records {
                    let package = try await packages.loadActive(task: record.task)
                    let line = try await BlockingIO.run { try runReference(package, logger: logger) }
                    lines.append(line)
                }
                return .pass(lines.joined(separator: "; "))
            }
            return outcome
        } catch {
            return .fail("\(error)")
        }
    }

    static func runReference(_ package: VerifiedModelPackage, logger: Logger) throws -> String {
        let reference = package.manifest.reference
        do {
            let worst = try package.checkReference(threads: 1, logger: logger)
            return "\(package.reference): \(reference.cases.count) cases, largest difference \(String(format: "%.2g", worst)) ≤ \(reference.tolerance)"
        } catch {
            throw SelfTestFailure(description: "\(package.reference): \(error)")
        }
    }

    struct SelfTestFailure: Error, CustomStringConvertible {
        var description: String
    }
}
