import RampartConfig

/// `spec.console`: the web console's listener, its users and its sessions (docs/console.md).
///
/// ```yaml
/// console:
///   listen: 127.0.0.1:9693          # plain HTTP only on loopback; else spec.tls is used
///   usersFile: /etc/rampart/console-users   # lines "ROLE NAME HASH" (rampart-manager passwd), mode 0600
///   sessionIdleMinutes: 30          # signed out after this long without a request
///   sessionHours: 8                 # and this long after signing in, whatever happens
///   flowMinutes: 15                 # the map's edges: connections seen in the last N minutes
/// ```
public struct ConsoleConfiguration: Sendable, Equatable {
    public var listen: String
    public var usersFile: String
    public var sessionIdleMinutes = 30.0
    public var sessionHours = 8.0
    public var flowMinutes = 15

    public init(listen: String, usersFile: String) {
        self.listen = listen
        self.usersFile = usersFile
    }

    static func read(_ node: YAMLNode, reader r: ConfigReader, resolve: (String) -> String) -> ConsoleConfiguration? {
        guard let fields = r.fields(node, "spec.console", allowed: ["listen", "usersFile", "sessionIdleMinutes", "sessionHours", "flowMinutes"]) else {
            return nil
        }
        guard let listen = fields["listen"]?.text, listen.contains(":") else {
            r.error((fields["listen"] ?? node).location, "spec.console.listen must be address:port (e.g. 127.0.0.1:9693)")
            return nil
        }
        guard let users = fields["usersFile"]?.text, !users.isEmpty else {
            r.error((fields["usersFile"] ?? node).location, "spec.console.usersFile must be the path of a file of lines 'ROLE NAME HASH' (rampart-manager passwd NAME)")
            return nil
        }
        var console = ConsoleConfiguration(listen: listen, usersFile: resolve(users))
        if let field = fields["sessionIdleMinutes"] {
            if let n = field.text.flatMap(Double.init), n >= 1, n <= 1440 { console.sessionIdleMinutes = n } else {
                r.error(field.location, "spec.console.sessionIdleMinutes must be between 1 and 1440")
            }
        }
        if let field = fields["sessionHours"] {
            if let n = field.text.flatMap(Double.init), n > 0, n <= 168 { console.sessionHours = n } else {
                r.error(field.location, "spec.console.sessionHours must be between 0 and 168")
            }
        }
        if let field = fields["flowMinutes"] {
            if let n = field.text.flatMap({ Int($0) }), (1...1440).contains(n) { console.flowMinutes = n } else {
                r.error(field.location, "spec.console.flowMinutes must be between 1 and 1440")
            }
        }
        return console
    }
}
