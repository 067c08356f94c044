import Analysis
import BrowserTesting
import Appliance
import BrowserAccess
import Foundation
import FluoroboxTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting
import Panel
import StudyStore

/// A store seeded with a flagged, a normal and a quality-rejected study, a failing platform
/// destination and a registered patient, and a panel over it with known passwords.
final class PanelFixture: Sendable {
    static let technicianPassword = "tech-secret-1"
    static let doctorPassword = "doc-secret-2"
    /// Patient names seeded; none may appear in /metrics or the diagnostics bundle.
    static let patientNames = ["PETROV^IVAN", "IVANOVA^MARIA"]
    static let failingError = "connection refused: platform.example unreachable"

    let folder: TemporaryDirectory
    let store: StudyStore
    let panel: PanelApplication
    let flaggedUID: String
    let normalUID: String
    let retakeUID: String
    let flaggedInstanceID: Int64

    /// `clock`: the time the login throttle and sessions go by (the wall clock when nil).
    init(settings: PanelSettings = PanelFixture.defaultSettings, hooks: PanelHooks? = nil, clock: SettableClock? = nil) async throws {
        folder = TemporaryDirectory("panel")
        var configuration = StoreConfiguration(dataDirectory: DataDirectory(path: folder.path), destinations: [.platform])
        configuration.busyTimeoutSeconds = 10
        let store = try StudyStore.open(configuration, logger: quietLogger)
        self.store = store

        // Known passwords (the first start makes random ones).
        try PanelCredentials.setPassword(Self.technicianPassword, for: .technician, dataDirectory: folder.path)
        try PanelCredentials.setPassword(Self.doctorPassword, for: .doctor, dataDirectory: folder.path)
        let credentials = try PanelCredentials.loadOrCreate(dataDirectory: folder.path).credentials

        let flagged = try await Self.ingest(store, DemoStudy.makePart10(seed: 3, size: 256))
        let normal = try await Self.ingest(store, DemoStudy.makePart10(seed: 4, size: 256))
        let retake = try await Self.ingest(store, SyntheticDICOM.make(patientName: Self.patientNames[0]))
        flaggedUID = flagged.study
        normalUID = normal.study
        retakeUID = retake.study
        flaggedInstanceID = flagged.instance

        let database = try DatabaseQueue(path: folder.path + "/store.sqlite")
        try await database.write { db in
            try Self.addResult(db, instanceID: flagged.instance, flagged: true, verdict: "acceptable", problems: [])
            try Self.addResult(db, instanceID: normal.instance, flagged: false, verdict: "acceptable", problems: [])
            try Self.addResult(db, instanceID: retake.instance, flagged: false, verdict: "retake", problems: [.tooDark])
            try db.execute(sql: "UPDATE outboxItem SET attempts = 4, lastError = ? WHERE destination = 'platform'", arguments: [Self.failingError])
        }
        try database.close()
        try store.register(RegistrationRecord(patientID: "P-778", patientName: Self.patientNames[1], patientBirthDate: "19800101", patientSex: "F", worklistNote: nil))

        panel = PanelApplication(
            store: store, settings: settings, credentials: credentials,
            hooks: hooks ?? PanelHooks(
                system: { SystemSummary(version: "test", startedAt: Date(), captureSources: [.init(name: "dicom-scp", state: "listening", detail: "port 104", healthy: true)]) },
                selfTestChecks: { [SelfTestCheck.storeIntegrity(store)] },
                configuration: { ["panel.port": "0", "platform.apiToken": "must-not-leak"] }
            ),
            logger: quietLogger,
            sessions: clock.map { SessionStore<PanelRole>(settings: settings, clock: $0.reader) }
        )
    }

    static var defaultSettings: PanelSettings {
        var settings = PanelSettings()
        settings.port = 0
        settings.bindAddress = "127.0.0.1"
        settings.lockoutAttempts = 3
        // Long enough that a loaded test machine's next request still falls inside the wait.
        settings.loginFirstDelaySeconds = 3
        settings.eventStreamSeconds = 1.5
        settings.eventIntervalSeconds = 0.5
        return settings
    }

    static func ingest(_ store: StudyStore, _ bytes: [UInt8]) async throws -> (study: String, instance: Int64) {
        let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import)) { try ContentDescriber.describe($0) }
        return (receipt.studyInstanceUID, receipt.instanceID)
    }

    /// A new image queued for `chest-xray` whose analysis then failed for good, as the analysis
    /// service records an image it cannot read; returned as the store lists it.
    func addFailedAnalysis(seed: UInt64, reason: String) async throws -> FailedAnalysis {
        _ = try await store.ingest(.bytes(DemoStudy.makePart10(seed: seed, size: 64)), origin: IntakeOrigin(source: .import, analyses: ["chest-xray"])) {
            try ContentDescriber.describe($0)
        }
        guard let claimed = try store.claimNextAnalysis(tasks: ["chest-xray"]), let id = claimed.analysis.id else {
            throw TestFailure("the new image's analysis was not queued")
        }
        try store.failAnalysis(id: id, reason: reason, retryable: false)
        guard let failed = try store.failedAnalyses().first(where: { $0.id == id }) else {
            throw TestFailure("analysis \(id) is not listed as failed")
        }
        return failed
    }

    /// Bytes nobody could identify, kept in quarantine/ as the DICOM listener keeps them.
    func quarantine(_ bytes: [UInt8]) async {
        _ = try? await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .dicomSCP), unreadable: .quarantine) { _ in
            throw TestFailure("unidentifiable test content")
        }
    }

    /// An analysis row and its result, as the analysis service writes them.
    /// `modelUse` nil writes a report that does not say (a demonstration model's, as before the box recorded it).
    static func addResult(_ db: Database, instanceID: Int64, flagged: Bool, verdict: String, problems: [QualityProblem], modelUse: String? = nil) throws {
        let now = Date()
        try db.execute(sql: """
            INSERT INTO analysis (instanceID, task, modelID, modelVersion, status, attempts, queuedAt, startedAt, finishedAt)
            VALUES (?, 'chest-xray', 'chest-phantom-demo', '1.0.0', 'done', 1, ?, ?, ?)
            """, arguments: [instanceID, now, now, now])
        let analysisID = db.lastInsertedRowID
        let report = reportJSON(flagged: flagged, verdict: verdict, problems: problems, modelUse: modelUse)
        try db.execute(sql: """
            INSERT INTO result (analysisID, instanceID, flagged, qualityVerdict, report, resultHash, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [analysisID, instanceID, flagged, verdict == "acceptable" ? "ok" : "retake", report, "hash-\(analysisID)", now])
    }

    static func reportJSON(flagged: Bool, verdict: String, problems: [QualityProblem], modelUse: String? = nil) -> String {
        var object: [String: Any] = [
            "schemaVersion": 1, "generatedAt": "2026-11-23T10:00:00Z",
            "source": ["sha256": "00", "width": 256, "height": 256],
            "model": ["id": "chest-phantom-demo", "version": "1.0.0", "packageSHA256": "aa", "modelSHA256": "bb", "intendedUse": "demo"],
            "quality": [
                "verdict": verdict,
                "problems": problems.map { problem in
                    ["code": problem.rawValue, "message": problem.summary.en, "messageRU": problem.summary.ru, "advice": problem.advice.en, "adviceRU": problem.advice.ru]
                },
                "measurements": [
                    "mean": 0.4, "standardDeviation": 0.2, "percentile1": 0.01, "percentile5": 0.05, "percentile95": 0.9, "percentile99": 0.95,
                    "saturatedBright": 0, "saturatedDark": 0, "lungsMinusMediastinum": -0.1, "flatEdgeFraction": 0,
                ],
            ],
            "status": "analysed",
            "findings": [
                ["id": "nodule", "display": "Nodule", "probability": flagged ? 0.91 : 0.05, "threshold": 0.5, "flaggedForReview": flagged],
                ["id": "effusion", "display": "Pleural effusion", "probability": 0.1, "threshold": 0.5, "flaggedForReview": false],
            ],
            "summary": flagged ? "Flagged for review: Nodule (91%)." : "No findings flagged.",
            "notice": AnalysisReport.notice,
            "timings": ["decodeMilliseconds": 1, "qualityMilliseconds": 1, "preprocessMilliseconds": 1, "inferenceMilliseconds": 1, "overlayMilliseconds": 1, "totalMilliseconds": 5],
        ]
        if let modelUse {
            object["model"] = (object["model"] as? [String: Any] ?? [:]).merging(["use": modelUse]) { $1 }
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

extension Browser {
    /// Loads the login page (for its CSRF token) and logs in.
    mutating func logIn(_ role: PanelRole, password: String? = nil) async throws -> TestResponse {
        let page = try await get("/login")
        let token = Self.hiddenField("csrf", in: String(buffer: page.body))!
        return try await post("/login", [
            "csrf": token, "role": role.rawValue, "next": "/status",
            "password": password ?? (role == .doctor ? PanelFixture.doctorPassword : PanelFixture.technicianPassword),
        ])
    }

    /// The CSRF token of the session, read off a page.
    mutating func csrfToken() async throws -> String {
        Self.hiddenField("csrf", in: String(buffer: try await get("/register").body))!
    }
}
