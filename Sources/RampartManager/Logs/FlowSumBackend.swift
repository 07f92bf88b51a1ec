/// What the console's flow sums (`FlowAggregates`) read from a log store: connections per
/// minute and key (ends, application, rule), counted as allowed, denied or threat. Both stores
/// answer it through their own connection, beside the store's writer:
///
/// - SQLite (`SQLiteFlowSums`) sums the records themselves in SQL, grouped per minute; a
///   position is a record's row id, and what changed after one is the newer records'
///   increments (`totals` false).
/// - PostgreSQL (`PostgresFlowSums`) reads the `log_flow_sums` table its writer keeps in the
///   same transaction as the records (an upsert per batch); a position is the table's change
///   number, and what changed after one is the changed rows' new totals (`totals` true).
///
/// ```swift
/// let source = try LogService.openFlowSums(settings)
/// let sums = FlowAggregates(source: source)
/// ```
public protocol FlowSumBackend: AnyObject {
    /// True when rows are a minute and key's whole counts (they replace what was read), false
    /// when they are increments (added).
    var totals: Bool { get }
    /// The newest position written: every row at or before it can be read.
    func newestPosition() throws(StoreError) -> Int64
    /// The sums of minutes `first ..< end` (`end` nil: every later minute) as of `position`.
    func flowSums(from first: Int64, before end: Int64?, through position: Int64) throws(StoreError) -> [FlowSumRow]
    /// What was written after `after` up to `through`, in minutes from `first`.
    func flowSumChanges(after: Int64, through: Int64, from first: Int64) throws(StoreError) -> [FlowSumRow]
    /// After a failure: true when the store can be read again (PostgreSQL connects again).
    func recover() -> Bool
}

/// One minute's counts of one key.
public struct FlowSumRow: Sendable, Equatable {
    public var minute: Int64
    public var key: FlowAggregates.Key
    public var counts: FlowAggregates.Counts
}
