import ArgumentParser
import RampartCNI

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask a running agent whether it can steer new pods.",
        discussion: """
            Sends {"op":"status"} on the agent's socket, as the plugin does. Exit code 0
            when ready, 1 when not (the reasons are printed), 2 when the agent does not
            answer.

            Example:
              rampart-node status --socket /run/rampart/node.sock
            """
    )

    @Option(name: .long, help: "The agent's unix socket.")
    var socket = "/run/rampart/node.sock"

    func run() throws {
        let response: AgentResponse
        do {
            response = try AgentClient(socketPath: socket, timeout: .seconds(2)).send(.status)
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(2)
        }
        if response.ready == true {
            print("ready")
            return
        }
        print("not ready")
        for reason in response.reasons ?? [] { print("  \(reason)") }
        throw ExitCode(1)
    }
}
