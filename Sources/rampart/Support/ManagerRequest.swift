#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RampartHTTP
import RampartPOSIX

/// Where the manager's API is and how to be let in: the options of every command that
/// asks the manager (`rampart logs`, `rampart audits`).
struct ManagerConnectionOptions: ParsableArguments {
    @Option(help: "The manager's API (spec.listen), http:// or https://.")
    var manager = "http://127.0.0.1:9690"
    @Option(name: .customLong("token-file"), help: "A file whose first line is a bearer token of the manager's API.")
    var tokenFile: String?
    @Option(help: "The CA that signed the manager's certificate (https://).")
    var ca: String?

    /// `manager` without a trailing slash, to put a path after.
    var base: String { manager.hasSuffix("/") ? String(manager.dropLast()) : manager }

    func request(command: String) -> ManagerRequest {
        ManagerRequest(manager: manager, tokenFile: tokenFile, ca: ca, command: command)
    }
}

/// A GET to the manager's API with the CLI's usual credentials (--token-file or
/// $RAMPART_TOKEN, --ca for https://).
struct ManagerRequest {
    var manager: String
    var tokenFile: String?
    var ca: String?
    var command: String

    func get(_ pathAndQuery: String) throws -> HTTPResponse {
        let base = manager.hasSuffix("/") ? String(manager.dropLast()) : manager
        var headers: [String] = []
        let token: String?
        if let tokenFile {
            do { token = try readTextFile(tokenFile, limit: 4096).split(whereSeparator: \.isNewline).first.map(String.init) } catch {
                throw ValidationError("cannot read --token-file \(tokenFile): \(error)")
            }
        } else {
            token = getenv("RAMPART_TOKEN").map { String(cString: $0) }
        }
        if let token, !token.isEmpty { headers.append("Authorization: Bearer \(token.trimming(.whitespaces))") }
        var tls: TLSSettings?
        if let ca {
            do { tls = TLSSettings(certificateAuthority: try readFileBytes(ca, limit: 1 << 20)) } catch {
                throw ValidationError("cannot read --ca \(ca): \(error)")
            }
        }
        do {
            let connection = try HTTPConnection(tls: tls, connectTimeout: 5)
            return try connection.request(url: base + pathAndQuery, headers: headers, timeout: 60, maxBodyBytes: 256 << 20)
        } catch {
            printError("rampart \(command): cannot reach \(base): \(error)")
            throw ExitCode(1)
        }
    }

    /// `key=value&...` of the parameters that have a value, each value percent-encoded.
    static func query(_ parameters: [(String, String?)]) -> String {
        parameters.compactMap { key, value in value.map { "\(key)=\(percentEncoded($0))" } }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
