import RampartWire

extension IndicatorStore {
    /// The longest listed prefix holding `address` (IPv4 prefixes for IPv4 addresses, IPv6
    /// for IPv6), or nil. No allocation: one probe per prefix length the lists use.
    public func address(_ address: IPAddress) -> IndicatorMatch? {
        let table = addresses
        guard table.count > 0, let index = table.longestMatch(address) else { return nil }
        let record = table.records[index]
        let length = Int(record.length) - (record.isIPv4 ? 96 : 0)
        return IndicatorMatch(
            kind: .address, attributes: record.attributes, entry: UInt32(index), matchedLength: length,
            isExact: record.length == 128)
    }
}
