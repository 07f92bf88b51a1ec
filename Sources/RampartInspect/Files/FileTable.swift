/// One worker's files in flight: each slot hashes its file as the bytes come (MD5 and
/// SHA-256, streaming), keeps its first bytes (to tell its type, and for YARA), inflates a
/// gzip/deflate body on the way (a pool of zlib states), and, at its end, checks the hash
/// lists and the YARA rules.
///
/// Every table is sized once (`FileConfiguration`): a file that finds no slot is not
/// tracked, and counted. Slots are indices; the bytes live in one arena mapped on demand.
final class FileTable {
    /// How a file's bytes arrive.
    enum Encoding: UInt8 { case identity, deflate }

    /// What a file's end found.
    enum State: UInt8 { case open, closed, truncated }

    struct Slot {
        var md5 = MD5()
        var sha256 = SHA256()
        var size: UInt64 = 0
        /// Bytes kept at the slot's buffer (the file's first ones).
        var buffered = 0
        var type: FileType?
        /// The type its first two bytes already give (`MZ`), before the magic is worded.
        var earlyType: FileType?
        var magic: StaticString = "data"
        var toServer = false
        var txID: UInt32 = 0
        var nameLength = 0
        var inflater: Int16 = -1
        /// Past `maxFileBytes`: no longer hashed.
        var truncated = false
        /// The inflater failed: what came after is not the file's content.
        var inflateError = false
        var inUse = false
        /// A file blocking profile has judged its type.
        var typeChecked = false
        /// Which session state opened it (checked on close, against reuse).
        var owner: Int32 = -1
    }

    static let nameBytes = 256
    let configuration: FileConfiguration
    let inspection: FileInspection
    var slots: [Slot]
    var freeSlots: [Int32]
    let bufferBytes: Int
    let slotBytes: Int
    let arena: DetectionArena
    var inflaters: [StreamInflater]
    var freeInflaters: [Int16]
    let yara: YaraScanner?
    /// Files opened, closed (with a record), refused (no slot), found malicious.
    var opened: UInt64 = 0
    var refused: UInt64 = 0
    var inflatersRefused: UInt64 = 0
    var malicious: UInt64 = 0

    init(configuration: FileConfiguration, inspection: FileInspection) {
        self.configuration = configuration
        self.inspection = inspection
        let count = max(1, configuration.maxFiles)
        slots = [Slot](repeating: Slot(), count: count)
        freeSlots = (0..<Int32(count)).reversed().map { $0 }
        bufferBytes = inspection.yara == nil ? FileType.headBytes : max(FileType.headBytes, configuration.scanBytes)
        slotBytes = FileTable.nameBytes + bufferBytes
        arena = DetectionArena(byteCount: count * slotBytes)
        let inflaterCount = max(0, configuration.inflaters)
        inflaters = (0..<inflaterCount).map { _ in StreamInflater() }
        freeInflaters = (0..<Int16(inflaterCount)).reversed().map { $0 }
        yara = inspection.yara.map { YaraScanner(rules: $0) }
    }

    @inline(__always) func name(_ slot: Int32) -> UnsafeMutableRawPointer { arena.bytes + Int(slot) * slotBytes }
    @inline(__always) func buffer(_ slot: Int32) -> UnsafeMutableRawPointer { name(slot) + FileTable.nameBytes }

    /// A slot for a new file; -1 when every slot is taken (the caller counts the limit).
    /// `name` is the file's name as the protocol gave it (cut at 256 bytes).
    func open(owner: Int32, toServer: Bool, txID: UInt32, name: UnsafeRawBufferPointer, encoding: Encoding) -> Int32 {
        guard let slot = freeSlots.popLast() else {
            refused &+= 1
            return -1
        }
        opened &+= 1
        var s = Slot()
        s.inUse = true
        s.owner = owner
        s.toServer = toServer
        s.txID = txID
        s.nameLength = min(name.count, FileTable.nameBytes)
        if s.nameLength > 0 { self.name(slot).copyMemory(from: name.baseAddress!, byteCount: s.nameLength) }
        if encoding == .deflate {
            if let i = freeInflaters.popLast() {
                s.inflater = i
                inflaters[Int(i)].reset()
            } else {
                inflatersRefused &+= 1
            }
        }
        slots[Int(slot)] = s
        return slot
    }

    /// The file's next bytes as they came (inflated here when it is compressed).
    func write(_ slot: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard slot >= 0, slots[Int(slot)].inUse, !bytes.isEmpty else { return }
        let i = slots[Int(slot)].inflater
        guard i >= 0 else {
            append(slot, bytes)
            return
        }
        guard !slots[Int(slot)].inflateError else { return }
        let inflater = inflaters[Int(i)]
        if !inflater.feed(bytes, to: self, slot: slot) { slots[Int(slot)].inflateError = true }
    }

    /// Content bytes of the file: hashed, counted, the first ones kept.
    func append(_ slot: Int32, _ bytes: UnsafeRawBufferPointer) {
        let s = Int(slot)
        guard !slots[s].truncated else { return }
        if slots[s].size + UInt64(bytes.count) > UInt64(configuration.maxFileBytes) {
            slots[s].truncated = true
            return
        }
        slots[s].md5.update(bytes)
        slots[s].sha256.update(bytes)
        slots[s].size += UInt64(bytes.count)
        let room = bufferBytes - slots[s].buffered
        if room > 0 {
            let take = min(room, bytes.count)
            (buffer(slot) + slots[s].buffered).copyMemory(from: bytes.baseAddress!, byteCount: take)
            slots[s].buffered += take
        }
        if slots[s].type == nil { identify(slot, complete: false) }
    }

    func identify(_ slot: Int32, complete: Bool) {
        let s = Int(slot)
        let head = UnsafeRawBufferPointer(start: buffer(slot), count: min(slots[s].buffered, FileType.headBytes))
        if let found = FileType.identifyWithMagic(head, complete: complete) {
            slots[s].type = found.type
            slots[s].magic = found.magic
        } else if slots[s].earlyType == nil {
            slots[s].earlyType = FileType.early(head)
        }
    }

    /// The file's type once its first bytes have told it.
    func type(_ slot: Int32) -> FileType? {
        slot >= 0 && slots[Int(slot)].inUse ? slots[Int(slot)].type ?? slots[Int(slot)].earlyType : nil
    }

    /// What a file's end found, for its record.
    struct Result {
        var state: State
        var size: UInt64
        var type: FileType
        var magic: StaticString
        var md5: MD5.Digest?
        var sha256: SHA256.Digest?
        var toServer: Bool
        var txID: UInt32
        /// The hash list entry that named it, and the YARA rules it matched.
        var hashListEntry: String?
        var yaraRules: [String]
        var name: String
        var malicious: Bool { hashListEntry != nil || !yaraRules.isEmpty }
        /// Whether its type was judged while it was open (not again at its end).
        var typeChecked = false
        /// What a file blocking profile did: `allowed`, or `blocked`; the profile's name and
        /// its action (`alert`, `block`) when one applied.
        var action = "allowed"
        var profile: String?
        var profileAction: String?
    }

    /// Ends a file: `complete` when its protocol said where it ends, false when the session
    /// ended first. Frees the slot.
    func close(_ slot: Int32, complete: Bool) -> Result? {
        guard slot >= 0, slots[Int(slot)].inUse else { return nil }
        let s = Int(slot)
        if slots[s].inflater >= 0 {
            freeInflaters.append(slots[s].inflater)
            slots[s].inflater = -1
        }
        if slots[s].type == nil { identify(slot, complete: true) }
        var slotState = slots[s]
        slots[s].inUse = false
        freeSlots.append(slot)
        // A body that failed to inflate is not the file's content past that point: cut.
        let state: State = complete && !slotState.truncated && !slotState.inflateError ? .closed : .truncated
        var result = Result(
            state: state, size: slotState.size, type: slotState.type ?? .unknown, magic: slotState.magic,
            md5: nil, sha256: nil, toServer: slotState.toServer, txID: slotState.txID, hashListEntry: nil, yaraRules: [],
            name: String(decoding: UnsafeRawBufferPointer(start: name(slot), count: slotState.nameLength), as: UTF8.self))
        result.typeChecked = slotState.typeChecked
        if state == .closed {
            let md5 = slotState.md5.finish()
            let sha256 = slotState.sha256.finish()
            result.md5 = md5
            result.sha256 = sha256
            result.hashListEntry = inspection.hashes.match(sha256: sha256, md5: md5)
        }
        // YARA reads the bytes kept (the whole file when it fit): a cut file is scanned too.
        if let yara, slotState.buffered > 0,
           yara.scan(UnsafeRawBufferPointer(start: buffer(slot), count: slotState.buffered)) > 0 {
            result.yaraRules = yara.names
        }
        if result.malicious { malicious &+= 1 }
        return result
    }
}

/// A file that ended, for the engine to write.
typealias EndedFile = FileTable.Result
