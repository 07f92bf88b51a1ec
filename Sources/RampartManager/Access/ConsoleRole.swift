/// What a console user may do. Every role reads the map, workloads and logs; an operator
/// also commits policy; an admin also reads the login audit.
public enum ConsoleRole: String, Sendable, CaseIterable, Codable, Comparable {
    case viewer
    case `operator`
    case admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (a: ConsoleRole, b: ConsoleRole) -> Bool { a.rank < b.rank }
}
