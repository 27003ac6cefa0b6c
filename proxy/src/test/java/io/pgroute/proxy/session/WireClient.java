package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.auth.Md5Password;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.frontend.PasswordMessage;
import io.pgroute.protocol.startup.StartupMessage;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A minimal blocking PostgreSQL client over a raw socket, for message patterns pgjdbc never sends (lib/pq's
 * unnamed statement over two Syncs, asyncpg's Parse+Describe+Flush). Logs in as a trust user, writes typed
 * frontend records with {@link MessageEncoder} (several per write, as drivers pipeline them) and reads backend
 * messages one by one, every read bounded by the socket timeout.
 */
public final class WireClient implements AutoCloseable {

    /** One backend message: its type byte and body. */
    public record Message(char type, byte[] body) {

        public <T> T decode(Function<ByteBuf, T> decoder) {
            ByteBuf buffer = Unpooled.wrappedBuffer(body);
            try {
                return decoder.apply(buffer);
            } finally {
                buffer.release();
            }
        }

        /** The first column of a DataRow as text. */
        String firstValue() {
            byte[] value = decode(DataRow::decode).values()[0];
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }

        public String sqlState() {
            return decode(ErrorResponse::decode).sqlState();
        }

        @Override
        public String toString() {
            return type == 'E' ? "E(" + decode(ErrorResponse::decode).sqlState() + " "
                    + decode(ErrorResponse::decode).message() + ")" : String.valueOf(type);
        }
    }

    /** AuthenticationMD5Password's code (Int32, its last byte): 4 bytes of salt follow. */
    private static final byte MD5_PASSWORD = 5;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    /** The messages of the login, up to its ReadyForQuery or ErrorResponse. */
    private final List<Message> login = new ArrayList<>();

    /** The ParameterStatus messages of the login, name to value. */
    Map<String, String> loginParameters() {
        Map<String, String> result = new java.util.LinkedHashMap<>();
        for (Message each : login) {
            if (each.type() == 'S') {
                String[] pair = new String(each.body(), StandardCharsets.UTF_8).split("\0");
                result.put(pair[0], pair.length > 1 ? pair[1] : "");
            }
        }
        return result;
    }

    /** BackendKeyData's body from the login (process id and secret key), for {@link #cancel}; null if none came. */
    private byte[] keyData;

    private WireClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and logs in as {@code user} (a trust user) to {@code database}, reading up to ReadyForQuery. */
    public static WireClient connect(int port, String user, String database) throws IOException {
        return connect(port, user, null, database);
    }

    /**
     * Connects and logs in as {@code user} to {@code database}, answering an md5 password request with
     * {@code password} (a server of its own, such as a LocalCluster node, to compare with), up to ReadyForQuery.
     */
    static WireClient connect(int port, String user, String password, String database) throws IOException {
        return connect(port, user, password, database, Map.of("application_name", "wire-client"));
    }

    /** As {@link #connect(int, String, String, String)}, with {@code parameters} in the startup message. */
    static WireClient connect(int port, String user, String password, String database, Map<String, String> parameters)
            throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        WireClient result = new WireClient(socket);
        try {
            result.send(StartupMessage.of(user, database, parameters));
            List<Message> login = result.login;
            Message next;
            do {
                next = result.read();
                login.add(next);
                if (next.type() == 'K') {
                    result.keyData = next.body();
                }
                byte[] body = next.body();
                if (next.type() == 'R' && body.length == 8 && body[3] == MD5_PASSWORD && password != null) {
                    byte[] salt = java.util.Arrays.copyOfRange(body, 4, 8);
                    result.send(new PasswordMessage(Md5Password.hash(user, password, salt)));
                }
            } while (next.type() != 'Z' && next.type() != 'E');
            if (next.type() == 'E') {
                throw new IOException("login failed: " + login);
            }
            return result;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Encodes all {@code messages} into one buffer and writes them at once. */
    void send(Object... messages) throws IOException {
        ByteBuf buffer = Unpooled.buffer();
        try {
            for (Object each : messages) {
                MessageEncoder.encodeInto(each, buffer);
            }
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.readBytes(bytes);
            out.write(bytes);
            out.flush();
        } finally {
            buffer.release();
        }
    }

    /** A message of {@code type} whose body is {@code body} as it is (bytes in any encoding), for {@link #sendRaw}. */
    static byte[] rawMessage(char type, byte[] body) {
        byte[] message = new byte[5 + body.length];
        message[0] = (byte) type;
        java.nio.ByteBuffer.wrap(message, 1, 4).putInt(4 + body.length);
        System.arraycopy(body, 0, message, 5, body.length);
        return message;
    }

    /** Writes {@code bytes} as they are (for malformed messages). */
    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next backend message; fails with {@link SocketTimeoutException} after {@code timeoutMillis}. */
    public Message read(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        int type = in.read();
        if (type < 0) {
            throw new IOException("connection closed by the server");
        }
        int length = in.readInt();
        byte[] body = new byte[length - 4];
        in.readFully(body);
        return new Message((char) type, body);
    }

    Message read() throws IOException {
        return read(10_000);
    }

    /** Reads messages up to and including the next ReadyForQuery. */
    List<Message> readUntilReady() throws IOException {
        List<Message> result = new ArrayList<>();
        while (true) {
            Message next = read();
            result.add(next);
            if (next.type() == 'Z') {
                return result;
            }
        }
    }

    /** The message types of {@code messages} as a string, e.g. "12DCZ". */
    static String types(List<Message> messages) {
        StringBuilder result = new StringBuilder();
        messages.forEach(each -> result.append(each.type()));
        return result.toString();
    }

    /**
     * The bytes of one read from the socket (what had arrived when it returned; at least one byte), for tests of
     * how an answer is split into sends. Only between whole messages: nothing may be half read.
     */
    byte[] readOnce(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        byte[] buffer = new byte[1 << 16];
        int read = socket.getInputStream().read(buffer);
        if (read < 0) {
            throw new IOException("connection closed by the server");
        }
        return java.util.Arrays.copyOf(buffer, read);
    }

    /**
     * Sends a CancelRequest for this connection, with the key its login got, on a new connection to {@code port}, as
     * drivers do (that connection gets no answer: the server closes it).
     */
    void cancel(int port) throws IOException {
        if (keyData == null) {
            throw new IOException("no BackendKeyData at login");
        }
        try (Socket cancel = new Socket("127.0.0.1", port)) {
            java.io.DataOutputStream request = new java.io.DataOutputStream(cancel.getOutputStream());
            request.writeInt(8 + keyData.length);
            request.writeInt(80877102);  // the cancel request code: 1234 << 16 | 5678
            request.write(keyData);
            request.flush();
            cancel.setSoTimeout(5_000);
            cancel.getInputStream().read();  // the server closes it once it has read the request
        }
    }

    /** True when nothing arrives within {@code millis}. */
    boolean silentFor(int millis) throws IOException {
        try {
            read(millis);
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    /**
     * Closes the socket without a Terminate: a thread blocked writing to it (a server that reads nothing) gets an
     * exception instead of holding the socket's write lock, on which {@link #close} would wait forever.
     */
    public void abort() throws IOException {
        socket.close();
    }

    @Override
    public void close() throws IOException {
        try {
            if (!socket.isClosed()) {
                out.write(new byte[] {'X', 0, 0, 0, 4});
                out.flush();
            }
        } catch (IOException e) {
            // the server may already have closed; the socket is closed below either way
            socket.close();
            return;
        }
        socket.close();
    }
}
