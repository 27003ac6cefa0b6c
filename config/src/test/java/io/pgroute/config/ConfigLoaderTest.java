package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String VERIFIER = "SCRAM-SHA-256$4096:cGdyb3V0ZS1zYWx0LTEyMw==$"
            + "6elP5aaygnsd2XYrYy0k7OgZ9gRTzpQ0Km4FaOVCwIY=:ohSHpPmplGlKVLEFzW4udQHPXwKNPxTH/DBmjOvRGws=";
    private static final String MINIMAL = "users: { app: { password: app } }\n"
            + "databases: { app: { primary: { host: db } } }\n";

    @Test
    void readsEveryKeyOfTheFullFile() throws Exception {
        Path file = fixture("full.yaml");
        ProxyConfig config = ConfigLoader.parse(Files.readString(file), "full.yaml",
                Map.of("LEGACY_PW", "legacy-pw")::get, file.getParent());

        assertThat(config.listen()).isEqualTo(new ListenConfig("0.0.0.0", 7432));
        assertThat(config.tls()).isEqualTo(new TlsConfig(TlsMode.REQUIRE, file.resolveSibling("tls/cert.pem"),
                file.resolveSibling("tls/key.pem")));
        assertThat(config.users()).containsOnlyKeys("app", "legacy", "admin", "svc", "monitor");
        assertThat(config.users().keySet()).containsExactly("app", "legacy", "admin", "svc", "monitor");
        assertThat(config.user("app")).contains(new UserConfig("app", "app", null, AuthMethod.SCRAM_SHA_256, false));
        assertThat(config.user("legacy")).contains(new UserConfig("legacy", "legacy-pw", null, AuthMethod.MD5, false));
        assertThat(config.user("admin")).contains(new UserConfig("admin", "admin", null, AuthMethod.SCRAM_SHA_256,
                true));
        assertThat(config.user("svc")).contains(new UserConfig("svc", null, VERIFIER, AuthMethod.SCRAM_SHA_256,
                false));
        assertThat(config.user("monitor")).contains(new UserConfig("monitor", null, null, AuthMethod.TRUST, false));
        assertThat(config.user("nobody")).isEmpty();

        assertThat(config.databases().keySet()).containsExactly("app", "reports");
        assertThat(config.database("app")).contains(new DatabaseConfig("app",
                new NodeConfig("127.0.0.1", 5432, 1, null),
                List.of(new NodeConfig("127.0.0.1", 5433, 2, "a"), new NodeConfig("replica-b.internal", 5432, 1, "b")),
                "app_prod", "app", "secret", BackendTlsMode.PREFER));
        assertThat(config.database("reports")).contains(DatabaseConfig.of("reports",
                NodeConfig.of("reports.internal", 5432), List.of()));

        assertThat(config.pool()).isEqualTo(new PoolConfig(PoolMode.SESSION, 50, Duration.ofMillis(250),
                Duration.ofSeconds(3), Duration.ofMinutes(2), Duration.ofDays(2), Duration.ofSeconds(30), true, false));
        assertThat(config.metrics()).isEqualTo(new MetricsConfig("0.0.0.0", 9931, true));
        assertThat(config.logging()).isEqualTo(new LoggingConfig(LogFormat.JSON, "WARN",
                Map.of("io.pgroute.proxy.session", "DEBUG", "io.netty", "ERROR")));
        assertThat(config.logging().levels().keySet()).containsExactly("io.pgroute.proxy.session", "io.netty");
        assertThat(config.limits()).isEqualTo(new LimitsConfig(64L * 1024 * 1024, 500, Duration.ofSeconds(45),
                Duration.ofSeconds(15), 1L << 20, LimitsConfig.DEFAULT_MAX_READ_QUERY_BYTES, 0));
        assertThat(config.limits().maxConnections()).isEqualTo(500);
        assertThat(config.routing()).isEqualTo(new RoutingConfig(Consistency.WINDOW, Duration.ofSeconds(2),
                Duration.ofMillis(500), 64L << 20, Balance.LEAST_CONNECTIONS, true, "a", Duration.ofMillis(10),
                Duration.ofSeconds(3), Duration.ofMinutes(5), Duration.ofSeconds(30), true, Duration.ZERO));
        assertThat(config.cache()).isEqualTo(new CacheConfig(true,
                List.of("redis://:cache-pw@cache-1.internal:6379", "redis://:cache-pw@cache-2.internal:6379"), true,
                Duration.ofMillis(50), Duration.ofMinutes(10), 256L << 10, Set.of("products", "categories", "orders"),
                Set.of("orders_audit"), Map.of("products", Duration.ofSeconds(30), "categories", Duration.ofHours(1)),
                Set.of("app_price", "format_money"), Map.of("app", true, "reports", false), 3,
                Duration.ofSeconds(5)));
    }

    @Test
    void fillsDefaultsForTheMinimalFile() throws Exception {
        ProxyConfig config = ConfigLoader.load(fixture("minimal.yaml"));

        assertThat(config.listen()).isEqualTo(new ListenConfig("127.0.0.1", 6432));
        assertThat(config.tls()).isEqualTo(new TlsConfig(TlsMode.DISABLE, null, null));
        assertThat(config.user("app")).contains(new UserConfig("app", "app", null, AuthMethod.SCRAM_SHA_256, false));
        assertThat(config.database("app")).contains(new DatabaseConfig("app", new NodeConfig("localhost", 5432, 1,
                null), List.of(), "app", null, null, BackendTlsMode.DISABLE));
        assertThat(config.pool()).isEqualTo(new PoolConfig(PoolMode.TRANSACTION, 20, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofHours(1)));
        assertThat(config.metrics()).isEqualTo(new MetricsConfig("127.0.0.1", 9930, false));
        assertThat(config.logging()).isEqualTo(new LoggingConfig(LogFormat.TEXT, "INFO", Map.of()));
        assertThat(config.limits()).isEqualTo(new LimitsConfig(1_073_741_824L, 10_000, Duration.ofSeconds(30)));
        assertThat(config.limits().reservedConnections()).isEqualTo(10);
        assertThat(config.limits().maxConnections()).isEqualTo(10_010);
        assertThat(config.routing()).isEqualTo(RoutingConfig.defaults());
        assertThat(config.cache()).isEqualTo(CacheConfig.disabled());
        assertThat(config).isEqualTo(ProxyConfig.of(config.listen(), config.users(), config.databases()));
    }

    @Test
    void reportsUnknownKeysWithSuggestions() throws Exception {
        assertThat(problemsOf("unknown-keys.yaml")).containsExactly(
                "unknown-keys.yaml:3: listen.prot: unknown key (did you mean port?)",
                "unknown-keys.yaml:6: pool.max_size: unknown key",
                "unknown-keys.yaml:10: users.app.role: unknown key",
                "unknown-keys.yaml:13: databases.app.primary.wieght: unknown key (did you mean weight?)",
                "unknown-keys.yaml:14: listener: unknown key (did you mean listen?)");
    }

    @Test
    void reportsEveryBadValueAtOnce() throws Exception {
        assertThat(problemsOf("bad-values.yaml")).containsExactly(
                "bad-values.yaml:1: listen.port: must be 0-65535",
                "bad-values.yaml:2: tls.mode: must be one of disable, allow, require",
                "bad-values.yaml:4: users.app.auth: must be one of scram-sha-256, md5, trust, peer, cert",
                "bad-values.yaml:4: users.app.admin: must be true or false",
                "bad-values.yaml:7: databases.app.primary.port: must be 1-65535",
                "bad-values.yaml:9: databases.app.replicas[0].weight: must be at least 1",
                "bad-values.yaml:10: databases.app.replicas[1]: must be a mapping",
                "bad-values.yaml:11: databases.app.tls: must be one of disable, prefer, require, verify-ca, verify-full",
                "bad-values.yaml:13: pool.mode: must be one of transaction, session",
                "bad-values.yaml:14: pool.size: must be an integer",
                "bad-values.yaml:15: pool.timeout: " + DurationParser.EXPECTED,
                "bad-values.yaml:16: pool.connect_timeout: must be greater than zero",
                "bad-values.yaml:17: pool.idle_timeout: " + DurationParser.EXPECTED,
                "bad-values.yaml:18: pool.max_lifetime: " + DurationParser.EXPECTED,
                "bad-values.yaml:19: metrics.listen: must be host:port, such as 127.0.0.1:9930 or [::1]:9930",
                "bad-values.yaml:20: logging.format: must be one of text, json",
                "bad-values.yaml:20: logging.level: must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF",
                "bad-values.yaml:20: logging.levels.io.pgroute: must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF",
                "bad-values.yaml:21: limits.max_clients: must be at least 1",
                "bad-values.yaml:21: limits.shutdown_timeout: " + DurationParser.EXPECTED,
                "bad-values.yaml:21: limits.login_timeout: must be greater than zero",
                "bad-values.yaml:21: limits.max_prepared_bytes: must be between 65536 and 9223372036854775807 bytes",
                "bad-values.yaml:21: limits.max_read_query_bytes: must be between 65536 and 16777216 bytes",
                "bad-values.yaml:21: limits.reserved_connections: must be at least 0");
    }

    @Test
    void readsPeersAndReportsWhatIsWrongWithThem() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: db } } }\n"
                + "peers: { id: 1, members: [ { id: 2, host: 10.0.0.2 }, { id: 3, host: p3, port: 7432 } ] }\n",
                "peers.yaml", Map.<String, String>of()::get);
        assertThat(config.peers()).isEqualTo(new PeersConfig(1, List.of(new PeersConfig.Peer(2, "10.0.0.2", 6432),
                new PeersConfig.Peer(3, "p3", 7432))));
        assertThat(config.peers().member(3)).contains(new PeersConfig.Peer(3, "p3", 7432));
        assertThat(config.peers().member(1)).isEmpty();
        assertThat(ProxyConfig.of(new ListenConfig("127.0.0.1", 0), config.users(), config.databases()).peers()
                .enabled()).isFalse();

        assertThat(problemsOf("bad-peers.yaml")).containsExactly(
                "bad-peers.yaml:3: peers.id: is required: this instance's id, 1-16383",
                "bad-peers.yaml:4: peers.members: peer id 2 is used twice (this instance is 0)",
                "bad-peers.yaml:6: peers.members[1].port: must be 1-65535",
                "bad-peers.yaml:7: peers.members[2].id: is required",
                "bad-peers.yaml:8: peers.members[3].id: must be 1-16383");
    }

    @Test
    void reportsUsersWithoutUsableSecrets() throws Exception {
        String badVerifier = "must be SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> with 32-byte keys"
                + " in base64";
        assertThat(problemsOf("bad-users.yaml")).containsExactly(
                "bad-users.yaml:2: users.svc: password or scram_verifier is required",
                "bad-users.yaml:3: users.both.scram_verifier: " + badVerifier,
                "bad-users.yaml:3: users.both: password and scram_verifier are mutually exclusive",
                "bad-users.yaml:4: users.broken.scram_verifier: " + badVerifier,
                "bad-users.yaml:5: users.md5only: auth md5 needs a password; a scram_verifier only works with"
                        + " scram-sha-256",
                "bad-users.yaml:6: users.empty.password: must not be empty",
                "bad-users.yaml:8: databases: at least one database is required");
    }

    @Test
    void requiresTlsFilesThatExist() throws Exception {
        Path missingKey = fixture("bad-tls.yaml").resolveSibling("missing/key.pem");
        assertThat(problemsOf("bad-tls.yaml")).containsExactly(
                "bad-tls.yaml:1: tls.cert: is required when tls.mode is not disable",
                "bad-tls.yaml:3: tls.key: file not found: " + missingKey);
    }

    @Test
    void reportsSyntaxErrorsWithTheirLine() throws Exception {
        assertThat(problemsOf("bad-syntax.yaml")).containsExactly(
                "bad-syntax.yaml:3: invalid YAML: while parsing a flow mapping: expected ',' or '}', but got :");
    }

    @Test
    void substitutesEnvironmentVariables() throws Exception {
        String yaml = "listen: { host: \"${HOST:-0.0.0.0}\", port: \"${PORT}\" }\n"
                + "users: { app: { password: \"${PW}$${NOT_A_VAR}\" } }\n"
                + "databases: { app: { primary: { host: \"${DB_HOST:-localhost}\" } } }\n";
        Map<String, String> env = Map.of("PORT", "7000", "PW", "p$w", "DB_HOST", "");

        ProxyConfig config = ConfigLoader.parse(yaml, "env.yaml", env::get);

        assertThat(config.listen()).isEqualTo(new ListenConfig("0.0.0.0", 7000));
        assertThat(config.user("app").orElseThrow().password()).isEqualTo("p$w${NOT_A_VAR}");
        assertThat(config.database("app").orElseThrow().primary().host()).isEqualTo("localhost");
    }

    @Test
    void reportsUnsetAndMalformedVariablesAtTheirLine() {
        String yaml = "listen:\n  host: ${HOST}\n  port: ${1PORT}\n"
                + "users: { app: { password: \"${PW\" } }\n"
                + "databases: { app: { primary: { host: db } } }\n";
        assertThat(problems(yaml, Map.of())).containsExactly(
                "x.yaml:2: listen.host: environment variable HOST is not set",
                "x.yaml:3: listen.port: invalid environment variable reference ${1PORT}",
                "x.yaml:4: users.app.password: unterminated ${ in value");
    }

    @Test
    void requiresUsersAndDatabases() {
        assertThat(problems("", Map.of())).containsExactly(
                "x.yaml: users: at least one user is required",
                "x.yaml: databases: at least one database is required");
        assertThat(problems("users: {}\ndatabases:\n", Map.of())).containsExactly(
                "x.yaml:1: users: at least one user is required",
                "x.yaml:2: databases: at least one database is required");
    }

    @Test
    void reportsWrongShapes() {
        String yaml = "listen: 6432\n"
                + "users: [app]\n"
                + "databases:\n"
                + "  app:\n"
                + "    primary: { port: [5432] }\n"
                + "    replicas: { host: r1 }\n"
                + "  other:\n"
                + "pool: { size: 2.5, timeout: {} }\n"
                + "logging: { levels: { io.pgroute: [DEBUG] } }\n";
        assertThat(problems(yaml, Map.of())).containsExactly(
                "x.yaml:1: listen: must be a mapping",
                "x.yaml:2: users: must be a mapping",
                "x.yaml:5: databases.app.primary.host: is required",
                "x.yaml:5: databases.app.primary.port: must be an integer",
                "x.yaml:6: databases.app.replicas: must be a list",
                "x.yaml:7: databases.other: must be a mapping",
                "x.yaml:8: pool.size: must be an integer",
                "x.yaml:8: pool.timeout: " + DurationParser.EXPECTED,
                "x.yaml:9: logging.levels.io.pgroute: must be a string");
    }

    @Test
    void rejectsADocumentThatIsNotAMapping() {
        assertThat(problems("- a\n- b\n", Map.of())).containsExactly("x.yaml:1: must be a mapping");
    }

    @Test
    void reportsDuplicateKeysAliasesAndExtraDocuments() {
        String yaml = MINIMAL
                + "pool: &p { size: 5 }\n"
                + "limits: *p\n"
                + "pool: { size: 6 }\n"
                + "---\n"
                + "listen: {}\n";
        assertThat(problems(yaml, Map.of())).containsExactly(
                "x.yaml:4: limits: YAML aliases are not supported",
                "x.yaml:5: pool: duplicate key (first defined on line 3)",
                "x.yaml:7: only one YAML document is allowed");
    }

    @Test
    void keepsAllProblemsInFileOrderInTheException() {
        String yaml = "pool: { size: 0 }\nlisten: { port: -1 }\n";
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "proxy.yaml", name -> null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("proxy.yaml: users: at least one user is required\n"
                        + "proxy.yaml: databases: at least one database is required\n"
                        + "proxy.yaml:1: pool.size: must be at least 1\n"
                        + "proxy.yaml:2: listen.port: must be 0-65535")
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        new ConfigProblem("users", 0, "at least one user is required"),
                        new ConfigProblem("databases", 0, "at least one database is required"),
                        new ConfigProblem("pool.size", 1, "must be at least 1"),
                        new ConfigProblem("listen.port", 2, "must be 0-65535")));
    }

    @Test
    void acceptsPortZeroAndIpv6MetricsAddress() throws Exception {
        String yaml = MINIMAL + "listen: { port: 0 }\nmetrics: { listen: \"[::1]:0\" }\n";
        ProxyConfig config = ConfigLoader.parse(yaml, "x.yaml", name -> null);

        assertThat(config.listen().port()).isZero();
        assertThat(config.metrics()).isEqualTo(new MetricsConfig("::1", 0, true));
    }

    @Test
    void readsAUnixSocketDirectoryAndMode() throws Exception {
        ProxyConfig none = ConfigLoader.parse(MINIMAL, "x.yaml", name -> null);
        assertThat(none.listen().unixSocket()).isEmpty();
        assertThat(none.listen().unixSocketMode()).isEqualTo(0777);

        ProxyConfig config = ConfigLoader.parse(MINIMAL + "listen: { port: 7432, unix_socket_dir: /var/run/pgroute, "
                + "unix_socket_mode: 0770 }\n", "x.yaml", name -> null);
        assertThat(config.listen()).isEqualTo(new ListenConfig("127.0.0.1", 7432, 0, "/var/run/pgroute", 0770));
        assertThat(ConfigLoader.parse(MINIMAL + "listen: { unix_socket_dir: '', unix_socket_mode: '0o700' }\n",
                "x.yaml", name -> null).listen()).isEqualTo(new ListenConfig("127.0.0.1", 6432, 0, null, 0700));
    }

    @Test
    void reportsAUnixSocketPathLibpqCouldNotUse() {
        String longDir = "/" + "d".repeat(93);  // with /.s.PGSQL.6432: 108 bytes
        assertThat(problems(MINIMAL + "listen: { unix_socket_dir: run/pgroute, unix_socket_mode: 0999 }\n",
                Map.of())).containsExactly(
                "x.yaml:3: listen.unix_socket_dir: must be an absolute path (libpq takes a host starting with / as "
                        + "a socket directory)",
                "x.yaml:3: listen.unix_socket_mode: must be an octal file mode such as 0777 or 0770, not 0999");
        assertThat(problems(MINIMAL + "listen: { unix_socket_dir: " + longDir + " }\n", Map.of())).containsExactly(
                "x.yaml:3: listen.unix_socket_dir: is too long: the socket path " + longDir + "/.s.PGSQL.6432 must "
                        + "be at most 107 bytes");
        assertThat(problems(MINIMAL + "listen: { unix_socket_dir: " + longDir.substring(1) + " }\n", Map.of()))
                .hasSize(1);
    }

    @Test
    void takesAHostStartingWithASlashAsASocketDirectory() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: /var/run/postgresql/ }, replicas: [ { host: db2 } ] } }\n",
                "x.yaml", name -> null);
        NodeConfig primary = config.databases().get("app").primary();
        assertThat(primary.socketDirectory()).isTrue();
        assertThat(primary.socketPath()).isEqualTo("/var/run/postgresql/.s.PGSQL.5432");
        assertThat(primary.address()).isEqualTo("/var/run/postgresql/.s.PGSQL.5432");
        assertThat(config.databases().get("app").replicas().get(0).socketDirectory()).isFalse();
        String longDir = "/" + "s".repeat(93);
        assertThat(problems("users: { app: { password: app } }\ndatabases: { app: { primary: { host: " + longDir
                + " } } }\n", Map.of())).containsExactly("x.yaml:2: databases.app.primary.host: is too long: the "
                + "socket path " + longDir + "/.s.PGSQL.5432 must be at most 107 bytes");
    }

    @Test
    void readsTheControlPlanesOwnLogin() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users: { app: { password: app } }\n"
                + "databases:\n"
                + "  own: { primary: { host: db }, monitor_user: watcher, monitor_password: w }\n"
                + "  shared: { primary: { host: db }, user: svc, password: s }\n"
                + "  none: { primary: { host: db } }\n", "x.yaml", name -> null);
        DatabaseConfig own = config.databases().get("own");
        assertThat(own.user()).isNull();
        assertThat(own.controlUser()).isEqualTo("watcher");
        assertThat(own.controlPassword()).isEqualTo("w");
        assertThat(own.hasControlLogin()).isTrue();
        assertThat(own.toString()).contains("monitorUser=watcher").doesNotContain("=w,", "=w]");
        DatabaseConfig shared = config.databases().get("shared");
        assertThat(shared.controlUser()).isEqualTo("svc");
        assertThat(shared.controlPassword()).isEqualTo("s");
        assertThat(config.databases().get("none").hasControlLogin()).isFalse();

        assertThat(problems("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: db }, monitor_user: watcher } }\n", Map.of()))
                .containsExactly("x.yaml:2: databases.app.monitor_password: is required with monitor_user");
        assertThat(problems("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: db }, auth_query: \"SELECT 1\" } }\n", Map.of()))
                .containsExactly("x.yaml:2: databases.app.auth_query: must take the user name as $1, such as SELECT "
                                + "usename, passwd FROM pgroute.user_secret($1)",
                        "x.yaml:2: databases.app.auth_query: needs a login to run it: monitor_user and "
                                + "monitor_password (or user and password)");
        assertThat(ConfigLoader.parse("users: { app: { password: app } }\ndatabases: { app: { primary: { host: db },"
                + " monitor_user: w, monitor_password: w, auth_query: \"SELECT * FROM f($1)\" } }\n", "x.yaml",
                name -> null).databases().get("app").authQuery()).isEqualTo("SELECT * FROM f($1)");
        assertThat(problems("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: db }, monitor_password: w } }\n", Map.of()))
                .containsExactly("x.yaml:2: databases.app.monitor_password: needs monitor_user (the control plane "
                        + "logs in as user with password)");
    }

    @Test
    void readsTheVerifyingTlsModesAndTheirCaFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path ca = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----");
        DatabaseConfig full = ConfigLoader.parse("users: { app: { password: app } }\ndatabases: { app: { primary: "
                + "{ host: db }, tls: verify-full, tls_ca: " + ca + " } }\n", "x.yaml", name -> null)
                .databases().get("app");
        assertThat(full.tls()).isEqualTo(BackendTlsMode.VERIFY_FULL);
        assertThat(full.tls().required()).isTrue();
        assertThat(full.tlsCa()).isEqualTo(ca.toString());
        DatabaseConfig jdk = ConfigLoader.parse("users: { app: { password: app } }\ndatabases: { app: { primary: "
                + "{ host: db }, tls: verify-ca } }\n", "x.yaml", name -> null).databases().get("app");
        assertThat(jdk.tls().verifies()).isTrue();
        assertThat(jdk.tlsCa()).as("the JDK's trusted CAs").isNull();
        assertThat(BackendTlsMode.REQUIRE.verifies()).isFalse();
        assertThat(BackendTlsMode.PREFER.required()).isFalse();

        assertThat(problems("users: { app: { password: app } }\ndatabases: { app: { primary: { host: db }, "
                + "tls: require, tls_ca: " + ca + " } }\n", Map.of())).containsExactly("x.yaml:2: databases.app."
                + "tls_ca: needs tls: verify-ca or verify-full (with require no certificate is checked)");
        assertThat(problems("users: { app: { password: app } }\ndatabases: { app: { primary: { host: db }, "
                + "tls: verify-full, tls_ca: /nowhere/ca.pem } }\n", Map.of())).containsExactly("x.yaml:2: "
                + "databases.app.tls_ca: cannot read /nowhere/ca.pem");
        assertThat(problems("users: { app: { password: app } }\ndatabases: { app: { primary: { host: db }, "
                + "tls: verify } }\n", Map.of())).hasSize(1).allMatch(each -> each.contains("must be one of disable, "
                + "prefer, require, verify-ca, verify-full"));
    }

    @Test
    void certUsersNeedTheClientCas(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        for (String each : new String[] {"c.pem", "k.pem", "ca.pem"}) {
            java.nio.file.Files.writeString(dir.resolve(each), "-");
        }
        String tls = "tls: { mode: require, cert: " + dir.resolve("c.pem") + ", key: " + dir.resolve("k.pem");
        String rest = "users: { app: { password: app }, ops: { auth: cert } }\n"
                + "databases: { app: { primary: { host: db }, user: app, password: app } }\n";
        ProxyConfig config = ConfigLoader.parse(tls + ", client_ca: " + dir.resolve("ca.pem") + " }\n" + rest,
                "x.yaml", name -> null);
        assertThat(config.tls().clientCaFile()).isEqualTo(dir.resolve("ca.pem"));
        assertThat(config.user("ops").orElseThrow().auth()).isEqualTo(AuthMethod.CERT);
        assertThat(problems(tls + " }\n" + rest, Map.of())).containsExactly("x.yaml:2: users: auth cert (ops) needs "
                + "tls.client_ca: the CAs whose client certificates pgroute accepts");
    }

    @Test
    void aCertUserWithTlsDisabledIsToldTlsIsOff(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve("ca.pem"), "-");
        assertThat(problems("tls: { mode: disable, client_ca: " + dir.resolve("ca.pem") + " }\n"
                + "users: { app: { password: app }, ops: { auth: cert } }\n"
                + "databases: { app: { primary: { host: db }, user: app, password: app } }\n", Map.of()))
                .containsExactly("x.yaml:2: users: auth cert (ops) needs TLS: a tls.mode other than disable, with "
                        + "tls.client_ca");
    }

    @Test
    void aScramVerifierNeedsScram() {
        for (String auth : new String[] {"trust", "peer", "cert"}) {
            assertThat(problems("users: { app: { scram_verifier: \"" + VERIFIER + "\", auth: " + auth + " } }\n"
                    + "databases: { app: { primary: { host: db } } }\n", Map.of())).as(auth)
                    .anyMatch(each -> each.equals("x.yaml:1: users.app.scram_verifier: only works with auth "
                            + "scram-sha-256 (auth " + auth + " asks for no password)"));
        }
    }

    @Test
    void aRelativeTlsCaIsFoundNextToTheConfigurationFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("certs"));
        java.nio.file.Path ca = java.nio.file.Files.writeString(dir.resolve("certs/ca.pem"), "-");
        DatabaseConfig database = ConfigLoader.parse("users: { app: { password: app } }\ndatabases: { app: { "
                + "primary: { host: db }, tls: verify-full, tls_ca: certs/ca.pem } }\n", "x.yaml", name -> null, dir)
                .databases().get("app");
        assertThat(database.tlsCa()).isEqualTo(ca.toString());
    }

    @Test
    void readsWhereAUserMayConnectFrom() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users:\n  app: { password: app }\n"
                + "  ops: { password: x, addresses: [ 10.0.0.0/8, local ] }\n"
                + "databases: { app: { primary: { host: db } } }\n", "x.yaml", name -> null);
        assertThat(config.user("app").orElseThrow().addresses()).isNull();
        assertThat(config.user("app").orElseThrow().allowedFrom(java.net.InetAddress.getByName("8.8.8.8"))).isTrue();
        UserConfig ops = config.user("ops").orElseThrow();
        assertThat(ops.addresses()).hasSize(2);
        assertThat(ops.allowedFrom(java.net.InetAddress.getByName("10.9.8.7"))).isTrue();
        assertThat(ops.allowedFrom(null)).isTrue();
        assertThat(ops.allowedFrom(java.net.InetAddress.getByName("127.0.0.1"))).isFalse();

        assertThat(problems("users: { app: { password: app, addresses: [ 10.0.0.0/8, db.example.com ] } }\n"
                + "databases: { app: { primary: { host: db } } }\n", Map.of())).containsExactly("x.yaml:1: "
                + "users.app.addresses[1]: must be an address with an optional prefix length (10.0.0.0/8, ::1) or local");
        DatabaseConfig lan = ConfigLoader.parse("users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: db }, addresses: [ 10.0.0.0/8 ] } }\n", "x.yaml", name -> null)
                .databases().get("app");
        assertThat(lan.allowedFrom(java.net.InetAddress.getByName("10.1.1.1"))).isTrue();
        assertThat(lan.allowedFrom(java.net.InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(config.databases().get("app").allowedFrom(null)).as("no addresses: anywhere").isTrue();
        ProxyConfig limited = ConfigLoader.parse("users: { app: { password: app, max_clients: 3 } }\n"
                + "databases: { app: { primary: { host: db }, max_clients: 40 } }\n", "x.yaml", name -> null);
        assertThat(limited.user("app").orElseThrow().maxClients()).isEqualTo(3);
        assertThat(limited.databases().get("app").maxClients()).isEqualTo(40);
        assertThat(config.user("app").orElseThrow().maxClients()).as("no limit of its own").isZero();
        assertThat(problems("users: { app: { password: app, max_clients: 0 } }\n"
                + "databases: { app: { primary: { host: db } } }\n", Map.of())).containsExactly("x.yaml:1: "
                + "users.app.max_clients: must be at least 1");
        assertThat(problems("users: { app: { password: app, addresses: [] } }\n"
                + "databases: { app: { primary: { host: db } } }\n", Map.of())).containsExactly("x.yaml:1: "
                + "users.app.addresses: must list at least one address (leave it out for anywhere)");
    }

    @Test
    void disablesMetricsOnRequest() throws Exception {
        ProxyConfig config = ConfigLoader.parse(MINIMAL + "metrics: { enabled: false }\n", "x.yaml", name -> null);

        assertThat(config.metrics()).isEqualTo(new MetricsConfig("127.0.0.1", 9930, false));
    }

    @Test
    void ignoresTlsFilesWhenDisabledAndSecretsOfTrustedUsers() throws Exception {
        String yaml = "tls: { mode: disable, cert: /nowhere/cert.pem }\n"
                + "users: { ops: { password: x, auth: trust } }\n"
                + "databases: { app: { primary: { host: db } } }\n";
        ProxyConfig config = ConfigLoader.parse(yaml, "x.yaml", name -> null);

        assertThat(config.tls()).isEqualTo(TlsConfig.disabled());
        assertThat(config.user("ops")).contains(new UserConfig("ops", "x", null, AuthMethod.TRUST, false));
    }

    @Test
    void reportsEmptyStringsWhereNamesAreNeeded() {
        String yaml = "listen: { host: '' }\n"
                + "users: { app: { password: app } }\n"
                + "databases: { app: { primary: { host: \"\" }, dbname: '', user: '' } }\n";
        assertThat(problems(yaml, Map.of())).containsExactly(
                "x.yaml:1: listen.host: must not be empty",
                "x.yaml:3: databases.app.primary.host: must not be empty",
                "x.yaml:3: databases.app.dbname: must not be empty",
                "x.yaml:3: databases.app.user: must not be empty");
    }

    @Test
    void reportsAMissingFile(@TempDir Path dir) {
        Path file = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": file not found");
    }

    @Test
    void resolvesTlsFilesAgainstTheConfigDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        Files.writeString(dir.resolve("certs/server.crt"), "cert");
        Files.writeString(dir.resolve("certs/server.key"), "key");
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, MINIMAL + "tls: { mode: allow, cert: certs/server.crt, key: certs/server.key }\n");

        TlsConfig tls = ConfigLoader.load(file).tls();

        assertThat(tls).isEqualTo(new TlsConfig(TlsMode.ALLOW, dir.toAbsolutePath().resolve("certs/server.crt"),
                dir.toAbsolutePath().resolve("certs/server.key")));
    }

    @Test
    void readsClientRevocationListsOnlyWithTheirCas(@TempDir Path dir) throws Exception {
        for (String each : new String[] {"server.crt", "server.key", "ca.crt", "ca.crl"}) {
            Files.writeString(dir.resolve(each), each);
        }
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, MINIMAL + "tls: { mode: allow, cert: server.crt, key: server.key, client_ca: ca.crt,"
                + " client_crl: ca.crl }\n");
        Path base = dir.toAbsolutePath();
        assertThat(ConfigLoader.load(file).tls()).isEqualTo(new TlsConfig(TlsMode.ALLOW, base.resolve("server.crt"),
                base.resolve("server.key"), base.resolve("ca.crt"), base.resolve("ca.crl")));

        Files.writeString(file, MINIMAL + "tls: { mode: allow, cert: server.crt, key: server.key, client_crl: ca.crl }\n");
        assertThatThrownBy(() -> ConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("client_crl").hasMessageContaining("needs tls.client_ca");
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        try {
            ConfigLoader.parse(yaml, "x.yaml", env::get);
        } catch (ConfigException e) {
            return Arrays.asList(e.getMessage().split("\n"));
        }
        throw new AssertionError("expected problems in:\n" + yaml);
    }

    private static List<String> problemsOf(String name) throws IOException, URISyntaxException {
        Path file = fixture(name);
        try {
            ConfigLoader.parse(Files.readString(file), name, Map.<String, String>of()::get, file.getParent());
        } catch (ConfigException e) {
            return e.problems().stream().map(each -> each.format(name)).toList();
        }
        throw new AssertionError("expected problems in " + name);
    }

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
    }
}
