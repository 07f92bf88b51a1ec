/// What the log service needs of a store: SQLite (`LogStore`, embedded, the default) or
/// PostgreSQL (`PostgresLogStore`, `spec.logs.store: postgres://...`). Both keep the same
/// rows (the ends' names and tag sets interned) and answer the same `LogQuery`.
///
/// ```swift
/// let store: any LogBackend = try LogService.openStore(settings)
/// try store.insert(records)
/// ```
public protocol LogBackend: AnyObject {
    /// Writes `records` in one transaction: all or none.
    func insert(_ records: [LogRecord]) throws(StoreError)
    /// The newest records matching `query` first, at most `query.limit`.
    func search(_ query: LogQuery) throws(StoreError) -> [StoredLog]
    func count() throws(StoreError) -> Int
    /// Bytes the live records take (what `spec.logs.maxBytes` bounds).
    func liveBytes() throws(StoreError) -> Int64
    /// Deletes records older than `time` (milliseconds), at most `limit`; returns how many.
    func deleteOlder(than time: Int64, limit: Int) throws(StoreError) -> Int
    /// Deletes the `count` oldest records (by arrival); returns how many.
    func deleteOldest(_ count: Int) throws(StoreError) -> Int
    /// Lets the database refresh its planner's statistics.
    func optimize() throws(StoreError)
    func analyze() throws(StoreError)
    /// After a trim: makes the freed space reusable (PostgreSQL's VACUUM; SQLite reuses it by itself).
    func reclaim() throws(StoreError)
    /// After a failure: true when the store can be written again (PostgreSQL reconnects).
    func recover() -> Bool
    /// A reader of the console's flow sums of this store, with a connection of its own
    /// (`FlowSumBackend`; the writer keeps them with the records, or they are the records).
    func flowSums() throws(StoreError) -> any FlowSumBackend
}

extension LogStore: LogBackend {
    public func reclaim() throws(StoreError) {}
    public func recover() -> Bool { true }
    public func flowSums() throws(StoreError) -> any FlowSumBackend { try SQLiteFlowSums(path: path) }
}
