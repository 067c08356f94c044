import HTTPTypes
import Hummingbird
import NIOCore
import NIOSSL
import X509

/// The request context of the hub: Hummingbird's, plus the connection, whose TLS handler holds
/// the client certificate the device proved it owns.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Who a request comes from.
///
/// Under TLS (the only mode a region runs) a device is its certificate: the identity is the
/// subject Common Name of the client certificate the handshake verified against the enrolment
/// CA, and nothing the request says (the `Fluorobox-Device` header, a device in the path) can
/// change it: naming another device is answered 403, naming the same one is allowed.
///
/// Plain HTTP has no certificate. The hub serves it only when started with
/// `--development-plain-http` (tests behind the fault proxy, local demos): then the
/// `Fluorobox-Device` header (or the device in the path) is trusted as the identity, which is
/// exactly why that mode must never face a network.
///
/// Either way the store is asked on every request whether the device is revoked, or presents a
/// certificate that a later enrolment replaced: one primary-key read, so a revocation holds on
/// every replica from its commit on, with no cache to lag.
enum DeviceIdentity {
    /// The identity of the device making `request`, or a 400/403 `HubError`.
    /// `pathDevice`: the device a path names (`/v1/devices/{device}/hello`).
    static func of(
        _ request: Request, context: HubRequestContext, tls: Bool, store: any HubStoring, pathDevice: String? = nil
    ) async throws(HubError) -> String {
        try await of(headers: request.headers, channel: context.channel, tls: tls, store: store, pathDevice: pathDevice)
    }

    /// The same from the request's header fields and connection (the generated server's operations).
    static func of(
        headers: HTTPFields, channel: any Channel, tls: Bool, store: any HubStoring, pathDevice: String? = nil
    ) async throws(HubError) -> String {
        let (device, serial) = try await presented(headers: headers, channel: channel, tls: tls, pathDevice: pathDevice)
        try await store.checkCredential(device: device, serial: serial)
        return device
    }

    /// The device the request comes from and, under TLS, its certificate's serial (lower-case
    /// hex), before the store's word on revocation.
    static func presented(
        headers: HTTPFields, channel: any Channel, tls: Bool, pathDevice: String?
    ) async throws(HubError) -> (device: String, serial: String?) {
        let claimed = headers[.fluoroboxDevice]
        if let claimed, !HubServer.isValidDeviceID(claimed) {
            throw HubError(.badRequest, "the Fluorobox-Device header \"\(claimed.prefix(140))\" is not a device id")
        }
        if let pathDevice, let claimed, pathDevice != claimed {
            throw HubError(.forbidden, "the path names device \(pathDevice), the Fluorobox-Device header \(claimed)")
        }
        guard tls else {
            // Development plain HTTP: the request's own word is all there is.
            guard let device = pathDevice ?? claimed else {
                throw HubError(.badRequest, "the Fluorobox-Device header is missing (plain HTTP development mode identifies devices by it)")
            }
            return (device, nil)
        }
        let certificate: NIOSSLCertificate?
        do {
            certificate = try await channel.nioSSL_peerCertificate().get()
        } catch {
            throw HubError(.forbidden, "no TLS session to read a client certificate from: \(error)")
        }
        guard let certificate else { throw HubError(.forbidden, "the connection presented no client certificate") }
        let der: [UInt8]
        do {
            der = try certificate.toDERBytes()
        } catch {
            throw HubError(.forbidden, "the client certificate cannot be read: \(error)")
        }
        // The handshake verified the certificate against the enrolment CA; what is left is to
        // read two of its fields, with one walk over the DER rather than a full parse per request.
        guard let fields = CertificateSubject.fields(der: der) else {
            throw HubError(.forbidden, "the client certificate cannot be read")
        }
        guard let device = fields.commonName, HubServer.isValidDeviceID(device) else {
            throw HubError(.forbidden, "the client certificate's subject has no Common Name that is a device id")
        }
        for named in [pathDevice, claimed].compactMap({ $0 }) where named != device {
            throw HubError(.forbidden, "the client certificate identifies device \(device); the request acts for \(named)")
        }
        return (device, DeviceCA.hex(Certificate.SerialNumber(bytes: fields.serialNumber)))
    }
}

/// Just enough DER to read the serial number and subject Common Name of an X.509 certificate
/// (RFC 5280 4.1).
enum CertificateSubject {
    /// The serial number's content octets and the last (most significant) CN of the subject
    /// (nil when there is none); nil when the DER is not a certificate.
    static func fields(der: [UInt8]) -> (serialNumber: ArraySlice<UInt8>, commonName: String?)? {
        var reader = DERReader(bytes: der[...])
        guard let certificate = reader.read(tag: 0x30) else { return nil }
        var fields = DERReader(bytes: certificate)
        guard let tbs = fields.read(tag: 0x30) else { return nil }
        var tbsFields = DERReader(bytes: tbs)
        if tbsFields.peekTag == 0xA0 { _ = tbsFields.read(tag: 0xA0) } // version
        guard let serialNumber = tbsFields.read(tag: 0x02), !serialNumber.isEmpty,
              tbsFields.read(tag: 0x30) != nil, // signature
              tbsFields.read(tag: 0x30) != nil, // issuer
              tbsFields.read(tag: 0x30) != nil, // validity
              let subject = tbsFields.read(tag: 0x30)
        else { return nil }
        var names = DERReader(bytes: subject)
        var commonName: String?
        while !names.isAtEnd {
            guard let set = names.read(tag: 0x31) else { return nil }
            var attributes = DERReader(bytes: set)
            while !attributes.isAtEnd {
                guard let attribute = attributes.read(tag: 0x30) else { return nil }
                var parts = DERReader(bytes: attribute)
                guard let oid = parts.read(tag: 0x06), let valueTag = parts.peekTag, let value = parts.read(tag: valueTag) else { return nil }
                // id-at-commonName 2.5.4.3; UTF8String, PrintableString or IA5String.
                if Array(oid) == [0x55, 0x04, 0x03], [0x0C, 0x13, 0x16].contains(valueTag) {
                    commonName = String(decoding: value, as: UTF8.self)
                }
            }
        }
        return (serialNumber, commonName)
    }

    struct DERReader {
        var bytes: ArraySlice<UInt8>

        var isAtEnd: Bool { bytes.isEmpty }
        var peekTag: UInt8? { bytes.first }

        /// The content of the next element when it has `tag`; nil (and nothing consumed) when it
        /// has another tag or its length does not fit.
        mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
            var index = bytes.startIndex
            guard index < bytes.endIndex, bytes[index] == tag else { return nil }
            index += 1
            guard index < bytes.endIndex else { return nil }
            var length = Int(bytes[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[index])
                    index += 1
                }
            }
            guard length <= bytes.endIndex - index else { return nil }
            let content = bytes[index..<(index + length)]
            bytes = bytes[(index + length)...]
            return content
        }
    }
}
