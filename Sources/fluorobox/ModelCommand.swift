import ArgumentParser

/// `fluorobox model …`: model packages (and, from the runtime work, `eval`).
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Model packages: list, install, activate, roll back, verify, sign and pack.",
        subcommands: ModelPackageCommands.all + [ModelEvalCommand.self]
    )
}
