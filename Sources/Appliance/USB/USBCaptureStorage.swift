import StudyStore
import USBCapture

/// The box's sink for the USB capture loop: an exposure becomes a stored study through the
/// durability promise (``USBCaptureRecorder``), and the link state goes to run/usb-link.json for
/// `fluorobox usb status` and the status panel.
struct USBCaptureStorage: USBCaptureSink {
    let recorder: USBCaptureRecorder
    let stationName: String?
    let runState: RunStateFiles?

    func store(_ exposure: USBExposure) async throws -> String {
        let device = exposure.device
        let description = USBCaptureDocument.Device(
            manufacturer: device.manufacturer, model: device.product, serialNumber: device.serialNumber,
            description: "\(device.vendorProduct) on \(device.location), \(exposure.stream)", stationName: stationName
        )
        let receipt = try await recorder.record(exposure.image, framesIntegrated: exposure.framesIntegrated, device: description)
        return receipt.sopInstanceUID
    }

    func linkChanged(_ link: USBLinkState) async {
        runState?.writeView(link, to: .usbLink)
    }
}
