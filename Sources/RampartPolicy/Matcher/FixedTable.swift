/// A table of plain values of fixed size, owned by the one matcher that holds it: filled
/// once, freed with its owner (no list of pointers to free by hand), and read on the hot
/// path through a plain pointer (no retain, no bounds check, no copy-on-write check).
///
/// ```swift
/// let bits = FixedTable<UInt64>([1, 2, 3])
/// bits[1]                  // 2
/// bits.pointer + 1         // for the word loops that walk a row
/// ```
struct FixedTable<Element: BitwiseCopyable>: ~Copyable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(_ values: [Element]) {
        count = values.count
        pointer = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { pointer.initialize(from: base, count: values.count) }
        }
    }

    init(repeating value: Element, count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    @inline(__always)
    subscript(_ i: Int) -> Element {
        get { pointer[i] }
        nonmutating set { pointer[i] = newValue }
    }

    deinit { pointer.deallocate() }
}
