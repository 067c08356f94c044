/// Writes the descriptors of an emulated camera byte by byte, following the USB 2.0 chapter 9
/// and UVC 1.5 sections 3.6-3.10 tables.
enum UVCDescriptorBuilder {
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    static let streamingEndpoint: UInt8 = 0x81
    static let interruptEndpoint: UInt8 = 0x83

    static func device(_ profile: EmulatedCameraProfile) -> [UInt8] {
        [18, 0x01] + le16(0x0200) + [0xEF, 0x02, 0x01, 64] + le16(profile.vendorID) + le16(profile.productID)
            + le16(0x0100) + [1, 2, 3, 1]
    }

    static func guid(_ fourCC: String) -> [UInt8] {
        Array(fourCC.utf8.prefix(4)) + [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    }

    /// The frame buffer a frame of this format and size needs at most.
    static func frameBufferSize(_ format: EmulatedCameraProfile.Format, _ width: Int, _ height: Int) -> Int {
        if let bytes = format.bytesPerPixel { return bytes * width * height }
        return width * height + 4096  // a grayscale JPEG of noisy content stays well below this
    }

    static func configuration(_ profile: EmulatedCameraProfile) -> [UInt8] {
        // VideoControl: header, camera terminal, processing unit, output terminal.
        var vcBody: [UInt8] = []
        vcBody += [18, 0x24, 0x02, 1] + le16(0x0201) + [0, 0] + le16(0) + le16(0) + le16(0) + [3, 0, 0, 0]
        if profile.uvcVersion >= 0x0150 {
            vcBody += [13, 0x24, 0x05, 2, 1] + le16(0) + [3, 0, 0, 0, 0, 0]
        } else {
            vcBody += [11, 0x24, 0x05, 2, 1] + le16(0) + [2, 0, 0, 0]
        }
        vcBody += [9, 0x24, 0x03, 3] + le16(0x0101) + [0, 2, 0]
        let vcHeaderLength = 13
        let vcHeader: [UInt8] = [UInt8(vcHeaderLength), 0x24, 0x01] + le16(profile.uvcVersion)
            + le16(UInt16(vcHeaderLength + vcBody.count)) + le32(48_000_000) + [1, 1]

        // VideoStreaming: formats with their frames, each followed by colour matching.
        var vsBody: [UInt8] = []
        for (formatNumber, offer) in profile.offers.enumerated() {
            let formatIndex = UInt8(formatNumber + 1)
            switch offer.format {
            case .mjpeg:
                vsBody += [11, 0x24, 0x06, formatIndex, UInt8(offer.sizes.count), 0x01, 1, 0, 0, 0, 0]
            case .uncompressed(let fourCC, let bits):
                vsBody += [27, 0x24, 0x04, formatIndex, UInt8(offer.sizes.count)] + guid(fourCC) + [UInt8(bits), 1, 0, 0, 0, 0]
            }
            for (frameNumber, size) in offer.sizes.enumerated() {
                let subtype: UInt8 = offer.format == .mjpeg ? 0x07 : 0x05
                let intervals = profile.frameIntervals
                let buffer = UInt32(frameBufferSize(offer.format, size.width, size.height))
                let bitRate = buffer * 8 * 10
                vsBody += [UInt8(26 + 4 * intervals.count), 0x24, subtype, UInt8(frameNumber + 1), 0]
                    + le16(UInt16(size.width)) + le16(UInt16(size.height)) + le32(bitRate / 2) + le32(bitRate)
                    + le32(buffer) + le32(intervals[0]) + [UInt8(intervals.count)] + intervals.flatMap(le32)
            }
            vsBody += [6, 0x24, 0x0D, 1, 1, 4]
        }
        let formats = profile.offers.count
        let vsHeaderLength = 13 + formats
        let vsHeader: [UInt8] = [UInt8(vsHeaderLength), 0x24, 0x01, UInt8(formats)] + le16(UInt16(vsHeaderLength + vsBody.count))
            + [streamingEndpoint, 0, 3, 0, 0, 0, 1] + [UInt8](repeating: 0, count: formats)

        var body: [UInt8] = []
        body += [8, 0x0B, 0, 2, 0x0E, 0x03, 0x00, 2]  // interface association
        body += [9, 0x04, 0, 0, 1, 0x0E, 0x01, 0x00, 2] + vcHeader + vcBody
        body += [7, 0x05, interruptEndpoint, 0x03] + le16(16) + [8] + [5, 0x25, 0x03] + le16(16)
        switch profile.transfer {
        case .bulk:
            body += [9, 0x04, 1, 0, 1, 0x0E, 0x02, 0x00, 0] + vsHeader + vsBody
            body += [7, 0x05, streamingEndpoint, 0x02] + le16(profile.bulkPacketSize) + [0]
        case .isochronous:
            body += [9, 0x04, 1, 0, 0, 0x0E, 0x02, 0x00, 0] + vsHeader + vsBody
            for (index, size) in profile.isochronousPacketSizes.enumerated() {
                body += [9, 0x04, 1, UInt8(index + 1), 1, 0x0E, 0x02, 0x00, 0]
                body += [7, 0x05, streamingEndpoint, 0x05] + le16(size) + [1]
            }
        }
        let total = 9 + body.count
        return [9, 0x02] + le16(UInt16(total)) + [2, 1, 0, 0x80, 250] + body
    }

    static func string(_ text: String) -> [UInt8] {
        let units = Array(text.utf16)
        return [UInt8(2 + 2 * units.count), 0x03] + units.flatMap { le16($0) }
    }
}
