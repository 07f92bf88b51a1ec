// A software prefetch for Swift, which has no intrinsic for it (clang's _mm_prefetch is a
// macro, and its _m_prefetch declaration is dropped by the Swift importer). The indicator
// store starts the table loads of the next names of a batch while it looks up this one, so
// their cache misses overlap (docs/PERFORMANCE.md, "Indicator store").
#ifndef RAMPART_PREFETCH_H
#define RAMPART_PREFETCH_H

// Asks for the cache line holding `address` to be loaded into every cache level, to be
// read (not written) soon. A hint: it never faults, whatever the address.
static inline __attribute__((always_inline)) void rampart_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
