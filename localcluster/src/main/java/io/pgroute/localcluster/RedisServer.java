package io.pgroute.localcluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code redis-server} without persistence, listening on 127.0.0.1 only, run as the JVM's user under a
 * {@link Lifeline} so it dies with the JVM. Extra arguments make it a cluster node, a replica or a sentinel.
 */
final class RedisServer {

    private static final Logger LOGGER = LoggerFactory.getLogger(RedisServer.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int PING_TIMEOUT_MILLIS = 1000;
    private static final int LOG_TAIL_CHARS = 4000;

    private final Path binary;
    private final Path dir;
    private final Path logFile;
    private final List<String> leadingArgs;
    private final List<String> trailingArgs;
    private Process process;
    private int port;

    RedisServer(Path binary, Path dir) {
        this(binary, dir, List.of(), List.of());
    }

    /**
     * @param leadingArgs  before the common options, e.g. a config file and {@code --sentinel}
     * @param trailingArgs after them, e.g. {@code --cluster-enabled yes}
     */
    RedisServer(Path binary, Path dir, List<String> leadingArgs, List<String> trailingArgs) {
        this.binary = binary;
        this.dir = dir;
        this.logFile = dir.resolve("redis.log");
        this.leadingArgs = List.copyOf(leadingArgs);
        this.trailingArgs = List.copyOf(trailingArgs);
    }

    synchronized RedisNode node() {
        return new RedisNode("127.0.0.1", port);
    }

    /** The child the JVM started (a wrapper), Redis and anything else below it; empty when stopped. */
    synchronized List<ProcessHandle> processTree() {
        if (process == null || !process.isAlive()) {
            return List.of();
        }
        List<ProcessHandle> result = new ArrayList<>();
        result.add(process.toHandle());
        result.addAll(process.descendants().toList());
        return result;
    }

    /**
     * Starts Redis on {@code port} and waits until it answers PING.
     *
     * @throws PortInUseException when the port was taken meanwhile; pick another and retry
     */
    synchronized void start(int port, Duration timeout) throws IOException {
        this.port = port;
        long logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(leadingArgs);
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString()));
        command.addAll(trailingArgs);
        process = ServerUser.currentUser()
                .serverProcessBuilder("TERM", command)
                .directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        try {
            Deadline.in(timeout).await("Redis on 127.0.0.1:" + port + " to answer PING", () -> {
                if (!process.isAlive()) {
                    throw new Deadline.GiveUpException("redis-server exited with code " + process.exitValue());
                }
                return ping(port);
            });
        } catch (LocalClusterException e) {
            stop();
            String log = logSince(logOffset);
            String message = "Redis did not start on 127.0.0.1:" + port + ": " + e.getMessage()
                    + "\n--- " + logFile + " ---\n" + log;
            if (log.contains("Address already in use")) {
                throw new PortInUseException(message);
            }
            throw new IOException(message, e);
        }
        LOGGER.info("started redis on 127.0.0.1:{} (pid {})", port, process.pid());
    }

    /** SIGTERM through the {@link Lifeline}, then SIGKILL to everything left if Redis has not exited in time. */
    synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            LOGGER.debug("closing the lifeline of redis: {}", e.toString());
        }
        try {
            if (process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.info("stopped redis");
            } else {
                LOGGER.warn("redis did not exit on SIGTERM; killing it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        family.add(process.toHandle());
        family.forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    /**
     * SIGKILL to {@code redis-server} itself, as a crash would do it, found among this server's processes by the pid
     * it reports; waits until it is gone. Its lifeline wrapper then exits by itself; {@link #stop()} still cleans up.
     */
    synchronized void kill(Duration timeout) throws IOException {
        if (process == null) {
            throw new IOException("redis on 127.0.0.1:" + port + " is not running");
        }
        long pid = Long.parseLong(RedisWire.infoField(RedisWire.text(port, "INFO", "server"), "process_id"));
        ProcessHandle server = process.descendants().filter(each -> each.pid() == pid).findFirst()
                .orElseThrow(() -> new IOException("pid " + pid + " of redis on 127.0.0.1:" + port
                        + " is not a process this cluster started"));
        server.destroyForcibly();
        Deadline.in(timeout).await("redis pid " + pid + " to exit after SIGKILL", () -> !server.isAlive());
        LOGGER.info("killed redis on 127.0.0.1:{} (pid {})", port, pid);
    }

    /** The last lines of this server's log, for error messages. */
    String logTail() {
        return "\n--- " + logFile + " ---\n" + logSince(0);
    }

    /** True when {@code PING} gets {@code +PONG} on a fresh connection. */
    static boolean ping(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), PING_TIMEOUT_MILLIS);
            socket.setSoTimeout(PING_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            return "+PONG".equals(in.readLine());
        }
    }

    private String logSince(long offset) {
        try {
            String text = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
            String result = text.substring((int) Math.min(offset, text.length()));
            return result.length() <= LOG_TAIL_CHARS ? result : result.substring(result.length() - LOG_TAIL_CHARS);
        } catch (IOException e) {
            return "(could not read " + logFile + ": " + e + ")";
        }
    }
}
