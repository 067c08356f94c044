import ArgumentParser
import Appliance

@main
struct Fluorobox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluorobox",
        abstract: "Fluorobox: the agent beside a fluorography / X-ray unit, and its technician tools.",
        version: Agent.version,
        subcommands: [
            ServeCommand.self, ImportCommand.self, StudiesCommand.self, StatusCommand.self,
            AuditCommand.self, DemoStudyCommand.self, ConfigCommand.self,
            USBCommand.self, RegisterCommand.self, ModelCommand.self, DICOMCommand.self, AnalyzeCommand.self,
            SelfTestCommand.self, DiagnosticsCommand.self, PanelPasswordCommand.self,
            SyncCommand.self, AnalysisCommand.self, QuarantineCommand.self, AnalysisWorkerCommand.self,
            OSCommand.self,
        ]
    )
}
