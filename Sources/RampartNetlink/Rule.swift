/// A FIB rule (`ip rule`): packets matching the selectors look up `table`.
///
/// ```swift
/// // 100: from 10.1.2.3 iif eth0 lookup 100
/// var rule = Rule(family: .ipv4, priority: 100, table: 100)
/// rule.source = NetlinkPrefix("10.1.2.3/32")
/// rule.inputInterface = "eth0"
/// try socket.addRule(rule)
/// ```
public struct Rule: Sendable, Hashable, CustomStringConvertible {
    public var family: NetlinkAddressFamily
    /// The rule's position; nil lets the kernel pick (just below the first existing rule).
    public var priority: UInt32?
    public var source: NetlinkPrefix?
    public var destination: NetlinkPrefix?
    /// `iif NAME` (`FRA_IIFNAME`).
    public var inputInterface: String?
    /// `oif NAME` (`FRA_OIFNAME`).
    public var outputInterface: String?
    public var fwmark: UInt32?
    /// Applies with `fwmark`; nil means an exact match (all bits).
    public var fwmask: UInt32?
    /// The table a `.lookup` rule consults; 0 for the other actions.
    public var table: UInt32
    /// What a matching packet gets: a table lookup, or a verdict (`prohibit`, ...).
    public var action: Action

    /// A rule; unset selectors match everything.
    ///
    /// ```swift
    /// Rule(family: .ipv4, priority: 100, inputInterface: "eth0", table: 100)
    /// ```
    public init(family: NetlinkAddressFamily, priority: UInt32? = nil, source: NetlinkPrefix? = nil,
                destination: NetlinkPrefix? = nil, inputInterface: String? = nil, outputInterface: String? = nil,
                fwmark: UInt32? = nil, fwmask: UInt32? = nil, table: UInt32, action: Action = .lookup) {
        self.family = family
        self.priority = priority
        self.source = source
        self.destination = destination
        self.inputInterface = inputInterface
        self.outputInterface = outputInterface
        self.fwmark = fwmark
        self.fwmask = fwmask
        self.table = table
        self.action = action
    }

    /// A rule that ends the lookup for matching packets with `action` (`.prohibit`:
    /// ICMP administratively prohibited to the sender; `.blackhole`: silently dropped).
    ///
    /// ```swift
    /// // 6005: from all iif veth1a2b prohibit
    /// Rule.verdict(.prohibit, family: .ipv4, priority: 6005, inputInterface: "veth1a2b")
    /// ```
    public static func verdict(_ action: Action, family: NetlinkAddressFamily, priority: UInt32? = nil,
                               source: NetlinkPrefix? = nil, destination: NetlinkPrefix? = nil,
                               inputInterface: String? = nil) -> Rule {
        Rule(family: family, priority: priority, source: source, destination: destination,
             inputInterface: inputInterface, table: 0, action: action)
    }

    /// `100: from 10.1.2.3/32 iif eth0 lookup 100`, the object named in errors.
    public var description: String {
        var text = priority.map { "\($0): " } ?? ""
        text += "from \(source.map { "\($0)" } ?? "all")"
        if let destination { text += " to \(destination)" }
        if let inputInterface { text += " iif \(inputInterface)" }
        if let outputInterface { text += " oif \(outputInterface)" }
        if let fwmark { text += " fwmark \(fwmark)" }
        text += action == .lookup ? " lookup \(table)" : " \(action)"
        return text
    }

    /// A rule's action (`FR_ACT_*` in `fib_rule_hdr.action`); values this type does not
    /// name (goto, nop) are kept as read.
    public struct Action: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// `lookup TABLE` (`FR_ACT_TO_TBL`).
        public static let lookup = Action(rawValue: 1)
        /// `blackhole`: dropped without a word (`FR_ACT_BLACKHOLE`).
        public static let blackhole = Action(rawValue: 6)
        /// `unreachable`: ICMP host unreachable (`FR_ACT_UNREACHABLE`).
        public static let unreachable = Action(rawValue: 7)
        /// `prohibit`: ICMP administratively prohibited, `EACCES` for local senders (`FR_ACT_PROHIBIT`).
        public static let prohibit = Action(rawValue: 8)

        /// The word `ip rule` prints: `lookup`, `blackhole`, `unreachable`, `prohibit`, or `action N`.
        public var description: String {
            switch self {
            case .lookup: "lookup"
            case .blackhole: "blackhole"
            case .unreachable: "unreachable"
            case .prohibit: "prohibit"
            default: "action \(rawValue)"
            }
        }

        /// The inverse of `description` for the named actions.
        public init?(name: String) {
            switch name {
            case "lookup": self = .lookup
            case "blackhole": self = .blackhole
            case "unreachable": self = .unreachable
            case "prohibit": self = .prohibit
            default: return nil
            }
        }
    }

    static func decode(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> Rule? {
        guard message.type == RTM.newRule else { return nil }
        let header = ByteReader(message.payload)
        guard let familyValue = header.u8(at: 0), let dstLength = header.u8(at: 1), let srcLength = header.u8(at: 2),
              let table8 = header.u8(at: 4), let action = header.u8(at: 7), header.u32(at: 8) != nil
        else { throw .malformedReply(operation: operation, reason: "short fib_rule_hdr") }
        guard let family = NetlinkAddressFamily(rawValue: familyValue) else { return nil }
        let attributes = try NetlinkAttributes(parsing: header.slice(from: 12), operation: operation)
        func prefix(_ type: UInt16, _ length: UInt8) throws(NetlinkError) -> NetlinkPrefix? {
            guard let address = attributes.address(type) else { return nil }
            guard address.family == family, let prefix = NetlinkPrefix(address: address, length: length) else {
                throw .malformedReply(operation: operation, reason: "rule selector does not match its family")
            }
            return prefix
        }
        return Rule(
            family: family,
            priority: attributes.u32(FRA.priority),
            source: try prefix(FRA.src, srcLength),
            destination: try prefix(FRA.dst, dstLength),
            inputInterface: attributes.string(FRA.iifname),
            outputInterface: attributes.string(FRA.oifname),
            fwmark: attributes.u32(FRA.fwmark),
            fwmask: attributes.u32(FRA.fwmask),
            table: attributes.u32(FRA.table) ?? UInt32(table8),
            action: Action(rawValue: action))
    }
}

extension NetlinkSocket {
    /// Adds a rule; EEXIST when an identical rule exists.
    ///
    /// ```swift
    /// try socket.addRule(Rule(family: .ipv6, priority: 100, destination: NetlinkPrefix("fd00:1::/64"), table: 100))
    /// ```
    public func addRule(_ rule: Rule) throws(NetlinkError) {
        try sendRule(rule, type: RTM.newRule, flags: NLFlag.create | NLFlag.excl, verb: "adding")
    }

    /// Deletes the first rule matching every field that is set.
    ///
    /// ```swift
    /// try socket.deleteRule(Rule(family: .ipv4, priority: 100, table: 100))
    /// ```
    public func deleteRule(_ rule: Rule) throws(NetlinkError) {
        try sendRule(rule, type: RTM.delRule, flags: 0, verb: "deleting")
    }

    /// Lists the rules of one family in priority order.
    ///
    /// ```swift
    /// let mine = try socket.rules(family: .ipv4).filter { $0.table == 100 }
    /// ```
    public func rules(family: NetlinkAddressFamily) throws(NetlinkError) -> [Rule] {
        let operation = "listing \(family) rules"
        var request = NetlinkRequest(type: RTM.getRule, flags: 0)
        request.append([family.rawValue, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        var result: [Rule] = []
        for message in try dump(request, operation: operation) {
            if let rule = try Rule.decode(message, operation: operation) { result.append(rule) }
        }
        return result
    }

    private func sendRule(_ rule: Rule, type: UInt16, flags: UInt16, verb: String) throws(NetlinkError) {
        let operation = "\(verb) rule \(rule)"
        for selector in [rule.source, rule.destination] {
            if let selector, selector.family != rule.family {
                throw .invalidArgument(operation: operation, reason: "selector family differs from the rule's family")
            }
        }
        var request = NetlinkRequest(type: type, flags: flags)
        request.appendInteger(rule.family.rawValue)
        request.appendInteger(rule.destination?.length ?? 0)
        request.appendInteger(rule.source?.length ?? 0)
        request.appendInteger(UInt8(0))  // tos
        request.appendInteger(UInt8(rule.table < 256 ? rule.table : 0))
        request.appendInteger(UInt16(0))  // res1, res2
        request.appendInteger(rule.action.rawValue)
        request.appendInteger(UInt32(0))  // flags
        // A verdict rule has no table (as `ip rule add prohibit` sends it).
        if rule.action == .lookup || rule.table != 0 { request.appendAttribute(FRA.table, u32: rule.table) }
        if let priority = rule.priority { request.appendAttribute(FRA.priority, u32: priority) }
        if let source = rule.source { request.appendAttribute(FRA.src, bytes: source.address.bytes) }
        if let destination = rule.destination { request.appendAttribute(FRA.dst, bytes: destination.address.bytes) }
        if let name = rule.inputInterface { try request.appendInterfaceName(name, type: FRA.iifname, operation: operation) }
        if let name = rule.outputInterface { try request.appendInterfaceName(name, type: FRA.oifname, operation: operation) }
        if let fwmark = rule.fwmark {
            request.appendAttribute(FRA.fwmark, u32: fwmark)
            request.appendAttribute(FRA.fwmask, u32: rule.fwmask ?? 0xFFFF_FFFF)
        }
        try execute(request, operation: operation)
    }
}
