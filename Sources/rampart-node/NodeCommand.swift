import ArgumentParser
import RampartVersion

@main
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart-node",
        abstract: "Rampart's node agent: the tunnel, the chained CNI plugin, and the pods' steering.",
        discussion: """
            Runs on every node (a DaemonSet). It creates the tunnel device to the
            firewall (rampart0: VXLAN, VNI = cluster id, UDP 6080), installs the
            rampart-cni plugin at the end of the primary plugin's conflist, mirrors
            this node's pods and all namespaces from the API server, answers the
            plugin on a unix socket (/run/rampart/node.sock), health-checks the
            firewalls, and steers or un-steers running pods when their
            rampart.io/inspect or their namespace's rampart.io/firewall annotation
            changes, without restarting them. See docs/node-agent.md.

            Examples:
              rampart-node run --config /etc/rampart/node.yaml
              rampart-node install --config node.yaml --conf-dir /etc/cni/net.d
              rampart-node uninstall --conf-dir /etc/cni/net.d
              rampart-node status --socket /run/rampart/node.sock
            """,
        version: RampartVersion.current,
        subcommands: [RunCommand.self, InstallCommand.self, UninstallCommand.self, StatusCommand.self, ValidateCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
