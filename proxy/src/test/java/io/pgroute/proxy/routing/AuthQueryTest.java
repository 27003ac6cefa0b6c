package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AuthQueryTest {

    @Test
    void writesPostgresqlsParameterAsPgjdbcsAndKeepsQuestionMarkOperators() {
        assertThat(AuthQuery.jdbcText("SELECT usename, passwd FROM pgroute.user_secret($1)"))
                .isEqualTo("SELECT usename, passwd FROM pgroute.user_secret(?)");
        assertThat(AuthQuery.jdbcText("SELECT name, secret FROM users WHERE meta ? 'login' AND name = $1"))
                .isEqualTo("SELECT name, secret FROM users WHERE meta ?? 'login' AND name = ?");
    }
}
