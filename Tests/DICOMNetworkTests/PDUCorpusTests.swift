import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import NIOCore
import Testing

/// The fuzzer's seed corpus (PDUs captured from dcmtk and pynetdicom talking to the listener, and
/// the classic hostile constructs; `hostile-command-*` are well-formed PDUs carrying a broken
/// command set) runs here on every test run with the fuzzer's own checks.
@Suite("PDU regression corpus")
struct PDUCorpusTests {
    static let folder = TestData.packageRoot + "/Fuzz/Corpus/pdu"

    @Test("every corpus input parses or fails with a typed error, and what parses survives its own encoding")
    func corpus() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).sorted()
        #expect(names.count >= 40)
        var parsedPDUs = 0, refused = 0
        for name in names {
            var buffer = ByteBuffer(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + name))))
            while true {
                let pdu: PDU?
                do {
                    pdu = try PDUParser.parse(&buffer, limits: PDULimits(maximumDataPDULength: 65_536))
                } catch {
                    refused += 1
                    #expect(name.hasPrefix("hostile-"), "\(name): \(error)")
                    break
                }
                guard let pdu else { break }
                parsedPDUs += 1
                if case .data(let values) = pdu, name.hasPrefix("hostile-command") {
                    #expect(throws: DICOMNetworkError.self) { try DIMSECommand(decoding: values[0].data) }
                }
                var encoded = pdu.encoded()
                #expect(try PDUParser.parse(&encoded, limits: PDULimits(maximumDataPDULength: Int(UInt32.max))) == pdu, "\(name)")
            }
        }
        #expect(parsedPDUs > 50)
        #expect(refused == names.filter { $0.hasPrefix("hostile-") && $0 != "hostile-abort-reserved-source.pdu" && !$0.hasPrefix("hostile-command") }.count)
    }
}
