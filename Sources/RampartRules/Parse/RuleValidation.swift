/// The checks Suricata runs on a whole rule once its options are read (`SigValidate` and
/// the buffers' validate callbacks), then the fast pattern.
extension RuleBuilder {
    mutating func finish() throws(RuleProblem) {
        if case .pending(let b, _, let k) = active {
            keyword = k
            throw problem(.conflict, "the sticky buffer \(b.rawValue) has no match keyword after it")
        }
        keyword = "sid"
        guard sawSID else { throw problem(.missing, "the rule has no sid") }
        keyword = ""

        // A legacy modifier may have emptied the payload's list.
        var kept: [BufferInspection] = []
        for insp in rule.inspections where !insp.steps.isEmpty { kept.append(insp) }
        rule.inspections = kept

        try checkDirections()
        try checkPacketVersusApplication()
        for insp in rule.inspections { try checkBuffer(insp) }
        try checkDsize()
        if rule.inspections.contains(where: { $0.buffer == .base64Data }) &&
            !rule.inspections.contains(where: { $0.steps.contains { if case .base64Decode = $0 { return true }; return false } }) {
            keyword = "base64_data"
            throw problem(.conflict, "base64_data needs a base64_decode before it")
        }
        rule.fastPattern = FastPatternSelection.choose(for: rule)
    }

    /// Buffers of both directions cannot be in one rule; the buffers' direction must agree
    /// with `flow:to_server` / `to_client`, and sets it when the rule does not.
    mutating func checkDirections() throws(RuleProblem) {
        var toServer: InspectionBuffer?, toClient: InspectionBuffer?
        for insp in rule.inspections {
            switch insp.buffer.side {
            case .toServer: toServer = toServer ?? insp.buffer
            case .toClient: toClient = toClient ?? insp.buffer
            case .both: break
            }
        }
        if let s = toServer, let c = toClient {
            keyword = c.rawValue
            throw problem(.conflict, "the rule mixes buffers of both directions: \(s.rawValue) (to server) and \(c.rawValue) (to client)")
        }
        let implied: FlowCondition.Side? = toServer != nil ? .toServer : (toClient != nil ? .toClient : nil)
        guard let implied else { return }
        if let side = rule.flow.side, side != implied {
            keyword = "flow"
            let b = (toServer ?? toClient)!
            throw problem(.conflict, "flow:\(side == .toServer ? "to_server" : "to_client") conflicts with \(b.rawValue), which holds \(implied == .toServer ? "to-server" : "to-client") data")
        }
        rule.flow.side = implied
    }

    func checkPacketVersusApplication() throws(RuleProblem) {
        let appBuffer = rule.inspections.first { $0.buffer != .payload }?.buffer
        if let k = packetKeyword, let b = appBuffer {
            var p = problem(.conflict, "a packet keyword (\(k)) cannot go with an application buffer (\(b.rawValue)): Suricata inspects one per packet, the other per transaction")
            p.keyword = k
            throw p
        }
        if rule.proto == .tcpPacket, let b = appBuffer {
            throw problem(.conflict, "tcp-pkt rules inspect packets only; \(b.rawValue) is an application buffer")
        }
        if let k = packetKeyword, rule.proto == .tcpStream || rule.flow.stream == .onlyStream {
            var p = problem(.conflict, "a packet keyword (\(k)) cannot go with tcp-stream or flow:only_stream")
            p.keyword = k
            throw p
        }
    }

    /// The buffer-specific checks of Suricata's validate callbacks.
    mutating func checkBuffer(_ insp: BufferInspection) throws(RuleProblem) {
        keyword = insp.buffer.rawValue
        var maximum: UInt64?
        for s in insp.steps { if case .bufferSize(let c) = s, let m = c.maximum { maximum = min(maximum ?? m, m) } }
        for s in insp.steps {
            guard let c = s.content else { continue }
            if insp.buffer.isLowercased && insp.transforms.isEmpty {
                if c.nocase { throw problem(.conflict, "\(insp.buffer.rawValue) is lower-cased by the decoder; nocase is refused (as Suricata refuses it)") }
                if c.bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
                    throw problem(.conflict, "\(insp.buffer.rawValue) is lower-cased by the decoder; write the content in lower case")
                }
            }
            if insp.buffer == .httpMethod, let f = c.bytes.first, let l = c.bytes.last,
               f == 0x20 || f == 0x09 || l == 0x20 || l == 0x09 {
                throw problem(.conflict, "an http.method content cannot start or end with a space or tab")
            }
            if let m = maximum, !c.negated, UInt64(c.bytes.count) > m {
                throw problem(.conflict, "a content of \(c.bytes.count) bytes cannot fit the buffer's size limit (at most \(m) bytes), so the rule can never match")
            }
        }
    }

    /// Payload content that needs more bytes than `dsize` allows can never match
    /// (Suricata's `SigParseMaxRequiredDsize`, its arithmetic kept: the first content counts
    /// whatever it is, later ones only when relative; `<N`, `N` and `!N` bound at N, `A<>B` at B).
    mutating func checkDsize() throws(RuleProblem) {
        var bound: Int64?
        for c in rule.conditions {
            guard case .dsize(let d) = c else { continue }
            switch d {
            case .less(let a), .equal(let a), .notEqual(let a): bound = Int64(a)
            case .between(_, let b): bound = Int64(b)
            default: bound = nil
            }
        }
        guard let maxSize = bound, let payload = rule.inspections.first(where: { $0.buffer == .payload }) else { return }
        func literal(_ v: ByteValue?) -> Int64 { if case .literal(let n)? = v { return n }; return 0 }
        var total: Int64 = 0, maxOffset: Int64 = 0, first = true
        func refuse(_ needed: Int64) throws(RuleProblem) {
            keyword = "dsize"
            throw problem(.conflict, "the payload contents need \(needed) bytes but dsize allows at most \(maxSize), so the rule can never match")
        }
        for s in payload.steps {
            guard let c = s.content else { continue }
            if !first {
                guard c.isRelative else { continue }
                if c.negated {
                    let check = total + literal(c.distance) + literal(c.within)
                    if maxSize < check { try refuse(check) }
                    continue
                }
            }
            total += Int64(c.bytes.count) + literal(c.distance)
            maxOffset = max(maxOffset, literal(c.offset))
            first = false
        }
        if total > maxSize { try refuse(total) }
        if total + maxOffset > maxSize { try refuse(total + maxOffset) }
    }
}
