package io.pgroute.proxy.server;

import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRL;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;

/**
 * Verifies client certificates against {@code tls.client_ca} and the revocation lists of {@code tls.client_crl}
 * (PostgreSQL's {@code ssl_ca_file} and {@code ssl_crl_file}): a certificate whose serial a CRL of its issuer lists is
 * refused in the handshake, and so is one whose issuer has no CRL in the file, or only an expired one (as OpenSSL
 * checks the leaf with {@code X509_V_FLAG_CRL_CHECK}). The CRL file is read again when its modification time changes,
 * checked at each handshake that presents a certificate, so a CRL published by a cron job counts without a restart;
 * one that cannot be read keeps the lists read before (logged), as PostgreSQL keeps its TLS settings after a failed
 * reload.
 */
final class ClientCertificateTrust extends X509ExtendedTrustManager {

    private static final org.slf4j.Logger LOGGER = org.slf4j.LoggerFactory.getLogger(ClientCertificateTrust.class);

    private final List<X509Certificate> authorities;
    private final Path crlFile;
    private volatile Loaded loaded;
    /** Stands for a file whose modification time cannot be read (it was removed): logged once, tried every time. */
    private static final FileTime NO_TIME = FileTime.fromMillis(Long.MIN_VALUE);
    /**
     * The modification time of a rewrite that could not be read: not tried again (nor logged) until it changes; or
     * {@link #NO_TIME}.
     */
    private volatile FileTime unreadable;

    /** The trust manager built from one reading of the CRL file. */
    private record Loaded(FileTime modified, X509ExtendedTrustManager delegate) {
    }

    /** Reads {@code caFile} and {@code crlFile}; fails when either cannot be read or holds nothing usable. */
    ClientCertificateTrust(Path caFile, Path crlFile) throws IOException, GeneralSecurityException {
        this.authorities = certificates(caFile);
        if (authorities.isEmpty()) {
            throw new CertificateException("no certificate in " + caFile);
        }
        this.crlFile = crlFile;
        this.loaded = load();
    }

    private static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> result = new ArrayList<>();
            for (java.security.cert.Certificate each : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                result.add((X509Certificate) each);
            }
            return result;
        }
    }

    private Loaded load() throws IOException, GeneralSecurityException {
        FileTime modified = Files.getLastModifiedTime(crlFile);
        Collection<? extends CRL> crls;
        try (InputStream in = Files.newInputStream(crlFile)) {
            crls = CertificateFactory.getInstance("X.509").generateCRLs(in);
        }
        if (crls.isEmpty()) {
            throw new java.security.cert.CRLException("no CRL in " + crlFile);
        }
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        for (int i = 0; i < authorities.size(); i++) {
            anchors.setCertificateEntry("ca-" + i, authorities.get(i));
        }
        PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, new X509CertSelector());
        PKIXRevocationChecker revocation = (PKIXRevocationChecker) CertPathBuilder.getInstance("PKIX")
                .getRevocationChecker();
        // the lists of the file only: no OCSP, no fetching from distribution points; the client's certificate only
        revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                PKIXRevocationChecker.Option.NO_FALLBACK, PKIXRevocationChecker.Option.ONLY_END_ENTITY));
        parameters.addCertPathChecker(revocation);
        parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(new CertPathTrustManagerParameters(parameters));
        for (TrustManager each : factory.getTrustManagers()) {
            if (each instanceof X509ExtendedTrustManager extended) {
                LOGGER.info("client certificate revocation lists read from {}: {} list(s)", crlFile, crls.size());
                return new Loaded(modified, extended);
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager for PKIX");
    }

    /** The trust manager of the CRL file as it is now, read again if it changed. */
    private X509ExtendedTrustManager current() {
        Loaded now = loaded;
        FileTime modified = null;
        try {
            modified = Files.getLastModifiedTime(crlFile);
            if (!modified.equals(now.modified()) && !modified.equals(unreadable)) {
                synchronized (this) {
                    now = loaded;
                    if (!modified.equals(now.modified()) && !modified.equals(unreadable)) {
                        now = load();
                        loaded = now;
                    }
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            FileTime failed = modified == null ? NO_TIME : modified;
            if (!failed.equals(unreadable)) {  // a removed file is looked for at every handshake, logged once
                unreadable = failed;
                LOGGER.error("cannot read the client certificate revocation lists in {} ({}); keeping the ones read"
                        + " before", crlFile, e.getMessage());
            }
        }
        return now.delegate();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        current().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        current().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("pgroute verifies client certificates only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("pgroute verifies client certificates only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("pgroute verifies client certificates only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return authorities.toArray(X509Certificate[]::new);
    }
}
