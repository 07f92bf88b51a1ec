/// The log store on PostgreSQL (`spec.logs.store: postgres://...`), for a store several
/// managers share or one larger than a node's disk. The same rows as the SQLite store
/// (`LogStore`): names and tag sets interned in `log_terms` and `log_tagsets`, the records in
/// `logs` with an index on time and, for both ends, pod, namespace, workload and address,
/// and on application, action and rule (each with time). A batch is one transaction: new
/// names are added first (committed on their own, so a failed batch leaves no dangling
/// number in the cache), then the rows go in through one `COPY ... FROM STDIN`, then the
/// console's flow sums of the batch through one upsert into `log_flow_sums`
/// (`PostgresLogStore+FlowSums.swift`); retention deletes the sums of the minutes it empties.
///
/// ```swift
/// let store = try PostgresLogStore(parameters: ["dbname": "postgres://rampart@db/logs"], passwordFile: "/etc/rampart/pg-password")
/// try store.insert(records)
/// ```
public final class PostgresLogStore: LogBackend {
    private let database: PostgresDatabase
    private var terms: [String: Int64] = [:]
    private var tagSets: [[String]: Int64] = [:]
    private var byAddress: [String: (tags: [String], id: Int64)] = [:]
    private var rows: [UInt8] = []
    /// Space freed by deletes and not yet refilled, in bytes of table and indexes: PostgreSQL
    /// keeps its files' size and reuses the space, so the live size is the files less this.
    private var freeBytes: Int64 = 0
    public var name: String { database.name }
    private let parameters: [String: String]
    private let passwordFile: String?

    static let columns = "time, firewall, event, proto, app, action, rule, src_ip, src_port, src_cluster, src_ns, src_pod, src_workload, "
        + "dest_ip, dest_port, dest_cluster, dest_ns, dest_pod, dest_workload, src_tags, dest_tags, record"

    public init(parameters: [String: String], passwordFile: String?) throws(StoreError) {
        var parameters = parameters
        parameters["client_encoding"] = "UTF8"
        self.parameters = parameters
        self.passwordFile = passwordFile
        database = try PostgresDatabase(parameters: parameters, passwordFile: passwordFile)
        var schema = """
            CREATE TABLE IF NOT EXISTS log_terms (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS log_tagsets (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tags TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS logs (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time BIGINT NOT NULL,
              firewall BIGINT, event BIGINT, proto BIGINT, app BIGINT, action BIGINT, rule BIGINT,
              src_ip BIGINT, src_port INTEGER, src_cluster BIGINT, src_ns BIGINT, src_pod BIGINT, src_workload BIGINT,
              dest_ip BIGINT, dest_port INTEGER, dest_cluster BIGINT, dest_ns BIGINT, dest_pod BIGINT, dest_workload BIGINT,
              src_tags BIGINT, dest_tags BIGINT, record TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS logs_time ON logs (time);
            """
        for column in LogStore.indexed { schema += "CREATE INDEX IF NOT EXISTS logs_\(column) ON logs (\(column), time);\n" }
        for column in LogStore.dropped { schema += "DROP INDEX IF EXISTS logs_\(column);\n" }
        schema += PostgresLogStore.flowSumsSchema
        // Several managers may start at once: the schema is made under one lock.
        try database.transaction { () throws(StoreError) in
            try database.execute("SELECT pg_advisory_xact_lock(7274461)")
            try database.execute(schema)
        }
    }

    public func insert(_ records: [LogRecord]) throws(StoreError) {
        guard !records.isEmpty else { return }
        rows.removeAll(keepingCapacity: true)
        for record in records {
            number(record.time)
            try term(record.firewall)
            try term(record.eventType)
            try term(record.proto)
            try term(record.app)
            try term(record.action)
            try term(record.rule)
            try end(record.source)
            try end(record.destination)
            number(try tagSet(record.source.tags, of: record.source.ip))
            number(try tagSet(record.destination.tags, of: record.destination.ip))
            escaped(record.json)
            rows[rows.count - 1] = 10   // the line's end replaces the last tab
        }
        let sums = PostgresLogStore.flowSums(of: records)
        try database.transaction { () throws(StoreError) in
            try database.copy("COPY logs (\(PostgresLogStore.columns)) FROM STDIN", rows: rows)
            guard !sums.isEmpty else { return }
            // One writer at a time from here to the commit: change numbers commit in order.
            try database.execute("SELECT pg_advisory_xact_lock(7274462)")
            _ = try database.change(PostgresLogStore.flowSumsUpsert, PostgresLogStore.flowSumsParameters(sums))
        }
        freeBytes = max(0, freeBytes - Int64(rows.count))
    }

    // MARK: COPY's text format: tab-separated, \N for NULL, backslash escapes.

    private func number(_ value: Int64) {
        if value < 0 { rows.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = rows.count
        repeat {
            rows.append(UInt8(48 + magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        rows[start...].reverse()
        rows.append(9)
    }

    private func null() { rows += [UInt8(ascii: "\\"), UInt8(ascii: "N"), 9] }

    private func escaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): rows += [92, 92]
            case 9: rows += [92, UInt8(ascii: "t")]
            case 10: rows += [92, UInt8(ascii: "n")]
            case 13: rows += [92, UInt8(ascii: "r")]
            case 0: break   // PostgreSQL's text holds no NUL (a JSON line has none outside escapes)
            default: rows.append(byte)
            }
        }
        rows.append(9)
    }

    private func end(_ end: LogRecord.End) throws(StoreError) {
        try term(end.ip)
        if let port = end.port { number(Int64(port)) } else { null() }
        try term(end.cluster)
        try term(end.namespace)
        try term(end.pod)
        try term(end.workload)
    }

    private func term(_ text: String?) throws(StoreError) {
        guard let text else { return null() }
        number(try termID(text, create: true)!)
    }

    /// The number of `text` in `log_terms`; nil when it is not there and `create` is false.
    func termID(_ text: String, create: Bool) throws(StoreError) -> Int64? {
        if let id = terms[text] { return id }
        let found = create
            ? try database.query("INSERT INTO log_terms (text) VALUES ($1) ON CONFLICT (text) DO UPDATE SET text = EXCLUDED.text RETURNING id", [text])
            : try database.query("SELECT id FROM log_terms WHERE text = $1", [text])
        guard let id = PostgresLogStore.scalar(found).flatMap({ Int64($0) }) else { return nil }
        // Bounded: names of pods long gone fall out with the rest, and are read again if asked.
        if terms.count >= 1 << 20 { terms.removeAll(keepingCapacity: true) }
        terms[text] = id
        return id
    }

    private func tagSet(_ tags: [String], of address: String?) throws(StoreError) -> Int64 {
        if let address, let known = byAddress[address], known.tags == tags { return known.id }
        let id: Int64
        if let known = tagSets[tags] {
            id = known
        } else {
            let text = LogStore.encode(tags)
            let found = try database.query(
                "INSERT INTO log_tagsets (tags) VALUES ($1) ON CONFLICT (tags) DO UPDATE SET tags = EXCLUDED.tags RETURNING id", [text])
            guard let value = PostgresLogStore.scalar(found).flatMap({ Int64($0) }) else { throw StoreError("\(database.name): no id for a tag set") }
            id = value
            if tagSets.count >= 1 << 18 { tagSets.removeAll(keepingCapacity: true) }
            tagSets[tags] = id
        }
        if let address {
            if byAddress.count >= 1 << 18 { byAddress.removeAll(keepingCapacity: true) }
            byAddress[address] = (tags, id)
        }
        return id
    }

    public func search(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        var conditions: [String] = []
        var values: [String?] = []
        func parameter(_ value: String) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        // A criterion on a name the store never saw matches nothing.
        func either(_ column: String, _ text: String?) throws(StoreError) -> Bool {
            guard let text else { return true }
            guard let id = try termID(text, create: false) else { return false }
            let p = parameter(String(id))
            conditions.append("(src_\(column) = \(p) OR dest_\(column) = \(p))")
            return true
        }
        func one(_ column: String, _ text: String?) throws(StoreError) -> Bool {
            guard let text else { return true }
            guard let id = try termID(text, create: false) else { return false }
            conditions.append("\(column) = \(parameter(String(id)))")
            return true
        }
        guard try either("pod", query.pod), try either("ns", query.namespace), try either("workload", query.workload),
              try either("ip", query.address), try either("cluster", query.cluster), try one("app", query.app),
              try one("action", query.action), try one("rule", query.rule), try one("event", query.eventType),
              try one("firewall", query.firewall)
        else { return [] }
        if let port = query.port {
            let p = parameter(String(port))
            conditions.append("(dest_port = \(p) OR src_port = \(p))")
        }
        if let from = query.from { conditions.append("time >= \(parameter(String(from)))") }
        if let to = query.to { conditions.append("time <= \(parameter(String(to)))") }
        if let tag = query.tag {
            // The tag as it is written inside the stored JSON array, quotes included, with
            // LIKE's own wildcards escaped.
            let quoted = LogStore.encode([tag]).dropFirst().dropLast()
            let pattern = "%" + quoted.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
            let p = parameter(pattern)
            conditions.append("(src_tags IN (SELECT id FROM log_tagsets WHERE tags LIKE \(p)) OR dest_tags IN (SELECT id FROM log_tagsets WHERE tags LIKE \(p)))")
        }
        let limit = parameter(String(max(1, min(query.limit, 100_000))))
        let sql = "SELECT id, \(PostgresLogStore.columns) FROM logs"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY time DESC, id DESC LIMIT \(limit)"
        let found = try database.query(sql, values)
        // Names and tag sets of all the rows in two queries.
        var ids = Set<Int64>(), sets = Set<Int64>()
        for row in found {
            for column in [2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19] { if let id = row[column].flatMap({ Int64($0) }) { ids.insert(id) } }
            for column in [20, 21] { if let id = row[column].flatMap({ Int64($0) }) { sets.insert(id) } }
        }
        var names: [Int64: String] = [:], tags: [Int64: [String]] = [:]
        if !ids.isEmpty {
            for pair in try database.query("SELECT id, text FROM log_terms WHERE id = ANY($1::bigint[])", ["{" + ids.map(String.init).joined(separator: ",") + "}"]) {
                if let id = pair[0].flatMap({ Int64($0) }), let text = pair[1] { names[id] = text }
            }
        }
        if !sets.isEmpty {
            for pair in try database.query("SELECT id, tags FROM log_tagsets WHERE id = ANY($1::bigint[])", ["{" + sets.map(String.init).joined(separator: ",") + "}"]) {
                if let id = pair[0].flatMap({ Int64($0) }), let text = pair[1] { tags[id] = LogStore.decode(text) }
            }
        }
        return found.map { row in
            func name(_ column: Int) -> String? { row[column].flatMap { Int64($0) }.flatMap { names[$0] } }
            func end(_ first: Int) -> LogRecord.End {
                var end = LogRecord.End()
                end.ip = name(first)
                end.port = row[first + 1].flatMap { Int($0) }
                end.cluster = name(first + 2)
                end.namespace = name(first + 3)
                end.pod = name(first + 4)
                end.workload = name(first + 5)
                return end
            }
            var record = LogRecord(time: row[1].flatMap { Int64($0) } ?? 0, firewall: name(2) ?? "", eventType: name(3) ?? "", json: row[22] ?? "")
            record.proto = name(4)
            record.app = name(5)
            record.action = name(6)
            record.rule = name(7)
            record.source = end(8)
            record.destination = end(14)
            record.source.tags = row[20].flatMap { Int64($0) }.flatMap { tags[$0] } ?? []
            record.destination.tags = row[21].flatMap { Int64($0) }.flatMap { tags[$0] } ?? []
            return StoredLog(id: row[0].flatMap { Int64($0) } ?? 0, record: record)
        }
    }

    public func count() throws(StoreError) -> Int {
        Int(PostgresLogStore.scalar(try database.query("SELECT count(*) FROM logs")).flatMap { Int($0) } ?? 0)
    }

    /// The tables' and indexes' bytes less the space deletes freed and inserts have not yet
    /// refilled (as far as this manager saw: a restart counts the files whole).
    public func liveBytes() throws(StoreError) -> Int64 {
        max(0, try sizeOfFiles() - freeBytes)
    }

    /// The tables' and indexes' files, whole.
    func sizeOfFiles() throws(StoreError) -> Int64 {
        let sql = "SELECT pg_total_relation_size('logs') + pg_total_relation_size('log_terms') + pg_total_relation_size('log_tagsets')"
            + " + pg_total_relation_size('log_flow_sums')"
        return PostgresLogStore.scalar(try database.query(sql)).flatMap { Int64($0) } ?? 0
    }

    public func deleteOlder(than time: Int64, limit: Int = 50_000) throws(StoreError) -> Int {
        let deleted = try delete("SELECT id FROM logs WHERE time < $1 ORDER BY time LIMIT \(limit)", [String(time)])
        // The sums of whole minutes before `time`: their records are gone or going.
        _ = try database.change("DELETE FROM log_flow_sums WHERE minute < $1", [String(time / 60_000)])
        return deleted
    }

    public func deleteOldest(_ count: Int) throws(StoreError) -> Int {
        let deleted = try delete("SELECT id FROM logs ORDER BY id LIMIT \(count)", [])
        // The sums of the minutes before the oldest record left (all of them when none is).
        _ = try database.change("DELETE FROM log_flow_sums WHERE minute < (SELECT coalesce(min(time) / 60000, 9223372036854775807) FROM logs)")
        return deleted
    }

    /// Deletes the rows `select` names; the bytes they held (scaled by the table's share of
    /// table plus indexes) count as free.
    private func delete(_ select: String, _ parameters: [String?]) throws(StoreError) -> Int {
        let result = try database.query(
            "WITH gone AS (DELETE FROM logs WHERE id IN (\(select)) RETURNING pg_column_size(logs.*) + 28 AS size) "
                + "SELECT count(*), coalesce(sum(size), 0), pg_relation_size('logs'), pg_total_relation_size('logs') FROM gone", parameters)
        guard let row = result.first, let deleted = row[0].flatMap({ Int($0) }) else { return 0 }
        let bytes = row[1].flatMap { Double($0) } ?? 0, heap = row[2].flatMap { Double($0) } ?? 1, total = row[3].flatMap { Double($0) } ?? 1
        freeBytes += Int64(bytes * max(1, total / max(heap, 1)))
        return deleted
    }

    /// The first column of the first row.
    static func scalar(_ rows: [[String?]]) -> String? { rows.first?.first ?? nil }

    public func optimize() throws(StoreError) { try database.execute("ANALYZE logs") }
    public func analyze() throws(StoreError) { try database.execute("ANALYZE logs") }
    public func reclaim() throws(StoreError) { try database.execute("VACUUM logs, log_flow_sums") }
    public func flowSums() throws(StoreError) -> any FlowSumBackend { PostgresFlowSums(parameters: parameters, passwordFile: passwordFile) }
    public func recover() -> Bool { database.reconnectIfBroken() }
}
