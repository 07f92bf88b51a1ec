import Foundation
import Testing
import RampartNetlink

@Suite(.serialized)
struct MissingNamespaceTests {
    @Test func missingPathIsNamespaceNotFound() {
        let path = "/run/netns/rnl-missing-\(UInt32.random(in: 0...UInt32.max))"
        let error = #expect(throws: NetlinkError.self) { try NetworkNamespace(path: path) }
        #expect(error == .namespaceNotFound(path: path))
        #expect(error?.isNamespaceGone == true)
        let viaProc = #expect(throws: NetlinkError.self) { try NetworkNamespace(path: "/proc/2147483646/ns/net") }
        #expect(viaProc == .namespaceNotFound(path: "/proc/2147483646/ns/net"))
        #expect(throws: NetlinkError.namespaceNotFound(path: path)) {
            try NetworkNamespace.withNamespace(path) { Issue.record("body must not run") }
        }
    }

    @Test func regularFileIsNotANamespace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rnl-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: NetlinkError.self) { try NetworkNamespace(path: file) }
        #expect(error == .notANamespace(path: file))
        #expect(error?.isNamespaceGone == true)
    }
}

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct NamespaceTests {
    @Test func socketLivesInTargetNamespaceAndThreadReturns() throws {
        try withNamespaces(1) { ns in
            try ns[0].run("ip link add rnl-only-here type veth peer name rnl-peer")
            let home = currentNamespaceInode()
            let socket = try ns[0].openSocket()
            #expect(currentNamespaceInode() == home)
            #expect(try socket.links().map(\.name).sorted() == ["lo", "rnl-only-here", "rnl-peer"])
        }
    }

    @Test func withNamespaceRestoresAfterAnError() throws {
        try withNamespaces(1) { ns in
            let home = currentNamespaceInode()
            var inside = ""
            #expect(throws: TestFailure.self) {
                try NetworkNamespace.withNamespace(ns[0].path) {
                    inside = currentNamespaceInode()
                    throw TestFailure("inside")
                }
            }
            #expect(inside != home && !inside.isEmpty)
            #expect(currentNamespaceInode() == home)
        }
    }

    @Test func sysctlWritesInsideNamespace() throws {
        try withNamespaces(1) { ns in
            try ns[0].run("ip link add va type veth peer name vb")
            let values = try NetworkNamespace.withNamespace(ns[0].path) { () throws -> [String] in
                try Sysctl.write(Sysctl.ipv4Interface("va", .proxyARP), "1")
                try Sysctl.write(Sysctl.ipv4Interface("va", .forwarding), "1")
                try Sysctl.write(Sysctl.ipv4Interface("va", .rpFilter), "2")
                try Sysctl.write(Sysctl.ipv6Interface("va", .forwarding), "1")
                return try [Sysctl.ipv4Interface("va", .proxyARP), Sysctl.ipv4Interface("va", .forwarding),
                            Sysctl.ipv4Interface("va", .rpFilter), Sysctl.ipv6Interface("va", .forwarding)].map(Sysctl.read)
            }
            #expect(values == ["1", "1", "2", "1"])
            let seen = try ns[0].run("cat /proc/sys/net/ipv4/conf/va/proxy_arp /proc/sys/net/ipv4/conf/va/rp_filter")
            #expect(seen.split(separator: "\n") == ["1", "2"])
            // The interface exists only in the test namespace, so outside the key is missing.
            #expect(throws: NetlinkError.self) { try Sysctl.read(Sysctl.ipv4Interface("va", .proxyARP)) }
            #expect(throws: NetlinkError.self) { try Sysctl.write("net/../../etc/x", "1") }
        }
    }

    @Test func linkErrorsNameOperationAndErrno() throws {
        try withNamespaces(1) { ns in
            let socket = try ns[0].openSocket()
            let missing = #expect(throws: NetlinkError.self) { try socket.link("nope0") }
            #expect(missing?.isNotFound == true)
            #expect(missing?.description.hasPrefix("getting link nope0: No such device (ENODEV)") == true)
            let deleteMissing = #expect(throws: NetlinkError.self) { try socket.deleteLink("nope0") }
            #expect(deleteMissing?.errno == ENODEV)

            try socket.addVeth(name: "va", peerName: "vb")
            let duplicate = #expect(throws: NetlinkError.self) { try socket.addVeth(name: "va", peerName: "vc") }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.description.hasPrefix("adding veth va peer vc: File exists (EEXIST)") == true)

            let tooLong = #expect(throws: NetlinkError.self) { try socket.addVeth(name: "a-name-longer-than-15", peerName: "x") }
            if case .invalidArgument = tooLong {} else { Issue.record("expected invalidArgument, got \(String(describing: tooLong))") }
            #expect(try socket.links().map(\.name).sorted() == ["lo", "va", "vb"])
        }
    }
}
