package io.pgroute.protocol.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Locale;

/**
 * The RFC 5929 {@code tls-server-end-point} channel binding that SCRAM-SHA-256-PLUS binds an exchange to: the
 * server certificate's DER encoding hashed with the hash of its signature algorithm, SHA-256 for MD5 and SHA-1 (as
 * PostgreSQL and libpq compute it). Used by pgroute's server side (its own certificate) and by its client side
 * towards the servers (the certificate a server presented).
 */
public final class TlsServerEndPoint {

    private TlsServerEndPoint() {
    }

    /** The binding of {@code certificate}, or null when its signature names no usable hash (such as Ed25519). */
    public static byte[] of(X509Certificate certificate) {
        String algorithm = certificate.getSigAlgName().toUpperCase(Locale.ROOT);
        int with = algorithm.indexOf("WITH");
        if (with <= 0) {
            return null;
        }
        String digest = switch (algorithm.substring(0, with).replace("-", "")) {
            case "MD5", "SHA1", "SHA256" -> "SHA-256";
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            default -> null;
        };
        if (digest == null) {
            return null;
        }
        try {
            return MessageDigest.getInstance(digest).digest(certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            return null;
        }
    }
}
