// The system's libyaml (Debian: libyaml-dev), the tokenizer under the policy's own YAML
// reader. Taken from the system rather than from the Yams package: only the C library was
// used, and Yams's Swift half linked Foundation's bridging, and with it ICU's 34 MB of
// locale data, into every daemon.
#include <yaml.h>
