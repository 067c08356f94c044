import BrowserAccess
import BrowserTesting
import FluoroboxTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PlatformHub
import POSIXSupport
import StudyStore
import Testing

/// The console's Shadow runs page on both stores: boxes of two institutions in two regions (and
/// one not placed) enrol with a real `fluorobox-hub serve` and PUT their daily shadow-agreement
/// documents over mutual TLS, one re-sent and one sent again under another key; the page and
/// its JSON add them up per site, pair and finding as by hand. Then 2,000 devices × 30 days,
/// with the server time printed.
@Suite(.serialized)
struct ConsoleShadowRunsTests {
    static let tver = "Тверская область", pskov = "Псковская область"
    static let chestShadow = ("chest-model", "3.1.0"), tbShadow = ("tb-screen", "2.0.0")

    /// A box's document as the box encodes it (its type and encoder).
    static func agreement(
        _ device: String, _ day: String, shadow: (String, String) = chestShadow, images: Int, errors: Int = 0,
        _ findings: [(String, Int, Int, Int, Int)], p50: Double, p95: Double
    ) -> ShadowAgreement {
        ShadowAgreement(
            device: device, task: "chest-findings", shadowModel: shadow.0, shadowVersion: shadow.1, activeModel: "chest-model",
            activeVersion: "3.0.0", day: day, images: images, errors: errors,
            findings: findings.map { .init(id: $0.0, bothFlagged: $0.1, onlyActive: $0.2, onlyShadow: $0.3, neither: $0.4) },
            latencyP50ms: p50, latencyP95ms: p95
        )
    }

    /// What the boxes send, in order (counts: both flagged, only active, only shadow, neither).
    static let documents: [ShadowAgreement] = [
        agreement("tver-1", "2026-11-02", images: 40, errors: 1, [("nodule", 5, 1, 2, 32), ("effusion", 1, 0, 1, 38)], p50: 800, p95: 1200),
        agreement("tver-1", "2026-11-03", images: 30, [("nodule", 3, 1, 0, 26), ("effusion", 0, 2, 0, 28)], p50: 900, p95: 1500),
        agreement("tver-2", "2026-11-02", images: 30, errors: 2, [("nodule", 2, 0, 2, 26), ("effusion", 0, 0, 0, 30)], p50: 600, p95: 1000),
        agreement("pskov-1", "2026-11-04", images: 20, [("nodule", 1, 1, 1, 17), ("effusion", 2, 0, 0, 18)], p50: 700, p95: 1100),
        agreement("unplaced-1", "2026-11-05", images: 10, [("nodule", 0, 0, 1, 9), ("effusion", 0, 0, 0, 10)], p50: 500, p95: 900),
        agreement("pskov-1", "2026-11-03", shadow: tbShadow, images: 60, errors: 1, [("tb", 6, 2, 1, 51)], p50: 650, p95: 990),
        // Outside the period (the day the box counted decides, not the day received).
        agreement("tver-1", "2026-10-31", images: 100, [("nodule", 50, 0, 0, 50)], p50: 100, p95: 100),
        agreement("tver-2", "2026-11-08", images: 100, [("nodule", 50, 0, 0, 50)], p50: 100, p95: 100),
        // A lying box, in a month of its own.
        agreement("unplaced-1", "2026-08-14", images: Int(Int64.max), errors: Int(Int64.max), [("nodule", Int(Int64.max), 0, 0, 0)], p50: 1.7e308, p95: 1.7e308),
        agreement("unplaced-1", "2026-08-15", images: Int(Int64.max), errors: 1, [("nodule", Int(Int64.max), 0, 0, 0)], p50: 1.7e308, p95: 1.7e308),
    ]

    /// tver-2's 2026-11-02 as first sent under another key (an older agent's, without the
    /// device), before the document above: the day counts once, as the one received last.
    static let superseded = (
        key: "shadow-agreement:chest-model:3.1.0:chest-model:3.0.0:2026-11-02",
        agreement: agreement("tver-2", "2026-11-02", images: 35, errors: 9, [("nodule", 9, 9, 9, 8), ("effusion", 0, 0, 0, 35)], p50: 9000, p95: 9900)
    )

    /// A `fluorobox-hub serve` over mutual TLS with the region's device CA, on either store;
    /// openssl and curl as the boxes.
    struct Fleet {
        let folder: TemporaryDirectory
        let pki: String
        let store: [String]
        let replica: HubReplica
        var ca: String { pki + "/ca.pem" }

        static func start(store: [String], _ replica: ([String]) async throws -> HubReplica) async throws -> Fleet {
            let folder = TemporaryDirectory("shadow-fleet")
            let pki = try await EnrolmentKit.makeTestPKI(in: folder)
            try await EnrolmentKit.hub(HubReplica.binary, ["ca", "init", "--dir", folder.file("device-ca"), "--name", "Test Region Device CA"])
            let tls = ["--tls-cert", pki + "/hub.pem", "--tls-key", pki + "/hub.key", "--device-ca-dir", folder.file("device-ca")]
            return Fleet(folder: folder, pki: pki, store: store, replica: try await replica(tls))
        }

        /// Enrols `device` with a one-time token, as first boot does: its key and certificate.
        func enrol(_ device: String) async throws -> (key: String, certificate: String) {
            let token = try await EnrolmentKit.hub(HubReplica.binary, ["enrolment", "create"] + store)
            let box = folder.file("box-\(device)")
            let (key, csr) = try await EnrolmentKit.deviceRequest(in: box, device: device)
            let answer = try await EnrolmentKit.curl(
                port: replica.port, "POST", "/v1/enrolment", ca: ca, json: try EnrolmentKit.enrolmentBody(token: token, csrPath: csr)
            )
            #expect(answer.status == 201, "\(device): \(answer.body)")
            try EnrolmentKit.keepCertificate(answer, at: box + "/device.crt")
            return (key, box + "/device.crt")
        }

        func put(_ box: (key: String, certificate: String), _ agreement: ShadowAgreement, key: String? = nil) async throws -> EnrolmentKit.Answer {
            let body = String(decoding: try JSONEncoder.compact().encode(agreement), as: UTF8.self)
            return try await EnrolmentKit.curl(
                port: replica.port, "PUT", "/v1/shadow-agreements/\(key ?? agreement.idempotencyKey)", ca: ca,
                certificate: box.certificate, key: box.key, json: body
            )
        }
    }

    /// Enrols the boxes and sends every document, one of them twice, one under a second key,
    /// and one changed under its old key (refused: the hub keeps what it acknowledged).
    static func deliver(_ fleet: Fleet) async throws {
        var boxes: [String: (key: String, certificate: String)] = [:]
        for device in ["tver-1", "tver-2", "pskov-1", "unplaced-1"] { boxes[device] = try await fleet.enrol(device) }
        let early = try await fleet.put(boxes["tver-2"]!, superseded.agreement, key: superseded.key)
        #expect(early.status == 201, "\(early.body)")
        for document in documents {
            let answer = try await fleet.put(boxes[document.device]!, document)
            #expect(answer.status == 201, "\(document.idempotencyKey): \(answer.status) \(answer.body)")
        }
        let again = try await fleet.put(boxes["tver-1"]!, documents[0])
        #expect(again.status == 200, "a re-sent document is the one held: \(again.status) \(again.body)")
        var changed = documents[0]
        changed.findings[0].bothFlagged = 500
        let conflict = try await fleet.put(boxes["tver-1"]!, changed)
        #expect(conflict.status == 409, "\(conflict.status) \(conflict.body)")
    }

    /// Places the devices, runs the console over `store` with a viewer `eye`, and checks the page.
    static func checkConsole(_ store: some HubStoring, fillFleet: @escaping @Sendable () async throws -> Void) async throws {
        try await store.setInstitution(DeviceInstitution(region: tver, name: "ЦРБ № 2", taxID: "7707083893", oid: nil), device: "tver-1")
        try await store.setInstitution(DeviceInstitution(region: tver, name: "ЦРБ № 2", taxID: "7707083893", oid: nil), device: "tver-2")
        try await store.setInstitution(DeviceInstitution(region: pskov, name: "Псковская ЦРБ", taxID: nil, oid: "1.2.643.5.1"), device: "pskov-1")
        let hash = try PasswordHash.make(password: ConsoleTests.passwords["eye"]!)
        try await store.addOperator(ConsoleOperator(name: "eye", role: .viewer, passwordHash: hash), audit: .init(actor: "test", action: "operator.add", subject: "eye"))
        let console = HubConsole(store: store, settings: ConsoleTests.quickSettings, logger: quietLogger)
        try await Application(router: console.makeRouter()).test(.router) { client in
            var english = Browser(client, acceptLanguage: "en")
            _ = try await english.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            try await checkPage(&english)
            try await checkJSON(&english)
            // A document arriving after a view is in the next one: the totals kept are read anew.
            let late = agreement("unplaced-1", "2026-11-06", images: 5, [("nodule", 0, 0, 0, 5), ("effusion", 0, 0, 0, 5)], p50: 500, p95: 900)
            let body = DocumentBody(Array(try JSONEncoder.compact().encode(late)))
            #expect(try await store.putDocument(key: late.idempotencyKey, kind: "shadow-agreement", device: "unplaced-1", serial: nil, document: body))
            let all = try #require(try await json(&english, "from=2026-11-01&to=2026-11-07")["pairs"] as? [[String: Any]]).first?["allSites"] as? [String: Any]
            #expect(all?["images"] as? Int == 135 && all?["reports"] as? Int == 6 && all?["devices"] as? Int == 4)

            var russian = Browser(client, acceptLanguage: "ru-RU,ru;q=0.9")
            _ = try await russian.logIn("eye", password: ConsoleTests.passwords["eye"]!)
            let ru = String(buffer: try await russian.get("/shadow-runs?from=2026-11-01&to=2026-11-07").body)
            for words in [
                "<title>Теневые прогоны", "Согласие по отметкам", "Только теневая", "Все учреждения", "мало снимков, пока не значимо",
                "Согласие по учреждениям и находкам, %", "<td>100</td><td>10</td><td>2 (2.0 %)</td><td>4 (4.0 %)</td><td>84</td><td>94.0 %</td><td>76.9 %</td>",
            ] {
                #expect(ru.contains(words), "\(words)")
            }

            try await fillFleet()
            try await checkScale(&english)
        }
    }

    static func checkPage(_ browser: inout Browser) async throws {
        let response = try await browser.get("/shadow-runs?from=2026-11-01&to=2026-11-07")
        #expect(response.status == .ok)
        let page = String(buffer: response.body)
        #expect(page.contains("id=\"nav-shadow-runs\"") && page.contains("<title>Shadow runs"))
        let thin = " <span class=\"badge thin\">too few images, not yet meaningful</span>"
        func site(_ cells: String, span: Int = 2) -> String {
            cells.split(separator: "|").map { "<td rowspan=\"\(span)\">\($0)</td>" }.joined()
        }
        // Sites by region (Псковская before Тверская), the devices of no institution last, all
        // sites after. Tver: tver-1's two days and tver-2's one (the later of its two 2026-11-02
        // documents); p50 (800·40 + 900·30 + 600·30) / 100 = 770, p95 the highest, 1500.
        for row in [
            "<tr id=\"pair-0-site-0-finding-0\" class=\"thin\">" + site("\(pskov)<br><small>Псковская ЦРБ</small>|1|20|0|700 / 1100")
                + "<td>effusion</td><td>20</td><td>2</td><td>0 (0.0 %)</td><td>0 (0.0 %)</td><td>18</td><td>100.0 %\(thin)</td><td>100.0 %</td></tr>",
            "<tr id=\"pair-0-site-0-finding-1\" class=\"thin\"><td>nodule</td><td>20</td><td>1</td><td>1 (5.0 %)</td><td>1 (5.0 %)</td><td>17</td><td>90.0 %\(thin)</td><td>50.0 %</td></tr>",
            "<tr id=\"pair-0-site-1-finding-0\">" + site("\(tver)<br><small>ЦРБ № 2</small>|2|100|3|770 / 1500")
                + "<td>effusion</td><td>100</td><td>1</td><td>2 (2.0 %)</td><td>1 (1.0 %)</td><td>96</td><td>97.0 %</td><td>40.0 %</td></tr>",
            "<tr id=\"pair-0-site-1-finding-1\"><td>nodule</td><td>100</td><td>10</td><td>2 (2.0 %)</td><td>4 (4.0 %)</td><td>84</td><td>94.0 %</td><td>76.9 %</td></tr>",
            "<tr id=\"pair-0-site-2-finding-0\" class=\"thin\">" + site("<span class=\"na\">not recorded</span>|1|10|0|500 / 900")
                + "<td>effusion</td><td>10</td><td>0</td><td>0 (0.0 %)</td><td>0 (0.0 %)</td><td>10</td><td>100.0 %\(thin)</td><td>—</td></tr>",
            "<tr id=\"pair-0-site-2-finding-1\" class=\"thin\"><td>nodule</td><td>10</td><td>0</td><td>0 (0.0 %)</td><td>1 (10.0 %)</td><td>9</td><td>90.0 %\(thin)</td><td>0.0 %</td></tr>",
            // All: p50 (77,000 + 700·20 + 500·10) / 130 = 738.
            "<tr id=\"pair-0-all-finding-0\" class=\"subtotal\"><th rowspan=\"2\">All sites</th>" + site("4|130|3|738 / 1500")
                + "<td>effusion</td><td>130</td><td>3</td><td>2 (1.5 %)</td><td>1 (0.8 %)</td><td>124</td><td>97.7 %</td><td>66.7 %</td></tr>",
            "<tr id=\"pair-0-all-finding-1\" class=\"subtotal\"><td>nodule</td><td>130</td><td>11</td><td>3 (2.3 %)</td><td>6 (4.6 %)</td><td>110</td><td>93.1 %</td><td>71.0 %</td></tr>",
            "<tr id=\"pair-1-site-0-finding-0\">" + site("\(pskov)<br><small>Псковская ЦРБ</small>|1|60|1|650 / 990", span: 1)
                + "<td>tb</td><td>60</td><td>6</td><td>2 (3.3 %)</td><td>1 (1.7 %)</td><td>51</td><td>95.0 %</td><td>80.0 %</td></tr>",
        ] {
            #expect(page.contains(row), "\(row)")
        }
        #expect(page.contains("<h2>Shadow chest-model@3.1.0 · active chest-model@3.0.0</h2>") && page.contains("<h2>Shadow tb-screen@2.0.0 · active chest-model@3.0.0</h2>"))
        #expect(!page.contains("pair-1-all") && !page.contains("pair-2"), "one site: no all-sites rows; two pairs")
        #expect(page.contains("id=\"minimum-images\">") && page.contains("charts: 50</p>"))

        // The charts: agreement of the figures that mean something (Tver's), per finding.
        let charts = ConsoleFiguresTests.charts(in: page)
        #expect(charts.map(\.id) == ["chart-pair-0", "chart-pair-1"])
        #expect(charts[0].reading.all("rect").compactMap { $0.attributes["data-value"] } == ["97", "94"])
        #expect(charts[0].reading.all("text").map(\.text).contains("ЦРБ № 2"))
        #expect(charts[1].reading.all("rect").compactMap { $0.attributes["data-value"] } == ["95"])

        // One region, as a browser's GET form sends it (a space as "+").
        let region = HTMLText.percentEncode(tver).replacingOccurrences(of: "%20", with: "+")
        let tverOnly = String(buffer: try await browser.get("/shadow-runs?from=2026-11-01&to=2026-11-07&region=" + region).body)
        #expect(tverOnly.contains("<tr id=\"pair-0-site-0-finding-1\"><td>nodule</td><td>100</td><td>10</td><td>2 (2.0 %)</td><td>4 (4.0 %)</td><td>84</td>"))
        #expect(!tverOnly.contains(pskov + "<br>") && !tverOnly.contains("not recorded</span>") && !tverOnly.contains("tb-screen") && !tverOnly.contains("pair-0-all"))
        #expect(tverOnly.contains("<option value=\"\(tver)\" selected>"))

        // A period that is not one, or a format that is not known: 400, with the reason.
        let backwards = try await browser.get("/shadow-runs?from=2026-11-07&to=2026-11-01")
        #expect(backwards.status == .badRequest && String(buffer: backwards.body).contains("The period is two days"))
        #expect(try await browser.get("/shadow-runs?from=2026-11-01&to=2026-11-07&format=xml").status == .badRequest)
        #expect(try await browser.get("/shadow-runs?from=2026-02-30&to=2026-03-01&format=json").status == .badRequest)
        let empty = String(buffer: try await browser.get("/shadow-runs?from=2026-09-01&to=2026-09-30").body)
        #expect(empty.contains("id=\"shadow-runs-empty\""))
        // A lying box's counts past any sum and latencies near the largest number: shown, held at the largest.
        let lies = try await browser.get("/shadow-runs?from=2026-08-01&to=2026-08-31")
        #expect(lies.status == .ok && String(buffer: lies.body).contains("<td>\(Int.max)</td>"), "\(String(buffer: lies.body).suffix(2000))")
    }

    /// The page's JSON for `query`.
    static func json(_ browser: inout Browser, _ query: String) async throws -> [String: Any] {
        let response = try await browser.get("/shadow-runs?format=json&" + query)
        #expect(response.status == .ok && response.headers[.contentType] == "application/json")
        return try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    static func checkJSON(_ browser: inout Browser) async throws {
        let root = try await json(&browser, "from=2026-11-01&to=2026-11-07")
        #expect(root["from"] as? String == "2026-11-01" && root["minimumImages"] as? Int == 50)
        let pairs = try #require(root["pairs"] as? [[String: Any]])
        #expect(pairs.map { "\($0["shadowModel"]!)@\($0["shadowVersion"]!)" } == ["chest-model@3.1.0", "tb-screen@2.0.0"])
        let sites = try #require(pairs[0]["sites"] as? [[String: Any]])
        #expect(sites.map { $0["institution"] as? String } == ["Псковская ЦРБ", "ЦРБ № 2", nil])
        let tverSite = sites[1]
        #expect(tverSite["region"] as? String == tver && tverSite["devices"] as? Int == 2 && tverSite["reports"] as? Int == 3)
        #expect(tverSite["images"] as? Int == 100 && tverSite["errors"] as? Int == 3 && tverSite["latencyP50ms"] as? Double == 770 && tverSite["latencyP95ms"] as? Double == 1500)
        let nodule = try #require((tverSite["findings"] as? [[String: Any]])?.last)
        #expect(nodule["id"] as? String == "nodule" && nodule["meaningful"] as? Bool == true)
        #expect([nodule["bothFlagged"], nodule["onlyActive"], nodule["onlyShadow"], nodule["neither"], nodule["images"]].map { $0 as? Int } == [10, 2, 4, 84, 100])
        #expect(nodule["agreementPercent"] as? Double == 94 && nodule["onlyShadowPercent"] as? Double == 4 && nodule["onlyActivePercent"] as? Double == 2)
        #expect(abs((nodule["positiveAgreementPercent"] as? Double ?? 0) - 2000.0 / 26) < 1e-9)
        let pskovNodule = try #require((sites[0]["findings"] as? [[String: Any]])?.last)
        #expect(pskovNodule["meaningful"] as? Bool == false && pskovNodule["images"] as? Int == 20)
        let unplacedEffusion = try #require((sites[2]["findings"] as? [[String: Any]])?.first)
        #expect(unplacedEffusion["positiveAgreementPercent"] == nil, "nothing flagged: no positive agreement")
        let all = try #require(pairs[0]["allSites"] as? [String: Any])
        #expect(all["devices"] as? Int == 4 && all["images"] as? Int == 130 && all["reports"] as? Int == 5)

        let tverOnly = try await json(&browser, "from=2026-11-01&to=2026-11-07&region=" + HTMLText.percentEncode(tver))
        let tverPairs = try #require(tverOnly["pairs"] as? [[String: Any]])
        #expect(tverOnly["region"] as? String == tver && tverPairs.count == 1)
        #expect((tverPairs.first?["allSites"] as? [String: Any])?["images"] as? Int == 100)
    }

    /// 2,000 devices × 30 days (60,000 documents of three findings), added up and shown, with
    /// the server time printed (no assertion on it: a loaded machine is slower): the first view
    /// adds the period up, the next ones (one region, the JSON) use the totals kept.
    static func checkScale(_ browser: inout Browser) async throws {
        var timings: [String] = []
        var size = 0
        for (format, region) in [("html", ""), ("html", "Region+1"), ("json", "")] {
            let started = ContinuousClock.now
            let response = try await browser.get("/shadow-runs?from=2026-10-01&to=2026-10-30&format=\(format)&region=\(region)")
            timings.append(String(format: "%.0f ms (%@%@)", (ContinuousClock.now - started) / .milliseconds(1), format, region.isEmpty ? "" : ", one region"))
            #expect(response.status == .ok)
            if format == "html", region.isEmpty { size = response.body.readableBytes }
            if format == "json" {
                let root = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                let pair = (root?["pairs"] as? [[String: Any]])?.first
                let all = pair?["allSites"] as? [String: Any]
                #expect((pair?["sites"] as? [Any])?.count == 40)
                #expect(all?["devices"] as? Int == 2000 && all?["reports"] as? Int == 60000 && all?["images"] as? Int == 2_400_000)
                let nodule = (all?["findings"] as? [[String: Any]])?.first { $0["id"] as? String == "nodule" }
                #expect(nodule?["bothFlagged"] as? Int == 180_000 && nodule?["onlyShadow"] as? Int == 60_000 && nodule?["neither"] as? Int == 2_100_000)
            }
        }
        print("console shadow runs, 2,000 devices × 30 days: \(timings.joined(separator: ", ")) server time (the first adds the period up), page \(size / 1024) KiB")
    }

    /// One document per device and day of October, as the hub stores it, written by SQL.
    static func fleetDocument(device: String, day: String) -> String {
        """
        json_object('device', \(device), 'task', 'chest-findings', 'shadowModel', 'chest-model', 'shadowVersion', '3.1.0',
            'activeModel', 'chest-model', 'activeVersion', '3.0.0', 'day', \(day), 'images', 40, 'errors', 0,
            'findings', json_array(json_object('id', 'nodule', 'bothFlagged', 3, 'onlyActive', 1, 'onlyShadow', 1, 'neither', 35),
                json_object('id', 'effusion', 'bothFlagged', 1, 'onlyActive', 0, 'onlyShadow', 2, 'neither', 37),
                json_object('id', 'cardiomegaly', 'bothFlagged', 0, 'onlyActive', 1, 'onlyShadow', 0, 'neither', 39)),
            'latencyP50ms', 800, 'latencyP95ms', 1200)
        """
    }

    @Test(
        "PostgreSQL: documents PUT over mutual TLS add up per site, pair and finding on the page and in JSON; a re-sent or superseded day counts once; region filter; too few images marked; Russian; 2,000 devices × 30 days",
        .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? ""))
    )
    func postgres() async throws {
        let server = try await PostgresServer.start("pg-shadow-runs")
        let url = try await server.createDatabase("hub")
        let staging = TemporaryDirectory("shadow-runs-staging")
        let fleet = try await Fleet.start(store: ["--database", url]) { try await HubReplica(database: url, staging: staging.path, extra: $0) }
        try await Self.deliver(fleet)
        await fleet.replica.stop()
        try await StoreHarness.with(1, url: url, staging: staging.path) { stores in
            try await Self.checkConsole(stores[0]) {
                _ = try await server.sql("""
                    INSERT INTO item (device, key, kind, sha256, size, body)
                    SELECT 'fleet-' || d, 'shadow-agreement:fleet-' || d || ':chest-model:3.1.0:chest-model:3.0.0:' || day, 'shadow-agreement', md5(d || day), 400,
                        convert_to(\(Self.fleetDocument(device: "'fleet-' || d", day: "day").replacingOccurrences(of: "json_", with: "json_build_"))::text, 'UTF8')
                    FROM generate_series(1, 2000) d, (SELECT to_char(date '2026-10-01' + i, 'YYYY-MM-DD') AS day FROM generate_series(0, 29) i) days;
                    INSERT INTO device_institution (device, region, name, oid)
                    SELECT 'fleet-' || d, 'Region ' || (d % 4), 'Institution ' || (d % 40), '1.2.643.5.1.' || d FROM generate_series(1, 2000) d;
                    ANALYZE item;
                    """, database: "hub")
            }
        }
        try await server.stop()
    }

    @Test("SQLite: the single-machine hub adds up the same documents the same way, and 2,000 devices × 30 days")
    func sqlite() async throws {
        let data = TemporaryDirectory("hub-sqlite-shadow-runs")
        let fleet = try await Fleet.start(store: ["--data-dir", data.path]) { try await HubReplica(dataDirectory: data.path, extra: $0) }
        try await Self.deliver(fleet)
        await fleet.replica.stop()
        let store = try HubStore(directory: data.path)
        try await Self.checkConsole(store) {
            try await store.database.write { db in
                try db.execute(sql: """
                    WITH RECURSIVE devices(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM devices WHERE d < 2000),
                        days(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM days WHERE i < 29),
                        fleet AS (SELECT 'fleet-' || d AS device, date('2026-10-01', '+' || i || ' days') AS day FROM devices, days)
                    INSERT INTO item (device, key, kind, sha256, size, path, body, receivedAt)
                    SELECT device, 'shadow-agreement:' || device || ':chest-model:3.1.0:chest-model:3.0.0:' || day, 'shadow-agreement', 'sha', 400, NULL,
                        CAST(\(Self.fleetDocument(device: "device", day: "day")) AS BLOB), strftime('%Y-%m-%d %H:%M:%f', 'now')
                    FROM fleet;
                    WITH RECURSIVE devices(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM devices WHERE d < 2000)
                    INSERT INTO deviceInstitution (device, region, name, oid, updatedAt)
                    SELECT 'fleet-' || d, 'Region ' || (d % 4), 'Institution ' || (d % 40), '1.2.643.5.1.' || d, datetime('now') FROM devices;
                    """)
            }
        }
    }
}
