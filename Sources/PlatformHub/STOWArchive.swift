import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import POSIXSupport

/// A PACS reached by DICOMweb STOW-RS (PS3.18 10.5): each instance is POSTed to
/// `{root}/studies` as multipart/related; type="application/dicom", streamed from the staged
/// file. Confirmed only by HTTP 200 whose Referenced SOP Sequence names the instance and whose
/// Failed SOP Sequence is empty; a PACS keeps one copy per SOP Instance UID, so a resend after
/// a lost answer is harmless.
public struct STOWArchive: ArchiveTarget {
    /// `FLUOROBOX_HUB_ARCHIVE_USER` and `FLUOROBOX_HUB_ARCHIVE_PASSWORD`: basic auth, kept out
    /// of the command line.
    public static let userVariable = "FLUOROBOX_HUB_ARCHIVE_USER"
    public static let passwordVariable = "FLUOROBOX_HUB_ARCHIVE_PASSWORD"

    let http: HTTPClient
    let root: String
    let authorization: String?

    /// `root`: the DICOMweb root, e.g. http://pacs:8042/dicom-web.
    public init(root: String, username: String? = nil, password: String? = nil) throws(ArchiveError) {
        guard let url = URL(string: root), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ArchiveError(.configuration, "--archive-stow \"\(root)\" is not an http(s) URL of a DICOMweb root (http://pacs:8042/dicom-web)")
        }
        guard url.user == nil else {
            throw ArchiveError(.configuration, "--archive-stow carries no credentials; set \(Self.userVariable) and \(Self.passwordVariable)")
        }
        switch (username, password) {
        case let (user?, password?): authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case (nil, nil): authorization = nil
        default: throw ArchiveError(.configuration, "\(Self.userVariable) and \(Self.passwordVariable) go together")
        }
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10))))
    }

    public var name: String { "stow \(root)" }

    public func archive(_ instance: ArchiveInstance, deadline: ContinuousClock.Instant) async throws(ArchiveError) -> String {
        let boundary = "fluorobox-" + String(instance.sha256.prefix(32))
        let head = ByteBuffer(string: "--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
        let tail = ByteBuffer(string: "\r\n--\(boundary)--\r\n")
        let length = Int64(head.readableBytes) + instance.size + Int64(tail.readableBytes)
        var request = HTTPClientRequest(url: root + "/studies")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: #"multipart/related; type="application/dicom"; boundary=\#(boundary)"#)
        request.headers.add(name: "Accept", value: "application/dicom+json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .stream(MultipartFile(head: head, path: instance.path, size: instance.size, sha256: instance.sha256, tail: tail), length: .known(length))
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw ArchiveError(.unreachable, "no time left in the claim's lease") }
        let status: UInt
        let reply: [UInt8]
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(remaining / .nanoseconds(1))))
            status = response.status.code
            reply = Array(buffer: try await response.body.collect(upTo: 4 << 20))
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.unreachable, "POST \(root)/studies: \(error)")
        }
        let text = String(decoding: reply.prefix(300), as: UTF8.self)
        let answer = Self.answer(reply)
        switch status {
        case 200:
            if let failure = answer.failure { throw ArchiveError(.refused, "STOW-RS HTTP 200 with \(failure)") }
            guard let stored = answer.stored.first(where: { instance.sopInstanceUID == nil || $0.uid == instance.sopInstanceUID }) else {
                throw ArchiveError(.unreachable, "STOW-RS HTTP 200 names no stored instance\(instance.sopInstanceUID.map { " \($0)" } ?? ""): \(text)")
            }
            return stored.retrieveURL ?? stored.uid ?? "stored"
        case 202, 400, 409, 413, 415:
            throw ArchiveError(.refused, "STOW-RS HTTP \(status): \(answer.failure ?? text)")
        case 401, 403:
            throw ArchiveError(.unreachable, "STOW-RS HTTP \(status): the PACS refuses the hub's credentials (\(Self.userVariable), \(Self.passwordVariable))")
        default:
            throw ArchiveError(.unreachable, "STOW-RS HTTP \(status): \(text)")
        }
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// What a STOW-RS response (application/dicom+json) says: the Failed SOP Sequence
    /// (0008,1198) with its Failure Reason, and each item of the Referenced SOP Sequence
    /// (0008,1199) with its SOP Instance UID and Retrieve URL.
    static func answer(_ reply: [UInt8]) -> (failure: String?, stored: [(uid: String?, retrieveURL: String?)]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any] else { return (nil, []) }
        func items(_ tag: String) -> [[String: Any]] { ((object[tag] as? [String: Any])?["Value"] as? [[String: Any]]) ?? [] }
        func first(_ item: [String: Any], _ tag: String) -> String? {
            ((item[tag] as? [String: Any])?["Value"] as? [Any])?.first.map { "\($0)" }
        }
        let failure = items("00081198").first.map { "a failed SOP instance, Failure Reason \(first($0, "00081197") ?? "unknown")" }
        let stored = items("00081199").map { (uid: first($0, "00081155"), retrieveURL: first($0, "00081190")) }
        return (failure, stored)
    }
}

/// The request body: the part's head, the staged file in 1 MiB pieces (read off the pool),
/// the closing boundary. Bytes that do not hash to the item's SHA-256 end the body before the
/// closing boundary, so the PACS never takes a damaged copy as whole.
struct MultipartFile: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let head: ByteBuffer
    let path: String
    let size: Int64
    let sha256: String
    let tail: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: MultipartFile
        var offset: Int64 = -1
        var hasher = SHA256()

        mutating func next() async throws -> ByteBuffer? {
            if offset < 0 {
                offset = 0
                return file.head
            }
            if offset == file.size {
                offset += 1
                let digest = SHA256Hex.string(hasher.finalize())
                guard digest == file.sha256 else {
                    throw ArchiveError(.stagedBytesMissing, "\(file.path) hashes to \(digest), its item says \(file.sha256)")
                }
                return file.tail
            }
            guard offset < file.size else { return nil }
            let (path, start, count) = (file.path, offset, Int(Swift.min(1 << 20, file.size - offset)))
            let piece = try await BlockingIO.run { () throws -> [UInt8] in
                let fd = try Posix.open(path, [.readOnly])
                defer { Posix.close(fd) }
                var bytes = [UInt8](repeating: 0, count: count)
                var done = 0
                while done < count {
                    let n = try bytes.withUnsafeMutableBytes {
                        try Posix.pread(fd, into: $0.baseAddress! + done, count: count - done, offset: start + Int64(done), path: path)
                    }
                    guard n > 0 else { throw ArchiveError(.stagedBytesMissing, "\(path) is shorter than its item's \(count) bytes") }
                    done += n
                }
                return bytes
            }
            offset += Int64(count)
            hasher.update(data: piece)
            return ByteBuffer(bytes: piece)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(file: self) }
}
