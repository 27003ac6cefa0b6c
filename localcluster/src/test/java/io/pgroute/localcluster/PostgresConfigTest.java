package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresConfigTest {

    @Test
    void overridesWinOverDefaults() {
        Map<String, String> settings = PostgresConfig.sharedSettings(Map.of("max_connections", "500"));

        assertThat(settings).containsEntry("max_connections", "500").containsEntry("wal_level", "replica");
    }

    @Test
    void quotesEverySettingValueAndIncludesTheNodeFileLast() {
        String text = PostgresConfig.sharedFile(Map.of("application_name", "it's a \\ test"));

        assertThat(text).contains("application_name = 'it''s a \\\\ test'\n");
        assertThat(text).endsWith("include_if_exists = 'pgroute-node.conf'\n");
    }

    @Test
    void quotesConninfoValues() {
        assertThat(PostgresConfig.conninfo(5432, "postgres", "p'w \\x", "replica1"))
                .isEqualTo("host=127.0.0.1 port=5432 user='postgres' password='p\\'w \\\\x'"
                        + " application_name='replica1' connect_timeout=5");
    }

    @Test
    void rejectsSettingNamesThatCouldInjectLines() {
        assertThatThrownBy(() -> PostgresConfig.checkSettingName("port = 1\nfsync"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalCluster.builder().setting("", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usesMd5SoThatBothPasswordKindsAuthenticate() {
        assertThat(PostgresConfig.hbaFile())
                .contains("host    all          all   127.0.0.1/32  md5")
                .contains("host    replication  all   127.0.0.1/32  md5")
                .contains("local   all          all                 md5")
                .doesNotContain("trust");
    }
}
