package io.pgroute.config;

import java.util.List;
import java.util.Objects;

/**
 * A user that clients may log in to pgroute as ({@code users.<name>}). A user has either a plaintext password or
 * a SCRAM-SHA-256 verifier (which pgroute cannot turn back into a password), unless its method is
 * {@link AuthMethod#TRUST}, {@link AuthMethod#PEER} or {@link AuthMethod#CERT}. {@link #toString()} never shows secrets.
 *
 * @param name the user name clients send in their startup message (the key in {@code users:})
 * @param password the plaintext password, or null
 * @param scramVerifier a SCRAM-SHA-256 verifier in PostgreSQL's {@code pg_authid} format, or null
 * @param auth how clients are authenticated, default {@link AuthMethod#SCRAM_SHA_256}
 * @param admin whether this user may open the admin console (database {@code pgroute}), default false
 * @param addresses where the user may connect from, or null: anywhere
 * @param maxClients how many client connections the user may have at once; 0: no limit of its own
 */
public record UserConfig(String name, String password, String scramVerifier, AuthMethod auth, boolean admin,
        List<AddressRange> addresses, int maxClients) {

    /** Checks the name and method are present. */
    public UserConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(auth, "auth");
        addresses = addresses == null ? null : List.copyOf(addresses);
    }

    /** A user that may connect from anywhere. */
    public UserConfig(String name, String password, String scramVerifier, AuthMethod auth, boolean admin) {
        this(name, password, scramVerifier, auth, admin, null, 0);
    }

    /** Whether a client at {@code address} (null: on pgroute's Unix-domain socket) may log in as this user. */
    public boolean allowedFrom(java.net.InetAddress address) {
        return AddressRange.allows(addresses, address);
    }

    @Override
    public String toString() {
        return "UserConfig[name=" + name + ", password=" + (password == null ? "null" : "***") + ", scramVerifier="
                + (scramVerifier == null ? "null" : "***") + ", auth=" + auth + ", admin=" + admin + ", addresses="
                + addresses + ", maxClients=" + maxClients + "]";
    }

    static UserConfig read(String name, MappingReader reader) {
        boolean hasPassword = reader.has("password");
        boolean hasVerifier = reader.has("scram_verifier");
        String password = nonEmpty(reader, "password");
        String verifier = nonEmpty(reader, "scram_verifier");
        AuthMethod auth = reader.choice("auth", AuthMethod.class, AuthMethod.SCRAM_SHA_256);
        boolean admin = reader.bool("admin", false);
        List<AddressRange> addresses = AddressRange.readList(reader, "addresses");
        int maxClients = reader.integer("max_clients", 0, 1, Integer.MAX_VALUE);
        reader.finish();
        if (verifier != null && !ScramVerifierFormat.isValid(verifier)) {
            reader.problem("scram_verifier", "must be " + ScramVerifierFormat.DESCRIPTION
                    + " with 32-byte keys in base64");
        }
        if (hasPassword && hasVerifier) {
            reader.problem("password and scram_verifier are mutually exclusive");
        } else if (!hasPassword && !hasVerifier && !auth.asksNoPassword()) {
            reader.problem("password or scram_verifier is required");
        } else if (hasVerifier && auth == AuthMethod.MD5) {
            reader.problem("auth md5 needs a password; a scram_verifier only works with scram-sha-256");
        } else if (hasVerifier && auth != AuthMethod.SCRAM_SHA_256) {
            reader.problem("scram_verifier", "only works with auth scram-sha-256 (auth "
                    + MappingReader.yamlName(auth) + " asks for no password)");
        }
        return new UserConfig(name, password, verifier, auth, admin, addresses, maxClients);
    }

    private static String nonEmpty(MappingReader reader, String key) {
        String result = reader.string(key).orElse(null);
        if (result != null && result.isEmpty()) {
            reader.problem(key, "must not be empty");
            return null;
        }
        return result;
    }
}
