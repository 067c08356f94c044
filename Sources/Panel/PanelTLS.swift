import BrowserAccess
import Crypto
import Foundation
import HummingbirdTLS

/// The panel's HTTPS: the device certificate and key made at first boot (PEM files), and the
/// certificate's SHA-256 fingerprint, shown on the device page and by `fluorobox status` so a
/// technician can check what the browser was offered.
public enum PanelTLS {
    /// The SHA-256 of the first certificate's DER in a PEM file, as `AB:CD:…` (what
    /// `openssl x509 -noout -fingerprint -sha256` prints); nil when the file holds no certificate.
    public static func certificateFingerprint(path: String) -> String? {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return certificateFingerprint(pem: pem)
    }

    static func certificateFingerprint(pem: String) -> String? {
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex),
              let der = Data(base64Encoded: String(pem[start.upperBound..<stop.lowerBound]), options: .ignoreUnknownCharacters),
              !der.isEmpty else { return nil }
        return SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// TLS 1.2 or later with the configured certificate chain and key.
    static func serverConfiguration(certificatePath: String, keyPath: String) throws(PanelError) -> TLSConfiguration {
        do {
            return try ServerTLS.configuration(certificatePath: certificatePath, keyPath: keyPath)
        } catch {
            throw PanelError(.tls, "cannot use \(certificatePath) and \(keyPath) for HTTPS: \(error)")
        }
    }
}
