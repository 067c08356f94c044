/// Where the untrusted part of an analysis (decoding the stored image and running the model on
/// it) happens (`analysis.isolation`).
public enum AnalysisIsolation: Sendable, Hashable {
    /// In a child process of `executable` (nil: the running program, /proc/self/exe), one per
    /// image: a decoder that traps, or an image that exhausts the worker's memory limit, fails
    /// that analysis only. The agent never dies of an image it acknowledged.
    case childProcess(executable: String?)
    /// In the agent itself: no process start per image, and no protection (development only).
    case inProcess
}
