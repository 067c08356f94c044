import Hummingbird
import Logging
import POSIXSupport
import PostgresNIO
import Synchronization

extension PostgresHubStore {
    /// What a chunk's transaction decided. Some refusals change the row first (a reset) and are
    /// thrown only after that commit.
    private enum ChunkDecision: Sendable {
        case outcome(HubChunkOutcome)
        case refuseAfterCommit(HubError)
    }

    public func receiveChunk(device: String, key: String, upload headers: UploadHeaders, body: RequestBody) async throws -> HubChunkOutcome {
        let part = partPath(device: device, key: key)
        let logger = logger
        let lockTimeout = Int64(settings.lockTimeout / .milliseconds(1))
        let lost = LostBytes()
        let decision: ChunkDecision
        do {
            decision = try await transaction("receiving a chunk of \(key)") { connection -> ChunkDecision in
                try await connection.query("SET LOCAL lock_timeout = \(unescaped: String(lockTimeout))", logger: logger)
                // A held item never changes, so it needs no lock.
                if let held = try await Self.heldItem(connection, device: device, key: key, logger: logger) {
                    return .outcome(.alreadyHeld(try Self.sameBytes(held, headers, key: key)))
                }
                try await connection.query("""
                    INSERT INTO upload (device, key, length, sha256) VALUES (\(device), \(key), \(headers.length), \(headers.sha256))
                    ON CONFLICT (device, key) DO NOTHING
                    """, logger: logger)
                let rows = try await connection.query("""
                    SELECT length, sha256, staged_bytes, state, bytes_received FROM upload
                    WHERE device = \(device) AND key = \(key) FOR UPDATE
                    """, logger: logger)
                guard let (length, sha256, staged, state, received) = try await Self.collect(
                    "locking \(key)", rows.decode((Int64, String, Int64, String, Int64).self)
                ).first else {
                    throw HubError(.storage, "the upload row of \(key) vanished under its lock")
                }
                if state == "complete" {
                    // Another replica completed it while this one waited for the row.
                    return .outcome(.alreadyHeld(try Self.sameBytes(.complete(size: length, sha256: sha256), headers, key: key)))
                }
                guard length == headers.length, sha256 == headers.sha256 else {
                    throw HubError(.conflict, "\(key) is being uploaded with length \(length) and SHA-256 \(sha256)")
                }
                if StagedPart.size(part) < staged {
                    return try await self.recoverStagedBytes(connection, device: device, key: key, length: length, sha256: sha256, staged: staged)
                }
                guard staged == headers.offset else {
                    throw HubError(.offsetMismatch, "\(key): the hub holds \(staged) bytes, the chunk starts at \(headers.offset)")
                }
                let written = try await StagedPart.write(path: part, offset: headers.offset, length: length, body: body) { count in lost.count.withLock { $0 = count } }
                CrashPoint.reached("hub-chunk-staged")
                let count = written.end - headers.offset
                try await connection.query("""
                    INSERT INTO upload_part (device, key, start_offset, length, sha256)
                    VALUES (\(device), \(key), \(headers.offset), \(count), \(written.sha256))
                    ON CONFLICT (device, key, start_offset) DO UPDATE SET length = EXCLUDED.length, sha256 = EXCLUDED.sha256, received_at = now()
                    """, logger: logger)
                try await connection.query("""
                    UPDATE upload SET staged_bytes = \(written.end), bytes_received = bytes_received + \(count), updated_at = now()
                    WHERE device = \(device) AND key = \(key)
                    """, logger: logger)
                guard written.end == length else {
                    return .outcome(.accepted(.partial(offset: written.end, length: length, sha256: sha256)))
                }
                return try await self.complete(
                    connection, device: device, key: key, length: length, sha256: sha256, resent: received + count - length
                )
            }
        } catch {
            let cut = lost.count.withLock { $0 }
            if cut > 0 {
                // The cut chunk's bytes still count in "bytes resent" (the box sends them again).
                _ = try? await statement("counting lost bytes of \(key)", """
                    UPDATE upload SET bytes_received = bytes_received + \(cut) WHERE device = \(device) AND key = \(key)
                    """)
            }
            throw error
        }
        switch decision {
        case .outcome(let outcome): return outcome
        case .refuseAfterCommit(let error): throw error
        }
    }

    /// Checks the staged file against the announced digest, files it under its SHA-256 and
    /// records the item, all before the commit that the box's 201 stands on.
    private func complete(
        _ connection: PostgresConnection, device: String, key: String, length: Int64, sha256: String, resent: Int64
    ) async throws -> ChunkDecision {
        let part = partPath(device: device, key: key)
        let digest: String
        do {
            digest = try await BlockingIO.run { try SHA256Hex.string(ofFileAt: part) }
        } catch {
            throw HubError(.storage, "reading \(part): \(error)")
        }
        guard digest == sha256 else {
            // Start over: the bytes held are not the bytes announced.
            try await connection.query("DELETE FROM upload WHERE device = \(device) AND key = \(key)", logger: logger)
            try? Posix.unlink(part)
            return .refuseAfterCommit(HubError(.digestMismatch, "\(key): received bytes hash to \(digest), announced \(sha256)"))
        }
        let relative = "items/" + sha256
        let target = settings.staging + "/" + relative
        let items = itemsFolder
        // An archive worker deletes items/<sha256> once every item of those bytes is archived;
        // holding the file's lock until this commit keeps it from deleting the file just filed.
        try await lockStagedFile(connection, sha256: sha256)
        do {
            try await BlockingIO.run {
                try Posix.rename(part, target)
                try Posix.fsyncDirectory(items)
            }
        } catch {
            throw HubError(.storage, "filing \(relative): \(error)")
        }
        try await record(connection, device: device, key: key, length: length, sha256: sha256, path: relative, resent: max(0, resent))
        return .outcome(.completed(.complete(size: length, sha256: sha256)))
    }

    private func record(
        _ connection: PostgresConnection, device: String, key: String, length: Int64, sha256: String, path: String, resent: Int64
    ) async throws {
        try await connection.query("""
            INSERT INTO item (device, key, kind, sha256, size, path, bytes_resent)
            VALUES (\(device), \(key), 'instance', \(sha256), \(length), \(path), \(resent))
            ON CONFLICT (device, key) DO NOTHING
            """, logger: logger)
        // Queued for the archive in the same commit that records the instance.
        try await connection.query("""
            INSERT INTO archive_job (item_id) SELECT id FROM item WHERE device = \(device) AND key = \(key)
            ON CONFLICT (item_id) DO NOTHING
            """, logger: logger)
        try await connection.query("""
            UPDATE upload SET state = 'complete', staged_bytes = length, updated_at = now() WHERE device = \(device) AND key = \(key)
            """, logger: logger)
    }

    /// The staged file holds fewer bytes than the row says. Either a replica died between
    /// filing the last chunk and its commit (the file sits complete under its SHA-256: record
    /// it now), or the shared folder lost them: the upload starts over and the box hears 409
    /// with offset 0.
    private func recoverStagedBytes(
        _ connection: PostgresConnection, device: String, key: String, length: Int64, sha256: String, staged: Int64
    ) async throws -> ChunkDecision {
        let relative = "items/" + sha256
        let filed = settings.staging + "/" + relative
        try await lockStagedFile(connection, sha256: sha256)
        if StagedPart.size(filed) == length, (try? await BlockingIO.run { try SHA256Hex.string(ofFileAt: filed) }) == sha256 {
            try await record(connection, device: device, key: key, length: length, sha256: sha256, path: relative, resent: 0)
            logger.notice("upload recovered from its filed bytes", metadata: ["device": "\(device)", "key": "\(key)"])
            return .outcome(.completed(.complete(size: length, sha256: sha256)))
        }
        try await connection.query("""
            UPDATE upload SET staged_bytes = 0, updated_at = now() WHERE device = \(device) AND key = \(key)
            """, logger: logger)
        try await connection.query("DELETE FROM upload_part WHERE device = \(device) AND key = \(key)", logger: logger)
        logger.warning("staged bytes missing; the upload starts over", metadata: [
            "device": "\(device)", "key": "\(key)", "recorded": "\(staged)", "staged": "\(StagedPart.size(partPath(device: device, key: key)))",
        ])
        return .refuseAfterCommit(HubError(.offsetMismatch, "\(key): the staged bytes were lost; the upload starts over at 0"))
    }

    private static func heldItem(_ connection: PostgresConnection, device: String, key: String, logger: Logger) async throws -> HubUploadState? {
        let rows = try await connection.query("SELECT size, sha256 FROM item WHERE device = \(device) AND key = \(key)", logger: logger)
        guard let (size, sha256) = try await collect("reading \(key)", rows.decode((Int64, String).self)).first else { return nil }
        return .complete(size: size, sha256: sha256)
    }

    /// A chunk for a held key: fine when it announces the same bytes, a conflict otherwise.
    private static func sameBytes(_ held: HubUploadState, _ headers: UploadHeaders, key: String) throws(HubError) -> HubUploadState {
        guard case .complete(let size, let sha256) = held, size == headers.length, sha256 == headers.sha256 else {
            throw HubError(.conflict, "\(key) is held with other bytes (\(held))")
        }
        return held
    }
}

/// The bytes of a cut chunk, out of the chunk's transaction (which runs in a task of its own).
private final class LostBytes: Sendable {
    let count = Mutex<Int64>(0)
}
