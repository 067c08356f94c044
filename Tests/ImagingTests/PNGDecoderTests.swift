import FluoroboxTestSupport
import Foundation
import Imaging
import Testing

/// The box's PNG decoder against libpng (netpbm's pngtopnm and pnmtopng).
@Suite("PNG decoding as libpng decodes", .enabled(if: tool("pngtopnm") != nil && tool("pnmtopng") != nil, "netpbm is not installed (tools/install-deps installs it)"))
struct PNGDecoderTests {
    /// A PGM or PPM as pngtopnm writes it: maxval and samples (big endian past 255).
    struct PNM {
        var width = 0, height = 0, channels = 1, maxval = 0
        var samples: [UInt16] = []

        init(_ bytes: [UInt8]) throws {
            var fields: [String] = []
            var index = 0
            while fields.count < 4 {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
                var token = ""
                while index < bytes.count, ![0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { token.append(Character(UnicodeScalar(bytes[index]))); index += 1 }
                fields.append(token)
            }
            index += 1
            channels = fields[0] == "P6" ? 3 : 1
            (width, height, maxval) = (Int(fields[1])!, Int(fields[2])!, Int(fields[3])!)
            let wide = maxval > 255
            samples = (0..<(width * height * channels)).map { i in
                wide ? UInt16(bytes[index + 2 * i]) << 8 | UInt16(bytes[index + 2 * i + 1]) : UInt16(bytes[index + i])
            }
        }

        /// Luma of a colour image with the decoder's weights, the samples of a grey one.
        var grey: [UInt16] {
            guard channels == 3 else { return samples }
            return (0..<(width * height)).map { p in
                let (r, g, b) = (UInt32(samples[3 * p]), UInt32(samples[3 * p + 1]), UInt32(samples[3 * p + 2]))
                return UInt16((299 * r + 587 * g + 114 * b + 500) / 1000)
            }
        }
    }

    func libpng(_ path: String) async throws -> PNM {
        let folder = TemporaryDirectory("pnm")
        let out = folder.file("out.pnm")
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "pngtopnm \"$1\" > \"$2\"", "sh", path, out])
        #expect(result.status == 0, "\(result.stderr)")
        // Parsing a 1024² PNM sample by sample takes seconds in a debug build: not on the pool.
        return try await cpuWork { try PNM([UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))) }
    }

    @Test("the NIH chest radiographs (grey and RGBA) decode to exactly libpng's samples", .enabled(if: TestData.available, Comment(rawValue: TestData.skipMessage)))
    func nihRadiographs() async throws {
        let all = TestData.files(under: "chest_xray/nih_cxr14").filter { $0.hasSuffix(".png") }
        var chosen = Array(all.prefix(6))
        // Every colour one too (there is one RGBA file among the grey ones): colour type, byte 25.
        let colour = all.filter { path in ((try? Data(contentsOf: URL(fileURLWithPath: path)).prefix(26).last) ?? 0) != 0 }
        #expect(!colour.isEmpty, "the shared NIH images include an RGBA one")
        chosen += colour.filter { !chosen.contains($0) }
        for path in chosen {
            let reference = try await libpng(path)
            let image = try await cpuWork { try PNGDecoder.decodeGray([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))) }
            #expect(image.width == reference.width && image.height == reference.height)
            let referenceGrey = try await cpuWork { reference.grey }
            #expect(image.samples == referenceGrey, "\(path)")
        }
    }

    @Test("greyscale at 16, 4, 2 and 1 bits written by libpng with its adaptive filters decodes exactly", arguments: [65535, 15, 3, 1])
    func bitDepths(maxval: Int) async throws {
        let folder = TemporaryDirectory("png-depth")
        let (width, height) = (97, 61)
        var generator = SystemRandomNumberGenerator()
        // A ramp with noise: every filter type pays off somewhere.
        let values = (0..<(width * height)).map { i in UInt16(min(maxval, (i % width) * maxval / width + Int.random(in: 0...1, using: &generator) * (maxval / 8))) }
        var pgm = Array("P5\n\(width) \(height)\n\(maxval)\n".utf8)
        for value in values { pgm += maxval > 255 ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value)] }
        try Data(pgm).write(to: URL(fileURLWithPath: folder.file("in.pgm")))
        let made = try await ProcessRunner.run("/bin/sh", ["-c", "pnmtopng \"$1\" > \"$2\"", "sh", folder.file("in.pgm"), folder.file("out.png")])
        #expect(made.status == 0, "\(made.stderr)")
        let image = try PNGDecoder.decodeGray([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("out.png")))))
        #expect(image.samples == values)
        #expect(image.bitsStored == (maxval > 255 ? 16 : maxval == 15 ? 4 : maxval == 3 ? 2 : 1))
    }

    @Test("interlaced, palette, cut and corrupted PNG files are refused with the reason")
    func refusals() async throws {
        let folder = TemporaryDirectory("png-refused")
        var pgm = Array("P5\n32 32\n255\n".utf8)
        pgm += (0..<1024).map { UInt8($0 % 251) }
        try Data(pgm).write(to: URL(fileURLWithPath: folder.file("in.pgm")))
        let ppm = Array("P6\n4 4\n255\n".utf8) + [UInt8](repeating: 200, count: 24) + [UInt8](repeating: 10, count: 24)
        try Data(ppm).write(to: URL(fileURLWithPath: folder.file("in.ppm")))
        _ = try await ProcessRunner.run("/bin/sh", ["-c", "pnmtopng -interlace in.pgm > interlaced.png && pnmtopng in.ppm > palette.png && pnmtopng in.pgm > plain.png"], currentDirectory: folder.path)
        func refusal(_ bytes: [UInt8]) -> String? {
            do {
                _ = try PNGDecoder.decodeGray(bytes)
                return nil
            } catch {
                return error.description
            }
        }
        let read = { (name: String) in [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file(name)))) }
        #expect(refusal(try read("interlaced.png"))?.contains("interlaced") == true)
        #expect(refusal(try read("palette.png"))?.contains("palette") == true)
        let plain = try read("plain.png")
        #expect(refusal(plain) == nil)
        #expect(refusal(Array(plain.prefix(plain.count - 20))) != nil)
        var corrupted = plain
        corrupted[60] ^= 0xFF
        #expect(refusal(corrupted) != nil)
    }
}
