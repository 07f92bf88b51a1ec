// Debian's YARA (libyara-dev): files found in HTTP bodies and mail attachments are scanned
// with the firewall's YARA rules (compiled once, each file's bounded head scanned).
#include <yara.h>

// YR_RULE's identifier sits in a union Swift imports awkwardly: read it here.
static inline const char *rampart_yara_rule_identifier(const YR_RULE *rule) { return rule->identifier; }
