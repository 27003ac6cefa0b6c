package io.pgroute.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS between clients and pgroute ({@code tls:}). When the mode is not {@link TlsMode#DISABLE} the certificate
 * chain and private key (PEM) must exist; relative paths are resolved against the configuration file's directory.
 *
 * @param mode whether TLS is off, offered or required; default {@link TlsMode#DISABLE}
 * @param certFile PEM certificate chain, null when disabled
 * @param keyFile PEM private key (PKCS#8), null when disabled
 * @param clientCaFile PEM certificates of the CAs whose client certificates pgroute accepts (asked for, not
 *     required, of every TLS client; {@code auth: cert} users need one); null: no client certificates
 * @param clientCrlFile PEM (or DER) certificate revocation lists of those CAs: a client certificate they list, or
 *     whose issuer has no valid list there, is refused; null: no revocation check
 */
public record TlsConfig(TlsMode mode, Path certFile, Path keyFile, Path clientCaFile, Path clientCrlFile) {

    /** TLS without client certificates. */
    public TlsConfig(TlsMode mode, Path certFile, Path keyFile) {
        this(mode, certFile, keyFile, null, null);
    }

    /** TLS with client certificates and no revocation lists. */
    public TlsConfig(TlsMode mode, Path certFile, Path keyFile, Path clientCaFile) {
        this(mode, certFile, keyFile, clientCaFile, null);
    }

    /** Checks that the mode is present and that files are given unless TLS is disabled. */
    public TlsConfig {
        Objects.requireNonNull(mode, "mode");
        if (mode != TlsMode.DISABLE && (certFile == null || keyFile == null)) {
            throw new IllegalArgumentException("TLS mode " + mode + " needs a certificate and a key");
        }
    }

    /** TLS disabled. */
    public static TlsConfig disabled() {
        return new TlsConfig(TlsMode.DISABLE, null, null, null, null);
    }

    static TlsConfig read(MappingReader reader, Path baseDir) {
        TlsMode mode = reader.choice("mode", TlsMode.class, TlsMode.DISABLE);
        Path cert = file(reader, "cert", baseDir, mode != TlsMode.DISABLE);
        Path key = file(reader, "key", baseDir, mode != TlsMode.DISABLE);
        Path clientCa = reader.has("client_ca") ? file(reader, "client_ca", baseDir, mode != TlsMode.DISABLE) : null;
        Path clientCrl = reader.has("client_crl") ? file(reader, "client_crl", baseDir, mode != TlsMode.DISABLE)
                : null;
        if (clientCrl != null && !reader.has("client_ca")) {
            reader.problem("client_crl", "needs tls.client_ca: the revocation lists are those of its CAs");
        }
        reader.finish();
        if (cert == null || key == null) {
            return disabled();
        }
        return new TlsConfig(mode, cert, key, clientCa, clientCrl);
    }

    private static Path file(MappingReader reader, String key, Path baseDir, boolean required) {
        if (!required) {
            reader.string(key);
            return null;
        }
        if (!reader.has(key)) {
            reader.problem(key, "is required when tls.mode is not disable");
            return null;
        }
        String name = reader.requiredString(key).orElse(null);
        if (name == null) {
            return null;
        }
        Path result = baseDir.resolve(name).normalize();
        if (!Files.isRegularFile(result)) {
            reader.problem(key, "file not found: " + result);
        } else if (!Files.isReadable(result)) {
            reader.problem(key, "file not readable: " + result);
        }
        return result;
    }
}
