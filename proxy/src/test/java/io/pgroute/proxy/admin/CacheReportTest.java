package io.pgroute.proxy.admin;

import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheReportTest {

    @Test
    void cacheTablesAndInvalidationNeedTheCache() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users:\n  admin: { password: a, admin: true }\n"
                + "databases:\n  app:\n    primary: { host: 127.0.0.1, port: 1 }\n", "test.yaml", name -> null);
        CacheReport report = new CacheReport(config, null);
        assertThatThrownBy(report::tables).isInstanceOfSatisfying(AdminException.class,
                e -> assertThat(e.sqlState()).isEqualTo(AdminException.NOT_IN_PREREQUISITE_STATE));
        assertThatThrownBy(() -> report.invalidate(null)).isInstanceOfSatisfying(AdminException.class,
                e -> assertThat(e.sqlState()).isEqualTo(AdminException.NOT_IN_PREREQUISITE_STATE));
        assertThat(CacheReport.tableColumns().columns()).extracting(AdminResult.Column::name)
                .containsExactly("database", "table", "version", "last_write_lsn", "in_flux");
    }
}
