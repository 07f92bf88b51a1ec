// The system's OpenSSL (Debian: libssl-dev), under RampartHTTP's TLS listeners.
//
// Swift cannot call C macros that take arguments, and OpenSSL spells much of its API that
// way (SSL_CTX_set_min_proto_version, SSL_CTX_set_mode, the typed stacks of
// subjectAltName, OPENSSL_free). Each one used is wrapped below in a small static inline
// function of the same meaning, so the Swift side sees plain, typed C functions.
#ifndef RAMPART_COPENSSL_SHIM_H
#define RAMPART_COPENSSL_SHIM_H
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// TLS 1.2 is the oldest version a listener accepts (1.0 and 1.1 are broken or deprecated).
static inline int rampart_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// Partial writes (a non-blocking socket takes what it can), a retried write may come from
/// a moved buffer (Swift arrays move), and idle connections give their buffers back.
static inline void rampart_ssl_ctx_set_nonblocking_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

/// No renegotiation (a client could make the server redo handshakes at will) and no
/// compression (CRIME).
static inline void rampart_ssl_ctx_set_hardening_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

static inline int rampart_ssl_filetype_pem(void) { return SSL_FILETYPE_PEM; }

/// The verified peer certificate of an established connection (a new reference), or NULL.
static inline X509 *rampart_ssl_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }

/// Whether the reason of a failed handshake is that the client spoke plain HTTP.
static inline int rampart_err_is_http_request(unsigned long error) {
    return ERR_GET_LIB(error) == ERR_LIB_SSL && ERR_GET_REASON(error) == SSL_R_HTTP_REQUEST;
}

/// Whether a key failed to load because it is not the certificate's.
static inline int rampart_err_is_key_mismatch(unsigned long error) {
    return ERR_GET_LIB(error) == ERR_LIB_X509 && ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH;
}

/// The first DNS name of a certificate's subjectAltName, copied into `out` (NUL-terminated);
/// its length, or -1 when there is none or it does not fit.
static inline int rampart_x509_first_dns_name(X509 *certificate, char *out, int capacity) {
    GENERAL_NAMES *names = X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return -1;
    int length = -1;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type != GEN_DNS) continue;
        const unsigned char *data = ASN1_STRING_get0_data(name->d.dNSName);
        int size = ASN1_STRING_length(name->d.dNSName);
        if (size >= 0 && size < capacity) {
            memcpy(out, data, (size_t)size);
            out[size] = 0;
            length = size;
        }
        break;
    }
    GENERAL_NAMES_free(names);
    return length;
}

/// The subject's common name (the last CN, as X.509 path validation reads it), copied into
/// `out` (NUL-terminated, UTF-8); its length, or -1 when there is none or it does not fit.
static inline int rampart_x509_common_name(X509 *certificate, char *out, int capacity) {
    X509_NAME *subject = X509_get_subject_name(certificate);
    if (subject == NULL) return -1;
    int index = -1, last = -1;
    while ((index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0) last = index;
    if (last < 0) return -1;
    unsigned char *utf8 = NULL;
    int size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)));
    int length = -1;
    if (size >= 0 && size < capacity) {
        memcpy(out, utf8, (size_t)size);
        out[size] = 0;
        length = size;
    }
    OPENSSL_free(utf8);
    return length;
}
#endif
