/// The URL filtering stage's limits (`EngineConfiguration.urlFiltering`).
public struct URLFilteringConfiguration: Sendable {
    /// Clients remembered as having continued past a `continue` page (client and host
    /// pairs), per engine. When full, a new one is refused (`url_continues` limit): that
    /// client sees the page again. 32 bytes each.
    public var continueEntries = 16_384
    /// Bytes a request target is normalised into for the URL lookup; longer targets match
    /// by host only.
    public var pathBufferBytes = 8192

    public init() {}
}
