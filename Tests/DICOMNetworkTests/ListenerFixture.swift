import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Glibc
import GRDB
import Logging
import NIOCore
import POSIXSupport
import StudyStore
import Testing

/// A real listener on a free loopback port, filing into a real store in a temp folder.
final class ListenerFixture: Sendable {
    let folder: TemporaryDirectory
    let store: StudyStore
    let listener: DICOMListener
    let port: Int
    let serving: Task<Void, any Error>
    /// Set when the listener serves storage commitment (as the agent's does).
    let commitments: StoreCommitmentReceiver?
    static let aeTitle = "FLUOROBOX"

    /// `folder` reuses another fixture's data folder: the same store opened again, as after a restart.
    /// `queryRetrievePeers` non-nil serves Study Root Q/R from the store (or `archive`), C-MOVE to those peers.
    /// `worklist` non-nil serves the modality worklist from the store's registrations with these
    /// settings; `worklistSource` serves it from that source instead.
    init(
        configuration: AcceptorConfiguration = AcceptorConfiguration(aeTitle: ListenerFixture.aeTitle),
        retention: RetentionPolicy = RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0)),
        receiver: (any InstanceReceiver)? = nil, label: String = "listener",
        storageCommitment: Bool = false, folder reused: TemporaryDirectory? = nil,
        queryRetrievePeers: [DICOMPeer]? = nil, archive: (any InstanceArchive)? = nil,
        worklist: DICOMListenerSettings? = nil, worklistSource: (any WorklistSource)? = nil
    ) async throws {
        folder = reused ?? TemporaryDirectory(label)
        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")), retention: retention),
            logger: quietLogger
        )
        self.store = store
        var configuration = configuration
        configuration.acceptsStorageCommitment = storageCommitment
        commitments = storageCommitment ? StoreCommitmentReceiver(store: store, logger: quietLogger) : nil
        configuration.servesQueryRetrieve = queryRetrievePeers != nil
        configuration.servesWorklist = worklist != nil || worklistSource != nil
        listener = DICOMListener(
            configuration: configuration, receiver: receiver ?? DICOMStoreReceiver(store: store, logger: quietLogger),
            commitments: commitments,
            queryRetrieve: queryRetrievePeers.map {
                QueryRetrieveSource(archive: archive ?? StoreInstanceArchive(store: store, logger: quietLogger), moveDestinations: $0)
            },
            worklist: worklistSource ?? worklist.map { StoreWorklistSource(store: store, settings: $0) },
            logger: quietLogger
        )
        port = try await listener.bind(host: "127.0.0.1", port: 0)
        let listener = self.listener
        serving = Task { try await listener.serve() }
    }

    func stop() async {
        await listener.close(grace: .seconds(2))
        _ = await serving.result
    }

    /// Waits until the listener holds `count` connections (accepts land a moment after connect).
    func waitForConnections(_ count: Int) async throws {
        for _ in 0..<750 where await listener.openConnections != count {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the listener has let go of every connection (they end a moment after the peer's).
    func waitUntilIdle() async throws {
        // Up to 15 s: the whole suite shares two cores, and a loaded machine closes slowly.
        for _ in 0..<750 where await listener.openConnections > 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Looking at the store from outside

    func database() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: store.directory.databasePath, configuration: configuration)
    }

    struct StoredInstance: Hashable {
        var sopInstanceUID: String
        var sha256: String
        var transferSyntaxUID: String?
        var source: String
        var sourceDetail: String?
        var blobPath: String
    }

    func instances() throws -> [StoredInstance] {
        try database().read { db in
            try Row.fetchAll(db, sql: "SELECT sopInstanceUID, sha256, transferSyntaxUID, source, sourceDetail, blobPath FROM instance ORDER BY id").map {
                StoredInstance(
                    sopInstanceUID: $0["sopInstanceUID"], sha256: $0["sha256"], transferSyntaxUID: $0["transferSyntaxUID"],
                    source: $0["source"], sourceDetail: $0["sourceDetail"], blobPath: $0["blobPath"]
                )
            }
        }
    }

    func blob(_ instance: StoredInstance) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: store.directory.absolute(instance.blobPath))))
    }

    func temporaryFiles() throws -> [String] {
        try Posix.directoryEntries(store.directory.temporaryPath)
    }

    func quarantinedFiles() throws -> [String] {
        try Posix.directoryEntries(store.directory.quarantinePath)
    }
}

/// Runs a program off Swift's cooperative pool, so the listener's tasks keep running meanwhile.
func runTool(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessRunner.Result {
    try await ProcessRunner.run(executable, arguments, environment: environment)
}

/// Checks a `findscu --cancel 1 -X` run over `matches` matches: it ended well, got some but far
/// fewer than all responses, and the final response was Cancel.
func expectFindCancelled(_ result: ProcessRunner.Result, responsesIn folder: TemporaryDirectory, matches: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(result.status == 0, "findscu: \(result.stderr)", sourceLocation: sourceLocation)
    let responses = try Posix.directoryEntries(folder.path).filter { $0.hasPrefix("rsp") }.count
    #expect(responses >= 1 && responses < matches / 2, "\(responses) responses", sourceLocation: sourceLocation)
    let output = result.stdout + result.stderr
    #expect(output.contains("Received Final Find Response (Cancel"), "findscu: \(output.suffix(2000))", sourceLocation: sourceLocation)
}

/// A TCP port that was free a moment ago (for peers that cannot be told to pick one).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw RawPeer.PeerError(detail: "no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The project's Python venv with pynetdicom, made by tools/install-deps.
var venvPython: String? {
    let path = TestData.packageRoot + "/.venv/bin/python"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}

/// Part 10 files made here: DX-like instances with a payload of the given size.
enum Corpus {
    static func write(count: Int, into folder: TemporaryDirectory, subfolder: String, payloadBytes: Int = 4096) throws -> [(path: String, uid: String)] {
        try (0..<count).map { index in
            let uid = DICOMUID.random()
            let bytes = try SyntheticDICOM.make(sopInstanceUID: uid, payload: SyntheticDICOM.randomBytes(payloadBytes))
            return (try folder.write("\(subfolder)/\(index).dcm", bytes), uid)
        }
    }

    /// A synthetic instance split into what a C-STORE carries.
    static func instance(payload: Int = 4096) throws -> (uid: String, dataSet: ByteBuffer, file: [UInt8]) {
        let uid = DICOMUID.random()
        let file = try SyntheticDICOM.make(sopInstanceUID: uid, payload: SyntheticDICOM.randomBytes(payload))
        let meta = try FileMetaInformation(part10: file)
        return (uid, ByteBuffer(bytes: file[meta.dataSetOffset...]), file)
    }
}

/// A loopback port held bound but not listening: a connection to it is refused, as to a peer
/// that is down, and no other suite's server can take it meanwhile (a port from ``freePort()``
/// may be, under parallel suites); ``release()`` frees it for the peer that comes up.
final class ReservedPort: @unchecked Sendable {
    let port: Int
    private var fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw RawPeer.PeerError(detail: "no free port: errno \(errno)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
