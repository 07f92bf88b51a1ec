// Debian's Vectorscan (libvectorscan-dev; Hyperscan's portable fork, same API): the
// signature matcher's multi-pattern prefilter compiles each rule set's fast patterns into
// block-mode databases and scans buffers with them.
#include <hs/hs.h>
