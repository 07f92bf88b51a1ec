import CSQLite
import FoundationEssentials
import RampartJSON

/// What to look for in the log store (`GET /logs`, `rampart logs`). A criterion on an end
/// (`namespace`, `pod`, `workload`, `address`, `cluster`, `tag`, `port`) matches either end.
public struct LogQuery: Sendable, Equatable {
    /// Milliseconds since 1970, inclusive.
    public var from: Int64?
    public var to: Int64?
    public var cluster: String?
    public var namespace: String?
    public var pod: String?
    public var workload: String?
    public var tag: String?
    public var app: String?
    public var rule: String?
    public var action: String?
    public var address: String?
    public var port: Int?
    public var eventType: String?
    public var firewall: String?
    public var limit = 100

    public init() {}
}

/// One stored record as a query returns it.
public struct StoredLog: Sendable {
    public var id: Int64
    public var record: LogRecord
}

/// The log store: EVE records in SQLite (WAL), written in batches of one transaction each,
/// searched through indexes on time and, for both ends, pod, namespace, workload and
/// address, and on application, action and rule (each with time, so "this pod in the last
/// hour" reads only that pod's rows). Names are kept once in a `terms` table and the records
/// refer to them by number, which keeps rows and indexes small.
///
/// ```swift
/// let store = try LogStore(path: "/var/lib/rampart/logs.sqlite")
/// try store.insert(records)
/// var query = LogQuery(); query.pod = "shop/web-1"; query.from = now - 3_600_000
/// let rows = try store.search(query)
/// ```
public final class LogStore {
    private let database: SQLiteDatabase
    private let insertRecord: Statement
    private let insertTerm: Statement
    private let findTerm: Statement
    private let insertTagSet: Statement
    private let findTagSet: Statement
    private var terms: [String: Int64] = [:]
    /// Tag sets, kept once each: a pod's tags are the same in every record it is in.
    private var tagSets: [[String]: Int64] = [:]
    private var byAddress: [String: (tags: [String], id: Int64)] = [:]
    public let path: String

    /// Columns interned in `terms`, in table order after `time`.
    static let columns = """
        id INTEGER PRIMARY KEY, time INTEGER NOT NULL, firewall INTEGER, event INTEGER, proto INTEGER, app INTEGER,
        action INTEGER, rule INTEGER, src_ip INTEGER, src_port INTEGER, src_cluster INTEGER, src_ns INTEGER, src_pod INTEGER,
        src_workload INTEGER, dest_ip INTEGER, dest_port INTEGER, dest_cluster INTEGER, dest_ns INTEGER, dest_pod INTEGER,
        dest_workload INTEGER, src_tags INTEGER, dest_tags INTEGER, record TEXT NOT NULL
        """
    /// Each with time. Not application, action or rule: a handful of values each, shared by
    /// many records, so the time index bounded by `since` finds them as fast, and their three
    /// indexes cost a fifth of ingest (the index seeks are most of SQLite's time).
    static let indexed = ["src_pod", "dest_pod", "src_ns", "dest_ns", "src_workload", "dest_workload", "src_ip", "dest_ip"]
    /// Indexes of earlier versions, dropped when a store is opened.
    static let dropped = ["app", "action", "rule"]

    public init(path: String) throws(StoreError) {
        self.path = path
        database = try SQLiteDatabase(path: path)
        // A bigger page cache keeps the indexes' hot pages in memory during batched inserts.
        try database.execute("PRAGMA cache_size=-524288; PRAGMA mmap_size=4294967296; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=16384")
        var schema = """
            CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS tagsets (id INTEGER PRIMARY KEY, tags TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS logs (\(LogStore.columns));
            CREATE INDEX IF NOT EXISTS logs_time ON logs (time);
            """
        for column in LogStore.indexed { schema += "CREATE INDEX IF NOT EXISTS logs_\(column) ON logs (\(column), time);\n" }
        for column in LogStore.dropped { schema += "DROP INDEX IF EXISTS logs_\(column);\n" }
        try database.execute(schema)
        insertRecord = try database.prepare("""
            INSERT INTO logs (time, firewall, event, proto, app, action, rule, src_ip, src_port, src_cluster, src_ns, src_pod,
            src_workload, dest_ip, dest_port, dest_cluster, dest_ns, dest_pod, dest_workload, src_tags, dest_tags, record)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertTerm = try database.prepare("INSERT INTO terms (text) VALUES (?)")
        findTerm = try database.prepare("SELECT id FROM terms WHERE text = ?")
        insertTagSet = try database.prepare("INSERT INTO tagsets (tags) VALUES (?)")
        findTagSet = try database.prepare("SELECT id FROM tagsets WHERE tags = ?")
    }

    /// Writes `records` in one transaction.
    public func insert(_ records: [LogRecord]) throws(StoreError) {
        guard !records.isEmpty else { return }
        try database.transaction { () throws(StoreError) in
            for record in records {
                let s = insertRecord
                s.reset()
                s.bind(1, record.time)
                try bindTerm(2, record.firewall)
                try bindTerm(3, record.eventType)
                try bindTerm(4, record.proto)
                try bindTerm(5, record.app)
                try bindTerm(6, record.action)
                try bindTerm(7, record.rule)
                try bindEnd(8, record.source)
                try bindEnd(14, record.destination)
                s.bind(20, try tagSet(record.source.tags, of: record.source.ip))
                s.bind(21, try tagSet(record.destination.tags, of: record.destination.ip))
                // The record (a kilobyte) is bound in place, not copied: it lives until the step.
                var json = record.json
                let stepped = json.withUTF8 { bytes -> Result<Bool, StoreError> in
                    bytes.withMemoryRebound(to: CChar.self) { s.bind(22, utf8: $0.baseAddress!, count: $0.count) }
                    do throws(StoreError) { return .success(try s.step()) } catch { return .failure(error) }
                }
                _ = try stepped.get()
            }
        }
    }

    private func bindEnd(_ first: Int32, _ end: LogRecord.End) throws(StoreError) {
        try bindTerm(first, end.ip)
        if let port = end.port { insertRecord.bind(first + 1, Int64(port)) } else { insertRecord.bindNull(first + 1) }
        try bindTerm(first + 2, end.cluster)
        try bindTerm(first + 3, end.namespace)
        try bindTerm(first + 4, end.pod)
        try bindTerm(first + 5, end.workload)
    }

    private func bindTerm(_ index: Int32, _ text: String?) throws(StoreError) {
        guard let text else { return insertRecord.bindNull(index) }
        insertRecord.bind(index, try term(text, create: true)!)
    }

    /// The number of `text` in `terms`; nil when it is not there and `create` is false.
    func term(_ text: String, create: Bool) throws(StoreError) -> Int64? {
        if let id = terms[text] { return id }
        findTerm.reset()
        findTerm.bind(1, text)
        var id: Int64?
        if try findTerm.step() { id = findTerm.int(0) }
        findTerm.reset()
        if id == nil && create {
            insertTerm.reset()
            insertTerm.bind(1, text)
            _ = try insertTerm.step()
            id = database.lastInsertRowID
        }
        // Bounded: names of pods long gone fall out with the rest, and are read again if asked.
        if terms.count >= 1 << 20 { terms.removeAll(keepingCapacity: true) }
        if let id { terms[text] = id }
        return id
    }

    private func tagSet(_ tags: [String], of address: String?) throws(StoreError) -> Int64 {
        // Most records name addresses seen just before, with the very same tag array (the
        // manager's map hands out its stored arrays): compared by identity first, no hashing.
        if let address, let known = byAddress[address], known.tags == tags { return known.id }
        let id = try tagSet(tags)
        if let address {
            if byAddress.count >= 1 << 18 { byAddress.removeAll(keepingCapacity: true) }
            byAddress[address] = (tags, id)
        }
        return id
    }

    private func tagSet(_ tags: [String]) throws(StoreError) -> Int64 {
        if let id = tagSets[tags] { return id }
        let text = LogStore.encode(tags)
        findTagSet.reset()
        findTagSet.bind(1, text)
        var id: Int64
        if try findTagSet.step() {
            id = findTagSet.int(0)
        } else {
            insertTagSet.reset()
            insertTagSet.bind(1, text)
            _ = try insertTagSet.step()
            id = database.lastInsertRowID
        }
        findTagSet.reset()
        if tagSets.count >= 1 << 18 { tagSets.removeAll(keepingCapacity: true) }
        tagSets[tags] = id
        return id
    }

    private func tagSetTags(_ id: Int64, cache: inout [Int64: [String]]) throws(StoreError) -> [String] {
        if let tags = cache[id] { return tags }
        let statement = try database.prepare("SELECT tags FROM tagsets WHERE id = ?")
        statement.bind(1, id)
        guard try statement.step() else { return [] }
        let tags = LogStore.decode(statement.text(0))
        cache[id] = tags
        return tags
    }

    private func termText(_ id: Int64, cache: inout [Int64: String]) throws(StoreError) -> String? {
        if let text = cache[id] { return text }
        let statement = try database.prepare("SELECT text FROM terms WHERE id = ?")
        statement.bind(1, id)
        guard try statement.step() else { return nil }
        cache[id] = statement.text(0)
        return statement.text(0)
    }

    /// The newest records matching `query` first, at most `query.limit`.
    public func search(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        var conditions: [String] = []
        var values: [PolicyStore.Value] = []
        // A criterion on a name the store never saw matches nothing.
        func either(_ column: String, _ text: String?) throws(StoreError) -> Bool {
            guard let text else { return true }
            guard let id = try term(text, create: false) else { return false }
            conditions.append("(src_\(column) = ? OR dest_\(column) = ?)")
            values += [.integer(id), .integer(id)]
            return true
        }
        func one(_ column: String, _ text: String?) throws(StoreError) -> Bool {
            guard let text else { return true }
            guard let id = try term(text, create: false) else { return false }
            conditions.append("\(column) = ?")
            values.append(.integer(id))
            return true
        }
        guard try either("pod", query.pod), try either("ns", query.namespace), try either("workload", query.workload),
              try either("ip", query.address)
        else { return [] }
        // Only a criterion with an index of its own is worth sorting after.
        let selective = !conditions.isEmpty
        guard try either("cluster", query.cluster), try one("app", query.app),
              try one("action", query.action), try one("rule", query.rule), try one("event", query.eventType),
              try one("firewall", query.firewall)
        else { return [] }
        if let port = query.port {
            conditions.append("(dest_port = ? OR src_port = ?)")
            values += [.integer(Int64(port)), .integer(Int64(port))]
        }
        if let from = query.from { conditions.append("time >= ?"); values.append(.integer(from)) }
        if let to = query.to { conditions.append("time <= ?"); values.append(.integer(to)) }
        if let tag = query.tag {
            // The tag as it is written inside the stored JSON array, quotes included, with
            // LIKE's own wildcards escaped.
            let quoted = LogStore.encode([tag]).dropFirst().dropLast()
            let pattern = "%" + quoted.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
            let sets = "(SELECT id FROM tagsets WHERE tags LIKE ? ESCAPE '\\')"
            conditions.append("(src_tags IN \(sets) OR dest_tags IN \(sets))")
            values += [.text(pattern), .text(pattern)]
        }
        // With a name to look up, its index (name, time) finds the rows and they are sorted
        // after: `+time` keeps the planner from walking the whole time index backwards instead.
        let order = selective ? "+time DESC, id DESC" : "time DESC, id DESC"
        let sql = "SELECT id, time, firewall, event, proto, app, action, rule, src_ip, src_port, src_cluster, src_ns, src_pod, src_workload, "
            + "dest_ip, dest_port, dest_cluster, dest_ns, dest_pod, dest_workload, src_tags, dest_tags, record FROM logs"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY \(order) LIMIT ?"
        let statement = try database.prepare(sql)
        for (index, value) in values.enumerated() {
            switch value {
            case .integer(let number): statement.bind(Int32(index + 1), number)
            case .text(let text): statement.bind(Int32(index + 1), text)
            }
        }
        statement.bind(Int32(values.count + 1), Int64(max(1, min(query.limit, 100_000))))
        var cache: [Int64: String] = [:]
        var setCache: [Int64: [String]] = [:]
        var rows: [StoredLog] = []
        while try statement.step() {
            func name(_ column: Int32) throws(StoreError) -> String? {
                statement.isNull(column) ? nil : try termText(statement.int(column), cache: &cache)
            }
            func end(_ first: Int32) throws(StoreError) -> LogRecord.End {
                var end = LogRecord.End()
                end.ip = try name(first)
                end.port = statement.isNull(first + 1) ? nil : Int(statement.int(first + 1))
                end.cluster = try name(first + 2)
                end.namespace = try name(first + 3)
                end.pod = try name(first + 4)
                end.workload = try name(first + 5)
                return end
            }
            var record = LogRecord(time: statement.int(1), firewall: try name(2) ?? "", eventType: try name(3) ?? "", json: statement.text(22))
            record.proto = try name(4)
            record.app = try name(5)
            record.action = try name(6)
            record.rule = try name(7)
            record.source = try end(8)
            record.destination = try end(14)
            record.source.tags = try tagSetTags(statement.int(20), cache: &setCache)
            record.destination.tags = try tagSetTags(statement.int(21), cache: &setCache)
            rows.append(StoredLog(id: statement.int(0), record: record))
        }
        return rows
    }

    public func count() throws(StoreError) -> Int {
        let statement = try database.prepare("SELECT count(*) FROM logs")
        _ = try statement.step()
        return Int(statement.int(0))
    }

    /// Bytes the live pages take (the file less its free pages).
    public func liveBytes() throws(StoreError) -> Int64 {
        func pragma(_ name: String) throws(StoreError) -> Int64 {
            let statement = try database.prepare("PRAGMA \(name)")
            _ = try statement.step()
            return statement.int(0)
        }
        let pages = try pragma("page_count"), free = try pragma("freelist_count"), size = try pragma("page_size")
        return (pages - free) * size
    }

    /// Deletes records older than `time` (milliseconds), at most `limit`; returns how many.
    public func deleteOlder(than time: Int64, limit: Int = 50_000) throws(StoreError) -> Int {
        try database.execute("DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE time < \(time) ORDER BY time LIMIT \(limit))")
        return database.changes
    }

    /// Deletes the `count` oldest records (by arrival); returns how many.
    public func deleteOldest(_ count: Int) throws(StoreError) -> Int {
        try database.execute("DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT \(count))")
        return database.changes
    }

    /// Lets SQLite gather the statistics its planner uses (`PRAGMA optimize`).
    public func optimize() throws(StoreError) { try database.execute("PRAGMA optimize") }
    public func analyze() throws(StoreError) { try database.execute("ANALYZE") }

    static func encode(_ tags: [String]) -> String {
        JSONValueText.array(tags)
    }

    static func decode(_ text: String) -> [String] {
        TagStore.decode(text)
    }
}

/// A JSON array of strings, written without an encoder (the hot path of ingest).
enum JSONValueText {
    static func array(_ strings: [String]) -> String {
        var text = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { text += "," }
            text += JSONValue.quoted(string)
        }
        return text + "]"
    }
}
