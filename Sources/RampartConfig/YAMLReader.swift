internal import CYaml

/// Reads YAML text into `YAMLNode` documents with hard limits, never trapping.
///
/// Limits: input size, nesting depth and node count are bounded; aliases (`*name`) are
/// refused outright (an alias bomb cannot expand because nothing is ever expanded); merge
/// keys therefore cannot be used either.
///
/// ```swift
/// let docs = try YAMLReader.documents(in: "kind: X\n---\nkind: Y\n", file: "p.yaml")
/// docs.count  // 2
/// ```
public enum YAMLReader {
    public static let maximumInputBytes = 16 << 20
    public static let maximumDepth = 64
    public static let maximumNodes = 2_000_000
    public static let maximumDocuments = 10_000

    private final class Frame {
        var isMapping: Bool
        var location: SourceLocation
        var items: [YAMLNode] = []
        init(isMapping: Bool, location: SourceLocation) {
            self.isMapping = isMapping
            self.location = location
        }
    }

    public static func documents(in text: String, file: String) throws(ConfigErrors) -> [YAMLNode] {
        if text.utf8.count > maximumInputBytes {
            throw ConfigErrors([ConfigError(file: file, line: 1, column: 1,
                message: "input is \(text.utf8.count) bytes; the limit is \(maximumInputBytes) bytes (16 MiB)")])
        }
        var bytes = Array(text.utf8)
        // libyaml stops at a NUL byte without saying so; refuse it with a position instead.
        if let nul = bytes.firstIndex(of: 0) {
            var line = 1
            var column = 1
            for b in bytes[..<nul] {
                if b == 10 { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            throw ConfigErrors([ConfigError(file: file, line: line, column: column,
                message: "found a NUL byte; policy files are UTF-8 text")])
        }
        if bytes.isEmpty { bytes.append(10) }
        var result: [YAMLNode] = []
        var failure: ConfigError?
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                failure = ConfigError(file: file, line: 1, column: 1, message: "YAML parser could not start (out of memory)")
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var stack: [Frame] = []
            var nodeCount = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    failure = parserError(parser, file: file)
                    return
                }
                defer { yaml_event_delete(&event) }
                let mark = SourceLocation(line: Int(event.start_mark.line) &+ 1, column: Int(event.start_mark.column) &+ 1)
                var finished: YAMLNode?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_STREAM_START_EVENT, YAML_DOCUMENT_START_EVENT, YAML_DOCUMENT_END_EVENT, YAML_NO_EVENT:
                    continue
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    failure = ConfigError(file: file, line: mark.line, column: mark.column,
                        message: "found the YAML alias '*\(name)'; aliases are not allowed in policy files (write the value out)")
                    return
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    let value: String
                    if let p = s.value {
                        value = String(decoding: UnsafeBufferPointer(start: p, count: Int(s.length)), as: UTF8.self)
                    } else {
                        value = ""
                    }
                    finished = .scalar(value, isPlain: s.style == YAML_PLAIN_SCALAR_STYLE, mark)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if stack.count >= maximumDepth {
                        failure = ConfigError(file: file, line: mark.line, column: mark.column,
                            message: "nesting is deeper than \(maximumDepth) levels")
                        return
                    }
                    stack.append(Frame(isMapping: event.type == YAML_MAPPING_START_EVENT, location: mark))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = stack.popLast() else { continue }
                    if frame.isMapping {
                        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                        pairs.reserveCapacity(frame.items.count / 2)
                        var i = 0
                        while i + 1 < frame.items.count {
                            pairs.append((frame.items[i], frame.items[i + 1]))
                            i += 2
                        }
                        finished = .mapping(pairs, frame.location)
                    } else {
                        finished = .sequence(frame.items, frame.location)
                    }
                default:
                    continue
                }
                guard let node = finished else { continue }
                nodeCount &+= 1
                if nodeCount > maximumNodes {
                    failure = ConfigError(file: file, line: mark.line, column: mark.column,
                        message: "more than \(maximumNodes) YAML nodes")
                    return
                }
                if let top = stack.last {
                    top.items.append(node)
                } else {
                    if result.count >= maximumDocuments {
                        failure = ConfigError(file: file, line: mark.line, column: mark.column,
                            message: "more than \(maximumDocuments) documents")
                        return
                    }
                    result.append(node)
                }
            }
        }
        if let failure { throw ConfigErrors([failure]) }
        return result
    }

    private static func parserError(_ parser: yaml_parser_t, file: String) -> ConfigError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        var message = "invalid YAML: " + problem
        if let context { message += " (" + context + ")" }
        return ConfigError(file: file, line: Int(mark.line) &+ 1, column: Int(mark.column) &+ 1, message: message)
    }
}
