import Glibc

extension Posix {
    /// Caps this process's data segment (heap and private anonymous mappings, Linux ≥ 4.7), so
    /// an allocation past it fails inside this process instead of drawing the OOM killer onto
    /// its parent. Used by the analysis worker before it reads an untrusted image.
    public static func limitDataSegment(bytes: UInt64) throws(SystemCallError) {
        var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
        if setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) != 0 {
            throw SystemCallError(code: errno, call: "setrlimit(RLIMIT_DATA)")
        }
    }

    /// Sends SIGKILL; a process that is already gone is not an error.
    public static func killProcess(_ pid: Int32) {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// "SIGSEGV" for 11, for messages a technician reads.
    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
