import Analysis
import DICOMNetwork
import Foundation
import Inference
import Logging
import Panel
import POSIXSupport
import StudyStore
import Sync

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
        if configuration.analysis.enabled {
            checks.append(SelfTestCheck(name: "overlay legend font") {
                legendFontCheck(configuration: configuration, logger: logger)
            })
        }
        for destination in configuration.destinations {
            checks.append(SelfTestCheck(name: "destination \(destination.rawValue) reachable") {
                await reachability(of: destination, configuration: configuration, logger: logger)
            })
        }
        return checks
    }

    /// The platform (GET /v1/health) and a DICOMweb PACS (QIDO-RS /studies): each sync client's
    /// own probe over its TLS settings. Other destinations have no client in this build yet.
    static func reachability(of destination: Destination, configuration: ApplianceConfiguration, logger: Logger) async -> SelfTestResult.Outcome {
        guard destination == .dicomweb || destination == .platform else {
            return .skipped("no sync client for \(destination.rawValue) in this build yet")
        }
        do {
            let settings = try configuration.effectiveSync()
            // Where the destination is and what a reachable one answers; each client is shut down after one probe.
            let url: String, answers: String, reachable: Bool
            if destination == .dicomweb {
                guard let address = settings.dicomwebURL else { return .skipped("no PACS address configured (sync.dicomwebURL)") }
                let pacs = try DICOMwebDestination(baseURL: address, settings: settings, counters: SyncCounters(), logger: logger)
                (url, answers, reachable) = (address, "QIDO-RS /studies", await pacs.probe())
                await pacs.shutdown()
            } else {
                guard let address = settings.hubURL else { return .skipped("no platform address configured (sync.hubURL)") }
                let client = try PlatformClient(settings: settings, counters: SyncCounters(), logger: logger)
                (url, answers, reachable) = (address, "/v1/health", await client.probe())
                await client.shutdown()
            }
            let shown = ApplianceSystemSummary.withoutUserInfo(url)
            return reachable ? .pass("\(shown) answers \(answers)") : .fail("\(shown) does not answer \(answers) within 2 s")
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

    /// The font the overlay's legend is drawn in opens and has the box language's letters; a
    /// failure names the file and the Debian package (the overlay is still made, in English).
    static func legendFontCheck(configuration: ApplianceConfiguration, logger: Logger) -> SelfTestResult.Outcome {
        let path = configuration.analysis.overlayFontPath
        switch LegendFont(path: path, logger: logger).face(for: configuration.language) {
        case .success:
            return .pass("\(path) draws the \(configuration.language.rawValue) legend")
        case .failure(let error):
            let remedy = path == LegendFont.defaultPath
                ? "the Debian package \(LegendFont.debianPackage) is installed"
                : "analysis.overlayFont names a usable font (the default, \(LegendFont.defaultPath), is in the Debian package \(LegendFont.debianPackage))"
            return .fail("\(error); overlays are drawn in built-in Latin capitals, in English, until \(remedy)")
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
