package io.pgroute.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgroute.protocol.auth.Md5Password;
import io.pgroute.protocol.auth.ScramKeys;
import org.junit.jupiter.api.Test;

class LoginSecretTest {

    @Test
    void equalSecretsAreEqualAndNeverShown() {
        String hash = Md5Password.stored("svc", "s3cret");
        assertThat(LoginSecret.md5(hash)).isEqualTo(LoginSecret.md5(hash)).hasToString("LoginSecret[md5]");
        ScramKeys keys = ScramKeys.fromPassword("s3cret", new byte[16], 4096);
        assertThat(LoginSecret.scram(keys)).isEqualTo(LoginSecret.scram(ScramKeys.fromPassword("s3cret",
                new byte[16], 4096))).isNotEqualTo(LoginSecret.md5(hash)).hasToString("LoginSecret[scram]");
        assertThat(LoginSecret.md5(hash).toString()).doesNotContain(hash.substring(3));
    }

    @Test
    void holdsExactlyOneWellFormedSecret() {
        assertThatThrownBy(() -> LoginSecret.md5("s3cret")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoginSecret(null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoginSecret(ScramKeys.fromPassword("x", new byte[16], 1),
                Md5Password.stored("svc", "x"))).isInstanceOf(IllegalArgumentException.class);
    }
}
