package io.pgroute.proxy.tls;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;

/**
 * What the other end of a TLS connection presented: a client's certificate ({@code auth: cert}) or a server's
 * (the channel binding of pgroute's SCRAM-SHA-256-PLUS towards it).
 */
public final class TlsPeer {

    private TlsPeer() {
    }

    /** Whether the connection of {@code pipeline} is on TLS. */
    public static boolean encrypted(ChannelPipeline pipeline) {
        return pipeline.get(SslHandler.class) != null;
    }

    /** The certificate the peer presented (and the handshake verified, where it verifies), if any. */
    public static Optional<X509Certificate> certificate(ChannelPipeline pipeline) {
        SslHandler tls = pipeline.get(SslHandler.class);
        if (tls == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate certificate ? Optional.of(certificate)
                    : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /** The subject's common name (its last CN, as PostgreSQL reads it), or null. */
    public static String commonName(X509Certificate certificate) {
        try {
            String result = null;
            for (Rdn each : new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253))
                    .getRdns()) {
                if (each.getType().equalsIgnoreCase("CN")) {
                    result = String.valueOf(each.getValue());
                }
            }
            return result;
        } catch (InvalidNameException e) {
            return null;
        }
    }
}
