// OpenSSL's TLS client (HTTPS, TCP-with-TLS and gRPC-with-TLS health checks), as Swift sees it.
// Only LiveRuntime imports this module. Shims for what Swift cannot call: macros.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

static inline long consul_ssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

static inline long consul_bio_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}
