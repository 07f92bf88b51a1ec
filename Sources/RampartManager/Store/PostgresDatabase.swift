import CPostgres
import RampartPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// A thin, owned connection to a PostgreSQL server through libpq. Not shared between
/// threads: each user (the log store's writer, its readers) opens its own. Parameters are
/// libpq's keywords (`host`, `port`, `dbname`, `user`, `sslmode`...; a `dbname` that is a
/// `postgres://` URI is expanded); the password is read from a file when connecting, never
/// kept in the configuration.
///
/// ```swift
/// let db = try PostgresDatabase(parameters: ["dbname": "postgres://rampart@db:5432/logs"], passwordFile: "/etc/rampart/pg-password")
/// let rows = try db.query("SELECT count(*) FROM logs")
/// ```
final class PostgresDatabase {
    private var connection: OpaquePointer?
    /// The server as log lines and errors name it (never the password).
    let name: String

    init(parameters: [String: String], passwordFile: String?) throws(StoreError) {
        var parameters = parameters
        if let passwordFile {
            let text: String
            do throws(FileReadError) { text = try readTextFile(passwordFile, limit: 4096) } catch {
                throw StoreError("cannot read the PostgreSQL password file \(passwordFile): \(error); check it exists and is readable by the manager")
            }
            parameters["password"] = String(text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first ?? "")
        }
        parameters["application_name"] = parameters["application_name"] ?? "rampart-manager"
        parameters["connect_timeout"] = parameters["connect_timeout"] ?? "5"
        name = PostgresDatabase.describe(parameters)
        let keys = Array(parameters.keys)
        // C strings live for the call only: libpq copies what it keeps.
        let keywords = keys.map { strdup($0) }, values = keys.map { strdup(parameters[$0]!) }
        defer { for pointer in keywords + values { free(pointer) } }
        connection = (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { k in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { v in PQconnectdbParams(k.baseAddress, v.baseAddress, 1) }
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = lastError
            PQfinish(connection)
            connection = nil
            throw StoreError("cannot connect to the PostgreSQL log store \(name): \(message)")
        }
        // Notices (e.g. "relation already exists, skipping") are not errors: not printed.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    var lastError: String {
        guard let connection, let text = PQerrorMessage(connection) else { return "out of memory" }
        return String(cString: text).split(separator: "\n").joined(separator: "; ")
    }

    /// True when the connection is up; after a failure, tries once to connect again.
    @discardableResult
    func reconnectIfBroken() -> Bool {
        if PQstatus(connection) == CONNECTION_OK { return true }
        PQreset(connection)
        return PQstatus(connection) == CONNECTION_OK
    }

    /// Runs statements that return no rows.
    func execute(_ sql: String) throws(StoreError) {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result, sql)
    }

    /// Runs one statement with text parameters (`$1`...); the rows as text, nil for NULL.
    func query(_ sql: String, _ parameters: [String?] = []) throws(StoreError) -> [[String?]] {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in copies { free(pointer) } }
        let result = copies.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, sql)
        var rows: [[String?]] = []
        let count = PQntuples(result), columns = PQnfields(result)
        rows.reserveCapacity(Int(count))
        for row in 0 ..< count {
            rows.append((0 ..< columns).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        return rows
    }

    /// Rows the last statement changed, from its command tag.
    func change(_ sql: String, _ parameters: [String?] = []) throws(StoreError) -> Int {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { for pointer in copies { free(pointer) } }
        let result = copies.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, sql)
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// `COPY ... FROM STDIN` (text format): `rows` are already escaped, one line each.
    func copy(_ sql: String, rows: [UInt8]) throws(StoreError) {
        let start = PQexec(connection, sql)
        let status = PQresultStatus(start)
        PQclear(start)
        guard status == PGRES_COPY_IN else { throw StoreError("\(name): \(lastError) (in: \(sql.prefix(60)))") }
        var sent = 0
        var failed = false
        rows.withUnsafeBytes { bytes in
            // libpq buffers; chunks of 1 MiB keep its buffer small.
            while sent < bytes.count && !failed {
                let size = min(1 << 20, bytes.count - sent)
                let pointer = bytes.baseAddress!.advanced(by: sent).assumingMemoryBound(to: CChar.self)
                if PQputCopyData(connection, pointer, Int32(size)) != 1 { failed = true }
                sent += size
            }
        }
        let ended = PQputCopyEnd(connection, failed ? "the manager could not send the rows" : nil)
        var error: String?
        if failed || ended != 1 { error = lastError }
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) != PGRES_COMMAND_OK && error == nil { error = resultError(result) }
            PQclear(result)
        }
        if let error { throw StoreError("\(name): \(error) (in: \(sql.prefix(60)))") }
    }

    func transaction(_ body: () throws(StoreError) -> Void) throws(StoreError) {
        try execute("BEGIN")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws(StoreError) {
        let status = PQresultStatus(result)
        guard result != nil, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw StoreError("\(name): \(result == nil ? lastError : resultError(result)) (in: \(sql.prefix(60)))")
        }
    }

    private func resultError(_ result: OpaquePointer?) -> String {
        guard let text = PQresultErrorMessage(result), text.pointee != 0 else { return lastError }
        return String(cString: text).split(separator: "\n").joined(separator: "; ")
    }

    /// `user@host:port/dbname` (a URI without its password).
    static func describe(_ parameters: [String: String]) -> String {
        if let uri = parameters["dbname"], uri.hasPrefix("postgres://") || uri.hasPrefix("postgresql://") { return uri }
        let host = parameters["host"] ?? "localhost", port = parameters["port"] ?? "5432"
        return "\(parameters["user"].map { $0 + "@" } ?? "")\(host):\(port)/\(parameters["dbname"] ?? "")"
    }
}
