import FoundationEssentials
import RampartPOSIX

/// JSON decoding whose errors say which field of which object was wrong.
///
/// ```swift
/// do { _ = try KubeJSON.decode(Pod.self, from: Array(#"{"metadata": 3}"#.utf8), what: "pod") }
/// catch { print(error) }  // pod is malformed: at metadata: expected an object
/// ```
public enum KubeJSON {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(KubeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformed(what: what, detail: describe(error))
        } catch {
            throw .malformed(what: what, detail: "\(error)")
        }
    }

    static func describe(_ error: DecodingError, droppingPrefix: Int = 0) -> String {
        func path(_ all: [any CodingKey]) -> String {
            let keys = Array(all.dropFirst(droppingPrefix))
            if keys.isEmpty { return "the top level" }
            return keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimming(.scalars(["."]))
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "at \(path(context.codingPath)): expected \(expected(type))"
        case .valueNotFound(let type, let context):
            return "at \(path(context.codingPath)): expected \(expected(type)), found null"
        case .keyNotFound(let key, let context):
            return "at \(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}
