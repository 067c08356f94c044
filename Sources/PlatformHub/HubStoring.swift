import Foundation
import Hummingbird
import ServiceLifecycle
import StudyStore

/// What the hub keeps, whatever keeps it: one SQLite file (``HubStore``, one process, tests and
/// small sites) or PostgreSQL (``PostgresHubStore``, the region's replicas).
///
/// Every method that answers success has made it durable first (fsync'd bytes, a committed
/// transaction with synchronous commit): the hub's answer is a promise the box acts on.
public protocol HubStoring: Sendable {
    /// Long-running parts the store needs (a connection pool), run beside the server.
    var services: [any Service] { get }

    /// Brings the schema up to date and makes the staging folders; called once the services
    /// run, before the server listens.
    func prepare() async throws(HubError)

    /// Brings the schema up to date only: the operator's commands, which may run before any
    /// replica has served (an enrolment token made ahead of the first start) and stage nothing.
    func prepareSchema() async throws(HubError)

    /// Throws `unavailable` (503) when the store cannot serve a request now: `GET /v1/health`
    /// asks, so a load balancer takes a replica without its database out of its pool.
    func checkAvailable() async throws(HubError)

    /// Stores a JSON document under `device`'s `key` (with the digest `document` carries). false:
    /// the same content was already held;
    /// other content under the key is a conflict. The device's credential is checked as
    /// ``checkCredential(device:serial:)`` does, in the same statement or transaction as the
    /// write: a revoked device or a replaced certificate is 403 and nothing is stored.
    func putDocument(key: String, kind: String, device: String, serial: String?, document: DocumentBody) async throws(HubError) -> Bool

    func uploadState(device: String, key: String) async throws(HubError) -> HubUploadState

    /// Appends one chunk of an instance upload at `upload.offset`, durably, then completes the
    /// upload when the last byte arrived. Throws `offsetMismatch` when the chunk does not start
    /// where the hub's bytes end (the caller answers 409 with ``uploadState(device:key:)``).
    func receiveChunk(device: String, key: String, upload: UploadHeaders, body: RequestBody) async throws -> HubChunkOutcome

    func recordHello(device: String, version: String?) async throws(HubError)

    /// Keeps `heartbeat` (validated; `document` its canonical bytes) as `device`'s latest, in its
    /// bounded history (``HubHeartbeat/historyPerDevice``), and records the agent version and
    /// last-seen time, in one transaction that also checks the device's credential as
    /// ``checkCredential(device:serial:)`` does (refused: 403, nothing recorded).
    func recordHeartbeat(device: String, serial: String?, heartbeat: DeviceHeartbeat, document: [UInt8]) async throws(HubError)

    /// Each device's latest heartbeat (`fluorobox-hub device list`), by device.
    func latestHeartbeats() async throws(HubError) -> [String: HubHeartbeat]

    /// `device`'s last `limit` heartbeats, newest first (`fluorobox-hub device show`).
    func heartbeats(device: String, limit: Int) async throws(HubError) -> [HubHeartbeat]

    /// Every item (the operator's `fluorobox-hub list`), or one device's (`GET /v1/items`).
    func list(device: String?) async throws(HubError) -> [HubListing]

    // MARK: Enrolment and revocation

    /// Keeps a new one-time token (its digest only), audited (by its `createdBy`) in the same
    /// transaction.
    func createEnrolmentToken(_ token: EnrolmentToken) async throws(HubError)

    /// Consumes the token whose digest is `tokenSHA256` and records `certificate` as its
    /// device's current one, in one transaction: of concurrent uses (on any replica) exactly one
    /// commits. A used, expired, unknown or other device's token is 403 with the reason.
    func enrol(tokenSHA256: String, certificate: IssuedDeviceCertificate) async throws(HubError)

    /// Marks `device` revoked; every replica refuses its next request. false: already revoked.
    /// The audit row (by `actor`, both outcomes) is written in the same transaction.
    func revoke(device: String, reason: String?, by actor: String) async throws(HubError) -> Bool

    /// 403 when `device` is revoked or `serial` (its certificate's, nil without TLS) is not its
    /// current certificate; read per request so a revocation holds at once everywhere.
    func checkCredential(device: String, serial: String?) async throws(HubError)

    /// Every device seen, enrolled or revoked (`fluorobox-hub device list`).
    func devices() async throws(HubError) -> [HubDeviceListing]

    // MARK: Regulator report

    /// Records (or replaces) the institution `device` works for; a device may be named before
    /// it first calls.
    func setInstitution(_ institution: DeviceInstitution, device: String) async throws(HubError)

    /// Every recorded institution, by device.
    func institutions() async throws(HubError) -> [String: DeviceInstitution]

    /// Assigns (or replaces) the OS bundle `device` is to install, and audits it (as
    /// `assignment.assignedBy`) in the same transaction; a device may be named before it first calls.
    func assignOSBundle(_ assignment: OSBundleAssignment, device: String) async throws(HubError)

    /// Takes back `device`'s OS bundle and audits it (as `actor`, at `at`) in the same
    /// transaction; the box is then offered nothing (204). Returns what was assigned; nil (and
    /// nothing audited) when nothing was.
    func unassignOSBundle(device: String, by actor: String, at: Date) async throws(HubError) -> OSBundleAssignment?

    /// The OS bundle assigned to `device`, if any.
    func osAssignment(device: String) async throws(HubError) -> OSBundleAssignment?

    // MARK: Screening lists per institution

    /// Adds `entries` (of one institution, as ``ScreeningListCSV`` read them) to its list and
    /// audits the import (as `actor`) in one transaction: all or nothing. An entry of a patient
    /// and due date already held is kept with its accession (its details from the file); a new
    /// one gets the next accession of the hub's sequence.
    func importScreeningList(_ entries: [ScreeningEntry], institution: String, file: String?, by actor: String, at: Date) async throws(HubError) -> ScreeningImport

    /// `institution`'s list (by its ИНН or OID), by due date then accession.
    func screeningList(institution: String) async throws(HubError) -> [ScreeningEntry]

    /// The list of `device`'s institution (entries under its ИНН or its OID), by due date then
    /// accession; empty for a device without a recorded institution.
    func screeningList(device: String) async throws(HubError) -> [ScreeningEntry]

    /// Removes the entry with `accessionNumber` and audits it (as `actor`) in one transaction.
    /// Returns what was removed; nil (and nothing audited) when there is no such entry.
    func removeScreeningEntry(accessionNumber: String, by actor: String, at: Date) async throws(HubError) -> ScreeningEntry?

    // MARK: The model catalog per region

    /// Assigns `assignment.file` (pinned by its size and SHA-256) to its target and audits it (as
    /// `assignment.assignedBy`) in the same transaction. The same file to the same target again
    /// re-pins it and keeps its id. Returns what is stored, with its id.
    func assignModel(_ assignment: ModelAssignment) async throws(HubError) -> ModelAssignment

    /// Takes back assignment `id` and audits it (as `actor`, at `at`) in the same transaction.
    /// Returns what was assigned; nil (and nothing audited) when there is no such assignment.
    func unassignModel(id: Int64, by actor: String, at: Date) async throws(HubError) -> ModelAssignment?

    /// Every model assignment, by file, then in the order they were first made.
    func modelAssignments() async throws(HubError) -> [ModelAssignment]

    /// The assignments that reach `device`: its institution's region, or its institution named
    /// (by ИНН or OID). None for a device without a recorded institution.
    func modelAssignments(device: String) async throws(HubError) -> [ModelAssignment]

    // MARK: Staged rollouts

    /// Keeps a new rollout (``ModelRollout/start(_:replacing:stages:thresholds:by:at:)``) and
    /// audits it in the same transaction. A conflict when its assignment is gone or re-pinned, or
    /// already has a running or halted rollout. Returns it with its id.
    func startRollout(_ rollout: ModelRollout) async throws(HubError) -> ModelRollout

    /// Every rollout, oldest first.
    func modelRollouts() async throws(HubError) -> [ModelRollout]

    /// Writes `rollout` (a change made by ``ModelRollout/applying(_:by:at:)``) only over the
    /// revision it was decided on (`rollout.revision - 1`), and audits it as `action` in the same
    /// transaction. false: another change (another replica, an operator) came first; nothing written.
    func updateRollout(_ rollout: ModelRollout, action: String) async throws(HubError) -> Bool

    /// The `model-update` documents about the package with `sha256`, of every device or one.
    func modelUpdateReports(sha256: String, device: String?) async throws(HubError) -> [ModelUpdateReport]

    /// The devices whose credential is revoked.
    func revokedDevices() async throws(HubError) -> Set<String>

    /// The doctors' verdicts (agreed, disagreed) on `model`@`version` in the daily post-market
    /// reports of `devices` for days from `fromDay` (YYYY-MM-DD) on, summed by the database: a
    /// rollout's evaluation needs only the sums, on every model-update document.
    func doctorVerdicts(model: String, version: String, devices: [String], fromDay: String) async throws(HubError) -> (agree: Int, disagree: Int)

    /// The daily post-market reports of days `from`…`to` (YYYY-MM-DD, both included).
    func dailyReports(from: String, to: String) async throws(HubError) -> [RegulatorReport.DailyReport]

    /// What each device delivered per day of `from`…`to` (YYYY-MM-DD, UTC, both included, by
    /// the time received): the console's intake and results figures. Days without anything
    /// are absent.
    func dailyIntake(from: String, to: String) async throws(HubError) -> [DailyIntake]

    /// The `shadow-agreement` documents of days `from`…`to` (YYYY-MM-DD, the day the box
    /// counted, both included) added up per device and pair of packages, per finding; one
    /// document per device, pair and day (the one received last). The console's Shadow runs page.
    func shadowAgreementTotals(from: String, to: String) async throws(HubError) -> [ShadowAgreementTotal]

    /// How many `shadow-agreement` documents the totals of a period starting on `day` read, and
    /// the last one's row: the console keeps a period's totals while this stays the same.
    func shadowAgreementsReceived(since day: String) async throws(HubError) -> ShadowAgreementTotal.Received

    // MARK: Console operators and the audit

    /// Adds an account and `audit`s it in one transaction; an existing name is a conflict.
    func addOperator(_ account: ConsoleOperator, audit: ConsoleAuditEntry) async throws(HubError)

    /// Every account, by name.
    func operators() async throws(HubError) -> [ConsoleOperator]

    /// One account; nil when there is none by that name. Read on every console request, so a
    /// removed account or a changed role holds at once on every replica.
    func consoleOperator(name: String) async throws(HubError) -> ConsoleOperator?

    /// Changes a role and `audit`s it in one transaction; not found, or a conflict when no admin
    /// would be left.
    func setOperatorRole(name: String, role: OperatorRole, audit: ConsoleAuditEntry) async throws(HubError)

    /// Removes an account and `audit`s it in one transaction; not found, or a conflict when no
    /// admin would be left.
    func removeOperator(name: String, audit: ConsoleAuditEntry) async throws(HubError)

    /// Appends to the audit (a change another method made: a token, a revocation, a login).
    func recordAudit(_ entry: ConsoleAuditEntry) async throws(HubError)

    /// The newest `limit` audit entries, newest first.
    func auditEntries(limit: Int) async throws(HubError) -> [ConsoleAuditEntry]
}

/// Where an upload stands: complete (held, with the size and SHA-256 the hub holds), in
/// progress at an offset (with the length and SHA-256 announced), or unknown (offset 0).
public enum HubUploadState: Sendable, Equatable {
    case complete(size: Int64, sha256: String)
    case partial(offset: Int64, length: Int64?, sha256: String?)
}

/// What one accepted chunk did.
public enum HubChunkOutcome: Sendable, Equatable {
    /// The hub already held exactly these bytes under the key (200).
    case alreadyHeld(HubUploadState)
    /// Held durably; the upload goes on from the state's offset (202).
    case accepted(HubUploadState)
    /// The last byte arrived, the digest matched and the item is recorded (201).
    case completed(HubUploadState)
}
