extension Engine {
    /// Swaps in another indicator store between two packets (the firewall's `spec.lists`
    /// reloaded with the policy, `rampart inspect --lists`), or none. Sessions already
    /// classified keep their answer; the next lookups use the new store.
    ///
    /// ```swift
    /// var builder = IndicatorStoreBuilder()
    /// _ = try IndicatorListSet.load(paths: ["lists/"], from: files, into: &builder)
    /// engine.adoptIndicators(builder.build())
    /// ```
    public mutating func adoptIndicators(_ store: IndicatorStore?) {
        indicatorStore = store
        urlProfiles = URLProfileTable(policy.profiles.url, store: store)
    }

    /// The store the profiles read, if any.
    public var indicators: IndicatorStore? { indicatorStore }
}
