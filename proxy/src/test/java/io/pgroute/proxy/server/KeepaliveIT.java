package io.pgroute.proxy.server;

import io.pgroute.config.ConfigLoader;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel's keepalive timers on pgroute's sockets, as {@code ss} reports them: both the client's connection and
 * the server connection it runs on probe a silent peer after 15 s (the kernel's default is two hours).
 */
class KeepaliveIT {

    private static final Pattern TIMER = Pattern.compile("timer:\\(keepalive,([0-9.]+)(ms|sec|min),");

    @Test
    void clientAndServerConnectionsProbeASilentPeerAfter15Seconds() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ss")) || Files.isExecutable(Path.of("/bin/ss")),
                "needs ss (iproute2)");
        assumeTrue(Transport.detect().nativeEpoll(), "probe timing needs the epoll transport");
        ProxyFixture fixture = ProxyFixture.get();
        try (PgrouteServer server = new PgrouteServer(ConfigLoader.parse(ProxyFixture.yaml(fixture.cluster(),
                Map.of()), "keepalive.yaml", System::getenv), 1).start();
             Connection c = ProxyFixture.connect(server); Statement s = c.createStatement()) {
            c.setAutoCommit(false);  // the transaction holds the server connection while ss looks
            int backendPort;
            try (ResultSet rs = s.executeQuery("/* pgroute: primary */ SELECT inet_client_port()")) {
                assertThat(rs.next()).isTrue();
                backendPort = rs.getInt(1);
            }
            assertThat(keepaliveSeconds("sport = :" + server.port())).as("the client's connection").isBetween(0.0,
                    15.0);
            assertThat(keepaliveSeconds("sport = :" + backendPort)).as("the server connection").isBetween(0.0, 15.0);
            c.rollback();
        }
    }

    /** Seconds until the next keepalive probe of the one established socket {@code filter} selects. */
    private static double keepaliveSeconds(String filter) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-tnoH", "state", "established", "( " + filter + " )")
                .redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Matcher timer = TIMER.matcher(out);
        assertThat(timer.find()).as("a keepalive timer in: %s", out).isTrue();
        double value = Double.parseDouble(timer.group(1));
        return switch (timer.group(2)) {
            case "ms" -> value / 1000;
            case "min" -> value * 60;
            default -> value;
        };
    }
}
