import ArgumentParser
import Foundation
import Logging
import PlatformHub
import POSIXSupport
import ServiceLifecycle

/// `fluorobox-hub`: the reference platform receiver that tests and demos sync to.
@main
struct FluoroboxHub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluorobox-hub",
        abstract: "Reference platform receiver for Fluorobox devices (docs/platform-api.yaml).",
        subcommands: [Serve.self, List.self, ArchiveCommand.self, CA.self, Enrolment.self, Device.self, ModelCommand.self, ScreeningCommand.self, RegulatorReportCommand.self, OperatorCommand.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Receive from devices until stopped (SIGTERM/SIGINT).")

    @Option(help: "Folder of the hub's SQLite store (created when missing); with --database only where hub.port is written.") var dataDir: String?
    @Option(help: "PostgreSQL of the region, postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require] (or FLUOROBOX_HUB_DATABASE); without it the hub keeps one SQLite store in --data-dir.") var database: String?
    @Option(help: "With --database: the folder every replica shares for upload parts and received instances (or FLUOROBOX_HUB_STAGING).") var staging: String?
    @Option(help: "With --database: connections per replica; each instance chunk in flight holds one.") var databaseConnections: Int = 20
    @Option(help: "TCP port; 0 picks a free one (written to DATA_DIR/hub.port).") var port: Int = 8443
    @Option(help: "Address to bind.") var host: String = "127.0.0.1"
    @Option(help: "Folder of model packages served as the catalog: a device is offered those assigned to its region or institution (model assign).") var catalogDir: String?
    @Option(help: "Folder of OS bundles (.raucb) served to the devices they are assigned to (device assign-os).") var osBundleDir: String?
    @Option(help: "Share of upload requests answered 503 on purpose (tests).") var failRate: Double = 0
    @Option(help: "Seed of the injected faults.") var faultSeed: UInt64 = 1
    @Option(help: "Log level.") var logLevel: String = "notice"
    @Option(help: "PEM certificate (chain) of the hub; with --tls-key and --tls-client-ca turns on HTTPS with mutual TLS.") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "PEM CA whose client certificates (devices) are accepted; every client must present one, and its subject CN is the device's id. Defaults to the device CA when one is given.") var tlsClientCa: String?
    @Option(help: "Folder made by `ca init`: the region's device CA, which signs enrolled devices (POST /v1/enrolment) and is trusted for client certificates.") var deviceCaDir: String?
    @Option(help: "An operator-supplied device CA certificate (PEM), with --device-ca-key, instead of --device-ca-dir.") var deviceCaCert: String?
    @Option(help: "PEM private key of --device-ca-cert.") var deviceCaKey: String?
    @Option(help: "Days an issued device certificate is valid.") var deviceCertificateDays: Int = 365
    @Flag(help: "Serve plain HTTP without TLS and trust the Fluorobox-Device header as the device's identity (tests and local demos only; never on a network).") var developmentPlainHttp = false
    @Option(help: "The largest instance upload accepted, in bytes (Upload-Length); larger is answered 413.") var maxUploadSize: Int64 = 2 << 30
    @Option(help: "Seconds a connection may send nothing, also mid-body, before it is closed (a stalled chunk frees its upload); 0: never.") var idleTimeout: Double = 60
    @OptionGroup(title: "Archive (with --database)") var archive: ArchiveOptions
    @Option(help: "Serve the operator's console on this port, a listener of its own beside the device API (0: a free one, written to DATA_DIR/console.port); without it there is no console.") var consolePort: Int?
    @Option(help: "Address the console binds; without --console-tls-cert and --console-tls-key only a loopback address.") var consoleHost: String = "127.0.0.1"
    @Option(help: "PEM certificate (chain) of the console's HTTPS (server-only TLS: browsers have no device certificate).") var consoleTlsCert: String?
    @Option(help: "PEM private key of --console-tls-cert.") var consoleTlsKey: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
            return handler
        }
        let logger = Logger(label: "fluorobox-hub")
        let store = try StoreOptions(dataDir: dataDir, database: database, staging: staging, connections: databaseConnections)
            .open(logger: logger)
        var settings = HubServer.Settings()
        if let worker = try archive.worker(store: store, logger: logger) { settings.services.append(worker) }
        settings.host = host
        settings.port = port
        settings.catalogDirectory = catalogDir
        settings.osBundleDirectory = osBundleDir
        settings.faults = HubFaults(failRate: failRate, seed: faultSeed)
        guard maxUploadSize > 0 else { throw ValidationError("--max-upload-size must be positive") }
        settings.maxUploadBytes = maxUploadSize
        guard idleTimeout >= 0 else { throw ValidationError("--idle-timeout must not be negative") }
        settings.idleTimeout = idleTimeout > 0 ? .milliseconds(Int64(idleTimeout * 1000)) : nil
        settings.developmentPlainHTTP = developmentPlainHttp
        var clientCA = tlsClientCa
        switch (deviceCaDir, deviceCaCert, deviceCaKey) {
        case let (dir?, nil, nil):
            settings.deviceCA = try DeviceCA(directory: dir)
            clientCA = clientCA ?? dir + "/" + DeviceCA.certificateFile
        case let (nil, cert?, key?):
            settings.deviceCA = try DeviceCA(certificatePath: cert, privateKeyPath: key)
            clientCA = clientCA ?? cert
        case (nil, nil, nil):
            break
        default:
            throw ValidationError("name the device CA either by --device-ca-dir or by --device-ca-cert with --device-ca-key")
        }
        guard deviceCertificateDays > 0 else { throw ValidationError("--device-certificate-days must be positive") }
        settings.deviceCertificateValidity = .seconds(deviceCertificateDays * 86_400)
        switch (tlsCert, tlsKey) {
        case let (cert?, key?):
            guard let clientCA else {
                throw ValidationError("with --tls-cert and --tls-key, name the CA of device certificates: --tls-client-ca or a device CA (--device-ca-dir)")
            }
            settings.tls = HubTLSSettings(certificatePath: cert, privateKeyPath: key, clientCAPath: clientCA)
        case (nil, nil):
            guard developmentPlainHttp else {
                throw ValidationError("without --tls-cert, --tls-key and --tls-client-ca the hub cannot identify devices; pass --development-plain-http for a test or demo hub")
            }
        default:
            throw ValidationError("--tls-cert, --tls-key and --tls-client-ca go together")
        }
        let dataFolder = dataDir
        // Read by scripts and tests that start a hub on port 0; no fsync, it is rewritten on every start.
        @Sendable func writePort(_ name: String, _ bound: Int) {
            guard let portFile = dataFolder.map({ $0 + "/" + name }) else { return }
            try? Posix.makeDirectories((portFile as NSString).deletingLastPathComponent)
            try? Array("\(bound)\n".utf8).withUnsafeBytes { bytes in
                try Posix.replaceFile(portFile, with: bytes, mode: 0o644, syncFile: false)
            }
        }
        settings.onListening = { bound in
            writePort("hub.port", bound)
            logger.notice("hub listening", metadata: ["port": "\(bound)", "data_dir": "\(dataFolder ?? "-")"])
        }
        if let consolePort {
            var console = HubConsole.Settings()
            console.host = consoleHost
            console.port = consolePort
            console.tlsCertificatePath = consoleTlsCert
            console.tlsKeyPath = consoleTlsKey
            console.osBundleDirectory = osBundleDir
            console.catalogDirectory = catalogDir
            let tls = console.servesTLS
            console.onListening = { bound in
                writePort("console.port", bound)
                logger.notice("console listening", metadata: ["port": "\(bound)", "tls": "\(tls)"])
            }
            settings.services.append(try HubConsole(store: store, settings: console, logger: logger).makeApplication())
        }
        let application = try HubServer(store: store, settings: settings, logger: logger).makeApplication()
        var group = ServiceGroupConfiguration(
            services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        // SIGTERM waits for requests in flight, but a device's upload stalled on a bad link may
        // never end: after 10 s they are cancelled, and a hub that still does not stop 5 s later
        // ends with a crash report instead of holding its port and its supervisor's restart.
        group.maximumGracefulShutdownDuration = .seconds(10)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every item the hub holds.")

    @Option(help: "Folder of the hub's SQLite store.") var dataDir: String?
    @Option(help: "PostgreSQL of the region (as for serve; or FLUOROBOX_HUB_DATABASE).") var database: String?
    @Flag(help: "One JSON array: key, kind, device, sha256, size, receivedAt, bytesResent.") var json = false

    func run() async throws {
        let items = try await StoreOptions(dataDir: dataDir, database: database, staging: nil, connections: 2)
            .withStore { store in try await store.list(device: nil) }
        if json {
            print(String(decoding: try JSONEncoder.compact().encode(items), as: UTF8.self))
        } else {
            for item in items {
                print("\(item.kind)\t\(item.device)\t\(item.sha256)\t\(item.size)\t\(item.key)")
            }
            print("\(items.count) items")
        }
    }
}
