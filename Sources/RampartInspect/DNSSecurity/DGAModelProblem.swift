/// Why a DGA model's text was refused: the line (1-based) and what was wrong there.
///
/// ```swift
/// if case .failure(let problem) = DGAModel.parse(text) { print(problem) }   // "line 9: weights: not hex"
/// ```
public struct DGAModelProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
