@testable import Panel
import Testing

/// What the diagnostics bundle scrubs from free text (log lines, errors, audit messages).
@Suite("Diagnostics redaction")
struct PanelRedactionTests {
    @Test("patient names in any case and order of parts, and credentials in URLs, are removed")
    func redaction() {
        let redactor = Redactor(identifiers: ["PETROV^IVAN", "PETROV", "IVAN", "P-1001"])
        let line = "stored petrov ivan (P-1001) as PETROV^IVAN; PUT https://box:s3cr3t-pass@hub.example:8443/v1/results failed"
        let redacted = redactor.redact(line)
        for leaked in ["petrov", "ivan", "P-1001", "s3cr3t-pass"] {
            #expect(!redacted.localizedCaseInsensitiveContains(leaked), "\(leaked) left in \(redacted)")
        }
        #expect(redacted.contains("https://[redacted]@hub.example:8443/v1/results"))
        #expect(redactor.redact("http://hub.example:8443/v1/health") == "http://hub.example:8443/v1/health")
    }
}
