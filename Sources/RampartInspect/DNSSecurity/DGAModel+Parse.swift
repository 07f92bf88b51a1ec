extension DGAModel {
    /// Reads a model in the text form `scripts/dga/train.py` writes: `key value...` lines
    /// (`version 1`, `buckets`, `features`, `scale`, `bias`, `dense` with one weight per
    /// feature, `weights` lines of int8 hex, `markov SYMBOLS SCALE`, `transitions` lines of
    /// hex), `#` comments. Refuses anything else with its line, never traps.
    public static func parse(_ text: String) -> Result<DGAModel, DGAModelProblem> {
        var version = 0, buckets = 0, features = 0, symbols = 0
        var scale = 0.0, bias = 0.0, markovScale = 0.0
        var dense: [Double] = []
        var weights: [Int8] = []
        var transitions: [Int8] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ")
            let key = String(words[0])
            let values = words.dropFirst()
            func number(_ i: Int) -> Double? {
                guard i < values.count, let v = Double(values[values.startIndex + i]), v.isFinite else { return nil }
                return v
            }
            func fail(_ message: String) -> Result<DGAModel, DGAModelProblem> {
                .failure(DGAModelProblem(line: lineNumber, "\(key): \(message)"))
            }
            switch key {
            case "version":
                guard values.count == 1, number(0) == 1 else { return fail("only version 1 is known") }
                version = 1
            case "buckets":
                guard values.count == 1, let v = number(0), v >= 16, v <= 65536, v == v.rounded() else {
                    return fail("expected a count of 16...65536")
                }
                buckets = Int(v)
            case "features":
                guard values.count == 1, number(0) == Double(denseCount) else { return fail("expected \(denseCount)") }
                features = denseCount
            case "scale", "bias":
                guard values.count == 1, let v = number(0) else { return fail("expected one number") }
                if key == "scale" { scale = v } else { bias = v }
            case "dense":
                guard values.count == denseCount else { return fail("expected \(denseCount) numbers") }
                dense = []
                for i in 0..<denseCount {
                    guard let v = number(i) else { return fail("value \(i + 1) is not a number") }
                    dense.append(v)
                }
            case "markov":
                guard values.count == 2, number(0) == Double(alphabetSymbols), let v = number(1) else {
                    return fail("expected \(alphabetSymbols) and a scale")
                }
                symbols = alphabetSymbols
                markovScale = v
            case "weights", "transitions":
                guard values.count == 1, let bytes = hexBytes(values[values.startIndex]) else {
                    return fail("expected one run of hex digit pairs")
                }
                if key == "weights" { weights += bytes } else { transitions += bytes }
                guard weights.count <= 65536, transitions.count <= alphabetSymbols * alphabetSymbols else {
                    return fail("more values than the model holds")
                }
            default:
                return .failure(DGAModelProblem(line: lineNumber, "unknown key '\(key)'"))
            }
        }
        // Whole-model problems are reported at the end of the text.
        func missing(_ what: String) -> Result<DGAModel, DGAModelProblem> {
            .failure(DGAModelProblem(line: lineNumber, what))
        }
        guard version == 1 else { return missing("no 'version 1' line") }
        guard buckets > 0, features == denseCount, dense.count == denseCount, symbols > 0 else {
            return missing("buckets, features, dense and markov are all required")
        }
        guard weights.count == buckets else { return missing("\(weights.count) weights for \(buckets) buckets") }
        guard transitions.count == symbols * symbols else {
            return missing("\(transitions.count) transitions for \(symbols)×\(symbols)")
        }
        return .success(DGAModel(buckets: buckets, scale: scale, bias: bias, dense: dense, weights: weights,
                                 symbols: symbols, markovScale: markovScale, transitions: transitions))
    }

    /// Pairs of hex digits as signed bytes (two's complement), or nil.
    static func hexBytes(_ text: Substring) -> [Int8]? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count % 2 == 0 else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [Int8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = digit(utf8[i]), let lo = digit(utf8[i + 1]) else { return nil }
            out.append(Int8(bitPattern: hi << 4 | lo))
            i += 2
        }
        return out
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
