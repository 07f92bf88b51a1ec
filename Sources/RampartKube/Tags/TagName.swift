import RampartPolicy

/// The policy language's rule for tag names, applied before a tag leaves the watcher.
enum TagName {
    static func isValid(_ text: String) -> Bool { Tag.problem(in: text) == nil }
}
