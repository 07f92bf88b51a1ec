import RampartWire

/// The identity a session was decided with: each end's tag set, held by handle.
///
/// Records are written when a session ends, often long after its verdict; an address can be
/// tagged again in between (a pod replaced and its address given to another). The engine
/// holds each end's tag set when it decides, so the record names the pod the verdict was
/// about, and lets go when the session ends.
///
/// ```swift
/// let held = matcher.holdTags(of: client)      // at the decision
/// matcher.setTags([newPod], for: client)        // later: the address changes hands
/// matcher.tags(inSet: held)                     // still the tags decided on
/// matcher.releaseTags(held)                     // the session ended
/// ```
extension PolicyMatcher {
    /// The handle of the tag set `address` holds now, with one more reference (0: no tags,
    /// nothing to release). One hash probe when any address is tagged, none otherwise.
    @inline(__always)
    public func holdTags(of address: IPAddress) -> UInt32 {
        guard !tagsByAddress.isEmpty, let set = tagsByAddress[address] else { return TagSetTable.empty }
        tagSets.retain(set)
        return set
    }

    /// One more reference to a held set (a summary keeping a session's identity after the
    /// session ended); returns the same handle.
    @inline(__always)
    public func holdTags(inSet set: UInt32) -> UInt32 {
        tagSets.retain(set)
        return set
    }

    /// Lets go of a handle `holdTags` or `adoptTags` returned.
    @inline(__always)
    public func releaseTags(_ set: UInt32) {
        if set != TagSetTable.empty { releaseSet(set) }
    }

    /// Lets go of a set; forgets the tags no live set holds any more (their ids are reused).
    func releaseSet(_ set: UInt32) {
        for id in tagSets.release(set) {
            let tag = tagNames[Int(id)]
            if tagIDs[tag] == id { tagIDs[tag] = nil }
            tagNames[Int(id)] = Tag.released
            freeTagIDs.append(id)
        }
    }

    /// The tags of a held set, in the order they were given (cold path, for records).
    public func tags(inSet set: UInt32) -> [Tag] {
        tagSets.ids(of: set).map { tagNames[Int($0)] }
    }

    /// A set held in `other` (the matcher before a reload), held here too: the same tags,
    /// interned in this matcher, with one reference. `other`'s reference is not released.
    public func adoptTags(_ set: UInt32, from other: PolicyMatcher) -> UInt32 {
        guard set != TagSetTable.empty else { return TagSetTable.empty }
        return tagSets.intern(other.tags(inSet: set).map(tagID))
    }

    /// A tag's id in this matcher, a new one the first time it is seen.
    func tagID(_ tag: Tag) -> UInt32 {
        if let id = tagIDs[tag] { return id }
        let id: UInt32
        if let reused = freeTagIDs.popLast() {
            id = reused
            tagNames[Int(id)] = tag
        } else {
            id = UInt32(tagNames.count)
            tagNames.append(tag)
        }
        tagIDs[tag] = id
        return id
    }

    /// Room for `additional` more tagged addresses (and as many new tags and tag sets) in the
    /// cold-path tables, grown at once instead of one rehash at a time as a big batch lands.
    public func reserveTags(_ additional: Int) {
        tagsByAddress.reserveCapacity(tagsByAddress.count + additional)
        tagIDs.reserveCapacity(tagIDs.count + additional)
        tagNames.reserveCapacity(tagNames.count + additional)
        tagSets.reserveCapacity(tagSets.count + additional)
    }

    /// Tag sets held by addresses or sessions (a gauge: it falls as sessions end).
    public var heldTagSetCount: Int { tagSets.count }

    /// Tags interned now (held by a live tag set), for tests and memory figures.
    public var internedTagCount: Int { tagIDs.count }

    /// How many holders a set has (addresses and sessions), for tests.
    public func holders(ofTagSet set: UInt32) -> Int { Int(tagSets.referenceCount(set)) }
}
