package io.pgroute.proxy.frontend;

import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Garbage, truncated frames, oversized lengths and half-sent messages get an ErrorResponse (08P01) or a clean
 * close, never a hang, and the proxy keeps serving everyone else.
 */
class BadInputIT {

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ProxyFixture.get();
    }

    @Test
    void answersGarbageWithAProtocolViolation() throws Exception {
        byte[] reply = exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertProtocolViolationOrClose(reply);
        assertStillServing();
    }

    @Test
    void answersAnOversizedStartupLength() throws Exception {
        byte[] reply = exchange(new byte[] {0x7f, 0x00, 0x00, 0x00, 0, 3, 0, 0});
        assertProtocolViolationOrClose(reply);
        assertStillServing();
    }

    @Test
    void closesCleanlyOnATruncatedStartupPacket() throws Exception {
        byte[] reply = exchange(new byte[] {0, 0, 0, 40, 0, 3, 0, 0, 'u', 's'});
        assertThat(reply).isEmpty();
        assertStillServing();
    }

    @Test
    void answersAnOversizedFrameAfterLogin() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeByte('Q');
            out.writeInt(Integer.MAX_VALUE);
            out.flush();
            byte[] reply = readUntilClosed(socket.getInputStream());
            assertThat(reply).isNotEmpty();
            assertThat((char) reply[0]).isEqualTo('E');
            assertThat(new String(reply, StandardCharsets.UTF_8)).contains("08P01");
        }
        assertStillServing();
    }

    /**
     * COMPAT L3: a password message announcing more than a login message may hold is refused before pgroute reads or
     * allocates it.
     */
    @Test
    void answersAnOversizedPasswordMessageBeforeLoginAtOnce() throws Exception {
        try (Socket socket = startup("app")) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            assertThat((char) in.read()).as("the password request").isEqualTo('R');
            in.readNBytes(readInt(in) - 4);
            // a SASLInitialResponse that says 1 MB follow (under limits.max_frame_bytes, 16 MiB here): PostgreSQL
            // refuses more than 64 kB before login, and so does pgroute, without waiting for the rest
            out.writeByte('p');
            out.writeInt(1024 * 1024);
            out.write("SCRAM-SHA-256".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = readUntilClosed(in);  // closed without waiting for the 1 MB
            assertThat(reply).isNotEmpty();
            assertThat((char) reply[0]).isEqualTo('E');
            assertThat(new String(reply, StandardCharsets.UTF_8)).contains("08P01").contains("invalid message length");
        }
        assertStillServing();
    }

    @Test
    void acceptsMessagesLargerThanALoginMessageOnceLoggedIn() throws Exception {
        try (Socket socket = trustedSession()) {
            String sql = "SELECT length('" + "x".repeat(200_000) + "')";
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeByte('Q');
            out.writeInt(4 + sql.length() + 1);
            out.write(sql.getBytes(StandardCharsets.US_ASCII));
            out.writeByte(0);
            out.flush();
            InputStream in = socket.getInputStream();
            String row = null;
            for (int type = in.read(); type != 'Z'; type = in.read()) {
                assertThat(type).as("message type").isNotIn(-1, (int) 'E');
                byte[] body = in.readNBytes(readInt(in) - 4);
                if (type == 'D') {
                    row = new String(body, 6, body.length - 6, StandardCharsets.US_ASCII);  // Int16 count, Int32 len
                }
            }
            assertThat(row).isEqualTo("200000");
        }
    }

    @Test
    void skipsToSyncAfterAnErrorWhenTheRestOfTheBatchArrivesLater() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            // Parse of a bad statement and Flush: the error comes back before the client sends the rest (COMPAT E4)
            message(out, 'P', cStrings("", "SELEC 1"), new byte[] {0, 0});
            message(out, 'H');
            out.flush();
            assertThat(readTypesUntil(in, 'E')).isEqualTo("E");
            // PostgreSQL ignores Bind and Execute up to the Sync and answers the Sync alone
            bindUnnamed(out);
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'Z')).as("the Sync's answer, and nothing for Bind and Execute")
                    .isEqualTo("Z");
            // the session goes on (a read, which may move to another server): the right answer, in time
            assertAnswersSelect41Plus1(out, in);
        }
    }

    @Test
    void aMalformedExtendedBeginGetsTheServersAnswerNotALocalOne() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            // BEGIN parsed, bound and executed in one unit, which pgroute answers itself when it is well formed
            // (pool.defer_begin); this Parse says one parameter type follows and none does
            message(out, 'P', cStrings("", "BEGIN"), new byte[] {0, 1});
            bindUnnamed(out);
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'E')).as("no ParseComplete: the server read the Parse and refused it")
                    .isEqualTo("E");
            assertThat(new String(lastBody, StandardCharsets.UTF_8)).contains("C08P01");
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("Z");
            assertThat(lastBody).as("no transaction began").containsExactly('I');
            assertAnswersSelect41Plus1(out, in);
            assertThat(lastBody).containsExactly('I');
        }
        assertStillServing();
    }

    @Test
    void aBindWithAnUnterminatedStatementNameEndsTheSessionWithAProtocolViolation() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            message(out, 'P', cStrings("", "SELECT 1"), new byte[] {0, 0});
            message(out, 'B', cStrings(""), "x".getBytes(StandardCharsets.US_ASCII));  // no NUL after "x"
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            // PostgreSQL answers ParseComplete, ERROR 08P01 and skips to the Sync; pgroute, which reads the names to
            // route the unit, ends the session instead, with a clear answer rather than silence
            assertThat(readTypesUntil(in, 'E')).isEqualTo("E");
            String error = new String(lastBody, StandardCharsets.UTF_8);
            assertThat(error).contains("SFATAL").contains("C08P01").contains("invalid string in message");
            assertThat(in.read()).as("closed after it").isEqualTo(-1);
        }
        assertStillServing();
    }

    @Test
    void aQueryWithoutItsTerminatorEndsTheSessionWithAProtocolViolation() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            message(out, 'Q', "SELECT 1".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            assertThat(readTypesUntil(in, 'E')).isEqualTo("E");
            assertThat(new String(lastBody, StandardCharsets.UTF_8)).contains("C08P01");
            assertThat(in.read()).as("closed after it").isEqualTo(-1);
        }
        assertStillServing();
    }

    @Test
    void copiesInThroughTheExtendedProtocolWithTheSyncSentBeforeTheData() throws Exception {
        try (Connection direct = fixture.connectDirect(); Statement ds = direct.createStatement()) {
            ds.execute("CREATE TABLE IF NOT EXISTS copied_in (id int)");
            ds.execute("TRUNCATE copied_in");
        }
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            // as libpq's PQexecParams and postgres.js do: the Sync goes with the Execute; the server ignores it
            // during COPY, and the client sends another after CopyDone (COMPAT C2)
            message(out, 'P', cStrings("", "COPY copied_in FROM STDIN"), new byte[] {0, 0});
            bindUnnamed(out);
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'G')).isEqualTo("12G");
            message(out, 'd', "1\n2\n".getBytes(StandardCharsets.US_ASCII));
            message(out, 'c');
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("CZ");
            // the session goes on, on another server if it must, with its settings
            message(out, 'Q', cStrings("SET application_name = 'after-copy'"));
            out.flush();
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("CSZ");
            for (int i = 0; i < 10; i++) {
                message(out, 'Q', cStrings("SELECT current_setting('application_name')"));
                out.flush();
                assertThat(readTypesUntil(in, 'D')).isEqualTo("TD");
                assertThat(lastBody).as("statement %d", i).endsWith("after-copy".getBytes(StandardCharsets.US_ASCII));
                assertThat(readTypesUntil(in, 'Z')).isEqualTo("CZ");
            }
        }
        try (Connection direct = fixture.connectDirect(); Statement ds = direct.createStatement();
             ResultSet rs = ds.executeQuery("SELECT count(*) FROM copied_in")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
    }

    @Test
    void deallocatesAStatementPreparedWithParseByItsName() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            // PHP PDO prepares with Parse and frees with SQL DEALLOCATE (COMPAT V8)
            message(out, 'P', cStrings("pdo_stmt_00000001", "SELECT 41 + 1"), new byte[] {0, 0});
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("1Z");
            message(out, 'Q', cStrings("DEALLOCATE pdo_stmt_00000001"));
            out.flush();
            assertThat(readTypesUntil(in, 'C')).as("not 26000 from a server").isEqualTo("C");
            assertThat(new String(lastBody, StandardCharsets.US_ASCII)).isEqualTo("DEALLOCATE\0");
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("Z");
            // gone, as in PostgreSQL: binding it fails, and the name can be prepared again
            message(out, 'B', cStrings("", "pdo_stmt_00000001"), new byte[] {0, 0, 0, 0, 0, 0});
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'E')).isEqualTo("E");
            assertThat(new String(lastBody, StandardCharsets.UTF_8)).contains("26000");
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("Z");
            message(out, 'P', cStrings("pdo_stmt_00000001", "SELECT 43 - 1"), new byte[] {0, 0});
            message(out, 'B', cStrings("", "pdo_stmt_00000001"), new byte[] {0, 0, 0, 0, 0, 0});
            executeUnnamed(out);
            message(out, 'S');
            out.flush();
            assertThat(readTypesUntil(in, 'D')).isEqualTo("12D");
            assertThat(lastBody).endsWith("42".getBytes(StandardCharsets.US_ASCII));
            assertThat(readTypesUntil(in, 'Z')).isEqualTo("CZ");
        }
    }

    @Test
    void aClientGoneBetweenAnErrorAndItsSyncLeavesNoServerWaitingForIt() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (Socket socket = trustedSession()) {
                // the server now skips everything until a Sync that never comes (COMPAT T3)
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                message(out, 'P', cStrings("", "SELEC 1"), new byte[] {0, 0});
                bindUnnamed(out);
                message(out, 'H');
                out.flush();
                assertThat(readTypesUntil(socket.getInputStream(), 'E')).isEqualTo("E");
            }
            try (Socket next = trustedSession()) {  // most likely on the connection just given back
                DataOutputStream out = new DataOutputStream(next.getOutputStream());
                message(out, 'Q', cStrings("/* pgroute: primary */ SELECT 41 + 1"));
                out.flush();
                assertThat(readTypesUntil(next.getInputStream(), 'Z')).as("round %d", i).isEqualTo("TDCZ");
            }
        }
        assertStillServing();
    }

    /** The body of the last message {@link #readTypesUntil} read. */
    private static byte[] lastBody;

    /** The types of the messages read up to and including the first of type {@code last}. */
    private static String readTypesUntil(InputStream in, char last) throws IOException {
        StringBuilder types = new StringBuilder();
        for (int type = in.read(); ; type = in.read()) {
            assertThat(type).as("message type after %s", types).isNotEqualTo(-1);
            types.append((char) type);
            lastBody = in.readNBytes(readInt(in) - 4);
            if (type == last) {
                return types.toString();
            }
        }
    }

    /** Binds the unnamed statement to the unnamed portal: no parameters, no format codes, no result formats. */
    private static void bindUnnamed(DataOutputStream out) throws IOException {
        message(out, 'B', cStrings("", ""), new byte[] {0, 0, 0, 0, 0, 0});
    }

    /** Executes the unnamed portal, all rows. */
    private static void executeUnnamed(DataOutputStream out) throws IOException {
        message(out, 'E', cStrings(""), new byte[] {0, 0, 0, 0});
    }

    /** The session still answers a query, and rightly: {@code SELECT 41 + 1} gives one row, 42, then ReadyForQuery. */
    private static void assertAnswersSelect41Plus1(DataOutputStream out, InputStream in) throws IOException {
        message(out, 'Q', cStrings("SELECT 41 + 1"));
        out.flush();
        assertThat(readTypesUntil(in, 'D')).isEqualTo("TD");
        assertThat(new String(lastBody, 6, lastBody.length - 6, StandardCharsets.US_ASCII)).isEqualTo("42");
        assertThat(readTypesUntil(in, 'Z')).isEqualTo("CZ");
    }

    private static byte[] cStrings(String... values) {
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        for (String each : values) {
            result.writeBytes(each.getBytes(StandardCharsets.UTF_8));
            result.write(0);
        }
        return result.toByteArray();
    }

    private static void message(DataOutputStream out, char type, byte[]... parts) throws IOException {
        int length = 4;
        for (byte[] each : parts) {
            length += each.length;
        }
        out.writeByte(type);
        out.writeInt(length);
        for (byte[] each : parts) {
            out.write(each);
        }
    }

    @Test
    void answersAnUnknownMessageTypeAfterLogin() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeByte('!');
            out.writeInt(4);
            out.flush();
            byte[] reply = readUntilClosed(socket.getInputStream());
            assertThat(new String(reply, StandardCharsets.UTF_8)).contains("08P01");
        }
        assertStillServing();
    }

    @Test
    void survivesAClientThatClosesMidMessage() throws Exception {
        try (Socket socket = trustedSession()) {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeByte('Q');
            out.writeInt(100);
            out.write("SELECT".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        assertStillServing();
    }

    /** A raw socket that has sent a protocol 3.0 startup packet for {@code user} and database app. */
    private static Socket startup(String user) throws IOException {
        Socket socket = new Socket("127.0.0.1", fixture.port());
        socket.setSoTimeout(10_000);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(body);
        data.writeInt(196608);
        for (String each : new String[] {"user", user, "database", "app"}) {
            data.write(each.getBytes(StandardCharsets.UTF_8));
            data.writeByte(0);
        }
        data.writeByte(0);
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeInt(body.size() + 4);
        out.write(body.toByteArray());
        out.flush();
        return socket;
    }

    /** Logs in as the trust user over a raw socket and reads up to the first ReadyForQuery. */
    private static Socket trustedSession() throws IOException {
        Socket socket = startup("trusted");
        InputStream in = socket.getInputStream();
        while (true) {
            int type = in.read();
            assertThat(type).as("message type during login").isNotEqualTo(-1);
            int length = readInt(in);
            byte[] rest = in.readNBytes(length - 4);
            assertThat((char) type).as("no error during login").isNotEqualTo('E');
            if (type == 'Z') {
                assertThat(rest).containsExactly('I');
                return socket;
            }
        }
    }

    private static int readInt(InputStream in) throws IOException {
        byte[] four = in.readNBytes(4);
        return ((four[0] & 0xff) << 24) | ((four[1] & 0xff) << 16) | ((four[2] & 0xff) << 8) | (four[3] & 0xff);
    }

    private static byte[] exchange(byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", fixture.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return readUntilClosed(socket.getInputStream());
        }
    }

    private static byte[] readUntilClosed(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static void assertProtocolViolationOrClose(byte[] reply) {
        if (reply.length > 0) {
            assertThat((char) reply[0]).isEqualTo('E');
            assertThat(new String(reply, StandardCharsets.UTF_8)).contains("08P01");
        }
    }

    private static void assertStillServing() throws SQLException {
        try (Connection c = fixture.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM products")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(5);
        }
    }
}
