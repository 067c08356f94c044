extension Part10Writer {
    /// Where one image the box makes sits (study, series, instance 1, orientation) and its
    /// pixel layout: the part every such object (demo study, USB capture, overlay) shares.
    public mutating func setSingleImage(
        studyInstanceUID: String, seriesInstanceUID: String, studyID: String = "1", seriesNumber: String = "1",
        patientOrientation: String, samplesPerPixel: UInt16 = 1, photometricInterpretation: String = "MONOCHROME2",
        width: Int, height: Int
    ) {
        set(.studyInstanceUID, .UI, studyInstanceUID)
        set(.seriesInstanceUID, .UI, seriesInstanceUID)
        set(.studyID, .SH, studyID)
        set(.seriesNumber, .IS, seriesNumber)
        set(.instanceNumber, .IS, "1")
        set(.patientOrientation, .CS, patientOrientation)
        set(.samplesPerPixel, uint16: samplesPerPixel)
        set(.photometricInterpretation, .CS, photometricInterpretation)
        set(.rows, uint16: UInt16(height))
        set(.columns, uint16: UInt16(width))
    }
}
