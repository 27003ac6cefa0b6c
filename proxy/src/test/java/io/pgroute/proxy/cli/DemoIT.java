package io.pgroute.proxy.cli;

import io.pgroute.proxy.testing.ProxyFixture;

import java.net.URI;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pgroute demo} from the shaded jar, as a user runs it: it starts, answers on its port, and on SIGTERM stops
 * every server it started and removes its data.
 */
class DemoIT {

    private static final Pattern NODE = Pattern.compile("(primary|replica|config):\\s+(\\S+)");
    private static final Pattern SOCKET = Pattern.compile("psql -h (/\\S+) -p \\d+ .*");

    @Test
    void startsAnswersAndStopsCleanly() throws Exception {
        Path jar = ProxyFixture.jar();
        int port = ProxyFixture.freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process demo = new ProcessBuilder(java, "-jar", jar.toString(), "demo", "--port", String.valueOf(port),
                "--replicas", "1", "--metrics-port", "0").redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> pump(demo, lines), "demo-output");
        reader.setDaemon(true);
        reader.start();
        List<Integer> nodePorts = new ArrayList<>();
        Path config = null;
        List<String> seen = new ArrayList<>();
        URI metrics = null;
        Path socketDir = null;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean running = false;
            while (!running && System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    assertThat(demo.isAlive()).as("demo exited early: %s", seen).isTrue();
                    continue;
                }
                seen.add(line);
                Matcher m = NODE.matcher(line.trim());
                if (m.matches() && m.group(1).equals("config")) {
                    config = Path.of(m.group(2));
                } else if (m.matches()) {
                    nodePorts.add(Integer.parseInt(m.group(2).substring(m.group(2).lastIndexOf(':') + 1)));
                }
                Matcher socketLine = SOCKET.matcher(line.trim());
                if (socketLine.matches()) {
                    socketDir = Path.of(socketLine.group(1));
                }
                if (line.startsWith("Metrics: ")) {
                    metrics = URI.create(line.substring("Metrics: ".length()).strip());
                }
                running = line.contains("Press Ctrl-C");
            }
            assertThat(running).as("demo did not start in time: %s", seen).isTrue();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", "app",
                    "app"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM products")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(5);
            }
            boolean sockets = io.pgroute.proxy.server.Transport.detect().unixSockets();  // epoll: Linux
            if (sockets) {
                assertThat(socketDir).as("the demo prints its Unix-domain socket: %s", seen).isNotNull();
                assertThat(socketDir.resolve(".s.PGSQL." + port)).exists();
            }
            Path psql = Path.of("/usr/bin/psql");
            if (sockets && Files.isExecutable(psql)) {
                ProcessBuilder viaSocket = new ProcessBuilder(psql.toString(), "-X", "-A", "-t", "-h",
                        socketDir.toString(), "-p", Integer.toString(port), "-U", "app", "app", "-c",
                        "SELECT count(*) FROM products").redirectErrorStream(true);
                viaSocket.environment().put("PGPASSWORD", "app");
                viaSocket.environment().put("PGCONNECT_TIMEOUT", "10");
                Process client = viaSocket.start();
                String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(output.trim()).as("psql through the printed socket").isEqualTo("5");
            }
            assertThat(metrics).as("the demo prints its metrics address: %s", seen).isNotNull();
            HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.body()).contains("pgroute_queries_total{database=\"app\"");
        } finally {
            demo.destroy();
            boolean exited = demo.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                demo.destroyForcibly();
            }
            assertThat(exited).as("demo stops within 60 s of SIGTERM").isTrue();
        }
        assertThat(nodePorts).hasSize(2);
        for (int each : nodePorts) {
            assertThat(listening(each)).as("port %d still open after demo stopped", each).isFalse();
        }
        assertThat(listening(port)).isFalse();
        assertThat(config).isNotNull();
        assertThat(Files.exists(config)).as("demo data removed").isFalse();
    }

    private static void pump(Process process, BlockingQueue<String> lines) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("<output closed: " + e + ">");
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
