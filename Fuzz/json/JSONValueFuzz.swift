// libFuzzer target for RampartJSON's parser, both modes (`.lastWins` for CNI documents,
// `.reject` for the firewall's tag bodies and other control APIs). Built by
// Fuzz/json/build.sh as one module with Sources/RampartJSON. Properties checked:
//   - neither mode traps; a refusal has a line and column inside the input and a reason;
//   - `.reject` accepts exactly what `.lastWins` accepts without a repeated member name,
//     with the same value, and refuses the rest with "appears twice";
//   - serialise -> parse gives back the accepted value (equal, same hash), and serialising
//     that gives the same text (a fixed point), in both modes;
//   - the number accessors never trap.

/// Whether some object in `value` has two members with the same (String-equal) name.
func hasDuplicateNames(_ value: JSONValue) -> Bool {
    switch value {
    case .array(let items): return items.contains(where: hasDuplicateNames)
    case .object(let members):
        var names = Set<String>()
        for (name, member) in members {
            if !names.insert(name).inserted || hasDuplicateNames(member) { return true }
        }
        return false
    default: return false
    }
}

func touchNumbers(_ value: JSONValue) {
    switch value {
    case .number:
        _ = value.intValue
        _ = value.integer(UInt8.self)
        _ = value.integer(Int64.self, in: 1 ... (1 << 53) - 1)
    case .array(let items): items.forEach(touchNumbers)
    case .object(let members): members.forEach { touchNumbers($0.1) }
    default: break
    }
}

func checkRefusal(_ error: JSONParseError, _ bytes: [UInt8], _ mode: String) {
    let lines = bytes.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
    precondition(error.line >= 1 && error.line <= lines && error.column >= 1 && error.column <= bytes.count + 1,
                 "\(mode): refusal at line \(error.line), column \(error.column) outside the input (\(bytes.count) bytes, \(lines) lines)")
    precondition(!error.reason.isEmpty, "\(mode): refusal without a reason")
}

func checkRoundTrip(_ value: JSONValue, _ mode: JSONValue.DuplicateKeys) {
    let text = value.serialized()
    let again: JSONValue
    do { again = try JSONValue.parse(Array(text.utf8), duplicateKeys: mode) } catch {
        fatalError("\(mode): the serialised value does not parse: \(error)\n\(text.prefix(400))")
    }
    precondition(again == value, "\(mode): serialise -> parse changed the value\n\(text.prefix(400))")
    precondition(again.hashValue == value.hashValue, "\(mode): equal values hash differently")
    precondition(again.serialized() == text, "\(mode): serialising is not a fixed point\n\(text.prefix(400))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lastWins: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in try JSONValue.parse(bytes) }
    let strict: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in
        try JSONValue.parse(bytes, duplicateKeys: .reject)
    }
    switch lastWins {
    case .success(let value):
        touchNumbers(value)
        checkRoundTrip(value, .lastWins)
        switch strict {
        case .success(let same):
            precondition(same == value, "the modes accept different values")
            precondition(!hasDuplicateNames(same), ".reject accepted a repeated member name")
            checkRoundTrip(same, .reject)
        case .failure(let error):
            checkRefusal(error, bytes, ".reject")
            precondition(error.reason.contains("appears twice"), ".reject refused what .lastWins accepts, not for a repeated name: \(error)")
            precondition(hasDuplicateNames(value), ".reject refused a repeated name, but no object repeats one: \(error)")
        }
    case .failure(let error):
        checkRefusal(error, bytes, ".lastWins")
        if case .success = strict { fatalError(".reject accepted what .lastWins refuses (\(error))") }
        if case .failure(let other) = strict { checkRefusal(other, bytes, ".reject") }
    }
    return 0
}
