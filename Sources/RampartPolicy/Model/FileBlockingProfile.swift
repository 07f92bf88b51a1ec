/// A file blocking and antivirus profile: what to do with the files seen in the sessions its
/// rules allow, by type and direction, and by verdict (a hash-list or YARA hit).
///
/// ```yaml
/// fileBlockingProfiles:
///   - name: no-executables
///     fileTypes: [{types: [pe, elf], direction: download, action: block}]
///     verdicts: {malicious: block}
/// ```
public struct FileBlockingProfile: Hashable, Sendable {
    public var name: String
    /// In order: the first entry naming a file's type and direction decides.
    public var fileTypes: [FileTypeRule]
    public var verdicts: [FileVerdict: FileAction]

    public init(name: String, fileTypes: [FileTypeRule] = [], verdicts: [FileVerdict: FileAction] = [:]) {
        self.name = name
        self.fileTypes = fileTypes
        self.verdicts = verdicts
    }
}

/// One entry of `fileTypes`. Type names are the file engine's (`pe`, `elf`, `pdf`, ...);
/// the policy does not check them, so a type the engine learns later needs no policy change.
public struct FileTypeRule: Hashable, Sendable {
    public var types: [String]
    public var direction: FileDirection
    public var action: FileAction

    public init(types: [String], direction: FileDirection, action: FileAction) {
        self.types = types
        self.direction = direction
        self.action = action
    }
}

/// Which way a file travels: `upload` from the client, `download` to it.
public enum FileDirection: String, Hashable, Sendable, CaseIterable {
    case upload, download, both
}

/// What a file blocking profile does with a file.
public enum FileAction: String, Hashable, Sendable, CaseIterable {
    case allow, alert, block
}

/// What the file engine concluded about a file's content.
public enum FileVerdict: String, Hashable, Sendable, CaseIterable {
    /// A listed hash or a YARA rule matched.
    case malicious
}
