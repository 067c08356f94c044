import StudyStore
import USBCapture

/// The agent's own files among the run state: its state and the USB capture link.
extension RunStateFiles {
    /// What the running (or last) agent wrote in run/agent.json.
    public func agentState() -> AgentStateFile.Contents? {
        read(AgentStateFile.Contents.self, from: .agent)
    }

    /// The USB capture link as the running agent last wrote it.
    public func usbLink() -> USBLinkState? {
        read(USBLinkState.self, from: .usbLink)
    }
}
