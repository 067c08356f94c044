import DICOM
import Glibc
import Logging
import NIOCore
import NIOPosix

/// Sends Part 10 files with C-STORE: one association, one presentation context per SOP class
/// and transfer syntax the files have. Files are sent in the syntax they are stored in (this
/// SCU does not transcode), so a file whose syntax the peer refuses is reported, not sent.
public struct StoreSCU: Sendable {
    public struct FileOutcome: Sendable {
        public var path: String
        public var sopInstanceUID: String?
        /// Nil when the file was not sent; `error` says why.
        public var status: DIMSEStatus?
        public var comment: String?
        public var error: String?
    }

    public var configuration: RequestorConfiguration
    public var logger: Logger

    /// `configuration.presentationContexts` is replaced by contexts made from the files.
    public init(callingAETitle: String, calledAETitle: String, logger: Logger) {
        configuration = RequestorConfiguration(callingAETitle: callingAETitle, calledAETitle: calledAETitle, presentationContexts: [])
        self.logger = logger
    }

    /// A file read and split into its meta information and data set.
    struct PreparedFile {
        var path: String
        var meta: FileMetaInformation
        var sopClassUID: String
        var sopInstanceUID: String
        var dataSet: ByteBuffer
    }

    static func prepare(_ path: String) throws -> PreparedFile {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw DICOMNetworkError(.invalidFile, "\(path): \(error)")
        }
        return try prepare(part10: bytes, path: path)
    }

    /// Splits a Part 10 file's bytes into its meta information and data set.
    static func prepare(part10 bytes: [UInt8], path: String) throws -> PreparedFile {
        let meta: FileMetaInformation
        do {
            meta = try FileMetaInformation(part10: bytes)
        } catch {
            throw DICOMNetworkError(.invalidFile, "\(path): \(error)")
        }
        guard let sopClass = meta.mediaStorageSOPClassUID, !sopClass.isEmpty,
              let sopInstance = meta.mediaStorageSOPInstanceUID, !sopInstance.isEmpty else {
            throw DICOMNetworkError(.invalidFile, "\(path): the file meta names no SOP class or instance")
        }
        var buffer = ByteBuffer(bytes: bytes)
        buffer.moveReaderIndex(forwardBy: meta.dataSetOffset)
        return PreparedFile(path: path, meta: meta, sopClassUID: sopClass, sopInstanceUID: sopInstance, dataSet: buffer)
    }

    /// Sends `paths` on one association and reports each file.
    public func send(host: String, port: Int, paths: [String]) async throws -> [FileOutcome] {
        var outcomes: [FileOutcome] = []
        var prepared: [(Int, PreparedFile)] = []
        var keys: [String] = []
        for path in paths {
            do {
                let file = try Self.prepare(path)
                prepared.append((outcomes.count, file))
                let key = file.sopClassUID + "|" + file.meta.transferSyntax.uid
                if !keys.contains(key) { keys.append(key) }
                outcomes.append(FileOutcome(path: path, sopInstanceUID: file.sopInstanceUID))
            } catch {
                outcomes.append(FileOutcome(path: path, error: "\(error)"))
            }
        }
        guard !prepared.isEmpty else { return outcomes }
        guard keys.count <= 128 else {
            throw DICOMNetworkError(.invalidFile, "the files need \(keys.count) presentation contexts; at most 128 fit in one association")
        }
        var configuration = self.configuration
        configuration.presentationContexts = keys.enumerated().map { index, key in
            let parts = key.split(separator: "|").map(String.init)
            return ProposedPresentationContext(id: UInt8(index * 2 + 1), abstractSyntax: parts[0], transferSyntaxes: [parts[1]])
        }
        let results = try await SCUAssociation.withAssociation(host: host, port: port, configuration: configuration, logger: logger) { association in
            var results: [(Int, DIMSEStatus?, String?, String?)] = []
            for (index, file) in prepared {
                guard let context = association.context(sopClassUID: file.sopClassUID, transferSyntax: file.meta.transferSyntax) else {
                    results.append((index, nil, nil, "the peer accepted no context for \(file.sopClassUID) in \(file.meta.transferSyntax)"))
                    continue
                }
                let response = try await association.store(
                    dataSet: file.dataSet, sopClassUID: file.sopClassUID, sopInstanceUID: file.sopInstanceUID, contextID: context.id
                )
                results.append((index, response.status, response.errorComment, nil))
            }
            return results.map { FileResult(index: $0.0, status: $0.1, comment: $0.2, error: $0.3) }
        }
        for result in results {
            outcomes[result.index].status = result.status
            outcomes[result.index].comment = result.comment
            outcomes[result.index].error = result.error
        }
        return outcomes
    }

    struct FileResult: Sendable {
        var index: Int
        var status: DIMSEStatus?
        var comment: String?
        var error: String?
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let handle = fopen(path, "rb") else {
            throw DICOMNetworkError(.invalidFile, "cannot open (errno \(errno))")
        }
        defer { fclose(handle) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if count == 0 { break }
            output += chunk[0..<count]
        }
        if ferror(handle) != 0 {
            throw DICOMNetworkError(.invalidFile, "read error")
        }
        return output
    }
}
