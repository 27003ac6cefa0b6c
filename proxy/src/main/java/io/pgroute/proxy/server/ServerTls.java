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

    /** The context, or null when TLS is disabled. */
    static SslContext build(TlsConfig config) {
        if (config.mode() == TlsMode.DISABLE) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(config.certFile().toFile(), config.keyFile().toFile())
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            "postgresql"))
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot load TLS certificate " + config.certFile() + " and key "
                    + config.keyFile() + ": " + e.getMessage(), e);
        }
    }

}
