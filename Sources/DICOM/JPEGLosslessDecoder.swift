/// JPEG lossless, process 14 (ITU-T T.81 annex H), decoded in Swift: Huffman-coded differences
/// from one of the seven predictors, with point transform and restart intervals. Debian's
/// libjpeg-turbo 2.1 has no lossless mode; CR and DX units use it widely (selection value 1).
///
/// One component (grayscale), 2 to 16 bits. Restart intervals must be whole lines, as in IJG's
/// lossless implementation.
struct JPEGLosslessDecoder {
    struct Output {
        let width: Int
        let height: Int
        let precision: Int
        let samples: [Int32]
    }

    private struct HuffmanTable {
        /// For codes of up to 8 bits, indexed by the next 8 bits: code length (0 when longer) and value.
        var fastLength = [UInt8](repeating: 0, count: 256)
        var fastValue = [UInt8](repeating: 0, count: 256)
        var maxCode = [Int32](repeating: -1, count: 18)
        var valueOffset = [Int32](repeating: 0, count: 17)
        var values: [UInt8] = []

        init(counts: [Int], values: [UInt8]) throws(PixelDataError) {
            // The canonical codes (T.81 annex C) must fit their lengths before any table is filled:
            // a DHT that lists more codes than its lengths hold would index past the lookup tables.
            // As in IJG's jdhuff.c, the all-ones code of a length is refused too.
            guard counts.count == 16, values.count == counts.reduce(0, +) else {
                throw PixelDataError(.damagedCompressedData, detail: "JPEG Huffman table lists \(counts.reduce(0, +)) codes for \(values.count) values")
            }
            var next = 0
            for length in 1...16 {
                next += counts[length - 1]
                guard next < (1 << length) else {
                    throw PixelDataError(.damagedCompressedData, detail: "JPEG Huffman table has more codes than fit in \(length) bits")
                }
                next <<= 1
            }
            self.values = values
            var code: Int32 = 0
            var index: Int32 = 0
            for length in 1...16 {
                let count = Int32(counts[length - 1])
                valueOffset[length] = index - code
                if count > 0 {
                    for i in 0..<count where length <= 8 {
                        // Every 8-bit pattern that starts with this code.
                        let first = Int((code + i) << (8 - length))
                        for pattern in first..<first + (1 << (8 - length)) {
                            fastLength[pattern] = UInt8(length)
                            fastValue[pattern] = values[Int(index + i)]
                        }
                    }
                    code += count
                    index += count
                    maxCode[length] = code - 1
                }
                guard code <= (1 << length) else {
                    throw PixelDataError(.damagedCompressedData, detail: "JPEG Huffman table has too many codes of length \(length)")
                }
                code <<= 1
            }
            maxCode[17] = Int32.max
        }
    }

    private struct BitReader {
        let data: UnsafeBufferPointer<UInt8>
        var position: Int
        var buffer: UInt64 = 0
        var count = 0
        /// Zero bits appended after a marker or the end of data, at the bottom of the buffer.
        var paddingBits = 0
        var overran = false

        init(data: UnsafeBufferPointer<UInt8>, position: Int) {
            self.data = data
            self.position = position
        }

        @inline(__always)
        mutating func fill() {
            while count <= 56 {
                var byte: UInt8 = 0
                if paddingBits == 0, position < data.count {
                    byte = data[position]
                    if byte == 0xFF {
                        if position + 1 < data.count, data[position + 1] == 0x00 {
                            position += 2
                        } else {
                            paddingBits += 8
                            byte = 0
                        }
                    } else {
                        position += 1
                    }
                } else {
                    paddingBits += 8
                }
                buffer |= UInt64(byte) << UInt64(56 - count)
                count += 8
            }
        }

        @inline(__always)
        func peek(_ bits: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: buffer >> UInt64(64 - bits))
        }

        @inline(__always)
        mutating func consume(_ bits: Int) {
            buffer <<= UInt64(bits)
            count -= bits
            if count < paddingBits { overran = true }
        }

        /// At a restart: drop the bits left in the current byte and step over RSTn.
        mutating func restart(expected: Int) throws(PixelDataError) {
            buffer = 0
            count = 0
            paddingBits = 0
            while position < data.count, data[position] == 0xFF, position + 1 < data.count, data[position + 1] == 0xFF {
                position += 1
            }
            guard position + 1 < data.count, data[position] == 0xFF, data[position + 1] == 0xD0 + UInt8(expected & 7) else {
                throw PixelDataError(.damagedCompressedData, detail: "JPEG lossless restart marker RST\(expected & 7) missing at byte \(position)")
            }
            position += 2
        }
    }

    /// Decodes one frame; its frame header must agree with `pixels` (Columns, Rows, Bits
    /// Allocated) before anything is allocated for it.
    static func decode(_ data: [UInt8], pixels: ImagePixelDescription) throws(PixelDataError) -> Output {
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG data does not start with SOI (FFD8)")
        }
        var tables: [HuffmanTable?] = [nil, nil, nil, nil]
        var frame: (precision: Int, height: Int, width: Int, componentID: UInt8)?
        var restartInterval = 0
        var position = 2
        var output: Output?
        while position + 2 <= data.count {
            guard data[position] == 0xFF else {
                throw PixelDataError(.damagedCompressedData, detail: "expected a JPEG marker at byte \(position)")
            }
            let marker = data[position + 1]
            if marker == 0xFF { position += 1; continue }
            if marker == 0xD9 { break }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { position += 2; continue }
            guard position + 4 <= data.count else { break }
            let length = Int(data[position + 2]) << 8 | Int(data[position + 3])
            let segment = position + 4
            let segmentEnd = position + 2 + length
            guard length >= 2, segmentEnd <= data.count else {
                throw PixelDataError(.damagedCompressedData, detail: "JPEG marker segment at byte \(position) runs past the end")
            }
            switch marker {
            case 0xC3:
                guard length >= 11 else { throw PixelDataError(.damagedCompressedData, detail: "short SOF3 header") }
                let precision = Int(data[segment])
                let height = Int(data[segment + 1]) << 8 | Int(data[segment + 2])
                let width = Int(data[segment + 3]) << 8 | Int(data[segment + 4])
                let components = Int(data[segment + 5])
                guard components == 1 else {
                    throw PixelDataError(.unsupportedPixelFormat, detail: "JPEG lossless with \(components) components (grayscale has 1)")
                }
                guard (2...16).contains(precision), width > 0 else {
                    throw PixelDataError(.damagedCompressedData, detail: "JPEG lossless precision \(precision), width \(width)")
                }
                guard height > 0 else {
                    throw PixelDataError(.unsupportedCompression, detail: "JPEG lossless with the height in a DNL marker")
                }
                try pixels.checkCodestream("JPEG lossless", width: width, height: height, precision: precision)
                frame = (precision, height, width, data[segment + 6])
            case 0xC0, 0xC1, 0xC2, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7:
                throw PixelDataError(.unsupportedCompression, detail: "not JPEG lossless process 14 (SOF 0x\(String(marker, radix: 16, uppercase: true)))")
            case 0xC4:
                var at = segment
                while at < segmentEnd {
                    guard at + 17 <= segmentEnd else { throw PixelDataError(.damagedCompressedData, detail: "short DHT segment") }
                    let tableClass = data[at] >> 4, slot = Int(data[at] & 0x0F)
                    let counts = (0..<16).map { Int(data[at + 1 + $0]) }
                    let total = counts.reduce(0, +)
                    guard tableClass == 0, slot < 4, total <= 256, at + 17 + total <= segmentEnd else {
                        throw PixelDataError(.damagedCompressedData, detail: "bad DHT table (class \(tableClass), slot \(slot), \(total) codes)")
                    }
                    tables[slot] = try HuffmanTable(counts: counts, values: Array(data[at + 17..<at + 17 + total]))
                    at += 17 + total
                }
            case 0xDD:
                guard length == 4 else { throw PixelDataError(.damagedCompressedData, detail: "bad DRI segment") }
                restartInterval = Int(data[segment]) << 8 | Int(data[segment + 1])
            case 0xDA:
                guard let frame else { throw PixelDataError(.damagedCompressedData, detail: "scan before the frame header") }
                guard length >= 8, data[segment] == 1 else {
                    throw PixelDataError(.unsupportedCompression, detail: "JPEG lossless scan with \(data[segment]) components")
                }
                let slot = Int(data[segment + 2] >> 4)
                let predictor = Int(data[segment + 3 + 0])
                let pointTransform = Int(data[segment + 5] & 0x0F)
                guard slot < 4, let table = tables[slot] else {
                    throw PixelDataError(.damagedCompressedData, detail: "scan uses Huffman table \(slot), which is not defined")
                }
                guard (1...7).contains(predictor), pointTransform < frame.precision else {
                    throw PixelDataError(.damagedCompressedData, detail: "predictor \(predictor), point transform \(pointTransform)")
                }
                if restartInterval > 0 && restartInterval % frame.width != 0 {
                    throw PixelDataError(.unsupportedCompression, detail: "restart interval \(restartInterval) is not a whole number of \(frame.width)-sample lines")
                }
                let (samples, next) = try decodeScan(
                    data, from: segmentEnd, width: frame.width, height: frame.height, precision: frame.precision,
                    predictor: predictor, pointTransform: pointTransform, table: table, restartInterval: restartInterval
                )
                output = Output(width: frame.width, height: frame.height, precision: frame.precision, samples: samples)
                position = next
                continue
            default:
                break
            }
            position = segmentEnd
        }
        guard let output else {
            throw PixelDataError(.damagedCompressedData, detail: "JPEG lossless data has no scan")
        }
        return output
    }

    private static func decodeScan(
        _ data: [UInt8], from start: Int, width: Int, height: Int, precision: Int, predictor: Int,
        pointTransform: Int, table: HuffmanTable, restartInterval: Int
    ) throws(PixelDataError) -> ([Int32], Int) {
        var samples = [Int32](repeating: 0, count: width * height)
        let linesPerInterval = restartInterval > 0 ? restartInterval / width : Int.max
        let initial = Int32(1) << Int32(precision - pointTransform - 1)
        var endPosition = start
        var failure: PixelDataError?
        data.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { out in
                var reader = BitReader(data: source, position: start)
                var intervalStart = 0
                var restarts = 0
                for y in 0..<height {
                    if y > 0, y - intervalStart == linesPerInterval {
                        do throws(PixelDataError) {
                            try reader.restart(expected: restarts)
                        } catch {
                            failure = error
                            return
                        }
                        restarts += 1
                        intervalStart = y
                    }
                    // Data that ran out lines ago will not come back: stop at once rather than
                    // decode the rest of a large frame from padding bits.
                    if reader.overran {
                        failure = PixelDataError(.damagedCompressedData, detail: "JPEG lossless data ends at line \(y) of \(height)")
                        return
                    }
                    let row = y * width
                    let firstLine = y == intervalStart
                    for x in 0..<width {
                        reader.fill()
                        // Huffman-decode the difference category.
                        var category: Int
                        let fast = Int(reader.peek(8))
                        let fastLength = Int(table.fastLength[fast])
                        if fastLength > 0 {
                            category = Int(table.fastValue[fast])
                            reader.consume(fastLength)
                        } else {
                            var length = 9
                            var code = Int32(reader.peek(9))
                            while length <= 16 && code > table.maxCode[length] {
                                length += 1
                                code = Int32(reader.peek(length))
                            }
                            guard length <= 16 else {
                                failure = PixelDataError(.damagedCompressedData, detail: "invalid Huffman code at line \(y + 1)")
                                return
                            }
                            let index = Int(code + table.valueOffset[length])
                            guard index >= 0, index < table.values.count else {
                                failure = PixelDataError(.damagedCompressedData, detail: "invalid Huffman code at line \(y + 1)")
                                return
                            }
                            category = Int(table.values[index])
                            reader.consume(length)
                        }
                        var difference: Int32
                        switch category {
                        case 0:
                            difference = 0
                        case 16:
                            difference = 32768
                        case 1...15:
                            let bits = Int32(reader.peek(category))
                            reader.consume(category)
                            difference = bits < (1 << Int32(category - 1)) ? bits - (1 << Int32(category)) + 1 : bits
                        default:
                            failure = PixelDataError(.damagedCompressedData, detail: "difference category \(category) at line \(y + 1)")
                            return
                        }
                        let prediction: Int32
                        if firstLine {
                            prediction = x == 0 ? initial : out[row + x - 1]
                        } else if x == 0 {
                            prediction = out[row - width]
                        } else {
                            let a = out[row + x - 1], b = out[row - width + x], c = out[row - width + x - 1]
                            switch predictor {
                            case 1: prediction = a
                            case 2: prediction = b
                            case 3: prediction = c
                            case 4: prediction = a + b - c
                            case 5: prediction = a + ((b - c) >> 1)
                            case 6: prediction = b + ((a - c) >> 1)
                            default: prediction = (a + b) >> 1
                            }
                        }
                        out[row + x] = (prediction + difference) & 0xFFFF
                    }
                }
                if reader.overran {
                    failure = PixelDataError(.damagedCompressedData, detail: "JPEG lossless data ends before the last line")
                    return
                }
                // The scan ends at the next marker; step past any bits left in the buffer.
                var next = reader.position
                while next + 1 < source.count, !(source[next] == 0xFF && source[next + 1] != 0x00 && source[next + 1] != 0xFF) {
                    next += 1
                }
                endPosition = next
            }
        }
        if let failure { throw failure }
        if pointTransform > 0 {
            for index in samples.indices { samples[index] = (samples[index] << Int32(pointTransform)) & 0xFFFF }
        }
        return (samples, endPosition)
    }
}
