import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import POSIXSupport

extension HubServer {
    /// A file of `folder` (a model package, an OS bundle) as a download that resumes with
    /// "Range: bytes=N-" (and the other single-range forms). The bytes are read as they are sent:
    /// an OS bundle is hundreds of megabytes, and several boxes may fetch at once.
    static func fileResponse(folder: String?, name: String, range header: String?, what: String) -> Response {
        guard let folder, isValidKey(name), !name.hasPrefix(".") else { return problem(HubError(.notFound, "no such \(what)")) }
        let path = folder + "/" + name
        guard let status = try? Posix.fileStatus(path), status.isRegularFile else { return problem(HubError(.notFound, "no such \(what)")) }
        let size = Int(status.size)
        let range: ClosedRange<Int>?
        do {
            range = try ByteRange.parse(header, size: size)
        } catch {
            var response = problem(error)
            if error.code == .rangeNotSatisfiable { response.headers[.contentRange] = "bytes */\(size)" }
            return response
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        let first = Int64(range?.lowerBound ?? 0)
        let end = range.map { Int64($0.upperBound) + 1 } ?? Int64(size)
        // Opened as the body is written, so a response never sent holds no descriptor.
        let body = ResponseBody(contentLength: Int(end - first)) { writer in
            let fd = try Posix.open(path, [.readOnly])
            defer { Posix.close(fd) }
            var offset = first
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            while offset < end {
                buffer.clear()
                let wanted = Int(min(Int64(1 << 20), end - offset))
                let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw in
                    try Posix.pread(fd, into: raw.baseAddress!, count: wanted, offset: offset, path: path)
                }
                guard read > 0 else { throw HubError(.storage, "\(path) ended at \(offset) of \(end)") }
                offset += Int64(read)
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: range == nil ? .ok : .partialContent, headers: headers, body: body)
    }
}
