/// A log store that could not be opened when the manager started (a PostgreSQL server not
/// answering yet): each call opens it first and throws while it cannot, so the log service
/// holds its records in its bounded queue and retries, as it does when the store goes down
/// later (fail closed), instead of stopping the manager's start.
///
/// ```swift
/// let store = DeferredLogBackend { () throws(StoreError) in try LogService.openStore(settings) }
/// _ = store.recover()   // true once the server answers
/// ```
final class DeferredLogBackend: LogBackend {
    private let open: () throws(StoreError) -> any LogBackend
    private var store: (any LogBackend)?

    init(open: @escaping () throws(StoreError) -> any LogBackend) {
        self.open = open
    }

    private func opened() throws(StoreError) -> any LogBackend {
        if let store { return store }
        let store = try open()
        self.store = store
        return store
    }

    func insert(_ records: [LogRecord]) throws(StoreError) { try opened().insert(records) }
    func search(_ query: LogQuery) throws(StoreError) -> [StoredLog] { try opened().search(query) }
    func count() throws(StoreError) -> Int { try opened().count() }
    func liveBytes() throws(StoreError) -> Int64 { try opened().liveBytes() }
    func deleteOlder(than time: Int64, limit: Int) throws(StoreError) -> Int { try opened().deleteOlder(than: time, limit: limit) }
    func deleteOldest(_ count: Int) throws(StoreError) -> Int { try opened().deleteOldest(count) }
    func optimize() throws(StoreError) { try opened().optimize() }
    func analyze() throws(StoreError) { try opened().analyze() }
    func reclaim() throws(StoreError) { try opened().reclaim() }
    func flowSums() throws(StoreError) -> any FlowSumBackend { try opened().flowSums() }

    func recover() -> Bool {
        if let store { return store.recover() }
        do throws(StoreError) { _ = try opened() } catch { return false }
        return true
    }
}
