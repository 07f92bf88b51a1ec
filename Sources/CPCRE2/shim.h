// Debian's PCRE2 (libpcre2-dev), 8-bit code units: the regular expressions of Suricata
// rules' `pcre` keyword are compiled with it to check them when a rule set loads.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
