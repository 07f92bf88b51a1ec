import RampartPOSIX
import Foundation
import RampartInspect

/// The lists' file system on disk: what `IndicatorListSet` reads lists and UT1 folders
/// through.
struct DiskListFiles: ListFileSystem {
    func kind(of path: String) -> ListPathKind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        if isFolder.boolValue { return .folder }
        let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
        return type == .typeRegular || type == .typeSymbolicLink ? .file : .other
    }

    func entries(of folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
    }

    func symbolicLinkTarget(of path: String) -> String? {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return try? FileManager.default.destinationOfSymbolicLink(atPath: trimmed)
    }

    func contents(of file: String) throws -> [UInt8] {
        do { return try readFileBytes(file, limit: 4 << 30) } catch let error as FileReadError { throw ListReadError(error.reason) }
    }
}

/// Why a list could not be read (the path is added by the loader).
struct ListReadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
