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
        let fd: Int32
        let size: Int
        do {
            fd = try Posix.open(path, [.readOnly])
            let status = try Posix.fileStatus(fd, path: path)
            guard status.isRegularFile else {
                Posix.close(fd)
                return problem(HubError(.notFound, "no such \(what)"))
            }
            size = Int(status.size)
        } catch {
            return problem(HubError(.notFound, "no such \(what)"))
        }
        let range: ClosedRange<Int>?
        do {
            range = try ByteRange.parse(header, size: size)
        } catch {
            Posix.close(fd)
            var response = problem(error)
            if error.code == .rangeNotSatisfiable { response.headers[.contentRange] = "bytes */\(size)" }
            return response
        }
        let bytes = range ?? 0...(size - 1)
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        let body = ResponseBody(contentLength: size == 0 ? 0 : bytes.count) { writer in
            defer { Posix.close(fd) }
            guard size > 0 else { return try await writer.finish(nil) }
            var offset = Int64(bytes.lowerBound)
            let end = Int64(bytes.upperBound) + 1
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
