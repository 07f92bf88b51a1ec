// Non-variadic wrappers around libcurl's easy interface: Swift cannot call C variadic
// functions such as curl_easy_setopt directly.
#ifndef RAMPART_CCURL_H
#define RAMPART_CCURL_H
#include <curl/curl.h>
#include <stddef.h>

typedef size_t (*ccurl_write_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*ccurl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

CURLcode ccurl_global_init(void);
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// Copies `data` (a PEM certificate, key or CA bundle held in memory) into the handle.
CURLcode ccurl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length);
CURLcode ccurl_setopt_write(CURL *handle, ccurl_write_callback callback, void *context);
CURLcode ccurl_setopt_header(CURL *handle, ccurl_write_callback callback, void *context);
CURLcode ccurl_setopt_progress(CURL *handle, ccurl_progress_callback callback, void *context);
long ccurl_response_code(CURL *handle);
#endif
