import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import POSIXSupport
import Testing

/// Figures, not limits: what a catalog poll and a rollout evaluation cost on PostgreSQL with a
/// region of 2,000 devices and two weeks of their daily post-market reports, printed beside the
/// same poll without a rollout (no timing is asserted; what is offered is).
struct RolloutScaleTests {
    static let region = "Тверская область"
    static let fleet = 2000
    static let days = 14

    @Test(
        "2,000 devices: a catalog poll under a running rollout and the rollout's evaluation, server time printed beside the poll without one",
        .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? ""))
    )
    func catalogPollAtScale() async throws {
        let server = try await PostgresServer.start("pg-rollout-scale")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("pg-rollout-scale-staging")
        let catalog = TemporaryDirectory("pg-rollout-scale-catalog")
        try Data("chest model 2.2.0".utf8).write(to: URL(fileURLWithPath: catalog.file("chest-2.2.0.fbmodel")))
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            let store = stores[0]
            _ = try await store.institutions()  // the schema is in place
            _ = try await server.sql("""
                INSERT INTO device_institution (device, region, name, tax_id)
                SELECT 'fleet-' || i, '\(Self.region)', 'ЦРБ ' || (i % 40), '7707083893' FROM generate_series(1, \(Self.fleet)) i;
                INSERT INTO item (device, key, kind, sha256, size, body, received_at)
                SELECT 'fleet-' || i, 'report:fleet-' || i || ':chest:2.2.0:' || to_char(d, 'YYYY-MM-DD'), 'report', repeat('0', 64), 240,
                       convert_to(json_build_object(
                           'device', 'fleet-' || i, 'model', 'chest', 'version', '2.2.0', 'day', to_char(d, 'YYYY-MM-DD'),
                           'processed', 40, 'flagged', 5, 'retakesAdvised', 0, 'doctorAgree', 30, 'doctorDisagree', 2,
                           'latencyP50ms', 200, 'latencyP95ms', 400, 'errors', 0)::text, 'UTF8'),
                       d + interval '1 day'
                FROM generate_series(1, \(Self.fleet)) i, generate_series(now()::date - \(Self.days), now()::date - 1, interval '1 day') d;
                ANALYZE;
                """, database: "hub")
            let devices = (1...Self.fleet).map { "fleet-\($0)" }
            let polled = Array(devices.shuffled().prefix(200))
            let assignment = try await store.assignModel(
                try ModelAssignment.of(file: "chest-2.2.0.fbmodel", in: catalog.path, target: .region(Self.region), assignedBy: "ops"))
            let models = ModelCatalog(folder: catalog.path, store: store)

            func polls() async throws -> (offered: Int, milliseconds: [Double]) {
                var offered = 0
                var times: [Double] = []
                for device in polled {
                    let started = ContinuousClock.now
                    offered += try await models.offers(to: device).count
                    times.append((ContinuousClock.now - started).inMilliseconds)
                }
                return (offered, times.sorted())
            }
            let plain = try await polls()
            #expect(plain.offered == polled.count, "every device of the region is offered the assigned package")

            let rollout = try await store.startRollout(try ModelRollout.start(
                assignment, replacing: nil, stages: [5, 25, 100],
                thresholds: .init(installFailurePercent: 10, referenceFailurePercent: 10, disagreePercent: 20, minimumReviewed: 10), by: "ops"))
            // Counting began two weeks ago: the evaluation reads every daily report since.
            _ = try await server.sql(
                "UPDATE model_rollout SET counting_since = now() - interval '\(Self.days) days' WHERE id = \(rollout.id)", database: "hub")
            let rolling = try await polls()
            let stageOne = Set(rollout.cohortOrder(devices).prefix(Self.fleet * 5 / 100))
            #expect(rolling.offered == polled.filter(stageOne.contains).count, "only stage 1's devices are offered it")

            // 90 of stage 1's 100 devices activated it: the stage waits for the rest, and the
            // doctors' verdicts on its version are read from every daily report since counting began.
            let activated = Array(rollout.cohortOrder(devices).prefix(90))
            _ = try await server.sql("""
                INSERT INTO item (device, key, kind, sha256, size, body)
                SELECT d, 'model-update:' || d || ':\(assignment.sha256)', 'model-update', repeat('0', 64), 200,
                       convert_to(json_build_object(
                           'device', d, 'file', '\(assignment.file)', 'sha256', '\(assignment.sha256)', 'outcome', 'activated',
                           'package', 'chest@2.2.0', 'at', '2026-12-07T12:00:00Z')::text, 'UTF8')
                FROM unnest(ARRAY['\(activated.joined(separator: "','"))']) d;
                """, database: "hub")
            let supervisor = RolloutSupervisor(store: store, logger: quietLogger)
            var evaluations: [Double] = []
            for _ in 0..<3 {
                let started = ContinuousClock.now
                let changes = try await supervisor.evaluate()
                evaluations.append((ContinuousClock.now - started).inMilliseconds)
                #expect(changes.isEmpty, "10 of stage 1's devices have not reported: nothing to change")
            }
            let counting = try #require(try await store.modelRollouts().first { $0.id == rollout.id })
            let progress = try await RolloutSupervisor.progress(of: counting, store: store)
            // 32 reviews a day for 14 days on each of stage 1's 100 devices.
            #expect(progress.reviewed == 100 * Self.days * 32 && progress.disagreed == 100 * Self.days * 2 && progress.waiting == 10, "\(progress)")

            func figure(_ times: [Double]) -> String {
                "median \(Self.format(times[times.count / 2])) ms, p95 \(Self.format(times[times.count * 95 / 100])) ms"
            }
            print("""
                catalog poll, \(Self.fleet) devices (\(polled.count) polls each, server time): \
                without a rollout \(figure(plain.milliseconds)); under a running rollout \(figure(rolling.milliseconds))
                rollout evaluation over \(Self.fleet * Self.days) daily reports: \(evaluations.map(Self.format).joined(separator: ", ")) ms
                """)
        }
        try await server.stop()
    }

    static func format(_ milliseconds: Double) -> String { String(format: "%.1f", milliseconds) }
}
