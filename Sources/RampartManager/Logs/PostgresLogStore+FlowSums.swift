/// The console's flow sums kept by the PostgreSQL store's writer: each batch's flow and alert
/// records are counted per minute and key in memory, then added to `log_flow_sums` by one
/// upsert in the batch's transaction, after its `COPY` (all or none with the records).
/// Several managers may write one database: the upsert runs under a transaction-level
/// advisory lock, so change numbers are committed in order and a reader that has seen one
/// has seen every smaller one (`PostgresFlowSums`).
extension PostgresLogStore {
    static let flowSumsSchema = """
        CREATE SEQUENCE IF NOT EXISTS log_flow_sums_seq;
        CREATE TABLE IF NOT EXISTS log_flow_sums (minute BIGINT NOT NULL, src TEXT NOT NULL, dest TEXT NOT NULL,
          src_workload BOOLEAN NOT NULL, dest_workload BOOLEAN NOT NULL, app TEXT NOT NULL, rule TEXT NOT NULL,
          allowed BIGINT NOT NULL, denied BIGINT NOT NULL, threats BIGINT NOT NULL,
          changed BIGINT NOT NULL DEFAULT nextval('log_flow_sums_seq'),
          PRIMARY KEY (minute, src, dest, src_workload, dest_workload, app, rule));
        CREATE INDEX IF NOT EXISTS log_flow_sums_by_change ON log_flow_sums (changed);
        """

    static let flowSumsUpsert = """
        INSERT INTO log_flow_sums AS s (minute, src, dest, src_workload, dest_workload, app, rule, allowed, denied, threats)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $6::text[], $7::text[],
          $8::bigint[], $9::bigint[], $10::bigint[])
        ON CONFLICT (minute, src, dest, src_workload, dest_workload, app, rule) DO UPDATE SET
          allowed = s.allowed + EXCLUDED.allowed, denied = s.denied + EXCLUDED.denied, threats = s.threats + EXCLUDED.threats,
          changed = EXCLUDED.changed
        """

    /// The sums of `records`, one per minute and key.
    static func flowSums(of records: [LogRecord]) -> [FlowSumRow] {
        var sums: [FlowMinuteKey: FlowAggregates.Counts] = [:]
        for record in records {
            guard let counts = FlowAggregates.Counts(eventType: record.eventType, action: record.action, count: 1) else { continue }
            sums[FlowMinuteKey(minute: record.time / 60_000, key: FlowAggregates.Key(record: record)), default: FlowAggregates.Counts()].add(counts)
        }
        return sums.map { FlowSumRow(minute: $0.key.minute, key: $0.key.key, counts: $0.value) }
    }

    /// The upsert's ten parameters: one array literal per column.
    static func flowSumsParameters(_ rows: [FlowSumRow]) -> [String?] {
        func texts(_ values: [String]) -> String {
            // Every element quoted, its quotes and backslashes escaped; PostgreSQL's text holds no NUL.
            var literal = "{"
            literal.reserveCapacity(values.count * 24)
            for (index, value) in values.enumerated() {
                literal += index == 0 ? "\"" : ",\""
                if value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0 }) {
                    literal += value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\u{0}", with: "")
                } else {
                    literal += value
                }
                literal += "\""
            }
            return literal + "}"
        }
        func numbers(_ values: [Int64]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }
        func flags(_ values: [Bool]) -> String { "{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}" }
        return [
            numbers(rows.map(\.minute)), texts(rows.map(\.key.source)), texts(rows.map(\.key.destination)),
            flags(rows.map(\.key.sourceIsWorkload)), flags(rows.map(\.key.destinationIsWorkload)),
            texts(rows.map(\.key.application)), texts(rows.map(\.key.rule)),
            numbers(rows.map { Int64($0.counts.allowed) }), numbers(rows.map { Int64($0.counts.denied) }),
            numbers(rows.map { Int64($0.counts.threats) }),
        ]
    }
}

/// A minute and a key: what one row of `log_flow_sums` counts.
struct FlowMinuteKey: Hashable {
    var minute: Int64
    var key: FlowAggregates.Key
}
