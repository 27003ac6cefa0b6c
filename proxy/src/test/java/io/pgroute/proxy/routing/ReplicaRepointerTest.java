package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplicaRepointerTest {

    @Test
    void replacesHostAndPortAndKeepsEverythingElse() {
        assertThat(ReplicaRepointer.withPrimary("host=10.0.0.1 port=5432 user=replicator password='s3 cr\\'et'"
                + " application_name=replica1 sslmode=require", "10.0.0.2", 5433))
                .isEqualTo("host='10.0.0.2' port='5433' user='replicator' password='s3 cr\\'et' "
                        + "application_name='replica1' sslmode='require'");
    }

    @Test
    void dropsHostaddrAndAddsAHostWhereThereWasNone() {
        assertThat(ReplicaRepointer.withPrimary("hostaddr=10.0.0.1 user = rep", "db2", 5432))
                .isEqualTo("host='db2' port='5432' user='rep'");
        assertThat(ReplicaRepointer.withPrimary("", "/var/run/postgresql", 5432))
                .isEqualTo("host='/var/run/postgresql' port='5432'");
    }

    @Test
    void readsWhatLibpqReads() {
        assertThat(ReplicaRepointer.parse("  Host=a   port = 1 password=back\\\\slash empty='' q='a b\\\\c'"))
                .containsExactly(java.util.Map.entry("host", "a"), java.util.Map.entry("port", "1"),
                        java.util.Map.entry("password", "back\\slash"), java.util.Map.entry("empty", ""),
                        java.util.Map.entry("q", "a b\\c"));
        // what withPrimary writes reads back to the same values
        String written = ReplicaRepointer.withPrimary("user=it\\'s password='a\\\\b'", "h", 1);
        assertThat(ReplicaRepointer.parse(written)).containsEntry("user", "it's").containsEntry("password", "a\\b");
    }

    @Test
    void refusesWhatItCannotRewrite() {
        assertThatThrownBy(() -> ReplicaRepointer.withPrimary("postgresql://rep@db1/postgres", "db2", 5432))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("URI");
        assertThatThrownBy(() -> ReplicaRepointer.withPrimary("host=a user", "db2", 5432))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing \"=\"");
        assertThatThrownBy(() -> ReplicaRepointer.withPrimary("password='open", "db2", 5432))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unterminated");
    }

    @Test
    void quotesTheSettingForAlterSystemWhateverTheStringMode() {
        assertThat(ReplicaRepointer.literal("password='it\\'s'")).isEqualTo("E'password=''it\\\\''s'''");
    }
}
