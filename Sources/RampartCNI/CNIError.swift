/// A CNI error as the spec's error object: `{cniVersion, code, msg, details}` on standard
/// output with a non-zero exit status.
///
/// ```swift
/// throw CNIError(.invalidConfiguration, "vni: expected an integer 1..2048, found \"x\"")
/// ```
public struct CNIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The spec's well-known codes (0-99 reserved); Rampart's own start at 100.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let incompatibleVersion = Code(rawValue: 1)
        public static let unsupportedField = Code(rawValue: 2)
        public static let containerUnknown = Code(rawValue: 3)
        public static let invalidEnvironment = Code(rawValue: 4)
        public static let ioFailure = Code(rawValue: 5)
        public static let decodeFailure = Code(rawValue: 6)
        public static let invalidConfiguration = Code(rawValue: 7)
        public static let tryAgainLater = Code(rawValue: 11)
        /// STATUS: the plugin cannot serve new ADDs.
        public static let notAvailable = Code(rawValue: 50)
        /// STATUS: not available, and existing attachments may have limited connectivity.
        public static let notAvailableLimitedConnectivity = Code(rawValue: 51)
        /// Rampart: a kernel (netlink) operation failed while steering.
        public static let steeringFailed = Code(rawValue: 100)
        /// Rampart: CHECK found the kernel state differing from what ADD installed.
        public static let drift = Code(rawValue: 101)

        public var description: String { String(rawValue) }
    }

    public var code: Code
    public var message: String
    public var details: String

    /// An error with a code, a one-line message and optional details.
    ///
    /// ```swift
    /// CNIError(.tryAgainLater, "node agent did not answer", details: "connect: ENOENT")
    /// ```
    public init(_ code: Code, _ message: String, details: String = "") {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { details.isEmpty ? "CNI error \(code): \(message)" : "CNI error \(code): \(message) (\(details))" }

    /// The JSON error object for `cniVersion`.
    ///
    /// ```swift
    /// print(error.json(cniVersion: "1.1.0").serialized())
    /// ```
    public func json(cniVersion: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("cniVersion", .string(cniVersion)), ("code", .number(String(code.rawValue))), ("msg", .string(message)),
        ]
        if !details.isEmpty { members.append(("details", .string(details))) }
        return .object(members)
    }
}
