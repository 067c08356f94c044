import Logging

/// A logger that drops everything, so test output shows test results.
public let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
