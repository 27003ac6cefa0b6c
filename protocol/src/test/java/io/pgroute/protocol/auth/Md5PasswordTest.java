package io.pgroute.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Md5PasswordTest {

    private static final byte[] SALT = {0x01, 0x23, 0x45, 0x67};

    @Test
    void storedHashMatchesPostgresql() {
        assertThat(Md5Password.stored("postgres", "postgres")).isEqualTo("md53175bce1d3201d16594cebf9d7eb3f9d");
    }

    @Test
    void saltedHashFollowsTheFormula() throws Exception {
        byte[] hex = "3175bce1d3201d16594cebf9d7eb3f9d".getBytes(StandardCharsets.US_ASCII);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(hex);
        md5.update(SALT);
        String expected = "md5" + HexFormat.of().formatHex(md5.digest());

        assertThat(Md5Password.hash("postgres", "postgres", SALT)).isEqualTo(expected);
        assertThat(Md5Password.hashStored("md53175bce1d3201d16594cebf9d7eb3f9d", SALT)).isEqualTo(expected);
    }

    @Test
    void verifiesAClientResponseAgainstTheStoredHash() {
        String response = Md5Password.hash("alice", "s3cret", SALT);

        assertThat(Md5Password.verify(Md5Password.stored("alice", "s3cret"), SALT, response)).isTrue();
        assertThat(Md5Password.verify(Md5Password.stored("alice", "other"), SALT, response)).isFalse();
        assertThat(Md5Password.verify(Md5Password.stored("alice", "s3cret"), new byte[4], response)).isFalse();
    }

    @Test
    void recognisesStoredHashes() {
        assertThat(Md5Password.isMd5Hash("md53175bce1d3201d16594cebf9d7eb3f9d")).isTrue();
        assertThat(Md5Password.isMd5Hash("md5short")).isFalse();
        assertThat(Md5Password.isMd5Hash("md5zz75bce1d3201d16594cebf9d7eb3f9d")).isFalse();
        assertThat(Md5Password.isMd5Hash("SCRAM-SHA-256$4096:YQ==$YQ==:YQ==")).isFalse();
    }
}
