import Foundation
import RampartWire
@testable import RampartPolicy

/// Test helpers shared by the suites.
enum Fixture {
    static func ip(_ s: String) -> IPAddress {
        guard let a = IPAddress(s) else { fatalError("bad test address \(s)") }
        return a
    }

    static func tag(_ s: String) -> RampartPolicy.Tag {
        guard let t = RampartPolicy.Tag(validating: s) else { fatalError("bad test tag \(s)") }
        return t
    }

    static func app(_ s: String) -> ApplicationID {
        guard let a = ApplicationCatalog.id(named: s) else { fatalError("bad test app \(s)") }
        return a
    }

    static func samplesDirectory() -> URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples")
    }

    /// Wraps a spec body (already indented by two spaces) in a SecurityPolicy header.
    static func policy(_ spec: String) -> String {
        "apiVersion: rampart.io/v1\nkind: SecurityPolicy\nmetadata:\n  name: t\nspec:\n" + spec
    }

    /// The errors of loading `yaml`, as "line:column: message" strings.
    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try PolicyLoader.load(yaml: yaml, file: "p.yaml")
            return []
        } catch {
            return error.errors.map { "\($0.line):\($0.column): \($0.message)" }
        }
    }

    static func load(_ yaml: String) throws -> PolicyDocument {
        try PolicyLoader.load(yaml: yaml, file: "p.yaml")
    }
}

