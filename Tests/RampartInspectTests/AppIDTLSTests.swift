import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// TLS and JA4 over real handshakes (scripts/appid/tls.sh) and hostile bytes.
///
/// The expected JA4 values were computed independently of our parser: tshark dissects each
/// ClientHello and scripts/appid/ja4-reference.py applies the FoxIO spec (GREASE filtered,
/// lists sorted, SNI and ALPN left out of the extension hash, signature algorithms in order):
///
///     f = "tcp.srcport tls.handshake.ciphersuite tls.handshake.extension.type tls.handshake.sig_hash_alg
///          tls.handshake.extensions_alpn_str tls.handshake.extensions.supported_version tls.handshake.version"
///     tshark -r tls.pcap -Y tls.handshake.type==1 -T fields -E separator='|' -E aggregator=, -e ...
///     g = lambda v: v & 0x0f0f == 0x0a0a and v >> 8 == v & 0xff
///     ci, ex, sg, sv = (non-GREASE lists); v = max(sv) if sv else version
///     a = "t" + {0x304:"13",0x303:"12",...}[v] + ("d" if 0 in ex else "i") + "%02d%02d" % (len(ci), len(ex))
///         + (alpn[0][0] + alpn[0][-1] if alpn else "00")
///     h = lambda s: sha256(s.encode()).hexdigest()[:12]
///     b = h(",".join("%04x" % c for c in sorted(ci)))
///     c = h(",".join("%04x" % e for e in sorted(ex) if e not in (0, 0x10)) + ("_" + ",".join(sigs) if sigs else ""))
@Suite("App-ID TLS")
struct AppIDTLSTests {
    static let ssl = ApplicationCatalog.id(named: "ssl")!
    static let tlsFamily: Set<String> = ["ssl", "kubernetes-api", "openai-api", "anthropic-api"]

    /// JA4 of each ClientHello in Tests/Captures/appid/tls.pcap and Tests/Captures/tls.pcap,
    /// by client port (tshark + the Python above).
    static let expectedJA4: [UInt16: String] = [
        40992: "t13d041000_16476d049b0b_78f1d400d464", 40998: "t12d280700_d943125447b4_e7e480e5a997",
        41000: "t12i280600_d943125447b4_e7e480e5a997", 60830: "t13i040900_16476d049b0b_78f1d400d464",
        53450: "t12d2808h1_d943125447b4_e7e480e5a997", 41700: "t13d041000_16476d049b0b_78f1d400d464",
        41006: "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", 53452: "t13d3112h1_e8f1e7e78f70_b26ce05bbdd6",
        50698: "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", 57172: "t12i2806h2_d943125447b4_a44c6288192a",
        35324: "t13d0411h2_16476d049b0b_78f1d400d464", 35338: "t12d280700_d943125447b4_e7e480e5a997",
        51546: "t12d280700_d943125447b4_e7e480e5a997", 48270: "t13d041000_16476d049b0b_78f1d400d464",
        45206: "t13d0411h1_16476d049b0b_78f1d400d464", 42018: "t12d280700_d943125447b4_e7e480e5a997",
        42022: "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6",
        55866: "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", 55882: "t12d280700_d943125447b4_e7e480e5a997",
    ]

    static func probe(_ flow: CapturedFlow, complete: Bool = true) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = flow.withPrefix(complete: complete) { TLS.probe($0, into: &metadata) }
        return (result, metadata)
    }

    @Test("real handshakes: application by label, SNI, ALPN, version, JA4, certificate subject")
    func realHandshakes() throws {
        let labels = try AppIDCaptures.labels("Tests/Captures/appid/tls.labels")
        let flows = try CapturedFlows.load("Tests/Captures/appid/tls.pcap")
        var checked = 0
        for flow in flows where flow.ipProtocol == .tcp && !flow.toServer.isEmpty {
            let label = try #require(labels[AppIDCaptures.key(flow)])
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(ApplicationCatalog.id(named: label)!), "port \(flow.serverPort)")
            #expect(metadata.tlsJA4 == Self.expectedJA4[flow.clientPort], "client port \(flow.clientPort)")
            #expect(metadata.tlsVersion == "TLS 1.2" || metadata.tlsVersion == "TLS 1.3")
            if metadata.tlsVersion == "TLS 1.2" {
                // The certificate travels in clear: kubeadm-like on 6443/16443, the web one elsewhere.
                let kube = flow.serverPort == 6443 || flow.serverPort == 16443
                #expect(metadata.tlsSubject == (kube ? "kube-apiserver" : "web.rampart.test"), "port \(flow.serverPort)")
            } else {
                #expect(metadata.tlsSubject == nil)
            }
            #expect(metadata.detail["tls.cipher"] != nil)
            checked += 1
        }
        #expect(checked == 17)
        // Spot checks of SNI and ALPN.
        let byPort = Dictionary(grouping: flows, by: { $0.clientPort })
        #expect(Self.probe(byPort[35324]![0]).1.tlsSNI == "kubernetes.default.svc")
        #expect(Self.probe(byPort[35324]![0]).1.tlsALPN == ["h2", "http/1.1"])
        #expect(Self.probe(byPort[41000]![0]).1.tlsSNI == nil)
        #expect(Self.probe(byPort[45206]![0]).1.tlsSNI == "api.openai.com")
        #expect(Self.probe(byPort[53450]![0]).1.tlsALPN == ["http/1.1"])
    }

    @Test("the older tls.pcap (curl TLS 1.3, s_client TLS 1.2)")
    func olderCapture() throws {
        for flow in try CapturedFlows.load("Tests/Captures/tls.pcap") where flow.ipProtocol == .tcp && !flow.toServer.isEmpty {
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(Self.ssl))
            #expect(metadata.tlsJA4 == Self.expectedJA4[flow.clientPort])
            #expect(metadata.tlsSNI == "web.rampart.test" || metadata.tlsSNI == "api.rampart.test")
        }
    }

    @Test("a ClientHello split over many small records gives the same answer and JA4")
    func multiRecord() throws {
        let flow = try #require(try CapturedFlows.load("Tests/Captures/appid/tls.pcap").first { $0.clientPort == 41006 })
        let record = flow.toServer
        let length = Int(record[3]) << 8 | Int(record[4])
        let handshake = Array(record[5..<(5 + length)])
        var split: [UInt8] = []
        var index = 0
        while index < handshake.count {
            let n = min(100, handshake.count - index)
            split += [22, 3, 1, UInt8(n >> 8), UInt8(n & 0xFF)] + handshake[index..<(index + n)]
            index += n
        }
        let (result, metadata) = AppIDCaptures.probe(split, TLS.probe)
        #expect(result == .identified(Self.ssl))
        #expect(metadata.tlsJA4 == Self.expectedJA4[41006])
        // Every truncation of the split stream is a valid prefix: more is needed.
        for cut in 0..<split.count {
            #expect(AppIDCaptures.probe(Array(split[..<cut]), TLS.probe).0 == .needMore, "cut \(cut)")
            let final = AppIDCaptures.probe(Array(split[..<cut]), complete: true, TLS.probe).0
            #expect(final == .notThis || final == .identified(Self.ssl))
        }
    }

    @Test("server side only: a ServerHello proves TLS, a TLS 1.2 certificate names kubernetes-api")
    func serverOnly() throws {
        let flows = try CapturedFlows.load("Tests/Captures/appid/tls.pcap")
        let kube12 = try #require(flows.first { $0.clientPort == 51546 })
        let (result, metadata) = AppIDCaptures.probe([], reply: kube12.toClient, TLS.probe)
        #expect(result == .identified(ApplicationCatalog.id(named: "kubernetes-api")!))
        #expect(metadata.tlsSubject == "kube-apiserver")
        #expect(metadata.tlsVersion == "TLS 1.2")
        let web13 = try #require(flows.first { $0.clientPort == 41006 })
        let (result13, metadata13) = AppIDCaptures.probe([], reply: web13.toClient, TLS.probe)
        #expect(result13 == .identified(Self.ssl))
        #expect(metadata13.tlsVersion == "TLS 1.3")
        #expect(metadata13.tlsALPN.isEmpty)   // TLS 1.3 sends ALPN encrypted
        for cut in 0..<80 {
            #expect(AppIDCaptures.probe([], reply: Array(web13.toClient.prefix(cut)), TLS.probe).0 == .needMore)
        }
    }

    @Test("SNI names the application")
    func sniRefinement() {
        let kube = ApplicationCatalog.id(named: "kubernetes-api")!
        for name in ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
                     "Kubernetes.Default.SVC.", "kubernetes.default.svc.prod.example", "abc123.gr7.eu-west-1.eks.amazonaws.com",
                     "myaks-dns-1234.hcp.westeurope.azmk8s.io"] {
            #expect(TLS.application(for: name, subject: nil) == kube, "\(name)")
        }
        #expect(TLS.application(for: "api.openai.com", subject: nil) == ApplicationCatalog.id(named: "openai-api")!)
        #expect(TLS.application(for: "API.anthropic.com.", subject: nil) == ApplicationCatalog.id(named: "anthropic-api")!)
        for name in ["kubernetes.io", "api.openai.com.evil.test", "openai.com", "xkubernetes.default", "anthropic.com"] {
            #expect(TLS.application(for: name, subject: "kube-apiserver") == Self.ssl, "\(name)")
        }
        #expect(TLS.application(for: nil, subject: "kube-apiserver") == kube)
        #expect(TLS.application(for: nil, subject: nil) == Self.ssl)
    }

    @Test("JA4 details: GREASE, ALPN characters, empty lists, counts capped at 99")
    func ja4Details() {
        var hello = TLSClientHello()
        hello.legacyVersion = 0x0303
        hello.cipherSuites = [0x0A0A, 0x1301, 0x1302]
        hello.extensions = [0x1A1A, 0x0000, 0x0010, 0x002B, 0x000D]
        hello.supportedVersions = [0x2A2A, 0x0304, 0x0303]
        hello.signatureAlgorithms = [0x0403, 0x0804]
        hello.firstALPN = Array("http/1.1".utf8)
        #expect(JA4.prefix(hello) == "t13d0204h1")
        #expect(JA4.raw(hello) == "t13d0204h1_1301,1302_000d,002b_0403,0804")
        #expect(JA4.alpnCode([0xAB]) == "ab")
        #expect(JA4.alpnCode([0xAB, 0xCD]) == "ad")
        #expect(JA4.alpnCode([0x30, 0xAB]) == "3b")
        #expect(JA4.alpnCode([0x30, 0x31, 0xAB, 0xCD]) == "3d")
        #expect(JA4.alpnCode([0x30, 0xAB, 0xCD, 0x31]) == "01")
        #expect(JA4.alpnCode([0x68]) == "hh")
        #expect(JA4.alpnCode([]) == "00")
        var bare = TLSClientHello()
        bare.legacyVersion = 0x0301
        #expect(JA4.fingerprint(bare) == "t10i000000_000000000000_000000000000")
        bare.cipherSuites = Array(repeating: 0x002F, count: 120)
        #expect(JA4.prefix(bare) == "t10i990000")
    }

    @Test("other protocols' captures are not TLS")
    func otherProtocols() throws {
        for path in AppIDCaptures.allCaptures() {
            let labelsPath = path.replacingOccurrences(of: ".pcap", with: ".labels")
            let labels = (try? AppIDCaptures.labels(labelsPath)) ?? [:]
            for flow in try CapturedFlows.load(path) {
                let tlsBytes = flow.toServer.starts(with: [22, 3]) || (flow.toServer.isEmpty && flow.toClient.starts(with: [22, 3]))
                if let label = labels[AppIDCaptures.key(flow)], Self.tlsFamily.contains(label) { continue }
                if path.hasSuffix("/tls.pcap") || tlsBytes { continue }   // TLS, checked above (or TLS-wrapped)
                #expect(Self.probe(flow).0 == .notThis, "\(path) port \(flow.serverPort)")
                #expect(Self.probe(flow, complete: false).0 == .notThis || flow.toServer.isEmpty, "\(path) port \(flow.serverPort)")
            }
        }
    }

    @Test("SSLv2-compatible hello, lying lengths and other records are not TLS")
    func hostileHandcrafted() {
        // SSLv2-compatible ClientHello (2-byte header with the high bit set).
        let v2: [UInt8] = [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10] + Array(repeating: 0x01, count: 37)
        #expect(AppIDCaptures.probe(v2, TLS.probe).0 == .notThis)
        // Record length beyond any TLS record.
        #expect(AppIDCaptures.probe([22, 3, 1, 0xFF, 0xFF, 1, 0, 0, 40], TLS.probe).0 == .notThis)
        // Not a ClientHello (a ServerHello from the client), an alert, a bad version.
        #expect(AppIDCaptures.probe([22, 3, 3, 0, 50, 2, 0, 0, 46], TLS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe([21, 3, 3, 0, 2, 2, 40], TLS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe([22, 3, 9, 0, 50, 1], TLS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe([22, 2, 0], TLS.probe).0 == .notThis)
        // Handshake length smaller than a ClientHello can be.
        #expect(AppIDCaptures.probe([22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0], TLS.probe).0 == .notThis)
        // A ClientHello whose cipher-suite length overruns the message.
        var hello: [UInt8] = [3, 3] + Array(repeating: 7, count: 32) + [0] + [0xFF, 0xF0, 0x13, 0x01] + [1, 0]
        hello = [1, 0, 0, UInt8(hello.count)] + hello
        let record = [22, 3, 1, 0, UInt8(hello.count)] + hello
        #expect(AppIDCaptures.probe(record, TLS.probe).0 == .notThis)
        // Over UDP: never TLS here.
        #expect(AppIDCaptures.probe(record, proto: .udp, TLS.probe).0 == .notThis)
        // Other protocols' first bytes.
        for text in ["GET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "*1\r\n$4\r\nPING\r\n", "PRI * HTTP/2.0\r\n"] {
            #expect(AppIDCaptures.probe(Array(text.utf8), TLS.probe).0 == .notThis)
        }
    }

    @Test("random bytes and mutated ClientHellos never trap")
    func randomBytes() throws {
        var random = SeededRandom(seed: 0x715)
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<600, using: &random)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if length > 6, Bool.random(using: &random) { bytes[0] = 22; bytes[1] = 3; bytes[2] = 1; bytes[5] = 1 }
            _ = AppIDCaptures.probe(bytes, reply: bytes, complete: Bool.random(using: &random), TLS.probe)
            _ = AppIDCaptures.probe([], reply: bytes, TLS.probe)
        }
        let flows = try CapturedFlows.load("Tests/Captures/appid/tls.pcap")
        let hello = try #require(flows.first { $0.clientPort == 35338 })
        for _ in 0..<3000 {
            var client = Array(hello.toServer.prefix(700))
            var server = Array(hello.toClient.prefix(2000))
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                client[Int.random(in: 0..<client.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                server[Int.random(in: 0..<server.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            _ = AppIDCaptures.probe(client, reply: server, complete: true, TLS.probe)
            var metadata = ApplicationMetadata()
            server.withUnsafeBytes { TLS.observeServer($0, into: &metadata) }
            if let subject = metadata.tlsSubject { #expect(subject.utf8.count <= 1024) }
        }
    }
}
