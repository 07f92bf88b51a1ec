import ArgumentParser
import RampartNode

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Copy rampart-cni into the CNI bin folder and chain it after the primary plugin.",
        discussion: """
            Appends {"type": "rampart-cni", ...} (built from the configuration: firewalls,
            cluster id, socket, tunnel) at the end of the plugins of the first *.conflist
            of the conf folder, leaving every other byte of the file as it was. Running it
            again changes nothing. `run` does this too, and again whenever the primary
            rewrites its conflist.

            Example:
              rampart-node install --config /etc/rampart/node.yaml --plugin-binary ./rampart-cni
            """
    )

    @Option(name: .long, help: "The NodeConfiguration file.")
    var config: String

    @Option(name: .long, help: "The CNI bin folder (overrides spec.cni.binDir).")
    var binDir: String?

    @Option(name: .long, help: "The CNI conf folder (overrides spec.cni.confDir).")
    var confDir: String?

    @Option(name: .long, help: "The rampart-cni binary to copy (overrides spec.cni.pluginBinary).")
    var pluginBinary: String?

    func run() throws {
        do {
            let configuration = try NodeConfiguration.load(path: config)
            let installation = PluginInstallation(
                binDirectory: binDir ?? configuration.cni.binDirectory, confDirectory: confDir ?? configuration.cni.confDirectory,
                pluginBinary: pluginBinary ?? configuration.cni.pluginBinary, entry: configuration.pluginEntry)
            let outcome = try installation.install()
            print("\(outcome.conflist ?? "?"): \(outcome.conflistChanged ? "rampart-cni added" : "unchanged"); binary \(outcome.binaryChanged ? "copied" : "unchanged")")
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(1)
        }
    }
}

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Take the rampart-cni entry out of every conflist of the conf folder.",
        discussion: """
            Removes exactly the entry `install` added; the rest of each file stays byte
            for byte. The binary stays unless --remove-binary: the runtime deletes
            existing pods with the configuration it cached, which still names it.

            Example:
              rampart-node uninstall --conf-dir /etc/cni/net.d
            """
    )

    @Option(name: .long, help: "The CNI conf folder.")
    var confDir = "/etc/cni/net.d"

    @Option(name: .long, help: "The CNI bin folder.")
    var binDir = "/opt/cni/bin"

    @Flag(name: .long, help: "Also delete rampart-cni from the bin folder.")
    var removeBinary = false

    func run() throws {
        let installation = PluginInstallation(
            binDirectory: binDir, confDirectory: confDir, pluginBinary: nil, entry: PluginEntry(type: "rampart-cni"))
        do {
            let outcome = try installation.uninstall(removeBinary: removeBinary)
            print(outcome.conflistChanged ? "\(outcome.conflist ?? "?"): rampart-cni removed" : "no conflist had rampart-cni")
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(1)
        }
    }
}
