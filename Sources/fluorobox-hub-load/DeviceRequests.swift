import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import StudyStore

/// What a simulated device sends, built in one place: when the heartbeat document grows (its
/// schema is being extended), only `heartbeat` changes.
enum DeviceRequests {
    /// `POST /v1/devices/{device}/heartbeat`: the box's own document (``DeviceHeartbeat``, encoded
    /// as the box encodes it), with the figures a busy box has: two models, a backlog on three
    /// destinations, one recent error.
    static func heartbeat(device: String, sequence: Int, host: String) -> (HTTPRequestHead, ByteBuffer) {
        let now = Date()
        let heartbeat = DeviceHeartbeat(
            sentAt: now, agentVersion: "fluorobox 1.0.0-bench", uptimeSeconds: Double(sequence) * 30,
            models: [
                .init(task: "findings", id: "chest-dx", version: "2.3.0", use: "demonstration"),
                .init(task: "quality", id: "chest-quality", version: "1.1.0", use: "demonstration"),
            ],
            backlog: [
                .init(destination: "platform", count: sequence % 40, bytes: Int64(sequence % 40) * 8_000_000, oldestAgeSeconds: 3_600),
                .init(destination: "pacs", count: 2, bytes: 16_000_000, oldestAgeSeconds: 600),
                .init(destination: "dicomweb", count: 0, bytes: 0, oldestAgeSeconds: nil),
            ],
            freeDiskBytes: 180_000_000_000, daysOfCapacity: 41.5, clockSkewSeconds: 0.4,
            errors: [.init(at: now.addingTimeInterval(-120), source: "sync", message: "platform: connection reset by peer")]
        )
        return request(.POST, "/v1/devices/\(device)/heartbeat", body: heartbeat.encoded(), host: host, digest: false)
    }

    /// `PUT /v1/results/{key}`: a result document the size of a real one (a few findings, ~700 B),
    /// with its Content-SHA256 as the box sends it. Keys are unique per device and run.
    static func result(device: String, sequence: Int, run: String, host: String) -> (HTTPRequestHead, ByteBuffer) {
        let key = "result:\(device):\(run):\(sequence)"
        var findings: [String] = []
        for (index, finding) in ["nodule", "effusion", "cardiomegaly", "pneumothorax", "consolidation"].enumerated() {
            let probability = Double((sequence &* 7919 &+ index &* 104_729) % 1000) / 1000
            findings.append(#"{"id":"\#(finding)","probability":\#(probability),"flaggedForReview":\#(probability > 0.8),"modelUse":"demonstration"}"#)
        }
        let body = #"{"schemaVersion":1,"key":"\#(key)","studyInstanceUID":"1.2.826.0.1.3680043.10.1042.\#(sequence)","sopInstanceUID":"1.2.826.0.1.3680043.10.1042.\#(sequence).1","analysedAt":"2025-01-01T00:00:00Z","model":{"id":"chest-dx","version":"2.3.0","use":"demonstration"},"quality":{"verdict":"acceptable","exposureIndex":1250},"findings":[\#(findings.joined(separator: ","))]}"#
        return request(.PUT, "/v1/results/\(key)", body: Array(body.utf8), host: host, digest: true)
    }

    private static func request(_ method: HTTPMethod, _ uri: String, body: [UInt8], host: String, digest: Bool) -> (HTTPRequestHead, ByteBuffer) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        if digest {
            headers.add(name: "Content-SHA256", value: SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined())
        }
        return (HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers), ByteBuffer(bytes: body))
    }
}
