import FluoroboxTestSupport
import Foundation
import Imaging
import Testing

/// FreeType through ``FontFace``: DejaVu Sans (Debian's fonts-dejavu-core, installed by
/// tools/install-deps) draws Latin and Cyrillic; files that are no font, or a damaged one,
/// end in a ``FontError`` that says which, never a crash.
@Suite("FontFace draws text through FreeType and turns its errors into FontError")
struct FontFaceTests {
    static let dejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    /// The code of the FontError `body` throws; nil when it throws nothing (or something else).
    static func code(_ body: () throws -> Void) -> FontError.Code? {
        do {
            try body()
            return nil
        } catch {
            return (error as? FontError)?.code
        }
    }

    @Test("DejaVu Sans has the Cyrillic and Latin letters and draws them anti-aliased, on a common baseline")
    func cyrillicAndLatin() throws {
        let face = try FontFace(path: Self.dejaVu)
        #expect(face.missingCharacters(in: "ОТМЕЧЕНО ДЛЯ ПРОСМОТРА ВРАЧОМ — НЕ ДИАГНОЗ Ёё FLAGGED 82%").isEmpty)
        // A private-use character no font of the system has.
        #expect(face.missingCharacters(in: "A\u{E000}B") == ["\u{E000}"])

        let zhe = try face.render("Ж", pixelSize: 40)
        let full = zhe.coverage.filter { $0 == 255 }.count, partial = zhe.coverage.filter { $0 > 0 && $0 < 255 }.count
        #expect(full > 40 && partial > 20, "full \(full), partial \(partial): not an anti-aliased glyph")
        // Ж and X are different glyphs at the same size.
        let x = try face.render("X", pixelSize: 40)
        #expect(zhe.height == x.height && zhe.baseline == x.baseline)
        #expect(zhe.coverage != x.coverage || zhe.width != x.width)
        // A longer line is wider, and the same size gives the same height.
        let line = try face.render("ОТМЕЧЕНО", pixelSize: 40)
        #expect(line.width > 6 * zhe.width / 2 && line.height == zhe.height)
        // Twice the size, about twice the width.
        let bigger = try face.render("ОТМЕЧЕНО", pixelSize: 80)
        #expect(abs(bigger.width - 2 * line.width) <= 8, "\(bigger.width) against \(line.width)")
    }

    @Test("a missing file, a folder, a text file and an out-of-range size are each their own error")
    func notFonts() throws {
        let folder = TemporaryDirectory("fonts")
        let missing = folder.file("DejaVuSans.ttf")
        do {
            _ = try FontFace(path: missing)
            Issue.record("a missing file opened")
        } catch {
            #expect(error.code == .unreadable && error.path == missing && error.description.contains("No such file"), "\(error)")
        }
        #expect(Self.code { _ = try FontFace(path: folder.path) } == .unreadable)
        let text = try folder.write("notes.ttf", Array("not a font at all, only words\n".utf8))
        #expect(Self.code { _ = try FontFace(path: text) } == .notAFont)
        let face = try FontFace(path: Self.dejaVu)
        #expect(Self.code { _ = try face.render("A", pixelSize: 0) } == .invalidSize)
        #expect(Self.code { _ = try face.render("A", pixelSize: 100_000) } == .invalidSize)
    }

    @Test("a TTF cut short ends in FontError.damaged, never a crash", arguments: [12, 200, 4_096, 60_000, 380_000])
    func truncated(length: Int) throws {
        let folder = TemporaryDirectory("fonts")
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.dejaVu)))
        let path = try folder.write("cut.ttf", Array(whole.prefix(length)))
        do throws(FontError) {
            let face = try FontFace(path: path)
            // FreeType reads glyphs lazily: a file cut past its tables may open, and fail on a glyph.
            _ = try face.render("ОТМЕЧЕНО FLAGGED 82% Жж", pixelSize: 32)
            Issue.record("a font cut to \(length) of \(whole.count) bytes drew its text")
        } catch {
            #expect(error.code == .damaged && error.path == path, "\(error)")
        }
    }

    @Test("a TTF cut in its last tables, which drawing does not read, still draws or fails as damaged")
    func truncatedTail() throws {
        let folder = TemporaryDirectory("fonts")
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.dejaVu)))
        let path = try folder.write("cut.ttf", Array(whole.prefix(whole.count - 50_000)))
        do throws(FontError) {
            // Its outlines are there; what is cut (hinting, kerning) may change a pixel here and there.
            let line = try FontFace(path: path).render("ОТМЕЧЕНО", pixelSize: 32)
            let whole = try FontFace(path: Self.dejaVu).render("ОТМЕЧЕНО", pixelSize: 32)
            #expect(abs(line.width - whole.width) <= whole.width / 10 && line.coverage.contains(255), "\(line.width) against \(whole.width)")
        } catch {
            #expect(error.code == .damaged, "\(error)")
        }
    }

    @Test("a TTF with garbage over its glyph data ends in a FontError or draws, never a crash")
    func corrupted() throws {
        let folder = TemporaryDirectory("fonts")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.dejaVu)))
        // Every 97th byte past the header overwritten by a fixed scramble of its offset: the same file on every run.
        for index in stride(from: 2_000, to: bytes.count, by: 97) { bytes[index] = UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13) }
        let path = try folder.write("garbage.ttf", bytes)
        do throws(FontError) {
            let face = try FontFace(path: path)
            _ = try face.render("ОТМЕЧЕНО FLAGGED 82% Жж", pixelSize: 32)
        } catch {
            #expect(error.code == .damaged || error.code == .notAFont, "\(error)")
        }
    }
}

