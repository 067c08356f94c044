import Testing
@testable import USBCapture

@Suite("UVC payload headers and frame assembly")
struct UVCPayloadTests {
    static func header(fid: Bool, eof: Bool = false, err: Bool = false, pts: UInt32? = nil, scr: (UInt32, UInt16)? = nil) -> [UInt8] {
        var info: UInt8 = 0x80 | (fid ? 0x01 : 0) | (eof ? 0x02 : 0) | (err ? 0x40 : 0)
        var extra: [UInt8] = []
        if let pts {
            info |= 0x04
            extra += [UInt8(pts & 0xFF), UInt8((pts >> 8) & 0xFF), UInt8((pts >> 16) & 0xFF), UInt8(pts >> 24)]
        }
        if let scr {
            info |= 0x08
            extra += [UInt8(scr.0 & 0xFF), UInt8((scr.0 >> 8) & 0xFF), UInt8((scr.0 >> 16) & 0xFF), UInt8(scr.0 >> 24), UInt8(scr.1 & 0xFF), UInt8(scr.1 >> 8)]
        }
        return [UInt8(2 + extra.count), info] + extra
    }

    @Test("headers: FID, EOF, ERR, PTS and SCR at their bits and offsets")
    func parseHeader() throws {
        let bytes = Self.header(fid: true, eof: true, pts: 0x1122_3344, scr: (0xAABB_CCDD, 0x0F42)) + [9, 9, 9]
        let header = try UVCPayloadHeader.parse(bytes).get()
        #expect(header.length == 12)
        #expect(header.frameID && header.endOfFrame && !header.error && header.endOfHeader)
        #expect(header.presentationTime == 0x1122_3344)
        #expect(header.sourceClock?.sourceTime == 0xAABB_CCDD)
        #expect(header.sourceClock?.startOfFrame == 0x0742, "SOF is an 11-bit counter")
        let plain = try UVCPayloadHeader.parse([0x02, 0xC0]).get()
        #expect(plain.error && !plain.frameID && plain.presentationTime == nil)
    }

    @Test("garbage headers are rejected with the reason")
    func garbage() {
        #expect(throws: UVCPayloadHeader.ProblemError(problem: .tooShort)) { try UVCPayloadHeader.parse([0x02]).get() }
        #expect(throws: UVCPayloadHeader.ProblemError(problem: .lengthOutOfRange)) { try UVCPayloadHeader.parse([0xFF, 0x80, 1, 2]).get() }
        #expect(throws: UVCPayloadHeader.ProblemError(problem: .lengthOutOfRange)) { try UVCPayloadHeader.parse([0x01, 0x80, 1, 2]).get() }
        #expect(throws: UVCPayloadHeader.ProblemError(problem: .lengthDisagreesWithFlags)) { try UVCPayloadHeader.parse([0x02, 0x8C, 1, 2, 3, 4]).get() }
        #expect(throws: UVCPayloadHeader.ProblemError(problem: .lengthDisagreesWithFlags)) { try UVCPayloadHeader.parse([0x20] + [UInt8](repeating: 0x80, count: 40)).get() }
    }

    /// A 4x2 GREY frame split into payloads of `chunk` bytes.
    static func payloads(_ data: [UInt8], fid: Bool, chunk: Int, eof: Bool = true, pts: UInt32? = 7) -> [[UInt8]] {
        stride(from: 0, to: data.count, by: chunk).map { start in
            let last = start + chunk >= data.count
            return header(fid: fid, eof: eof && last, pts: pts) + data[start..<min(data.count, start + chunk)]
        }
    }

    @Test("frames end at EOF; the ERR bit, a lost payload and an invalid header each drop one frame and are counted")
    func assembly() throws {
        var assembler = UVCFrameAssembler(format: .grey, width: 4, height: 2, maxFrameSize: 8)
        let frame: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        var delivered: [[UInt8]] = []
        var drops: [UVCFrameAssembler.DropReason] = []
        func feed(_ payloads: [[UInt8]]) {
            for payload in payloads {
                for event in assembler.consume(payload) {
                    switch event {
                    case .frame(let frame): delivered.append(frame.bytes)
                    case .dropped(let reason, _): drops.append(reason)
                    }
                }
            }
        }
        feed(Self.payloads(frame, fid: false, chunk: 3))
        #expect(delivered == [frame])
        // ERR on the last payload.
        var errored = Self.payloads(frame, fid: true, chunk: 4)
        errored[1][1] |= 0x40
        feed(errored)
        // A lost middle payload: the frame is short.
        var torn = Self.payloads(frame, fid: false, chunk: 3)
        torn.remove(at: 1)
        feed(torn)
        // An invalid header in the middle of a frame.
        var garbled = Self.payloads(frame, fid: true, chunk: 3)
        garbled[1][0] = 0xEE
        feed(garbled)
        feed(Self.payloads(frame.reversed(), fid: false, chunk: 8))
        #expect(delivered == [frame, frame.reversed()])
        #expect(drops == [.errorBit, .torn, .invalidHeader])
        let counters = assembler.counters
        #expect(counters.framesDelivered == 2 && counters.erroredFrames == 1 && counters.tornFrames == 2 && counters.invalidHeaders == 1)
        #expect(counters.dropped == 3)
    }

    @Test("without EOF, the FID toggle ends each frame; a frame cut short by the toggle is torn")
    func fidToggleWithoutEOF() {
        var assembler = UVCFrameAssembler(format: .grey, width: 2, height: 2, maxFrameSize: 4)
        var delivered: [[UInt8]] = []
        var drops = 0
        let stream: [[UInt8]] = [
            Self.header(fid: false) + [1, 2], Self.header(fid: false) + [3, 4],
            Self.header(fid: true) + [5, 6], Self.header(fid: true) + [7, 8],
            Self.header(fid: false) + [9, 9],  // only half a frame before the next toggle
            Self.header(fid: true) + [1, 1], Self.header(fid: true) + [2, 2],
            Self.header(fid: false),  // the toggle that closes the last frame, header only
        ]
        for payload in stream {
            for event in assembler.consume(payload) {
                if case .frame(let frame) = event { delivered.append(frame.bytes) } else { drops += 1 }
            }
        }
        #expect(delivered == [[1, 2, 3, 4], [5, 6, 7, 8], [1, 1, 2, 2]])
        #expect(drops == 1 && assembler.counters.tornFrames == 1)
    }

    @Test("overlong frames, MJPEG without an end marker, failed packets and a stream cut mid-frame are dropped")
    func otherDrops() {
        var grey = UVCFrameAssembler(format: .grey, width: 2, height: 2, maxFrameSize: 4)
        let long = grey.consume(Self.header(fid: false, eof: true) + [1, 2, 3, 4, 5])
        #expect(long.count == 1)
        if case .dropped(let reason, _)? = long.first { #expect(reason == .overflow) } else { Issue.record("expected a drop") }
        _ = grey.consume(Self.header(fid: true) + [1, 2])
        _ = grey.consume(UnsafeRawBufferPointer(start: nil, count: 0), failed: true)
        let failed = grey.consume(Self.header(fid: true, eof: true) + [3, 4])
        if case .dropped(let reason, _)? = failed.first { #expect(reason == .packetError) } else { Issue.record("expected a drop") }
        _ = grey.consume(Self.header(fid: false) + [1])
        if case .dropped(let reason, let bytes)? = grey.streamInterrupted() { #expect(reason == .torn && bytes == 1) } else { Issue.record("expected a torn frame") }
        #expect(grey.counters.packetErrors == 1 && grey.counters.erroredFrames == 1 && grey.counters.tornFrames == 2)

        var jpeg = UVCFrameAssembler(format: .mjpeg, width: 2, height: 2, maxFrameSize: 100)
        let complete = jpeg.consume(Self.header(fid: false, eof: true) + [0xFF, 0xD8, 1, 2, 0xFF, 0xD9, 0, 0])
        if case .frame(let frame)? = complete.first { #expect(frame.bytes == [0xFF, 0xD8, 1, 2, 0xFF, 0xD9], "padding after EOI is cut") } else { Issue.record("expected a frame") }
        let cut = jpeg.consume(Self.header(fid: true, eof: true) + [0xFF, 0xD8, 1, 2, 3])
        if case .dropped(let reason, _)? = cut.first { #expect(reason == .torn) } else { Issue.record("expected a drop") }
        #expect(jpeg.counters.framesDelivered == 1 && jpeg.counters.tornFrames == 1)
    }

    @Test("an incomplete first frame (stream joined mid-frame) is not counted as a fault")
    func joinedMidFrame() {
        var assembler = UVCFrameAssembler(format: .grey, width: 2, height: 2, maxFrameSize: 4)
        _ = assembler.consume(Self.header(fid: true, eof: true) + [3, 4])
        let next = assembler.consume(Self.header(fid: false, eof: true) + [1, 2, 3, 4])
        #expect(next.count == 1)
        #expect(assembler.counters.partialAtStart == 1 && assembler.counters.tornFrames == 0 && assembler.counters.framesDelivered == 1)
    }
}
