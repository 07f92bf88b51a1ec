/// Packet and session conditions (`dsize`, `itype`, `icode`, `ttl`, `ip_proto`, `flags`,
/// `seq`, `ack`, `window`, `id`, `icmp_id`, `icmp_seq`, `sameip`), buffer sizes (`bsize`,
/// `urilen`) and application conditions (`app-layer-event`, `app-layer-protocol`,
/// `tls.version`, `ssl_version`, `ssl_state`).
extension RuleBuilder {
    /// Suricata 7's unsigned comparison (`detect_parse_uint`): `N`, `=N`, `!N`, `!=N`, `<N`,
    /// `<=N`, `>N`, `>=N`, and the exclusive range `A<>B` or `A-B`.
    func numericCondition(_ raw: String, max: UInt64) throws(RuleProblem) -> NumericCondition {
        let t = raw.filter { $0 != " " }
        func n(_ s: Substring) throws(RuleProblem) -> UInt64 {
            guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(s), v <= max else {
                throw problem(.invalidValue, "expected a number 0-\(max), found '\(s.prefix(30))' in '\(raw.prefix(40))'")
            }
            return v
        }
        for sep in ["<>", "-"] {
            if let r = t.firstRange(of: sep), r.lowerBound != t.startIndex {
                let a = try n(t[..<r.lowerBound]), b = try n(t[r.upperBound...])
                guard b > a, b - a > 1 else { throw problem(.invalidValue, "the range \(a)\(sep)\(b) leaves no value strictly between its bounds") }
                return .between(a, b)
            }
        }
        let ops: [(String, (UInt64) -> NumericCondition)] = [
            (">=", { .greaterOrEqual($0) }), ("<=", { .lessOrEqual($0) }), ("!=", { .notEqual($0) }),
            (">", { .greater($0) }), ("<", { .less($0) }), ("!", { .notEqual($0) }), ("=", { .equal($0) }),
        ]
        for (prefix, make) in ops where t.hasPrefix(prefix) {
            let v = try n(t.dropFirst(prefix.count))
            if (prefix == "<" && v == 0) || (prefix == ">" && v == max) {
                throw problem(.invalidValue, "'\(raw)' can never match")
            }
            return make(v)
        }
        return .equal(try n(Substring(t)))
    }

    mutating func packetCondition(_ c: PacketCondition) {
        packetKeyword = packetKeyword ?? keyword
        rule.conditions.append(c)
    }

    mutating func dsize(_ raw: String?) throws(RuleProblem) {
        if rule.conditions.contains(where: { if case .dsize = $0 { return true }; return false }) {
            throw problem(.conflict, "a rule may have only one dsize")
        }
        packetCondition(.dsize(try numericCondition(try requireValue(raw), max: 65535)))
    }

    mutating func bsize(_ raw: String?) throws(RuleProblem) {
        guard hasSticky else { throw problem(.conflict, "bsize needs a sticky buffer before it") }
        let c = try numericCondition(try requireValue(raw), max: UInt64(UInt32.max))
        append(.bufferSize(c), to: currentInspection())
    }

    mutating func urilen(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count <= 2 else { throw problem(.invalidValue, "expected N[,norm|raw]") }
        let c = try numericCondition(args[0], max: 65535)
        var buffer = InspectionBuffer.httpURI
        if args.count == 2 {
            switch args[1] {
            case "norm": break
            case "raw": buffer = .httpURIRaw
            default: throw problem(.invalidValue, "expected norm or raw after the length, found '\(args[1])'")
            }
        }
        try requireApplication(.http, for: "urilen")
        append(.bufferSize(c), to: inspection(for: buffer, transforms: [], reuse: true))
    }

    mutating func smallNumeric(_ raw: String?, max: UInt64, make: (NumericCondition) -> PacketCondition) throws(RuleProblem) {
        packetCondition(make(try numericCondition(try requireValue(raw), max: max)))
    }

    mutating func exactNumber(_ raw: String?, max: Int64) throws(RuleProblem) -> Int64 {
        try number(try requireValue(raw), what: keyword, range: 0...max)
    }

    static let ipProtocolNames: [String: UInt64] = [
        "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17, "ipv6": 41, "gre": 47, "esp": 50, "ah": 51,
        "ipv6-icmp": 58, "icmpv6": 58, "sctp": 132,
    ]

    mutating func ipProto(_ raw: String?) throws(RuleProblem) {
        var t = try requireValue(raw)
        if t.first == "\"" && t.last == "\"" && t.count >= 2 { t = String(t.dropFirst().dropLast()) }
        var op = ""
        if let f = t.first, f == "!" || f == "<" || f == ">" { op = String(f); t = String(t.dropFirst()).trimmingBlanks }
        if let v = RuleBuilder.ipProtocolNames[t.lowercased()] { t = String(v) }
        packetCondition(.ipProtocol(try numericCondition(op + t, max: 255)))
    }

    mutating func tcpFlags(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count <= 2, var spec = args.first, !spec.isEmpty else { throw problem(.invalidValue, "expected [+*!]FLAGS[,IGNORED]") }
        var mode = TCPFlagsCondition.Mode.exactly
        for (ch, m) in [("+", TCPFlagsCondition.Mode.atLeast), ("*", .any), ("!", .none)] {
            if spec.hasPrefix(ch) { mode = m; spec.removeFirst() } else if spec.hasSuffix(ch) { mode = m; spec.removeLast() }
        }
        func bits(_ s: String) throws(RuleProblem) -> UInt8 {
            var v: UInt8 = 0
            for ch in s {
                switch ch {
                case "F", "f": v |= 0x01
                case "S", "s": v |= 0x02
                case "R", "r": v |= 0x04
                case "P", "p": v |= 0x08
                case "A", "a": v |= 0x10
                case "U", "u": v |= 0x20
                case "E", "e", "2": v |= 0x40
                case "C", "c", "1", "W", "w": v |= 0x80
                case "0": break
                default: throw problem(.invalidValue, "'\(ch)' is not a TCP flag (F S R P A U C E 0, 1 2)")
                }
            }
            return v
        }
        let f = try bits(spec)
        let ignored = args.count == 2 ? try bits(args[1]) : 0
        packetCondition(.tcpFlags(TCPFlagsCondition(mode: mode, flags: f, ignored: ignored)))
    }

    mutating func window(_ raw: String?) throws(RuleProblem) {
        var t = try requireValue(raw)
        var negated = false
        if t.first == "!" { negated = true; t = String(t.dropFirst()) }
        packetCondition(.tcpWindow(negated: negated, UInt16(try number(t, what: "window", range: 0...65535))))
    }

    mutating func appLayerEvent(_ raw: String?) throws(RuleProblem) {
        let t = try requireValue(raw)
        let body = t.hasPrefix("!") ? String(t.dropFirst()) : t
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { b in (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D } }) else {
            throw problem(.invalidValue, "expected PROTOCOL.EVENT (e.g. http.invalid_transfer_encoding_value_in_request)")
        }
        if let app = AppLayerProtocol(rawValue: String(parts[0])) { try requireApplication(app, for: "app-layer-event") }
        rule.conditions.append(.appLayerEvent(t))
    }

    mutating func appLayerProtocol(_ raw: String?) throws(RuleProblem) {
        var t = try requireValue(raw)
        var negated = false
        if t.first == "!" { negated = true; t = String(t.dropFirst()) }
        let name = t.split(separator: ",").first.map { String($0).trimmingBlanks } ?? ""
        guard AppLayerProtocol(rawValue: name) != nil || ["unknown", "failed"].contains(name) else {
            throw problem(.invalidValue, "'\(name)' is not an application protocol Suricata 7 names")
        }
        rule.conditions.append(.appLayerProtocol(name: name, negated: negated))
    }

    mutating func tlsVersion(_ raw: String?) throws(RuleProblem) {
        var t = try requireValue(raw)
        if t.first == "\"" && t.last == "\"" && t.count >= 2 { t = String(t.dropFirst().dropLast()) }
        let versions: [String: UInt16] = ["1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303, "1.3": 0x0304]
        let v: UInt16
        if let known = versions[t] { v = known } else if t.hasPrefix("0x"), let hex = UInt16(t.dropFirst(2), radix: 16) { v = hex } else {
            throw problem(.invalidValue, "expected 1.0, 1.1, 1.2, 1.3 or 0xNNNN, found '\(t)'")
        }
        try requireApplication(.tls, for: "tls.version")
        rule.conditions.append(.tlsVersion(v))
    }

    mutating func sslVersion(_ raw: String?) throws(RuleProblem) {
        let known: Set<String> = ["sslv2", "sslv3", "tls1.0", "tls1.1", "tls1.2", "tls1.3"]
        let items = RuleBuilder.arguments(try requireValue(raw))
        for i in items where !known.contains(i.hasPrefix("!") ? String(i.dropFirst()) : i) {
            throw problem(.invalidValue, "'\(i)' is not an SSL/TLS version (sslv2, sslv3, tls1.0, tls1.1, tls1.2, tls1.3)")
        }
        try requireApplication(.tls, for: "ssl_version")
        rule.conditions.append(.sslVersion(items))
    }

    mutating func sslState(_ raw: String?) throws(RuleProblem) {
        let known: Set<String> = ["client_hello", "server_hello", "client_keyx", "server_keyx", "unknown"]
        let t = try requireValue(raw)
        for part in t.split(separator: ",").flatMap({ $0.split(separator: "|") }) {
            let s = String(part).trimmingBlanks
            guard known.contains(s.hasPrefix("!") ? String(s.dropFirst()) : s) else {
                throw problem(.invalidValue, "'\(s)' is not an SSL state (client_hello, server_hello, client_keyx, server_keyx, unknown)")
            }
        }
        try requireApplication(.tls, for: "ssl_state")
        rule.conditions.append(.sslState(t))
    }
}
