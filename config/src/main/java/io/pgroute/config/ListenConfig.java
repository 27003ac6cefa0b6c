package io.pgroute.config;

import java.util.Objects;
import java.util.Optional;

/**
 * Where pgroute accepts client connections ({@code listen:}). Port 0 asks the operating system for a free port,
 * which is handy in tests.
 *
 * @param host address or host name to bind, default {@code 127.0.0.1}
 * @param port TCP port, 0-65535, default {@code 6432}
 * @param ioThreads event-loop threads serving clients and backends ({@code io_threads}); 0, the default, means one
 *     per processor
 * @param unixSocketDir a directory in which pgroute also listens on a Unix-domain socket named as PostgreSQL names
 *     its own, {@code .s.PGSQL.<port>} ({@code unix_socket_dir}); null, the default, for none
 * @param unixSocketMode the permissions of that socket file ({@code unix_socket_mode}, octal), {@code 0777} by
 *     default as PostgreSQL's {@code unix_socket_permissions}
 */
public record ListenConfig(String host, int port, int ioThreads, String unixSocketDir, int unixSocketMode) {

    /** The default host. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** The default port. */
    public static final int DEFAULT_PORT = 6432;
    /** The default permissions of the Unix-domain socket: everyone may connect, as PostgreSQL's default. */
    public static final int DEFAULT_UNIX_SOCKET_MODE = 0777;
    /**
     * The longest path a Unix-domain socket may have on Linux ({@code sun_path} less its terminating zero); the
     * directory and {@code /.s.PGSQL.<port>} must fit, as PostgreSQL checks for its own sockets.
     */
    public static final int MAX_UNIX_SOCKET_PATH = 107;

    /** Checks that the host is present. */
    public ListenConfig {
        Objects.requireNonNull(host, "host");
    }

    /** Host and port, one event loop per processor, no Unix-domain socket. */
    public ListenConfig(String host, int port) {
        this(host, port, 0);
    }

    /** Host, port and event loops, no Unix-domain socket. */
    public ListenConfig(String host, int port, int ioThreads) {
        this(host, port, ioThreads, null, DEFAULT_UNIX_SOCKET_MODE);
    }

    /** The Unix-domain socket's directory, when pgroute listens on one. */
    public Optional<String> unixSocket() {
        return Optional.ofNullable(unixSocketDir);
    }

    /** Whether {@code path} is short enough for a Unix-domain socket ({@link #MAX_UNIX_SOCKET_PATH} bytes). */
    public static boolean fitsUnixSocket(String path) {
        return path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_UNIX_SOCKET_PATH;
    }

    /** The socket for {@code port} in the directory {@code dir}, where libpq looks: {@code <dir>/.s.PGSQL.<port>}. */
    public static String unixSocketPath(String dir, int port) {
        return dir.replaceAll("/+$", "") + "/" + unixSocketName(port);
    }

    /** The name of the socket file for {@code port}, as libpq looks for it: {@code .s.PGSQL.<port>}. */
    public static String unixSocketName(int port) {
        return ".s.PGSQL." + port;
    }

    /** The event-loop threads to start: {@code io_threads}, or one per processor when it is 0. */
    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
    }

    /** {@code 127.0.0.1:6432}. */
    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    static ListenConfig read(MappingReader reader) {
        String host = reader.has("host") ? reader.requiredString("host").orElse(DEFAULT_HOST) : DEFAULT_HOST;
        int port = reader.integer("port", DEFAULT_PORT, 0, 65535);
        int ioThreads = reader.integer("io_threads", 0, 0, 1024);
        String socketDir = reader.string("unix_socket_dir").map(String::strip).orElse(null);
        if (socketDir != null && socketDir.isEmpty()) {
            socketDir = null;  // as PgBouncer's unix_socket_dir = "": no socket
        }
        if (socketDir != null) {
            String path = unixSocketPath(socketDir, port == 0 ? 65535 : port);
            if (!socketDir.startsWith("/")) {
                reader.problem("unix_socket_dir", "must be an absolute path (libpq takes a host starting with / "
                        + "as a socket directory)");
            } else if (!fitsUnixSocket(path)) {
                reader.problem("unix_socket_dir", "is too long: the socket path " + path + " must be at most "
                        + MAX_UNIX_SOCKET_PATH + " bytes");
            }
        }
        int mode = reader.string("unix_socket_mode").map(text -> parseMode(reader, text))
                .orElse(DEFAULT_UNIX_SOCKET_MODE);
        reader.finish();
        return new ListenConfig(host, port, ioThreads, socketDir, mode);
    }

    /** An octal file mode such as {@code 0777}, {@code 770} or {@code 0o660}; reported when it is not one. */
    private static int parseMode(MappingReader reader, String text) {
        String digits = text.strip();
        if (digits.startsWith("0o")) {
            digits = digits.substring(2);
        }
        if (digits.matches("[0-7]{1,4}")) {
            int result = Integer.parseInt(digits, 8);
            if (result <= 0777) {
                return result;
            }
        }
        reader.problem("unix_socket_mode", "must be an octal file mode such as 0777 or 0770, not " + text);
        return DEFAULT_UNIX_SOCKET_MODE;
    }
}
