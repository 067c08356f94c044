/// What an emulated UVC camera offers and how it behaves. Built from the UVC 1.1/1.5
/// specification's descriptor layouts, independently of the capture code's parser.
public struct EmulatedCameraProfile: Sendable {
    public enum Transfer: Sendable { case isochronous, bulk }

    public enum Format: Sendable, Hashable {
        case mjpeg
        case uncompressed(fourCC: String, bitsPerPixel: Int)

        public static let grey = Format.uncompressed(fourCC: "Y800", bitsPerPixel: 8)
        public static let yuy2 = Format.uncompressed(fourCC: "YUY2", bitsPerPixel: 16)
        public static let y16 = Format.uncompressed(fourCC: "Y16 ", bitsPerPixel: 16)

        var bytesPerPixel: Int? {
            if case .uncompressed(_, let bits) = self { return bits / 8 }
            return nil
        }
    }

    public struct FormatOffer: Sendable {
        public var format: Format
        public var sizes: [(width: Int, height: Int)]
        /// dwMaxPayloadTransferSize the camera answers in the probe for this format.
        public var payloadTransferSize: Int

        public init(format: Format, sizes: [(width: Int, height: Int)], payloadTransferSize: Int) {
            self.format = format
            self.sizes = sizes
            self.payloadTransferSize = payloadTransferSize
        }
    }

    public var vendorID: UInt16 = 0x1209
    public var productID: UInt16 = 0x0001
    public var manufacturer = "Fluorobox"
    public var product = "Emulated UVC grabber"
    public var serialNumber = "EMU-0001"
    /// 0x0110 or 0x0150.
    public var uvcVersion: UInt16 = 0x0110
    public var transfer: Transfer = .isochronous
    public var offers: [FormatOffer]
    /// Frame intervals offered for every size, 100 ns units (10 and 5 fps by default).
    public var frameIntervals: [UInt32] = [1_000_000, 2_000_000]
    /// Isochronous alternate settings' wMaxPacketSize fields (bits 11-12: extra transactions).
    public var isochronousPacketSizes: [UInt16] = [128, 512, 1024, 1024 | (2 << 11)]
    public var bulkPacketSize: UInt16 = 512
    /// Payload headers carry PTS and SCR (12 bytes) or nothing (2 bytes).
    public var timestampsInHeaders = true
    /// Devices of the UVC 1.0 era mark frame ends only by toggling FID.
    public var sendsEndOfFrame = true
    /// Remove the Huffman tables from MJPEG frames, as most webcams and grabbers do.
    public var stripHuffmanTables = true
    /// Deliver frames at the frame interval in real time (the USB/IP server); unit tests run
    /// as fast as the host reads.
    public var realTime = false

    public init(offers: [FormatOffer]) {
        self.offers = offers
    }

    /// A UVC 1.1 isochronous grabber with MJPEG, GREY and YUY2.
    public static func isochronousGrabber(width: Int = 320, height: Int = 240) -> EmulatedCameraProfile {
        var profile = EmulatedCameraProfile(offers: [
            FormatOffer(format: .mjpeg, sizes: [(width, height), (2 * width, 2 * height)], payloadTransferSize: 800),
            FormatOffer(format: .grey, sizes: [(width, height), (2 * width, 2 * height)], payloadTransferSize: 3072),
            FormatOffer(format: .yuy2, sizes: [(width, height)], payloadTransferSize: 1024),
        ])
        profile.uvcVersion = 0x0110
        return profile
    }

    /// A UVC 1.5 bulk detector with GREY, Y16 and MJPEG.
    public static func bulkDetector(width: Int = 320, height: Int = 240) -> EmulatedCameraProfile {
        var profile = EmulatedCameraProfile(offers: [
            FormatOffer(format: .grey, sizes: [(width, height)], payloadTransferSize: 16_384),
            FormatOffer(format: .y16, sizes: [(width, height)], payloadTransferSize: 16_384),
            FormatOffer(format: .mjpeg, sizes: [(width, height)], payloadTransferSize: 16_384),
        ])
        profile.uvcVersion = 0x0150
        profile.transfer = .bulk
        profile.productID = 0x0002
        profile.product = "Emulated UVC detector"
        profile.serialNumber = "EMU-0002"
        return profile
    }
}
