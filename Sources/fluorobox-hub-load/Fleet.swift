import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import PlatformHub
import X509

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The simulated devices, enrolled as a real box is: each makes its own key and certificate
/// request, the region's device CA signs it (`DeviceCA.issue`, what `POST /v1/enrolment` runs),
/// and the store consumes a one-time token and records the certificate (`enrol`, the same
/// transaction). So every request of the benchmark passes the hub's full credential check
/// (the certificate's serial against the device's current one), as in production. Only the
/// HTTP round trip of the enrolment itself is skipped: it is not what is measured.
enum Fleet {
    struct Member: Sendable {
        let device: String
        let context: NIOSSLContext
    }

    static func enrol(
        count: Int, prefix: String, caDirectory: String, database: String, serverTrust: String, logger: Logger
    ) async throws -> [Member] {
        let ca = try DeviceCA(directory: caDirectory)
        let trust = try NIOSSLCertificate.fromPEMFile(serverTrust)
        var settings = try PostgresHubStore.Settings(url: database, staging: "")
        settings.maximumConnections = 8
        settings.applicationName = "fluorobox-hub-load"
        let store = PostgresHubStore(settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: [Member]?.self) { group in
            for service in store.services {
                group.addTask {
                    try await service.run()
                    return nil
                }
            }
            defer { group.cancelAll() }
            // Eight at a time: the signing is CPU, the two transactions wait on commits.
            let members = try await withThrowingTaskGroup(of: (Int, Member).self) { enrolments in
                var members = [Member?](repeating: nil, count: count)
                var next = 0
                func add() {
                    let index = next
                    next += 1
                    enrolments.addTask {
                        (index, try await enrolOne(device: "\(prefix)-\(String(format: "%05d", index))", ca: ca, trust: trust, store: store))
                    }
                }
                while next < min(8, count) { add() }
                while let (index, member) = try await enrolments.next() {
                    members[index] = member
                    if next < count { add() }
                }
                return members.compactMap { $0 }
            }
            return members
        }
    }

    private static func enrolOne(device: String, ca: DeviceCA, trust: [NIOSSLCertificate], store: PostgresHubStore) async throws -> Member {
        let key = P256.Signing.PrivateKey()
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(device) }, privateKey: Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256
        )
        let issued = try ca.issue(csrPEM: try request.serializeAsPEM().pemString, validity: .seconds(86_400))
        let (_, token) = EnrolmentToken.generate(device: device, validFor: .seconds(3600), createdBy: "fluorobox-hub-load")
        try await store.createEnrolmentToken(token)
        try await store.enrol(tokenSHA256: token.sha256, certificate: issued)

        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(issued.chainPEM.utf8)).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))
        configuration.trustRoots = .certificates(trust)
        // The hub's certificate is checked against the CA; the benchmark dials an address.
        configuration.certificateVerification = .noHostnameVerification
        return Member(device: device, context: try NIOSSLContext(configuration: configuration))
    }
}
