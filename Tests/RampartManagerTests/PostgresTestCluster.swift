import Foundation
import RampartTestSupport
@testable import RampartManager

/// A private PostgreSQL cluster from Debian's `postgresql` package for one test: initdb and
/// pg_ctl in a temporary folder, run as an unprivileged user (`postgres`, else `nobody`,
/// when the tests run as root: the server refuses root), listening only on a Unix socket in
/// that folder (no TCP, no system service). The `rampart` role signs in with a password
/// (SCRAM), which the store reads from a file like the manager does.
///
/// ```swift
/// let cluster = try PostgresTestCluster.start()
/// defer { cluster.remove() }
/// let store = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
/// ```
final class PostgresTestCluster {
    let folder: URL
    let bin: String
    let user: String?
    static let password = "s3cret-\(getpid())"

    /// libpq's keywords for the cluster's `rampart` database.
    var parameters: [String: String] { ["host": folder.path, "port": "5432", "dbname": "rampart", "user": "rampart"] }
    var passwordFile: String { folder.appendingPathComponent("client-password").path }

    /// Why the tests cannot run here, or nil.
    static var unavailable: String? {
        binFolder() == nil ? "PostgreSQL's server is not installed (scripts/setup.sh installs Debian's postgresql)" : nil
    }

    static func binFolder() -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    private init(folder: URL, bin: String, user: String?) {
        self.folder = folder
        self.bin = bin
        self.user = user
    }

    static func start() throws -> PostgresTestCluster {
        guard let bin = binFolder() else { throw KubeTestServerError(unavailable ?? "") }
        let folder = URL(fileURLWithPath: "/tmp/rampart-pgtest-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let user: String? = getuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        let cluster = PostgresTestCluster(folder: folder, bin: bin, user: user)
        try Self.password.write(to: folder.appendingPathComponent("server-password"), atomically: true, encoding: .utf8)
        try (Self.password + "\n").write(to: URL(fileURLWithPath: cluster.passwordFile), atomically: true, encoding: .utf8)
        if let user { try cluster.shell("chown -R \(user) \(folder.path)", asServer: false) }
        try cluster.shell("\(bin)/initdb -D \(folder.path)/data -U rampart --auth=scram-sha-256 --pwfile=\(folder.path)/server-password -E UTF8 --no-locale >/dev/null")
        try cluster.startServer()
        try cluster.shell("PGPASSWORD=\(Self.password) \(bin)/psql -h \(folder.path) -p 5432 -U rampart -d postgres -qc 'CREATE DATABASE rampart'", asServer: false)
        return cluster
    }

    func startServer() throws {
        try shell("\(bin)/pg_ctl -D \(folder.path)/data -l \(folder.path)/server.log -w -t 30 "
            + "-o \"-k \(folder.path) -p 5432 -c listen_addresses='' -c fsync=off -c shared_buffers=256MB -c max_wal_size=4GB\" start >/dev/null")
    }

    func stopServer() throws {
        try shell("\(bin)/pg_ctl -D \(folder.path)/data -m fast -w -t 30 stop >/dev/null")
    }

    func remove() {
        try? shell("\(bin)/pg_ctl -D \(folder.path)/data -m immediate -w -t 30 stop >/dev/null 2>&1 || true")
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `command` under bash (as the server's user unless `asServer` is false); throws with its output when it fails.
    private func shell(_ command: String, asServer: Bool = true) throws {
        let quoted = "'" + command.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let line = asServer && user != nil ? "set -euo pipefail; runuser -u \(user!) -- bash -c \(quoted)" : "set -euo pipefail; \(command)"
        let (status, output) = try TestShell.run(line, in: folder)
        if status != 0 {
            let log = (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw KubeTestServerError("\(command.prefix(120)) failed (\(status)): \(output.suffix(600)) \(log.suffix(600))")
        }
    }
}
