import Crypto
import Foundation
import POSIXSupport

/// The dm-verity hash tree of a RAUC verity bundle, recomputed from the payload and held against
/// the root hash the signed manifest names.
///
/// A verity bundle is the payload (a squashfs holding the slot images), its hash tree, the CMS
/// signature and the signature's size (8 bytes, big-endian). The signature covers the manifest,
/// which names the tree's salt, root hash and size, so a payload whose recomputed tree ends in
/// that root hash is byte for byte what was signed. RAUC reads the payload lazily as it writes
/// the slot, so a changed block would fail half-way through; checking it here first reads the
/// compressed payload once (a quarter of the slot image) and needs no mount and no privilege.
struct BundleVerity: Sendable, Equatable {
    /// dm-verity's block size for both data and hashes, as RAUC makes bundles.
    static let blockSize = 4096
    static let digestSize = 32

    let salt: [UInt8]
    let rootHash: [UInt8]
    /// Bytes of the hash tree between the payload and the signature.
    let hashTreeSize: Int64

    /// The verity fields of `rauc info`'s text output (its JSON leaves them out), which RAUC
    /// prints only once the signature verified: "Verity Salt: 'hex'", "Verity Hash: 'hex'",
    /// "Verity Size: N".
    init?(raucInfo text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("Verity ") else { continue }
            fields[name] = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let salt = fields["Verity Salt"].flatMap(Self.bytes(hex:)), !salt.isEmpty,
            let root = fields["Verity Hash"].flatMap(Self.bytes(hex:)), root.count == Self.digestSize,
            let size = fields["Verity Size"].flatMap({ Int64($0) }), size > 0, size % Int64(Self.blockSize) == 0
        else { return nil }
        self.init(salt: salt, rootHash: root, hashTreeSize: size)
    }

    init(salt: [UInt8], rootHash: [UInt8], hashTreeSize: Int64) {
        self.salt = salt
        self.rootHash = rootHash
        self.hashTreeSize = hashTreeSize
    }

    /// Reads the bundle's payload and hash tree once: the tree recomputed from the payload must
    /// end in the signed root hash, and the tree stored in the bundle (what dm-verity checks
    /// against when RAUC installs) must be that tree.
    func verify(bundle path: String) throws(OSUpdateError) {
        do {
            let fd = try Posix.open(path, [.readOnly, .nonBlocking])
            defer { Posix.close(fd) }
            let size = try Posix.fileStatus(fd, path: path).size
            let trailer = try read(fd, count: 8, at: size - 8, path: path)
            let signatureSize = trailer.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let payloadSize = size - 8 - signatureSize - hashTreeSize
            guard signatureSize > 0, payloadSize > 0, payloadSize % Int64(Self.blockSize) == 0 else {
                throw OSUpdateError(.payload, "the bundle's layout does not match its signed hash tree size (\(hashTreeSize) bytes)")
            }
            let levels = try tree(fd, payloadSize: payloadSize, path: path)
            guard digest(levels.last!) == rootHash else {
                throw OSUpdateError(.payload, "its payload's dm-verity root hash is not the one the signature covers")
            }
            // dm-verity stores the levels from the root down.
            let stored = try read(fd, count: Int(hashTreeSize), at: payloadSize, path: path)
            guard stored == Array(levels.reversed().joined()) else {
                throw OSUpdateError(.payload, "its stored dm-verity hash tree differs from the payload's")
            }
        } catch let error as SystemCallError {
            throw OSUpdateError(.payload, "the bundle could not be read in full: \(error)")
        } catch let error as OSUpdateError {
            throw error
        } catch {
            throw OSUpdateError(.payload, "\(error)")
        }
    }

    /// Every level of the tree, leaves first, each as whole hash blocks (the last one padded
    /// with zeros); the last level is one block.
    private func tree(_ fd: Int32, payloadSize: Int64, path: String) throws -> [[UInt8]] {
        var level: [UInt8] = []
        level.reserveCapacity(Int(payloadSize / Int64(Self.blockSize)) * Self.digestSize + Self.blockSize)
        let chunk = 256 * Self.blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < payloadSize {
            let want = Int(min(Int64(chunk), payloadSize - offset))
            var got = 0
            while got < want {
                let n = try Posix.pread(fd, into: buffer.baseAddress! + got, count: want - got, offset: offset + Int64(got), path: path)
                guard n > 0 else { throw OSUpdateError(.payload, "the bundle ends inside its payload") }
                got += n
            }
            for start in stride(from: 0, to: want, by: Self.blockSize) {
                level += digest(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + Self.blockSize)]))
            }
            offset += Int64(want)
        }
        var levels: [[UInt8]] = []
        while true {
            let padding = (Self.blockSize - level.count % Self.blockSize) % Self.blockSize
            level += [UInt8](repeating: 0, count: padding)
            levels.append(level)
            if level.count == Self.blockSize { return levels }
            var next: [UInt8] = []
            level.withUnsafeBytes { blocks in
                for start in stride(from: 0, to: blocks.count, by: Self.blockSize) {
                    next += digest(UnsafeRawBufferPointer(rebasing: blocks[start..<(start + Self.blockSize)]))
                }
            }
            level = next
        }
    }

    /// dm-verity's version 1 digest: SHA-256 of the salt, then the block.
    private func digest(_ block: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(bufferPointer: block)
        return Array(hasher.finalize())
    }

    private func digest(_ block: [UInt8]) -> [UInt8] {
        block.withUnsafeBytes { digest($0) }
    }

    private func read(_ fd: Int32, count: Int, at offset: Int64, path: String) throws -> [UInt8] {
        guard offset >= 0, count >= 0 else { throw OSUpdateError(.payload, "the bundle is too short for its signed layout") }
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = try bytes.withUnsafeMutableBytes { buffer in
                try Posix.pread(fd, into: buffer.baseAddress! + got, count: count - got, offset: offset + Int64(got), path: path)
            }
            guard n > 0 else { throw OSUpdateError(.payload, "the bundle is too short for its signed layout") }
            got += n
        }
        return bytes
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
