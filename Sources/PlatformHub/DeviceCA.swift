import Crypto
import Foundation
import POSIXSupport
import X509

/// The region's device CA: it signs the certificate of every enrolled box, and the hub's mutual
/// TLS trusts exactly it for client certificates. Made by `fluorobox-hub ca init` (an EC P-256
/// key and a self-signed certificate) or supplied by the operator (`--device-ca-cert/-key`).
public struct DeviceCA: Sendable {
    public let certificate: Certificate
    let privateKey: Certificate.PrivateKey
    /// The CA certificate as PEM, appended to every issued chain.
    public let certificatePEM: String

    /// File names inside a folder made by ``create(directory:name:validityDays:)``.
    public static let certificateFile = "device-ca.pem"
    public static let privateKeyFile = "device-ca.key"

    public init(certificatePath: String, privateKeyPath: String) throws(HubError) {
        do {
            let pem = try String(contentsOfFile: certificatePath, encoding: .utf8)
            certificate = try Certificate(pemEncoded: pem)
            privateKey = try Certificate.PrivateKey(pemEncoded: try String(contentsOfFile: privateKeyPath, encoding: .utf8))
            certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw HubError(.badRequest, "loading the device CA (\(certificatePath), \(privateKeyPath)): \(error)")
        }
        guard privateKey.publicKey == certificate.publicKey else {
            throw HubError(.badRequest, "the device CA key \(privateKeyPath) does not belong to the certificate \(certificatePath)")
        }
        guard let constraints = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = constraints else {
            throw HubError(.badRequest, "\(certificatePath) is not a CA certificate (basicConstraints CA:TRUE)")
        }
    }

    public init(directory: String) throws(HubError) {
        try self.init(
            certificatePath: directory + "/" + Self.certificateFile, privateKeyPath: directory + "/" + Self.privateKeyFile
        )
    }

    /// Makes a new CA in `directory` (created when missing). Refuses to overwrite a CA that is
    /// there: replacing it would orphan every device certificate it signed.
    @discardableResult
    public static func create(directory: String, name: String, validityDays: Int = 3650, now: Date = Date()) throws(HubError) -> DeviceCA {
        let certificatePath = directory + "/" + certificateFile
        let keyPath = directory + "/" + privateKeyFile
        for path in [certificatePath, keyPath] where FileManager.default.fileExists(atPath: path) {
            throw HubError(.conflict, "\(path) exists; a region keeps its device CA (move it away first to make a new one)")
        }
        do {
            try Posix.makeDirectories(directory)
            let key = P256.Signing.PrivateKey()
            let signer = Certificate.PrivateKey(key)
            let subject = try DistinguishedName {
                OrganizationName("Fluorobox")
                CommonName(name)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Self.randomSerial(), publicKey: signer.publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
                issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: signer.publicKey)
                },
                issuerPrivateKey: signer
            )
            // The key first, readable by its owner only; the certificate names a CA only once
            // both are whole on disk.
            try Array(key.pemRepresentation.utf8).withUnsafeBytes { try Posix.replaceFile(keyPath, with: $0, mode: 0o600) }
            let pem = try certificate.serializeAsPEM().pemString + "\n"
            try Array(pem.utf8).withUnsafeBytes { try Posix.replaceFile(certificatePath, with: $0, mode: 0o644) }
        } catch {
            throw HubError(.storage, "making the device CA in \(directory): \(error)")
        }
        return try DeviceCA(certificatePath: certificatePath, privateKeyPath: keyPath)
    }

    /// 128 random bits, positive (RFC 5280 4.1.2.2 asks for at most 20 octets, non-negative).
    static func randomSerial() -> Certificate.SerialNumber {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = bytes[0] & 0x7F | 0x40
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// Lower-case hex of a serial number's octets: how the hub stores and compares serials.
    /// Runs on every device request (the credential check), hence a table lookup rather
    /// than `String(format:)` per byte (3% of the hub's CPU under tools/bench/hub-load).
    public static func hex(_ serial: Certificate.SerialNumber) -> String {
        SHA256Hex.string(serial.bytes)
    }

    /// Checks a PEM certificate request (its own signature proves the box holds the key) and
    /// signs a client certificate for the device its subject CN names.
    public func issue(csrPEM: String, validity: Duration, now: Date = Date()) throws(HubError) -> IssuedDeviceCertificate {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM)
        } catch {
            throw HubError(.badRequest, "the certificate request is not a PEM CSR: \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw HubError(.badRequest, "the certificate request's signature does not verify: it was not made with the key it carries")
        }
        let names = request.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }
        guard names.count == 1, let device = String(names[0].value) else {
            throw HubError(.badRequest, "the certificate request's subject must hold exactly one Common Name, the device id")
        }
        guard HubServer.isValidDeviceID(device) else {
            throw HubError(.badRequest, "the certificate request names \"\(device.prefix(140))\", which is not a device id (1 to 128 of letters, digits and .:_-)")
        }
        let serial = Self.randomSerial()
        let notBefore = now.addingTimeInterval(-300)
        let notAfter = min(now.addingTimeInterval(validity / .seconds(1)), certificate.notValidAfter)
        do {
            let subject = try DistinguishedName { CommonName(device) }
            let issued = try Certificate(
                version: .v3, serialNumber: serial, publicKey: request.publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter,
                issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.clientAuth])
                    SubjectKeyIdentifier(hash: request.publicKey)
                    if let authority = try? certificate.extensions.subjectKeyIdentifier {
                        AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
                    }
                },
                issuerPrivateKey: privateKey
            )
            let pem = try issued.serializeAsPEM().pemString + "\n"
            return IssuedDeviceCertificate(
                device: device, serial: Self.hex(serial), notAfter: notAfter, chainPEM: pem + certificatePEM
            )
        } catch {
            throw HubError(.storage, "signing the certificate of \(device): \(error)")
        }
    }
}

/// A client certificate the device CA signed: not yet handed out until the store recorded it.
public struct IssuedDeviceCertificate: Sendable, Equatable {
    public let device: String
    /// Lower-case hex of the serial number.
    public let serial: String
    public let notAfter: Date
    /// The device certificate and the CA certificate, PEM.
    public let chainPEM: String
}
