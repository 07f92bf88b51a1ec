import ArgumentParser
import FoundationEssentials
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif
import RampartManager
import RampartHTTP

extension Run {
    /// The console's listener when spec.console is set (docs/console.md); a bad users file,
    /// state file or address stops the start.
    static func console(_ configuration: ManagerConfiguration, manager: Manager, tls: TLSServerContext?,
                        log: @escaping @Sendable (String) -> Void) throws -> (ConsoleAPI, HTTPServer)? {
        guard let settings = configuration.console else { return nil }
        do {
            let users = try ConsoleUsers.load(path: settings.usersFile)
            let logins = try LoginLog(path: configuration.state)
            let tokens = try configuration.tokensFile.map { path throws(HTTPConfigurationError) in try BearerTokens.load(path: path) }
            let console = ConsoleAPI(manager: manager, users: users, logins: logins, sessionIdle: settings.sessionIdleMinutes * 60,
                                     sessionLifetime: settings.sessionHours * 3600, flowMinutes: settings.flowMinutes, log: log)
            // The map's edges and the hit counts: the log store summed per minute (FlowAggregates),
            // read from whichever store is configured (SQLite or PostgreSQL).
            if let logs = configuration.logs {
                let sums = FlowAggregates(source: try LogService.openFlowSums(logs), log: log)
                console.flowWindow = sums
                manager.moreMetrics = { sums.metrics() }
            }
            let server = try console.listener(address: settings.listen, tokens: tokens, tls: tls)
            server.log = { log(ManagerLog.line("info", event: "console", message: $0)) }
            log(ManagerLog.line("info", event: "console", message: "console on \(tls == nil ? "http" : "https")://\(server.local)/console/ (\(users.users.count) users from \(settings.usersFile))"))
            return (console, server)
        } catch let error as HTTPConfigurationError {
            log(ManagerLog.line("error", event: "start", message: error.description))
            throw ExitCode(1)
        } catch let error as StoreError {
            log(ManagerLog.line("error", event: "start", message: error.description))
            throw ExitCode(1)
        }
    }
}

struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a console user's line for spec.console.usersFile: ROLE NAME and a PBKDF2-SHA256 password hash.",
        discussion: """
            The password is read from standard input (one line; not echoed when it is a
            terminal). The hash is PBKDF2-HMAC-SHA256 with a random 16-byte salt and 600,000
            iterations. Append the line to the users file (mode 0600) and restart the manager.

            Example:
              rampart-manager passwd alice --role admin >> /etc/rampart/console-users
              printf '%s\\n' "$PASSWORD" | rampart-manager passwd ci --role viewer
            """)

    @Argument(help: "The user name (letters, digits, . _ - @).")
    var name: String
    @Option(help: "viewer (reads), operator (also commits policy) or admin (also reads the login audit).")
    var role: String = "viewer"
    @Option(help: "PBKDF2 iterations (at least 100000).")
    var iterations: Int = PasswordHash.defaultIterations

    func run() throws {
        guard let role = ConsoleRole(rawValue: role) else {
            StandardError.write("rampart-manager: --role must be viewer, operator or admin\n")
            throw ExitCode(64)
        }
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 32 >= 97 && $0 | 32 <= 122) || "._-@".utf8.contains($0) }) else {
            StandardError.write("rampart-manager: the user name may hold letters, digits and . _ - @ only\n")
            throw ExitCode(64)
        }
        guard iterations >= PasswordHash.minimumIterations else {
            StandardError.write("rampart-manager: --iterations must be at least \(PasswordHash.minimumIterations)\n")
            throw ExitCode(64)
        }
        let terminal = isatty(0) == 1
        var saved = termios()
        if terminal {
            StandardError.write("Password for \(name): ")
            tcgetattr(0, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
        }
        let line = readLine(strippingNewline: true)
        if terminal {
            tcsetattr(0, TCSANOW, &saved)
            StandardError.write("\n")
        }
        guard let password = line, !password.isEmpty else {
            StandardError.write("rampart-manager: no password on standard input\n")
            throw ExitCode(64)
        }
        guard password.utf8.count >= 8 else {
            StandardError.write("rampart-manager: the password must be at least 8 characters\n")
            throw ExitCode(64)
        }
        print("\(role.rawValue) \(name) \(PasswordHash.make(password: password, iterations: iterations))")
    }
}
