package io.pgroute.proxy.server;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pgroute.config.TlsConfig;
import io.pgroute.config.TlsMode;

import javax.net.ssl.SSLException;

/**
 * Builds the server TLS context from proxy.yaml's PEM certificate and key, advertising ALPN "postgresql" (required
 * by PostgreSQL 17 clients for direct TLS, accepted but not required after SSLRequest).
 */
final class ServerTls {

    private ServerTls() {
    }

    /**
     * The RFC 5929 tls-server-end-point channel binding of the configured certificate (for SCRAM-SHA-256-PLUS): its
     * DER encoding hashed with its signature's hash, SHA-256 for MD5/SHA-1; null when TLS is off or the signature
     * has no such hash (Ed25519).
     */
    static byte[] serverEndPoint(TlsConfig config) {
        if (config.mode() == TlsMode.DISABLE) {
            return null;
        }
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(config.certFile())) {
            java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate)
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
            return io.pgroute.protocol.auth.TlsServerEndPoint.of(cert);
        } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    /** The context, or null when TLS is disabled. */
    static SslContext build(TlsConfig config) {
        if (config.mode() == TlsMode.DISABLE) {
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(config.certFile().toFile(),
                            config.keyFile().toFile())
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            "postgresql"));
            if (config.clientCaFile() != null) {
                // asked of every client, required of none (as PostgreSQL with ssl_ca_file): auth cert decides
                if (config.clientCrlFile() != null) {
                    builder.trustManager(new ClientCertificateTrust(config.clientCaFile(), config.clientCrlFile()));
                } else {
                    builder.trustManager(config.clientCaFile().toFile());
                }
                builder.clientAuth(io.netty.handler.ssl.ClientAuth.OPTIONAL);
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load TLS certificate " + config.certFile() + " and key "
                    + config.keyFile() + ": " + e.getMessage(), e);
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot load tls.client_ca " + config.clientCaFile() + " and tls.client_crl "
                    + config.clientCrlFile() + ": " + e.getMessage(), e);
        }
    }

}
