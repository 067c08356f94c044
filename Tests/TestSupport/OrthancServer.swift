import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import POSIXSupport
import Synchronization

/// Debian's Orthanc as the region's PACS: DICOMweb plugin, basic auth, and optionally its index
/// in PostgreSQL (the orthanc-postgresql plugin) in a database of a test's ``PostgresServer``.
/// It runs as the `orthanc` user when the tests run as root. A Lua filter appends a line to
/// ``stowLog`` for every STOW-RS request, so a test counts what was sent, not only what is held.
public final class OrthancServer: Sendable {
    public static let binary = "/usr/sbin/Orthanc"
    public static let dicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
    public static let postgresIndexPlugin = "/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so"

    /// Why Orthanc cannot run here; nil when it can.
    public static let unavailableReason: String? = {
        for (path, package) in [(binary, "orthanc"), (dicomWebPlugin, "orthanc-dicomweb"), (postgresIndexPlugin, "orthanc-postgresql")]
        where !FileManager.default.fileExists(atPath: path) {
            return "\(path) is missing: tools/install-deps installs \(package)"
        }
        return nil
    }()

    public let httpPort: Int
    public let folder: TemporaryDirectory
    public let username = "hub"
    public let password = "archive-secret"
    private let configuration: String
    private let process = Mutex<Process?>(nil)

    public var url: String { "http://127.0.0.1:\(httpPort)" }
    public var dicomWebRoot: String { url + "/dicom-web" }
    public var stowLog: String { folder.path + "/stow-requests.log" }

    /// Starts Orthanc and waits until its REST API answers. `index`: a PostgreSQL database URL's
    /// parts for the index (nil: Orthanc's own SQLite).
    public static func start(label: String = "orthanc", index: (port: Int, user: String, database: String)?) async throws -> OrthancServer {
        if let unavailableReason { throw TestServerError(unavailableReason) }
        let server = try OrthancServer(label: label, index: index)
        try await server.start()
        return server
    }

    private init(label: String, index: (port: Int, user: String, database: String)?) throws {
        httpPort = LoopbackPort.free()
        folder = TemporaryDirectory(label)
        let storage = folder.path + "/storage"
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        let lua = """
            function IncomingHttpRequestFilter(method, uri, ip, username, httpHeaders)
              if method == 'POST' and string.find(uri, '/dicom%-web/studies') then
                local f = io.open('\(folder.path)/stow-requests.log', 'a')
                f:write(uri .. '\\n')
                f:close()
              end
              return true
            end
            """
        let script = try folder.write("count-stow.lua", Array(lua.utf8))
        var plugins = [Self.dicomWebPlugin]
        var settings: [String: Any] = [
            "Name": "fluorobox-test-pacs", "StorageDirectory": storage, "IndexDirectory": storage,
            "HttpPort": httpPort, "DicomServerEnabled": true, "DicomPort": LoopbackPort.free(),
            "RemoteAccessAllowed": false, "AuthenticationEnabled": true, "RegisteredUsers": [username: password],
            "DicomWeb": ["Enable": true, "Root": "/dicom-web/"], "LuaScripts": [script],
        ]
        if let index {
            plugins.append(Self.postgresIndexPlugin)
            settings["PostgreSQL"] = [
                "EnableIndex": true, "EnableStorage": false, "Host": "127.0.0.1", "Port": index.port,
                "Database": index.database, "Username": index.user, "Password": "",
                // A test kills Orthanc and starts it again on the same index.
                "Lock": false,
            ]
        }
        settings["Plugins"] = plugins
        configuration = folder.path + "/orthanc.json"
        try JSONSerialization.data(withJSONObject: settings).write(to: URL(fileURLWithPath: configuration))
        if geteuid() == 0 {
            // Orthanc as root would work, but a PACS never runs so: the orthanc user owns the folder.
            guard let account = getpwnam("orthanc") else {
                throw TestServerError("running as root and there is no orthanc user (Debian's orthanc package makes it)")
            }
            for path in [folder.path, storage, script, configuration] {
                guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                    throw TestServerError("chown \(path) to orthanc: errno \(errno)")
                }
            }
        }
    }

    /// Starts Orthanc on the same folder, ports and index (after ``stop()``).
    public func start() async throws {
        let process = Process()
        if geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=orthanc", "--regid=orthanc", "--init-groups", "--", Self.binary, configuration]
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = [configuration]
        }
        let log = folder.path + "/orthanc.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.seekToEnd()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        self.process.withLock { $0 = process }
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw TestServerError("Orthanc exited \(process.terminationStatus) at start: \(String((try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? ""))")
            }
            if let (_, status) = try? await get("/system"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestServerError("Orthanc did not answer on \(httpPort) within 180 s")
    }

    /// SIGKILL: Orthanc's own shutdown can take long, and a PACS that vanishes is what the
    /// tests want anyway.
    public func stop() async {
        guard let process = process.withLock({ $0 }), process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        try? await BlockingIO.run { process.waitUntilExit() }
    }

    /// A GET of the REST API with the test's credentials: the body and the HTTP status.
    public func get(_ path: String) async throws -> (Data, Int) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.setValue("Basic " + Data("\(username):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    /// Every instance Orthanc holds: its Orthanc id and SOP Instance UID.
    public func instances() async throws -> [(id: String, sopInstanceUID: String)] {
        let (data, _) = try await get("/instances?expand")
        let instances = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return instances.compactMap { instance in
            guard let id = instance["ID"] as? String,
                  let uid = (instance["MainDicomTags"] as? [String: Any])?["SOPInstanceUID"] as? String else { return nil }
            return (id, uid)
        }
    }

    /// The bytes of an instance as Orthanc keeps them.
    public func file(_ id: String) async throws -> [UInt8] {
        let (data, status) = try await get("/instances/\(id)/file")
        guard status == 200 else { throw TestServerError("GET /instances/\(id)/file answered \(status)") }
        return Array(data)
    }

    /// How many STOW-RS requests Orthanc received (the Lua filter's count).
    public var stowRequests: Int {
        ((try? String(contentsOfFile: stowLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    deinit {
        if let process = process.withLock({ $0 }), process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
