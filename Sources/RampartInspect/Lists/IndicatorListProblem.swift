/// Why a line of a list was refused: data with a stable dotted name (for counters and
/// JSON) and a message that says what was expected.
///
/// ```swift
/// IndicatorListProblem.labelTooLong(70).name     // "domain.label_too_long"
/// IndicatorListProblem.labelTooLong(70).message  // "a label of 70 bytes; expected at most 63"
/// ```
public enum IndicatorListProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// A name with nothing in it (a line of dots, or `*.` alone).
    case emptyName
    /// Two dots in a row, or a name starting with two dots.
    case emptyLabel
    /// A label longer than 63 bytes (after IDNA).
    case labelTooLong(Int)
    /// A name longer than 253 bytes (after IDNA).
    case nameTooLong(Int)
    /// A character no host name holds (the Unicode scalar value).
    case badCharacter(UInt32)
    /// The last label is all digits but the entry is not an IP address (`10.0.0.256`).
    case numericTopLabel
    /// A line that is not UTF-8.
    case notUTF8
    /// A Unicode label Punycode cannot encode.
    case idna
    /// An address or prefix that does not parse (`10.0.0.0/33`, `1.2.3`).
    case badAddress
    /// A URL in a list of domains (UT1's `domains` files).
    case urlInDomainList
    /// A domain or URL where only addresses are expected (a CSV `ip` column).
    case nameInAddressList
    /// A URL without a host (`http:///path`).
    case urlWithoutHost
    /// A URL whose port is not a number.
    case badPort
    /// A URL whose normalised path and query are longer than 2048 bytes.
    case urlPathTooLong(Int)
    /// A hosts-file line without a name after its address.
    case hostsWithoutName
    /// A hosts-file line whose first field is not an address.
    case hostsBadAddress
    /// A CSV file whose header names no indicator column or no category column.
    case csvHeader
    /// A CSV record with fewer fields than the header's columns it needs.
    case csvMissingField(expected: Int, found: Int)
    /// A CSV field whose opening quote is never closed.
    case csvUnterminatedQuote
    /// A CSV record whose indicator field is empty.
    case csvEmptyIndicator
    /// A line longer than 4096 bytes.
    case lineTooLong(Int)

    /// A stable dotted name, as `DecodeEvent` names anomalies.
    public var name: String {
        switch self {
        case .emptyName: "domain.empty"
        case .emptyLabel: "domain.empty_label"
        case .labelTooLong: "domain.label_too_long"
        case .nameTooLong: "domain.name_too_long"
        case .badCharacter: "domain.bad_character"
        case .numericTopLabel: "domain.numeric_top_label"
        case .notUTF8: "list.not_utf8"
        case .idna: "domain.idna"
        case .badAddress: "ip.bad_address"
        case .urlInDomainList: "list.url_in_domain_list"
        case .nameInAddressList: "list.name_in_address_list"
        case .urlWithoutHost: "url.no_host"
        case .badPort: "url.bad_port"
        case .urlPathTooLong: "url.path_too_long"
        case .hostsWithoutName: "hosts.no_name"
        case .hostsBadAddress: "hosts.bad_address"
        case .csvHeader: "csv.header"
        case .csvMissingField: "csv.missing_field"
        case .csvUnterminatedQuote: "csv.unterminated_quote"
        case .csvEmptyIndicator: "csv.empty_indicator"
        case .lineTooLong: "list.line_too_long"
        }
    }

    /// What was wrong and what was expected.
    public var message: String {
        switch self {
        case .emptyName: return "an empty name; expected a domain name such as example.com"
        case .emptyLabel: return "an empty label (two dots in a row); expected labels of 1 to 63 bytes between dots"
        case .labelTooLong(let n): return "a label of \(n) bytes; expected at most 63"
        case .nameTooLong(let n): return "a name of \(n) bytes; expected at most 253"
        case .badCharacter(let scalar):
            let shown: String
            if scalar >= 0x21 && scalar < 0x7F, let s = Unicode.Scalar(scalar) {
                shown = "'\(Character(s))'"
            } else {
                var hex = String(scalar, radix: 16, uppercase: true)
                while hex.count < 4 { hex = "0" + hex }
                shown = "U+\(hex)"
            }
            return "\(shown) is not allowed in a name; expected letters, digits, '-' and '_' between dots"
        case .numericTopLabel: return "the last label is a number but this is not an IP address; expected a domain name or a valid IPv4 address"
        case .notUTF8: return "bytes that are not UTF-8; expected text"
        case .idna: return "a Unicode label that cannot be converted to an A-label (Punycode overflow)"
        case .badAddress: return "expected an IPv4 or IPv6 address or prefix (192.0.2.1, 10.0.0.0/8, 2001:db8::/32)"
        case .urlInDomainList: return "a URL in a list of domains; expected a domain name or address (URLs belong in a urls list)"
        case .nameInAddressList: return "expected an IPv4 or IPv6 address or prefix in an address column"
        case .urlWithoutHost: return "a URL without a host; expected host/path or scheme://host/path"
        case .badPort: return "a port that is not a number; expected host:port with port 0-65535"
        case .urlPathTooLong(let n): return "a path of \(n) bytes once normalised; expected at most 2048"
        case .hostsWithoutName: return "expected an address and then one or more names (0.0.0.0 example.com)"
        case .hostsBadAddress: return "the first field is not an address; expected the hosts-file form ADDRESS NAME..."
        case .csvHeader: return "expected a header naming an indicator column (domain, url, ip or indicator) and a category column (category)"
        case .csvMissingField(let expected, let found): return "\(found) field\(found == 1 ? "" : "s"); expected at least \(expected)"
        case .csvUnterminatedQuote: return "a quoted field that is never closed; expected a closing '\"'"
        case .csvEmptyIndicator: return "an empty indicator field; expected a domain, URL or address"
        case .lineTooLong(let n): return "a line of \(n) bytes; expected at most 4096"
        }
    }

    public var description: String { "\(message) (\(name))" }
}
