package io.pgroute.proxy.backend;

import io.pgroute.protocol.auth.Md5Password;
import io.pgroute.protocol.auth.ScramKeys;
import java.util.Objects;

/**
 * What a client proved at its login to pgroute that lets pgroute log in to the servers as the same role without its
 * password (passthrough), when the servers store the same secret: the SCRAM keys (from a SCRAM exchange against
 * the role's verifier) or the md5 hash the server stores ({@code "md5" + hex(md5(password + user))}, from
 * {@code auth_query}; it answers any md5 challenge). As secret as the password; never logged.
 *
 * @param scramKeys the keys, or null
 * @param md5Hash the stored md5 hash, or null
 */
public record LoginSecret(ScramKeys scramKeys, String md5Hash) {

    public LoginSecret {
        if ((scramKeys == null) == (md5Hash == null)) {
            throw new IllegalArgumentException("exactly one of SCRAM keys and an md5 hash");
        }
        if (md5Hash != null && !Md5Password.isMd5Hash(md5Hash)) {
            throw new IllegalArgumentException("not an md5 password hash");
        }
    }

    public static LoginSecret scram(ScramKeys keys) {
        return new LoginSecret(Objects.requireNonNull(keys, "keys"), null);
    }

    public static LoginSecret md5(String storedHash) {
        return new LoginSecret(null, Objects.requireNonNull(storedHash, "storedHash"));
    }

    /** Never the secret. */
    @Override
    public String toString() {
        return scramKeys != null ? "LoginSecret[scram]" : "LoginSecret[md5]";
    }
}
