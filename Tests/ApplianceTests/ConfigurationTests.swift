import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import StudyStore
import Testing
@testable import Appliance

@Suite("Configuration")
struct ConfigurationTests {
    @Test("with nothing given the box runs on documented defaults")
    func defaults() throws {
        let (configuration, warnings) = try ApplianceConfiguration.load(file: nil, environment: [:])
        #expect(warnings.isEmpty)
        #expect(configuration == ApplianceConfiguration())
        #expect(configuration.dataDirectory == "/var/lib/fluorobox")
        #expect(configuration.destinations == [.platform])
        #expect(configuration.retention.softLimit == .percent(10) && configuration.retention.hardLimit == .percent(3))
        #expect(configuration.watch.folder == nil)
        for key in ConfigurationKey.all {
            #expect(!key.summary.isEmpty, "\(key.name) is undocumented")
        }
    }

    @Test("the file overrides defaults and the environment overrides the file")
    func layering() throws {
        let folder = TemporaryDirectory("config")
        let file = try folder.write("config.json", Array("""
            {
              "dataDir": "/data/fb",
              "log": {"level": "debug"},
              "outbox": {"destinations": ["platform", "dicomweb"]},
              "retention": {"softLimit": "20%", "hardLimit": 1048576, "maxStoreBytes": "20GB", "checkIntervalSeconds": 5},
              "watch": {"folder": "/media/stick", "afterImport": "delete", "intervalSeconds": 0.5}
            }
            """.utf8))
        let (configuration, warnings) = try ApplianceConfiguration.load(
            file: file,
            environment: ["FLUOROBOX_RETENTION_SOFT_LIMIT": "5GB", "FLUOROBOX_WATCH_SETTLE_SECONDS": "7", "PATH": "/usr/bin"]
        )
        #expect(warnings.isEmpty)
        #expect(configuration.dataDirectory == "/data/fb")
        #expect(configuration.logLevel == "debug")
        #expect(configuration.destinations == [.platform, .dicomweb])
        #expect(configuration.retention.softLimit == .bytes(5 << 30))
        #expect(configuration.retention.hardLimit == .bytes(1_048_576))
        #expect(configuration.retention.maximumStoreBytes == 20 << 30)
        #expect(configuration.retentionCheckIntervalSeconds == 5)
        #expect(configuration.watch.folder == "/media/stick" && configuration.watch.afterImport == .delete)
        #expect(configuration.watch.intervalSeconds == 0.5 && configuration.watch.settleSeconds == 7)
        #expect(configuration.watch.effectiveMovedTo == "/media/stick/imported")
        #expect(configuration.storeConfiguration.destinations == [.platform, .dicomweb])
    }

    @Test("unknown keys and variables are warnings; a bad value is an error naming key and source")
    func problems() throws {
        let folder = TemporaryDirectory("config")
        let typo = try folder.write("typo.json", Array(#"{"retention": {"softLimt": "5%"}}"#.utf8))
        let (_, warnings) = try ApplianceConfiguration.load(file: typo, environment: ["FLUOROBOX_WATCH_FOLDR": "/x"])
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("retention.softLimt") && $0.contains(typo) })
        #expect(warnings.contains { $0.contains("FLUOROBOX_WATCH_FOLDR") })

        let cases: [(file: String?, environment: [String: String], key: String)] = [
            (try folder.write("a.json", Array(#"{"retention": {"softLimit": "plenty"}}"#.utf8)), [:], "retention.softLimit"),
            (try folder.write("b.json", Array(#"{"watch": {"intervalSeconds": "often"}}"#.utf8)), [:], "watch.intervalSeconds"),
            (try folder.write("c.json", Array(#"{"log": {"level": 3}}"#.utf8)), [:], "log.level"),
            (nil, ["FLUOROBOX_WATCH_AFTER_IMPORT": "shred"], "watch.afterImport"),
            (nil, ["FLUOROBOX_RETENTION_CHECK_INTERVAL_SECONDS": "-1"], "retention.checkIntervalSeconds"),
        ]
        for entry in cases {
            do {
                _ = try ApplianceConfiguration.load(file: entry.file, environment: entry.environment)
                Issue.record("\(entry.key) accepted a bad value")
            } catch {
                #expect(error.code == .invalidValue && error.key == entry.key, "\(error)")
                #expect(error.source == (entry.file ?? "environment variable \(ConfigurationKey.all.first { $0.name == entry.key }!.environmentVariable)"))
            }
        }
        let broken = try folder.write("broken.json", Array("{ not json".utf8))
        #expect(performing: { try ApplianceConfiguration.load(file: broken, environment: [:]) }, throws: { error in
            (error as? ConfigurationError)?.code == .invalidJSON
        })
        #expect(performing: { try ApplianceConfiguration.load(file: folder.file("absent.json"), environment: [:]) }, throws: { error in
            (error as? ConfigurationError)?.code == .unreadableFile
        })
    }

    @Test("dicom.peers: comma-separated in the environment, a list in the file; a malformed or repeated peer names the key")
    func dicomPeers() throws {
        let (fromEnvironment, _) = try ApplianceConfiguration.load(
            file: nil, environment: ["FLUOROBOX_DICOM_PEERS": "MODALITY=192.168.1.20:104, PACS=[fd00::5]:11112"]
        )
        #expect(fromEnvironment.dicom.peers == [
            DICOMPeer(aeTitle: "MODALITY", host: "192.168.1.20", port: 104), DICOMPeer(aeTitle: "PACS", host: "fd00::5", port: 11112),
        ])
        #expect(fromEnvironment.dicom.acceptor.acceptsStorageCommitment)
        let folder = TemporaryDirectory("config-peers")
        let file = try folder.write("peers.json", Array(#"{"dicom": {"peers": ["VIEWER=10.0.0.7:4242"]}}"#.utf8))
        #expect(try ApplianceConfiguration.load(file: file, environment: [:]).0.dicom.peers == [DICOMPeer(aeTitle: "VIEWER", host: "10.0.0.7", port: 4242)])
        for bad in ["MODALITY=192.168.1.20", "MODALITY=a:104,MODALITY=b:104"] {
            #expect(performing: { try ApplianceConfiguration.load(file: nil, environment: ["FLUOROBOX_DICOM_PEERS": bad]) }, throws: { error in
                (error as? ConfigurationError)?.key == "dicom.peers"
            })
        }
    }

    @Test("environment variable names follow the key names")
    func environmentNames() {
        let names = Dictionary(uniqueKeysWithValues: ConfigurationKey.all.map { ($0.name, $0.environmentVariable) })
        #expect(names["dataDir"] == "FLUOROBOX_DATA_DIR")
        #expect(names["retention.maxStoreBytes"] == "FLUOROBOX_RETENTION_MAX_STORE_BYTES")
        #expect(names["watch.afterImport"] == "FLUOROBOX_WATCH_AFTER_IMPORT")
        #expect(Set(names.values).count == names.count)
    }

    @Test("docs/configuration.md lists exactly the keys the reader knows")
    func documentation() throws {
        let text = try String(contentsOfFile: TestData.packageRoot + "/docs/configuration.md", encoding: .utf8)
        let table = try #require(text.components(separatedBy: "<!-- keys:begin -->\n").last?.components(separatedBy: "<!-- keys:end -->").first)
        #expect(table == ConfigurationKey.markdownTable, "regenerate with: fluorobox config keys --markdown")
    }
}
