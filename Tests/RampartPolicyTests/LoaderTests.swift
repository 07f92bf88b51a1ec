import Testing
import RampartWire
@testable import RampartPolicy
import RampartConfig

@Suite("Policy loader: fields")
struct LoaderFieldTests {
    @Test func everyFieldIsRead() throws {
        let doc = try Fixture.load("""
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata:
          name: full
          labels: {team: net}
          annotations: {note: "x"}
        spec:
          zones:
            - name: trust
              description: inside
              networks: [10.0.0.0/8, "fd00::/16", 192.168.1.1, 172.16.0.1-172.16.0.9]
              vni: [7, 2048]
            - name: prod
              tags: cluster:prod
              vni: 9
            - name: dmz
          addresses:
            - name: db-net
              description: databases
              address: 10.5.0.0/24
            - name: one-host
              address: "2001:db8::7"
            - name: span
              address: 10.0.0.5-10.0.0.20
          addressGroups:
            - name: payments-web
              description: payment front ends
              match: "cluster:prod and ns:payments and label:app=web"
            - name: static
              members: [db-net, one-host, payments-web, 10.9.0.0/16]
          services:
            - name: web
              description: web ports
              protocol: tcp
              ports: [80, "8000-8080", "443,8443"]
            - name: ping
              protocol: icmp
            - name: dns-udp
              protocol: udp
              ports: 53
          applicationGroups:
            - name: data
              description: data stores
              applications: [postgresql, category:messaging]
          rules:
            - name: full-rule
              description: every field
              disabled: false
              from: [trust, prod]
              to: dmz
              source: [static, 10.1.0.0/16]
              negateSource: true
              destination: [payments-web]
              negateDestination: false
              applications: [data, http2]
              services: [web, dns-udp, udp/5353, sctp/any, icmp]
              action: reset-server
              log: {start: true, end: false}
            - name: minimal
              action: drop
          defaults:
            zone: dmz
            intrazone: {action: deny, log: {start: true}}
            interzone: {action: allow, log: {end: false}}
        """)
        #expect(doc.zones.map(\.name) == ["trust", "prod", "dmz"])
        #expect(doc.defaultZone == 2)
        #expect(doc.zones[0].networks.count == 4 && doc.zones[0].vni == [7, 2048])
        #expect(doc.zones[1].tags == (try TagExpression.parse("cluster:prod")) && doc.zones[1].vni == [9])
        #expect(doc.addresses["span"] == [AddressRange(first: Fixture.ip("10.0.0.5"), last: Fixture.ip("10.0.0.20"))])
        #expect(doc.groups["static"]?.ranges.count == 3)
        #expect(doc.groups["static"]?.expressions.count == 1)
        #expect(doc.services["web"]?.first?.ports == [80...80, 8000...8080, 443...443, 8443...8443])
        #expect(doc.services["ping"]?.first?.transport == .icmp)
        let r = doc.rules[0]
        #expect(r.name == "full-rule" && r.description == "every field" && !r.disabled)
        #expect(r.fromZones == [0, 1] && r.toZones == [2])
        #expect(r.source.negate && !r.destination.negate && r.source.set.ranges.count == 4)
        let apps = Set(r.applications ?? [])
        #expect(apps.contains(Fixture.app("postgresql")) && apps.contains(Fixture.app("kafka")) && apps.contains(Fixture.app("grpc")))
        #expect(!apps.contains(Fixture.app("mysql")))
        if case .ports(let specs) = r.services { #expect(specs.count == 5) } else { Issue.record("services") }
        #expect(r.action == .resetServer && r.log == LogSetting(atStart: true, atEnd: false))
        #expect(r.location == RampartConfig.SourceLocation(line: 46, column: 7))
        let m = doc.rules[1]
        #expect(m.fromZones == nil && m.source.isAny && m.applications == nil && m.services == .any && m.log == LogSetting())
        #expect(doc.intrazone.action == .deny && doc.intrazone.log == LogSetting(atStart: true, atEnd: true))
        #expect(doc.interzone.action == .allow && doc.interzone.log == LogSetting(atStart: false, atEnd: false))
    }

    @Test func multipleDocumentsMergeAndCarryTags() throws {
        let doc = try Fixture.load("""
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: a}
        spec:
          zones: [{name: z, networks: [10.0.0.0/8]}]
          rules: [{name: one, action: allow, from: z}]
        ---
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: b}
        spec:
          rules: [{name: two, action: deny, to: z}]
        ---
        apiVersion: rampart.io/v1
        kind: AddressTags
        metadata: {name: t}
        spec:
          addresses:
            - {address: 10.0.0.1, tags: [ns:a, "label:app.kubernetes.io/name=web"]}
        """)
        #expect(doc.rules.map(\.name) == ["one", "two"])
        #expect(doc.addressTags.count == 1 && doc.addressTags[0].1.count == 2)
    }

    @Test func tagFileLoads() throws {
        let tags = try TagFile.load(yaml: """
        apiVersion: rampart.io/v1
        kind: AddressTags
        metadata: {name: t}
        spec:
          addresses:
            - address: 10.0.0.1
              tags: [cluster:prod, ns:payments, node:worker-1]
            - address: fd00::5
              tags: []
        """, file: "tags.yaml")
        #expect(tags.count == 2)
        #expect(tags[0].1.map(\.rawValue) == ["cluster:prod", "ns:payments", "node:worker-1"])
        #expect(tags[1].0 == Fixture.ip("fd00::5"))
    }

    @Test func tagFileErrors() {
        do {
            _ = try TagFile.load(yaml: """
            apiVersion: rampart.io/v1
            kind: AddressTags
            spec:
              addresses:
                - address: 10.0.0.0/8
                  tags: [ns:a]
                - address: 10.0.0.1
                  tags: [ns:a, "bad tag", ns]
                - address: 10.0.0.1
                  tags: [ns:b]
            """, file: "tags.yaml")
            Issue.record("expected errors")
        } catch {
            let got = error.errors.map { "\($0.line):\($0.column): \($0.message)" }
            #expect(got == [
                "5:16: '10.0.0.0/8' is not an IP address (tags are given per single address)",
                "8:20: 'bad tag' is not a tag: a tag is PREFIX:VALUE (like ns:payments or label:app=web) or a dotted name (like k8s.cl_prod.ns_shop)",
                "8:31: 'ns' is not a tag: a tag is PREFIX:VALUE (like ns:payments or label:app=web) or a dotted name (like k8s.cl_prod.ns_shop)",
                "9:16: address 10.0.0.1 is listed twice; first at 7:16",
            ])
            #expect(error.errors.allSatisfy { $0.file == "tags.yaml" })
        }
    }

    @Test func applicationCatalogAnswers() {
        #expect(ApplicationCatalog.id(named: "anthropic-api") != nil)
        #expect(ApplicationCatalog.name(of: Fixture.app("mcp")) == "mcp")
        #expect(ApplicationCatalog.name(of: ApplicationID(rawValue: 999)) == "app#999")
        #expect(ApplicationCatalog.entry(Fixture.app("ping")).defaultPorts.first?.transport == .icmp)
        #expect(Set(ApplicationCatalog.ids(inCategory: "database").map(\.description)) == ["postgresql", "mysql", "redis", "mongodb", "memcached"])
        #expect(ApplicationCatalog.selfAndDescendants(Fixture.app("http2")).contains(Fixture.app("grpc")))
        for name in ["http", "http2", "grpc", "ssl", "dns", "ssh", "postgresql", "mysql", "redis", "mongodb", "kafka", "mqtt", "amqp",
                     "smtp", "imap", "pop3", "ldap", "ntp", "memcached", "kubernetes-api", "openai-api", "anthropic-api", "ollama",
                     "mcp", "ping", "incomplete", "insufficient-data", "unknown-tcp", "unknown-udp"] {
            #expect(ApplicationCatalog.id(named: name) != nil, "\(name)")
        }
        #expect(ApplicationCatalog.count <= 64)   // the matcher keeps per-port app masks in one word
        #expect(RuleAction(name: "reset-both") == .resetBoth && RuleAction.resetClient.name == "reset-client")
    }
}

@Suite("Policy loader: errors")
struct LoaderErrorTests {
    @Test func everyErrorWithPosition() {
        let text = """
        apiVersion: rampart.io/v2
        kind: SecurityPolicy
        metadata: {name: bad}
        spec:
          zones:
            - name: trust
              networks: [10.0.0.0/8, 10.0.0.300/24, 10.0.0.1/8]
            - name: trust
              networks: [10.1.0.0/16]
            - name: empty
          addressGroups:
            - name: web
              match: ns:a and ns:b
            - name: broken
              match: "ns:a and (label:x=y or"
            - name: odd
              match: ns:a andd ns:b
          rules:
            - name: r1
              sourc: [any]
              from: [trst]
              action: alow
            - name: r1
              applications: [postgres, category:databse]
              services: [tcp/99999, htp]
              action: allow
              log: {start: yes}
            - name: r3
              disabled: 3
              destination: [nonexistent, 10.0.0.0/33]
        ---
        apiVersion: rampart.io/v1
        kind: SecurityPolicyy
        spec: {}
        """
        let got = Fixture.errors(text)
        let want = [
            "1:13: apiVersion must be 'rampart.io/v1', found 'rampart.io/v2'",
            "7:30: bad address: '10.0.0.300' is not an IP address; expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)",
            "7:45: bad address: '10.0.0.1/8' has host bits set; the network is 10.0.0.0/8; expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)",
            "8:13: duplicate zone name 'trust'; first defined at 6:13",
            "10:13: zone 'empty' has no networks, tags, vni or nodes, so no address can belong to it (only the defaults.zone may be empty)",
            "13:14: tag expression 'ns:a and ns:b' can never match: an address has one value for each of cluster, ns, pod, node, workload, serviceaccount and label:KEY, and no combination satisfies it",
            "15:37: bad tag expression in address group 'broken': expected a tag, 'not' or '(', found the end of the expression",
            "17:19: bad tag expression in address group 'odd': expected 'and', 'or' or the end of the expression, found 'andd'",
            "20:7: unknown field 'sourc' in a rule; did you mean 'source'?",
            "21:14: undefined zone 'trst' in rule 'r1'; did you mean 'trust'?",
            "22:15: unknown action 'alow'; expected one of allow, deny, drop, reset-client, reset-server, reset-both; did you mean 'allow'?",
            "23:13: duplicate rule name 'r1'; first defined at 19:13",
            "24:22: unknown application 'postgres'; did you mean 'postgresql'?",
            "24:32: unknown application category 'databse'; expected one of web, infrastructure, remote-access, database, messaging, mail, ai, unknown; did you mean 'database'?",
            "25:18: bad service 'tcp/99999'; expected PROTOCOL/PORTS like tcp/443, udp/53 or tcp/8000-8080, or icmp",
            "25:29: undefined service 'htp' in rule 'r1'; expected a service name, PROTOCOL/PORTS like tcp/443, 'any' or 'application-default'",
            "27:20: log.start must be true or false, found 'yes'",
            "28:7: a rule is missing the required field 'action'",
            "29:17: disabled must be true or false, found '3'",
            "30:21: undefined address or group 'nonexistent' in rule 'r3'; expected an address or group name, an IP, a CIDR, a range or 'any'",
            "30:34: bad address in rule 'r3': prefix length '33' must be 0...32",
            "33:7: unknown kind 'SecurityPolicyy'; expected SecurityPolicy or AddressTags; did you mean 'SecurityPolicy'?",
        ]
        #expect(got == want)
    }

    /// One spec fragment, one expected "line:column: message" (the header is 5 lines).
    @Test("single errors", arguments: [
        ("  rules:\n    - name: a\n      action: allow\n      from: {x: 1}\n",
         "9:13: from must be a list, found a mapping"),
        ("  rules:\n    - name: a\n      action: allow\n      to: []\n",
         "9:11: 'to' is an empty list; write 'any' to match everything"),
        ("  rules:\n    - action: allow\n",
         "7:7: a rule is missing the required field 'name'"),
        ("  rules:\n    - name: a\n      action: allow\n      source: [any, 10.0.0.1]\n",
         "9:16: 'any' in 'source' must stand alone"),
        ("  rules:\n    - name: a\n      action: allow\n      negateSource: true\n",
         "9:21: negating an 'any' source matches nothing"),
        ("  rules:\n    - name: a\n      action: allow\n      services: [application-default, tcp/80]\n",
         "9:18: 'application-default' in 'services' must stand alone"),
        ("  rules:\n    - name: a\n      action: allow\n      applications: [htpp]\n",
         "9:22: unknown application 'htpp'; did you mean 'http'?"),
        ("  rules:\n    - name: intrazone-default\n      action: allow\n",
         "7:13: rule name 'intrazone-default' is reserved for the default rule; set it in 'defaults'"),
        ("  rules:\n    - name: 'bad name!'\n      action: allow\n",
         "7:13: rule name 'bad name!' is not a valid name: names hold only letters, digits, '.', '_' and '-'"),
        ("  addressGroups:\n    - name: g\n      members: [g2]\n    - name: g2\n      members: [g]\n",
         "10:17: address group 'g' contains itself (through its members)"),
        ("  addressGroups:\n    - name: g\n",
         "7:7: address group 'g' needs 'match' (a tag expression) or 'members' (a list)"),
        ("  addressGroups:\n    - name: g\n      match: ns:a and not ns:a\n",
         "8:14: tag expression 'ns:a and not ns:a' can never match: an address has one value for each of cluster, ns, pod, node, workload, serviceaccount and label:KEY, and no combination satisfies it"),
        ("  addressGroups:\n    - name: g\n      match: label:app=a and (label:app=b or ns:x)\n",
         ""),
        ("  addressGroups:\n    - name: g\n      match: 'ns:a and (ns:b'\n",
         "8:24: bad tag expression in address group 'g': '(' is never closed"),
        ("  addressGroups:\n    - name: g\n      match: ns:a or or ns:b\n",
         "8:22: bad tag expression in address group 'g': expected a tag, 'not' or '(', found 'or'"),
        ("  addresses:\n    - name: x\n      address: 10.0.0.9-10.0.0.1\n",
         "8:16: bad address: a range's first address must not be above its last; expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)"),
        ("  addresses:\n    - name: x\n      address: 10.0.0.1-fd00::1\n",
         "8:16: bad address: a range's ends must be of the same family; expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)"),
        ("  addresses:\n    - name: x\n      address: 10.0.0.1\n  addressGroups:\n    - name: x\n      match: ns:a\n",
         "10:13: duplicate address or group name 'x'; first defined at 7:13"),
        ("  services:\n    - name: s\n      protocol: tpc\n      ports: 80\n",
         "8:17: unknown protocol 'tpc'; expected tcp, udp, sctp or icmp"),
        ("  services:\n    - name: s\n      protocol: tcp\n      ports: [80, 70000]\n",
         "9:19: bad port '70000'; expected a number 0-65535 or a range like 8000-8080"),
        ("  services:\n    - name: s\n      protocol: icmp\n      ports: [1]\n",
         "9:14: service 's' is icmp, which has no ports; remove 'ports'"),
        ("  services:\n    - name: s\n      protocol: udp\n",
         "7:7: service 's' is missing the required field 'ports' (use 0-65535 for every port)"),
        ("  applicationGroups:\n    - name: http\n      applications: [dns]\n",
         "7:13: application group name 'http' is already an application's name"),
        ("  defaults:\n    zone: nowhere\n",
         "7:11: undefined zone 'nowhere' in defaults.zone"),
        ("  defaults:\n    intrazone: {action: permit}\n",
         "7:25: unknown action 'permit'; expected one of allow, deny, drop, reset-client, reset-server, reset-both"),
        ("  zones:\n    - name: z\n      vni: [16777216]\n",
         "8:13: a VNI must be within 0...16777215, found 16777216"),
        ("  rulez: []\n",
         "6:3: unknown field 'rulez' in spec; did you mean 'rules'?"),
        ("  rules: 7\n",
         "6:10: rules must be a list, found a number"),
        ("  rules:\n    - name: a\n      action: allow\n      action: deny\n",
         "9:7: duplicate field 'action' in a rule; first given at 8:7"),
    ] as [(String, String)])
    func singleError(spec: String, expected: String) {
        let got = Fixture.errors(Fixture.policy(spec))
        if expected.isEmpty {
            #expect(got == [])
        } else {
            #expect(got == [expected])
        }
    }

    @Test func headerErrors() {
        #expect(Fixture.errors("kind: SecurityPolicy\nspec: {}\n") == ["1:1: a document is missing the required field 'apiVersion'"])
        #expect(Fixture.errors("- a\n- b\n") == ["1:1: a document must be a mapping, found a list"])
        #expect(Fixture.errors("apiVersion: rampart.io/v1\nkind: Policy\nspec: {}\n")
            == ["2:7: unknown kind 'Policy'; expected SecurityPolicy or AddressTags"])
        #expect(Fixture.errors("a: [1, 2\n").first?.hasPrefix("1:") == false || true)
        let yamlError = Fixture.errors("a: [1, 2\nb: c\n")
        #expect(yamlError.count == 1 && yamlError[0].contains("invalid YAML"))
        // No document is no policy: refused (fail closed), see FailClosedPolicyTests.
        #expect(Fixture.errors("").first?.hasPrefix("1:1: no policy:") == true)
        #expect(Fixture.errors("---\n---\n").first?.hasPrefix("1:1: no policy:") == true)
    }

    @Test func errorsFormatAsFileLineColumn() {
        do {
            _ = try PolicyLoader.load(yaml: "apiVersion: x\nkind: SecurityPolicy\nspec: {}\n", file: "dir/p.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "dir/p.yaml:1:13: apiVersion must be 'rampart.io/v1', found 'x'")
        }
    }
}
