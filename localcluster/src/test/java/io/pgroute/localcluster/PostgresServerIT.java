package io.pgroute.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresServerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void reportsATakenPortSoThatTheCallerCanRetryOnAnother(@TempDir Path tempDir) throws IOException {
        ServerUser user = ServerUser.detect();
        PgBinaries binaries = PgBinaries.locate(user);
        user.grantTraversal(tempDir);
        Path root = Files.createDirectory(tempDir.resolve("pg"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(root);
        Path passwordFile = Files.writeString(root.resolve("pw"), "postgres\n");
        user.own(passwordFile);
        PostgresServer server = new PostgresServer("primary", true, root.resolve("primary"),
                root.resolve("primary.log"), binaries, user);
        server.initdb("postgres", passwordFile);
        server.writeConfigFile("postgresql.conf", PostgresConfig.sharedFile(PostgresConfig.sharedSettings(Map.of())),
                true);

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            server.configure(taken.getLocalPort(), Map.of());
            assertThatThrownBy(() -> server.start(TIMEOUT))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessageContaining("Address already in use");
            assertThat(server.postmaster()).isEmpty();
        }

        server.configure(new FreePorts().next(), Map.of());
        try {
            server.start(TIMEOUT);
            assertThat(server.postmaster()).isPresent();
        } finally {
            server.stop();
        }
        assertThat(server.postmaster()).isEmpty();
    }
}
