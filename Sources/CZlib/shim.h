// Debian's zlib (zlib1g-dev): the signature matcher inflates gzip and deflate HTTP bodies
// before http.request_body / http.response_body / file.data are inspected.
#include <zlib.h>
