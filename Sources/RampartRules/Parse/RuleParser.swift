/// Parses one Suricata 7 rule into a `Rule`, or says why not (`RuleProblem` with the file,
/// line, column, keyword and what was expected). Never traps, whatever the input.
///
/// ```swift
/// let r = RuleParser.parse(#"alert http any any -> any any (msg:"x"; http.uri; content:"/a"; sid:1;)"#,
///                          location: RuleLocation(file: "local.rules", line: 1))
/// ```
public enum RuleParser {
    /// Longest rule text accepted (Suricata's DETECT_MAX_RULE_SIZE is 8 KiB; ET Open's longest
    /// rules are about 5 KiB). Longer ones are refused, not cut.
    public static let maximumRuleLength = 65_536

    public static func parse(_ text: String, location: RuleLocation,
                             classifications: ClassificationConfig = ClassificationConfig()) -> Result<Rule, RuleProblem> {
        func located(_ p: RuleProblem, sid: UInt32? = nil) -> RuleProblem {
            var p = p
            p.file = location.file
            p.line = location.line
            if p.sid == nil { p.sid = sid ?? RuleParser.scanSID(text) }
            return p
        }
        guard text.utf8.count <= maximumRuleLength else {
            return .failure(located(RuleProblem(.syntax, keyword: nil, "the rule is longer than \(maximumRuleLength) bytes")))
        }
        let parts: RuleText
        switch RuleText.split(text) {
        case .success(let p): parts = p
        case .failure(let p): return .failure(located(p))
        }
        func headerProblem(_ f: RuleText.Field, _ m: String) -> Result<Rule, RuleProblem> {
            .failure(located(RuleProblem(.header, keyword: nil, m, column: f.column)))
        }
        guard let action = RuleAction(rawValue: parts.action.text.lowercased()) else {
            return headerProblem(parts.action, "'\(parts.action.text.prefix(40))' is not an action (alert, drop, reject, rejectsrc, rejectdst, rejectboth, pass)")
        }
        guard let proto = RuleProtocol(keyword: parts.proto.text) else {
            return headerProblem(parts.proto, "'\(parts.proto.text.prefix(40))' is not a protocol Suricata 7 knows (ip, tcp, udp, icmp, or an application such as http, tls, dns)")
        }
        guard let direction = RuleDirection(rawValue: parts.direction.text) else {
            return headerProblem(parts.direction, "'\(parts.direction.text.prefix(40))' is not a direction ('->' or '<>')")
        }
        var specs: [AddressSpec] = []
        for f in [parts.source, parts.destination] {
            switch HeaderParser.address(f.text) {
            case .success(let s): specs.append(s)
            case .failure(let m): return headerProblem(f, m.message)
            }
        }
        var ports: [PortSpec] = []
        for f in [parts.sourcePorts, parts.destinationPorts] {
            switch HeaderParser.port(f.text) {
            case .success(let s): ports.append(s)
            case .failure(let m): return headerProblem(f, m.message)
            }
        }
        var rule = Rule(location: location, action: action, proto: proto, source: specs[0], sourcePorts: ports[0],
                        direction: direction, destination: specs[1], destinationPorts: ports[1])
        if case .application(let app) = proto { rule.application = app }

        var b = RuleBuilder(rule: rule, classifications: classifications)
        // Suricata reads `sid` first (its "requires" pass), so every error can name the rule.
        if let sidOption = parts.options.first(where: { $0.name.lowercased() == "sid" }) {
            b.keyword = "sid"
            b.column = sidOption.column
            do { try b.sid(sidOption.value) } catch { return .failure(located(error)) }
        }
        let sidColumn = b.column
        for option in parts.options {
            let name = option.name.lowercased()
            if name == "sid", option.column == sidColumn { continue }
            b.keyword = option.name
            b.column = option.column
            do {
                try b.apply(name, option.value)
            } catch {
                return .failure(located(error, sid: b.rule.sid == 0 ? nil : b.rule.sid))
            }
        }
        b.keyword = ""
        b.column = 0
        do {
            try b.finish()
        } catch {
            return .failure(located(error, sid: b.rule.sid == 0 ? nil : b.rule.sid))
        }
        return .success(b.rule)
    }

    /// The `sid` of a rule that did not parse, if one can be seen in its text.
    static func scanSID(_ text: String) -> UInt32? {
        var search = Substring(text)
        while let r = search.firstRange(of: "sid") {
            let before = search[..<r.lowerBound].last
            var rest = search[r.upperBound...].drop(while: { $0 == " " || $0 == "\t" })
            if before == nil || before == ";" || before == " " || before == "(" || before == "\t", rest.first == ":" {
                rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" })
                let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
                if let v = UInt32(digits) { return v }
            }
            search = search[r.upperBound...]
        }
        return nil
    }

    /// Keywords accepted although they change nothing a matcher does. `rawbytes` is a no-op
    /// in Suricata too (it is recorded on the content); `prefilter` only asks Suricata's
    /// engine to prefilter on a keyword instead of the fast pattern, an optimisation the
    /// Rampart matcher decides for itself.
    public static let noOpKeywords: Set<String> = ["prefilter"]

    /// Every keyword Suricata 7.0 registers, so a refusal can say whether a keyword is
    /// unknown (a typo, or a newer Suricata's) or known and not implemented here.
    static let suricataKeywords: Set<String> = {
        let list = """
        ack alert app-layer-event app-layer-protocol asn1 base64_data base64_decode bsize bypass byte_extract byte_jump \
        byte_math byte_test cip_service classtype compress_whitespace config content datarep dataset dce_iface dce_opnum \
        dce_stub_data dcerpc.iface dcerpc.opnum dcerpc.stub_data decode-event depth detection_filter dhcp.leasetime \
        dhcp.rebinding_time dhcp.renewal_time distance dnp3.data dnp3.func dnp3.ind dnp3.obj dnp3_data dnp3_func dnp3_ind \
        dnp3_obj dns.opcode dns.query dns_query dotprefix dsize endswith engine-event enip_command fast_pattern file.data \
        file.magic file.name file_data fileext filemagic filemd5 filename filesha1 filesha256 filesize filestore flags flow \
        flow.age flowbits flowint flowvar fragbits fragoffset frame ftpbounce ftpdata_command geoip gid header_lowercase \
        hostbits http2.errorcode http2.frametype http2.header_name http2.priority http2.settings http2.size_update \
        http2.window icmp_id icmp_seq icmpv4-csum icmpv4.hdr icmpv6-csum icmpv6.hdr icmpv6.mtu icode id \
        ike.chosen_sa_attribute ike.exchtype ike.init_spi ike.key_exchange_payload ike.key_exchange_payload_length \
        ike.nonce_payload ike.nonce_payload_length ike.resp_spi ike.vendor ip.dst ip.src ip_proto ipopts iprep ipv4-csum \
        ipv4.hdr ipv6.hdr isdataat itype krb5.ticket_encryption krb5_err_code krb5_msg_type l3_proto lua luajit metadata \
        modbus mqtt.connack.return_code mqtt.connack.session_present mqtt.connect.clientid mqtt.connect.flags \
        mqtt.connect.password mqtt.connect.username mqtt.connect.willmessage mqtt.connect.willtopic mqtt.flags \
        mqtt.protocol_version mqtt.publish.message mqtt.publish.topic mqtt.qos mqtt.reason_code mqtt.subscribe.topic \
        mqtt.type mqtt.unsubscribe.topic msg nfq_set_mark nfs.version nfs_procedure nfs_version noalert nocase offset pcre \
        pcrexform pkt_data pktvar prefilter priority quic.cyu.hash quic.cyu.string rawbytes reference replace requires \
        rev rfb.name rfb.secresult rfb.sectype rpc sameip seq sid sip.protocol sip.request_line sip.response_line \
        sip.stat_code sip.stat_msg smb.ntlmssp_domain smb.ntlmssp_user snmp.pdu_type snmp.usm snmp.version \
        ssh.protoversion ssh.softwareversion ssl_state ssl_version startswith stream-event stream_size strip_pseudo_headers \
        strip_whitespace tag target tcp.ack tcp.flags tcp.hdr tcp.mss tcp.seq tcp.window tcpv4-csum tcpv6-csum template \
        template.buffer template2 threshold tls.cert_chain_len tls.fingerprint tls.issuerdn tls.random tls.random_bytes \
        tls.random_time tls.store tls.subject tls.version tls_cert_expired tls_cert_notafter tls_cert_notbefore \
        tls_cert_valid tls_store to_lowercase to_md5 to_sha1 to_sha256 to_uppercase tos ttl udp.hdr udpv4-csum \
        udpv6-csum uricontent urilen url_decode window within xbits xor
        """
        return Set(list.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)).union(BufferKeyword.table.keys)
    }()
}

extension RuleBuilder {
    /// Reads one option into the rule.
    mutating func apply(_ name: String, _ value: String?) throws(RuleProblem) {
        func noValue() throws(RuleProblem) {
            if let value, !value.trimmingBlanks.isEmpty { throw problem(.syntax, "takes no value (write '\(keyword);')") }
        }
        if let bufferKeyword = BufferKeyword.table[name] {
            try noValue()
            switch bufferKeyword {
            case .sticky(let b): try setSticky(b)
            case .contentModifier(let b): try applyContentModifier(b)
            }
            return
        }
        if let t = BufferTransform.keywords[name] {
            try noValue()
            try addTransform(t)
            return
        }
        switch name {
        case "msg": try msg(value)
        case "sid": try sid(value)
        case "rev": try rev(value)
        case "gid": try gid(value)
        case "classtype": try classtype(value)
        case "priority": try priority(value)
        case "reference": try reference(value)
        case "metadata": try metadata(value)
        case "target": try target(value)
        case "content": try content(value)
        case "uricontent":  // Suricata 7: content, then http_uri
            try content(value)
            try applyContentModifier(.httpURI)
        case "nocase": try noValue(); try nocase()
        case "rawbytes": try noValue(); try rawbytes()
        case "depth": try offsetOrDepth(value, isDepth: true)
        case "offset": try offsetOrDepth(value, isDepth: false)
        case "distance": try distanceOrWithin(value, isWithin: false)
        case "within": try distanceOrWithin(value, isWithin: true)
        case "startswith": try noValue(); try startswith()
        case "endswith": try noValue(); try endswith()
        case "fast_pattern": try fastPattern(value)
        case "pcre": try pcre(value)
        case "byte_test": try byteTest(value)
        case "byte_jump": try byteJump(value)
        case "byte_extract": try byteExtract(value)
        case "byte_math": try byteMath(value)
        case "isdataat": try isDataAt(value)
        case "base64_decode": try base64Decode(value)
        case "bsize": try bsize(value)
        case "urilen": try urilen(value)
        case "dsize": try dsize(value)
        case "flow": try flow(value)
        case "flowbits": try flowbits(value)
        case "xbits": try xbits(value)
        case "flowint": try flowint(value)
        case "stream_size": try streamSize(value)
        case "threshold": try threshold(value)
        case "detection_filter": try detectionFilter(value)
        case "tag": try tag(value)
        case "noalert": try noValue(); rule.noAlert = true
        case "itype": try smallNumeric(value, max: 255) { .icmpType($0) }
        case "icode": try smallNumeric(value, max: 255) { .icmpCode($0) }
        case "ttl": try smallNumeric(value, max: 255) { .ttl($0) }
        case "icmp_id": packetCondition(.icmpID(UInt16(try exactNumber(value, max: 65535))))
        case "icmp_seq": packetCondition(.icmpSequence(UInt16(try exactNumber(value, max: 65535))))
        case "id": packetCondition(.ipID(UInt16(try exactNumber(value, max: 65535))))
        case "seq": packetCondition(.tcpSequence(UInt32(try exactNumber(value, max: Int64(UInt32.max)))))
        case "ack": packetCondition(.tcpAcknowledgement(UInt32(try exactNumber(value, max: Int64(UInt32.max)))))
        case "window": try window(value)
        case "ip_proto": try ipProto(value)
        case "flags": try tcpFlags(value)
        case "sameip": try noValue(); packetCondition(.sameIP)
        case "app-layer-event": try appLayerEvent(value)
        case "app-layer-protocol": try appLayerProtocol(value)
        case "tls.version": try tlsVersion(value)
        case "ssl_version": try sslVersion(value)
        case "ssl_state": try sslState(value)
        case "xor":
            let (key, _) = try quotedValue(value, mandatory: true, negation: false)
            guard key.count % 2 == 0, key.count >= 2, key.count <= 510, let bytes = RuleBuilder.hexBytes(key) else {
                throw problem(.invalidValue, "expected an even number of hex digits as the key, e.g. xor:\"0d0ac8ff\"")
            }
            try addTransform(.xor(key: bytes))
        case "pcrexform":
            let (expression, _) = try quotedValue(value, mandatory: true, negation: false)
            if let e = RuleBuilder.compileCheck(PCREMatch(expression: expression)) { throw problem(.regex, e) }
            try addTransform(.pcreTransform(expression: expression))
        default:
            if RuleParser.noOpKeywords.contains(name) {
                noOps.append(name)
                return
            }
            if RuleParser.suricataKeywords.contains(name) {
                throw problem(.unsupportedKeyword, "Suricata 7 keyword not implemented by Rampart; the rule is refused rather than matched without it")
            }
            throw problem(.unknownKeyword, "not a Suricata 7 keyword")
        }
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let hi = hexDigit(u[i]), let lo = hexDigit(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
