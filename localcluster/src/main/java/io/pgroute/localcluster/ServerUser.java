package io.pgroute.localcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operating-system user PostgreSQL runs as. PostgreSQL refuses to run as root, so when the JVM is root the
 * commands run as {@code nobody} through {@code runuser}, and the files they need are handed to that user; otherwise
 * they run as the JVM's own user and ownership is left alone.
 */
final class ServerUser {

    private static final Logger LOGGER = LoggerFactory.getLogger(ServerUser.class);
    private static final String UNPRIVILEGED = "nobody";
    private static final int OUTPUT_TAIL_CHARS = 4000;

    private final boolean switchUser;
    private UserPrincipal principal;

    private ServerUser(boolean switchUser) {
        this.switchUser = switchUser;
    }

    /** The user for this JVM: {@code nobody} when running as root, else the current user. */
    static ServerUser detect() throws IOException {
        Path probe = Files.createTempFile("pgroute-uid", ".probe");
        try {
            Object uid = Files.getAttribute(probe, "unix:uid");
            return new ServerUser(Integer.valueOf(0).equals(uid));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return new ServerUser(false);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** The JVM's own user, for commands that need no switch (unpacking). */
    static ServerUser currentUser() {
        return new ServerUser(false);
    }

    boolean switchesUser() {
        return switchUser;
    }

    /** Gives {@code path} (not its contents) to the server user; a no-op unless we switch user. */
    synchronized void own(Path path) throws IOException {
        if (switchUser) {
            if (principal == null) {
                principal = FileSystems.getDefault().getUserPrincipalLookupService()
                        .lookupPrincipalByName(UNPRIVILEGED);
            }
            Files.setOwner(path, principal);
        }
    }

    /** Gives {@code root} and everything below it to the server user. */
    void ownTree(Path root) throws IOException {
        if (!switchUser) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path each : (Iterable<Path>) paths::iterator) {
                own(each);
            }
        }
    }

    /**
     * Makes sure the server user can reach {@code dir}: adds the "others may traverse" bit to every ancestor lacking
     * it. Only needed (and only done) when we switch user.
     */
    void grantTraversal(Path dir) throws IOException {
        if (!switchUser) {
            return;
        }
        for (Path each = dir.toAbsolutePath().normalize(); each != null; each = each.getParent()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(each);
            if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                permissions.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(each, permissions);
                LOGGER.info("granted others traversal (o+x) on {} so that {} can reach {}", each, UNPRIVILEGED, dir);
            }
        }
    }

    /** Everyone may read {@code root} and below, and execute what its owner may execute ({@code chmod -R a+rX}). */
    static void makeReadableByAll(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path each : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(each)) {
                    continue;
                }
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(each, LinkOption.NOFOLLOW_LINKS);
                permissions.addAll(EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
                if (Files.isDirectory(each) || permissions.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    permissions.addAll(EnumSet.of(PosixFilePermission.GROUP_EXECUTE,
                            PosixFilePermission.OTHERS_EXECUTE));
                }
                Files.setPosixFilePermissions(each, permissions);
            }
        }
    }

    /**
     * Runs a command as the server user and waits for it, at most {@code timeout}; a command still running then is
     * killed. Output goes to a file, not a pipe, so a daemon that inherits it cannot keep us waiting.
     */
    CommandResult run(Duration timeout, List<String> command) throws IOException {
        Path output = Files.createTempFile("pgroute-cmd", ".out");
        try {
            Process process = processBuilder(command).redirectOutput(output.toFile()).start();
            boolean exited;
            try {
                exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + command.get(0), e);
            }
            if (!exited) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IOException("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", command)
                        + "\n" + tail(output));
            }
            return new CommandResult(process.exitValue(), tail(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * A builder for {@code command} as the server user, in {@code /}, without inherited {@code PG*} variables,
     * stdin from {@code /dev/null} and stderr merged into stdout. With a user switch the started process is
     * {@code runuser}, which stays the parent of (and reaps) the command.
     */
    ProcessBuilder processBuilder(List<String> command) {
        List<String> full = new ArrayList<>();
        if (switchUser) {
            full.addAll(List.of("runuser", "-u", UNPRIVILEGED, "--"));
        }
        full.addAll(command);
        ProcessBuilder result = new ProcessBuilder(full)
                .directory(Path.of("/").toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        result.environment().keySet().removeIf(name -> name.startsWith("PG"));
        result.environment().put("LC_ALL", "C");
        return result;
    }

    /**
     * A builder for a long-running server under a {@link Lifeline}: stdin is the lifeline pipe, so the server gets
     * {@code stopSignal} when the JVM dies or closes the process's output stream.
     */
    ProcessBuilder serverProcessBuilder(String stopSignal, List<String> command) {
        return processBuilder(Lifeline.wrap(stopSignal, command)).redirectInput(ProcessBuilder.Redirect.PIPE);
    }

    private static String tail(Path file) throws IOException {
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        return text.length() <= OUTPUT_TAIL_CHARS ? text : text.substring(text.length() - OUTPUT_TAIL_CHARS);
    }

    /** Exit code and (the tail of) the combined output of a finished command. */
    record CommandResult(int exitCode, String output) {

        boolean succeeded() {
            return exitCode == 0;
        }
    }
}
