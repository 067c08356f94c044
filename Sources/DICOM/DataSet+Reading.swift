extension DataSet {
    /// Parses a bare data set (no preamble, no meta group), as a DIMSE message carries one, in the
    /// presentation context's transfer syntax.
    public init(dataSetBytes bytes: [UInt8], transferSyntax: TransferSyntax, limits: DICOMReadLimits = .default) throws(DICOMParseError) {
        let encoding: DataSetReader.Encoding = switch transferSyntax {
        case .implicitVRLittleEndian: .implicitLittle
        case .explicitVRBigEndian: .explicitBig
        default: .explicitLittle
        }
        var reader = DataSetReader(bytes: bytes, limits: limits)
        self = try reader.readDataSet(from: 0, encoding: encoding)
    }
}
