package io.pgroute.localcluster;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the Redis protocol (RESP2) to set up and watch local servers without a client library: one command
 * per fresh connection to 127.0.0.1, bounded by a socket timeout.
 */
final class RedisWire {

    private static final int TIMEOUT_MILLIS = 2000;

    private RedisWire() {
    }

    /**
     * Sends {@code args} as one command to 127.0.0.1:{@code port} and returns the reply: a {@code String} (simple or
     * bulk string, UTF-8), a {@code Long}, a {@code List<Object>} or null.
     *
     * @throws ErrorReply when Redis answers with an error
     */
    static Object command(int port, String... args) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(encode(args));
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /** {@link #command} for a reply that is a string, e.g. {@code INFO}. */
    static String text(int port, String... args) throws IOException {
        Object result = command(port, args);
        if (!(result instanceof String)) {
            throw new IOException(String.join(" ", args) + " answered " + result + ", not a string");
        }
        return (String) result;
    }

    /** The value of {@code field} in an {@code INFO} text ({@code field:value} lines), or null. */
    static String infoField(String info, String field) {
        String prefix = field + ":";
        return info.lines().filter(each -> each.startsWith(prefix)).findFirst()
                .map(each -> each.substring(prefix.length()).strip()).orElse(null);
    }

    // *<n>\r\n then $<len>\r\n<bytes>\r\n per argument
    private static byte[] encode(String... args) {
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        result.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String each : args) {
            byte[] bytes = each.getBytes(StandardCharsets.UTF_8);
            result.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            result.writeBytes(bytes);
            result.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return result.toByteArray();
    }

    // <type byte><line>\r\n, then for '$' <len> bytes and \r\n, for '*' <n> replies
    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                if (bytes.length != length + 2) {
                    throw new EOFException("reply ended inside a bulk string");
                }
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> result = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    result.add(read(in));
                }
                return result;
            }
            case -1:
                throw new EOFException("connection closed before a reply");
            default:
                throw new IOException("unexpected reply type " + type);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        for (int each = in.read(); each != '\n'; each = in.read()) {
            if (each == -1) {
                throw new EOFException("connection closed inside a reply");
            }
            if (each != '\r') {
                result.write(each);
            }
        }
        return result.toString(StandardCharsets.UTF_8);
    }

    /** An error reply ({@code -ERR ...}). */
    static final class ErrorReply extends IOException {

        ErrorReply(String message) {
            super(message);
        }
    }
}
