import Appliance
import FluoroboxTestSupport

extension OSUpdateRig {
    /// `fluorobox os` on the rig's stand-ins.
    var updater: OSUpdater {
        var updater = OSUpdater(
            rauc: RaucTool(
                executable: folder.file("rauc"), configuration: folder.file("system.conf"), mountPrefix: folder.file("mnt"),
                umountExecutable: folder.file("umount"), bootloaderBackend: folder.file("bootloader")),
            runningVersionFile: folder.file("version"), recordFile: folder.file("os-update.json"))
        updater.commandLineFile = commandLine
        return updater
    }
}
